// Copy buttons: a <button data-copy="ID" hidden> copies the text of the element ID.
// The button stays hidden where this script does not run (the text can still be
// selected by hand) or where the clipboard cannot be written.
(function () {
  "use strict";
  function wire(button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(
        function () { button.textContent = "Copied"; },
        function () { button.textContent = "Select and copy it by hand"; }
      );
    });
  }
  function start() {
    document.querySelectorAll("button[data-copy]").forEach(wire);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
