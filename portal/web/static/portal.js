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

  // Exams: every change is saved at once (htmx), each save carries a rising revision so a
  // late request never overwrites a newer answer; a failed save keeps the answer in the
  // page, shows a banner and retries; the countdown follows the server's time left.
  var pendingRetry = {};
  var failing = 0;
  function banner(text, kind) {
    var el = document.getElementById("connection-banner");
    if (!el) { return; }
    if (!text) { el.hidden = true; el.textContent = ""; return; }
    el.hidden = false;
    el.className = "connection-banner connection-banner--" + kind;
    el.textContent = text;
  }
  function isAutosave(elt) { return elt && elt.hasAttribute && elt.hasAttribute("data-autosave"); }
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (!isAutosave(form)) { return; }
    var next = (parseInt(form.getAttribute("data-revision") || "0", 10) || 0) + 1;
    form.setAttribute("data-revision", String(next));
    event.detail.parameters.revision = String(next);
  });
  function scheduleRetry(form) {
    var id = form.getAttribute("hx-post");
    if (pendingRetry[id]) { return; }
    var delay = Math.min(10000, 1000 * Math.pow(2, Math.min(failing, 4)));
    pendingRetry[id] = setTimeout(function () {
      delete pendingRetry[id];
      htmx.trigger(form, "retry");
    }, delay);
  }
  // The question whose save failed stays marked (its box, its note, its navigator item)
  // until a save of it succeeds.
  function markUnsaved(form, unsaved) {
    var section = form.closest(".question");
    if (!section) { return; }
    var position = section.id.replace(/^q/, "");
    section.classList.toggle("question--unsaved", unsaved);
    var note = document.getElementById("unsaved-" + position);
    if (note) { note.hidden = !unsaved; }
    var nav = document.getElementById("nav-" + position);
    if (nav) { nav.classList.toggle("nav-item--unsaved", unsaved); }
  }
  function saveFailed(form) {
    failing += 1;
    banner("网络连接中断：你的答案仍保留在页面上，正在自动重试保存……", "error");
    markUnsaved(form, true);
    scheduleRetry(form);
  }
  document.addEventListener("htmx:sendError", function (event) {
    if (isAutosave(event.detail.elt)) { saveFailed(event.detail.elt); }
  });
  document.addEventListener("htmx:responseError", function (event) {
    var form = event.detail.elt;
    if (!isAutosave(form)) { return; }
    var status = event.detail.xhr.status;
    if (status === 409) {  // the attempt was submitted or its time is up
      var exam = document.getElementById("exam");
      banner("考试已结束，正在打开成绩页……", "error");
      if (exam) { setTimeout(function () { window.location.assign(exam.getAttribute("data-result-url")); }, 1500); }
      return;
    }
    if (status >= 500 || status === 0) { saveFailed(form); }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!isAutosave(form) || !event.detail.successful) { return; }
    var left = event.detail.xhr.getResponseHeader("X-Seconds-Left");
    if (left !== null) { setCountdown(parseInt(left, 10)); }
    // After a stale save (another tab saved a newer answer, which the server swapped into
    // this page) count on from the stored revision, so the next change here is newer again.
    var stored = parseInt(event.detail.xhr.getResponseHeader("X-Revision") || "", 10);
    var mine = parseInt(form.getAttribute("data-revision") || "0", 10) || 0;
    if (!isNaN(stored) && stored > mine) { form.setAttribute("data-revision", String(stored)); }
    markUnsaved(form, false);
    if (failing > 0) {
      failing = 0;
      banner("连接已恢复，答案已保存。", "ok");
      setTimeout(function () { if (failing === 0) { banner(""); } }, 5000);
    }
  });
  // A stale save swaps the kept answer into the question (out of band). Replacing a field
  // that has focus and an unsaved edit makes the browser fire "change" on it; that event
  // must not save again, or "已保存" would replace the receipt that explains what happened.
  var replacedInputs = null;
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.classList && target.classList.contains("question__inputs")) { replacedInputs = target; }
  });
  document.addEventListener("htmx:oobAfterSwap", function () { replacedInputs = null; });
  document.addEventListener("change", function (event) {
    if (replacedInputs && replacedInputs.contains(event.target)) { event.stopPropagation(); }
  }, true);
  window.addEventListener("online", function () {
    document.querySelectorAll("form[data-autosave]").forEach(function (form) {
      var id = form.getAttribute("hx-post");
      if (pendingRetry[id]) { clearTimeout(pendingRetry[id]); delete pendingRetry[id]; htmx.trigger(form, "retry"); }
    });
  });
  var deadlineAt = null;
  function setCountdown(seconds) {
    if (!isNaN(seconds)) { deadlineAt = Date.now() + seconds * 1000; }
  }
  function tick() {
    var el = document.getElementById("countdown");
    if (!el || deadlineAt === null) { return; }
    var left = Math.max(0, Math.round((deadlineAt - Date.now()) / 1000));
    var minutes = Math.floor(left / 60), seconds = left % 60;
    el.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    el.classList.toggle("countdown--low", left <= 60);
    // The time warning is shown once, as an alert that screen readers announce.
    var warning = document.getElementById("time-warning");
    var warnAt = parseInt(el.getAttribute("data-warning-seconds") || "0", 10) || 0;
    if (warning && warnAt > 0 && left > 0 && left <= warnAt && warning.hidden) {
      warning.hidden = false;
      warning.textContent = warning.getAttribute("data-text");
    }
    if (left === 0) {
      var exam = document.getElementById("exam");
      deadlineAt = null;
      if (exam) { window.location.assign(exam.getAttribute("data-result-url")); }
    }
  }
  // On a phone the question navigator starts folded; the bar's "题目导航" link, always in
  // view, unfolds it and takes the trainee there.
  function setUpNavigator() {
    var details = document.querySelector(".exam__nav-details");
    if (!details) { return; }
    if (window.matchMedia("(max-width: 48rem)").matches) { details.open = false; }
    var jump = document.querySelector(".exam__nav-jump");
    if (jump) {
      jump.addEventListener("click", function () { details.open = true; });
    }
  }
  function setUpCountdown() {
    setUpNavigator();
    var el = document.getElementById("countdown");
    if (!el) { return; }
    setCountdown(parseInt(el.getAttribute("data-seconds-left"), 10));
    setInterval(tick, 1000);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", setUpCountdown); }
  else { setUpCountdown(); }
})();
