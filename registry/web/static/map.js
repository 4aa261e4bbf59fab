// The registry's map: projects from the vector tiles, coloured by status; the land parcels
// from their own tiles; a base layer served by the registry (the districts, sketched from
// the register or given by the operator) and, where configured, a tile service. A click
// opens one popup with the project's eight categories and a link to its page; a search
// finds projects by name or code; names are drawn as labels when zoomed in.
(function () {
  "use strict";
  // the page's configuration, a JSON data block (the page runs no inline script: CSP)
  const given = document.getElementById("map-config");
  const config = given ? JSON.parse(given.textContent) : {};
  const crs = config.crs || "wgs84"; // the base map's coordinate system: tiles and search follow it
  const STATUS = {
    planning: ["前期", "#6b7280"], approved: ["已批复", "#2563eb"],
    under_construction: ["在建", "#c2410c"], completed: ["已竣工", "#15803d"], suspended: ["停缓建", "#b91c1c"],
  };
  const CATEGORIES = [
    ["approvalService", "批准服务信息"], ["approvalResults", "批准结果信息"], ["bidding", "招标投标信息"],
    ["landAcquisition", "征收土地信息"], ["designChanges", "重大设计变更信息"], ["construction", "施工有关信息"],
    ["qualitySafety", "质量安全监督信息"], ["completion", "竣工有关信息"],
  ];
  const KEYS = {approvalService: "APPROVAL_SERVICE", approvalResults: "APPROVAL_RESULT", bidding: "BIDDING",
    landAcquisition: "LAND_ACQUISITION", designChanges: "DESIGN_CHANGE", construction: "CONSTRUCTION",
    qualitySafety: "QUALITY_SAFETY", completion: "COMPLETION"};
  const color = ["match", ["get", "status"]].concat(
    ...Object.entries(STATUS).map(([key, [, hex]]) => [key, hex]), ["#6b7280"]);
  const suffix = crs === "wgs84" ? "" : "?crs=" + crs;
  const is = (...types) => ["match", ["geometry-type"], types, true, false];

  const sources = {
    projects: {type: "vector", tiles: [location.origin + "/tiles/{z}/{x}/{y}.mvt" + suffix], maxzoom: 16},
    parcels: {type: "vector", tiles: [location.origin + "/tiles/land-parcels/{z}/{x}/{y}.mvt" + suffix], maxzoom: 16},
    base: {type: "geojson", data: "/map/base.geojson" + suffix},
  };
  const layers = [{id: "background", type: "background", paint: {"background-color": "#f4f1ea"}}];
  if (config.basemap) {
    sources.basemap = {type: "raster", tiles: [config.basemap], tileSize: 256, attribution: config.attribution || ""};
    layers.push({id: "basemap", type: "raster", source: "basemap"});
  }
  layers.push(
    {id: "base-areas", type: "fill", source: "base", paint: {"fill-color": "#78716c", "fill-opacity": 0.08}},
    {id: "base-outlines", type: "line", source: "base",
     paint: {"line-color": "#57534e", "line-width": 1, "line-dasharray": [3, 2]}},
    {id: "parcel-areas", type: "fill", source: "parcels", "source-layer": "land-parcels",
     paint: {"fill-color": "#7c3aed", "fill-opacity": 0.3}},
    {id: "parcel-outlines", type: "line", source: "parcels", "source-layer": "land-parcels",
     paint: {"line-color": "#6d28d9", "line-width": 1.5}},
    {id: "project-areas", type: "fill", source: "projects", "source-layer": "projects",
     filter: is("Polygon", "MultiPolygon"), paint: {"fill-color": color, "fill-opacity": 0.45}},
    {id: "project-outlines", type: "line", source: "projects", "source-layer": "projects",
     filter: is("Polygon", "MultiPolygon"), paint: {"line-color": color, "line-width": 1.5}},
    {id: "project-lines", type: "line", source: "projects", "source-layer": "projects",
     filter: is("LineString", "MultiLineString"), paint: {"line-color": color, "line-width": 4}},
    {id: "project-points", type: "circle", source: "projects", "source-layer": "projects",
     filter: is("Point", "MultiPoint"),
     paint: {"circle-color": color, "circle-radius": 7, "circle-stroke-color": "#fff", "circle-stroke-width": 1.5}});

  const map = new maplibregl.Map({container: "map", center: [115.89, 28.66], zoom: 10.5,
    style: {version: 8, sources, layers}, attributionControl: {compact: true}});
  map.addControl(new maplibregl.NavigationControl(), "top-right");
  map.addControl(new maplibregl.ScaleControl({unit: "metric"}), "bottom-right");
  window.registryMap = map;

  const legend = document.getElementById("statuses");
  Object.values(STATUS).forEach(([name, hex]) => {
    const li = document.createElement("li");
    li.innerHTML = `<span style="background:${hex}"></span>${name}`;
    legend.appendChild(li);
  });
  document.querySelectorAll("#layers input").forEach((box) => box.addEventListener("change", () => {
    box.dataset.layers.split(",").forEach((id) => map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none"));
  }));

  const interactive = ["project-points", "project-lines", "project-areas"];
  map.on("sourcedata", (e) => {
    if (e.sourceId !== "projects" || !e.isSourceLoaded) return;
    const shown = map.queryRenderedFeatures({layers: interactive});
    if (shown.some((f) => f.properties.is_synthetic)) document.querySelector(".synthetic").hidden = false;
  });
  interactive.forEach((layer) => {
    map.on("mouseenter", layer, () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", layer, () => { map.getCanvas().style.cursor = ""; });
  });
  // one click, one popup: the topmost project under the pointer (a site drawn by several
  // layers, or overlapping sites, would otherwise open one popup each)
  let popup = null;
  map.on("click", (e) => {
    const hit = map.queryRenderedFeatures(e.point, {layers: interactive})[0];
    if (hit) showProject(hit.properties.code, e.lngLat);
  });

  function escape(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  }

  async function graphql(query, variables) {
    const response = await fetch("/graphql", {method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({query, variables})});
    return (await response.json()).data;
  }

  async function showProject(code, lngLat) {
    const query = `query Project($code: String!) {
  project(code: $code) {
    code name status isSynthetic
    responsibilities { category categoryNameZh department { name } }
    ${CATEGORIES.map(([field]) => `${field} { id }`).join("\n    ")}
  }
}`;
    const project = (await graphql(query, {code})).project;
    const rows = CATEGORIES.map(([field, name]) => {
      const bodies = project.responsibilities.filter((r) => r.category === KEYS[field]).map((r) => r.department.name);
      const count = project[field].length;
      return `<tr class="${count ? "" : "missing"}"><td>${name}</td><td>${escape(bodies.join("、") || "—")}</td><td class="count">${count}</td></tr>`;
    }).join("");
    if (popup) popup.remove();
    popup = new maplibregl.Popup({maxWidth: "420px"}).setLngLat(lngLat).setHTML(
      `<div class="project"><h2>${escape(project.name)}</h2>
       <div>${escape(project.code)} · ${escape((STATUS[project.status.toLowerCase()] || [project.status])[0])}${project.isSynthetic ? " · 演示数据" : ""}</div>
       <table><tr><td>类别</td><td>公开主体</td><td>条数</td></tr>${rows}</table>
       <a href="/projects/${encodeURIComponent(project.code)}">项目页面 · the project's page</a></div>`).addTo(map);
  }

  // --- search ------------------------------------------------------------------------
  const results = document.getElementById("results");
  document.getElementById("search").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = document.getElementById("search-text").value.trim();
    results.innerHTML = "";
    if (!text) return;
    const data = await graphql(`query Find($text: String!, $crs: OutputCRS) {
  projects(filter: {text: $text}, first: 10) { totalCount nodes { code name sites { geometry(crs: $crs) } } }
}`, {text, crs: crs.toUpperCase()});
    const found = data.projects.nodes;
    if (!found.length) {
      results.innerHTML = "<li>没有找到 · nothing found</li>";
      return;
    }
    found.forEach((project) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = project.name;
      button.title = project.code;
      button.addEventListener("click", () => flyTo(project));
      li.appendChild(button);
      results.appendChild(li);
    });
    if (found.length === 1) flyTo(found[0]);
  });

  function flyTo(project) {
    const bounds = new maplibregl.LngLatBounds();
    const extend = (c) => (typeof c[0] === "number" ? bounds.extend(c) : c.forEach(extend));
    project.sites.forEach((site) => extend(site.geometry.coordinates));
    if (bounds.isEmpty()) return;
    map.fitBounds(bounds, {padding: 80, maxZoom: 15, duration: 600});
    map.once("moveend", () => showProject(project.code, bounds.getCenter()));
  }

  // --- labels: project names when zoomed in, district names always (HTML, no glyph files) ---
  let labels = [];
  function where(feature) {
    const g = feature.geometry;
    const first = (c) => (typeof c[0] === "number" ? c : first(c[Math.floor(c.length / 2)]));
    return first(g.coordinates);
  }
  function drawLabels() {
    labels.forEach((marker) => marker.remove());
    labels = [];
    if (map.getZoom() < 12.5) return;
    const seen = new Set();
    for (const feature of map.queryRenderedFeatures({layers: interactive})) {
      const code = feature.properties.code;
      if (seen.has(code) || seen.size >= 80) continue;
      seen.add(code);
      const element = document.createElement("div");
      element.className = "label";
      element.setAttribute("aria-hidden", "true");
      element.textContent = feature.properties.name;
      labels.push(new maplibregl.Marker({element}).setLngLat(where(feature)).addTo(map));
    }
  }
  map.on("moveend", drawLabels);
  map.on("idle", () => { if (!labels.length) drawLabels(); });

  fetch("/map/base.geojson" + suffix).then((r) => r.json()).then((base) => {
    base.features.filter((f) => f.properties.label_at).forEach((f) => {
      const element = document.createElement("div");
      element.className = "district";
      element.setAttribute("aria-hidden", "true");
      element.textContent = f.properties.name;
      new maplibregl.Marker({element}).setLngLat(f.properties.label_at).addTo(map);
    });
  });
})();
