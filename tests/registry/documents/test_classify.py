"""The checker's judgements as pure functions: "broken" held against an independent
reference over generated sequences of checks, and the page rules on real-looking pages."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.documents import classify
from registry.documents.fetch import Fetched

T0 = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
OUTCOMES = st.sampled_from(["ok", "failed", "moved", "wrong", "changed"])


def reference(history: list[tuple[str, dt.datetime]], checks: int, days: float) -> str:
    """Broken when the latest run of failures is at least ``checks`` long and spans at
    least ``days``; else the last non-failing outcome (unchecked when none)."""
    streak = []
    for outcome, at in reversed(history):
        if outcome != "failed":
            break
        streak.append(at)
    if len(streak) >= checks and streak[0] - streak[-1] >= dt.timedelta(days=days):
        return "broken"
    before = [o for o, _ in history if o != "failed"]
    rest = history[: len(history) - len(streak)]
    if not rest:
        return "unchecked"
    return rest[-1][0] if rest[-1][0] != "failed" else before[-1]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(OUTCOMES, st.floats(0, 3)), min_size=1, max_size=12),
    st.integers(1, 4),
    st.sampled_from([0, 0.5, 1, 2, 3]),
)
def test_broken_matches_the_reference(steps, checks, days):
    state, at, history = classify.State(), T0, []
    for outcome, gap in steps:
        at += dt.timedelta(days=gap)
        history.append((outcome, at))
        verdict = classify.Verdict(outcome, "http_404" if outcome == "failed" else None)
        state = classify.settle(state, verdict, at, checks=checks, days=days)
        assert state.state == reference(history, checks, days), history
    if state.state == "broken":
        assert state.failures >= checks and state.since == state.failing_since


def page(html: str, url: str = "https://fgw.nc.gov.cn/art/2024/5/8/art_1.html", **kw) -> Fetched:
    return Fetched(url=url, status=200, final_url=kw.get("final", url), content_type="text/html",
                   body=html.encode(kw.get("encoding", "utf-8")), complete=True,
                   chain=kw.get("chain", []))  # fmt: skip


ARTICLE = ("<html><head><title>关于南昌市2024年重大建设项目名单的通知</title></head><body>"
           "<div class='nav'><a href='/login'>用户登录</a></div>"
           "<p>发改投资〔2024〕404号。各县区：现将名单印发给你们。</p></body></html>")  # fmt: skip
PAGES = [
    (ARTICLE, {}, None),
    (ARTICLE, {"encoding": "gb18030"}, None),
    ("<title>404</title><body>Not Found</body>", {}, "soft_404"),
    ("<title>南昌市人民政府</title><div class='error'>抱歉，您访问的页面不存在！</div>", {}, "soft_404"),
    ("<title>提示</title><p>该信息已被删除或撤下</p><a href='/'>返回首页</a>", {"encoding": "gb18030"},
     "soft_404"),
    ("<title>错误页面</title><p>系统繁忙</p>", {}, "soft_404"),
    ("<title>江西省统一身份认证平台</title><form>...</form>", {}, "login_page"),
    ("<title>办事大厅</title><form><input type=password name=pwd></form>", {}, "login_page"),
    ("<title>南昌市发展和改革委员会</title>" + "<p>政务公开 通知公告</p>" * 400,
     {"chain": [(302, "https://fgw.nc.gov.cn/")], "final": "https://fgw.nc.gov.cn/"}, "home_redirect"),
    (ARTICLE, {"url": "https://fgw.nc.gov.cn/attach/2024/404.pdf"}, "html_for_document"),
]  # fmt: skip


@pytest.mark.parametrize("html, how, expected", PAGES)
def test_page_rules_on_real_looking_pages(html, how, expected):
    seen = page(html, **how)
    found = classify.verdict(seen, title=None, kept=None, max_bytes=10**6)
    assert (found.reason if found.outcome == "wrong" else None) == expected


@settings(max_examples=300, deadline=None)
@given(
    status=st.one_of(st.none(), st.integers(100, 599)),
    error=st.sampled_from([None, "dns", "timeout", "tls", "refused", "private_address"]),
    kind=st.sampled_from([None, "application/pdf", "text/html", "image/png", "application/zip"]),
    size=st.one_of(st.none(), st.integers(0, 10**7)),
    kept=st.sampled_from([None, ("a" * 64, "application/pdf"), ("b" * 64, "image/png")]),
    sha=st.sampled_from([None, "a" * 64, "c" * 64]),
    hops=st.lists(st.sampled_from([301, 302, 307, 308]), max_size=3),
)
def test_verdicts_keep_their_promises(status, error, kind, size, kept, sha, hops):
    seen = Fetched(url="https://a.gov.cn/x/y.pdf", status=status, error=error, content_type=kind,
                   size=size, sha256=sha, body=b"%PDF-1.4" if sha else None, complete=bool(sha),
                   final_url="https://a.gov.cn/z.pdf",
                   chain=[(h, "https://a.gov.cn/z.pdf") for h in hops])  # fmt: skip
    found = classify.verdict(seen, title="批复.pdf", kept=kept, max_bytes=10**6)
    assert found.outcome in ("ok", "moved", "failed", "wrong", "changed")
    if error or status is None or status >= 400:
        assert found.outcome in ("failed", "wrong") and not found.keep
    if found.keep:  # only the first good, complete, kept-sized fetch of a kept type
        assert kept is None and sha and (size is None or size <= 10**6)
    if found.outcome == "moved":
        assert hops and all(h in (301, 308) for h in hops) and found.moved_to
    if found.outcome == "changed":
        assert kept is not None and sha != kept[0]
