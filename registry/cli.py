"""The `registry` command. One of the two composition roots: it may import loaders/ and
schema/, lazily, inside the commands that need them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from registry.errors import RegistryError
from registry.language import phrase, say

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.ext.asyncio import AsyncConnection
    from sqlalchemy.orm import Session

T = TypeVar("T")


@contextlib.contextmanager
def write_session() -> Iterator[Session]:
    """A write transaction on a Database opened (and closed) for this command."""
    from registry.db import opened

    with opened() as database, database.session() as session:
        yield session


def read(work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """Run an async read on the read engine of a Database opened for this command."""
    from registry.db import Database

    async def run() -> T:
        database = Database()
        try:
            async with database.read.connect() as conn:
                return await work(conn)
        finally:
            await database.aclose()

    return asyncio.run(run())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="major-project-registry")
@click.option("--debug", is_flag=True, help="Show the full traceback when a command fails.")
def main(debug: bool) -> None:
    """Registry of major construction project disclosures (重大建设项目全链条信息公开)."""


def run() -> None:
    """The `registry` command: every failure is one clear line (``--debug``: the traceback)."""
    debug = "--debug" in sys.argv[1:]
    try:
        main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo(say("aborted"), err=True)
        sys.exit(1)
    except Exception as exc:
        if debug:
            raise
        click.echo(say("error: {detail}", detail=describe(exc)), err=True)
        click.echo(say("(add --debug for the traceback)"), err=True)
        sys.exit(1)


def describe(error: Exception) -> str:
    """A failure in one line, for the person at the terminal."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError, OperationalError

    from registry.settings import get_settings

    if isinstance(error, RegistryError):
        return error.message
    if isinstance(error, OperationalError) or type(error).__name__ == "OperationalError":
        url = make_url(get_settings().database.database_url)
        return say(
            "cannot reach the database {database} at {host}:{port}: is PostgreSQL running, "
            "and is DATABASE_URL right?",
            database=url.database,
            host=url.host,
            port=url.port,
        )
    if isinstance(error, DBAPIError):
        first = str(error.orig).splitlines()[0] if error.orig else str(error)
        return say("the database refused the operation: {detail}", detail=first)
    if isinstance(error, OSError):
        return f"{error.strerror or error}: {error.filename or ''}".rstrip(": ")
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


@main.group()
def db() -> None:
    """Database schema: migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or migrate the schema to REVISION (runs the Alembic migrations)."""
    from registry.migrations import upgrade

    upgrade(revision=revision)
    click.echo(say("database at revision {revision}", revision=revision))
    _calendar_warning()


@db.command("downgrade")
@click.option("--revision", required=True, help="Target revision ('base' empties the schema).")
def db_downgrade(revision: str) -> None:
    """Migrate the schema back to REVISION."""
    from registry.migrations import downgrade

    downgrade(revision=revision)
    click.echo(say("database at revision {revision}", revision=revision))


@db.command("current")
def db_current() -> None:
    """Show the schema revision of the database."""
    from registry.migrations import current

    current()


@main.group()
def calendar() -> None:
    """The working-day calendar (法定工作日): official data, provisional years."""


@calendar.command("update")
def calendar_update() -> None:
    """Rewrite the calendar table from chinese_calendar, the notices file(s) and the
    provisional rule (after adding a State Council notice to REGISTRY_CALENDAR_PATH)."""
    from registry.migrations import refresh_calendar

    days = refresh_calendar()
    click.echo(say("calendar: {days} days written", days=days))
    _calendar_warning()


@calendar.command("status")
def calendar_status() -> None:
    """How far official working-day data reaches; which years are provisional."""
    from registry.compliance.calendar import coverage

    with opened_write() as engine, engine.connect() as conn:
        found = coverage(conn)
    click.echo(
        say(
            "official working-day data until {official}; the table runs to {table} (later "
            "years: provisional)",
            official=found.official_until or "-",
            table=found.table_until or "-",
        )
    )
    _calendar_warning()


def _calendar_warning() -> None:
    """Warn on stderr when official working-day data ends within 60 days."""
    from registry.compliance.calendar import coverage

    with opened_write() as engine, engine.connect() as conn:
        line = coverage(conn).warning()
    if line:
        click.echo(say("warning: {detail}", detail=line), err=True)


