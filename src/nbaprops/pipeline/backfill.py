"""``nbaprops backfill --from A --to B``: scrape -> ingest every date, then one set-based build.

For each date of the range, in order: **scrape** (``sources.daily.scrape_source(..., "all", D,
use="history")``: the facts ``FACT_NEEDS`` calls optional for history only degrade a date) then
**ingest** (``raw.ingest.ingest_date``); after the last date, **build**
(``pipeline.build.build_range`` over the whole range, one pass per table).

One path for every server: the settings' base URLs (the real APIs or any server speaking their
formats), each date scraped once as of now. ``--sandbox`` only starts the built-in sandbox league on
loopback, its clock set to the morning after the range, and points the settings at it; nothing
else changes.

Resumable: each finished (date, stage) is a ``backfill_progress`` row, written only once the
stage succeeded with the rows that were due, so a re-run after a crash, a source outage or Ctrl-C
(``KeyboardInterrupt``) skips finished work and redoes only the rest. A stage runs again when an
earlier stage of its date is not finished (new payloads must be ingested again). A date whose
scrape or ingest fails is reported and the backfill moves on to the next date; the build then
waits for a re-run that completes them. When the build's completeness gate blocks dates, their
scrape and ingest marks are dropped, so the re-run fetches them again once the source serves them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import structlog
import typer

from nbaprops.dates import check_date_range, date_range, et_datetime, now_utc, season_of
from nbaprops.errors import NbaPropsError, QualityGateError
from nbaprops.progress import display, on_terminal, task
from nbaprops.warehouse.ledger import RunLedger

if TYPE_CHECKING:
    from nbaprops.http import HttpClient
    from nbaprops.lake import Lake
    from nbaprops.ops.alerts import Alerter
    from nbaprops.settings import Settings
    from nbaprops.sources.base import Fetched
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

STAGES = ("scrape", "ingest", "build")
STEP = "backfill"


@dataclass
class BackfillReport:
    """What a backfill run did: stages run, stages skipped as already done, dates that failed."""

    start: date
    end: date
    ran: list[tuple[date, str]] = field(default_factory=list)
    skipped: list[tuple[date, str]] = field(default_factory=list)
    failed: dict[date, str] = field(default_factory=dict)
    degraded: dict[date, list[str]] = field(default_factory=dict)
    credits: dict[date, int] = field(default_factory=dict)
    seconds: dict[date, float] = field(default_factory=dict)

    def credits_by_season(self) -> dict[str, int]:
        """Odds API credits this run spent, per season of the dates they were spent for."""
        seasons: dict[str, int] = {}
        for day, spent in self.credits.items():
            seasons[season_of(day)] = seasons.get(season_of(day), 0) + spent
        return seasons

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "ran": len(self.ran),
            "skipped": len(self.skipped),
            "failed": {d.isoformat(): why for d, why in self.failed.items()},
            "degraded": {d.isoformat(): facts for d, facts in self.degraded.items()},
            "credits_spent": sum(self.credits.values()),
            "credits_by_season": self.credits_by_season(),
            "scrape_seconds": {d.isoformat(): round(s, 3) for d, s in self.seconds.items()},
        }


class ProgressStore:
    """The ``backfill_progress`` rows of a range: read once, written one finished stage at a time."""

    def __init__(self, warehouse: Warehouse, start: date, end: date, run_id: str) -> None:
        self._warehouse = warehouse
        self._run_id = run_id
        rows = warehouse.query_rows(
            "SELECT game_date, stage FROM backfill_progress WHERE game_date BETWEEN ? AND ?", [start, end]
        )
        self.done: set[tuple[date, str]] = {(d, s) for d, s in rows}

    def is_done(self, day: date, stage: str) -> bool:
        """Whether ``stage`` and every earlier stage of ``day`` finished in some run."""
        upto = STAGES[: STAGES.index(stage) + 1]
        return all((day, s) in self.done for s in upto)

    def mark(self, days: Sequence[date], stage: str, rows: int | None) -> None:
        """Record ``stage`` as finished for ``days`` (replacing an older record of the same work)."""
        finished = now_utc()
        with self._warehouse.transaction():
            for day in days:
                self._warehouse.execute(
                    "DELETE FROM backfill_progress WHERE game_date = ? AND stage = ?", [day, stage]
                )
                self._warehouse.execute(
                    "INSERT INTO backfill_progress (game_date, stage, rows, run_id, finished_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [day, stage, rows, self._run_id, finished],
                )
        self.done.update((d, stage) for d in days)

    def forget(self, days: Sequence[date]) -> None:
        """Drop every stage of ``days``: the next run scrapes and ingests them again."""
        with self._warehouse.transaction():
            for day in days:
                self._warehouse.execute("DELETE FROM backfill_progress WHERE game_date = ?", [day])
        self.done = {(d, s) for d, s in self.done if d not in days}


def backfill_range(
    settings: Settings,
    start: date,
    end: date,
    *,
    warehouse: Warehouse,
    lake: Lake,
    http: HttpClient,
    alerter: Alerter,
    clock: Callable[[], datetime] = now_utc,
    progress: bool = False,
) -> BackfillReport:
    """Scrape and ingest each date of ``start``..``end`` not done yet, then build the range.

    ``clock`` is the servers' now (the wall clock; the sandbox's own clock under ``--sandbox``).
    Raises ``QualityGateError`` naming the dates that failed (after doing everything else);
    ``KeyboardInterrupt`` stops at once, keeping what finished.
    """
    check_date_range(start, end)
    days = date_range(start, end)
    report = BackfillReport(start, end)
    ledger = RunLedger(warehouse)
    with ledger.step(STEP, details={"start": start.isoformat(), "end": end.isoformat()}) as run:
        store = ProgressStore(warehouse, start, end, run.run_id)
        tools = _Stages(settings, warehouse, lake, http, alerter, ledger, clock)
        with (
            display(progress),
            task("backfill: stages (scrape, ingest per date; build)", len(days) * 2 + 1) as advance,
        ):
            for day in days:
                for stage in ("scrape", "ingest"):
                    if day in report.failed:
                        advance(f"{day} {stage} (date failed)")
                        continue
                    if store.is_done(day, stage):
                        report.skipped.append((day, stage))
                        advance(f"{day} {stage} (done before)")
                        continue
                    try:
                        rows = tools.stage(stage, day, report)
                    except NbaPropsError as exc:
                        report.failed[day] = f"{stage}: {exc}"
                        log.warning(
                            "backfill.date_failed", game_date=day.isoformat(), stage=stage, error=str(exc)
                        )
                        advance(f"{day} {stage} failed")
                        continue
                    store.mark([day], stage, rows)
                    report.ran.append((day, stage))
                    advance(f"{day} {stage}")
            tools.build(days, report, store, advance)
        run.rows_out = len(report.ran)
        run.details |= report.to_dict()
        if report.failed:
            raise QualityGateError(
                f"backfill left {len(report.failed)} date(s) unfinished (re-run to resume): "
                + "; ".join(f"{d}: {why}" for d, why in list(report.failed.items())[:5])
            )
    return report


@dataclass(frozen=True)
class _Stages:
    """What every stage of a backfill works with."""

    settings: Settings
    warehouse: Warehouse
    lake: Lake
    http: HttpClient
    alerter: Alerter
    ledger: RunLedger
    clock: Callable[[], datetime]
    season_docs: dict[str, Fetched] = field(default_factory=dict)  # fetched once per run, not per date

    def stage(self, stage: str, day: date, report: BackfillReport) -> int:
        """One stage of one date; returns its rows, raises when what was due did not come."""
        from nbaprops.raw import ingest
        from nbaprops.sources import daily

        if stage == "ingest":
            loaded = ingest.ingest_date(
                self.settings, day, warehouse=self.warehouse, lake=self.lake, alerter=self.alerter
            )
            return loaded.rows_written
        began = time.perf_counter()
        scraped = daily.scrape_source(
            self.settings,
            "all",
            day,
            http=self.http,
            lake=self.lake,
            ledger=self.ledger,
            alerter=self.alerter,
            warehouse=self.warehouse,
            now=self.clock(),
            use="history",
            season_docs=self.season_docs,
        )
        report.seconds[day] = time.perf_counter() - began
        report.credits[day] = scraped.credits_spent
        if scraped.degraded:
            report.degraded[day] = sorted({s.fact or s.step for s in scraped.degraded})
        if scraped.problems:
            raise QualityGateError(
                f"scrape {day}: " + "; ".join(f"{p.step}: {p.error}" for p in scraped.problems)
            )
        return sum(s.rows for s in scraped.steps)

    def build(
        self, days: list[date], report: BackfillReport, store: ProgressStore, advance: Callable[[str], None]
    ) -> None:
        """Build the range once every date is in; a date the gate blocks is forgotten, to be fetched again."""
        from nbaprops.pipeline.build import build_range
        from nbaprops.pipeline.completeness import check_completeness

        if report.failed:
            advance("build (waits for failed dates)")
            return
        if all(store.is_done(d, "build") for d in days):
            report.skipped.extend((d, "build") for d in days)
            advance("build (done before)")
            return
        now = self.clock()
        try:
            built = build_range(
                self.warehouse,
                days[0],
                days[-1],
                alerter=self.alerter,
                ledger=self.ledger,
                settings=self.settings,
                now=now,
            )
        except QualityGateError as exc:
            blocked = check_completeness(self.warehouse, days[0], days[-1], now=now).dates("blocked")
            store.forget(blocked)
            for day in blocked or days:
                report.failed[day] = f"build: {exc}"
            advance("build blocked")
            return
        store.mark(days, "build", sum(s.rows_out for s in built.steps))
        report.ran.extend((d, "build") for d in days)
        advance("build")


def sandbox_clock_start(end: date) -> datetime:
    """Where ``--sandbox`` sets the league's clock: the morning after the range, every game final."""
    return et_datetime(end + timedelta(days=1), 6, 0)


