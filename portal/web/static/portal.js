// The portal's own script: small progressive enhancements; the pages work without it.
(function () {
  "use strict";
  // After an htmx swap into the alert area, move focus there so screen readers announce it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "alerts") {
      target.setAttribute("tabindex", "-1");
      target.focus();
    }
  });
  // Confirmation for destructive buttons, declared in markup: data-confirm="...".
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var text = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (text && !window.confirm(text)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  // Module pages: report reading time (only while the tab is visible) and the last
  // heading reached, so that time spent and "where I left off" are recorded.
  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }
  function setUpReading() {
    var article = document.getElementById("module-article");
    if (!article || !article.dataset.readingUrl) { return; }
    var url = article.dataset.readingUrl;
    var last = article.dataset.lastAnchor;
    if (last && !window.location.hash) {
      var target = document.getElementById(last);
      if (target) { target.scrollIntoView(); }
    }
    var visibleSince = document.visibilityState === "visible" ? Date.now() : null;
    var anchor = "";
    var headings = article.querySelectorAll("h2[id], h3[id]");
    function currentAnchor() {
      var found = "";
      for (var i = 0; i < headings.length; i++) {
        if (headings[i].getBoundingClientRect().top < window.innerHeight / 3) { found = headings[i].id; }
      }
      return found;
    }
    function send(useBeacon) {
      var now = Date.now();
      var seconds = visibleSince ? Math.round((now - visibleSince) / 1000) : 0;
      visibleSince = document.visibilityState === "visible" ? now : null;
      anchor = currentAnchor() || anchor;
      if (seconds <= 0 && !anchor) { return; }
      var body = new URLSearchParams({ seconds: String(seconds), anchor: anchor, csrf_token: csrfToken() });
      if (useBeacon && navigator.sendBeacon) { navigator.sendBeacon(url, body); return; }
      fetch(url, { method: "POST", body: body, credentials: "same-origin",
                   headers: { "X-CSRFToken": csrfToken() } }).catch(function () {});
    }
    setInterval(function () { if (document.visibilityState === "visible") { send(false); } }, 30000);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { send(true); }
      else { visibleSince = Date.now(); }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", setUpReading); }
  else { setUpReading(); }
})();
