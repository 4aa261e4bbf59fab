"""An Atom feed (RFC 4287) of the change stream: the newest changes first, with the same
filters as ``/changes``, paged back by RFC 5005 ``next`` links. Feed readers follow what
the register does in the words of the plan; programs follow ``/changes``."""

from __future__ import annotations

import datetime as dt
import json
from xml.etree import ElementTree as ET

from registry.catalog import get_catalog
from registry.clock import CST
from registry.exports.feed import add, head

LIMIT = 100

KIND_ZH = {
    "project.registered": "项目登记",
    "project.changed": "项目信息变更",
    "project.sites_replaced": "项目位置更新",
    "item.published": "信息公开",
    "item.corrected": "信息更正",
    "item.withdrawn": "信息撤回",
    "responsibility.assigned": "公开责任确定",
    "responsibility.changed": "公开责任调整",
    "responsibility.removed": "公开责任撤销",
    "list.issued": "名单印发",
    "list.changed": "名单修改",
    "list.entry_added": "列入名单",
    "list.entry_removed": "调出名单",
    "scope.designated": "认定为重大项目",
    "declaration.made": "不涉及/尚未形成说明",
    "declaration.withdrawn": "说明撤回",
}


def _title(event: dict) -> str:
    data = event["data"]
    what = data.get("title") or data.get("name") or ""
    if event["kind"] == "item.corrected":
        what = f"{what}（第{data.get('revision')}版）"
    if event["kind"].startswith("item.") and event["item"]:
        item = get_catalog().known_item(event["item"])
        what = what or (item.name_zh if item else "")
    return f"【{KIND_ZH.get(event['kind'], event['kind'])}】{what}".strip()


def _summary(event: dict) -> str:
    parts = [f"{k}：{v}" for k, v in (("项目", event["project"]), ("部门", event["department"]),
                                     ("类别", event["category"]), ("名单", event["list"])) if v]  # fmt: skip
    data = event["data"]
    if event["kind"] == "project.changed":
        parts += [f"{c['field']}：{c['before']} → {c['after']}" for c in data.get("changes", [])]
    for key, label in (("reason", "原因"), ("correction_reason", "更正原因"),
                       ("removed_reason", "调出原因")):  # fmt: skip
        if data.get(key):
            parts.append(f"{label}：{data[key]}")
    return "；".join(parts)


def atom(events: list[str], base: str, self_url: str, first_url: str,
         next_url: str | None) -> bytes:  # fmt: skip
    parsed = [json.loads(e) for e in events]
    newest = dt.datetime.fromisoformat(parsed[0]["at"]) if parsed else None
    feed = head(f"{base}/feeds/changes.atom", "重大建设项目信息公开 · 变更 · every public change",
                newest, self_url, first_url, next_url)  # fmt: skip
    for event in parsed:
        entry = add(feed, "entry")
        add(entry, "id", f"{base}/changes#{event['cursor']}")
        add(entry, "title", _title(event))
        add(entry, "updated", dt.datetime.fromisoformat(event["at"]).astimezone(CST).isoformat())
        add(entry, "category", term=event["kind"], label=KIND_ZH.get(event["kind"], ""))
        if event["project"]:
            add(entry, "link", rel="alternate", type="text/html",
                href=f"{base}/projects/{event['project']}")  # fmt: skip
        elif event["list"]:
            add(entry, "link", rel="alternate", type="text/html",
                href=f"{base}/lists/{event['list']}")  # fmt: skip
        add(entry, "summary", _summary(event))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