@contextlib.contextmanager
def opened_write() -> Iterator[Engine]:
    from registry.db import opened

    with opened() as database:
        yield database.write


@main.group()
def demo() -> None:
    """The synthetic Nanchang demo data set (演示数据)."""


@demo.command("load")
def demo_load() -> None:
    """Load the demo data through the publishing functions (loading twice changes nothing)."""
    from loaders.demo import load_demo
    from loaders.report import counted

    with write_session() as session:
        counts = load_demo(session)
    click.echo(say("demo data: {counts}", counts=counted(counts)))


@main.group()
def catalog() -> None:
    """The disclosure catalog (categories, items, content elements)."""


@catalog.command("check")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
def catalog_check(path: str | None) -> None:
    """Validate a catalog file (the shipped one by default)."""
    from registry.catalog import SHIPPED_CATALOG, load_catalog

    try:
        loaded = load_catalog(path or SHIPPED_CATALOG)
    except RegistryError as exc:
        for problem in exc.problems:
            click.echo(say("error: {detail}", detail=problem), err=True)
        sys.exit(1)
    click.echo(
        say(
            "catalog ok: {categories} categories, {items} items, {elements} elements",
            categories=len(loaded.categories),
            items=len(loaded.items()),
            elements=len(loaded.elements),
        )
    )


@catalog.command("show")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text")
def catalog_show(fmt: str) -> None:
    """List the categories, their items and content elements."""
    from registry.catalog import get_catalog
    from registry.catalog.markdown import catalog_markdown

    cat = get_catalog()
    if fmt == "markdown":
        click.echo(catalog_markdown(cat), nl=False)
        return
    if fmt == "json":
        click.echo(
            json.dumps(cat.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=2)
        )
        return
    for entry in cat.categories:
        click.echo(f"{entry.category.value}  {entry.name_zh}  ({entry.name_en})")
        for item in entry.items:
            flags = "" if item.is_public else f"  [{item.audience}, {item.mode}]"
            click.echo(f"  {item.key}  {item.name_zh}  — {item.time_limit.describe_zh()}{flags}")
            for ie in item.elements:
                mark = "*" if ie.required else " "
                click.echo(f"    {mark} {ie.element.key} {ie.element.name_zh} ({ie.element.type})")


@main.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--as",
    "department",
    required=True,
    metavar="DEPARTMENT_CODE",
    help="The department loading the files (`admin` for an administrator).",
)
@click.option(
    "--kind",
    help="projects, sites, responsibilities, a category key or an item key "
    "(inferred from the headers when absent).",
)
@click.option(
    "--crs", help="Coordinates of the file: an EPSG code (4326, 4490, 4527, 4548…), gcj02 or bd09."
)
@click.option("--sheet", help="The XLSX sheet to read (default: the first).")
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
@click.option(
    "--map",
    "renames",
    multiple=True,
    metavar="HEADER=COLUMN",
    help="Read a column under another name, e.g. XMDM=项目统一代码 (repeat).",
)
@click.option("--report", "report_format", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--errors",
    "errors_to",
    type=click.Path(dir_okay=False),
    help="错误标注表 · When a file is refused, write it back as this XLSX with the cells in "
    "error marked red and explained, to fix and load again (several files: NAME gets the "
    "file's name in front).",
)
def load_command(
    files: Any,
    department: Any,
    kind: Any,
    crs: Any,
    sheet: Any,
    dry_run: Any,
    renames: Any,
    report_format: Any,
    errors_to: Any,
) -> None:
    """Load department files (CSV, XLSX, GeoJSON, zipped Shapefile); each file is all or nothing."""
    from loaders import FileRefused, load_file

    try:
        rename = dict(item.split("=", 1) for item in renames)
    except ValueError as exc:
        raise click.BadParameter(say("use HEADER=COLUMN"), param_hint="--map") from exc
    refused = 0
    for name in files:
        with _progress(name) as progress:
            try:
                with write_session() as session:
                    report = load_file(
                        session,
                        name,
                        department,
                        kind=kind,
                        crs=crs,
                        sheet=sheet,
                        dry_run=dry_run,
                        progress=progress,
                        rename=rename,
                    )
            except FileRefused as exc:
                report, refused = exc.report, refused + 1
                if errors_to:
                    _write_errors(report, name, errors_to, len(files) > 1)
        click.echo(report.json() if report_format == "json" else report.text())
    sys.exit(1 if refused else 0)


