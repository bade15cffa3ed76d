"""What each scheduled step does (``ScheduledStep.action``): thin calls into the phases.

Every action gets the day's ``DayServices``, the game date D and ``at``, the moment it runs as
of (its due time: a refresh at 18:15 ET scrapes and predicts as of 18:15 ET, also when it is run
later to fill a gap). It returns an ``ActionResult`` or raises: ``StepBlocked`` when an input is
not there, ``TransientError`` to be retried, anything else fails the step.

Predictions are made once lines exist (``predict``), and again by a refresh when the inputs of
the slate changed: the lines (book, line, prices) and the OUT list the coordinator would use at
``at`` are hashed (``slate_inputs_sha``) and compared with those of the latest prediction.
``predictions`` holds the latest rows; every run's rows are also merged into
``prediction_history`` under their ``as_of``, so superseded predictions are kept.
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


def slate_inputs_sha(services: DayServices, day: date, at: datetime) -> tuple[str, int, int]:
    """A hash of what a prediction at ``at`` would use; candidates; players with a line.

    The hash covers the lines (book, line, prices), the OUT list and every predictable player's
    feature row (which carries the injury statuses of the player and his teammates at ``at``), so
    a line or an injury status that changed asks for a new prediction and nothing else does.
    Candidates counts the players the coordinator could predict (features present, not OUT).
    """
    import numpy as np

    from nbaprops.predict.coordinator import load_slate

    slate = load_slate(services.warehouse, day, as_of=at, bookmakers=_books(services.settings))
    batch, meta = slate.batch, slate.meta
    order = np.lexsort((batch.player_ids, batch.game_ids))
    features = hashlib.sha256(np.ascontiguousarray(batch.features[order]).tobytes())
    features.update("|".join(batch.feature_names).encode())
    for name in sorted(batch.extras):
        features.update(name.encode() + np.ascontiguousarray(batch.extras[name][order]).tobytes())
    lines = sorted(
        (str(g), int(p), _num(line), _num(over), _num(under), str(book))
        for g, p, line, over, under, book in zip(
            batch.game_ids.tolist(),
            batch.player_ids.tolist(),
            batch.line.tolist(),
            batch.over_price.tolist(),
            batch.under_price.tolist(),
            meta.line_book,
            strict=True,
        )
    )
    out = sorted((g, p) for g, p, reason in slate.exclusions if reason == "out")
    doc = json.dumps({"lines": lines, "out": out, "features": features.hexdigest()}, separators=(",", ":"))
    return hashlib.sha256(doc.encode()).hexdigest(), len(batch.player_ids), slate.with_line


def _num(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 4)  # NaN (no line) is None


def _books(settings: Settings) -> list[str]:
    return [b.strip() for b in settings.odds_bookmakers.split(",") if b.strip()]


def _predict(services: DayServices, day: date, at: datetime, inputs_sha: str) -> dict[str, Any]:
    from nbaprops.predict.commands import predict_date
    from nbaprops.predict.registry import save_models
    from nbaprops.predict.train import needs_retrain, train_as_of
    from nbaprops.publish.publisher import publish_date

    retrained = needs_retrain(services.warehouse, day)
    if retrained:
        save_models(services.warehouse, services.settings, train_as_of(services.warehouse, day))
    run = predict_date(
        services.warehouse, services.settings, day, alerter=services.alerter, as_of=at, bus=services.bus
    )
    kept = keep_history(services.warehouse, day, run.run_id)
    # Tonight's files go out with every prediction (the 11:00 one and each re-prediction), not only
    # after the games: a bettor reads tonight's picks before tip. A failed publish fails the step,
    # which is retried; the predictions it made are kept either way.
    published = publish_date(services.warehouse, services.settings, day, lake=services.lake)
    return {
        "inputs_sha": inputs_sha,
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
    sha, candidates, with_line = slate_inputs_sha(services, day, at)
    if candidates == 0:
        reason = f"no predictable players on {day} (no games, or no feature rows for them)"
        return ActionResult(status="skipped", reason=reason)
    if with_line == 0:
        reason = (
            f"no player_points line posted at or before {at.isoformat()}; a refresh predicts once there is"
        )
        return ActionResult(status="skipped", reason=reason)
    details = _predict(services, day, at, sha)
    return ActionResult(int(details["prediction_rows"]), details)


def refresh(services: DayServices, day: date, at: datetime) -> ActionResult:
    """The parts of the sources the schedule row names as of ``at`` (the injury report and the
    lines; box scores of games already over, which the build's completeness gate wants), loaded,
    then D's pre-game tables rebuilt (``pipeline.build.pregame_steps``: the post-game summaries
    wait for the box-score step); predict again when the slate's inputs changed."""
    from nbaprops.pipeline.build import pregame_steps

    rows = _scrape(services, day, at, "all")[0]
    loaded = _load(services, day, at, steps=pregame_steps())
    sha, candidates, with_line = slate_inputs_sha(services, day, at)
    previous = latest_inputs_sha(services.warehouse, day)
    details: dict[str, Any] = {
        "scraped_rows": rows,
        "scraped": list(services.scrape_parts) or ["all"],
        "built_steps": loaded["built"],
        "inputs_sha": sha,
        "previous_inputs_sha": previous,
    }
    if candidates == 0 or with_line == 0:
        return ActionResult(rows, details, "skipped", "no lines to predict against yet")
    if sha == previous:
        details["repredicted"] = False
        return ActionResult(rows, details)
    details |= _predict(services, day, at, sha) | {"repredicted": True}
    log.info("refresh.repredicted", game_date=day.isoformat(), as_of=at.isoformat())
    return ActionResult(int(details["prediction_rows"]), details)


def latest_inputs_sha(warehouse: Warehouse, day: date) -> str | None:
    """The inputs hash of the day's latest prediction made by a scheduled step, if any."""
    rows = warehouse.query_rows(
        "SELECT details FROM run_ledger WHERE game_date = ? AND starts_with(step, ?) "
        "AND status IN ('success', 'degraded') ORDER BY finished_at DESC, run_id",
        [day, LEDGER_PREFIX],
    )
    for (details,) in rows:
        doc = json.loads(details) if isinstance(details, str) else (details or {})
        if doc.get("predict_run_id"):
            return str(doc["inputs_sha"])
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
