// /leads on a phone: the filters other than the search fold away behind a "Filters" button
// (unless some are set), so that the leads come first. Without JavaScript every filter shows.
(function () {
  "use strict";

  function setUp() {
    var form = document.getElementById("lead-filters");
    if (!form) { return; }
    var toggle = form.querySelector(".filter-toggle");
    var more = document.getElementById("filter-more");
    if (!toggle || !more || !window.matchMedia("(max-width: 700px)").matches) { return; }
    var anySet = Array.prototype.some.call(more.querySelectorAll("select, input"), function (el) {
      return el.value !== "";
    });
    function show(open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      form.classList.toggle("filters-folded", !open);
    }
    toggle.hidden = false;
    show(anySet);
    toggle.addEventListener("click", function () {
      show(toggle.getAttribute("aria-expanded") !== "true");
    });
  }

  document.addEventListener("DOMContentLoaded", setUp);
})();