def _write_errors(report: Any, name: str, errors_to: str, several: bool) -> None:
    from pathlib import Path

    from loaders.errors_xlsx import write_errors

    target = Path(errors_to)
    if several:
        target = target.with_name(f"{Path(name).stem}-{target.name}")
    try:
        write_errors(report, Path(name), target)
    except RegistryError:
        return  # the file itself could not be read: there is nothing to mark
    report.notes.append(say("marked copy: {path}", path=target))


def _progress(name: str) -> Any:
    """A progress bar on a terminal; nothing when output goes elsewhere."""
    if not sys.stderr.isatty():
        return contextlib.nullcontext(None)
    from tqdm import tqdm

    bar = tqdm(desc=name, unit=" rows", file=sys.stderr, leave=False)

    @contextlib.contextmanager
    def wrapped() -> Any:
        try:
            yield bar.update
        finally:
            bar.close()

    return wrapped()


@main.command("departments")
def departments_command() -> None:
    """部门代码 · The departments: the code to give `registry load --as`, name, region."""
    from sqlalchemy import text as sql

    async def listed(conn: AsyncConnection) -> list:
        rows = await conn.execute(
            sql(
                "SELECT code, name, coalesce(region_code, '') AS region FROM departments ORDER BY code"
            )
        )
        return list(rows)

    click.echo(say("code\tname\tregion"))
    for row in read(listed):
        click.echo(f"{row.code}\t{row.name}\t{row.region}")


@main.command("template")
@click.argument("kind")
@click.option(
    "--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Default: KIND.xlsx / KIND.csv"
)
def template_command(kind: str, fmt: str, output: str | None) -> None:
    """Write an empty template for KIND (projects, sites, responsibilities, a category or an item)."""
    from pathlib import Path

    from loaders.columns import parse_kind
    from loaders.templates import write_template

    try:
        chosen = parse_kind(kind)
    except RegistryError as exc:
        raise click.BadParameter(exc.message, param_hint="KIND") from exc
    departments = None
    if fmt == "xlsx":
        departments = _department_codes()
    path = write_template(chosen, fmt, Path(output or f"{kind}.{fmt}"), departments)
    click.echo(say("template written: {path}", path=path))
    if fmt == "xlsx" and departments is None:
        click.echo(say("the register could not be reached: the department-code columns have "
                       "no drop-down list"), err=True)  # fmt: skip


def _department_codes() -> list[tuple[str, str]] | None:
    """The register's departments (code, name) for a template's drop-down, or None when
    the database cannot be reached (a template is still useful without them)."""
    from sqlalchemy import text as sql
    from sqlalchemy.exc import SQLAlchemyError

    async def listed(conn: AsyncConnection) -> list[tuple[str, str]]:
        rows = await conn.execute(sql("SELECT code, name FROM departments ORDER BY code"))
        return [(r.code, r.name) for r in rows]

    try:
        return read(listed)
    except (SQLAlchemyError, OSError):
        return None


@main.group()
def keys() -> None:
    """API keys for departments (Authorization: Bearer …)."""


