// The GraphQL-over-HTTP audit (npm graphql-http) against a running registry.
// node graphql_http_audit.mjs URL  → one JSON line per audit: {id, name, status, reason}
import { auditServer } from "graphql-http";

const url = process.argv[2];
const results = await auditServer({ url });
for (const result of results) {
  console.log(JSON.stringify({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.status === "ok" ? null : result.reason,
  }));
}
