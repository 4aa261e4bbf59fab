# Front-end assets (GraphiQL) come from npm at build time and are served by the app itself.
FROM node:20-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error \
 && mkdir vendor \
 && cp node_modules/graphiql/graphiql.min.js node_modules/graphiql/graphiql.min.css \
       node_modules/react/umd/react.production.min.js \
       node_modules/react-dom/umd/react-dom.production.min.js \
       node_modules/maplibre-gl/dist/maplibre-gl.js node_modules/maplibre-gl/dist/maplibre-gl.css vendor/

FROM python:3.11-slim
WORKDIR /app
# Exactly the versions the tests ran with: uv (pinned, hashes checked) installs uv.lock
# into /app/.venv, refusing a lock that disagrees with pyproject.toml.
# UV_COMPILE_BYTECODE: every module compiled once at build, not at each start (the image's
# files are read-only to the service user: it could never cache them itself)
ENV UV_PROJECT_ENVIRONMENT=/app/.venv UV_PYTHON_DOWNLOADS=never UV_NO_CONFIG=1 \
    UV_COMPILE_BYTECODE=1 PATH=/app/.venv/bin:$PATH
COPY scripts/uv-requirements.txt ./scripts/
RUN pip install --no-cache-dir --require-hashes -r scripts/uv-requirements.txt
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-install-project --no-cache
COPY registry ./registry
COPY schema ./schema
COPY loaders ./loaders
COPY --from=assets /build/vendor ./registry/web/static/vendor
RUN uv sync --locked --no-editable --no-cache \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin registry \
 && mkdir -p /var/lib/registry/uploads && chown -R registry /var/lib/registry
# The service runs as an unprivileged user; it writes to the database, and keeps checked
# uploads in /var/lib/registry/uploads (a volume shared by replicas, REGISTRY_UPLOAD_DIR).
USER registry
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=4)"]
CMD ["registry", "serve", "--host", "0.0.0.0", "--host", "::", "--port", "8000"]
