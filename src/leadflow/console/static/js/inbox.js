// The inbox's list refreshes itself: htmx polls #inbox-leads, and swaps it only when the list
// changed. A refresh must not take away what the rep was doing: an outcome chosen but not yet
// recorded is chosen again in the new list (when that lead still offers it), and the focus
// stays where it was. After an action, the focus goes to its message.
(function () {
  "use strict";

  var chosen = {};
  var focused = null;
  var acted = false;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var box = document.getElementById("inbox-leads");
    if (!box || event.detail.target !== box) { return; }
    chosen = {};
    box.querySelectorAll("select").forEach(function (select) {
      if (select.value) { chosen[select.id] = select.value; }
    });
    var active = document.activeElement;
    focused = active && active.id && box.contains(active) ? active.id : null;
    acted = event.detail.elt !== box;  // a form of the list, not the poll
  });

  document.addEventListener("htmx:afterSettle", function () {
    Object.keys(chosen).forEach(function (id) {
      var select = document.getElementById(id);
      if (select && select.querySelector('option[value="' + CSS.escape(chosen[id]) + '"]')) {
        select.value = chosen[id];
      }
    });
    var message = document.querySelector("#inbox-leads .flash");
    var again = focused && document.getElementById(focused);
    if (acted && message) { message.focus(); } else if (again) { again.focus(); }
    chosen = {};
    focused = null;
    acted = false;
  });
})();