@keys.command("create")
@click.argument("department_code", required=False)
@click.option(
    "--admin", is_flag=True, help="An administrator's key: manages departments and responsibility."
)
@click.option(
    "--reader",
    is_flag=True,
    help="A reader's key: no department, writes nothing, raises the reader's quotas "
    "(REGISTRY_QUOTA_KEYED_*) and names their webhook subscriptions.",
)
@click.option("--label", help="A note to recognise the key by (who holds it).")
@click.option("--contact", help="How to reach a reader (an e-mail address), for a reader's key.")
def keys_create(
    department_code: str | None, admin: bool, reader: bool, label: str | None, contact: str | None
) -> None:
    """Create a key for DEPARTMENT_CODE (or, with --reader, for a reader); it is shown once
    and only its hash is kept."""
    from registry.publishing.keys import create_key, create_reader_key

    if reader == bool(department_code) or (reader and admin):
        raise click.UsageError(say("give a DEPARTMENT_CODE, or --reader (not both)"))
    try:
        with write_session() as session:
            if reader:
                key_id, token = create_reader_key(session, label or "", contact)
            else:
                key_id, token = create_key(session, department_code or "", admin, label)
    except RegistryError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(
        say(
            "key {id} for {department}{admin}; it is shown only once:",
            id=key_id,
            department=phrase("a reader") if reader else department_code,
            admin=phrase(" (admin)") if admin else "",
        )
    )
    click.echo(token)


