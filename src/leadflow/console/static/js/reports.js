// /reports and the HTML report: draw each chart of the JSON block #report-charts on its
// <canvas data-chart="id"> with Chart.js. The tables under the charts hold the same numbers,
// so without JavaScript (or Chart.js) nothing is lost but the pictures.
(function () {
  "use strict";

  var UNITS = {
    "%": function (v) { return v === null || v === undefined ? "—" : v + "%"; },
    "": function (v) { return v === null || v === undefined ? "—" : String(v); }
  };

  function withUnit(config, unit) {
    var show = UNITS[unit] || UNITS[""];
    var options = config.options || (config.options = {});
    var y = ((options.scales || (options.scales = {})).y) || (options.scales.y = {});
    (y.ticks || (y.ticks = {})).callback = show;
    var plugins = options.plugins || (options.plugins = {});
    plugins.tooltip = {
      callbacks: {
        label: function (item) { return item.dataset.label + ": " + show(item.raw); }
      }
    };
    return config;
  }

  function draw() {
    var block = document.getElementById("report-charts");
    if (!block || typeof window.Chart !== "function") { return; }
    var drawn = {};
    JSON.parse(block.textContent).forEach(function (spec) {
      var canvas = document.querySelector('canvas[data-chart="' + spec.id + '"]');
      if (!canvas) { return; }
      drawn[spec.id] = new window.Chart(canvas, withUnit(spec.config, spec.unit));
    });
    window.leadflowCharts = drawn;  // the browser tests look here
    document.documentElement.classList.add("charts-drawn");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