def run_backfill(
    settings: Settings,
    start: date,
    end: date,
    *,
    sandbox: bool = False,
    progress: bool | None = None,
) -> BackfillReport:
    """Backfill from the settings' base URLs, or from the built-in sandbox (``sandbox``)."""
    from nbaprops.http import HttpClient
    from nbaprops.lake import open_lake
    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.sandbox_session import sandbox_session
    from nbaprops.warehouse import create_schema, open_warehouse

    check_date_range(start, end)
    show = on_terminal() if progress is None else progress
    warehouse = open_warehouse(settings)
    try:
        create_schema(warehouse)
        alerter = Alerter(warehouse)
        lake = open_lake(settings)
        with ExitStack() as stack:
            clock: Callable[[], datetime] = now_utc
            if sandbox:
                session = stack.enter_context(
                    sandbox_session(settings, now=sandbox_clock_start(end), day=end)
                )
                settings, clock = session.settings, session.clock.now
            http = stack.enter_context(HttpClient.from_settings(settings))
            return backfill_range(
                settings,
                start,
                end,
                warehouse=warehouse,
                lake=lake,
                http=http,
                alerter=alerter,
                clock=clock,
                progress=show,
            )
    finally:
        warehouse.close()


def backfill(
    start: Annotated[str, typer.Option("--from", help="First game date (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last game date (YYYY-MM-DD), inclusive.")],
    sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox",
            help="Start the built-in sandbox league on loopback and backfill from it instead of the "
            "base URLs in the settings.",
        ),
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
) -> None:
    """Scrape -> ingest every date of a range, then build it; re-run after a crash to resume."""
    import json

    from nbaprops.dates import parse_date_range
    from nbaprops.logs import configure_logging
    from nbaprops.settings import load_settings

    first, last = parse_date_range(start, end)
    settings = load_settings()
    configure_logging(settings)
    try:
        report = run_backfill(settings, first, last, sandbox=sandbox, progress=on_terminal(json_out))
    except KeyboardInterrupt:
        typer.echo("nbaprops: backfill interrupted; finished stages are kept, re-run to resume", err=True)
        raise SystemExit(130) from None
    if json_out:
        typer.echo(json.dumps(report.to_dict(), sort_keys=True))
    else:
        degraded = f", {len(report.degraded)} date(s) degraded" if report.degraded else ""
        typer.echo(
            f"backfill {first}..{last}: {len(report.ran)} stage(s) run, {len(report.skipped)} already done"
            f"{degraded}; odds credits {sum(report.credits.values())} {report.credits_by_season()}"
        )
