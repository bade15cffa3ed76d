"""Every warehouse table: its columns, its natural key, and the DDL for each dialect.

``TABLES`` is also the allow-list of identifiers: a table name that is not a key here never
reaches SQL text. A later feature adds a table by adding one ``TableSpec`` entry.

Column types use BigQuery's names (the production engine); ``ddl("duckdb")`` maps them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from nbaprops.errors import WarehouseError

if TYPE_CHECKING:
    from nbaprops.warehouse.protocol import Warehouse

Dialect = Literal["duckdb", "bigquery"]

_DUCKDB_TYPES = {
    "STRING": "VARCHAR",
    "INT64": "BIGINT",
    "FLOAT64": "DOUBLE",
    "BOOL": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMPTZ",
    "JSON": "JSON",
    "BYTES": "BLOB",
}


@dataclass(frozen=True)
class Column:
    """One column: name, BigQuery type name, and whether NULL is refused."""

    name: str
    type: str
    required: bool = False


@dataclass(frozen=True)
class TableSpec:
    """A table's definition and its natural key (the MERGE key; unique by contract)."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        unknown = [k for k in self.key if k not in names]
        if unknown or len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: bad key {unknown} or duplicate columns")
        bad = [c.type for c in self.columns if c.type not in _DUCKDB_TYPES]
        if bad:
            raise ValueError(f"table {self.name}: unknown column types {bad}")

    @property
    def column_names(self) -> tuple[str, ...]:
        """Column names in declaration order."""
        return tuple(c.name for c in self.columns)

    def ddl(self, dialect: Dialect = "duckdb") -> str:
        """``CREATE TABLE IF NOT EXISTS`` text for the dialect."""
        lines = []
        for column in self.columns:
            type_name = _DUCKDB_TYPES[column.type] if dialect == "duckdb" else column.type
            lines.append(f"  {column.name} {type_name}{' NOT NULL' if column.required else ''}")
        body = ",\n".join(lines)
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n{body}\n)"


RUN_LEDGER = TableSpec(
    name="run_ledger",
    description="One row per pipeline step execution: when, outcome, rows in and out.",
    key=("run_id",),
    columns=(
        Column("run_id", "STRING", required=True),
        Column("step", "STRING", required=True),
        Column("game_date", "DATE"),
        Column("started_at", "TIMESTAMP", required=True),
        Column("finished_at", "TIMESTAMP"),
        Column("status", "STRING", required=True),  # running | success | failed | skipped
        Column("rows_in", "INT64"),
        Column("rows_out", "INT64"),
        Column("error", "STRING"),
        Column("details", "JSON"),
    ),
)

QUARANTINE = TableSpec(
    name="quarantine",
    description="Payloads that could not be parsed or loaded, kept for inspection and replay.",
    key=("payload_sha256", "kind"),
    columns=(
        Column("quarantined_at", "TIMESTAMP", required=True),
        Column("kind", "STRING", required=True),
        Column("lake_path", "STRING"),
        Column("error_type", "STRING", required=True),
        Column("error", "STRING"),
        Column("first_bytes", "BYTES"),
        Column("payload_sha256", "STRING", required=True),
    ),
)

TABLES: dict[str, TableSpec] = {spec.name: spec for spec in (RUN_LEDGER, QUARANTINE)}


def table_spec(table_name: str) -> TableSpec:
    """The spec of a known table; any other name is refused before it can reach SQL text."""
    try:
        return TABLES[table_name]
    except KeyError:
        raise WarehouseError(f"unknown table {table_name!r}: not in the schema allow-list") from None


def create_schema(warehouse: Warehouse) -> None:
    """Create every table that does not exist yet; running it again changes nothing."""
    dialect = warehouse.capabilities.dialect
    with warehouse.transaction():
        for spec in TABLES.values():
            warehouse.execute(spec.ddl(dialect))
