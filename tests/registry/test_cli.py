"""The `registry` command, run as a user runs it."""

import os
import shutil
import subprocess
import sys

from tests.conftest import count


def run(*args, env=None):
    exe = shutil.which("registry") or None
    command = [exe, *args] if exe else [sys.executable, "-m", "registry.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_help_lists_every_command():
    result = run("--help")
    assert result.returncode == 0
    for command in ("db", "demo", "catalog", "serve", "load", "template", "schema"):
        assert f"  {command} " in result.stdout
    assert "upgrade" in run("db", "--help").stdout


def test_db_upgrade_and_demo_load_against_the_configured_database(clean_engine, database_url):
    env = {**os.environ, "DATABASE_URL": database_url}
    assert run("db", "upgrade", env=env).returncode == 0
    first = run("demo", "load", env=env)
    assert first.returncode == 0, first.stderr
    assert "added" in first.stdout
    second = run("demo", "load", env=env)
    assert second.stdout.strip().startswith("演示数据：未变 ") and "demo data: " in second.stdout
    assert "added" not in second.stdout
    assert count(clean_engine, "projects") >= 30


def test_catalog_show_lists_items_with_their_elements():
    result = run("catalog", "show")
    assert "tender_notice  招标公告" in result.stdout
    assert "* approval_doc_no 批复文号 (text)" in result.stdout


def test_keys_are_shown_once_listed_without_secret_and_revoked(session, system, database_url):
    from registry import publishing as pub

    pub.upsert_department(session, system, pub.DepartmentInput("KEYS", "测试局", "other"))
    session.commit()
    env = {**os.environ, "DATABASE_URL": database_url}
    created = run("keys", "create", "KEYS", "--label", "测试", env=env)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    key_id, secret = token.split("_")[1], token.split("_", 2)[2]
    listed = run("keys", "list", env=env).stdout
    assert key_id in listed and "active" in listed and secret not in listed
    from sqlalchemy import text

    with session.get_bind().connect() as conn:
        stored = conn.scalar(
            text("SELECT secret_hash FROM api_keys WHERE id = :id"), {"id": key_id}
        )
    assert secret not in stored and len(stored) == 64
    assert "revoked" in run("keys", "revoke", key_id, env=env).stdout
    assert "revoked" in run("keys", "list", env=env).stdout
    assert run("keys", "create", "NOPE", env=env).returncode == 1
