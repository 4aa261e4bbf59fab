"""Every day a person reads is China's: items published at instants around China's midnight
(16:00 UTC) show China's day on the project page, in the feed, in the CSV and XLSX
downloads and in GraphQL's human-facing page, never the UTC day."""

from __future__ import annotations

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import text

from registry import publishing as pub
from registry.clock import CST
from registry.publishing import Actor
from tests.registry.factories import PROJECT_CODE, approval_input, seeded

pytestmark = pytest.mark.generated
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def site(session, system, live_server):
    seeded(session, system)
    with httpx.Client(base_url=f"http://127.0.0.1:{live_server}", timeout=120) as client:
        yield client


def test_days_are_china_s_on_every_surface(site, session):
    fgw, admin = Actor(path="test", department="FGW"), Actor(path="test", is_admin=True)
    counter = iter(range(10**6))
    midnight = dt.datetime(2025, 6, 10, 16, 0, tzinfo=dt.UTC)  # 2025-06-11 00:00 in China

    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
    @given(first=st.integers(-120, 120), second=st.integers(-120, 120))
    def check(first, second):
        n = next(counter)
        published = midnight + dt.timedelta(days=n, minutes=first)
        corrected = midnight + dt.timedelta(days=n + 1, minutes=second)
        data = approval_input(ref=f"M{n}", published_at=published)
        row = pub.publish_disclosure(session, admin, data).record
        fixed = pub.correct_disclosure(session, fgw, row.id, reason="文号更正",
                                       elements={"approval_doc_no": f"洪〔{n}〕号"}).record  # fmt: skip
        session.execute(text("UPDATE disclosures SET published_at = :at WHERE id = :id"),
                        {"at": corrected, "id": fixed.id})  # fmt: skip
        session.commit()
        day1 = published.astimezone(CST).date().isoformat()
        day2 = corrected.astimezone(CST).date().isoformat()
        page = site.get(f"/projects/{PROJECT_CODE}").text
        assert f"{day1}（第 2 版 {day2} · revision 2）" in page
        assert f"第 1 版，{day1} 公开；{day2} 被第 2 版更正" in page
        # the feed: moments written at China's offset, the summary in China's minutes
        feed = ET.fromstring(site.get("/feeds/disclosures.atom").content)
        entry = next(e for e in feed.iter(f"{ATOM}entry")
                     if e.find(f"{ATOM}id").text.endswith(f"/disclosures/{fixed.id}"))  # fmt: skip
        updated = entry.find(f"{ATOM}updated").text
        assert updated.endswith("+08:00") and dt.datetime.fromisoformat(updated) == corrected
        minute = corrected.astimezone(CST).strftime("%Y-%m-%d %H:%M")
        assert f"公开时间：{minute}" in entry.find(f"{ATOM}summary").text
        # the downloads: China's wall-clock time
        rows = list(csv.reader(io.StringIO(
            site.get("/downloads/disclosures-approval_result.csv").content.decode("utf-8-sig"))))  # fmt: skip
        mine = next(r for r in rows if f"洪〔{n}〕号" in r)
        first_col, this_col = (
            rows[0].index("首次公开 first published"),
            rows[0].index("本版公开 published"),
        )
        assert mine[first_col].startswith(published.astimezone(CST).strftime("%Y-%m-%d %H:%M"))
        assert mine[this_col].startswith(minute)
        book = load_workbook(io.BytesIO(site.get("/downloads/disclosures.xlsx").content))
        sheet = next(s for s in book.worksheets if s.title.startswith("批准结果"))
        cells = next(r for r in sheet.iter_rows(values_only=True) if f"洪〔{n}〕号" in r)
        assert any(isinstance(c, dt.datetime) and c.strftime("%Y-%m-%d %H:%M") == minute
                   for c in cells), cells  # fmt: skip

    check()
