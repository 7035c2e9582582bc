// Draws each star radar from its JSON block; the table beside it carries the same figures.
(function () {
  "use strict";
  var colours = ["#1d70b8", "#d4351c", "#00703c", "#6f3c97"];
  document.querySelectorAll("canvas.star-chart").forEach(function (canvas) {
    var spec = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
    new Chart(canvas, {
      type: "radar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (dataset, index) {
          return {
            label: dataset.label,
            data: dataset.data,
            borderColor: colours[index % colours.length],
            backgroundColor: colours[index % colours.length] + "22",
            borderDash: index === 0 ? [6, 4] : [],
            spanGaps: true
          };
        })
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { r: { min: spec.min, max: spec.max, ticks: { stepSize: 1 } } }
      }
    });
  });
})();
