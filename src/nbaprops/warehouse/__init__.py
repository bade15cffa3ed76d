"""The warehouse: a narrow protocol, one module per backend, and the schema of every table.

``open_warehouse(settings)`` picks the backend from ``settings.warehouse_backend``; business code
only ever sees the ``Warehouse`` protocol. DuckDB is imported when a DuckDB warehouse is opened,
not when this package is imported.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from nbaprops.errors import ConfigError, WarehouseBusy
from nbaprops.warehouse.ledger import LedgerEntry, RunLedger, StepRun
from nbaprops.warehouse.protocol import Capabilities, Params, Warehouse
from nbaprops.warehouse.spec import Column, TableSpec

if TYPE_CHECKING:
    from nbaprops.settings import Settings
    from nbaprops.warehouse.schema import TABLES, create_schema, table_spec

log = structlog.get_logger(__name__)
_LOCK_BACKOFF_S = 0.2  # first backoff ceiling while the warehouse file is locked
_LOCK_BACKOFF_CAP_S = 5.0

# The schema collects every phase's table modules, and those import ``warehouse.spec`` (and so
# this package): importing it lazily keeps ``import nbaprops.raw.tables`` free of a cycle.
_SCHEMA_NAMES = frozenset({"TABLES", "create_schema", "table_spec"})


def __getattr__(name: str) -> object:
    if name in _SCHEMA_NAMES:
        from nbaprops.warehouse import schema

        return getattr(schema, name)
    raise AttributeError(f"module 'nbaprops.warehouse' has no attribute {name!r}")


__all__ = [
    "TABLES",
    "Capabilities",
    "Column",
    "LedgerEntry",
    "Params",
    "RunLedger",
    "StepRun",
    "TableSpec",
    "Warehouse",
    "create_schema",
    "open_warehouse",
    "table_spec",
]


def _open_duckdb(settings: Settings) -> Warehouse:
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    path = settings.resolved_warehouse_path
    if path != ":memory:":
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the warehouse folder {Path(path).parent}: {exc.strerror}"
            ) from None
    return _while_busy(
        lambda: DuckDBWarehouse(
            path,
            query_timeout_s=settings.query_timeout_s,
            query_log=settings.query_log_enabled,
            query_log_batch=settings.query_log_batch,
        ),
        wait_s=settings.warehouse_lock_wait_s,
    )


def _while_busy(
    connect: Callable[[], Warehouse], *, wait_s: float, rng: random.Random | None = None
) -> Warehouse:
    """``connect()``, retried while another process holds the file's lock, for at most ``wait_s``.

    DuckDB allows one writer process per file and refuses the others at once; a daily command
    that starts while another is finishing waits its turn (capped exponential backoff with full
    jitter, so waiting processes do not retry in lockstep) instead of failing.
    """
    rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
    deadline = time.monotonic() + wait_s
    ceiling = _LOCK_BACKOFF_S
    while True:
        try:
            return connect()
        except WarehouseBusy as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WarehouseBusy(f"{exc} (still locked after waiting {wait_s:g} s)") from None
            pause = min(left, rng.uniform(0, ceiling))
            log.info("warehouse.locked_retrying", wait_s=round(pause, 3), left_s=round(left, 1))
            time.sleep(pause)
            ceiling = min(ceiling * 2, _LOCK_BACKOFF_CAP_S)


def _open_bigquery(settings: Settings) -> Warehouse:
    try:
        from nbaprops.warehouse.bigquery import open_bigquery
    except ImportError as exc:
        raise ConfigError(f"the BigQuery warehouse needs the [gcp] extra ({exc.name} is missing)") from None
    return open_bigquery(settings)


_BACKENDS: dict[str, Callable[[Settings], Warehouse]] = {
    "duckdb": _open_duckdb,
    "bigquery": _open_bigquery,
}


def open_warehouse(settings: Settings) -> Warehouse:
    """Open the warehouse the settings name (schema not created: call ``create_schema``)."""
    try:
        opener = _BACKENDS[settings.warehouse_backend]
    except KeyError:
        raise ConfigError(f"unknown warehouse backend {settings.warehouse_backend!r}") from None
    return opener(settings)
