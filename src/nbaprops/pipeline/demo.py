"""``nbaprops demo``: the main job, end to end, on the sandbox league.

1. History: the sandbox's archive of every game date before the demo date (the payloads a daily
   scrape would have stored) goes into the lake and is ingested and built (phases 2-4), the same
   path as ``nbaprops ingest --from-dir`` on saved payloads.
2. The demo date itself, live: the sandbox is served on a loopback port with its clock at 11:00 ET
   and every source is scraped through the HTTP client (schedule, rosters, injury report, Ball Don't
   Lie, The Odds API, ESPN), then ingested and built for that date.
3. A walk-forward backtest of the season so far: each day predicted as of that morning with models
   trained only on earlier days, then graded, beside the book line and the last-5-games average.
4. Train as of the demo date, predict it, grade the day before, and print the summary and the top
   recommendations.
5. Publish the day before (its results) and the demo date (phase 6: the JSON files and the
   dashboard under ``<lake>/publish``; ``nbaprops demo --serve`` then serves them on loopback).

Every step writes run-ledger rows; any failure stops the demo with a one-line reason.

The terminal is for a person: one line saying what is about to happen, a progress display per
stage (one ``✓`` line each when it ends), the result tables on stdout, then where the files went
and commands to try next. The events go to ``<data_dir>/logs/nbaprops.jsonl`` (``nbaprops -v demo``
streams them on stderr too).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from nbaprops.dates import parse_game_date
from nbaprops.errors import ConfigError, QualityGateError
from nbaprops.progress import display, on_terminal, stage

if TYPE_CHECKING:
    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.backtest import BacktestReport
    from nbaprops.predict.coordinator import PredictRun
    from nbaprops.publish.publisher import PublishReport
    from nbaprops.sandbox.model import Season
    from nbaprops.settings import Settings
    from nbaprops.sources.daily import StepOutcome
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

WARMUP_DAYS = 28  # game days of history before the backtest's first predicted day
ODDS_QUOTA = 200_000  # the sandbox key's credits: a season of history needs ~37,000
TOP_PICKS_SYSTEM = "ensemble"  # the recommendations shown are the ensemble's (every system's are stored)
USUALLY = "usually 1-4 min on a fresh folder on 2 cores, by how busy they are; about half that on a re-run"
"""What the opening line promises; measured in docs/benchmarks.md."""


@dataclass
class DemoReport:
    """What the demo did, with the time each stage took."""

    demo_date: date
    history_dates: int = 0
    scraped: list[StepOutcome] = field(default_factory=list)
    backtest: BacktestReport | None = None
    prediction: PredictRun | None = None
    graded_day: date | None = None
    graded: int = 0
    top_picks: list[dict[str, Any]] = field(default_factory=list)
    published: list[PublishReport] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


@contextmanager
def _stage(report: DemoReport, name: str, description: str) -> Iterator[Callable[[str], None]]:
    """A demo stage on the progress display, its seconds kept in the report and the log."""
    began = time.perf_counter()
    with stage(description) as summarize:
        yield summarize
    report.seconds[name] = round(time.perf_counter() - began, 2)
    log.info("demo.stage", stage=name, seconds=report.seconds[name])


def _history(settings: Settings, season: Season, day: date, warehouse: Warehouse, alerter: Alerter) -> int:
    """Archive every game date before ``day`` into the lake, ingest it, build phases 3-4."""
    from nbaprops.lake import open_lake
    from nbaprops.pipeline.build import build_range
    from nbaprops.raw.ingest import ingest_from_dir
    from nbaprops.sandbox.archive import write_archive

    end = day - timedelta(days=1)
    archive = write_archive(
        season,
        open_lake(settings),
        start=season.first_date,
        end=end,
        prediction_minute_et=settings.prediction_minute_et(),
    )
    ingest_from_dir(settings, Path(settings.resolved_lake_url), warehouse=warehouse, alerter=alerter)
    build_range(warehouse, season.first_date, end, alerter=alerter, settings=settings)
    return archive.dates


def _today(
    settings: Settings, season: Season, day: date, warehouse: Warehouse, alerter: Alerter
) -> list[StepOutcome]:
    """Scrape every source for ``day`` at the prediction time over loopback HTTP, ingest, build the day."""
    from nbaprops.http import HttpClient
    from nbaprops.lake import open_lake
    from nbaprops.pipeline.build import build_date
    from nbaprops.pipeline.sandbox_session import sandbox_session
    from nbaprops.raw.ingest import ingest_date
    from nbaprops.sources.daily import scrape_source
    from nbaprops.warehouse.ledger import RunLedger

    lake = open_lake(settings)
    morning = settings.prediction_as_of(day)
    with (
        sandbox_session(settings, now=morning, season=season, odds_quota=ODDS_QUOTA) as session,
        HttpClient.from_settings(session.settings) as http,
    ):
        report = scrape_source(
            session.settings,
            "all",
            day,
            http=http,
            lake=lake,
            ledger=RunLedger(warehouse),
            alerter=alerter,
            warehouse=warehouse,
            now=morning,
        )
    if report.problems:
        raise QualityGateError(
            f"scraping {day} failed: " + "; ".join(f"{p.step}: {p.error}" for p in report.problems)
        )
    ingest_date(settings, day, warehouse=warehouse, lake=lake, alerter=alerter)
    build_date(warehouse, day, alerter=alerter, settings=settings, now=morning)
    return report.steps


def run_demo(settings: Settings, date_text: str | None) -> DemoReport:
    """Run the whole path on the sandbox and print the summary; returns what it did."""
    from nbaprops.grade.grader import grade_date
    from nbaprops.logs import configure_logging
    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.backtest import run_backtest
    from nbaprops.pipeline.sandbox_session import default_demo_date
    from nbaprops.predict.commands import predict_date, top_picks
    from nbaprops.predict.registry import save_models
    from nbaprops.predict.train import needs_retrain, train_as_of
    from nbaprops.publish.publisher import publish_date
    from nbaprops.sandbox.simulator import generate_season
    from nbaprops.warehouse import create_schema, open_warehouse

    configure_logging(settings)
    season = generate_season(settings.sandbox_seed, settings.sandbox_season)
    dates = sorted(season.games_by_date)
    day = parse_game_date(date_text) if date_text else default_demo_date(season)
    if day not in season.games_by_date or day <= dates[WARMUP_DAYS + 1]:
        raise ConfigError(
            f"--date must be a game date of the sandbox season after {dates[WARMUP_DAYS + 1]}, "
            f"at most {dates[-1]}; got {day}"
        )
    report = DemoReport(day)
    previous = max(d for d in dates if d < day)
    history = [d for d in dates if d < day]
    rerun = Path(settings.resolved_warehouse_path).exists()
    _print(
        f"[bold]nbaprops demo[/bold] → {settings.data_dir}: {len(history)} game days of sandbox history, "
        f"{day} scraped live over loopback HTTP, backtest {dates[WARMUP_DAYS]}..{previous}, predictions "
        f"for {day} ({'a re-run: ' if rerun else ''}{USUALLY})"
    )
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    warehouse = open_warehouse(settings)
    try:
        create_schema(warehouse)
        alerter = Alerter(warehouse)
        with display(on_terminal()):
            with _stage(report, "history", f"history: {len(history)} game days") as done:
                report.history_dates = _history(settings, season, day, warehouse, alerter)
                done(
                    f"history: {report.history_dates} game days ({season.first_date}..{previous}) archived, "
                    "ingested and built"
                )
            with _stage(report, "demo_date_live", f"live: {day} at {settings.prediction_time_et} ET") as done:
                report.scraped = _today(settings, season, day, warehouse, alerter)
                served = [s for s in report.scraped if s.status == "success"]
                done(
                    f"live: {day} scraped at {settings.prediction_time_et} ET ({len(served)} of "
                    f"{len(report.scraped)} steps served, {sum(s.rows for s in report.scraped)} rows), "
                    "ingested and built"
                )
            with _stage(report, "backtest", f"backtest: {dates[WARMUP_DAYS]}..{previous}") as done:
                backtest = run_backtest(warehouse, settings, dates[WARMUP_DAYS], previous, alerter=alerter)
                report.backtest = backtest
                done(
                    f"backtest: {backtest.predicted_days} days predicted as of each morning, "
                    f"{len(backtest.retrains)} retrain(s), {backtest.graded} predictions graded"
                )
            with _stage(report, "predict", f"predict: {day}") as done:
                if needs_retrain(warehouse, day):
                    save_models(warehouse, settings, train_as_of(warehouse, day))
                report.prediction = predict_date(warehouse, settings, day, alerter=alerter)
                report.top_picks = top_picks(
                    warehouse,
                    report.prediction.run_id,
                    system_id=TOP_PICKS_SYSTEM,
                    market_shrink=settings.stake_market_shrink,
                )
                report.graded_day, report.graded = previous, grade_date(warehouse, previous).graded
                done(
                    f"predict: {report.prediction.prediction_rows} predictions for {day}; "
                    f"{report.graded} of {previous} graded"
                )
            with _stage(report, "publish", f"publish: {previous} and {day}") as done:
                report.published = [publish_date(warehouse, settings, d) for d in (previous, day)]
                done(
                    f"publish: {previous} (results) and {day}: "
                    f"{sum(len(r.files) for r in report.published)} files under the lake's publish/"
                )
    finally:
        warehouse.close()
    print_summary(report)
    print_where(settings, report)
    return report


def _command_name() -> str:
    """How to call nbaprops from here: plain ``nbaprops`` when it is on PATH, else this venv's script."""
    import os
    import shutil

    script = Path(sys.executable).parent / "nbaprops"
    found = shutil.which("nbaprops")
    if found is not None and Path(found).resolve() == script.resolve():
        return "nbaprops"
    if script.is_file():
        return os.path.relpath(script) if script.is_relative_to(Path.cwd()) else str(script)
    return f"{sys.executable} -m nbaprops"


