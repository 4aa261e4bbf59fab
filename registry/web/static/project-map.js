// The small map of one project's sites on its page: the sites alone, drawn from the page
// itself (no tiles, nothing fetched), framed to fit, with a scale bar.
(function () {
  "use strict";
  var element = document.getElementById("site-map");
  if (!element || !window.maplibregl) return;
  var sites = JSON.parse(element.getAttribute("data-sites"));
  var bounds = new maplibregl.LngLatBounds();
  function extend(coordinates) {
    if (typeof coordinates[0] === "number") bounds.extend(coordinates);
    else coordinates.forEach(extend);
  }
  sites.features.forEach(function (feature) { extend(feature.geometry.coordinates); });
  var map = new maplibregl.Map({
    container: element,
    style: {
      version: 8,
      sources: { sites: { type: "geojson", data: sites } },
      layers: [
        { id: "background", type: "background", paint: { "background-color": "#f4f1ea" } },
        { id: "areas", type: "fill", source: "sites", filter: ["==", ["geometry-type"], "Polygon"],
          paint: { "fill-color": "#b3261e", "fill-opacity": 0.3 } },
        { id: "lines", type: "line", source: "sites", paint: { "line-color": "#b3261e", "line-width": 3 } },
        { id: "points", type: "circle", source: "sites", filter: ["==", ["geometry-type"], "Point"],
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
})();