@keys.command("list")
def keys_list() -> None:
    """List keys: id, department (or reader), admin, created, revoked (never the secret)."""
    from sqlalchemy import select

    from registry.clock import china_minute
    from registry.models import ApiKey, ReaderKey

    with write_session() as session:
        for key in session.scalars(select(ApiKey).order_by(ApiKey.created_at)):
            state = f"revoked {china_minute(key.revoked_at)}" if key.revoked_at else "active"
            click.echo(
                f"{key.id}  {key.department.code:10s} {'admin' if key.is_admin else '     '}  "
                f"created {china_minute(key.created_at)}  {state}  {key.label or ''}".rstrip()
            )
        for reader in session.scalars(select(ReaderKey).order_by(ReaderKey.created_at)):
            state = f"revoked {china_minute(reader.revoked_at)}" if reader.revoked_at else "active"
            click.echo(
                f"{reader.id}  {'reader':10s}        created {china_minute(reader.created_at)}  "
                f"{state}  {reader.label}".rstrip()
            )


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke a key at once; requests with it are refused from then on."""
    from registry.publishing.keys import revoke_key

    try:
        with write_session() as session:
            changed = revoke_key(session, key_id)
    except RegistryError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(
        say("key {id} revoked", id=key_id)
        if changed
        else say("key {id} was already revoked", id=key_id)
    )


@main.group("lists")
def lists_group() -> None:
    """重大建设项目名单 · The lists of major projects: register one, load its table, show it."""


@lists_group.command("show")
@click.argument("list_id", required=False, type=int)
@click.option(
    "--on", "day", type=click.DateTime(["%Y-%m-%d"]), help="As on this day (default today)."
)
def lists_show(list_id: int | None, day: Any) -> None:
    """The lists (id, year, level, name, document, members, in force), or one list's
    entries and its accountability per category and responsible body."""
    from registry.reading import scope

    on = day.date() if day else None

    async def work(conn: AsyncConnection) -> Any:
        if list_id is None:
            return await scope.lists(conn, on), None, None
        found = await scope.one_list(conn, list_id, on)
        if found is None:
            return None, None, None
        return found, await scope.entries(conn, list_id, on), await scope.figures(conn, list_id, on)

    found, entries, figures = read(work)
    if list_id is None:
        click.echo(say("id\tyear\tlevel\tname\tdocument\tissued\tprojects\tin force"))
        for row in found or []:
            click.echo(f"{row['id']}\t{row['year']}\t{row['level']}\t{row['name']}\t{row['doc_no']}"
                       f"\t{row['issued_on']}\t{row['members']}\t{'是' if row['in_force'] else '否'}")  # fmt: skip
        return
    if found is None:
        raise click.ClickException(say("there is no list {id}", id=list_id))
    click.echo(f"{found['name']}  {found['doc_no']}  {found['issued_on']}  ({found['members']})")
    for entry in entries or []:
        gone = (
            f"  调出 {entry['removed_on']}：{entry['removed_reason']}"
            if entry["removed_on"]
            else ""
        )
        click.echo(
            f"  {entry['row_no'] or '-':>4}  {entry['project_code']}  {entry['project_name']}{gone}"
        )
    click.echo(say("category\tresponsible\tprojects\tdue\tpublished\ton time\tlate\t"
                   "not applicable\tnot yet formed\tmissing"))  # fmt: skip
    for f in figures or []:
        click.echo(f"{f.category}\t{f.department}\t{f.projects}\t{f.due}\t{f.published}\t"
                   f"{f.on_time}\t{f.late}\t{f.not_applicable}\t{f.not_yet_formed}\t{f.missing}")  # fmt: skip


@lists_group.command("new")
@click.option("--as", "department", required=True, metavar="DEPARTMENT_CODE",
              help="The department registering it (`admin` for an administrator).")  # fmt: skip
@click.option("--name", required=True, help="e.g. 南昌市2024年重大建设项目名单")
@click.option(
    "--level", required=True, type=click.Choice(["national", "provincial", "municipal", "district"])
)
@click.option("--year", required=True, type=int)
@click.option("--region", "region_code", required=True, help="The 6-digit division code it covers.")
@click.option("--issued-on", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--doc-no", help="e.g. 洪发改重大〔2024〕5号")
@click.option("--issuer", help="The issuing department's code (default: --as).")
@click.option("--until", "in_force_until", type=click.DateTime(["%Y-%m-%d"]),
              help="In force until (default: the end of its year).")  # fmt: skip
@click.option("--scope-note", help="The scope the notice states.")
@click.option("--source-url", help="The notice's web address.")
def lists_new(department: str, name: str, level: str, year: int, region_code: str,
              issued_on: Any, doc_no: str | None, issuer: str | None, in_force_until: Any,
              scope_note: str | None, source_url: str | None) -> None:  # fmt: skip
    """Register a list as issued (or change one: the same issuer and document number)."""
    from pathlib import Path

    from loaders.run import actor_for
    from registry import publishing as pub

    try:
        with write_session() as session:
            actor = actor_for(session, department, Path("lists-new"))
            outcome = pub.save_list(session, actor, pub.ListInput(
                name=name, level=level, year=year, region_code=region_code,
                issuer=issuer or actor.department or "", issued_on=issued_on.date(),
                doc_no=doc_no or "", in_force_until=in_force_until.date() if in_force_until else None,
                scope_note=scope_note or "", source_url=source_url))  # fmt: skip
    except RegistryError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(say("list {id}: {action}", id=outcome.record.id, action=outcome.action))


@lists_group.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--list", "list_id", required=True, type=int, help="The list's id (`registry lists show`)."
)
@click.option("--as", "department", required=True, metavar="DEPARTMENT_CODE",
              help="The department loading it (`admin` for an administrator).")  # fmt: skip
@click.option("--review", type=click.Path(exists=True, dir_okay=False),
              help="A review file filled in: its 决定 column decides the rows.")  # fmt: skip
@click.option("--review-out", type=click.Path(dir_okay=False),
              help="Where to write the review file (default: FILE's name + .review.csv).")  # fmt: skip
@click.option("--on", "day", type=click.DateTime(["%Y-%m-%d"]),
              help="The day the rows join the list (or leave it, under 调出); default: the "
              "list's issue day.")  # fmt: skip
@click.option("--adjustment", is_flag=True, help="The file is a mid-year adjustment (增补 / 调出).")
@click.option("--sheet", help="The XLSX sheet to read (default: the first).")
@click.option("--dry-run", is_flag=True, help="Check and match everything, write nothing.")
def lists_load(file: str, list_id: int, department: str, review: str | None,
               review_out: str | None, day: Any, adjustment: bool, sheet: str | None,
               dry_run: bool) -> None:  # fmt: skip
    """Load a list's table as its notice attaches it (XLSX or CSV, usually without project
    codes): each row matched to a registered project; what is not certain goes to a review
    file to fill and load again; nothing is written until every row is decided."""
    from pathlib import Path

    from loaders.lists import load_list
    from loaders.run import actor_for

    target = Path(review_out) if review_out else Path(file).with_suffix(".review.csv")
    with write_session() as session:
        actor = actor_for(session, department, Path(file))
        load = load_list(session, actor, file, list_id, review=review, review_out=target,
                         on=day.date() if day else None, adjustment=adjustment, sheet=sheet,
                         dry_run=dry_run)  # fmt: skip
    click.echo(load.text())
    sys.exit(0 if load.report.ok else 1)


@main.group()
def report() -> None:
    """Reports for assessment (考核)."""


@report.command("compliance")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Default: standard output (csv)."
)
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="Formed on or after.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Formed on or before.")
def report_compliance(fmt: str, output: str | None, start: Any, end: Any) -> None:
    """Per department and category: published, on time, late, overdue, on-time rate."""
    from registry.compliance.scores import score_rows
    from registry.reading.queries import scoreboard

    board = read(
        lambda conn: scoreboard(
            conn, True, None, start.date() if start else None, end.date() if end else None
        )
    )
    from registry.exports import scoreboard as files

    rows = score_rows(board)
    if fmt == "xlsx":
        if not output:
            raise click.UsageError(say("--format xlsx needs -o PATH"))
        Path(output).write_bytes(files.xlsx_bytes(board))
        click.echo(report_written(output, len(rows)))
        return
    if output:
        Path(output).write_bytes(files.csv_bytes(board))
        click.echo(report_written(output, len(rows)))
    else:
        click.echo(files.csv_text(board), nl=False)


def report_written(path: str, rows: int) -> str:
    return say("report written: {path} ({rows} rows)", path=path, rows=rows)


@main.group()
def export() -> None:
    """Open-data exports."""


@export.command("snapshot")
@click.option(
    "--base-url",
    help="Where the registry is published (default: REGISTRY_API_PUBLIC_URL, else "
    "http://127.0.0.1:8000).",
)
def export_snapshot(base_url: str | None) -> None:
    """Today's dated snapshot of every download and the OC4IDS package, with SHA-256 sums,
    into REGISTRY_OPEN_DATA_SNAPSHOT_DIR (run daily: the worker does; older snapshots are
    pruned to the last 30 days and the first of each month)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from registry.exports import snapshots
    from registry.settings import get_settings

    settings = get_settings()
    base = (base_url or settings.api.public_url or "http://127.0.0.1:8000").rstrip("/")

    async def built() -> dict:
        engine = create_async_engine(settings.database.database_url)
        try:
            return await snapshots.build(engine, settings.open_data, base)
        finally:
            await engine.dispose()

    manifest = asyncio.run(built())
    size = sum(f["bytes"] for f in manifest["files"])
    click.echo(say("snapshot {day}: {files} files, {mb:.1f} MB, in {folder}",
                   day=manifest["day"], files=len(manifest["files"]), mb=size / 1e6,
                   folder=snapshots.folder(settings.open_data) / manifest["day"]))  # fmt: skip


