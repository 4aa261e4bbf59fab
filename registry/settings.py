"""Settings, one class per concern; no other module reads the environment.

Every setting is documented in docs/configuration.md (a test checks that).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DatabaseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    database_url: str = Field(
        default="postgresql+psycopg://registry:registry@127.0.0.1:5432/registry",
        description="SQLAlchemy URL of the PostgreSQL + PostGIS database (driver psycopg 3).",
    )


class RegistrySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    catalog_path: Path | None = Field(
        default=None, description="A deployment's own catalog YAML instead of the shipped one."
    )
    scope_path: Path | None = Field(
        default=None,
        description="A deployment's own scope rules (which projects are major without a "
        "list: thresholds by type, industry and investment; format: registry/data/scope.yaml).",
    )
    calendar_path: Path | None = Field(
        default=None,
        description="A YAML file of State Council holiday notices for years chinese_calendar "
        "does not cover yet (format: registry/data/calendar/notices.yaml).",
    )
    statement_timeout_ms: int = Field(
        default=5000,
        ge=0,
        description="PostgreSQL statement_timeout for API reads, in ms (0: none).",
    )
    pool_size: int = Field(default=10, ge=1, description="Database connections kept per process.")
    pool_max_overflow: int = Field(
        default=10, ge=0, description="Connections opened beyond pool_size under load, then closed."
    )
    pool_timeout_s: float = Field(
        default=5.0,
        gt=0,
        description="How long a request waits for a free connection before it is answered 503 "
        "(the service is busy) instead of hanging.",
    )
    connect_timeout_s: int = Field(
        default=5, ge=1, description="How long to wait for PostgreSQL to accept a connection."
    )
    read_replica_urls: str = Field(
        default="",
        description="Streaming replicas for public reads, comma-separated database URLs "
        "(empty: every read on the primary). Writes, and the reads that must see them, stay "
        "on the primary.",
    )
    replica_max_lag_s: float = Field(
        default=10.0,
        gt=0,
        description="A replica further behind the primary than this (seconds of replay) is "
        "skipped until it catches up.",
    )
    replica_check_s: float = Field(
        default=1.0, gt=0, description="How often each replica's health and lag are checked."
    )
    download_dir: Path | None = Field(
        default=None,
        description="Where the files of /downloads are built and kept, one per state of the "
        "register (default: registry-downloads in the system's temporary folder).",
    )
    upload_dir: Path | None = Field(
        default=None,
        description="Where the upload page keeps a checked file until the clerk confirms it "
        "(default: registry-uploads in the system's temporary folder). Every server process "
        "that may answer the confirmation must see it: one machine's processes share it; API "
        "replicas share a volume (the compose scale profile mounts one).",
    )
    document_dir: Path | None = Field(
        default=None,
        description="The document store: where the link checker keeps the first good copy of "
        "each published document, named by its SHA-256 (default: "
        "~/.local/share/registry/documents). Back it up with the database.",
    )
    lock_timeout_ms: int = Field(
        default=10_000,
        ge=0,
        description="PostgreSQL lock_timeout for writes, in ms: a write that waits longer for "
        "another's lock is refused as a conflict (0: wait for ever).",
    )


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_API_", extra="ignore")

    production: bool = Field(
        default=False, description="Hide 'did you mean' suggestions and internal detail in errors."
    )
    max_depth: int = Field(default=10, ge=1, description="Deepest GraphQL selection allowed.")
    cache_mb: float = Field(
        default=64,
        ge=0,
        description="Public answers (tiles, pages, OGC, GraphQL GET) each process keeps, by "
        "size, keyed by the register's state (0: none; ETags and 304 regardless).",
    )
    max_cost: int = Field(
        default=100_000, ge=1, description="Highest estimated query cost allowed."
    )
    max_page_size: int = Field(
        default=100, ge=1, description="Largest `first` a connection accepts."
    )
    default_page_size: int = Field(
        default=20, ge=1, description="Page size when `first` is absent."
    )
    max_body_bytes: int = Field(
        default=100_000, ge=1, description="Largest request body (413 above)."
    )
    max_tokens: int = Field(default=5_000, ge=1, description="Most lexical tokens in one query.")
    compile_queries: bool = Field(
        default=True,
        description="Answer common read queries with one compiled SQL statement "
        "(same output as the resolvers; false runs every query through the resolvers).",
    )
    map_basemap_url: str = Field(
        default="",
        description="Raster tile URL template for the /map page's base map, e.g. "
        "https://tiles.example.gov.cn/{z}/{x}/{y}.png (empty: no base map, for intranets).",
    )
    map_basemap_attribution: str = Field(
        default="", description="Attribution shown for that base map."
    )
    map_basemap_crs: Literal["wgs84", "gcj02", "bd09"] = Field(
        default="wgs84",
        description="The coordinate system of that base map: gcj02 for AMap or Tencent tiles, "
        "bd09 for Baidu; the map then asks for its tiles, base layer and search in it.",
    )
    map_base_layer: Path | None = Field(
        default=None,
        description="A GeoJSON file (WGS 84) of the district boundaries to draw under the "
        "projects, e.g. exported from the natural resources bureau's GIS (default: a sketch "
        "of the districts drawn from the register's own sites).",
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed by CORS (JSON list; [] disables)."
    )
    heavy_slots: int = Field(
        default=1,
        ge=1,
        description="Expensive requests one process works on at once: building a whole-"
        "register file or an as-of export, low-zoom tiles, a part of the register as a file. "
        "More wait (up to heavy_wait_s) while cheap requests go on; the database's cores are "
        "what they share (one slot per two cores is a fair start).",
    )
    heavy_wait_s: float = Field(
        default=20.0,
        gt=0,
        description="How long an expensive request waits for a slot before it is answered "
        "503 with Retry-After.",
    )
    kept_moments: int = Field(
        default=8,
        ge=1,
        description="As-of exports kept on disk (the latest asked; each is built once per "
        "moment and state of the register).",
    )
    public_url: str = Field(
        default="",
        description="The register's public address (scheme, host, path prefix), e.g. "
        "https://xxgk.example.gov.cn/registry: every absolute link (feed, OC4IDS, OGC API, "
        "TileJSON) is built on it, whatever a request says (empty: the address each request "
        "came to, for development).",
    )
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost", "::1"],
        description="Host names a request may address (JSON list; the public URL's host is "
        'always allowed; "*.example.gov.cn" allows its subdomains, "*" any host). A request '
        "for another host is refused (400) before anything is read.",
    )


class LimitSettings(BaseSettings):
    """What a file may hold before it is read: checked before any work, each refusal naming
    the limit and its setting (loaders/limits.py)."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_LIMIT_", extra="ignore")

    file_mb: int = Field(
        default=200, ge=1, description="Largest file a loader or the upload page takes, in MB."
    )
    unzipped_mb: int = Field(
        default=200,
        ge=1,
        description="Largest total a ZIP (a zipped Shapefile, an XLSX workbook) may inflate to, "
        "in MB, read from its directory before anything is inflated.",
    )
    zip_members: int = Field(
        default=64, ge=1, description="Most members a ZIP (or an XLSX workbook) may hold."
    )
    zip_ratio: int = Field(
        default=200,
        ge=1,
        description="Highest compression ratio of a ZIP member over 1 MB inflated (zip bombs "
        "run to thousands; real files to tens).",
    )
    xlsx_strings_mb: int = Field(
        default=32,
        ge=1,
        description="Largest shared-strings part of an XLSX workbook, in MB inflated (read "
        "into memory whole by every XLSX reader).",
    )
    rows: int = Field(
        default=1_000_000, ge=1, description="Most rows (records, features) a file may have."
    )
    cell_chars: int = Field(
        default=32_767,
        ge=1,
        description="Longest value of one cell or field, in characters (Excel's own limit).",
    )
    geojson_mb: int = Field(default=50, ge=1, description="Largest GeoJSON file, in MB.")
    vertices: int = Field(
        default=100_000, ge=4, description="Most vertices of one geometry (a site, a parcel)."
    )
    file_vertices: int = Field(
        default=5_000_000, ge=4, description="Most vertices of all the geometries of one file."
    )
    uploads: int = Field(
        default=4, ge=1, description="Uploads checked or loaded at once by one server process."
    )
    uploads_per_department: int = Field(
        default=1, ge=1, description="Uploads one department may have under way at once."
    )


