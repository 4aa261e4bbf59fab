// A small map of the features a page holds (a project's sites, a page of OGC features) or
// names (data-src: a list's projects, fetched from the register itself): no tiles, framed
// to fit, with a scale bar.
(function () {
  "use strict";
  var element = document.getElementById("site-map");
  if (!element || !window.maplibregl) return;
  if (element.hasAttribute("data-features")) {
    draw(JSON.parse(element.getAttribute("data-features")));
  } else if (element.hasAttribute("data-src")) {
    fetch(element.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (sites) { if (sites) draw(sites); });
  }

  function draw(sites) {
  var bounds = new maplibregl.LngLatBounds();
  function extend(coordinates) {
    if (typeof coordinates[0] === "number") bounds.extend(coordinates);
    else coordinates.forEach(extend);
  }
  function geometries(geometry) {
    return geometry.type === "GeometryCollection" ? geometry.geometries : [geometry];
  }
  sites.features.forEach(function (feature) {
    if (feature.geometry) geometries(feature.geometry).forEach(function (g) { extend(g.coordinates); });
  });
  if (bounds.isEmpty()) return;
  var map = new maplibregl.Map({
    container: element,
    style: {
      version: 8,
      sources: { sites: { type: "geojson", data: sites } },
      layers: [
        { id: "background", type: "background", paint: { "background-color": "#f4f1ea" } },
        { id: "areas", type: "fill", source: "sites", filter: ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false],
          paint: { "fill-color": "#b3261e", "fill-opacity": 0.3 } },
        { id: "lines", type: "line", source: "sites",
          filter: ["match", ["geometry-type"], ["Point", "MultiPoint"], false, true], paint: { "line-color": "#b3261e", "line-width": 3 } },
        { id: "points", type: "circle", source: "sites", filter: ["match", ["geometry-type"], ["Point", "MultiPoint"], true, false],
          paint: { "circle-color": "#b3261e", "circle-radius": 6, "circle-stroke-color": "#fff",
                   "circle-stroke-width": 2 } }
      ]
    },
    bounds: bounds,
    fitBoundsOptions: { padding: 40, maxZoom: 15 },
    attributionControl: false
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }));
  }
})();
