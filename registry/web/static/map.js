// The registry's map: projects from the vector tiles, coloured by status; a click shows
// the project's eight categories with their responsible bodies and disclosure counts.
(function () {
  const config = window.REGISTRY_MAP || {};
  const STATUS = {
    planning: ["前期", "#9ca3af"], approved: ["已批复", "#2563eb"],
    under_construction: ["在建", "#ea580c"], completed: ["已竣工", "#16a34a"], suspended: ["停缓建", "#dc2626"],
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

  const sources = {projects: {type: "vector", tiles: [location.origin + "/tiles/{z}/{x}/{y}.mvt"], maxzoom: 16}};
  const layers = [{id: "background", type: "background", paint: {"background-color": "#f4f1ea"}}];
  if (config.basemap) {
    sources.basemap = {type: "raster", tiles: [config.basemap], tileSize: 256, attribution: config.attribution || ""};
    layers.push({id: "basemap", type: "raster", source: "basemap"});
  }
  layers.push(
    {id: "project-areas", type: "fill", source: "projects", "source-layer": "projects",
     filter: ["==", ["geometry-type"], "Polygon"], paint: {"fill-color": color, "fill-opacity": 0.45}},
    {id: "project-outlines", type: "line", source: "projects", "source-layer": "projects",
     filter: ["==", ["geometry-type"], "Polygon"], paint: {"line-color": color, "line-width": 1.5}},
    {id: "project-lines", type: "line", source: "projects", "source-layer": "projects",
     filter: ["==", ["geometry-type"], "LineString"], paint: {"line-color": color, "line-width": 4}},
    {id: "project-points", type: "circle", source: "projects", "source-layer": "projects",
     filter: ["==", ["geometry-type"], "Point"],
     paint: {"circle-color": color, "circle-radius": 7, "circle-stroke-color": "#fff", "circle-stroke-width": 1.5}});

  const map = new maplibregl.Map({container: "map", center: [115.89, 28.66], zoom: 10.5,
    style: {version: 8, sources, layers}, attributionControl: {compact: true}});
  map.addControl(new maplibregl.NavigationControl());
  window.registryMap = map;

  const legend = document.getElementById("statuses");
  Object.values(STATUS).forEach(([name, hex]) => {
    const li = document.createElement("li");
    li.innerHTML = `<span style="background:${hex}"></span>${name}`;
    legend.appendChild(li);
  });

  const interactive = ["project-points", "project-lines", "project-areas"];
  map.on("sourcedata", (e) => {
    if (e.sourceId !== "projects" || !e.isSourceLoaded) return;
    const shown = map.queryRenderedFeatures({layers: interactive});
    if (shown.some((f) => f.properties.is_synthetic)) document.querySelector(".synthetic").hidden = false;
  });
  interactive.forEach((layer) => {
    map.on("mouseenter", layer, () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", layer, () => { map.getCanvas().style.cursor = ""; });
    map.on("click", layer, (e) => showProject(e.features[0].properties.code, e.lngLat));
  });

  function escape(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  }

  async function showProject(code, lngLat) {
    const query = `query Project($code: String!) {
  project(code: $code) {
    code name status isSynthetic
    responsibilities { category categoryNameZh department { name } }
    ${CATEGORIES.map(([field]) => `${field} { id }`).join("\n    ")}
  }
}`;
    const response = await fetch("/graphql", {method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({query, variables: {code}})});
    const project = (await response.json()).data.project;
    const rows = CATEGORIES.map(([field, name]) => {
      const bodies = project.responsibilities.filter((r) => r.category === KEYS[field]).map((r) => r.department.name);
      const count = project[field].length;
      return `<tr class="${count ? "" : "missing"}"><td>${name}</td><td>${escape(bodies.join("、") || "—")}</td><td class="count">${count}</td></tr>`;
    }).join("");
    const link = "/graphql?query=" + encodeURIComponent(query) + "&variables=" + encodeURIComponent(JSON.stringify({code}));
    new maplibregl.Popup({maxWidth: "420px"}).setLngLat(lngLat).setHTML(
      `<div class="project"><h2>${escape(project.name)}</h2>
       <div>${escape(project.code)} · ${escape((STATUS[project.status.toLowerCase()] || [project.status])[0])}${project.isSynthetic ? " · 演示数据" : ""}</div>
       <table><tr><td>类别</td><td>公开主体</td><td>条数</td></tr>${rows}</table>
       <a href="${link}" target="_blank">GraphQL 查询</a></div>`).addTo(map);
  }
})();
