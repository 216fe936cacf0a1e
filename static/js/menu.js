// Menus (<details class="menu">): Escape closes an open one and puts the focus back
// on its summary; a click or tap outside closes it. Without this script they still
// open and close from their summary.
(function () {
  "use strict";
  function openMenus() {
    return document.querySelectorAll("details.menu[open]");
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    openMenus().forEach(function (menu) {
      var inside = menu.contains(document.activeElement);
      menu.open = false;
      if (inside || document.activeElement === document.body) {
        menu.querySelector("summary").focus();
      }
    });
  });
  document.addEventListener("click", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });
})();
