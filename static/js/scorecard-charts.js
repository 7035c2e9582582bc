// Draws the managers' scorecard charts from their JSON blocks; each table beside a chart carries
// the same figures, and a suppressed figure is a gap (null), never a number.
//
// On the dashboard a chart is drawn when it scrolls near the screen, and Chart.js (210 KB) is fetched
// then: a phone opening the page runs none of it until the figures' tables give way to a chart. The
// print report loads Chart.js itself and has every chart drawn at once.
(function () {
  "use strict";
  var colours = ["#1d70b8", "#d4351c", "#00703c", "#6f3c97"];
  var script = document.currentScript;
  var loading = null;

  function chartJs() {
    if (window.Chart) { return Promise.resolve(); }
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = script.dataset.chartjs;
        tag.onload = resolve;
        tag.onerror = reject;
        document.head.appendChild(tag);
      });
    }
    return loading;
  }

  function draw(canvas) {
    if (canvas.dataset.drawn) { return; }
    canvas.dataset.drawn = "true";
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
  }

  var canvases = Array.prototype.slice.call(document.querySelectorAll("canvas.scorecard-chart"));
  if (window.Chart || !("IntersectionObserver" in window)) {
    chartJs().then(function () { canvases.forEach(draw); });
  } else {
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) { return; }
        observer.unobserve(entry.target);
        chartJs().then(function () { draw(entry.target); });
      });
    }, { rootMargin: "300px 0px" });
    canvases.forEach(function (canvas) { observer.observe(canvas); });
  }
  // Charts are drawn for the screen; draw any not yet drawn and redraw them at the printed size
  // (Chart.js does not by itself).
  window.addEventListener("beforeprint", function () {
    if (!window.Chart) { return; }
    canvases.forEach(draw);
    Object.values(Chart.instances).forEach(function (instance) { instance.resize(); });
  });
  document.querySelectorAll(".scorecard-print").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
