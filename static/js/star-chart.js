// Draws each star radar from its JSON block (outcomes/charts.py), lets the viewer choose which
// readings to overlay, and draws a small line per domain over time when it scrolls near the
// screen. The table beside each chart carries the same figures, so without JavaScript nothing is lost.
(function () {
  "use strict";
  // By kind, so a reading keeps its colour whichever others are chosen; contrast ≥ 3:1 on white.
  var KIND_COLOURS = { first: "#1d70b8", latest: "#d4351c", family: "#00703c", previous: "#6f3c97", child: "#7b5600" };
  var OTHER_COLOURS = ["#505a5f", "#005a5a", "#003078"];

  function colour(dataset, index) {
    return KIND_COLOURS[dataset.kind] || OTHER_COLOURS[index % OTHER_COLOURS.length];
  }

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  // "2026-05-26" -> "May 2026": short enough for a small chart's axis.
  function month(iso) {
    return MONTHS[parseInt(iso.slice(5, 7), 10) - 1] + " " + iso.slice(0, 4);
  }

  function narrow(chart) {
    return chart.width < 500;
  }

  // A long area name becomes lines of at most `width` characters, so it is wrapped, not clipped.
  function wrap(text, width) {
    var lines = [];
    text.split(" ").forEach(function (word) {
      var last = lines.length - 1;
      if (last >= 0 && (lines[last] + " " + word).length <= width) lines[last] += " " + word;
      else lines.push(word);
    });
    return lines;
  }

  function stageAt(spec, value) {
    return spec.stages.find(function (stage) { return stage.max === value; });
  }

  // Rings at the top of each stage, labelled with its name: the scale reads in words, not 1-10.
  // Chart.js never labels a radar's first tick, so the scale's minimum (the centre) comes first.
  function stageTicks(spec) {
    return function (scale) {
      if (!spec.stages.length) return;
      scale.ticks = [{ value: spec.min }].concat(spec.stages.map(function (stage) { return { value: stage.max }; }));
    };
  }

  function chartDataset(dataset, index) {
    var line = colour(dataset, index);
    return {
      label: dataset.label,
      data: dataset.values,
      kind: dataset.kind,
      borderColor: line,
      backgroundColor: line + "22",
      pointBackgroundColor: line,
      borderDash: dataset.kind === "first" ? [6, 4] : [],
      spanGaps: true
    };
  }

  function radarOptions(spec, fixed) {
    return {
      animation: false,
      responsive: true,
      maintainAspectRatio: !fixed,
      aspectRatio: 1,
      plugins: {
        // Only drawn readings are listed; the choices below the chart are how to change them.
        legend: {
          onClick: function () {},
          labels: { filter: function (item, data) { return data.datasets[item.datasetIndex].data.some(function (v) { return v !== null; }); } }
        }
      },
      scales: {
        r: {
          min: spec.min,
          max: spec.max,
          afterBuildTicks: stageTicks(spec),
          ticks: {
            stepSize: Math.max(1, Math.ceil((spec.max - spec.min) / 5)),
            backdropColor: "rgba(255, 255, 255, 0.85)",
            color: "#0b0c0c",
            font: function (context) { return { size: narrow(context.chart) ? 10 : 12 }; },
            callback: function (value) {
              var stage = stageAt(spec, value);
              return stage ? value + " " + stage.name : value;
            }
          },
          pointLabels: {
            color: "#0b0c0c",
            font: function (context) { return { size: narrow(context.chart) ? 11 : 13 }; },
            callback: function (label) { return wrap(label, Math.max(10, Math.round(this.chart.width / 28))); }
          }
        }
      }
    };
  }

  // One checkbox per reading; ticking redraws the radar with exactly the chosen ones.
  function choices(canvas, spec, chart) {
    var fieldset = document.createElement("fieldset");
    fieldset.className = "star-choices";
    var legend = document.createElement("legend");
    legend.textContent = "Readings on the star";
    fieldset.append(legend);
    spec.datasets.forEach(function (dataset, index) {
      var id = canvas.id + "-show-" + index;
      var box = document.createElement("input");
      box.type = "checkbox";
      box.id = id;
      box.checked = dataset.shown;
      box.dataset.kind = dataset.kind;
      var label = document.createElement("label");
      label.htmlFor = id;
      var swatch = document.createElement("span");
      swatch.className = "swatch swatch-" + (KIND_COLOURS[dataset.kind] ? dataset.kind : "other-" + (index % OTHER_COLOURS.length));
      swatch.setAttribute("aria-hidden", "true");
      label.append(swatch, dataset.label);
      var item = document.createElement("div");
      item.className = "star-choice";
      item.append(box, label);
      fieldset.append(item);
      box.addEventListener("change", function () {
        dataset.shown = box.checked;
        chart.data.datasets = drawn(spec);
        chart.update();
      });
    });
    canvas.closest("figure").after(fieldset);
  }

  function drawn(spec) {
    return spec.datasets.map(chartDataset).filter(function (dataset, index) { return spec.datasets[index].shown; });
  }

  function drawStar(canvas, spec) {
    var fixed = canvas.closest(".chart-fixed") !== null;
    var chart = new Chart(canvas, { type: "radar", data: { labels: spec.labels, datasets: drawn(spec) }, options: radarOptions(spec, fixed) });
    if (spec.datasets.length > 1 && !fixed) choices(canvas, spec, chart);
    canvas.dataset.drawn = "true";
    return chart;
  }

  function reviews(spec) {
    return spec.datasets.filter(function (dataset) { return dataset.kind !== "family" && dataset.kind !== "child" && dataset.date; });
  }

  // Named with its figures for screen readers; the readings table has the same ones.
  function lineLabel(name, points) {
    var said = points.map(function (point) {
      return (point.value === null ? "not assessed" : point.value) + " on " + point.label.replace(/^[^(]*\(|\)$/g, "");
    });
    return name + " over time: " + said.join(", ") + ".";
  }

  function lineChart(canvas, name, points, spec, row) {
    new Chart(canvas, {
      type: "line",
      data: {
        labels: points.map(function (p) { return month(p.date); }),
        datasets: [{ label: name, data: points.map(function (p) { return p.values[row]; }), borderColor: "#1d70b8",
                     backgroundColor: "#1d70b8", spanGaps: true }]
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: true, aspectRatio: 1.6, layout: { padding: 6 },
        plugins: { legend: { display: false } },
        scales: { y: { min: spec.min, max: spec.max, ticks: { stepSize: Math.max(1, Math.ceil((spec.max - spec.min) / 4)) } },
                  x: { ticks: { maxRotation: 0, autoSkip: false,
                                callback: function (value, index, ticks) { return index === 0 || index === ticks.length - 1 ? this.getLabelForValue(value) : ""; } } } }
      }
    });
  }

  // Charts waiting to be drawn, one per task: a long run of charts in one task would keep a phone
  // from answering a tap until the last was drawn.
  var queue = [];
  function later(draw) {
    queue.push(draw);
    if (queue.length === 1) setTimeout(next, 0);
  }
  function next() {
    try {
      queue[0]();
    } finally {
      queue.shift();
      if (queue.length) setTimeout(next, 0);
    }
  }

  // A line is drawn when it scrolls near the screen: on a phone they sit below the star and its
  // table, so opening the page draws none of them. Printing draws whatever is left at once.
  var waiting = [];
  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) return;
      observer.unobserve(entry.target);
      later(entry.target.draw);
    });
  }, { rootMargin: "300px 0px" }) : null;
  window.addEventListener("beforeprint", function () {
    waiting.forEach(function (canvas) { canvas.draw(); });
  });

  // The figures, captions and labels are on the page at once (their boxes reserved in app.css, so
  // nothing below moves when a line is drawn); each chart is drawn when it is first needed.
  function drawLines(container, spec, lazy) {
    var points = reviews(spec);
    if (points.length < 2) return;
    spec.labels.forEach(function (name, row) {
      var figure = document.createElement("figure");
      figure.className = "chart domain-line";
      var caption = document.createElement("figcaption");
      caption.textContent = name;
      var canvas = document.createElement("canvas");
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", lineLabel(name, points.map(function (p) { return { label: p.label, value: p.values[row] }; })));
      figure.append(caption, canvas);
      container.append(figure);
      canvas.draw = function () {
        if (canvas.drawn) return;
        canvas.drawn = true;
        lineChart(canvas, name, points, spec, row);
      };
      if (lazy && observer) {
        waiting.push(canvas);
        observer.observe(canvas);
      } else {
        canvas.draw();
      }
    });
    var heading = container.parentElement.querySelector(".domain-lines-heading");
    if (heading) heading.hidden = false;
  }

  function drawAll(root) {
    root.querySelectorAll("canvas.star-chart[data-chart]:not([data-drawn])").forEach(function (canvas) {
      drawStar(canvas, JSON.parse(document.getElementById(canvas.dataset.chart).textContent));
    });
    root.querySelectorAll(".domain-lines[data-chart]").forEach(function (container) {
      drawLines(container, JSON.parse(document.getElementById(container.dataset.chart).textContent), true);
    });
  }

  Chart.defaults.color = "#0b0c0c";
  window.StarChart = { drawStar: drawStar, drawLines: drawLines, drawAll: drawAll };
  // The page's words are painted first and the star just after (the next task after a frame):
  // a phone shows the child's page without waiting for Chart.js's first draw. A drawn star's
  // canvas carries data-drawn.
  requestAnimationFrame(function () { setTimeout(function () { drawAll(document); }, 0); });
})();
