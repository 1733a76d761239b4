// The chat console's small behaviours (htmx does the rest): Enter sends and Shift+Enter
// breaks a line, quick phrases insert at the cursor, the reply box empties once the server
// has taken the reply, and the clock and waiting times count on between polls. The counters
// are for display only: every time that is scored is the server's.
(function () {
  "use strict";

  function replyBox() { return document.getElementById("chat-text"); }

  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (!box || box.id !== "chat-text" || event.key !== "Enter") { return; }
    // Shift+Enter is a new line; Enter while an input method is composing picks a word.
    if (event.shiftKey || event.isComposing || event.keyCode === 229) { return; }
    event.preventDefault();
    if (box.value.trim() && box.form) { box.form.requestSubmit(); }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".phrases__insert") : null;
    var box = replyBox();
    if (!button || !box || box.disabled) { return; }
    var text = button.getAttribute("data-phrase") || "";
    var start = box.selectionStart, end = box.selectionEnd;
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + text.length;
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form || form.id !== "chat-reply" || !event.detail.successful) { return; }
    var box = replyBox();
    if (box) { box.value = ""; box.focus(); }
  });

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  window.setInterval(function () {
    var clock = document.getElementById("chat-clock");
    if (clock) {
      var left = Math.max(0, parseInt(clock.getAttribute("data-seconds-left"), 10) - 1);
      clock.setAttribute("data-seconds-left", String(left));
      var value = clock.querySelector(".chat__clock-value");
      if (value) { value.textContent = Math.floor(left / 60) + ":" + pad(left % 60); }
    }
    var waits = document.querySelectorAll(".chat__wait[data-waiting]");
    for (var i = 0; i < waits.length; i++) {
      var wait = waits[i];
      var seconds = parseInt(wait.getAttribute("data-waiting"), 10) + 1;
      wait.setAttribute("data-waiting", String(seconds));
      var shown = wait.querySelector(".chat__wait-value");
      if (shown) { shown.textContent = String(seconds); }
      var item = wait.closest(".chat__customer");
      if (item) {
        var good = parseInt(wait.getAttribute("data-good"), 10);
        var normal = parseInt(wait.getAttribute("data-normal"), 10);
        item.classList.toggle("chat__customer--amber", seconds > good && seconds <= normal);
        item.classList.toggle("chat__customer--red", seconds > normal);
        item.classList.toggle("chat__customer--good", seconds <= good);
      }
    }
  }, 1000);
})();
