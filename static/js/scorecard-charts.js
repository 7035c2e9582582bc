// Draws the managers' scorecard charts from their JSON blocks; each table beside a chart carries
// the same figures, and a suppressed figure is a gap (null), never a number.
(function () {
  "use strict";
  var colours = ["#1d70b8", "#d4351c", "#00703c", "#6f3c97"];
  document.querySelectorAll("canvas.scorecard-chart").forEach(function (canvas) {
    var spec = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
    var y = { title: { display: true, text: spec.y_label } };
    if (spec.min !== undefined) { y.min = spec.min; }
    if (spec.max !== undefined) { y.max = spec.max; }
    new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (dataset, index) {
          return {
            label: dataset.label,
            data: dataset.data,
            borderColor: colours[index % colours.length],
            backgroundColor: spec.type === "bar" ? colours[index % colours.length] : colours[index % colours.length] + "22",
            spanGaps: false
          };
        })
      },
      options: { animation: false, maintainAspectRatio: false, scales: { y: y } }
    });
  });
  // Charts are drawn for the screen; redraw them at the printed size (Chart.js does not by itself).
  window.addEventListener("beforeprint", function () {
    Object.values(Chart.instances).forEach(function (instance) { instance.resize(); });
  });
  document.querySelectorAll(".scorecard-print").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
