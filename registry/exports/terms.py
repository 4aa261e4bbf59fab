"""The terms the register's open data is published under: one licence and one publication
policy (REGISTRY_OPEN_DATA_*), named by the OC4IDS package, the downloads page, the
snapshots' manifests and a ``Link: rel="license"`` header on every download."""

from __future__ import annotations

from registry.settings import OpenDataSettings


def terms(settings: OpenDataSettings, base_url: str) -> dict[str, str]:
    return {
        "license": settings.license_url,
        "license_name": settings.license_name,
        "publication_policy": settings.publication_policy_url or f"{base_url}/downloads#terms",
    }


def license_link(settings: OpenDataSettings) -> str:
    """The ``Link`` header of a download (RFC 8288, the licence relation of RFC 4946)."""
    return f'<{settings.license_url}>; rel="license"'
