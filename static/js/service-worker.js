// The service worker: shows the push messages the server sends, and opens the page a
// notification is about when it is clicked.
//
// Served at /service-worker.js (notifications/service_worker.py) so that its scope is
// the whole app. A message is JSON: {"title", "body", "url", "tag"}. A notification
// with the tag of one still shown replaces it ("Weight fell behind" is not shown twice).
// Only pages of this site are opened: a url elsewhere opens the app's start page.
"use strict";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

function pageOfThisSite(url) {
  try {
    var target = new URL(url || "/", self.location.origin);
    if (target.origin === self.location.origin) {
      return target.href;
    }
  } catch (error) {
    // not a URL: the start page
  }
  return new URL("/", self.location.origin).href;
}

function readMessage(data) {
  if (!data) {
    return {};
  }
  try {
    var message = data.json();
    return message && typeof message === "object" ? message : {};
  } catch (error) {
    return { body: data.text() };
  }
}

self.addEventListener("push", function (event) {
  var message = readMessage(event.data);
  var options = {
    body: typeof message.body === "string" ? message.body : "",
    data: { url: pageOfThisSite(message.url) },
  };
  if (typeof message.tag === "string" && message.tag) {
    options.tag = message.tag;
    options.renotify = true;
  }
  var title = typeof message.title === "string" && message.title ? message.title : "Goaltrack";
  event.waitUntil(self.registration.showNotification(title, options));
});

// A tab already showing the page is brought forward; else a tab of the app is taken
// there; else a new one is opened.
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = pageOfThisSite(event.notification.data && event.notification.data.url);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (tabs) {
      var ours = tabs.filter(function (tab) {
        return new URL(tab.url).origin === self.location.origin;
      });
      var showing = ours.find(function (tab) {
        return tab.url === target;
      });
      if (showing) {
        return showing.focus();
      }
      var tab = ours.find(function (candidate) {
        return candidate.focused;
      }) || ours[0];
      if (tab && typeof tab.navigate === "function") {
        return tab
          .focus()
          .then(function (focused) {
            return focused.navigate(target);
          })
          .then(function (navigated) {
            return navigated || self.clients.openWindow(target);
          })
          .catch(function () {
            return self.clients.openWindow(target);
          });
      }
      return self.clients.openWindow(target);
    })
  );
});
