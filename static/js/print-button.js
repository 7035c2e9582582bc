// The print page's button (inline handlers are blocked by the content security policy).
(function () {
  "use strict";
  document.querySelectorAll(".print-button").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
