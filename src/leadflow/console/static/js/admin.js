// leadflow console, admin pages: small helps on top of forms that work without them.
// - A role <select data-role-select> shows its form's rep field only for the rep role.
// - A button data-copy="ID" copies the value of the input ID (the new key's secret).
(function () {
  "use strict";

  function showRep(select) {
    var form = select.form;
    if (!form) { return; }
    form.querySelectorAll('[data-for-role="rep"]').forEach(function (field) {
      var needed = select.value === "rep";
      field.hidden = !needed;
      if (!needed) {
        var rep = field.querySelector("select");
        if (rep) { rep.value = ""; }
      }
    });
  }

  function copy(button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var said = document.querySelector('[data-copied="' + button.getAttribute("data-copy") + '"]');
    if (!input) { return; }
    input.select();
    var done = function () { if (said) { said.textContent = "Copied."; } };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        if (said) { said.textContent = "Select the key and copy it with Ctrl+C or ⌘C."; }
      });
    } else if (document.execCommand && document.execCommand("copy")) {
      done();
    } else if (said) {
      said.textContent = "Select the key and copy it with Ctrl+C or ⌘C.";
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-role-select]").forEach(function (select) {
      showRep(select);
      select.addEventListener("change", function () { showRep(select); });
    });
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { copy(button); });
    });
  });
})();
