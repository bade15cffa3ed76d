"""The library steps a service may run, their validated requests, and which role runs which.

An operator route (``POST /v1/ops/{step}``) ends in ``run_step``: a pydantic request, the same
library call the CLI makes (scrape, ingest, build, predict, grade), the same run-ledger rows.
(Scheduled runs come by push instead: ``day_handlers``.) A caller chooses a step from a fixed enum and a
game date inside a bounded range; nothing it sends becomes a path, a shell word or SQL.

Steps of one service process run one at a time (``_RUN_LOCK``): the embedded warehouse is one
DuckDB file with one writer, and Cloud Run gives each request its own instance budget anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field, model_validator

from nbaprops.dates import today_et
from nbaprops.errors import QualityGateError

if TYPE_CHECKING:
    from nbaprops.settings import Settings

log = structlog.get_logger(__name__)

Role = Literal["scrapers", "processors", "coordinator", "worker", "api"]
ROLES: tuple[Role, ...] = ("scrapers", "processors", "coordinator", "worker", "api")
StepName = Literal["scrape", "ingest", "build", "predict", "grade"]
ROLE_STEPS: dict[Role, tuple[StepName, ...]] = {
    "scrapers": ("scrape",),
    "processors": ("ingest", "build"),
    "coordinator": ("predict", "grade"),
    "worker": (),
    "api": (),
}
"""Which library steps each role's operator routes run."""

FIRST_DATE = date(2000, 10, 1)
"""No game date before this one is accepted (the earliest season any source serves)."""
FUTURE_DAYS = 14
"""How far past today (ET) a game date may lie: the published schedule's horizon."""
MAX_BUILD_DAYS = 400
"""Longest range one build request may cover (a season is ~165 game days over ~240)."""

_RUN_LOCK = threading.Lock()


def check_game_date(day: date) -> date:
    """``day`` if it lies in ``FIRST_DATE`` .. today (ET) + ``FUTURE_DAYS``; ``ValueError`` otherwise."""
    last = today_et() + timedelta(days=FUTURE_DAYS)
    if not FIRST_DATE <= day <= last:
        raise ValueError(f"game_date must lie between {FIRST_DATE} and {last}")
    return day


