"""What each scheduled step does (``ScheduledStep.action``): thin calls into the phases.

Every action gets the day's ``DayServices``, the game date D and ``at``, the moment it runs as
of (its due time: a refresh at 18:15 ET scrapes and predicts as of 18:15 ET, also when it is run
later to fill a gap). It returns an ``ActionResult`` or raises: ``StepBlocked`` when an input is
not there, ``TransientError`` to be retried, anything else fails the step.

Predictions are made once lines exist (``predict``), and again by a refresh when the inputs of
the slate changed: per game, the lines (book, line, prices), the exclusions (the OUT list) and the
feature rows the coordinator would use at ``at`` are hashed (``slate_inputs``) and compared with
those of the latest prediction. Only the games whose hash changed are predicted again (the
coordinator sizes the whole slate again and rewrites another game's row only if its stake moved);
a refresh that finds nothing changed is ``skipped`` with that reason. ``predictions`` holds the
latest rows; every run's rows are also merged into ``prediction_history`` under their ``as_of``,
so superseded predictions are kept.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

import structlog

from nbaprops.errors import QualityGateError
from nbaprops.pipeline.schedule import LEDGER_PREFIX, StepBlocked

if TYPE_CHECKING:
    from nbaprops.http import HttpClient
    from nbaprops.lake import Lake
    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.bus import Bus
    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)


@dataclass
class DayServices:
    """What the actions work with: the settings, the stores, and an HTTP client for the sources."""

    settings: Settings
    warehouse: Warehouse
    lake: Lake
    alerter: Alerter
    http: HttpClient | None = None
    source_settings: Settings | None = None
    """Settings the scrapers use (the sandbox's base URLs and keys); default ``settings``."""
    scrape_parts: tuple[str, ...] = ()
    """What the running step scrapes (its schedule row's ``scrape``; empty: every part)."""
    bus: Bus | None = None
    """The day's bus: a prediction's batches go out on it to the worker role (set by the runner)."""


@dataclass
class ActionResult:
    """What an action did: rows written, details for the ledger, and how it ended."""

    rows: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    status: Literal["success", "degraded", "skipped"] = "success"
    reason: str | None = None


Action = Callable[[DayServices, date, datetime], ActionResult]


def _scrape(services: DayServices, day: date, at: datetime, source: str) -> tuple[int, list[str]]:
    from nbaprops.sources.daily import scrape_source
    from nbaprops.warehouse.ledger import RunLedger

    if services.http is None:
        raise StepBlocked("no HTTP client for the sources (the run was opened without one)")
    report = scrape_source(
        services.source_settings or services.settings,
        source,
        day,
        http=services.http,
        lake=services.lake,
        ledger=RunLedger(services.warehouse),
        alerter=services.alerter,
        warehouse=services.warehouse,
        now=at,
        parts=services.scrape_parts or None,
    )
    if report.problems:
        raise QualityGateError(
            f"scrape {source} {day}: " + "; ".join(f"{p.step}: {p.error}" for p in report.problems)
        )
    return sum(s.rows for s in report.steps), [s.step for s in report.degraded]


def _load(
    services: DayServices, day: date, at: datetime, steps: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """Ingest, then build ``day`` (``steps`` only, reusing unchanged rows, when given: a refresh)."""
    from nbaprops.pipeline.build import build_date
    from nbaprops.raw.ingest import ingest_date

    ingest = ingest_date(
        services.settings, day, warehouse=services.warehouse, lake=services.lake, alerter=services.alerter
    )
    build = build_date(
        services.warehouse,
        day,
        alerter=services.alerter,
        settings=services.settings,
        now=at,
        steps=steps,
        reuse_unchanged=steps is not None,
    )
    return {
        "payloads": ingest.payloads_found,
        "build": build.to_dict()["decision"],
        "built": len(build.steps),
    }


def scrape_all(services: DayServices, day: date, at: datetime) -> ActionResult:
    """Every source for ``day`` as of ``at``: schedule, rosters, injuries, lines, props."""
    rows, degraded = _scrape(services, day, at, "all")
    result = ActionResult(rows, {"degraded_steps": degraded})
    if degraded:
        result.status, result.reason = "degraded", "optional facts missing: " + ", ".join(degraded)
    return result


def load(services: DayServices, day: date, at: datetime) -> ActionResult:
    """Ingest the day's payloads and build analytics and features as of ``at``."""
    details = _load(services, day, at)
    return ActionResult(int(details["payloads"]), details)


@dataclass(frozen=True)
class SlateInputs:
    """What a prediction at an as-of would use, hashed per game and for the whole slate."""

    sha: str
    candidates: int
    with_line: int
    by_game: dict[str, str]


def slate_inputs(services: DayServices, day: date, at: datetime) -> SlateInputs:
    """What a prediction at ``at`` would use, hashed for each game and for the whole slate.

    A game's hash covers its lines (book, line, prices), its exclusions (the OUT list among them),
    and its predictable players' feature rows (which carry the injury statuses of the player and
    his teammates at ``at``), recent games and as-of, so a line or an injury status that changed
    asks for a new prediction of that game and nothing else does. Candidates counts the players
    the coordinator could predict (features present, not OUT).
    """
    import numpy as np

    from nbaprops.predict.coordinator import load_slate

    slate = load_slate(services.warehouse, day, as_of=at, bookmakers=_books(services.settings))
    batch, meta = slate.batch, slate.meta
    games = sorted({str(g) for g in batch.game_ids.tolist()} | {g for g, _, _ in slate.exclusions})
    by_game: dict[str, str] = {}
    for game in games:
        rows = np.flatnonzero(batch.game_ids == game)
        rows = rows[np.argsort(batch.player_ids[rows], kind="stable")]
        digest = hashlib.sha256("|".join(batch.feature_names).encode())
        for array in (batch.player_ids, batch.features, batch.history_points, batch.history_minutes):
            digest.update(np.ascontiguousarray(array[rows]).tobytes())
        for name in sorted(batch.extras):
            digest.update(name.encode() + np.ascontiguousarray(batch.extras[name][rows]).tobytes())
        lines = [
            (
                int(batch.player_ids[i]),
                _num(batch.line[i]),
                _num(batch.over_price[i]),
                _num(batch.under_price[i]),
                meta.line_book[i],
                meta.line_snapshot_us[i],
                meta.as_of_us[i],
                meta.feature_quality[i],
            )
            for i in rows.tolist()
        ]
        excluded = sorted((p, reason) for g, p, reason in slate.exclusions if g == game)
        doc = {"lines": lines, "excluded": excluded, "arrays": digest.hexdigest()}
        by_game[game] = hashlib.sha256(json.dumps(doc, separators=(",", ":")).encode()).hexdigest()
    whole = hashlib.sha256(json.dumps(by_game, sort_keys=True).encode()).hexdigest()
    return SlateInputs(whole, len(batch.player_ids), slate.with_line, by_game)


def _num(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 4)  # NaN (no line) is None


def _books(settings: Settings) -> list[str]:
    return [b.strip() for b in settings.odds_bookmakers.split(",") if b.strip()]


def _predict(
    services: DayServices, day: date, at: datetime, inputs: SlateInputs, games: list[str] | None = None
) -> dict[str, Any]:
    from nbaprops.predict.commands import predict_date
    from nbaprops.predict.registry import save_models
    from nbaprops.predict.train import needs_retrain, train_as_of
    from nbaprops.publish.publisher import publish_date

    retrained = needs_retrain(services.warehouse, day)
    if retrained:
        save_models(services.warehouse, services.settings, train_as_of(services.warehouse, day))
        games = None  # new models: every game again
    run = predict_date(
        services.warehouse,
        services.settings,
        day,
        alerter=services.alerter,
        as_of=at,
        bus=services.bus,
        games=games,
    )
    kept = keep_history(services.warehouse, day, run.run_id)
    # Tonight's files go out with every prediction (the 11:00 one and each re-prediction), not only
    # after the games: a bettor reads tonight's picks before tip. A failed publish fails the step,
    # which is retried; the predictions it made are kept either way.
    published = publish_date(services.warehouse, services.settings, day, lake=services.lake)
    return {
        "inputs_sha": inputs.sha,
        "inputs_by_game": inputs.by_game,
        "predicted_games": sorted(inputs.by_game) if games is None else games,
        "as_of": at.isoformat(),
        "predict_run_id": run.run_id,
        "prediction_rows": run.prediction_rows,
        "history_rows": kept,
        "retrained": retrained,
        "published_files": len(published.files),
    }


def keep_history(warehouse: Warehouse, day: date, run_id: str) -> int:
    """Merge one prediction run's rows into ``prediction_history`` (key: predictions' key + as_of)."""
    rows = warehouse.query_arrow(
        "SELECT * FROM predictions WHERE game_date = ? AND run_id = ?", [day, run_id]
    )
    return warehouse.merge_arrow("prediction_history", rows) if rows.num_rows else 0


def predict(services: DayServices, day: date, at: datetime) -> ActionResult:
    """Predict ``day`` as of ``at`` once lines exist.

    With no line posted yet the step is ``skipped`` with that reason, not blocked: the refreshes
    that follow it predict as soon as lines appear.
    """
    inputs = slate_inputs(services, day, at)
    candidates, with_line = inputs.candidates, inputs.with_line
    if candidates == 0:
        reason = f"no predictable players on {day} (no games, or no feature rows for them)"
        return ActionResult(status="skipped", reason=reason)
    if with_line == 0:
        reason = (
            f"no player_points line posted at or before {at.isoformat()}; a refresh predicts once there is"
        )
        return ActionResult(status="skipped", reason=reason)
    details = _predict(services, day, at, inputs)
    return ActionResult(int(details["prediction_rows"]), details)


def refresh(services: DayServices, day: date, at: datetime) -> ActionResult:
    """The parts of the sources the schedule row names as of ``at`` (the injury report and the
    lines; box scores of games already over, which the build's completeness gate wants), loaded,
    then D's pre-game tables rebuilt (``pipeline.build.pregame_steps``: the post-game summaries
    wait for the box-score step); predict again when the slate's inputs changed."""
    from nbaprops.pipeline.build import pregame_steps

    rows = _scrape(services, day, at, "all")[0]
    loaded = _load(services, day, at, steps=pregame_steps())
    inputs = slate_inputs(services, day, at)
    previous = latest_inputs(services.warehouse, day)
    details: dict[str, Any] = {
        "scraped_rows": rows,
        "scraped": list(services.scrape_parts) or ["all"],
        "built_steps": loaded["built"],
        "inputs_sha": inputs.sha,
        "previous_inputs_sha": previous[0] if previous else None,
    }
    if inputs.candidates == 0 or inputs.with_line == 0:
        return ActionResult(rows, details, "skipped", "no lines to predict against yet")
    if previous is not None and inputs.sha == previous[0]:
        details["repredicted"] = False
        reason = (
            "no line, injury status or feature row changed since the prediction the slate has: "
            "its predictions stand"
        )
        return ActionResult(0, details, "skipped", reason)
    games = changed_games(inputs.by_game, previous[1] if previous else None)
    details |= _predict(services, day, at, inputs, games) | {"repredicted": True}
    log.info("refresh.repredicted", game_date=day.isoformat(), as_of=at.isoformat(), games=games)
    return ActionResult(int(details["prediction_rows"]), details)


def changed_games(now: dict[str, str], before: dict[str, str] | None) -> list[str] | None:
    """The games whose inputs differ from ``before`` (those of the latest prediction), or ``None``
    (every game) when ``before`` is unknown or a game left the slate."""
    if before is None or set(before) - set(now):
        return None
    return sorted(g for g, sha in now.items() if before.get(g) != sha)


def latest_inputs(warehouse: Warehouse, day: date) -> tuple[str, dict[str, str] | None] | None:
    """The inputs hash of the day's latest prediction made by a scheduled step, and its games'
    hashes (``None`` when the step did not record them), if there was one."""
    rows = warehouse.query_rows(
        "SELECT details FROM run_ledger WHERE game_date = ? AND starts_with(step, ?) "
        "AND status IN ('success', 'degraded') ORDER BY finished_at DESC, run_id",
        [day, LEDGER_PREFIX],
    )
    for (details,) in rows:
        doc = json.loads(details) if isinstance(details, str) else (details or {})
        if doc.get("predict_run_id"):
            by_game = doc.get("inputs_by_game")
            return str(doc["inputs_sha"]), ({str(k): str(v) for k, v in by_game.items()} if by_game else None)
    return None


def box_scores(services: DayServices, day: date, at: datetime) -> ActionResult:
    """After the games: every source for ``day`` again (box scores), ingest, build."""
    rows, degraded = _scrape(services, day, at, "all")
    details = _load(services, day, at) | {"degraded_steps": degraded}
    return ActionResult(rows, details)


def grade(services: DayServices, day: date, at: datetime) -> ActionResult:
    """Grade ``day``'s predictions."""
    from nbaprops.grade.grader import grade_date

    report = grade_date(services.warehouse, day, now=at)
    if report.skipped_reason:
        return ActionResult(0, {}, "skipped", report.skipped_reason)
    return ActionResult(report.graded, {"graded": report.graded, "voided": report.voided})


def publish(services: DayServices, day: date, at: datetime) -> ActionResult:
    """``nbaprops publish`` for ``day``: the JSON files of its predictions, picks and results.

    A date without games (the All-Star break) is ``skipped``; a date with games but no
    predictions fails in the publisher, as it should.
    """
    from nbaprops.publish.publisher import publish_date

    games = services.warehouse.query_rows("SELECT count(*) FROM raw_nbac_schedule WHERE game_date = ?", [day])
    if not games[0][0]:
        return ActionResult(0, {}, "skipped", f"no games scheduled on {day}")

    report = publish_date(services.warehouse, services.settings, day, lake=services.lake)
    return ActionResult(len(report.files), {"files": len(report.files), "predictions": report.predictions})


def health(services: DayServices, day: date, at: datetime) -> ActionResult:
    """``nbaprops health --alert`` as a step: raise the monitoring alerts that hold at ``at`` (stale
    source, slow step, cost over budget, credits low, backup missing) and record the health verdict.

    The step succeeds when it could look; what it found is in the alerts and in its details."""
    from nbaprops.ops.health import health_report
    from nbaprops.ops.monitor import watch

    raised = watch(services.warehouse, services.settings, services.alerter, now=at)
    report = health_report(services.warehouse, services.settings, now=at)
    not_ok = [c.name for c in (*report.sources, *report.phases, *report.checks) if c.status != "ok"]
    details = {"alerts_raised": raised, "health": report.status, "not_ok": not_ok, "game_date": str(day)}
    return ActionResult(len(raised), details)


ACTIONS: dict[str, Action] = {
    "scrape_all": scrape_all,
    "load": load,
    "predict": predict,
    "refresh": refresh,
    "box_scores": box_scores,
    "grade": grade,
    "publish": publish,
    "health": health,
}
"""Every action a schedule row may name."""
