// GraphiQL on /graphql, from the registry's own copy (no CDN, no inline script: CSP).
(function () {
  "use strict";
  const fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
  const query = `# 重大建设项目全链条信息公开 · Major construction project disclosures
# Try: projects near 八一广场 (Bayi Square), with who must publish each category.
{
  projects(near: {lon: 115.905, lat: 28.675, meters: 3000}, first: 5) {
    totalCount
    nodes {
      code name status distance
      responsibilities { category department { name } }
      approvalResults { item { nameZh } approvalDocNo publishedAt }
    }
  }
}`;
  ReactDOM.createRoot(document.getElementById("graphiql"))
    .render(React.createElement(GraphiQL, { fetcher, defaultQuery: query }));
})();
