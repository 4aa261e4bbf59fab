"""What operators see: /health/live and /health/ready, /metrics, request ids and logs, on
real servers over a database of their own (the readiness tests break it on purpose)."""

from __future__ import annotations

import json
import re
import time
import uuid

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from loaders import FileRefused, load_file
from loaders.demo import load_demo
from registry.migrations import refresh_calendar, upgrade
from registry.ops import metrics
from registry.publishing.keys import create_key
from tests.conftest import create_database, drop_database, serving
from tests.loaders.files import write_csv


@pytest.fixture(scope="module")
def own_url():
    name = f"registry_o_{uuid.uuid4().hex[:10]}"
    url = create_database(name)
    try:
        upgrade(url)
        engine = create_engine(url)
        with Session(engine) as session, session.begin():
            load_demo(session)
        engine.dispose()
        yield url
    finally:
        drop_database(name)


@pytest.fixture
def engine(own_url):
    engine = create_engine(own_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def server(own_url, tmp_path_factory):
    log = tmp_path_factory.mktemp("observe") / "server.log"
    env = {"REGISTRY_OPS_LOG_FORMAT": "json", "REGISTRY_OPS_SLOW_QUERY_MS": "1"}
    with (
        serving(own_url, log, **env) as port,
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client,
    ):
        yield client, log


def metric(body: str, name: str, **labels: str) -> float:
    """The value of one series in a Prometheus text body (0 when absent)."""
    for line in body.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, value = line.rsplit(" ", 1)
        found = dict(re.findall(r'(\w+)="([^"]*)"', series))
        if series.split("{")[0] == name and found == labels:
            return float(value)
    return 0.0


# --- health ------------------------------------------------------------------------


def test_live_and_ready(server):
    client, _ = server
    assert client.get("/health/live").json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert checks["database"]["ok"] and checks["migrations"]["ok"] and checks["calendar"]["ok"]
    assert checks["migrations"]["at"] == checks["migrations"]["head"]


def test_not_ready_when_schema_is_behind(server, engine):
    client, _ = server
    with engine.begin() as conn:
        head = conn.scalar(text("SELECT version_num FROM alembic_version"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0007'"))
    try:
        ready = client.get("/health/ready")
        assert ready.status_code == 503 and ready.headers["retry-after"]
        assert ready.json()["checks"]["migrations"] == {"ok": False, "at": "0007", "head": head}
        assert client.get("/health/live").status_code == 200
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert client.get("/health/ready").status_code == 200


def test_not_ready_when_calendar_runs_out(server, engine, own_url):
    client, _ = server
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM calendar_days WHERE day > current_date + 30"))
    try:
        ready = client.get("/health/ready")
        assert ready.status_code == 503
        calendar = ready.json()["checks"]["calendar"]
        assert calendar["ok"] is False and calendar["until"] < calendar["needed"]
    finally:
        refresh_calendar(own_url)
    assert client.get("/health/ready").status_code == 200


# --- request ids and logs ---------------------------------------------------------


def test_request_id_is_echoed_or_made(server):
    client, _ = server
    made = client.get("/health/live").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    given_id = "proxy-1234.abcd"
    assert (
        client.get("/health/live", headers={"X-Request-ID": given_id}).headers["x-request-id"]
        == given_id
    )
    for hostile in ("short", "x" * 65, "a b c d e f g h", "<script>alert(1)</script>"):
        answered = client.get("/health/live", headers={"X-Request-ID": hostile})
        assert answered.headers["x-request-id"] != hostile


def log_lines(log) -> list[dict]:
    lines = [line for line in log.read_text().splitlines() if line.startswith("{")]
    return [json.loads(line) for line in lines]


def access_lines(log, rid: str) -> tuple[list[dict], list[dict]]:
    """The lines of one request, and its access line among them. The access line is
    written once the response has gone out, so a fast client may read the log before
    it is there: read again (a bounded number of times) until it is."""
    for _ in range(50):
        mine = [line for line in log_lines(log) if line["request_id"] == rid]
        access = [line for line in mine if line["logger"] == "registry.access"]
        if access:
            break
        time.sleep(0.1)
    return mine, access


def test_logs_are_json_lines_without_personal_data(server, engine):
    client, log = server
    with Session(engine) as session, session.begin():
        _, key = create_key(session, "NCFGW", label="log test")
    secret_query = "张三身份证"
    rid = "trace-0001-abcdef"
    response = client.post(
        "/graphql?q=" + secret_query,
        json={
            "query": "query Find($t: String) { projects(filter: {text: $t}) { totalCount } }",
            "variables": {"t": secret_query},
        },
        headers={"Authorization": f"Bearer {key}", "X-Request-ID": rid},
    )
    assert response.status_code == 200, response.text
    mine, access = access_lines(log, rid)
    assert len(access) == 1, mine
    assert access[0]["operation"] == "Find" and access[0]["department"] == "NCFGW"
    assert access[0]["status"] == 200 and access[0]["route"] == "/graphql"
    assert any(line["logger"] == "registry.sql" for line in mine), "no slow query logged"
    everything = log.read_text()
    assert key not in everything and key.split(".")[-1] not in everything
    assert secret_query not in everything  # neither the query string nor the parameters
    assert "Traceback" not in everything


# --- metrics ----------------------------------------------------------------------


def test_metrics_count_by_route_template_and_operation(server):
    client, _ = server
    before = client.get("/metrics").text
    client.get("/ogc/collections/projects/items/2099-360100-48-01-000000")  # 404
    client.post("/graphql", json={"query": "query Counted { projects { totalCount } }"})
    after = client.get("/metrics").text
    route = "/ogc/collections/{collection_id}/items/{feature_id}"
    labels = {"method": "GET", "route": route, "status": "404"}
    assert metric(after, "registry_http_requests_total", **labels) == (
        metric(before, "registry_http_requests_total", **labels) + 1
    )
    assert "2099-360100" not in after  # never a raw path
    assert metric(after, "registry_errors_total", code="NOT_FOUND") >= 1
    assert (
        metric(
            after,
            "registry_graphql_operation_duration_seconds_count",
            operation="Counted",
            type="query",
        )
        == 1
    )
    assert metric(after, "registry_database_up") == 1
    assert metric(after, "registry_schema_at_head") == 1
    assert metric(after, "registry_db_pool_limit", engine="read") == 20
    assert metric(after, "process_resident_memory_bytes") > 0
    official = metric(after, "registry_calendar_last_day_timestamp_seconds", kind="official")
    table = metric(after, "registry_calendar_last_day_timestamp_seconds", kind="table")
    assert 0 < official <= table


def test_metrics_count_writes_and_loads_from_the_audit_log(server, engine, tmp_path):
    client, _ = server
    # the figures are refreshed at most every 10 s: compare against a fresh process
    good = write_csv(tmp_path / "projects.csv", [
        ["项目统一代码", "项目名称", "项目类型", "行政区划代码"],
        ["2403-360111-48-01-900001", "测试工程一", "审批", "360111"],
        ["2403-360111-48-01-900002", "测试工程二", "审批", "360111"],
    ])  # fmt: skip
    bad = write_csv(tmp_path / "bad.csv", [
        ["项目统一代码", "项目名称", "项目类型", "行政区划代码"],
        ["not-a-code", "坏工程", "审批", "360111"],
    ])  # fmt: skip
    with Session(engine) as session, session.begin():
        load_file(session, good, "admin")
    with Session(engine) as session, session.begin(), pytest.raises(FileRefused):
        load_file(session, bad, "admin")
    import time

    from registry.web.observe import REFRESH_S

    time.sleep(REFRESH_S + 0.5)
    body = client.get("/metrics").text
    assert metric(body, "registry_loader_files_total", outcome="ok") >= 1
    assert metric(body, "registry_loader_files_total", outcome="refused") >= 1
    assert metric(body, "registry_loader_rows_total", outcome="added") >= 2
    assert metric(body, "registry_loader_rows_total", outcome="refused") >= 1
    assert (
        metric(
            body,
            "registry_writes_total",
            action="upsert_project",
            outcome="ok",
            department="admin",
            via="loader",
        )
        >= 2
    )


def test_metrics_can_be_closed_or_off(own_url, tmp_path):
    with serving(own_url, tmp_path / "a.log", REGISTRY_OPS_METRICS_TOKEN="s3cret") as port:
        base = f"http://127.0.0.1:{port}/metrics"
        assert httpx.get(base).status_code == 401
        assert httpx.get(base, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(base, headers={"Authorization": "Bearer s3cret"}).status_code == 200
    with serving(own_url, tmp_path / "b.log", REGISTRY_OPS_METRICS_ENABLED="false") as port:
        assert httpx.get(f"http://127.0.0.1:{port}/metrics").status_code == 404


@settings(max_examples=300)
@given(names=st.lists(st.text(max_size=80), max_size=400))
def test_operation_labels_are_bounded(names):
    """Whatever names clients send, the labels stay valid and few."""
    labels = {metrics.operation_label(name) for name in names}
    assert len(metrics._operations) <= metrics.MAX_OPERATIONS
    for label in labels:
        assert label in ("anonymous", "other") or re.fullmatch(r"[_A-Za-z][_0-9A-Za-z]*", label)
        assert len(label) <= 64
