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
})();
