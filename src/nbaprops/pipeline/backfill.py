"""``nbaprops backfill --from A --to B``: scrape -> ingest every date, then one set-based build.

For each date of the range, in order: **scrape** (``sources.daily.scrape_source(..., "all", D)``
at each of the date's scrape moments) then **ingest** (``raw.ingest.ingest_date``); after the last
date, **build** (``pipeline.build.build_range`` over the whole range, one pass per table).

Resumable: each finished (date, stage) is a ``backfill_progress`` row, written only once the
stage succeeded, so a re-run after a crash or Ctrl-C (``KeyboardInterrupt``) skips finished work
and redoes only the rest. A stage runs again when an earlier stage of its date is not finished
(new payloads must be ingested again). A date whose scrape or ingest fails is reported and the
backfill moves on to the next date; the build then waits for a re-run that completes them.

Sources: the sandbox league by default — served on loopback, its clock moved to each scrape
moment so the date is scraped as it would have been live: 11:00 ET on the day (pre-tip injury
report and lines) and 06:00 ET the next morning (final box scores, play-by-play, the last pre-tip
odds snapshot). With ``use_settings_urls`` the settings' own base URLs are used (the real APIs or
any server that speaks them) and each date is scraped once, as of now.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import structlog
import typer

from nbaprops.dates import check_date_range, date_range, et_datetime, now_utc
from nbaprops.errors import NbaPropsError, QualityGateError
from nbaprops.warehouse.ledger import RunLedger

if TYPE_CHECKING:
    from nbaprops.http import HttpClient
    from nbaprops.lake import Lake
    from nbaprops.ops.alerts import Alerter
    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

STAGES = ("scrape", "ingest", "build")
STEP = "backfill"
Moments = Callable[[date], Sequence[datetime]]
"""The moments (aware UTC) at which a date is scraped."""


def sandbox_moments(day: date) -> list[datetime]:
    """The morning of the day (pre-tip facts) and the next morning (final box scores)."""
    return [et_datetime(day, 11, 0), et_datetime(day + timedelta(days=1), 6, 0)]


@dataclass
class BackfillReport:
    """What a backfill run did: stages run, stages skipped as already done, dates that failed."""

    start: date
    end: date
    ran: list[tuple[date, str]] = field(default_factory=list)
    skipped: list[tuple[date, str]] = field(default_factory=list)
    failed: dict[date, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "ran": len(self.ran),
            "skipped": len(self.skipped),
            "failed": {d.isoformat(): why for d, why in self.failed.items()},
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


@contextmanager
def _progress_bar(total: int, enabled: bool) -> Iterator[Callable[[str], None]]:
    """A rich progress bar on stderr when enabled; yields ``advance(description)``."""
    if not enabled:
        yield lambda _description: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=False,
    ) as bar:
        task = bar.add_task("backfill", total=total)

        def advance(description: str) -> None:
            bar.update(task, advance=1, description=description)

        yield advance


def backfill_range(
    settings: Settings,
    start: date,
    end: date,
    *,
    warehouse: Warehouse,
    lake: Lake,
    http: HttpClient,
    alerter: Alerter,
    moments: Moments,
    set_clock: Callable[[datetime], None] | None = None,
    progress: bool = False,
) -> BackfillReport:
    """Scrape and ingest each date of ``start``..``end`` not done yet, then build the range.

    ``moments(day)`` says when each date is scraped; ``set_clock`` (the sandbox's) is moved to
    each moment first. Raises ``QualityGateError`` naming the dates that failed (after doing
    everything else); ``KeyboardInterrupt`` stops at once, keeping what finished.
    """
    from nbaprops.pipeline.build import build_range
    from nbaprops.raw import ingest
    from nbaprops.sources import daily

    check_date_range(start, end)
    days = date_range(start, end)
    report = BackfillReport(start, end)
    ledger = RunLedger(warehouse)
    with ledger.step(STEP, details={"start": start.isoformat(), "end": end.isoformat()}) as run:
        store = ProgressStore(warehouse, start, end, run.run_id)
        last_moment = now_utc()
        with _progress_bar(len(days) * 2 + 1, progress) as advance:
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
                        if stage == "scrape":
                            rows = 0
                            for moment in moments(day):
                                if set_clock is not None:
                                    set_clock(moment)
                                last_moment = moment
                                scraped = daily.scrape_source(
                                    settings,
                                    "all",
                                    day,
                                    http=http,
                                    lake=lake,
                                    ledger=ledger,
                                    alerter=alerter,
                                    warehouse=warehouse,
                                    now=moment,
                                )
                                if scraped.problems:
                                    raise QualityGateError(
                                        f"scrape {day}: "
                                        + "; ".join(f"{p.step}: {p.error}" for p in scraped.problems)
                                    )
                                rows += sum(s.rows for s in scraped.steps)
                        else:
                            rows = ingest.ingest_date(
                                settings, day, warehouse=warehouse, lake=lake, alerter=alerter
                            ).rows_written
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
            if report.failed:
                advance("build (waits for failed dates)")
            elif all(store.is_done(d, "build") for d in days):
                report.skipped.extend((d, "build") for d in days)
                advance("build (done before)")
            else:
                built = build_range(
                    warehouse,
                    start,
                    end,
                    alerter=alerter,
                    ledger=ledger,
                    settings=settings,
                    now=max(last_moment, now_utc()) if set_clock is None else last_moment,
                )
                store.mark(days, "build", sum(s.rows_out for s in built.steps))
                report.ran.extend((d, "build") for d in days)
                advance("build")
        run.rows_out = len(report.ran)
        run.details |= report.to_dict()
        if report.failed:
            raise QualityGateError(
                f"backfill left {len(report.failed)} date(s) unfinished (re-run to resume): "
                + "; ".join(f"{d}: {why}" for d, why in list(report.failed.items())[:5])
            )
    return report


def run_backfill(
    settings: Settings,
    start: date,
    end: date,
    *,
    use_settings_urls: bool = False,
    progress: bool | None = None,
) -> BackfillReport:
    """Backfill against the sandbox (default) or the settings' base URLs; opens and closes everything."""
    from nbaprops.http import HttpClient
    from nbaprops.lake import open_lake
    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.sandbox_session import sandbox_session
    from nbaprops.warehouse import create_schema, open_warehouse

    show = sys.stderr.isatty() if progress is None else progress
    warehouse = open_warehouse(settings)
    try:
        create_schema(warehouse)
        alerter = Alerter(warehouse)
        lake = open_lake(settings)
        if use_settings_urls:
            with HttpClient.from_settings(settings) as http:
                return backfill_range(
                    settings,
                    start,
                    end,
                    warehouse=warehouse,
                    lake=lake,
                    http=http,
                    alerter=alerter,
                    moments=lambda _day: [now_utc()],
                    progress=show,
                )
        with (
            sandbox_session(settings, day=start) as session,
            HttpClient.from_settings(session.settings) as http,
        ):
            return backfill_range(
                session.settings,
                start,
                end,
                warehouse=warehouse,
                lake=lake,
                http=http,
                alerter=alerter,
                moments=sandbox_moments,
                set_clock=session.clock.set,
                progress=show,
            )
    finally:
        warehouse.close()


def backfill(
    start: Annotated[str, typer.Option("--from", help="First game date (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last game date (YYYY-MM-DD), inclusive.")],
    use_settings_urls: Annotated[
        bool,
        typer.Option(
            "--use-settings-urls",
            help="Scrape the base URLs in the settings (real APIs or a compatible server), not the sandbox.",
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
        report = run_backfill(settings, first, last, use_settings_urls=use_settings_urls)
    except KeyboardInterrupt:
        typer.echo("nbaprops: backfill interrupted; finished stages are kept, re-run to resume", err=True)
        raise SystemExit(130) from None
    if json_out:
        typer.echo(json.dumps(report.to_dict(), sort_keys=True))
    else:
        typer.echo(
            f"backfill {first}..{last}: {len(report.ran)} stage(s) run, {len(report.skipped)} already done"
        )