def _print(text: str) -> None:
    from rich.console import Console

    Console(file=sys.stdout, highlight=False, soft_wrap=True).print(text)


def print_summary(report: DemoReport) -> None:
    """The backtest table, the demo date's top recommendations, and where the time went."""
    from rich.console import Console
    from rich.table import Table

    from nbaprops.pipeline.backtest import print_report

    console = Console(file=sys.stdout, width=170)
    scraped = Table(title=f"live scrape of {report.demo_date} (every payload kept in the lake)")
    for column in ("step", "status", "rows", "payloads", "note"):
        scraped.add_column(column, justify="right" if column in ("rows", "payloads") else "left")
    for step in report.scraped:
        note = step.error or (f"served by {step.rescued_by}" if step.rescued_by else "")
        scraped.add_row(step.step, step.status, str(step.rows), str(len(step.lake_paths)), note)
    console.print(scraped)
    if report.backtest is not None:
        print_report(report.backtest)
    run = report.prediction
    if run is not None:
        # Reasons are detailed per player in prediction_exclusions; here, one count per kind.
        kinds: dict[str, int] = {}
        for reason, count in run.exclusions.items():
            kinds[reason.split(":")[0]] = kinds.get(reason.split(":")[0], 0) + count
        console.print(
            f"predicted {run.predicted_players} of {run.candidates} players on {run.game_date} "
            f"({run.prediction_rows} rows); excluded (see prediction_exclusions): "
            + (", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) or "none")
        )
    picks = Table(
        title=f"top recommendations for {report.demo_date} ({TOP_PICKS_SYSTEM}, by edge-adjusted EV)"
    )
    for column in ("player", "team", "vs", "predicted", "line", "book", "pick", "P(over)", "EV", "stake"):
        picks.add_column(
            column, justify="left" if column in ("player", "team", "vs", "book", "pick") else "right"
        )
    for pick in report.top_picks:
        picks.add_row(
            str(pick["player_name"] or pick["player_id"]),
            str(pick["team"]),
            str(pick["opponent"]),
            f"{pick['predicted_points']:.1f}",
            f"{pick['line']:.1f}",
            str(pick["line_book"]),
            str(pick["recommendation"]),
            f"{pick['p_over']:.3f}",
            f"{pick['expected_value']:+.3f}",
            f"{pick['stake']:.2%}",
        )
    console.print(picks)
    console.print(f"graded {report.graded} predictions of {report.graded_day}")


def print_where(settings: Settings, report: DemoReport) -> None:
    """Where the files went and commands to try next (each works as written on the demo's folder)."""
    from nbaprops.logs import log_file_path
    from nbaprops.predict.registry import models_dir

    root = Path(settings.data_dir)
    env = f"NBAPROPS_DATA_DIR={root} {_command_name()}"
    day, graded = report.demo_date, report.graded_day
    start = report.backtest.start if report.backtest is not None else graded
    lines = [
        "[bold]files[/bold]",
        f"  warehouse  {settings.resolved_warehouse_path}  (DuckDB: raw tables, features, predictions, "
        "grades, run_ledger, alerts)",
        f"  lake       {settings.resolved_lake_url}  (every payload as received, with manifests)",
        f"  models     {models_dir(settings)}  (model files; model_registry in the warehouse)",
        f"  logs       {log_file_path(settings)}  (every event as JSON lines)",
        f"  published  {settings.resolved_lake_url}/publish  (JSON files and the dashboard)",
        "[bold]next[/bold]",
        f"  {env} features show --date {day}    # the feature rows the models read",
        f"  {env} predict --date {day} --json   # predict the day again",
        f"  {env} backtest --from {start} --to {graded}",
        f"  {env} dashboard    # serve the dashboard on loopback (or: demo --serve)",
        f"  {_command_name()} -v demo --data-dir {root}    # the same, with every log event on stderr",
    ]
    _print("\n".join(lines))
