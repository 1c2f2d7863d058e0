// oppforms serve: keyboard help for /controleren. The pages work without this file;
// it only selects the guess (typing replaces it), lets Esc restore it, makes Enter
// accept in a multi-line box (Shift+Enter: new line) and never sends a form twice.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var value = document.getElementById("waarde");
    if (value) {
      value.focus();
      value.select();
      value.addEventListener("keydown", function (event) {
        if (event.key === "Escape") {
          event.preventDefault();
          value.value = value.getAttribute("data-original") || "";
          value.select();
        } else if (event.key === "Enter" && value.tagName === "TEXTAREA" && !event.shiftKey) {
          event.preventDefault();
          value.form.requestSubmit();
        }
      });
    }
    document.querySelectorAll("form[method=post]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
        form.setAttribute("data-sent", "1");
        form.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
      });
    });
  });
})();
