"""The coordinate systems the OGC API answers in: WGS 84 (CRS84), and the offset systems of
Chinese web maps, GCJ-02 and BD-09, which are in no CRS register: this server names them
by URIs of its own, which answer with what they are (``crs_description``)."""

from __future__ import annotations

from registry.errors import NotFound
from registry.language import say

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
OUTPUT_CRS = {CRS84: "wgs84", "gcj02": "gcj02", "bd09": "bd09"}
OFFSET_CRS = {
    "gcj02": ("GCJ-02", "国测局坐标（火星坐标），高德、腾讯地图使用 · the offset WGS 84 of "
              "Chinese web maps (AMap, Tencent), GB 20263"),
    "bd09": ("BD-09", "百度坐标，百度地图使用 · GCJ-02 offset again, used by Baidu maps"),
}  # fmt: skip


def crs_uri(base: str, crs: str) -> str:
    """The URI of an output coordinate system ("wgs84", "gcj02", "bd09")."""
    return CRS84 if crs == "wgs84" else f"{base}/ogc/crs/{crs}"


def crs_uris(base: str) -> list[str]:
    return [crs_uri(base, name) for name in ("wgs84", *OFFSET_CRS)]


def output_crs(value: str) -> str | None:
    """The coordinate system a ``crs`` parameter names (by URI or short name), or None."""
    if value in OUTPUT_CRS:
        return OUTPUT_CRS[value]
    head, _, name = value.rstrip("/").rpartition("/ogc/crs/")
    return name if head and name in OFFSET_CRS else None


def crs_description(base: str, name: str) -> dict:
    if name not in OFFSET_CRS:
        raise NotFound.one("crs", "unknown_crs", say("use {crs84}, gcj02 or bd09", crs84=CRS84))
    title, description = OFFSET_CRS[name]
    return {"id": crs_uri(base, name), "name": title, "description": description,
            "baseCrs": CRS84, "axisOrder": "longitude, latitude"}  # fmt: skip