@export.command("oc4ids")
@click.option("--project", help="Only this project code.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Default: standard output.")
@click.option(
    "--base-url",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="Where the registry is published (for the package's uri).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"]),
    help="As the register stood then (2025-06-30 is its midnight in China).",
)
def export_oc4ids(project: str | None, output: str | None, base_url: str, as_of: Any) -> None:
    """An OC4IDS 0.9 project package, streamed from one snapshot of the register, every
    project validated against the vendored schema as it is written. With -o the file appears
    only when the whole package is valid."""
    from registry.clock import CST
    from registry.exports import oc4ids

    moment = as_of if as_of is None or as_of.tzinfo else as_of.replace(tzinfo=CST)
    checker = oc4ids.Checker(parallel=project is None)
    target = Path(output) if output else None
    partial = target.with_name(f".{target.name}.partial") if target else None

    async def write() -> None:
        from registry.db import Database

        database = Database()
        try:
            async with database.snapshot("15min") as snapshot:
                with open(partial, "wb") if partial else _stdout_bytes() as handle:
                    async for piece in oc4ids.stream(
                        snapshot, base_url.rstrip("/"), project, moment, checker
                    ):
                        handle.write(piece)
        finally:
            await database.aclose()

    try:
        asyncio.run(write())
    except RegistryError as exc:
        checker.finish()
        _forget(partial)
        raise click.ClickException(exc.message) from exc
    problems = checker.finish()
    if problems:
        _forget(partial)
        for problem in problems[:50]:
            click.echo(say("error: {detail}", detail=problem), err=True)
        sys.exit(1)
    if target and partial:
        partial.replace(target)
        click.echo(
            say(
                "OC4IDS package written: {path} ({count} projects, valid)",
                path=output,
                count=checker.index,
            )
        )


