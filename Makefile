# The two set-up commands of the README: `make run` and `make test`. Both are idempotent.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST4  ?= 127.0.0.1
HOST6  ?= ::1
PORT   ?= 8000

export DATABASE_URL ?= postgresql+psycopg://registry:registry@127.0.0.1:5432/registry
export TEST_DATABASE_URL ?= postgresql+psycopg://registry:registry@127.0.0.1:5432/registry_test
CHAOS_PORT ?= 5439
export CHAOS_DATABASE_URL ?= postgresql+psycopg://registry:registry@127.0.0.1:$(CHAOS_PORT)/registry_chaos

# Python dependencies are installed from uv.lock, exactly (hashes checked); uv itself is pinned
# with its hashes in scripts/uv-requirements.txt. `make upgrade` is the one way to move them.
TOOLS  ?= .tools
UV     := $(TOOLS)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON ?= $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_NO_CONFIG := 1

.PHONY: run test fuzz chaos database chaos-database venv assets browser lint lock-check upgrade messages clean

run: venv assets database                      ## serve the API with the demo data on IPv4 and IPv6
	$(BIN)/registry db upgrade
	$(BIN)/registry demo load
	$(BIN)/registry serve --host $(HOST4) --host $(HOST6) --port $(PORT)

test: lint assets database chaos-database browser      ## lint, then the whole test suite (the fault tests too) against a real PostGIS
	$(BIN)/pytest $(PYTEST_ARGS)

database:                               ## install (where missing) and start PostgreSQL + PostGIS
	bash scripts/postgis.sh

venv: $(VENV)/.installed

$(UV): scripts/uv-requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11+ is needed: apt-get install -y python3 python3-venv"; exit 1; }
	$(PYTHON) -m venv $(TOOLS) || { apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(TOOLS); }
	$(TOOLS)/bin/pip install -q --require-hashes -r scripts/uv-requirements.txt
	touch $@

# --locked: refuses to install when pyproject.toml and uv.lock disagree (run `make upgrade`)
# --compile-bytecode: modules compiled once, here, so every `registry` command starts without
# compiling its imports (where PYTHONDONTWRITEBYTECODE is set, Python never caches them)
$(VENV)/.installed: pyproject.toml uv.lock $(UV)
	$(UV) sync --locked --extra test --quiet --compile-bytecode
	$(VENV)/bin/python -m compileall -q registry schema loaders >/dev/null
	touch $@

lock-check: $(UV)                       ## fails when pyproject.toml and uv.lock disagree
	$(UV) lock --check --quiet

upgrade: $(UV)                          ## the newest versions pyproject.toml allows, into uv.lock, then the whole suite
	$(UV) lock --upgrade
	$(UV) sync --locked --extra test
	touch $(VENV)/.installed
	$(MAKE) test

assets: registry/web/static/vendor/.installed   ## front-end files from npm, served by the app (no CDN)

registry/web/static/vendor/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p registry/web/static/vendor
	cp node_modules/graphiql/graphiql.min.js node_modules/graphiql/graphiql.min.css \
	   node_modules/react/umd/react.production.min.js \
	   node_modules/react-dom/umd/react-dom.production.min.js \
	   node_modules/maplibre-gl/dist/maplibre-gl.js node_modules/maplibre-gl/dist/maplibre-gl.css \
	   registry/web/static/vendor/
	touch $@

browser:                                ## the clients tests drive: headless Chromium, GDAL/OGR, nginx with TLS (Debian)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v ogrinfo >/dev/null \
	  && command -v nginx >/dev/null && command -v openssl >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium chromium-driver fonts-wqy-microhei gdal-bin nginx-light openssl; }

chaos-database:                         ## a PostgreSQL cluster of its own, which the fault tests stop and start
	REGISTRY_DB_CLUSTER=chaos REGISTRY_DB_PORT=$(CHAOS_PORT) REGISTRY_DB_NAME=registry_chaos \
	  REGISTRY_TEST_DB_NAME=registry_chaos_test bash scripts/postgis.sh

chaos: venv chaos-database              ## only the fault tests: PostgreSQL restarted, connections killed, pool full
	$(BIN)/pytest -m chaos -p no:cacheprovider $(PYTEST_ARGS)

fuzz: venv assets database browser      ## the generated tests with thousands of cases each
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -m generated -p no:cacheprovider $(PYTEST_ARGS)

lint: venv lock-check                   ## the lock, ruff (lint, import order, format) and mypy over registry/ schema/ loaders/
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

messages: venv                          ## extract every message from the code into the catalogue; then translate the new ones
	$(BIN)/pybabel -q extract -F babel.cfg -k say -k said -k phrase -k N_ --no-default-keywords \
	  --no-location --sort-output --project major-project-registry -o registry/locale/registry.pot registry loaders schema
	$(BIN)/pybabel -q update -i registry/locale/registry.pot -d registry/locale -D registry -l zh_Hans \
	  --ignore-obsolete --no-fuzzy-matching

clean:
	rm -rf $(VENV) $(TOOLS) *.egg-info .pytest_cache node_modules registry/web/static/vendor
