"""HTTP routes that are not GraphQL (maps, open data, report page), one error body, and
the static files. Handlers translate between HTTP and registry functions; nothing else."""
