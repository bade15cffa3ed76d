"""The completeness gate: one check per build run, deciding go / degraded / blocked for each date.

For every date of the range, the schedule (NBA.com's; for a date it does not list, Ball Don't
Lie's games, then ESPN's scoreboard) says which games exist and which have been played; the box
scores (NBA.com first, Ball Don't Lie otherwise) say which team-games arrived and how many
minutes they add up to. A complete team-game adds up to 240 minutes plus 25 per overtime (a
small tolerance for rounding).

* **go**: every played game has both teams' box scores with full minutes (or nothing was due yet);
* **degraded**: some played games are missing, or some team-games' minutes do not add up;
* **blocked**: games were played but no box score at all arrived for the date.

``gate`` records the verdicts in the run ledger (step ``completeness``, details per date), raises
``QualityGateError`` naming the blocked dates, and raises one alert for degraded dates. The build
calls it once per run; steps do not check their inputs again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from nbaprops.dates import now_utc
from nbaprops.errors import QualityGateError
from nbaprops.warehouse.ledger import RunLedger

if TYPE_CHECKING:
    from nbaprops.ops.alerts import Alerter
    from nbaprops.warehouse.protocol import Warehouse

Decision = Literal["go", "degraded", "blocked"]
STEP = "completeness"
SQL_FILE = Path(__file__).parent / "sql" / "completeness.sql"
REGULATION_MINUTES = 240.0
OVERTIME_MINUTES = 25.0
MINUTES_TOLERANCE = 5.0  # box scores round each player to whole minutes
_SEVERITY: dict[Decision, int] = {"go": 0, "degraded": 1, "blocked": 2}


@dataclass
class DateVerdict:
    """The gate's decision for one date, with the counts behind it."""

    game_date: date
    decision: Decision
    games: int = 0
    played_games: int = 0
    games_with_box: int = 0
    team_games_short: int = 0
    schedule_source: str | None = None
    box_sources: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


@dataclass
class Completeness:
    """Verdicts for every date of a range; the overall decision is the worst one."""

    start: date
    end: date
    verdicts: list[DateVerdict]

    @property
    def decision(self) -> Decision:
        """The worst decision over the range (``go`` when the range has no dates)."""
        worst: Decision = "go"
        for v in self.verdicts:
            if _SEVERITY[v.decision] > _SEVERITY[worst]:
                worst = v.decision
        return worst

    def dates(self, decision: Decision) -> list[date]:
        """Dates that got ``decision``."""
        return [v.game_date for v in self.verdicts if v.decision == decision]

    def has_played_games(self, day: date | None = None) -> bool:
        """Whether any date (or ``day``) has a played game whose box scores are due."""
        return any(v.played_games for v in self.verdicts if day is None or v.game_date == day)

    def has_games(self, day: date | None = None) -> bool:
        """Whether the schedule has any game in the range (or on ``day``)."""
        return any(v.games for v in self.verdicts if day is None or v.game_date == day)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (ledger details and ``--json`` output); only non-``go`` dates in full."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "decision": self.decision,
            "dates": len(self.verdicts),
            "go": len(self.dates("go")),
            "degraded": [_verdict_dict(v) for v in self.verdicts if v.decision == "degraded"],
            "blocked": [_verdict_dict(v) for v in self.verdicts if v.decision == "blocked"],
        }


def _verdict_dict(v: DateVerdict) -> dict[str, Any]:
    out = asdict(v)
    out["game_date"] = v.game_date.isoformat()
    return out


def full_minutes(minutes: float) -> bool:
    """Whether a team-game's minutes add up to regulation plus whole overtimes (within tolerance)."""
    extra = minutes - REGULATION_MINUTES
    if extra < -MINUTES_TOLERANCE:
        return False
    overtimes = round(max(extra, 0.0) / OVERTIME_MINUTES)
    return abs(extra - overtimes * OVERTIME_MINUTES) <= MINUTES_TOLERANCE


def check_completeness(
    warehouse: Warehouse, start: date, end: date, *, now: datetime | None = None
) -> Completeness:
    """Decide go / degraded / blocked for every date from ``start`` to ``end`` (one query)."""
    from nbaprops.warehouse.sqlmodel import load_model, query_model

    model = load_model(SQL_FILE)
    rows = query_model(warehouse, model, {"start": start, "end": end, "now": now or now_utc()}).to_pylist()
    by_date: dict[date, list[dict[str, Any]]] = {}
    for row in rows:
        by_date.setdefault(row["game_date"], []).append(row)
    verdicts = [_decide(day, by_date[day]) for day in sorted(by_date)]
    return Completeness(start, end, verdicts)


def _decide(day: date, team_games: list[dict[str, Any]]) -> DateVerdict:
    games: dict[str, list[dict[str, Any]]] = {}
    for tg in team_games:
        games.setdefault(str(tg["game_id"]), []).append(tg)
    played = {g: tgs for g, tgs in games.items() if any(t["played"] for t in tgs)}
    with_box = [g for g, tgs in played.items() if all(t["box_source"] for t in tgs)]
    short = [
        t for tgs in played.values() for t in tgs if t["box_source"] and not full_minutes(float(t["minutes"]))
    ]
    verdict = DateVerdict(
        game_date=day,
        decision="go",
        games=len(games),
        played_games=len(played),
        games_with_box=len(with_box),
        team_games_short=len(short),
        schedule_source=team_games[0]["schedule_source"],
        box_sources=sorted({str(t["box_source"]) for t in team_games if t["box_source"]}),
    )
    if not played:
        verdict.reasons.append("no game played yet: no box scores due")
        return verdict
    if not any(t["box_source"] for tgs in played.values() for t in tgs):
        verdict.decision = "blocked"
        verdict.reasons.append(f"{len(played)} game(s) played but no box score arrived from any source")
        return verdict
    missing = sorted(set(played) - set(with_box))
    if missing:
        verdict.decision = "degraded"
        verdict.reasons.append(f"{len(missing)} of {len(played)} played game(s) lack box scores: {missing}")
    if short:
        verdict.decision = "degraded"
        detail = [f"{t['team']} {float(t['minutes']):.0f} min" for t in short]
        verdict.reasons.append(f"{len(short)} team-game(s) whose minutes do not add up: {detail}")
    return verdict


def gate(
    warehouse: Warehouse,
    start: date,
    end: date,
    *,
    alerter: Alerter,
    ledger: RunLedger | None = None,
    now: datetime | None = None,
) -> Completeness:
    """Run the check once, record it in the ledger, stop on blocked dates and alert on degraded ones."""
    ledger = ledger or RunLedger(warehouse)
    with ledger.step(STEP, game_date=start if start == end else None) as run:
        result = check_completeness(warehouse, start, end, now=now)
        run.rows_in = sum(v.played_games for v in result.verdicts)
        run.rows_out = len(result.verdicts)
        run.details = result.to_dict()
        blocked = result.dates("blocked")
        if blocked:
            raise QualityGateError(
                f"build blocked: no box scores for played games on {[d.isoformat() for d in blocked]}"
            )
    degraded = result.dates("degraded")
    if degraded:
        alerter.raise_alert(
            "completeness_degraded",
            f"building {len(degraded)} date(s) with incomplete box scores: "
            f"{[d.isoformat() for d in degraded][:20]}",
            severity="warning",
            dates=[d.isoformat() for d in degraded],
            reasons={v.game_date.isoformat(): v.reasons for v in result.verdicts if v.decision == "degraded"},
        )
    return result
