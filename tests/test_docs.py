"""The docs are part of the product: every setting is documented, the catalog page is
generated, and every command shown in docs/ runs."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from registry.catalog import get_catalog
from registry.catalog.markdown import catalog_markdown
from registry.settings import ALL_SETTINGS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def env_name(settings_class, field: str) -> str:
    return (settings_class.model_config.get("env_prefix") or "").upper() + field.upper()


def test_every_setting_is_documented():
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    for settings_class in ALL_SETTINGS:
        for field, info in settings_class.model_fields.items():
            name = env_name(settings_class, field)
            assert f"`{name}`" in text, f"{name} is not in docs/configuration.md"
            assert info.description, f"{name} has no description"


def test_catalog_page_is_generated_from_the_catalog():
    assert (DOCS / "catalog.md").read_text(encoding="utf-8") == catalog_markdown(get_catalog()), (
        "docs/catalog.md is stale: run `registry catalog show --format markdown > docs/catalog.md`"
    )


# Pages whose examples need keys and demo data run in tests of their own.
DEDICATED = {
    "publishing.md": "tests/schema/test_publishing_docs.py",
    "maps.md": "tests/registry/web/test_maps_docs.py",
    "links.md": "tests/registry/documents/test_links_docs.py",
}


def console_blocks(path: Path):
    """(command, expected output lines) for each `$ ` line in the page's console blocks."""
    for block in re.findall(r"```console\n(.*?)```", path.read_text(encoding="utf-8"), re.S):
        lines = block.splitlines()
        for index, line in enumerate(lines):
            if line.startswith("$ "):
                output = []
                for following in lines[index + 1 :]:
                    if following.startswith("$ "):
                        break
                    output.append(following)
                yield line[2:], output


def console_lines(prefix: str):
    for path in sorted(p for p in DOCS.glob("*.md") if p.name not in DEDICATED):
        for command, output in console_blocks(path):
            if command.startswith(prefix):
                yield pytest.param(command, output, id=f"{path.name}: {command}")


PAGES = [
    p
    for p in sorted(DOCS.glob("*.md"))
    if p.name not in DEDICATED and any(c.startswith("registry ") for c, _ in console_blocks(p))
]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_documented_registry_commands_run_in_order(page, clean_engine, database_url, tmp_path):
    """Each page is a walkthrough: its commands run in order, in a scratch folder holding
    the example files, against an empty database; `# exits N` marks an expected failure."""
    shutil.copytree(DOCS / "examples", tmp_path / "docs" / "examples")
    exe = shutil.which("registry")
    for command, expected in console_blocks(page):
        if not command.startswith("registry "):
            continue
        exits = int(re.search(r"# exits (\d+)", command).group(1)) if "# exits" in command else 0
        args = shlex.split(command, comments=True)
        if args[1] == "serve":
            continue
        argv = [exe, *args[1:]] if exe else [sys.executable, "-m", "registry.cli", *args[1:]]
        result = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            env={**os.environ, "DATABASE_URL": database_url},
        )
        assert result.returncode == exits, f"{command}\n{result.stdout}\n{result.stderr}"
        for line in expected:
            assert line in result.stdout, f"{command}: {line!r} not in\n{result.stdout}"


@pytest.mark.parametrize("command, expected", list(console_lines("curl ")))
def test_documented_http_examples_run(command, expected, live_server):
    command = command.replace("127.0.0.1:8000", f"127.0.0.1:{live_server}")
    result = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    if expected and expected[0].startswith("{"):
        documented, actual = json.loads("\n".join(expected)), json.loads(result.stdout)
        assert set(documented) <= set(actual)
    else:  # text (the Prometheus format): each documented line is in the answer
        for line in expected:
            assert line in result.stdout, f"{command}: {line!r} not in the answer"
