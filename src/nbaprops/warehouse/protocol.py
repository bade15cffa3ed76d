"""The narrow warehouse protocol that business code talks to.

One implementation per backend (``duckdb.py`` now, ``bigquery.py`` later), chosen once from the
settings by ``open_warehouse``. Differences between backends are capability flags, never
``if backend == …`` in callers. Values always travel as bound parameters; table names must be
known to ``schema.TABLES``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    import pyarrow as pa

    from nbaprops.checks import Check
    from nbaprops.warehouse.spec import Column, TableSpec

Params = Sequence[Any] | Mapping[str, Any] | None
"""Bound parameters: positional (``?``) or named (``$name``)."""


def canonical_json(text: str | bytes) -> str:
    """The one spelling of a JSON text that every backend reads back: compact, keys sorted.

    DuckDB keeps a JSON column's text as written (``{"b": 1, "a": 2}``); BigQuery stores the
    value and answers its own spelling. Reads return this form on both, so no caller depends on
    how a writer happened to format its text.
    """
    import json

    return json_spelling(json.loads(text))


def json_spelling(value: Any) -> str:
    """``canonical_json`` of an already parsed JSON value."""
    import json

    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do, so callers branch on abilities rather than on backend names."""

    dialect: Literal["duckdb", "bigquery"]
    merge: bool
    """``MERGE INTO`` is available (else upserts fall back to delete + insert in a transaction)."""
    transactions: bool
    """Multi-statement ``BEGIN``/``COMMIT``/``ROLLBACK`` is available."""
    interruptible: bool
    """A running statement can be cancelled when it passes the query timeout."""


class Warehouse(Protocol):
    """A SQL warehouse reached through bound parameters and Arrow tables."""

    @property
    def capabilities(self) -> Capabilities:
        """The backend's abilities."""
        ...

    def execute(self, sql: str, params: Params = None) -> None:
        """Run one statement, discarding any result."""
        ...

    def query_arrow(self, sql: str, params: Params = None) -> pa.Table:
        """Run one query and return its result as an Arrow table (JSON as ``canonical_json`` text)."""
        ...

    def query_rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Run one query and return its rows as tuples (JSON as ``canonical_json`` text)."""
        ...

    def insert_arrow(self, table_name: str, arrow_table: pa.Table) -> int:
        """Append every row of ``arrow_table`` (columns matched by name); return the count."""
        ...

    def merge_arrow(
        self,
        table_name: str,
        arrow_table: pa.Table,
        key_columns: Sequence[str] | None = None,
        *,
        newer_by: Sequence[str] = (),
    ) -> int:
        """Upsert ``arrow_table`` by natural key (default: the table's key); return rows touched.

        With ``newer_by`` columns, a stored row is replaced only by a batch row whose values of
        those columns are greater (compared in order, like a tuple): the result then does not
        depend on the order in which batches arrive.
        """
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """Group statements: commit on normal exit, roll back on any exception."""
        ...

    def create_table(self, spec: TableSpec) -> None:
        """Create the table ``spec`` declares unless it exists (BigQuery: partitioned, clustered)."""
        ...

    def table_columns(self, table_names: Sequence[str]) -> dict[str, dict[str, str]]:
        """The columns (name -> the backend's type name) of each named table that exists."""
        ...

    def add_columns(self, spec: TableSpec, columns: Sequence[Column]) -> None:
        """Add declared ``columns`` to ``spec``'s existing table, nullable; existing rows get NULL."""
        ...

    def table_exists(self, table_name: str) -> bool:
        """Whether the table exists in the warehouse."""
        ...

    def row_count(self, table_name: str) -> int:
        """Number of rows in a known table."""
        ...

    def doctor(self) -> list[Check]:
        """What this backend needs and has: reach, storage, tables, permissions, quotas."""
        ...

    def close(self) -> None:
        """Release the connection (and, for a file, its lock)."""
        ...
