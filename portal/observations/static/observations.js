// The observation grid's keyboard: a digit 1-5 in a score field sets the score and saves the
// cell; arrow keys move to the neighbouring cell's score field. Without this file every cell
// is still a plain form (type a digit, press Enter or the save button).
(function () {
  "use strict";

  var MOVES = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
  var lastFocused = null;

  function isScore(el) {
    return el instanceof HTMLInputElement && el.classList.contains("obs-cell__score");
  }

  function fieldAt(row, col) {
    return document.querySelector('.obs-cell__score[data-position="' + row + "-" + col + '"]');
  }

  // Digits and arrows save and move, so Tab need only stop once per cell: the save buttons
  // (needed without script) leave the tab order.
  function tidy(root) {
    root.querySelectorAll(".obs-cell__save").forEach(function (b) { b.tabIndex = -1; });
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!isScore(input) || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var move = MOVES[event.key];
    if (move) {
      var at = input.dataset.position.split("-");
      var next = fieldAt(Number(at[0]) + move[0], Number(at[1]) + move[1]);
      event.preventDefault();
      if (next) {
        next.focus();
        next.select();
      }
      return;
    }
    if (/^[1-5]$/.test(event.key)) {
      event.preventDefault();
      input.value = event.key;
      input.form.requestSubmit();
      return;
    }
    if (event.key.length === 1) {
      event.preventDefault(); // only 1-5 go into a score field
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var active = document.activeElement;
    lastFocused = active && active.id && event.target.contains(active) ? active.id : null;
  });

  // After a cell is swapped, focus goes back to the same field of the new cell, unless the
  // user has already moved on (an arrow key pressed while the save was on its way).
  document.addEventListener("htmx:afterSettle", function (event) {
    tidy(event.target.parentNode || document);
    if (lastFocused) {
      var field = document.getElementById(lastFocused);
      var active = document.activeElement;
      var lost = !active || active === document.body || !active.isConnected;
      if (field && lost) {
        field.focus();
      }
      lastFocused = null;
    }
  });

  document.addEventListener("DOMContentLoaded", function () { tidy(document); });
}());
