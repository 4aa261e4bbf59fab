"""docs/links.md as a walkthrough: its commands in order on an empty register with the demo
data, whose document links point at a local server here (tests/linkserver.py: one answers
404, one holds a resident ID); then its curl line and GraphQL query against a real server."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx

from tests import linkserver
from tests.conftest import serving
from tests.test_docs import console_blocks

PAGE = Path(__file__).resolve().parents[3] / "docs" / "links.md"


def _to_fixture(engine, base: str) -> int:
    """The demo's links, pointed at the local server through the write path."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from registry.publishing.authority import Actor
    from registry.publishing.disclosures import correct_disclosure

    with Session(engine) as session:
        rows = session.execute(text(
            "SELECT id, documents FROM public_disclosures WHERE documents <> '[]' ORDER BY id"
        )).all()  # fmt: skip
        for disclosure_id, documents in rows:
            moved = [{**d, "url": re.sub(r"^https://[^/]+", base, d["url"])} for d in documents]
            correct_disclosure(session, Actor(path="test:system"), disclosure_id,
                               "测试：链接指向本地服务器", documents=moved)  # fmt: skip
        session.commit()
    return len(rows)


def test_the_walkthrough_runs(clean_engine, database_url, tmp_path):
    store = tmp_path / "documents"
    env = {**os.environ, "DATABASE_URL": database_url, "REGISTRY_DOCUMENT_DIR": str(store),
           "REGISTRY_LINKS_ALLOW_PRIVATE": "true", "REGISTRY_LINKS_DELAY_S": "0"}  # fmt: skip
    blocks = list(console_blocks(PAGE))
    with linkserver.serving() as (site, four, _):
        for command, expected in blocks:
            if not command.startswith("registry "):
                continue
            result = subprocess.run(
                [sys.executable, "-m", "registry.cli", *shlex.split(command)[1:]],
                capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env,
            )  # fmt: skip
            assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
            for line in expected:
                assert line in result.stdout, f"{command}: {line!r} not in\n{result.stdout}"
            if command == "registry demo load":
                assert _to_fixture(clean_engine, four) == 12
    assert any("major-project-registry/" in agent for agent in site.user_agents)
    assert (tmp_path / "links.xlsx").read_bytes()[:2] == b"PK"
    with serving(database_url, tmp_path / "server.log", REGISTRY_DOCUMENT_DIR=str(store)) as port:
        base = f"http://127.0.0.1:{port}"
        for command, expected in blocks:
            if command.startswith("curl "):
                line = command.replace("http://127.0.0.1:8000", base)
                out = subprocess.run(["sh", "-c", line], capture_output=True, text=True, timeout=60)
                assert out.stdout.strip() == "\n".join(expected).strip(), out.stdout
        query = re.search(r"```graphql\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S).group(1)
        answer = httpx.post(f"{base}/graphql", json={"query": query}).json()
        assert "errors" not in answer, answer
        documents = [d for e in answer["data"]["disclosures"]["edges"]
                     for d in e["node"]["documents"]]  # fmt: skip
        assert len(documents) == 12 and all(d["checkedAt"] for d in documents)
        # the one answering 404 failed once: failing, not broken yet (an outage is not a flag)
        assert sorted(d["linkStatus"] for d in documents) == ["FAILING"] + ["OK"] * 11
        assert (
            next(d for d in documents if d["linkStatus"] == "FAILING")["linkReason"] == "http_404"
        )
