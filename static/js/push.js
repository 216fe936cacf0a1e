// Push on this device, for the notification settings page. The page holds
//
//   <section id="push-settings" data-vapid-key data-subscribe-url
//            data-unsubscribe-url data-csrf-token>
//     <p id="push-status"></p>
//     <button id="push-subscribe" hidden>   <button id="push-unsubscribe" hidden>
//
// and this script says in #push-status whether this browser gets push, and shows the
// one button that changes it. Turning push on asks the browser's permission,
// subscribes with the server's key (data-vapid-key) and sends the subscription to the
// server, with a few words naming the browser and system so the owner can tell their
// devices apart. Turning it off unsubscribes and tells the server. Without JavaScript
// or a browser that can do push, the buttons stay hidden and email still works.
(function () {
  "use strict";

  var WORKER = "/service-worker.js";

  function start() {
    var section = document.getElementById("push-settings");
    if (!section) {
      return;
    }
    var status = document.getElementById("push-status");
    var turnOn = document.getElementById("push-subscribe");
    var turnOff = document.getElementById("push-unsubscribe");
    var registration = null;

    function say(text) {
      status.textContent = text;
    }

    function offer(button) {
      turnOn.hidden = button !== turnOn;
      turnOff.hidden = button !== turnOff;
      turnOn.disabled = false;
      turnOff.disabled = false;
    }

    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      say("This browser cannot receive push notifications. Notices still come by email.");
      offer(null);
      return;
    }
    if (!window.isSecureContext) {
      say("Push needs a secure (https) connection to this site.");
      offer(null);
      return;
    }
    var serverKey = section.dataset.vapidKey || "";
    if (!serverKey) {
      say("Push is not set up on this server.");
      offer(null);
      return;
    }

    function post(url, data) {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "X-CSRFToken": section.dataset.csrfToken || "",
        },
        body: JSON.stringify(data),
      }).then(function (response) {
        if (response.ok) {
          return response;
        }
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (answer) {
            var error = answer && answer.error;
            var said = typeof error === "string" ? error : (error && error.message) || answer.message;
            throw new Error(said || "the server answered " + response.status);
          });
      });
    }

    function show(subscription) {
      if (Notification.permission === "denied") {
        say("You blocked notifications for this site in the browser's settings. " +
            "Allow them there to get push on this browser.");
        offer(subscription ? turnOff : null);
      } else if (subscription) {
        say("Push is on for this browser.");
        offer(turnOff);
      } else {
        say("Push is off for this browser.");
        offer(turnOn);
      }
    }

    function refresh() {
      return registration.pushManager.getSubscription().then(function (subscription) {
        if (subscription && !sameKey(subscription, serverKey)) {
          // Made with a key the server no longer has: its messages can't arrive.
          return subscription.unsubscribe().then(function () {
            show(null);
            say("This server's push key changed. Turn push on again to get notifications here.");
          });
        }
        if (subscription) {
          // The server may have dropped it (the push service once called it gone):
          // telling it again keeps this browser on its list.
          var data = subscription.toJSON();
          data.label = deviceLabel(navigator.userAgent || "");
          post(section.dataset.subscribeUrl, data).catch(function () {});
        }
        show(subscription);
      });
    }

    function subscribe() {
      turnOn.disabled = true;
      say("Asking the browser…");
      askPermission()
        .then(function (permission) {
          if (permission !== "granted") {
            show(null);
            if (permission === "default") {
              say("You did not allow notifications, so push stays off for this browser.");
            }
            return null;
          }
          return registration.pushManager
            .subscribe({ userVisibleOnly: true, applicationServerKey: bytesOf(serverKey) })
            .then(function (subscription) {
              var data = subscription.toJSON();
              data.label = deviceLabel(navigator.userAgent || "");
              return post(section.dataset.subscribeUrl, data).then(
                function () {
                  show(subscription);
                },
                function (error) {
                  // The server does not know it: it would never be sent to.
                  return subscription.unsubscribe().then(function () {
                    throw error;
                  });
                }
              );
            });
        })
        .catch(function (error) {
          show(null);
          if (Notification.permission !== "denied") {
            say("Push could not be turned on: " + reason(error) + ". Try again later.");
          }
        });
    }

    function unsubscribe() {
      turnOff.disabled = true;
      say("Turning push off…");
      registration.pushManager
        .getSubscription()
        .then(function (subscription) {
          if (!subscription) {
            return null;
          }
          var endpoint = subscription.endpoint;
          return subscription.unsubscribe().then(function () {
            return post(section.dataset.unsubscribeUrl, { endpoint: endpoint });
          });
        })
        .then(function () {
          show(null);
        })
        .catch(function (error) {
          refresh().then(function () {
            say("Push could not be turned off: " + reason(error) + ". Try again later.");
          });
        });
    }

    say("Checking whether this browser gets push…");
    navigator.serviceWorker
      .register(WORKER, { scope: "/" })
      .then(function () {
        return navigator.serviceWorker.ready;
      })
      .then(function (ready) {
        registration = ready;
        turnOn.addEventListener("click", subscribe);
        turnOff.addEventListener("click", unsubscribe);
        watchPermission(refresh);
        return refresh();
      })
      .catch(function (error) {
        say("Push cannot be used in this browser: " + reason(error) + ".");
        offer(null);
      });
  }

  function askPermission() {
    if (Notification.permission !== "default") {
      return Promise.resolve(Notification.permission);
    }
    // Older Safari takes a callback and returns nothing.
    return new Promise(function (resolve) {
      var asked = Notification.requestPermission(resolve);
      if (asked && asked.then) {
        asked.then(resolve);
      }
    });
  }

  // The permission can change in the browser's settings while the page is open.
  function watchPermission(changed) {
    if (!navigator.permissions || !navigator.permissions.query) {
      return;
    }
    navigator.permissions
      .query({ name: "notifications" })
      .then(function (permission) {
        permission.addEventListener("change", changed);
      })
      .catch(function () {});
  }

  function reason(error) {
    if (error && error.name === "NotAllowedError") {
      return "the browser did not allow it";
    }
    if (error && error.name === "AbortError") {
      return "the browser's push service could not be reached";
    }
    var text = (error && error.message) || "something went wrong";
    return text.replace(/[.\s]+$/, "");
  }

  function bytesOf(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var text = window.atob(base64);
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) {
      bytes[i] = text.charCodeAt(i);
    }
    return bytes;
  }

  function sameKey(subscription, base64url) {
    var used = subscription.options && subscription.options.applicationServerKey;
    if (!used) {
      return true; // the browser does not say: assume it is
    }
    var ours = bytesOf(base64url);
    var theirs = new Uint8Array(used);
    if (ours.length !== theirs.length) {
      return false;
    }
    for (var i = 0; i < ours.length; i++) {
      if (ours[i] !== theirs[i]) {
        return false;
      }
    }
    return true;
  }

  // "Firefox on Linux", "Chrome on Android", "Safari on iOS": enough to tell one's
  // devices apart, from the user agent (the order matters: Edge and Opera also say
  // Chrome, Chrome also says Safari).
  function deviceLabel(agent) {
    var browsers = [
      [/Edg(e|A|iOS)?\//, "Edge"],
      [/OPR\/|Opera/, "Opera"],
      [/SamsungBrowser\//, "Samsung Internet"],
      [/Vivaldi\//, "Vivaldi"],
      [/Firefox\/|FxiOS\//, "Firefox"],
      [/Chrome\/|CriOS\/|Chromium\//, "Chrome"],
      [/Safari\//, "Safari"],
    ];
    var systems = [
      [/iPhone|iPad|iPod/, "iOS"],
      [/Android/, "Android"],
      [/CrOS/, "ChromeOS"],
      [/Windows/, "Windows"],
      [/Mac OS X|Macintosh/, "macOS"],
      [/Linux/, "Linux"],
    ];
    function first(table, fallback) {
      for (var i = 0; i < table.length; i++) {
        if (table[i][0].test(agent)) {
          return table[i][1];
        }
      }
      return fallback;
    }
    return (first(browsers, "A browser") + " on " + first(systems, "an unknown system")).slice(0, 200);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
