/* Live updates for server-rendered pages (no build step, no dependencies).
 *
 * Marks up:  <div data-live-stream="/live/cases/REF"
 *                 data-live-fragment="/track/REF?fragment=timeline" aria-live="polite">
 * On each server-sent event from the stream, the fragment URL is fetched again and replaces the
 * element's contents. Several elements may name the same stream (a status summary and a
 * timeline, say): the page opens one connection for them and refreshes each. When EventSource is missing or the stream refuses us, the fragment is
 * polled instead (every data-live-poll seconds, 30 by default). Without JavaScript the page is
 * simply what the server rendered. Bursts are merged: at most one fetch runs at a time.
 */
(function () {
  "use strict";

  var DEFAULT_POLL_S = 30;

  function Live(element) {
    this.element = element;
    this.streamUrl = element.getAttribute("data-live-stream");
    this.fragmentUrl = element.getAttribute("data-live-fragment");
    this.pollSeconds = parseFloat(element.getAttribute("data-live-poll")) || DEFAULT_POLL_S;
    this.fetching = false;
    this.pending = false;
    this.pollTimer = null;
    this.source = null;
    if (!element.hasAttribute("aria-live")) {
      element.setAttribute("aria-live", "polite");
    }
  }

  // One EventSource per stream URL, shared by every element that names it.
  var streams = {};

  Live.prototype.start = function () {
    if (!this.fragmentUrl) {
      return;
    }
    if (!this.streamUrl || typeof window.EventSource !== "function") {
      this.poll();
      return;
    }
    var shared = streams[this.streamUrl];
    if (shared) {
      shared.members.push(this);
      this.source = shared.source;
      return;
    }
    var members = [this];
    var source = new window.EventSource(this.streamUrl, { withCredentials: true });
    streams[this.streamUrl] = { source: source, members: members };
    this.source = source;
    // Every message (an event, or "ready" on a fresh stream) means: fetch the fragments again.
    source.onmessage = function () {
      for (var i = 0; i < members.length; i++) {
        members[i].refresh();
      }
    };
    source.onerror = function () {
      // CONNECTING: the browser retries by itself and resumes with Last-Event-ID.
      // CLOSED: the server refused (signed out, not found): fall back to polling.
      if (source.readyState === window.EventSource.CLOSED) {
        for (var i = 0; i < members.length; i++) {
          members[i].source = null;
          members[i].poll();
        }
      }
    };
  };

  Live.prototype.poll = function () {
    var self = this;
    if (this.pollTimer) {
      return;
    }
    this.pollTimer = window.setInterval(function () {
      if (!document.hidden) {
        self.refresh();
      }
    }, this.pollSeconds * 1000);
  };

  Live.prototype.refresh = function () {
    var self = this;
    if (this.fetching) {
      this.pending = true;
      return;
    }
    this.fetching = true;
    window.fetch(this.fragmentUrl, {
      credentials: "same-origin",
      headers: { "X-Requested-With": "live.js" },
      cache: "no-store"
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("fragment " + response.status);
      }
      return response.text();
    }).then(function (html) {
      self.replace(html);
    }).catch(function () {
      // Keep what is shown; the next event or poll tries again.
    }).then(function () {
      self.fetching = false;
      if (self.pending) {
        self.pending = false;
        self.refresh();
      }
    });
  };

  Live.prototype.replace = function (html) {
    var element = this.element;
    if (element.innerHTML === html) {
      return;
    }
    // Keep keyboard focus where it was when the focused control survives the update.
    var active = document.activeElement;
    var focusId = active && element.contains(active) ? active.id : "";
    // And what was ticked (cases chosen for a bulk action), where the box is still there,
    // with the value it had: a queue row's value names the case as the officer saw it, so a
    // case changed since is reported as such by the bulk action rather than silently taken.
    var ticked = Array.prototype.map.call(
      element.querySelectorAll("input[type=checkbox]:checked"),
      function (box) { return { id: box.id, value: box.value }; });
    element.setAttribute("aria-busy", "true");
    element.innerHTML = html;
    element.removeAttribute("aria-busy");
    ticked.forEach(function (was) {
      var box = was.id ? document.getElementById(was.id) : null;
      if (box && element.contains(box)) {
        box.value = was.value;
        box.checked = true;
      }
    });
    if (focusId) {
      var again = document.getElementById(focusId);
      if (again) {
        again.focus();
      }
    }
    element.dispatchEvent(new window.CustomEvent("live:updated", { bubbles: true }));
  };

  function init(root) {
    var elements = (root || document).querySelectorAll("[data-live-fragment]");
    for (var i = 0; i < elements.length; i++) {
      if (!elements[i].liveUpdates) {
        elements[i].liveUpdates = new Live(elements[i]);
        elements[i].liveUpdates.start();
      }
    }
  }

  window.TownsquareLive = { init: init };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(); });
  } else {
    init();
  }
})();