class DateRequest(BaseModel):
    """One game date (ET)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    game_date: date = Field(description="ET game date, YYYY-MM-DD, from 2000-10-01 to 14 days ahead.")

    @model_validator(mode="after")
    def _bounded(self) -> DateRequest:
        check_game_date(self.game_date)
        return self


class ScrapeRequest(DateRequest):
    """Scrape one game date from one source (or all of them, with fallbacks)."""

    source: Literal["all", "nbacom", "injury_report", "bdl", "oddsapi", "espn"] = "all"
    use: Literal["live", "history"] = Field(
        "live", description="live (the daily scrape) or history (a past date backfilled)."
    )


class BuildRequest(BaseModel):
    """Build phases 3-4 over a range of game dates (one date: ``start == end``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: date = Field(description="First ET game date, inclusive.")
    end: date = Field(description="Last ET game date, inclusive; at most 400 days after start.")

    @model_validator(mode="after")
    def _bounded(self) -> BuildRequest:
        check_game_date(self.start)
        check_game_date(self.end)
        if self.end < self.start:
            raise ValueError("end is before start")
        if (self.end - self.start).days >= MAX_BUILD_DAYS:
            raise ValueError(f"a build covers at most {MAX_BUILD_DAYS} days")
        return self


StepOutcome = Literal["success", "skipped", "degraded"]


class StepResult(BaseModel):
    """What a step run did, without its internals (those are in the run ledger and the logs)."""

    step: StepName
    status: StepOutcome
    game_date: date | None = None
    start: date | None = None
    end: date | None = None
    rows: int = Field(ge=0, description="Rows the step wrote (payloads stored, for a scrape).")


REQUESTS: dict[StepName, type[BaseModel]] = {
    "scrape": ScrapeRequest,
    "ingest": DateRequest,
    "build": BuildRequest,
    "predict": DateRequest,
    "grade": DateRequest,
}


def run_step(settings: Settings, step: StepName, request: BaseModel) -> StepResult:
    """Run one library step for a validated request; ``NbaPropsError`` when it fails.

    The source keys are read from the secret source (``secret_backend``) at each run, so a key
    rotated in Secret Manager is used by the next run without a restart (the source's cache
    decides how fresh), exactly as ``nbaprops run`` reads them.
    """
    from nbaprops.secrets import open_secret_source, with_secrets

    runner = _RUNNERS[step]
    with _RUN_LOCK:
        log.info("service.step_started", step=step, request=request.model_dump(mode="json"))
        result = runner(with_secrets(settings, open_secret_source(settings)), request)
    log.info("service.step_finished", step=step, status=result.status, rows=result.rows)
    return result


def _with_warehouse(settings: Settings, body: Callable[[Any], StepResult]) -> StepResult:
    from nbaprops.warehouse import create_schema, open_warehouse

    warehouse = open_warehouse(settings)
    try:
        create_schema(warehouse)
        return body(warehouse)
    finally:
        warehouse.close()


def _scrape(settings: Settings, request: BaseModel) -> StepResult:
    from nbaprops.http import HttpClient
    from nbaprops.lake import open_lake
    from nbaprops.ops.alerts import Alerter
    from nbaprops.sources.daily import scrape_source
    from nbaprops.warehouse import RunLedger

    assert isinstance(request, ScrapeRequest)  # noqa: S101 - REQUESTS pairs each step with its model

    def body(warehouse: Any) -> StepResult:
        with HttpClient.from_settings(settings) as http:
            report = scrape_source(
                settings,
                request.source,
                request.game_date,
                http=http,
                lake=open_lake(settings),
                ledger=RunLedger(warehouse),
                alerter=Alerter(warehouse),
                warehouse=warehouse,
                use=request.use,
            )
        if report.problems:
            raise QualityGateError(
                f"{len(report.problems)} scrape step(s) failed for {request.game_date}: "
                + ", ".join(p.step for p in report.problems)
            )
        rows = sum(s.rows for s in report.steps)
        status: StepOutcome = "degraded" if report.degraded else "success"
        return StepResult(step="scrape", status=status, game_date=request.game_date, rows=rows)

    return _with_warehouse(settings, body)


def _ingest(settings: Settings, request: BaseModel) -> StepResult:
    from nbaprops.lake import open_lake
    from nbaprops.ops.alerts import Alerter
    from nbaprops.raw.ingest import ingest_date

    assert isinstance(request, DateRequest)  # noqa: S101 - REQUESTS pairs each step with its model

    def body(warehouse: Any) -> StepResult:
        report = ingest_date(
            settings,
            request.game_date,
            warehouse=warehouse,
            lake=open_lake(settings),
            alerter=Alerter(warehouse),
        )
        rows = int(report.to_dict()["rows_written"])
        status: StepOutcome = "success" if report.results else "skipped"
        return StepResult(step="ingest", status=status, game_date=request.game_date, rows=rows)

    return _with_warehouse(settings, body)


def _build(settings: Settings, request: BaseModel) -> StepResult:
    from nbaprops.pipeline.build import build_range

    assert isinstance(request, BuildRequest)  # noqa: S101 - REQUESTS pairs each step with its model
    report = build_range(settings, request.start, request.end)
    rows = sum(s.rows_out for s in report.steps)
    status: StepOutcome = "success" if report.steps else "skipped"
    return StepResult(step="build", status=status, start=request.start, end=request.end, rows=rows)


def _predict(settings: Settings, request: BaseModel) -> StepResult:
    from nbaprops.ops.alerts import Alerter
    from nbaprops.predict.commands import predict_date

    assert isinstance(request, DateRequest)  # noqa: S101 - REQUESTS pairs each step with its model

    def body(warehouse: Any) -> StepResult:
        run = predict_date(warehouse, settings, request.game_date, alerter=Alerter(warehouse))
        status: StepOutcome = "success" if run.candidates else "skipped"
        return StepResult(
            step="predict", status=status, game_date=request.game_date, rows=run.prediction_rows
        )

    return _with_warehouse(settings, body)


def _grade(settings: Settings, request: BaseModel) -> StepResult:
    from nbaprops.grade.grader import grade_date

    assert isinstance(request, DateRequest)  # noqa: S101 - REQUESTS pairs each step with its model

    def body(warehouse: Any) -> StepResult:
        report = grade_date(warehouse, request.game_date)
        status: StepOutcome = "skipped" if report.skipped_reason else "success"
        return StepResult(step="grade", status=status, game_date=request.game_date, rows=report.graded)

    return _with_warehouse(settings, body)


_RUNNERS: dict[StepName, Callable[[Settings, BaseModel], StepResult]] = {
    "scrape": _scrape,
    "ingest": _ingest,
    "build": _build,
    "predict": _predict,
    "grade": _grade,
}
