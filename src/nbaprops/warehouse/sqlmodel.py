"""SQL models: authored once in BigQuery Standard SQL, run on DuckDB through sqlglot.

A model is one ``.sql`` file holding one ``SELECT`` (CTEs welcome) whose rows become a table's
rows for a date range. Values reach it only as bound parameters written ``@name`` (BigQuery's
form), which the DuckDB text turns into ``$name``; table names must be known to the schema
allow-list (``schema.TABLES``), checked when the model is loaded.

``load_model(path)`` reads the file, refuses the known transpile traps (``INSERT OR REPLACE``,
``now()``, ``epoch()``, DuckDB's ``DATE_TRUNC('month', d)``, an ``ORDER BY`` that does not say
``NULLS FIRST``/``NULLS LAST``: DuckDB and BigQuery disagree on the default), transpiles once and
caches the result by the file's content hash. ``materialize(warehouse, table, model, …)`` replaces
the range's rows of a table with the model's rows in one transaction (``DELETE`` then
``INSERT … SELECT``), floats rounded to the ``FLOAT_GRID``, so building twice gives identical
tables, bit for bit. ``SqlModel.bigquery`` is the
normalised BigQuery text that the golden tests compare.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbaprops.errors import WarehouseError
from nbaprops.warehouse.schema import TABLES, table_spec

if TYPE_CHECKING:
    import pyarrow as pa

    from nbaprops.warehouse.protocol import Warehouse
    from nbaprops.warehouse.spec import Column, Dialect

_TRAPS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"\bINSERT\s+OR\s+REPLACE\b", re.I),
        "INSERT OR REPLACE does not exist in BigQuery: write MERGE",
    ),
    (re.compile(r"\bnow\s*\(", re.I), "now() does not exist in BigQuery: write CURRENT_TIMESTAMP()"),
    (re.compile(r"\bepoch\s*\(", re.I), "epoch() does not exist in BigQuery: write UNIX_SECONDS(ts)"),
    (
        re.compile(r"\bDATE_TRUNC\s*\(\s*'", re.I),
        "DATE_TRUNC('unit', d) is DuckDB's form: write DATE_TRUNC(d, MONTH)",
    ),
    (re.compile(r"\$\w+"), "parameters are written @name (BigQuery's form), not $name"),
)
_PARAM = re.compile(r"@(\w+)")


@dataclass(frozen=True)
class SqlModel:
    """One model: its name, the BigQuery text as authored and normalised, and its DuckDB text."""

    name: str
    path: Path
    sha256: str
    source: str
    bigquery: str
    duckdb: str
    params: tuple[str, ...]
    tables: tuple[str, ...]

    def text(self, dialect: Dialect) -> str:
        """The model's SQL for a warehouse dialect."""
        return self.duckdb if dialect == "duckdb" else self.bigquery

    def bind(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The bound values this model uses, refusing a missing one (extra values are dropped)."""
        missing = [p for p in self.params if p not in params]
        if missing:
            raise WarehouseError(f"model {self.name}: missing parameter(s) {missing}")
        return {p: params[p] for p in self.params}


_cache: dict[str, SqlModel] = {}
_cache_lock = threading.Lock()


def load_model(path: Path) -> SqlModel:
    """Read, check and transpile a model file; the result is cached by the file's content hash."""
    source = path.read_text(encoding="utf-8")
    sha = hashlib.sha256(source.encode()).hexdigest()
    with _cache_lock:
        cached = _cache.get(sha)
        if cached is not None and cached.path == path:
            return cached
    model = _compile(path.stem, path, source, sha)
    with _cache_lock:
        _cache[sha] = model
    return model


def check_traps(name: str, source: str) -> None:
    """Refuse SQL that would not mean the same thing on BigQuery and DuckDB."""
    import sqlglot

    body = _strip_comments(source)
    for pattern, why in _TRAPS:
        if pattern.search(body):
            raise WarehouseError(f"model {name}: {why}")
    from sqlglot.tokenizer_core import TokenType

    tokens = sqlglot.tokenize(body, read="bigquery")
    orders = sum(1 for t in tokens if t.token_type == TokenType.ORDER_BY)
    if orders:
        from sqlglot import exp

        # Inside an aggregate (STRING_AGG … ORDER BY) NULLs are skipped, so their order is moot.
        terms = sum(
            1
            for e in sqlglot.parse(body, read="bigquery")
            if e
            for o in e.find_all(exp.Ordered)
            if not isinstance(o.find_ancestor(exp.AggFunc, exp.Select), exp.AggFunc)
        )
        nulls = sum(1 for t in tokens if t.text.upper() == "NULLS")
        if nulls < terms:
            raise WarehouseError(
                f"model {name}: {terms - nulls} ORDER BY term(s) without NULLS FIRST/LAST; "
                "DuckDB sorts NULLs last and BigQuery first, so say which you mean"
            )


def _strip_comments(source: str) -> str:
    return re.sub(r"--[^\n]*", "", source)


def _compile(name: str, path: Path, source: str, sha: str) -> SqlModel:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        check_traps(name, source)
        statements = [s for s in sqlglot.parse(source, read="bigquery") if s is not None]
    except SqlglotError as exc:
        raise WarehouseError(f"model {name}: not valid BigQuery SQL: {str(exc)[:300]}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise WarehouseError(f"model {name}: a model file holds exactly one SELECT")
    tree = statements[0]
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    tables = sorted({t.name for t in tree.find_all(exp.Table)} - ctes)
    unknown = [t for t in tables if t not in TABLES]
    if unknown:
        raise WarehouseError(f"model {name}: table(s) {unknown} are not in the schema allow-list")
    params = tuple(dict.fromkeys(_PARAM.findall(_strip_comments(source))))
    return SqlModel(
        name=name,
        path=path,
        sha256=sha,
        source=source,
        bigquery=tree.sql(dialect="bigquery", pretty=True) + "\n",
        duckdb=tree.sql(dialect="duckdb"),
        params=params,
        tables=tuple(tables),
    )


FLOAT_GRID = 2**30
"""Every floating-point value a model returns or writes is rounded to a multiple of 1 / FLOAT_GRID.

A parallel engine sums doubles in whatever order its threads finish, so ``AVG``/``SUM``/``STDDEV_POP``
differ in the last bits between two runs on the same rows (1e-17..1e-15), and a tree model can split
on that noise. Rounding to ~1e-9 (far below any real measurement, far above that noise) makes every
build of the same inputs byte-identical. The grid is binary, not decimal: its values are exact
doubles, so a later ``SUM``/``AVG`` over them adds exactly, in any order (up to 2**23 in magnitude),
and the mean of rounded values never lands on a tie that noise could tip either way. ``+ 0.0``
turns a rounded ``-0.0`` into ``0.0``.
"""


def rounded_select(columns: Sequence[Column]) -> str:
    """A select list naming ``columns`` with every FLOAT64 rounded to the ``FLOAT_GRID``."""
    return ", ".join(
        f"ROUND({c.name} * {FLOAT_GRID}) / {FLOAT_GRID} + 0.0 AS {c.name}" if c.type == "FLOAT64" else c.name
        for c in columns
    )


def round_floats(table: pa.Table) -> pa.Table:
    """``table`` with every floating-point column rounded to the ``FLOAT_GRID`` (see there)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for index, column in enumerate(table.schema):
        if pa.types.is_floating(column.type):
            scaled = pc.multiply(table.column(index), float(FLOAT_GRID))
            whole = pc.round(scaled, round_mode="half_towards_infinity")
            table = table.set_column(index, column.name, pc.add(pc.divide(whole, float(FLOAT_GRID)), 0.0))
    return table


def query_model(warehouse: Warehouse, model: SqlModel, params: Mapping[str, Any]) -> pa.Table:
    """Run a model and return its rows as Arrow, floats rounded (values bound, never formatted in)."""
    return round_floats(warehouse.query_arrow(model.text(warehouse.capabilities.dialect), model.bind(params)))


def materialize(
    warehouse: Warehouse,
    table: str,
    model: SqlModel,
    *,
    start: date,
    end: date,
    params: Mapping[str, Any] | None = None,
    date_column: str = "game_date",
) -> int:
    """Replace ``table``'s rows dated ``start``..``end`` with the model's rows; return the count.

    One transaction: a failure leaves the table as it was. The model must return only rows inside
    the range (checked), so the delete and the insert cover the same rows. The check reads only
    the range's partitions: after the delete, every row dated inside the range is the model's, so
    the rows added minus those inside are the strays (a whole-table ``COUNT(*)`` reads no column:
    BigQuery answers it from metadata, without billing bytes).
    """
    spec = table_spec(table)
    if date_column not in spec.column_names:
        raise WarehouseError(f"table {table} has no date column {date_column!r}")
    values = model.bind({"start": start, "end": end, **(params or {})})
    select = model.text(warehouse.capabilities.dialect)
    columns = ", ".join(spec.column_names)
    inside_sql = f"SELECT count(*) FROM {table} WHERE {date_column} BETWEEN ? AND ?"  # noqa: S608 - allow-listed
    with warehouse.transaction():
        warehouse.execute(f"DELETE FROM {table} WHERE {date_column} BETWEEN ? AND ?", [start, end])  # noqa: S608
        before = warehouse.row_count(table)
        warehouse.execute(
            f"INSERT INTO {table} ({columns}) SELECT {rounded_select(spec.columns)} "  # noqa: S608
            f"FROM ({select}) AS model",
            values,
        )
        added = warehouse.row_count(table) - before
        stray = added - int(warehouse.query_rows(inside_sql, [start, end])[0][0])
        if stray:
            raise WarehouseError(f"model {model.name} returned {stray} row(s) outside {start}..{end}")
        return added
