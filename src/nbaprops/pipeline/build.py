"""``nbaprops build``: run the registered phase-3 and phase-4 steps over a date range, set-based.

``build_range(target, start, end)`` runs the completeness gate once, then every build step in
dependency order, each over the whole range in one pass (a step's SQL replaces the range's rows
in one transaction), with one ledger row per step. ``build_date(target, day)`` is the same for
one day. Building twice gives the same tables. A step that writes no rows where the schedule
says rows were due (played games for summaries, scheduled games for upcoming context) fails
with ``QualityGateError``, and its writes roll back with it: the check runs inside the step's
transaction, so a failing step never leaves the range emptied.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import structlog

from nbaprops.dates import check_date_range
from nbaprops.errors import QualityGateError
from nbaprops.ops.alerts import Alerter
from nbaprops.pipeline.completeness import Completeness, gate
from nbaprops.pipeline.steps import StepContext, load_registry
from nbaprops.progress import track
from nbaprops.warehouse.ledger import RunLedger

if TYPE_CHECKING:
    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)
BUILD_PHASES = (3, 4)


@dataclass
class StepResult:
    """One step's outcome in a build."""

    name: str
    phase: int
    rows_out: int
    seconds: float


@dataclass
class BuildReport:
    """What a build did: the gate's decision and each step's rows and time."""

    start: date
    end: date
    completeness: Completeness
    steps: list[StepResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (``--json`` output)."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "decision": self.completeness.decision,
            "completeness": self.completeness.to_dict(),
            "steps": [
                {"name": s.name, "phase": s.phase, "rows_out": s.rows_out, "seconds": round(s.seconds, 3)}
                for s in self.steps
            ],
        }


def _resolve(target: Settings | Warehouse) -> tuple[Settings | None, Warehouse, bool]:
    from nbaprops.settings import Settings

    if isinstance(target, Settings):
        from nbaprops.warehouse import create_schema, open_warehouse

        warehouse = open_warehouse(target)
        create_schema(warehouse)
        return target, warehouse, True
    return None, target, False


def build_range(
    target: Settings | Warehouse,
    start: date,
    end: date,
    *,
    alerter: Alerter | None = None,
    ledger: RunLedger | None = None,
    settings: Settings | None = None,
    phases: Iterable[int] = BUILD_PHASES,
    now: datetime | None = None,
) -> BuildReport:
    """Build every table of ``phases`` for ``start``..``end`` (inclusive), one pass per table.

    ``now`` (default: the clock) decides which scheduled games count as played for the gate.
    """
    check_date_range(start, end)
    own_settings, warehouse, owned = _resolve(target)
    settings = settings or own_settings
    try:
        alerter = alerter or Alerter(warehouse)
        ledger = ledger or RunLedger(warehouse)
        completeness = gate(warehouse, start, end, alerter=alerter, ledger=ledger, now=now)
        report = BuildReport(start, end, completeness)
        ctx = StepContext(warehouse=warehouse, start=start, end=end, alerter=alerter, settings=settings)
        for step in track(load_registry().order(phases), "build: tables", note=lambda s: s.name):
            if step.run is None:
                continue
            began = time.perf_counter()
            with (
                ledger.step(
                    step.name,
                    game_date=start if start == end else None,
                    details={"start": start.isoformat(), "end": end.isoformat()},
                ) as run,
                warehouse.transaction(),
            ):
                # The step's swap and its zero-row check commit together: a failed check leaves
                # the range's earlier rows in place instead of an emptied table.
                run.rows_out = step.run(ctx)
                due = (step.rows_due == "final_games" and completeness.has_played_games()) or (
                    step.rows_due == "scheduled_games" and completeness.has_games()
                )
                if due and not run.rows_out:
                    raise QualityGateError(
                        f"step {step.name} wrote 0 rows for {start}..{end} where the schedule has games"
                    )
            seconds = time.perf_counter() - began
            report.steps.append(StepResult(step.name, step.phase, run.rows_out or 0, seconds))
        log.info(
            "build.finished", start=start, end=end, steps=len(report.steps), decision=completeness.decision
        )
        return report
    finally:
        if owned:
            warehouse.close()


def build_date(
    target: Settings | Warehouse,
    day: date,
    *,
    alerter: Alerter | None = None,
    ledger: RunLedger | None = None,
    settings: Settings | None = None,
    phases: Iterable[int] = BUILD_PHASES,
    now: datetime | None = None,
) -> BuildReport:
    """Build one day incrementally (earlier days' rows are read, not rebuilt)."""
    return build_range(
        target, day, day, alerter=alerter, ledger=ledger, settings=settings, phases=phases, now=now
    )