def _stdout_bytes() -> Any:
    return contextlib.nullcontext(sys.stdout.buffer)


def _forget(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)


@main.group("schema")
def schema_group() -> None:
    """The GraphQL schema."""


@schema_group.command("export")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="File to write (default: stdout)."
)
def schema_export(output: str | None) -> None:
    """Print the GraphQL schema (SDL); the repository keeps it in schema/schema.graphql."""
    from graphql import print_schema

    from schema import build_schema

    sdl = print_schema(build_schema().graphql_schema) + "\n"
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(sdl)
    else:
        click.echo(sdl, nl=False)


@main.command("serve")
@click.option(
    "--host",
    "hosts",
    multiple=True,
    default=["127.0.0.1", "::1"],
    show_default=True,
    help="Address to listen on; repeat for several (IPv4 and IPv6).",
)
@click.option("--port", default=8000, show_default=True)
@click.option("--log-level", default="info", show_default=True)
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="Log every request (a reverse proxy often does this already).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes on the same port (about one per core); each has its own pools.",
)
def serve_command(
    hosts: tuple[str, ...], port: int, log_level: str, access_log: bool, workers: int
) -> None:
    """Serve the API (GraphQL, OGC API, tiles, map, report, feeds) with uvicorn."""
    from registry.web.serve import serve

    serve("registry.app:create_app", list(hosts), port, log_level, access_log, workers)


@main.group("links")
def links_group() -> None:
    """Document links: checked, kept, scanned (杜绝错链、断链)."""


@links_group.command("check")
@click.option("--url", "only", help="Check only this URL.")
def links_check(only: str | None) -> None:
    """Check every link public items show (and keep the first good copy of each document);
    run daily (systemd timer, cron, or the worker). Prints the states counted."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from registry.documents.checker import check_links
    from registry.documents.store import document_store
    from registry.settings import get_settings

    settings = get_settings()

    async def checked() -> Any:
        engine = create_async_engine(settings.database.database_url)
        try:
            store = document_store(settings.registry.document_dir)
            return await check_links(engine, store, settings.links, only=only)
        finally:
            await engine.dispose()

    run = asyncio.run(checked())
    states = ", ".join(f"{state} {count}" for state, count in sorted(run.states.items()))
    click.echo(say(
        "links checked: {checked} ({states}); documents kept: {kept}, with personal data: "
        "{found}", checked=run.checked, states=states or "-", kept=run.kept, found=run.findings))  # fmt: skip
    click.echo(say("took {seconds:.1f} s", seconds=run.seconds), err=True)


@links_group.command("report")
@click.option("--department", help="Only this department's links (its code).")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Default: standard output (csv)."
)
def links_report(department: str | None, fmt: str, output: str | None) -> None:
    """Every document link with its state, the kept copy and personal data found in it
    (masked): for departments and administrators, not for publication."""
    from registry.documents.states import listed
    from registry.exports import link_report

    if fmt == "xlsx" and not output:
        raise click.UsageError(say("--format xlsx needs -o PATH"))
    rows = read(lambda conn: listed(conn, department))
    data = link_report.xlsx_bytes(rows) if fmt == "xlsx" else link_report.csv_bytes(rows)
    if output:
        Path(output).write_bytes(data)
        click.echo(report_written(output, len(rows)))
    else:
        click.echo(data.decode("utf-8-sig"), nl=False)


@main.command("worker")
@click.option("--name", help="A name for this worker in the queue's tables and the logs.")
def worker_command(name: str | None) -> None:
    """Run the job queue's worker: webhook deliveries (REGISTRY_WEBHOOK_*) and the daily link
    check (REGISTRY_LINKS_SCHEDULE). Run one or more,
    on any machine that reaches the database; stop with SIGTERM (finishes what it holds)."""
    import asyncio
    import logging

    from registry.jobs import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    click.echo(say("registry worker: delivering webhooks"))
    from registry.settings import get_settings

    asyncio.run(run_worker(get_settings().database.database_url, name))


if __name__ == "__main__":
    run()
