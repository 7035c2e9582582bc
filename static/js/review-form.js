// Pre-fills the suggested attainment level of a due target when its domain's reading is chosen.
// The suggestion for every score comes from the server (data-suggestions), so the rule lives there.
// A refused form moves focus to its error summary, so a screen reader reads what to fix first.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  var selects = document.querySelectorAll("select.outcome-select[data-due='yes']");
  selects.forEach(function (select) {
    select.addEventListener("change", function () { select.dataset.touched = "yes"; });
  });
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.name || input.name.indexOf("reading-") !== 0) return;
    var domain = input.name.slice("reading-".length);
    selects.forEach(function (select) {
      if (select.dataset.domain !== domain || select.dataset.touched === "yes") return;
      var suggestions = JSON.parse(select.dataset.suggestions);
      select.value = suggestions[input.value] || "";
    });
  });
})();
