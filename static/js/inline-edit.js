// Inline edit forms: Escape cancels. In a form marked `data-escape-cancels`, Escape
// clicks the form's `[data-cancel]` control, which brings back what the form replaced
// (and puts the focus back where the edit began). Enter submits, as in any form.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) return;
    var form = event.target.closest("form[data-escape-cancels]");
    var cancel = form && form.querySelector("[data-cancel]");
    if (cancel) {
      event.preventDefault();
      cancel.click();
    }
  });
})();
