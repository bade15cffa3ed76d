"""The run ledger: one ``run_ledger`` row per step execution, so no step succeeds silently.

Usage::

    with ledger.step("ingest", game_date=day) as run:
        run.rows_in = len(payloads)
        run.rows_out = load(...)
        run.require_rows()          # zero rows where rows were due -> QualityGateError, recorded

The row is written as ``running`` on entry and finished as ``success``, ``skipped``,
``degraded`` (an optional part missing, the reason in ``error``), ``blocked`` (it could not
start: an input missing or a dependency failed, the reason in ``error``) or ``failed`` (with the
error text) on exit. A typed ``NbaPropsError`` is an expected outcome and logs one warning line; any
other exception is a bug and logs its traceback. Open steps outside warehouse transactions: a rolled-back
transaction would take the ledger row with it.

A process killed mid-step (kill -9, power loss) never finishes its row. Each row names its owner
process (host, pid and the pid's start time, so a recycled pid is not mistaken for it), and
``abandon_dead_runs`` — run by ``create_schema`` at every start — marks ``running`` rows whose
owner is gone as ``abandoned``: a dead run is visible as such instead of "running" forever.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import structlog

from nbaprops.errors import NbaPropsError, QualityGateError, WarehouseError
from nbaprops.secrets import scrub
from nbaprops.warehouse.protocol import Warehouse
from nbaprops.warehouse.querylog import query_context

log = structlog.get_logger(__name__)

Status = Literal["running", "success", "failed", "skipped", "degraded", "blocked", "abandoned"]
_MAX_ERROR_CHARS = 2000


@dataclass
class StepRun:
    """The live record of one step; the step body sets ``rows_in``/``rows_out``/``details``."""

    run_id: str
    step: str
    game_date: date | None
    started_at: datetime
    rows_in: int | None = None
    rows_out: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    skipped_reason: str | None = None
    degraded_reason: str | None = None
    blocked_reason: str | None = None

    def require_rows(self) -> None:
        """Fail the step (QualityGateError) if it wrote no rows where rows were due."""
        if not self.rows_out:
            raise QualityGateError(
                f"step {self.step} for {self.game_date or 'no date'} wrote 0 rows where rows were expected"
            )

    def skip(self, reason: str) -> None:
        """Record the step as ``skipped`` (e.g. no games that day) instead of ``success``."""
        self.skipped_reason = reason

    def degrade(self, reason: str) -> None:
        """Record the step as ``degraded``: it ran, but an optional part is missing (``reason``)."""
        self.degraded_reason = reason

    def block(self, reason: str) -> None:
        """Record the step as ``blocked``: it did not run, its inputs were not there (``reason``)."""
        self.blocked_reason = reason


@dataclass(frozen=True)
class LedgerEntry:
    """One ``run_ledger`` row as read back."""

    run_id: str
    step: str
    game_date: date | None
    started_at: datetime
    finished_at: datetime | None
    status: Status
    rows_in: int | None
    rows_out: int | None
    error: str | None
    details: dict[str, Any]


class RunLedger:
    """Records step executions in ``run_ledger`` (the table must exist: see ``create_schema``)."""

    def __init__(self, warehouse: Warehouse) -> None:
        self._warehouse = warehouse

    @contextmanager
    def step(
        self, step: str, *, game_date: date | None = None, details: Mapping[str, Any] | None = None
    ) -> Iterator[StepRun]:
        """Record one execution of ``step``; any exception is recorded as ``failed`` and re-raised."""
        run = StepRun(
            run_id=uuid.uuid4().hex,
            step=step,
            game_date=game_date,
            started_at=datetime.now(UTC),
            details=dict(details or {}),
        )
        self._warehouse.execute(
            "INSERT INTO run_ledger (run_id, step, game_date, started_at, status, details, owner) "
            "VALUES (?, ?, ?, ?, 'running', ?, ?)",
            [
                run.run_id,
                step,
                game_date,
                run.started_at,
                json.dumps(run.details, default=str),
                this_process(),
            ],
        )
        log.info("step.started", step=step, game_date=_iso(game_date), run_id=run.run_id)
        try:
            with query_context(run.run_id, step, game_date):
                yield run
        except BaseException as exc:
            error = scrub(f"{type(exc).__name__}: {exc}")[:_MAX_ERROR_CHARS]
            try:
                self._finish(run, "failed", error)
                if isinstance(exc, Exception):  # not Ctrl-C: a person is already looking
                    self._alert(run, "failed", error)
            except WarehouseError as ledger_exc:
                # The step's own error matters more; keep it, and say the ledger could not record it.
                log.exception("step.ledger_write_failed", step=step, run_id=run.run_id, error=str(ledger_exc))
            if isinstance(exc, NbaPropsError | KeyboardInterrupt):
                log.warning(
                    "step.failed", step=step, game_date=_iso(game_date), run_id=run.run_id, error=error
                )
            else:
                log.exception(
                    "step.failed", step=step, game_date=_iso(game_date), run_id=run.run_id, error=error
                )
            raise
        status: Status = "success"
        if run.blocked_reason is not None:
            status = "blocked"
            log.warning("step.blocked", step=step, game_date=_iso(game_date), reason=run.blocked_reason)
        elif run.skipped_reason is not None:
            status = "skipped"
        elif run.degraded_reason is not None:
            status = "degraded"
            log.warning("step.degraded", step=step, game_date=_iso(game_date), reason=run.degraded_reason)
        self._finish(run, status, run.blocked_reason or run.skipped_reason or run.degraded_reason)
        if status == "degraded":
            self._alert(run, status, run.degraded_reason or "")
        elif status == "blocked":
            self._alert(run, status, f"blocked: {run.blocked_reason}")
        log.info("step.finished", step=step, status=status, rows_in=run.rows_in, rows_out=run.rows_out)

    def _alert(self, run: StepRun, status: Status, error: str) -> None:
        """Every failed or degraded step raises its alert (``ops.failures`` names the class)."""
        from nbaprops.ops.failures import alert_step_outcome

        alert_step_outcome(
            self._warehouse,
            step=run.step,
            game_date=run.game_date,
            status=status,
            error=error,
            run_id=run.run_id,
        )

    def _finish(self, run: StepRun, status: Status, error: str | None) -> None:
        self._warehouse.execute(
            "UPDATE run_ledger SET finished_at = ?, status = ?, rows_in = ?, rows_out = ?, error = ?, "
            "details = ? WHERE run_id = ?",
            [
                datetime.now(UTC),
                status,
                run.rows_in,
                run.rows_out,
                None if error is None else scrub(error),
                scrub(json.dumps(run.details, default=str)),
                run.run_id,
            ],
        )

    def recent(self, step: str | None = None, limit: int = 50) -> list[LedgerEntry]:
        """The latest ``limit`` executions, newest first, optionally of one step only."""
        rows = self._warehouse.query_rows(
            "SELECT run_id, step, game_date, started_at, finished_at, status, rows_in, rows_out, "
            "error, details FROM run_ledger WHERE (? IS NULL OR step = ?) "
            "ORDER BY started_at DESC, run_id LIMIT ?",
            [step, step, int(limit)],
        )
        return [
            LedgerEntry(
                run_id=r[0],
                step=r[1],
                game_date=r[2],
                started_at=r[3],
                finished_at=r[4],
                status=r[5],
                rows_in=r[6],
                rows_out=r[7],
                error=r[8],
                details=json.loads(r[9]) if r[9] else {},
            )
            for r in rows
        ]


def abandon_dead_runs(warehouse: Warehouse) -> int:
    """Mark ``running`` rows whose owner process is gone as ``abandoned``; returns how many.

    Rows owned by another host are left alone: from here nobody can tell whether that process
    still runs.
    """
    rows = warehouse.query_rows("SELECT run_id, step, owner FROM run_ledger WHERE status = 'running'")
    dead = [(run_id, step) for run_id, step, owner in rows if owner and _gone(owner)]
    for run_id, step in dead:
        warehouse.execute(
            "UPDATE run_ledger SET status = 'abandoned', finished_at = ?, error = ? "
            "WHERE run_id = ? AND status = 'running'",
            [datetime.now(UTC), "the process running this step ended without finishing it (killed?)", run_id],
        )
        log.warning("step.abandoned", step=step, run_id=run_id)
    return len(dead)


def this_process() -> str:
    """``host:pid:start`` of the calling process (``start``: its start time, from /proc)."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_started(pid)}"


def _gone(owner: str) -> bool:
    """Whether the owner process has ended (a pid now used by another process counts as ended)."""
    host, pid, started = owner.rsplit(":", 2)
    if host != socket.gethostname() or not pid.isdigit() or not started:
        return False  # another machine, or a system without /proc: cannot tell
    return _started(int(pid)) != started


def _started(pid: int) -> str:
    """The process's start time in clock ticks (Linux /proc); ``""`` when it cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return ""
    # Field 22 (starttime), counted after the command name, which may itself hold spaces.
    return stat.rsplit(b")", 1)[-1].split()[19].decode()


def _iso(day: date | None) -> str | None:
    """Dates in log lines as ISO text, never ``datetime.date(...)``."""
    return day.isoformat() if day is not None else None
