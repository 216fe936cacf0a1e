// Notices (#undo-region, templates/notice.html): Dismiss removes its notice. The
// button stays hidden where this script does not run; a notice then lasts until the
// next page, or the next notice, which replaces it.
(function () {
  "use strict";
  function reveal(root) {
    if (!root.querySelectorAll) return;
    root.querySelectorAll("[data-dismiss-notice]").forEach(function (button) {
      button.hidden = false;
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-dismiss-notice]");
    var notice = button && button.closest(".page-notice");
    if (notice) notice.remove();
  });
  // htmx fires htmx:load on the content of every swap (and on the page at start).
  document.addEventListener("htmx:load", function (event) {
    reveal(event.target);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      reveal(document);
    });
  } else {
    reveal(document);
  }
})();