class QuotaSettings(BaseSettings):
    """How much one reader may ask per minute: without a key, per client address; with a
    reader's or a department's key, per key (registry/web/quotas.py)."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_QUOTA_", extra="ignore")

    enabled: bool = Field(default=True, description="Count requests and refuse with 429.")
    anonymous_requests: int = Field(
        default=600, ge=1, description="Requests per minute from one address without a key."
    )
    anonymous_cost: int = Field(
        default=200_000,
        ge=1,
        description="Query cost per minute from one address without a key (a GraphQL "
        "query's estimated cost, an OGC page's features, a tile counts 1).",
    )
    keyed_requests: int = Field(
        default=3_000,
        ge=1,
        description="Requests per minute with a reader's or a department's key.",
    )
    keyed_cost: int = Field(
        default=2_000_000, ge=1, description="Query cost per minute with a key."
    )


class WebhookSettings(BaseSettings):
    """How `registry worker` delivers webhooks (registry/changes/delivery.py)."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_WEBHOOK_", extra="ignore")

    max_attempts: int = Field(
        default=17,
        ge=1,
        description="Attempts at an event before its subscription is disabled (with the default "
        "backoff, 17 attempts span about a day and a half).",
    )
    retry_base_s: int = Field(
        default=2,
        ge=1,
        description="Backoff: attempt n+1 waits retry_base_s ** n seconds after attempt n.",
    )
    timeout_s: float = Field(default=10, gt=0, description="How long one delivery may take.")
    allow_private: bool = Field(
        default=False,
        description="Let subscriptions name private or local addresses (tests, an intranet).",
    )
    concurrency: int = Field(
        default=4, ge=1, description="Deliveries one worker process runs at once."
    )
    poll_s: float = Field(
        default=5,
        gt=0,
        description="How often a worker looks for new events without being notified.",
    )
    stalled_s: float = Field(
        default=30,
        gt=0,
        description="A worker silent this long is taken for dead: its deliveries run again "
        "(at least once) on another.",
    )


