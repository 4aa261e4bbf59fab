"""The set-up files keep their promises: README's two commands, CI, Docker Compose."""

import re
import tomllib
from pathlib import Path

import yaml

from registry.settings import OpsSettings

ROOT = Path(__file__).resolve().parents[1]


def test_readme_opens_with_exactly_the_two_setup_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```(?:sh|console)?\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["make run", "make test"]
    assert readme.index("make run") < 1500, "the commands must be on the first screen"


def test_makefile_targets_and_ci():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("run:", "test:", "database:", "venv:"):
        assert re.search(rf"^{target}", makefile, re.M), target
    assert "scripts/postgis.sh" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_compose_file_is_valid_and_uses_the_same_setting():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    db, api = compose["services"]["db"], compose["services"]["api"]
    assert db["image"].startswith("postgis/postgis:")
    env = db["environment"]
    expected = (
        f"postgresql+psycopg://{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}"
        f"@db:5432/{env['POSTGRES_DB']}"
    )
    assert api["environment"]["DATABASE_URL"] == expected
    assert api["depends_on"]["db"]["condition"] == "service_healthy"
    assert "registry db upgrade" in " ".join(api["command"])
    for service in (db, api):
        assert service["healthcheck"]["test"] and service["healthcheck"]["retries"] >= 3
    assert "/health/ready" in " ".join(api["healthcheck"]["test"])  # the database, too
    assert "/health/ready" in (ROOT / "Dockerfile").read_text()
    grace = int(api["stop_grace_period"].rstrip("s"))
    assert grace > OpsSettings().shutdown_timeout_s  # requests in flight may finish
    worker = compose["services"]["worker"]  # webhook deliveries, on the same database
    assert worker["environment"]["DATABASE_URL"] == expected
    assert worker["command"] == ["registry", "worker"]
    assert worker["depends_on"]["api"]["condition"] == "service_healthy"
    # the worker keeps the copies the api serves: one volume, one REGISTRY_DOCUMENT_DIR
    store = api["environment"]["REGISTRY_DOCUMENT_DIR"]
    assert worker["environment"]["REGISTRY_DOCUMENT_DIR"] == store
    assert f"documents:{store}" in worker["volumes"]
    assert any(v.startswith(f"documents:{store}") for v in api["volumes"])
    assert "documents" in compose["volumes"] and worker["environment"]["REGISTRY_LINKS_SCHEDULE"]


def test_the_image_runs_as_an_unprivileged_user():
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), users
    assert any(line.startswith("HEALTHCHECK") for line in lines)


def test_one_version_source():
    from registry import __version__

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["dynamic"] == ["version"] and "version" not in pyproject["project"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"]["attr"] == "registry.__version__"
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {__version__}" in changelog, "CHANGELOG.md has no entry for this version"


def test_no_generated_output_at_the_top_level():
    import subprocess

    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT).stdout
    stray = [
        name
        for name in tracked.splitlines()
        if "/" not in name and re.search(r"\.(html|csv|xlsx|gpkg|png)$", name)
    ]
    assert not stray, stray


def test_one_distribution_with_the_registry_command():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"] == {"registry": "registry.cli:run"}
    assert project["requires-python"] == ">=3.11"
    for dependency in (
        "graphene",
        "starlette",
        "uvicorn",
        "sqlalchemy",
        "geoalchemy2",
        "shapely",
        "psycopg",
        "alembic",
        "pyproj",
    ):
        assert any(
            d.lower().startswith(dependency) and ">=" in d for d in project["dependencies"]
        ), dependency


def test_the_compose_scale_profile_reads_from_a_replica_of_the_same_database():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    db, replica, scaled = services["db"], services["replica"], services["api-scaled"]
    assert replica["profiles"] == scaled["profiles"] == ["scale"]
    assert "db" not in compose.get("profiles", []) and "profiles" not in services["api"]
    # the primary lets the replicator in; the replica streams from it as a hot standby
    init = [v for v in db["volumes"] if "docker-entrypoint-initdb.d" in v]
    script = ROOT / init[0].split(":")[0].removeprefix("./")
    assert "REPLICATION" in script.read_text() and "replication" in script.read_text()
    command = " ".join(replica["command"])
    assert "pg_basebackup -h db -U replicator" in command and "-R" in command
    assert replica["image"] == db["image"]
    env = scaled["environment"]
    assert env["DATABASE_URL"] == services["api"]["environment"]["DATABASE_URL"]
    assert env["REGISTRY_READ_REPLICA_URLS"].split("@")[1].startswith("replica:5432/")
    assert "--workers" in scaled["command"]
    assert scaled["depends_on"]["replica"]["condition"] == "service_healthy"
    assert set(compose["volumes"]) >= {"pgdata", "replicadata"}
    # two API replicas behind nginx, which reaches them by the service's name
    assert scaled["deploy"]["replicas"] == 2
    balancer = services["balancer"]
    assert balancer["profiles"] == ["scale"] and balancer["image"].startswith("nginx:")
    conf = ROOT / balancer["volumes"][0].split(":")[0].removeprefix("./")
    assert "server api-scaled:8000" in conf.read_text() and "proxy_pass" in conf.read_text()
    assert balancer["depends_on"]["api-scaled"]["condition"] == "service_healthy"


def test_what_is_installed_is_the_lock():
    """Every Python dependency comes from uv.lock at its locked version (hashes are checked
    by uv when it installs); `make lint` runs `uv lock --check`, which fails when
    pyproject.toml and the lock disagree."""
    from importlib import metadata

    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked: dict[str, set[str]] = {}  # a universal lock may hold two versions for two Pythons
    for package in lock["package"]:
        locked.setdefault(package["name"], set()).add(package.get("version", ""))
    registry_packages = [p for p in lock["package"] if "registry" in p.get("source", {})]
    assert registry_packages and all(
        "hash" in wheel for p in registry_packages for wheel in p.get("wheels", [])
    )
    installed = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"].lower().replace("_", "-").replace(".", "-")
        installed[name] = dist.version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = project["dependencies"] + project["optional-dependencies"]["test"]
    for requirement in direct:
        name = re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        assert name in installed, f"{name} is not installed"
    wrong = {
        name: (version, locked[name])
        for name, version in installed.items()
        if name in locked and version not in locked[name] and name != "major-project-registry"
    }
    assert not wrong, f"installed ≠ locked: {wrong}"
    makefile = (ROOT / "Makefile").read_text()
    assert "sync --locked" in makefile and "lock --check" in makefile and "\nupgrade:" in makefile
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv.lock" in dockerfile and "sync --locked" in dockerfile
    assert "--require-hashes -r scripts/uv-requirements.txt" in dockerfile + makefile


def test_the_scale_profile_shares_uploads_and_believes_only_its_balancer():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    scaled = compose["services"]["api-scaled"]
    folder = scaled["environment"]["REGISTRY_UPLOAD_DIR"]
    assert (
        any(v.endswith(f":{folder}") for v in scaled["volumes"]) and "uploads" in compose["volumes"]
    )
    assert scaled["environment"]["REGISTRY_API_PUBLIC_URL"].endswith(":8080")
    assert scaled["environment"]["REGISTRY_OPS_FORWARDED_ALLOW_IPS"]
    conf = (ROOT / "scripts" / "compose" / "nginx.conf").read_text()
    assert "X-Forwarded-Proto $scheme" in conf and "Host $http_host" in conf
