"""The warehouse: a narrow protocol, one module per backend, and the schema of every table.

``open_warehouse(settings)`` picks the backend from ``settings.warehouse_backend``; business code
only ever sees the ``Warehouse`` protocol. DuckDB is imported when a DuckDB warehouse is opened,
not when this package is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from nbaprops.errors import ConfigError
from nbaprops.warehouse.ledger import LedgerEntry, RunLedger, StepRun
from nbaprops.warehouse.protocol import Capabilities, Params, Warehouse
from nbaprops.warehouse.spec import Column, TableSpec

if TYPE_CHECKING:
    from nbaprops.settings import Settings
    from nbaprops.warehouse.schema import TABLES, create_schema, table_spec

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
    return DuckDBWarehouse(path, query_timeout_s=settings.query_timeout_s)


def _open_bigquery(settings: Settings) -> Warehouse:
    raise ConfigError("the BigQuery warehouse is not available yet: install the [gcp] extra")


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
