"""What a process counts for Prometheus (``/metrics``), in one place.

Two kinds of figures:

- **in the process**: requests by route, GraphQL operations, errors by code, statement
  timeouts, the process itself (memory, CPU, open files). They live in ``PROCESS``, one
  registry per process, as prometheus-client intends;
- **in the database**: writes by action, department and outcome, loader files and rows,
  the calendar's reach, the migration head. Loaders run in other processes (the CLI), so
  these are read from the audit log and the calendar table by a ``DatabaseFigures`` object
  of the app (``registry/web/observe.py``), not counted here.

Label values that come from outside (GraphQL operation names) are bounded: a client cannot
grow the number of series without limit.

**Several processes** (``registry serve --workers N``): prometheus-client's multiprocess
mode. ``serve`` gives the server a folder of its own (``PROMETHEUS_MULTIPROC_DIR``, emptied
at start) before the workers start; each worker writes its counters, histograms and gauges
there, and a scrape, whichever worker answers it, adds every worker's up
(``exposition``). A worker that dies keeps its counts (counters never go down when a
worker is replaced), and the supervisor marks it dead so its live gauges go. What is per
process — memory, CPU — is said per worker (``registry_worker_*``, with a ``pid`` label).
"""

from __future__ import annotations

import os
import re
import resource

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

disable_created_metrics()  # no *_created series: Prometheus does not need them

PROCESS = CollectorRegistry(auto_describe=True)
for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    PROCESS.register(_collector)

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

ANSWER_CACHE = Counter(
    "registry_answer_cache",
    "Public GETs by what the state cache did: not_modified (304), hit (a kept answer), miss.",
    ["outcome"],
    registry=PROCESS,
)
HTTP_REQUESTS = Counter(
    "registry_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
    registry=PROCESS,
)
HTTP_DURATION = Histogram(
    "registry_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template.",
    ["route"],
    buckets=LATENCY_BUCKETS,
    registry=PROCESS,
)
IN_FLIGHT = Gauge(
    "registry_http_requests_in_flight",
    "HTTP requests being answered now (every worker's, added up).",
    registry=PROCESS,
    multiprocess_mode="livesum",
)
WORKER_MEMORY = Gauge(
    "registry_worker_resident_memory_bytes",
    "Resident memory of each server process (several: a pid label each).",
    registry=PROCESS,
    multiprocess_mode="liveall",
)
WORKER_CPU = Gauge(
    "registry_worker_cpu_seconds",
    "CPU time of each server process so far (several: a pid label each).",
    registry=PROCESS,
    multiprocess_mode="liveall",
)
GRAPHQL_DURATION = Histogram(
    "registry_graphql_operation_duration_seconds",
    "Time to answer a GraphQL operation, by operation name and type "
    "(query or mutation; anonymous operations are 'anonymous').",
    ["operation", "type"],
    buckets=LATENCY_BUCKETS,
    registry=PROCESS,
)
ERRORS = Counter(
    "registry_errors",
    "Errors answered, by code (INVALID_INPUT, NOT_FOUND, STATEMENT_TIMEOUT, "
    "SERVICE_UNAVAILABLE, INTERNAL_SERVER_ERROR, ...).",
    ["code"],
    registry=PROCESS,
)
STATEMENT_TIMEOUTS = Counter(
    "registry_statement_timeouts",
    "Reads cut off by PostgreSQL's statement_timeout (REGISTRY_STATEMENT_TIMEOUT_MS).",
    registry=PROCESS,
)

# A GraphQL operation name is the client's choice: keep the first MAX_OPERATIONS names
# seen, then count the rest together as 'other'.
MAX_OPERATIONS = 200
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_operations: set[str] = set()


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if not _NAME.fullmatch(name):
        return "other"
    if name not in _operations:
        if len(_operations) >= MAX_OPERATIONS:
            return "other"
        _operations.add(name)
    return name


def count_error(code: str) -> None:
    ERRORS.labels(code=code).inc()


MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def several_processes() -> bool:
    """Whether this process is one of several workers sharing a metrics folder."""
    return bool(os.environ.get(MULTIPROCESS_DIR))


def note_worker() -> None:
    """This process's memory and CPU, into its own series (every worker does, every few
    seconds, and whichever answers a scrape does at once)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    WORKER_CPU.set(usage.ru_utime + usage.ru_stime)
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        WORKER_MEMORY.set(pages * os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError):  # not Linux: the peak instead
        WORKER_MEMORY.set(usage.ru_maxrss * 1024)


def exposition() -> bytes:
    """The process figures in the Prometheus text format: this process's, or with several
    workers every worker's added up (counters and histograms summed, live gauges summed or
    per pid)."""
    note_worker()
    if not several_processes():
        return generate_latest(PROCESS)
    gathered = CollectorRegistry()
    multiprocess.MultiProcessCollector(gathered)
    return generate_latest(gathered)


def forget_worker(pid: int) -> None:
    """A worker has gone: its live gauges with it (its counts stay)."""
    if several_processes():
        multiprocess.mark_process_dead(pid)
