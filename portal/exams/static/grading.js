// The grading page gives up its lock when the grader leaves without saving: the lock
// status line names the release address while this grader holds the lock.
(function () {
  "use strict";
  function release() {
    var status = document.querySelector("#lock-status[data-release-url]");
    var form = document.querySelector(".grading__form");
    if (!status || !form || !navigator.sendBeacon) { return; }
    var data = new FormData();
    var token = form.querySelector("input[name=csrf_token]");
    if (token) { data.append("csrf_token", token.value); }
    data.append("beacon", "1");
    navigator.sendBeacon(status.getAttribute("data-release-url"), data);
  }
  // A successful save leaves the page too; it has already released the lock, so the
  // form says so before it goes.
  document.addEventListener("submit", function (event) {
    if (event.target.classList && event.target.classList.contains("grading__form")) {
      var status = document.getElementById("lock-status");
      if (status) { status.removeAttribute("data-release-url"); }
    }
  }, true);
  window.addEventListener("pagehide", release);
})();
