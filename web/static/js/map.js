/* The coordinator's map: draws the prefecture's municipalities from the TopoJSON file named by data-topology and
   colours each town by the class the server computed (the table rows carry it: data-code5, data-class,
   data-value, data-url). Colour is never the only cue: each class also has a pattern, and towns large enough
   show their name and value. The map repeats the table (the accessible version), so the SVG is hidden from
   assistive technology and its links are out of the tab order; the table's links lead to the same pages.
   Libraries: d3-geo, d3-array and topojson-client (UMD files in /static/vendor, no build step). */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var WIDTH = 720, HEIGHT = 560, LABEL_AREA = 1400;

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function rowsByCode(table) {
    var rows = {};
    Array.prototype.forEach.call(table.querySelectorAll("tbody tr[data-code5]"), function (tr) {
      rows[tr.getAttribute("data-code5")] = {
        cls: tr.getAttribute("data-class"), value: tr.getAttribute("data-value"),
        name: tr.getAttribute("data-name"), url: tr.getAttribute("data-url")
      };
    });
    return rows;
  }

  function draw(container, topology, rows) {
    var all = topojson.feature(topology, topology.objects.towns).features;
    var listed = all.filter(function (f) { return rows[f.properties.code]; });
    var fit = { type: "FeatureCollection", features: listed.length ? listed : all };
    var projection = d3.geoMercator().fitExtent([[8, 8], [WIDTH - 8, HEIGHT - 8]], fit);
    var path = d3.geoPath(projection);
    var svg = el("svg", { viewBox: "0 0 " + WIDTH + " " + HEIGHT, class: "town-map-svg", "aria-hidden": "true",
                          focusable: "false" });
    var shapes = el("g", { class: "map-shapes" }, svg);
    var labels = el("g", { class: "map-labels" }, svg);
    all.forEach(function (feature) {
      var d = path(feature);
      if (!d) { return; }
      var row = rows[feature.properties.code];
      if (!row) {
        el("path", { d: d, class: "map-unlisted" }, shapes);
        return;
      }
      var link = el("a", { href: row.url, tabindex: "-1" }, shapes);
      var title = el("title", {}, link);
      title.textContent = row.name + ": " + row.value;
      el("path", { d: d, class: "map-town map-fill-" + row.cls }, link);
      el("path", { d: d, class: "map-pattern-" + row.cls }, link);
      if (path.area(feature) >= LABEL_AREA) {
        var c = path.centroid(feature);
        var text = el("text", { x: c[0].toFixed(1), y: c[1].toFixed(1), class: "map-label" }, labels);
        el("tspan", { x: c[0].toFixed(1), dy: "-0.2em" }, text).textContent = row.name;
        el("tspan", { x: c[0].toFixed(1), dy: "1.2em", class: "map-label-value" }, text).textContent = row.value;
      }
    });
    container.textContent = "";
    container.appendChild(svg);
    container.setAttribute("data-drawn", String(listed.length));
  }

  function start() {
    var container = document.getElementById("town-map");
    if (!container || !window.d3 || !window.topojson) { return; }
    var table = document.getElementById(container.getAttribute("data-table"));
    var rows = table ? rowsByCode(table) : {};
    fetch(container.getAttribute("data-topology"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("boundary data: HTTP " + response.status); }
        return response.json();
      })
      .then(function (topology) { draw(container, topology, rows); })
      .catch(function () { container.setAttribute("data-drawn", "failed"); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
