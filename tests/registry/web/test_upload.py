"""The upload page, in headless Chromium and over plain HTTP, with real files: a GBK CSV,
an XLSX made from the template, a zipped Shapefile; and a bad file refused in the same
words as `registry load`, nothing written."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from loaders.columns import parse_kind
from loaders.templates import write_template
from registry.publishing.keys import create_key
from tests.browser import chromium, screenshot
from tests.conftest import count
from tests.loaders.files import write_csv, write_zipped_shapefile
from tests.loaders.test_run import APPROVAL_HEADERS, approval_row
from tests.registry.factories import PROJECT_CODE

DOC_IMAGES = Path(__file__).resolve().parents[3] / "docs" / "images"


@pytest.fixture
def key(registry_session) -> str:
    secret = create_key(registry_session, "FGW")[1]
    registry_session.commit()
    return secret


@pytest.fixture
def base(live_server) -> str:
    return f"http://127.0.0.1:{live_server}"


def _shot(browser, name: str) -> None:
    path = screenshot(browser, name)
    if os.environ.get("REGISTRY_DOC_IMAGES"):  # refresh the pictures in docs/loading.md
        DOC_IMAGES.mkdir(exist_ok=True)
        shutil.copy(path, DOC_IMAGES / name)


def _template_file(tmp_path: Path) -> Path:
    """The approval-results template, filled in as a clerk would."""
    path = write_template(parse_kind("approval_result"), "xlsx", tmp_path / "批准结果.xlsx")
    book = load_workbook(path)
    sheet = book["数据"]
    headers = [c.value for c in sheet[1]]
    values = dict(zip(APPROVAL_HEADERS, approval_row("洪发改投资〔2023〕77号"), strict=True))
    for column, header in enumerate(headers, start=1):
        if header in values:
            sheet.cell(2, column, values[header])
    sheet.cell(2, headers.index("编号") + 1, "X-1")
    book.save(path)
    return path


def _upload(browser, base: str, key: str, path: Path, kind: str = "") -> str:
    browser.get(f"{base}/upload")
    browser.find_element(By.ID, "key").send_keys(key)
    browser.find_element(By.ID, "file").send_keys(str(path))
    if kind:
        browser.find_element(By.CSS_SELECTOR, f"#kind option[value='{kind}']").click()
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    return _page_at(browser, "/upload/check")


def _page_at(browser, path: str) -> str:
    """The text of the page once the browser shows ``path`` (a form's answer)."""
    WebDriverWait(browser, 60).until(
        lambda b: (
            b.current_url.endswith(path)
            and b.execute_script("return document.readyState") == "complete"
        )
    )
    return browser.find_element(By.TAG_NAME, "main").text


def test_a_clerk_checks_then_loads_three_kinds_of_file(registry_session, key, base, tmp_path):
    engine = registry_session.get_bind()
    csv_file = write_csv(tmp_path / "批复.csv", [APPROVAL_HEADERS, approval_row()], encoding="gbk")
    shapefile = write_zipped_shapefile(
        tmp_path / "位置.zip",
        [("项目代码", "C", 30), ("名称", "C", 20)],
        [([PROJECT_CODE, "车站"], [(39_500_000, 3_175_000)])],
    )
    before = count(engine, "disclosures")
    with chromium(1100, 900) as browser:
        for path, kind, shot in (
            (csv_file, "", "upload-check.png"),
            (_template_file(tmp_path), "", None),
            (shapefile, "sites", None),
        ):
            text = _upload(browser, base, key, path, kind)
            assert "检查通过，尚未写入" in text, text
            if shot:
                _shot(browser, shot)
            browser.find_element(By.CSS_SELECTOR, "form[action='/upload/confirm'] button").click()
            assert "已写入" in _page_at(browser, "/upload/confirm")
            changed = browser.find_elements(By.CSS_SELECTOR, "main table a[href^='/projects/']")
            assert changed, "the result links to the changed projects"
            if shot:
                _shot(browser, "upload-written.png")
    assert count(engine, "disclosures") == before + 2
    assert count(engine, "sites", "name = '车站'") == 1


def test_a_bad_file_is_refused_in_the_loaders_words_and_nothing_is_written(
    registry_session, key, base, tmp_path
):
    engine = registry_session.get_bind()
    bad = write_csv(
        tmp_path / "错误.csv",
        [APPROVAL_HEADERS, approval_row(item="初步设计审批"), approval_row("二号", code="2021-1")],
    )
    before = count(engine, "disclosures")
    with chromium(1100, 900) as browser:
        text = _upload(browser, base, key, bad)
        _shot(browser, "upload-refused.png")
        cells = {c.text for c in browser.find_elements(By.CSS_SELECTOR, "td.cell")}
    assert "整个文件被拒绝" in text and "是否要写“政府投资项目初步设计审批”" in text
    assert "不是有效的项目统一代码" in text and cells >= {"公开事项", "项目统一代码"}
    assert "确认写入" not in text
    assert count(engine, "disclosures") == before


def test_keys_tokens_and_files_are_checked(registry_session, key, base, tmp_path):
    good = write_csv(tmp_path / "ok.csv", [APPROVAL_HEADERS, approval_row()])
    files = {"file": ("ok.csv", good.read_bytes(), "text/csv")}
    with httpx.Client(base_url=base, timeout=60) as http:
        assert http.post("/upload/check", data={"key": ""}, files=files).status_code == 401
        wrong = http.post("/upload/check", data={"key": "mpr_nope_nope"}, files=files)
        assert wrong.status_code == 401 and "密钥无效" in wrong.text
        odd = {"file": ("x.exe", b"MZ", "application/octet-stream")}
        assert http.post("/upload/check", data={"key": key}, files=odd).status_code == 400
        checked = http.post("/upload/check", data={"key": key}, files=files)
        assert checked.status_code == 200 and key not in checked.text  # the key is never echoed
        token = checked.text.split('name="token" value="')[1].split('"')[0]
        assert http.post("/upload/confirm", data={"token": token}).status_code == 200
        again = http.post("/upload/confirm", data={"token": token})  # single use
        assert again.status_code == 410 and "已失效" in again.text
        assert http.post("/upload/confirm", data={"token": "../../etc"}).status_code == 410


def test_checks_nobody_confirmed_are_swept(registry_session, key, base, tmp_path):
    import json
    import tempfile
    import time

    stale = Path(tempfile.gettempdir()) / "registry-uploads" / "stale-token"  # the default
    stale.mkdir(parents=True, exist_ok=True)
    (stale / "upload.json").write_text(json.dumps({"expires": time.time() - 1}))
    good = write_csv(tmp_path / "ok.csv", [APPROVAL_HEADERS, approval_row()])
    with httpx.Client(base_url=base, timeout=60) as http:
        files = {"file": ("ok.csv", good.read_bytes(), "text/csv")}
        assert http.post("/upload/check", data={"key": key}, files=files).status_code == 200
    assert not stale.exists()


def test_a_large_file_shows_its_upload_progress(registry_session, key, base, tmp_path):
    """A 4 MB file goes up with a progress bar (the page's script sends it with upload
    events) and its report replaces the page at /upload/check, as without JavaScript."""
    rows = [[PROJECT_CODE, "政府投资项目初步设计审批", "备注" * 20] for _ in range(40_000)]
    big = write_csv(tmp_path / "大文件.csv", [["项目统一代码", "公开事项", "说明文字"], *rows])
    assert big.stat().st_size > 4_000_000
    with chromium(1100, 900) as browser:
        browser.get(f"{base}/upload")
        assert browser.find_element(By.ID, "upload-progress").get_attribute("hidden")
        text = _upload(browser, base, key, big)
        sent = browser.execute_script("return window.registryUploadProgress")
    assert sent and max(sent) == 100 and sent == sorted(sent), sent
    assert "说明文字" in text and "整个文件被拒绝" in text  # refused for its unknown column


def test_the_body_is_cut_off_past_the_limit_and_uploads_are_bounded(
    registry_session, tmp_path, database_url
):
    """With a 3 MB file limit and one upload at a time: a body declared larger is refused
    before it is read, one that says nothing of its size is cut off as it arrives; while a
    department's upload is checked, its next one waits (429) and another department's is
    told the server is busy (503), each with Retry-After."""
    import threading

    from tests.conftest import server_process

    keys = {code: create_key(registry_session, code)[1] for code in ("FGW", "XZSP")}
    registry_session.commit()
    env = {"REGISTRY_LIMIT_FILE_MB": "3", "REGISTRY_LIMIT_UPLOADS": "1",
           "REGISTRY_UPLOAD_DIR": str(tmp_path / "uploads")}  # fmt: skip
    with server_process(database_url, tmp_path / "server.log", **env) as (port, _):
        base = f"http://127.0.0.1:{port}"
        big = b"x" * (5 << 20)
        declared = httpx.post(f"{base}/upload/check", data={"key": keys["FGW"]},
                              files={"file": ("big.csv", big)}, timeout=30)  # fmt: skip
        assert declared.status_code == 413 and "3 MB" in declared.text

        def chunks():
            yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
            for _ in range(80):
                yield b"y" * 65536

        streamed = httpx.post(f"{base}/upload/check", content=chunks(), timeout=30,
                              headers={"content-type": "multipart/form-data; boundary=b"})  # fmt: skip
        assert streamed.status_code == 413 and "3 MB" in streamed.text
        # one slow check (15,000 rows) holds the only slot
        slow = write_csv(tmp_path / "slow.csv", [
            [*APPROVAL_HEADERS, "编号"],
            *[[*approval_row(f"洪〔{n}〕号"), f"R{n}"] for n in range(15000)]])  # fmt: skip
        assert slow.stat().st_size < 3 << 20
        answers = {}

        def post(name: str, key: str, path: Path) -> None:
            with path.open("rb") as handle:
                answers[name] = httpx.post(f"{base}/upload/check", data={"key": key},
                                           files={"file": (path.name, handle)}, timeout=120)  # fmt: skip

        first = threading.Thread(target=post, args=("first", keys["FGW"], slow))
        first.start()
        deadline = time.monotonic() + 30  # until the server has the file and checks it
        while not list((tmp_path / "uploads").glob("*/upload.json")):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        small = write_csv(tmp_path / "small.csv", [APPROVAL_HEADERS, approval_row()])
        post("same department", keys["FGW"], small)
        post("other department", keys["XZSP"], small)
        first.join()
    assert answers["first"].status_code == 200, answers["first"].text[-500:]
    assert answers["same department"].status_code == 429
    assert "本部门已有一个文件正在导入" in answers["same department"].text
    assert answers["other department"].status_code == 503
    assert all(answers[n].headers["retry-after"] for n in ("same department", "other department"))
