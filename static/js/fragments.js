// Fragments that fetch themselves again (hx-get on the fragment, fired by a change's
// event) must not swap out a control whose own request is still in flight: that
// request's response would find its control gone, and with it the place its notice
// goes (an HX-Retarget is looked up from the control) and the body its events bubble
// to. Clicking "Delete" on a card while the list reloads would then delete the goal
// without a word, and leave it on the page.
//
// So such a swap waits: the fetched copy is dropped, and the fragment fetches itself
// once more when the requests inside it have ended. htmx marks a request's element
// with `htmx-request` for as long as it runs.
(function () {
  "use strict";
  var BUSY = ".htmx-request";

  function busyInside(fragment) {
    return fragment.querySelector(BUSY) !== null;
  }

  function fetchWhenIdle(fragment, path) {
    // htmx has taken `htmx-request` off a request's element by its afterRequest.
    document.addEventListener("htmx:afterRequest", function retry() {
      if (busyInside(fragment)) return;
      document.removeEventListener("htmx:afterRequest", retry);
      if (document.body.contains(fragment)) {
        window.htmx.ajax("GET", path, { source: fragment });
      }
    });
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var fragment = detail.target;
    var request = detail.requestConfig;
    var selfFetch = request && request.elt === fragment && request.verb === "get";
    if (!selfFetch || !detail.shouldSwap || !busyInside(fragment)) return;
    detail.shouldSwap = false;
    fetchWhenIdle(fragment, detail.pathInfo.requestPath);
  });
})();
