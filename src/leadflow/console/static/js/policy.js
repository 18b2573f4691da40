// The policy editor: what plain HTML cannot do. The page works without it.
// - a problem's link puts the caret at its line and column in the editor;
// - the line numbers follow the text as it is typed and scrolled;
// - Dry run says that it is replaying while the server works.
(function () {
  "use strict";

  function init() {
    var text = document.getElementById("policy-text");
    var gutter = document.querySelector(".editor .gutter");
    if (!text || !gutter) { return; }

    function renumber() {
      var want = text.value.split("\n").length;
      var have = gutter.children.length;
      for (; have < want; have++) {
        var span = document.createElement("span");
        span.textContent = String(have + 1);
        gutter.appendChild(span);
      }
      for (; have > want; have--) { gutter.removeChild(gutter.lastChild); }
      gutter.scrollTop = text.scrollTop;
    }

    function goTo(line, column) {
      var lines = text.value.split("\n");
      var offset = 0;
      for (var i = 0; i < line - 1 && i < lines.length; i++) { offset += lines[i].length + 1; }
      offset += Math.min(Math.max(column - 1, 0), (lines[line - 1] || "").length);
      text.focus();
      text.setSelectionRange(offset, offset);
      var height = parseFloat(window.getComputedStyle(text).lineHeight) || 20;
      text.scrollTop = Math.max(0, (line - 1) * height - text.clientHeight / 3);
      gutter.scrollTop = text.scrollTop;
      text.scrollIntoView({ block: "nearest" });
    }

    text.addEventListener("input", renumber);
    text.addEventListener("scroll", function () { gutter.scrollTop = text.scrollTop; });
    if (window.ResizeObserver) { new ResizeObserver(function () { gutter.scrollTop = text.scrollTop; }).observe(text); }

    document.addEventListener("click", function (event) {
      var link = event.target instanceof Element ? event.target.closest("a[data-line]") : null;
      if (!link) { return; }
      event.preventDefault();
      goTo(parseInt(link.getAttribute("data-line"), 10) || 1, parseInt(link.getAttribute("data-column"), 10) || 1);
    });

    var form = document.getElementById("policy-form");
    var status = document.getElementById("replaying");
    if (form && status) {
      form.addEventListener("submit", function (event) {
        var by = event.submitter;
        if (!by || !by.hasAttribute("data-replay")) { return; }
        var days = (document.getElementById("days") || {}).value || "7";
        status.textContent = "Replaying the leads of the last " + days + " days…";
        form.setAttribute("aria-busy", "true");
      });
    }
    renumber();
  }

  document.addEventListener("DOMContentLoaded", init);
})();
