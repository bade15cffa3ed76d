"""The DuckDB warehouse: one connection, every statement bounded by a timeout.

DuckDB has no statement timeout setting, so a watchdog ``threading.Timer`` calls
``connection.interrupt()`` when a statement outlives ``query_timeout_s``; the connection stays
usable afterwards. Only one process may open a DuckDB file for writing: the lock error another
process gets is translated into the transient ``WarehouseBusy``.

Every statement is recorded in the ``query_log`` buffer (kind, duration, rows); the buffer is
written as one insert per ``query_log_batch`` statements and at ``close`` (see ``querylog``).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar, cast

import duckdb
import structlog

from nbaprops.checks import tables_check as _tables_check
from nbaprops.errors import WarehouseBusy, WarehouseError
from nbaprops.warehouse.protocol import Capabilities, Params, canonical_json
from nbaprops.warehouse.querylog import QueryLog, now_utc, statement_kind
from nbaprops.warehouse.schema import table_spec

if TYPE_CHECKING:
    import pyarrow as pa

    from nbaprops.checks import Check
    from nbaprops.warehouse.spec import Column, TableSpec

log = structlog.get_logger(__name__)

T = TypeVar("T")
_MERGE_MIN_VERSION = (1, 4)
_MAX_ERROR_CHARS = 500
_names = itertools.count()


class _Watchdog:
    """One thread per connection that interrupts a statement still running at its deadline.

    A thread per statement (``threading.Timer``) costs about a millisecond each, which dominates
    loads that run thousands of small statements; this thread sleeps until a deadline is armed.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._armed = 0  # sequence number of the statement being guarded
        self._fired = -1  # sequence number of the last statement interrupted
        self._wake_at: float | None = None  # when the thread's current wait ends (None: not before a notify)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="duckdb-watchdog", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # A wait ends at its timeout or at a notify; the deadline is read again each time.
        with self._cond:
            while not self._closed:
                if self._deadline is None:
                    self._wake_at = None
                    self._cond.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    self._wake_at = self._deadline
                    self._cond.wait(remaining)
                    continue
                # Under the condition's lock: a statement that has already finished has disarmed
                # the deadline, so the interrupt never lands on the next, innocent statement.
                self._fired = self._armed
                self._deadline = None
                self._con.interrupt()

    def arm(self, timeout_s: float) -> int:
        """Start guarding a statement; returns its sequence number."""
        with self._cond:
            self._armed += 1
            self._deadline = time.monotonic() + timeout_s
            # A thread already sleeping until an earlier moment looks at the deadline again then:
            # waking it for every statement would cost a thread switch each.
            if self._wake_at is None or self._wake_at > self._deadline:
                self._cond.notify()
            return self._armed

    def disarm(self) -> None:
        """The guarded statement has finished."""
        with self._cond:
            self._deadline = None

    def fired_for(self, sequence: int) -> bool:
        """Whether the statement with this sequence number was interrupted by the deadline."""
        with self._cond:
            return self._fired == sequence

    def close(self) -> None:
        """Stop the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=5)


class DuckDBWarehouse:
    """``Warehouse`` over one DuckDB connection (a file path, or ``:memory:``)."""

    def __init__(
        self,
        path_or_memory: str,
        *,
        query_timeout_s: float,
        read_only: bool = False,
        use_merge: bool | None = None,
        query_log: bool = True,
        query_log_batch: int = 500,
    ) -> None:
        if query_timeout_s <= 0:
            raise ValueError("query_timeout_s must be positive")
        self._path = path_or_memory
        self._timeout = query_timeout_s
        in_memory = path_or_memory == ":memory:"
        try:
            self._con = duckdb.connect(path_or_memory, read_only=read_only and not in_memory)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise WarehouseBusy(
                    f"warehouse file {path_or_memory} is locked by another process; DuckDB allows one "
                    "writer per file, so retry later or send writes through the owning process"
                ) from None
            raise WarehouseError(f"cannot open warehouse {path_or_memory}: {_short(exc)}") from None
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open warehouse {path_or_memory}: {_short(exc)}") from None
        # Timestamps come back in UTC whatever the machine's zone.
        self._con.execute("SET TimeZone = 'UTC'").fetchall()
        version = tuple(int(p) for p in duckdb.__version__.split(".")[:2])
        merge = version >= _MERGE_MIN_VERSION if use_merge is None else use_merge
        self._capabilities = Capabilities(
            dialect="duckdb", merge=merge, transactions=True, interruptible=True
        )
        self._lock = threading.RLock()
        self._tx_depth = 0
        self._watchdog = _Watchdog(self._con)
        self._log = QueryLog("duckdb", batch_rows=query_log_batch) if query_log and not read_only else None
        self._log_table = False  # whether query_log exists (looked up when writing, until it does)

    @property
    def capabilities(self) -> Capabilities:
        """DuckDB: transactions, interruptible statements, MERGE from 1.4."""
        return self._capabilities

    @property
    def path(self) -> str:
        """The database file (or ``:memory:``)."""
        return self._path

    # --- statements ---------------------------------------------------------------------------

    def _timed(self, work: Callable[[], T], sql: str | None = None) -> T:
        """Run ``work`` under the connection lock and the query timeout, translating errors.

        With ``sql`` the statement is recorded in the query log (its own writes pass none).
        """
        with self._lock:
            started, clock = (now_utc(), time.perf_counter()) if sql is not None else (None, 0.0)
            sequence = self._watchdog.arm(self._timeout)
            error: str | None = None
            result: Any = None
            try:
                result = work()
                return cast(T, result)
            except duckdb.InterruptException:
                error = (
                    f"query timed out after {self._timeout:g} s"
                    if self._watchdog.fired_for(sequence)
                    else "query was interrupted"
                )
                raise WarehouseError(error) from None
            except duckdb.Error as exc:
                error = f"{type(exc).__name__}: {_short(exc)}"
                raise WarehouseError(error) from None
            finally:
                self._watchdog.disarm()
                if started is not None and sql is not None and self._log is not None:
                    self._record(
                        self._log, sql, started, time.perf_counter() - clock, result=result, error=error
                    )

    def _record(
        self, query_log: QueryLog, sql: str, started: Any, duration: float, *, result: Any, error: str | None
    ) -> None:
        kind = statement_kind(sql)
        rows: int | None = None
        if isinstance(result, list):
            dml = kind in {"insert", "update", "delete", "merge"}
            rows = _count(result) if dml else len(result)
        elif result is not None and hasattr(result, "num_rows"):
            rows = int(result.num_rows)
        query_log.record(kind=kind, started_at=started, duration_s=duration, rows=rows, error=error)
        if error is None and query_log.full and not self._tx_depth and kind != "transaction":
            self.flush_query_log()

    def flush_query_log(self) -> int:
        """Write the buffered ``query_log`` rows in one insert; returns how many were written.

        A warehouse without the table (no ``create_schema`` yet) keeps nothing, and says so.
        """
        with self._lock:
            if self._log is None or not self._log.pending or self._tx_depth:
                return 0
            if not self._log_table:
                found = self._timed(
                    lambda: self._con.execute(
                        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'query_log'"
                    ).fetchall()
                )
                self._log_table = bool(_count(found))
            batch = self._log.drain()
            if batch is None:
                return 0
            if not self._log_table:
                log.info("query_log.not_recorded", rows=batch.num_rows, reason="no query_log table")
                return 0
            columns = _quoted(batch.column_names)
            with self._registered(batch) as src:
                sql = f"INSERT INTO query_log ({columns}) SELECT {columns} FROM {src}"  # noqa: S608 - fixed table
                self._timed(lambda: self._con.execute(sql).fetchall())
            return int(batch.num_rows)

    def execute(self, sql: str, params: Params = None) -> None:
        """Run one statement with bound parameters."""
        # DuckDB 2 refuses further work while a result is unread, so drain it here.
        self._timed(lambda: self._con.execute(sql, params).fetchall(), sql)

    def query_arrow(self, sql: str, params: Params = None) -> pa.Table:
        """Run one query; the result is materialised as Arrow inside the timeout."""

        def work() -> pa.Table:
            relation = self._con.sql(sql, params=params)
            if relation is None:
                raise WarehouseError("statement returned no result set")
            table = relation.to_arrow_table()
            for index, kind in enumerate(relation.types):
                if str(kind) == "JSON":
                    table = _canonical_column(table, index)
            return table

        return self._timed(work, sql)

    def query_rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Run one query and fetch every row as a tuple (JSON values as ``canonical_json``)."""

        def work() -> list[tuple[Any, ...]]:
            cursor = self._con.execute(sql, params)
            rows = cursor.fetchall()
            json_at = [i for i, d in enumerate(cursor.description or []) if str(d[1]) == "JSON"]
            if not json_at:
                return rows
            return [
                tuple(canonical_json(v) if i in json_at and v is not None else v for i, v in enumerate(row))
                for row in rows
            ]

        return self._timed(work, sql)

    # --- Arrow loads --------------------------------------------------------------------------

    @contextmanager
    def _registered(self, arrow_table: pa.Table) -> Iterator[str]:
        name = f"_nbaprops_src_{next(_names)}"
        self._con.register(name, arrow_table)
        try:
            yield name
        finally:
            self._con.unregister(name)

    def _columns(self, table_name: str, arrow_table: pa.Table) -> list[str]:
        spec = table_spec(table_name)
        unknown = [c for c in arrow_table.column_names if c not in spec.column_names]
        if unknown:
            raise WarehouseError(f"table {table_name} has no column(s) {unknown}")
        return list(arrow_table.column_names)

    def insert_arrow(self, table_name: str, arrow_table: pa.Table) -> int:
        """Append the Arrow rows in one ``INSERT … SELECT`` (columns matched by name)."""
        columns = _quoted(self._columns(table_name, arrow_table))
        with self._lock, self._registered(arrow_table) as src:
            sql = f"INSERT INTO {table_name} ({columns}) SELECT {columns} FROM {src}"  # noqa: S608 - identifiers are allow-listed
            row = self._timed(lambda: self._con.execute(sql).fetchall(), sql)
        return _count(row)

    def merge_arrow(
        self,
        table_name: str,
        arrow_table: pa.Table,
        key_columns: Sequence[str] | None = None,
        *,
        newer_by: Sequence[str] = (),
    ) -> int:
        """Upsert by natural key in one ``MERGE`` (delete + insert in a transaction without MERGE).

        A batch that repeats a key is refused: which duplicate wins would be arbitrary. With
        ``newer_by``, a matched row is replaced only when the batch row is newer (see the protocol).
        """
        names = self._columns(table_name, arrow_table)
        keys = list(key_columns) if key_columns is not None else list(table_spec(table_name).key)
        if not keys or any(k not in names for k in keys):
            raise WarehouseError(f"merge into {table_name}: key {keys} must be columns of the batch")
        if any(c not in names for c in newer_by):
            raise WarehouseError(
                f"merge into {table_name}: version {list(newer_by)} must be columns of the batch"
            )
        key_list = _quoted(keys)
        on = " AND ".join(f't."{k}" IS NOT DISTINCT FROM s."{k}"' for k in keys)
        newer = f" AND {_greater(newer_by)}" if newer_by else ""
        with self._lock, self._registered(arrow_table) as src:
            dup_sql = f"SELECT count(*) FROM (SELECT {key_list} FROM {src} GROUP BY ALL HAVING count(*) > 1)"  # noqa: S608
            dup = self._timed(lambda: self._con.execute(dup_sql).fetchall())
            if _count(dup):
                raise WarehouseError(f"merge into {table_name}: {_count(dup)} key(s) repeat within the batch")
            if self._capabilities.merge:
                updates = ", ".join(f'"{c}" = s."{c}"' for c in names if c not in keys)
                matched = f"WHEN MATCHED{newer} THEN UPDATE SET {updates} " if updates else ""
                values = ", ".join(f"s.{_q(c)}" for c in names)
                sql = (
                    f"MERGE INTO {table_name} AS t USING {src} AS s ON ({on}) {matched}"  # noqa: S608
                    f"WHEN NOT MATCHED THEN INSERT ({_quoted(names)}) VALUES ({values})"
                )
                row = self._timed(lambda: self._con.execute(sql).fetchall(), sql)
                return _count(row)
            with self.transaction():
                delete = f"DELETE FROM {table_name} AS t USING {src} AS s WHERE {on}{newer}"  # noqa: S608
                self._timed(lambda: self._con.execute(delete).fetchall(), delete)
                insert = (
                    f"INSERT INTO {table_name} ({_quoted(names)}) SELECT {_quoted(names)} FROM {src} AS s "  # noqa: S608
                    f"WHERE NOT EXISTS (SELECT 1 FROM {table_name} AS t WHERE {on})"
                )
                row = self._timed(lambda: self._con.execute(insert).fetchall(), insert)
            return _count(row)

    # --- transactions and metadata -------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Commit on normal exit, roll back on exception; a nested block joins the outer one."""
        with self._lock:
            if self._tx_depth:
                self._tx_depth += 1
                try:
                    yield
                finally:
                    self._tx_depth -= 1
                return
            self.execute("BEGIN TRANSACTION")
            self._tx_depth = 1
            try:
                yield
            except BaseException:
                self._rollback()
                raise
            else:
                try:
                    self.execute("COMMIT")
                except WarehouseError:
                    self._rollback()
                    raise
            finally:
                self._tx_depth = 0

    def _rollback(self) -> None:
        try:
            self._con.execute("ROLLBACK").fetchall()
        except duckdb.Error as exc:
            # DuckDB may already have aborted the transaction; the caller's error is the one to raise.
            log.warning("warehouse.rollback_failed", error=_short(exc))

    def create_table(self, spec: TableSpec) -> None:
        """``CREATE TABLE IF NOT EXISTS`` from the spec."""
        self.execute(spec.ddl("duckdb"))

    def table_columns(self, table_names: Sequence[str]) -> dict[str, dict[str, str]]:
        """Each existing named table's columns and DuckDB type names (one information_schema query)."""
        rows = self.query_rows(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND list_contains(?, table_name) "
            "ORDER BY table_name, ordinal_position",
            [list(table_names)],
        )
        found: dict[str, dict[str, str]] = {}
        for table, column, kind in rows:
            found.setdefault(str(table), {})[str(column)] = str(kind)
        return found

    def add_columns(self, spec: TableSpec, columns: Sequence[Column]) -> None:
        """One ``ALTER TABLE … ADD COLUMN`` per column (nullable), inside the caller's transaction."""
        table_spec(spec.name)
        for column in columns:
            self.execute(spec.add_column_ddl(column, "duckdb"))

    def table_exists(self, table_name: str) -> bool:
        """Whether ``table_name`` exists (looked up with a bound parameter)."""
        rows = self.query_rows(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table_name]
        )
        return bool(rows[0][0])

    def row_count(self, table_name: str) -> int:
        """Row count of a known table."""
        table_spec(table_name)
        return int(self.query_rows(f"SELECT count(*) FROM {table_name}")[0][0])  # noqa: S608

    def doctor(self) -> list[Check]:
        """The file opened (so it is reachable and not locked) and the schema's tables present."""
        from nbaprops.checks import Check
        from nbaprops.warehouse.schema import TABLES

        where = "in memory" if self._path == ":memory:" else self._path
        found = {
            r[0]
            for r in self.query_rows(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            )
        }
        missing = sorted(set(TABLES) - found)
        return [
            Check("warehouse", "reach", True, f"duckdb {where} opened for writing"),
            _tables_check(missing, len(TABLES)),
        ]

    def close(self) -> None:
        """Write the pending query log, then close the connection, releasing the file lock."""
        with self._lock:
            try:
                self.flush_query_log()
            except WarehouseError as exc:
                log.warning("query_log.write_failed", error=str(exc))
            self._watchdog.close()
            self._con.close()

    def __enter__(self) -> DuckDBWarehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _quoted(identifiers: Sequence[str]) -> str:
    return ", ".join(_q(i) for i in identifiers)


def _greater(columns: Sequence[str]) -> str:
    """``(s.a, s.b, …) > (t.a, t.b, …)`` spelled out, so that BigQuery reads it the same way."""
    first, rest = _q(columns[0]), columns[1:]
    if not rest:
        return f"s.{first} > t.{first}"
    return f"(s.{first} > t.{first} OR (s.{first} = t.{first} AND {_greater(rest)}))"


def _count(rows: list[tuple[Any, ...]]) -> int:
    """The single number a count-returning statement (INSERT, MERGE, count(*)) gives back."""
    return int(rows[0][0]) if rows and rows[0] and rows[0][0] is not None else 0


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:_MAX_ERROR_CHARS]


def _canonical_column(table: pa.Table, index: int) -> pa.Table:
    """``table`` with its JSON column ``index`` in the canonical spelling (see the protocol)."""
    import pyarrow as pa

    values = [None if v is None else canonical_json(v) for v in table.column(index).to_pylist()]
    return table.set_column(index, table.field(index).name, pa.array(values, pa.string()))
