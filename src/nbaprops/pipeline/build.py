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
from collections.abc import Collection, Iterable
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
POSTGAME_STEPS = (
    "player_game_summary",
    "source_discrepancies",
    "team_offense_game_summary",
    "team_defense_game_summary",
)
"""Build steps whose rows for a date D describe D's games once played (box scores, their team
sums, the sources' disagreements on them). Nothing D's pre-game rows are made of reads them (the
point-in-time rule: a feature of D uses games strictly before D), so a pre-game refresh skips
them; the box-score step's full build writes them."""


TARGETS_ONLY_STEPS = (
    "player_daily_cache",
    "player_shot_zone_analysis",
    "player_zone_matchup",
    "team_defense_zone_analysis",
)
"""Feature steps whose rows for D depend on D only through its targets, the (player, game, team,
opponent) keys of ``upcoming_player_game_context`` for D, and otherwise on games strictly before
D (box scores, team sums, play-by-play, the schedule): each player's history windows. A refresh
that leaves D's targets and the history as they were finds their rows as they were
(``reuse_unchanged``)."""
_TARGETS_SQL = (
    "SELECT DISTINCT game_id, as_of_kind, player_id, player_lookup, team, opponent, is_home "
    "FROM upcoming_player_game_context WHERE game_date = ? "
    # Every column named (BigQuery has no ORDER BY ALL), NULLs placed explicitly (the engines differ).
    "ORDER BY game_id NULLS LAST, as_of_kind NULLS LAST, player_id NULLS LAST, player_lookup NULLS LAST, "
    "team NULLS LAST, opponent NULLS LAST, is_home NULLS LAST"
)
_HISTORY_SQL = (
    "SELECT max(finished_at) FROM run_ledger WHERE status IN ('success', 'degraded') "
    "AND step IN ('ingest', 'player_game_summary', 'team_offense_game_summary', "
    "'team_defense_game_summary') AND (game_date IS NULL OR game_date < ?)"
)
_LAST_BUILT_SQL = (
    "SELECT details FROM run_ledger WHERE step = ? AND game_date = ? AND status = 'success' "
    "ORDER BY finished_at DESC LIMIT 1"
)


def targets_fingerprint(warehouse: Warehouse, day: date) -> str:
    """What the ``TARGETS_ONLY_STEPS`` rows of ``day`` are made from: D's targets, and the moment
    the history before D last changed (the latest ingest or box-score build of an earlier date,
    or of a range)."""
    import hashlib
    import json

    targets = warehouse.query_rows(_TARGETS_SQL, [day])
    [(history,)] = warehouse.query_rows(_HISTORY_SQL, [day])
    doc = json.dumps({"targets": targets, "history": str(history)}, default=str, separators=(",", ":"))
    return hashlib.sha256(doc.encode()).hexdigest()


def _built_from(warehouse: Warehouse, step: str, day: date) -> str | None:
    """The targets fingerprint of the latest successful build of ``step`` for ``day``, if recorded."""
    import json

    rows = warehouse.query_rows(_LAST_BUILT_SQL, [step, day])
    if not rows:
        return None
    details = json.loads(rows[0][0]) if isinstance(rows[0][0], str) else (rows[0][0] or {})
    found = details.get("targets_fingerprint")
    return str(found) if found else None


def pregame_steps() -> tuple[str, ...]:
    """The build steps a pre-game refresh runs: every build step but ``POSTGAME_STEPS`` (identities,
    injury status, game context, every feature table, the quality checks), in build order."""
    order = load_registry().order(BUILD_PHASES)
    return tuple(s.name for s in order if s.run is not None and s.name not in POSTGAME_STEPS)


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
    steps: Collection[str] | None = None,
    reuse_unchanged: bool = False,
) -> BuildReport:
    """Build every table of ``phases`` for ``start``..``end`` (inclusive), one pass per table.

    ``now`` (default: the clock) decides which scheduled games count as played for the gate.
    ``steps`` limits the build to those steps (``pregame_steps()`` for a refresh); the gate and
    each step's zero-row check run as in a full build. A one-date build records, on each
    ``TARGETS_ONLY_STEPS`` ledger row, the ``targets_fingerprint`` it built from; with
    ``reuse_unchanged`` such a step whose last successful build of the date has the current
    fingerprint is not run again (``skipped`` in the ledger, saying so): its rows are the ones a
    run would write.
    """
    if steps is not None:
        registered = {s.name for s in load_registry().order(phases)}
        unknown = sorted(set(steps) - registered)
        if unknown:
            raise ValueError(f"build: unknown step(s) {unknown}")
    check_date_range(start, end)
    own_settings, warehouse, owned = _resolve(target)
    settings = settings or own_settings
    try:
        alerter = alerter or Alerter(warehouse)
        ledger = ledger or RunLedger(warehouse)
        completeness = gate(warehouse, start, end, alerter=alerter, ledger=ledger, now=now)
        report = BuildReport(start, end, completeness)
        chosen = [s for s in load_registry().order(phases) if steps is None or s.name in steps]
        ctx = StepContext(
            warehouse=warehouse,
            start=start,
            end=end,
            alerter=alerter,
            settings=settings,
            steps=None if steps is None else frozenset(s.name for s in chosen),
        )
        fingerprint: str | None = None  # after upcoming_player_game_context, which precedes them
        for step in track(chosen, "build: tables", note=lambda s: s.name):
            if step.run is None:
                continue
            began = time.perf_counter()
            details: dict[str, Any] = {"start": start.isoformat(), "end": end.isoformat()}
            if start == end and step.name in TARGETS_ONLY_STEPS:
                fingerprint = fingerprint or targets_fingerprint(warehouse, start)
                details["targets_fingerprint"] = fingerprint
                if reuse_unchanged and _built_from(warehouse, step.name, start) == fingerprint:
                    with ledger.step(step.name, game_date=start, details=details) as run:
                        run.skip("D's targets and the history before D are as at its last build")
                    report.steps.append(StepResult(step.name, step.phase, 0, time.perf_counter() - began))
                    continue
            with (
                ledger.step(step.name, game_date=start if start == end else None, details=details) as run,
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
    steps: Collection[str] | None = None,
    reuse_unchanged: bool = False,
) -> BuildReport:
    """Build one day incrementally (earlier days' rows are read, not rebuilt)."""
    return build_range(
        target,
        day,
        day,
        alerter=alerter,
        ledger=ledger,
        settings=settings,
        phases=phases,
        now=now,
        steps=steps,
        reuse_unchanged=reuse_unchanged,
    )
