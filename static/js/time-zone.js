// The time zone select (sign-up, Preferences). With data-time-zone="detect" the zone
// this browser is in is preselected; with "offer", a button offers it when the saved
// zone differs. Without this script the select keeps its server-side choice (UTC on
// sign-up).
(function () {
  "use strict";
  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }
  function hasOption(select, value) {
    return Array.prototype.some.call(select.options, function (option) {
      return option.value === value;
    });
  }
  function offer(select, zone) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link-button time-zone-offer";
    button.textContent = "Use this device’s zone: " + zone.replace(/_/g, " ");
    button.addEventListener("click", function () {
      select.value = zone;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      button.remove();
      select.focus();
    });
    select.insertAdjacentElement("afterend", button);
  }
  function start() {
    var zone = browserZone();
    document.querySelectorAll("select[data-time-zone]").forEach(function (select) {
      if (!zone || !hasOption(select, zone) || select.value === zone) return;
      if (select.dataset.timeZone === "detect") {
        select.value = zone;
      } else if (select.dataset.timeZone === "offer") {
        offer(select, zone);
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
