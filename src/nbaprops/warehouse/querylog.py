"""The query log: one ``query_log`` row per warehouse statement, written in batches.

Each warehouse keeps a ``QueryLog`` buffer. Recording a statement is an append to a Python list
(a clock read, a uuid, a tuple): no statement of its own. The warehouse writes the buffer as one
Arrow insert when it holds ``batch_rows`` rows (outside any transaction, so a rollback cannot take
the log with it) and when the warehouse is closed. DuckDB rows carry the duration and the rows
returned or affected; BigQuery rows also the dry run's estimate, the bytes processed and billed,
and the dollars those billed bytes cost at the configured on-demand price.

Which step a statement belongs to comes from ``query_context``: the run ledger opens one around
every step, so the log (and BigQuery's job labels) name the step, its run id and its game date.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

TIB = 2**40
_MAX_ERROR_CHARS = 500
_KINDS = {
    "select": "select",
    "with": "select",
    "merge": "merge",
    "insert": "insert",
    "update": "update",
    "delete": "delete",
    "create": "ddl",
    "drop": "ddl",
    "alter": "ddl",
    "truncate": "ddl",
    "begin": "transaction",
    "commit": "transaction",
    "rollback": "transaction",
}


@dataclass(frozen=True)
class QueryContext:
    """The step a statement runs for (set by the run ledger around each step)."""

    run_id: str | None = None
    step: str | None = None
    game_date: date | None = None


_NO_STEP = QueryContext()
_context: ContextVar[QueryContext | None] = ContextVar("nbaprops_query_context", default=None)


@contextmanager
def query_context(run_id: str | None, step: str | None, game_date: date | None) -> Iterator[QueryContext]:
    """Attribute the statements run inside the block to a step (nested blocks override)."""
    token = _context.set(QueryContext(run_id, step, game_date))
    try:
        yield current_context()
    finally:
        _context.reset(token)


def current_context() -> QueryContext:
    """The step the running statement belongs to (empty outside any step)."""
    return _context.get() or _NO_STEP


def statement_kind(sql: str) -> str:
    """``select``, ``merge``, ``insert``, … from a statement's first word (``other`` otherwise)."""
    head = sql.lstrip(" \n\t(").split(None, 1)
    return _KINDS.get(head[0].lower(), "other") if head else "other"


def usd_for(bytes_billed: int | None, usd_per_tib: float) -> float | None:
    """On-demand dollars for ``bytes_billed`` at ``usd_per_tib`` per TiB."""
    return None if bytes_billed is None else bytes_billed / TIB * usd_per_tib


class QueryLog:
    """A buffer of ``query_log`` rows; the owning warehouse drains it in batches."""

    COLUMNS = (
        "query_id",
        "run_id",
        "step",
        "game_date",
        "backend",
        "statement_kind",
        "started_at",
        "duration_s",
        "rows",
        "bytes_estimated",
        "bytes_processed",
        "bytes_billed",
        "estimated_usd",
        "error",
    )

    def __init__(self, backend: str, *, batch_rows: int = 500) -> None:
        if batch_rows < 1:
            raise ValueError("batch_rows must be >= 1")
        self.backend = backend
        self.batch_rows = batch_rows
        self._rows: list[tuple[Any, ...]] = []
        self.written = 0
        # query ids: a random prefix per log and a counter (unique without a uuid per statement)
        self._prefix = uuid.uuid4().hex[:20]
        self._count = itertools.count()

    def record(
        self,
        *,
        kind: str,
        started_at: datetime,
        duration_s: float,
        rows: int | None,
        bytes_estimated: int | None = None,
        bytes_processed: int | None = None,
        bytes_billed: int | None = None,
        estimated_usd: float | None = None,
        error: str | None = None,
    ) -> None:
        """Buffer one statement's row (attributed to the current step)."""
        ctx = current_context()
        self._rows.append(
            (
                f"{self._prefix}{next(self._count):012x}",
                ctx.run_id,
                ctx.step,
                ctx.game_date,
                self.backend,
                kind,
                started_at,
                duration_s,
                rows,
                bytes_estimated,
                bytes_processed,
                bytes_billed,
                estimated_usd,
                None if error is None else error[:_MAX_ERROR_CHARS],
            )
        )

    @property
    def pending(self) -> int:
        """Rows buffered and not written yet."""
        return len(self._rows)

    @property
    def full(self) -> bool:
        """Whether the buffer holds a batch's worth of rows."""
        return len(self._rows) >= self.batch_rows

    def drain(self) -> pa.Table | None:
        """The buffered rows as an Arrow table in ``query_log``'s types, emptying the buffer."""
        import pyarrow as pa

        if not self._rows:
            return None
        rows, self._rows = self._rows, []
        columns = [[row[i] for row in rows] for i in range(len(self.COLUMNS))]
        types = (
            pa.string(),
            pa.string(),
            pa.string(),
            pa.date32(),
            pa.string(),
            pa.string(),
            pa.timestamp("us", tz="UTC"),
            pa.float64(),
            pa.int64(),
            pa.int64(),
            pa.int64(),
            pa.int64(),
            pa.float64(),
            pa.string(),
        )
        arrays = [pa.array(values, type=t) for values, t in zip(columns, types, strict=True)]
        table = pa.Table.from_arrays(arrays, names=list(self.COLUMNS))
        self.written += table.num_rows
        return table


def now_utc() -> datetime:
    """The wall-clock start of a statement (UTC)."""
    return datetime.now(UTC)
