// Copy buttons: a <button data-copy="ID" hidden> copies the text of the element ID,
// and says so next to itself ("Copied", in a status region that screen readers
// announce). The button stays hidden where this script does not run (the text can
// still be selected by hand) or where the clipboard cannot be written.
(function () {
  "use strict";
  function statusFor(button) {
    var status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");
    button.insertAdjacentElement("afterend", status);
    return status;
  }
  function wire(button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    var status = statusFor(button);
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = "";
      navigator.clipboard.writeText(source.textContent.trim()).then(
        function () { status.textContent = "Copied"; },
        function () { status.textContent = "Could not copy: select it and copy it by hand"; }
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
