// leadflow console: the little that plain HTML cannot do. Every page works without it.
// - <time data-countdown="ISO"> counts down to an SLA breach, every second.
// - <time data-local="ISO"> is left as the server wrote it (already in the viewer's zone).
// - a form with data-confirm asks before it is sent.
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function describe(ms) {
    var late = ms < 0;
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60), sec = s % 60;
    var text = d > 0 ? d + "d " + h + "h" : h > 0 ? h + "h " + pad(m) + "m" : m + "m " + pad(sec) + "s";
    return late ? "breached " + text + " ago" : text + " left";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("time[data-countdown]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-countdown"));
      if (isNaN(due)) { return; }
      var left = due - now;
      el.textContent = describe(left);
      el.classList.toggle("due-late", left < 0);
      el.classList.toggle("due-soon", left >= 0 && left < 5 * 60 * 1000);
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);

  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
  setInterval(tick, 1000);
})();
