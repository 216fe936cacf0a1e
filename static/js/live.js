// Live pages: a change made anywhere else (another tab, the API, an import, a sync)
// fires on this page the same htmx events its own responses fire ("goal-42-changed"),
// and the fragments that listen for them fetch themselves again.
//
// The changes come from the server's stream (Server-Sent Events, resumed from the last
// event id after a reconnect), or, when the stream keeps failing or the browser has no
// EventSource, from a poll every few seconds. Both say, per change, which request made
// it; a change made by one of this page's own requests is left out, since its response
// already fired its events. The page says where the stream and the poll are, and the
// position it was made at, on <body> (data-live-*). Without JavaScript nothing of this
// runs and the pages work as before.
//
// The page loads this script `async`, so it never holds up htmx getting ready (the
// first click on a page must not wait for it); it starts once htmx is there.
function startLivePage() {
  "use strict";

  var body = document.body;
  var streamUrl = body.dataset.liveStream;
  var sinceUrl = body.dataset.liveSince;
  if (!streamUrl || !sinceUrl || !window.htmx || !window.fetch) {
    return;
  }

  var POLL_MS = 5000;
  var STREAM_AGAIN_MS = 60000; // while polling, try the stream again this often
  var FAILURES_BEFORE_POLLING = 3;
  var OWN_KEPT = 200;

  var position = Number(body.dataset.livePosition) || 0;
  var own = []; // ids of this page's own requests, oldest first
  var source = null;
  var failures = 0;
  var pollTimer = null;
  var polledMs = 0;
  var stopped = false;

  function newRequestId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b + 256).toString(16).slice(1);
      })
      .join("");
  }

  function remember(id) {
    if (id && own.indexOf(id) < 0) {
      own.push(id);
      if (own.length > OWN_KEPT) {
        own.shift();
      }
    }
  }

  // Each htmx request of this page carries an id chosen here, which the server keeps
  // as the request's correlation id. It is remembered before the request is sent, so
  // a change pushed before its own response arrives is still known as this page's.
  body.addEventListener("htmx:configRequest", function (event) {
    var id = newRequestId();
    remember(id);
    event.detail.headers["X-Request-ID"] = id;
  });
  body.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (xhr) {
      remember(xhr.getResponseHeader("X-Request-ID"));
    }
  });

  function apply(text) {
    var message;
    try {
      message = JSON.parse(text);
    } catch (error) {
      return;
    }
    var names = {};
    (message.changes || []).forEach(function (change) {
      if (own.indexOf(change.request) >= 0) {
        return;
      }
      (change.events || []).forEach(function (name) {
        names[name] = true;
      });
    });
    if (Number(message.position) > position) {
      position = Number(message.position);
    }
    Object.keys(names).forEach(function (name) {
      window.htmx.trigger(body, name);
    });
  }

  function openStream() {
    if (!window.EventSource) {
      startPolling();
      return;
    }
    failures = 0;
    // After a reconnect the browser sends Last-Event-ID, which the server prefers.
    source = new EventSource(streamUrl + "?after=" + position);
    source.onopen = function () {
      failures = 0;
      body.dataset.liveVia = "stream";
    };
    source.onmessage = function (event) {
      failures = 0;
      apply(event.data);
    };
    source.onerror = function () {
      failures += 1;
      // CLOSED: the server refused the stream (not signed in, or no stream served
      // here); otherwise the browser is reconnecting by itself, for a while.
      if (source.readyState === EventSource.CLOSED || failures >= FAILURES_BEFORE_POLLING) {
        source.close();
        source = null;
        startPolling();
      }
    };
  }

  function startPolling() {
    body.dataset.liveVia = "poll";
    polledMs = 0;
    if (pollTimer === null) {
      pollTimer = window.setTimeout(poll, POLL_MS);
    }
  }

  function poll() {
    pollTimer = null;
    window
      .fetch(sinceUrl + "?after=" + position, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          stopped = true; // signed out: the next page load asks to sign in
        }
        return response.ok ? response.text() : null;
      })
      .then(function (text) {
        if (text) {
          apply(text);
        }
      })
      .catch(function () {})
      .then(function () {
        if (stopped) {
          body.dataset.liveVia = "stopped";
          return;
        }
        polledMs += POLL_MS;
        if (window.EventSource && polledMs >= STREAM_AGAIN_MS) {
          openStream();
        } else {
          pollTimer = window.setTimeout(poll, POLL_MS);
        }
      });
  }

  openStream();
}

// An async script may also run after the document is parsed but before the deferred
// htmx has run; DOMContentLoaded comes after both.
if (document.readyState !== "loading" && window.htmx) {
  startLivePage();
} else {
  document.addEventListener("DOMContentLoaded", startLivePage);
}
