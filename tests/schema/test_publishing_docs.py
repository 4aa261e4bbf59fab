"""docs/publishing.md runs: its commands, curl lines and Python programs, with real keys."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from registry.publishing.keys import create_key

PAGE = Path(__file__).resolve().parents[2] / "docs" / "publishing.md"
TEXT = PAGE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page_keys(demo_data):
    with Session(demo_data) as session, session.begin():
        return {
            "REGISTRY_KEY": create_key(session, "NCFGW")[1],
            "REGISTRY_OWNER_KEY": create_key(session, "NCMUNI")[1],
            "REGISTRY_ADMIN_KEY": create_key(session, "NCXZSP", admin=True)[1],
        }


def test_key_commands_run(gql, database_url):
    for line in re.findall(r"^\$ (registry keys .*)$", TEXT, re.M):
        result = subprocess.run(
            [sys.executable, "-m", "registry.cli", *shlex.split(line)[1:]],
            capture_output=True,
            text=True,
            env={**os.environ, "DATABASE_URL": database_url},
        )
        assert result.returncode == 0, result.stderr
    assert "mpr_" in result.stdout or "created" in result.stdout


def test_curl_examples_run(gql, page_keys):
    base = gql.url.rsplit("/", 1)[0]
    root = PAGE.parents[1]
    for line in re.findall(r"^\$ (curl .*)$", TEXT, re.M):
        command = line.replace("http://127.0.0.1:8000", base)
        result = subprocess.run(
            ["bash", "-c", command],
            capture_output=True,
            text=True,
            cwd=root,
            env={**os.environ, **page_keys},
        )
        assert result.returncode == 0 and '"data"' in result.stdout, result.stdout + result.stderr
        assert '"userErrors":[]' in result.stdout.replace(" ", "") or "auditLog" in command
        assert "errors" not in result.stdout.split('"data"')[0]


def test_python_programs_run(gql, page_keys):
    blocks = re.findall(r"```python\n(.*?)```", TEXT, re.S)
    first, refused, correction = blocks
    env = {**os.environ, "REGISTRY_URL": gql.url}
    owner = subprocess.run(
        [sys.executable, "-c", first + correction],
        capture_output=True,
        text=True,
        env={**env, "REGISTRY_KEY": page_keys["REGISTRY_OWNER_KEY"]},
    )
    assert owner.returncode == 0, owner.stderr
    assert owner.stdout.startswith("added ") and "revised 2" in owner.stdout
    assert (
        "'withdrawnReason': '招标终止'" in owner.stdout
        and "'correctionReason': '投标截止时间延后'" in owner.stdout
    )
    definitions = first.split("tender = publish(")[0]
    planner = subprocess.run(
        [sys.executable, "-c", definitions + refused],
        capture_output=True,
        text=True,
        env={**env, "REGISTRY_KEY": page_keys["REGISTRY_KEY"]},
    )
    assert planner.returncode == 0, planner.stderr
    assert "not_responsible" in planner.stdout and "NCMUNI" in planner.stdout


def test_the_audit_log_shows_the_refusal(gql, page_keys):
    body = httpx.post(
        gql.url,
        headers={"Authorization": f"Bearer {page_keys['REGISTRY_ADMIN_KEY']}"},
        json={"query": '{ auditLog(outcome: "refused", actor: "NCFGW") { nodes { action } } }'},
    ).json()
    assert {"action": "publish_disclosure"} in body["data"]["auditLog"]["nodes"]