class LinkSettings(BaseSettings):
    """How `registry links check` checks document links and keeps copies
    (registry/documents/)."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_LINKS_", extra="ignore")

    contact: str = Field(
        default="",
        description="Who runs this register (an address or URL), named in the checker's "
        "User-Agent so a site's administrators can reach you.",
    )
    timeout_s: float = Field(default=20, gt=0, description="How long one request may take.")
    per_host: int = Field(
        default=2, ge=1, le=8, description="Requests at a time to one host (host and port)."
    )
    delay_s: float = Field(
        default=1.0, ge=0, description="Pause between two requests in one host's slot."
    )
    concurrency: int = Field(default=32, ge=1, description="Requests at a time over all hosts.")
    broken_after_checks: int = Field(
        default=3,
        ge=1,
        description="A link is declared broken after failing this many checks in a row ...",
    )
    broken_after_days: float = Field(
        default=2,
        ge=0,
        description="... spread over at least this many days (an outage is not a broken link).",
    )
    keep_max_mb: float = Field(
        default=50, gt=0, description="Documents larger than this are checked but not kept."
    )
    schedule: str = Field(
        default="30 2 * * *",
        description="When `registry worker` runs the check (cron, the worker's time zone; "
        "empty: never, e.g. when a systemd timer or cron runs `registry links check`).",
    )
    allow_private: bool = Field(
        default=False,
        description="Let the checker fetch private or local addresses (tests, an intranet); "
        "otherwise such a link is reported wrong and never fetched.",
    )


class OpenDataSettings(BaseSettings):
    """The terms the register's open data carries, and its dated snapshots."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_OPEN_DATA_", extra="ignore")

    license_url: str = Field(
        default="https://creativecommons.org/licenses/by/4.0/",
        description="The licence of the exports and downloads (OC4IDS `license`, the "
        "downloads page, a `Link: rel=license` header).",
    )
    license_name: str = Field(
        default="知识共享 署名 4.0 国际 (CC BY 4.0)", description="The licence's name, as shown."
    )
    publication_policy_url: str = Field(
        default="",
        description="The publication policy (OC4IDS `publicationPolicy`); default: the terms "
        "on this register's downloads page (/downloads#terms).",
    )
    snapshot_dir: Path | None = Field(
        default=None,
        description="Where the dated snapshots of the downloads are kept (default: "
        "~/.local/share/registry/snapshots). Durable: reusers cite them.",
    )
    snapshot_schedule: str = Field(
        default="0 3 * * *",
        description="When `registry worker` takes the day's snapshot (cron; empty: never, "
        "e.g. when cron runs `registry export snapshot`).",
    )
    daily_days: int = Field(
        default=30, ge=1, description="Daily snapshots kept; older ones, the first of each month."
    )


class OpsSettings(BaseSettings):
    """What operators watch: logs, metrics, shutdown."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_OPS_", extra="ignore")

    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as text, or as JSON objects (one per line)."
    )
    access_log: bool = Field(
        default=True,
        description="Log one line per request (`registry serve --no-access-log` turns it off).",
    )
    slow_query_ms: int = Field(
        default=500, ge=0, description="Log SQL statements slower than this, in ms (0: none)."
    )
    metrics_enabled: bool = Field(default=True, description="Serve Prometheus metrics at /metrics.")
    metrics_token: str = Field(
        default="",
        description="When set, /metrics answers only requests with `Authorization: Bearer TOKEN`.",
    )
    shutdown_timeout_s: int = Field(
        default=20, ge=0, description="On SIGTERM, how long in-flight requests may finish."
    )
    retry_after_s: int = Field(
        default=5,
        ge=1,
        description="Retry-After of a 503 (database down or every connection busy).",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Proxies whose X-Forwarded-Proto and X-Forwarded-For are believed "
        '(uvicorn\'s forwarded_allow_ips: comma-separated addresses or networks, "*" any): '
        "only they can say a request came over https, or from which client.",
    )


class Settings:
    """All concerns together, read once per process."""

    def __init__(self) -> None:
        self.database = DatabaseSettings()
        self.registry = RegistrySettings()
        self.api = ApiSettings()
        self.ops = OpsSettings()
        self.limits = LimitSettings()
        self.quotas = QuotaSettings()
        self.webhooks = WebhookSettings()
        self.links = LinkSettings()
        self.open_data = OpenDataSettings()

    @property
    def catalog_path(self) -> Path | None:
        return self.registry.catalog_path


ALL_SETTINGS = (
    DatabaseSettings,
    RegistrySettings,
    ApiSettings,
    OpsSettings,
    LimitSettings,
    QuotaSettings,
    WebhookSettings,
    LinkSettings,
    OpenDataSettings,
)


@cache
def get_settings() -> Settings:
    return Settings()
