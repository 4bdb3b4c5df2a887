/* Progress dashboard charts: each <table data-chart> is the data; this script draws it with Chart.js into the
   <div data-chart-for="table id"> above it. The table and the text summary stay visible (JIS X 8341-3): the canvas
   is an image with a text alternative that repeats the table's rows. Without JavaScript nothing is lost. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }
  var COLOURS = ["#1d4ed8", "#047857", "#b45309", "#b91c1c", "#6d28d9", "#0f766e", "#4b5563"];

  function rowsOf(table) {
    var rows = [];
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      var head = tr.querySelector("th");
      var cell = tr.querySelector("td[data-value]");
      if (head && cell) { rows.push({ label: head.textContent.trim(), value: Number(cell.dataset.value) }); }
    });
    return rows;
  }

  function draw(table) {
    var holder = document.querySelector('[data-chart-for="' + table.id + '"]');
    if (!holder) { return; }
    var rows = rowsOf(table);
    var unit = table.dataset.unit || "";
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", (table.dataset.chartTitle || "") + "のグラフ：" + rows.map(function (r) {
      return r.label + " " + r.value + unit;
    }).join("、") + "（下の表と同じ内容）");
    holder.appendChild(canvas);
    holder.classList.add("dash-chart-drawn");
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: rows.map(function (r) { return r.label; }),
        datasets: [{ data: rows.map(function (r) { return r.value; }), backgroundColor: COLOURS[0],
                     borderColor: "#1e293b", borderWidth: 1 }]
      },
      options: {
        indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: false },
                   tooltip: { callbacks: { label: function (c) { return c.parsed.x + unit; } } } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0, color: "#1f2937" } },
                  y: { ticks: { color: "#1f2937" } } }
      }
    });
  }

  function start() { document.querySelectorAll("table[data-chart]").forEach(draw); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
