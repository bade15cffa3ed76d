"""How a warehouse table is declared: columns with BigQuery type names, a natural key, DDL per dialect.

Kept apart from ``schema.py`` so that each phase can declare its own tables in its own package
(``nbaprops.raw.tables`` and later ones) and ``schema.py`` only collects them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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


# Type names a backend reports for a column, mapped to the spec's (BigQuery standard) names.
_CANONICAL_TYPES = {
    **{duck: bq for bq, duck in _DUCKDB_TYPES.items()},
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "INTEGER": "INT64",  # BigQuery's legacy names, which its tables API still reports
    "FLOAT": "FLOAT64",
    "BOOLEAN": "BOOL",
    **{bq: bq for bq in _DUCKDB_TYPES},
}


def canonical_type(reported: str) -> str:
    """The spec's type name of a type a backend reports (unknown names are returned upper-cased)."""
    upper = reported.upper()
    return _CANONICAL_TYPES.get(upper, upper)


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

    def add_column_ddl(self, column: Column, dialect: Dialect = "duckdb") -> str:
        """``ALTER TABLE … ADD COLUMN`` of one declared column, always nullable (old rows get NULL)."""
        if column not in self.columns:
            raise ValueError(f"table {self.name} declares no column {column.name}")
        type_name = _DUCKDB_TYPES[column.type] if dialect == "duckdb" else column.type
        return f"ALTER TABLE {self.name} ADD COLUMN {column.name} {type_name}"

    def columns_to_add(self, existing: dict[str, str]) -> list[Column]:
        """The declared columns an existing table (``existing``: name -> reported type) lacks.

        Raises ``SchemaMismatch`` when a column exists with another type: the schema is only ever
        extended, never retyped or narrowed (columns the table has beyond the spec are left alone).
        """
        from nbaprops.errors import SchemaMismatch

        differ = [
            f"{c.name} is {canonical_type(existing[c.name])}, declared {c.type}"
            for c in self.columns
            if c.name in existing and canonical_type(existing[c.name]) != c.type
        ]
        if differ:
            raise SchemaMismatch(
                f"table {self.name}: {'; '.join(differ)} (columns are only added, never retyped: "
                "migrate the data deliberately)"
            )
        return [c for c in self.columns if c.name not in existing]
