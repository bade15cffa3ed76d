"""The scrape of one game date: which endpoints each source is asked for, and the fallbacks between them.

``scrape_source(settings, "all", day, ...)`` resolves the date's schedule, then its box scores and
injuries, each through ``scrape_fact_with_fallback`` (the sources of ``settings.source_order(fact)``,
best first), then the odds (current lines for games still to tip, a pre-tip historical snapshot for
games already played), ESPN's scoreboard as a cross-check, and NBA.com's scoreboard and
play-by-play. A single source name runs that source's endpoints only, with no fallback.

Every step is one ``run_ledger`` row. A fact served by a lesser source records which one served it
(``fact_sources`` and the ledger details), raises a ``source_fallback`` alert and carries on; the
failed preferred source stays recorded as failed. Nothing here stops the day on one source's fault.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

import structlog

from nbaprops.dates import now_utc, season_of
from nbaprops.errors import (
    ConfigError,
    NbaPropsError,
    PayloadError,
    QualityGateError,
    SourceError,
    SourceUnavailable,
)
from nbaprops.secrets import scrub
from nbaprops.sources import espn, nbacom
from nbaprops.sources.facts import (
    COLLECTORS,
    ENDPOINT_NAMES,
    FACTS,
    Collected,
    DayFact,
    DaySchedule,
    Fact,
    FactInput,
    Use,
    need,
    nothing,
    partial,
)
from nbaprops.sources.odds_day import scrape_odds

if TYPE_CHECKING:
    from nbaprops.http import HttpClient
    from nbaprops.lake import Lake
    from nbaprops.ops.alerts import Alerter
    from nbaprops.settings import Settings
    from nbaprops.sources.base import Fetched
    from nbaprops.sources.oddsapi import OddsScraper
    from nbaprops.warehouse.ledger import RunLedger, StepRun
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

SOURCES = ("nbacom", "injury_report", "bdl", "oddsapi", "espn", "all")
PARTS = ("box_scores", "injuries", "scoreboard", "play_by_play", "player_index", "espn", "odds")
"""The parts of an ``all`` scrape after the schedule (which is always resolved first); ``parts=``
names a subset (a pre-game refresh: injuries and odds, and box scores of games already over)."""
StepStatus = Literal["success", "degraded", "failed", "skipped"]


@dataclass(frozen=True)
class StepOutcome:
    """One ledger step as the report shows it."""

    step: str
    game_date: date | None
    status: StepStatus
    rows: int = 0
    lake_paths: tuple[str, ...] = ()
    error: str | None = None
    rescued_by: str | None = None  # the source that served the fact this failed step was for
    fact: DayFact | None = None  # the fact this step was for (FACT_NEEDS says whether it is required)


@dataclass(frozen=True)
class FactServed:
    """One ``fact_sources`` row: how one source fared for one fact of one date."""

    game_date: date
    fact: str
    source: str
    status: Literal["served", "failed", "skipped", "degraded"]
    reason: str | None
    recorded_at: datetime


@dataclass
class ScrapeReport:
    """What one ``scrape_source`` call did."""

    source: str
    day: date
    use: Use = "live"
    steps: list[StepOutcome] = field(default_factory=list)
    coverage: list[FactServed] = field(default_factory=list)
    credits_spent: int = 0

    @property
    def problems(self) -> list[StepOutcome]:
        """Failed steps of required facts that no fallback made good: the date failed."""
        return [s for s in self.steps if s.status == "failed" and s.rescued_by is None]

    @property
    def degraded(self) -> list[StepOutcome]:
        """Steps of optional facts that came back without them (no other source served the fact)."""
        return [s for s in self.steps if s.status == "degraded" and s.rescued_by is None]

    def served_by(self, fact: str) -> str | None:
        """The source that served ``fact``, if any did."""
        return next((c.source for c in self.coverage if c.fact == fact and c.status == "served"), None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "source": self.source,
            "game_date": self.day.isoformat(),
            "use": self.use,
            "credits_spent": self.credits_spent,
            "steps": [asdict(s) | {"game_date": str(s.game_date or "")} for s in self.steps],
            "coverage": [
                {"fact": c.fact, "source": c.source, "status": c.status, "reason": c.reason}
                for c in self.coverage
            ],
            "problems": len(self.problems),
            "degraded": [{"step": s.step, "fact": s.fact, "reason": s.error} for s in self.degraded],
        }


def failure_reason(exc: BaseException) -> str:
    """A short class of failure, then the message: ``blocked: …``, ``empty: …``, ``down: …``."""
    text = str(exc)
    if isinstance(exc, SourceUnavailable):
        kind = "blocked" if "blocked/hung" in text else "down"
    elif isinstance(exc, SourceError) and exc.status_code in (403, 404):
        kind = "not_served"
    elif isinstance(exc, QualityGateError):
        kind = "empty"
    elif isinstance(exc, ConfigError):
        kind = "not_configured"
    else:
        kind = {"ReportNotFound": "not_found", "CircuitOpen": "down"}.get(type(exc).__name__, "failed")
    return f"{kind}: {text}"


class DayScrape:
    """The shared state of one date's scrape: clients, ledger, alerts, the schedule once known."""

    def __init__(
        self,
        settings: Settings,
        day: date,
        *,
        http: HttpClient,
        lake: Lake,
        ledger: RunLedger,
        alerter: Alerter,
        warehouse: Warehouse | None = None,
        now: datetime | None = None,
        use: Use = "live",
        season_docs: dict[str, Fetched] | None = None,
    ) -> None:
        from nbaprops.sources.base import Fetcher

        self.settings = settings
        self.day = day
        self.use = use
        self.now = now or now_utc()
        self.fetcher = Fetcher(
            settings,
            http,
            lake,
            clock=(lambda: now) if now is not None else now_utc,
            season_docs=season_docs,
        )
        self.ledger = ledger
        self.alerter = alerter
        self.warehouse = warehouse if warehouse is not None else alerter.warehouse
        self.schedule: DaySchedule | None = None
        self._odds: OddsScraper | None = None

    @property
    def odds(self) -> OddsScraper:
        """One credit meter for the whole run."""
        from nbaprops.sources.oddsapi import OddsScraper

        if self._odds is None:
            self._odds = OddsScraper(self.fetcher, self.settings)
        return self._odds

    @property
    def credits_spent(self) -> int:
        """Odds API credits this scrape has spent (0 when it made no Odds API call)."""
        return self._odds.meter.spent if self._odds is not None else 0

    def given(self) -> FactInput:
        """The collectors' view of this scrape."""
        return FactInput(self.fetcher, self.day, self.now, self.schedule)

    def step(
        self,
        report: ScrapeReport,
        name: str,
        action: Callable[[], Collected],
        *,
        fact: DayFact,
        game_date: date | None,
        details: dict[str, Any] | None = None,
        skip: str | None = None,
    ) -> tuple[Collected | None, NbaPropsError | None]:
        """Run ``action`` as the ledger step ``scrape.<name>``; failures are recorded, not raised.

        An untyped exception of the action (a parser's ``ValueError``, a decoder's ``EOFError``)
        becomes a ``PayloadError`` of this step: one fetch's failure, never the whole scrape's.

        A failure of a fact that ``FACT_NEEDS`` calls optional for this scrape's use is recorded
        as ``degraded`` (ledger, report, one warning line) and the date goes on; of a required
        one, as ``failed``.
        """
        collected: Collected | None = None
        optional = need(fact, self.use) == "optional"
        degraded: NbaPropsError | None = None
        try:
            with self.ledger.step(f"scrape.{name}", game_date=game_date, details=details) as run:
                if skip is not None:
                    run.skip(skip)
                else:
                    try:
                        collected = self._run(run, action)
                    except NbaPropsError as exc:
                        if not optional:
                            raise
                        degraded = exc
                        run.details["fact"] = fact
                        run.degrade(f"optional {fact} missing: {failure_reason(exc)}")
        except NbaPropsError as exc:
            report.steps.append(
                StepOutcome(name, game_date, "failed", error=f"{type(exc).__name__}: {exc}", fact=fact)
            )
            return None, exc
        if degraded is not None:
            error = f"{type(degraded).__name__}: {degraded}"
            report.steps.append(StepOutcome(name, game_date, "degraded", error=error, fact=fact))
            self._single_source(report, fact, name, "degraded", failure_reason(degraded))
            return None, degraded
        if collected is None:
            report.steps.append(StepOutcome(name, game_date, "skipped", error=skip, fact=fact))
            self._single_source(report, fact, name, "skipped", skip)
            return None, None
        paths = tuple(f.obj.path for f in collected.fetched)
        if collected.shortfall is not None:  # served, short of what will come later in the day
            report.steps.append(
                StepOutcome(
                    name, game_date, "degraded", collected.rows, paths, error=collected.shortfall, fact=fact
                )
            )
            self._single_source(report, fact, name, "degraded", collected.shortfall)
            return collected, None
        report.steps.append(StepOutcome(name, game_date, "success", collected.rows, paths, fact=fact))
        self._single_source(report, fact, name, "served", None)
        return collected, None

    def _single_source(
        self,
        report: ScrapeReport,
        fact: DayFact,
        step: str,
        status: Literal["served", "skipped", "degraded"],
        reason: str | None,
    ) -> None:
        """The ``fact_sources`` row of a fact with one source (fallback facts record their own)."""
        if fact in FACTS:
            return
        source = step.split(".", 1)[0]
        self.record_coverage(report, [FactServed(self.day, fact, source, status, reason, now_utc())])

    def _run(self, run: StepRun, action: Callable[[], Collected]) -> Collected:
        from nbaprops.sources.facts import require_rows

        try:
            collected = action()
        except NbaPropsError:
            raise
        except Exception as exc:
            # A parser or decoder that raised an untyped error (ValueError, EOFError, zlib.error…)
            # on what a source sent: that fetch failed, typed and recorded; the scrape goes on.
            log.warning("scrape.untyped_error", step=run.step, error_type=type(exc).__name__, exc_info=True)
            raise PayloadError(
                f"{run.step}: reading the answer raised {type(exc).__name__}: {str(exc)[:200]}"
            ) from exc
        run.rows_in = len(collected.fetched)
        run.rows_out = collected.rows
        run.details |= {"lake_paths": [f.obj.path for f in collected.fetched], **collected.details}
        if collected.due is not None:
            # After the ledger knows what was stored, so a failed gate still points at the bytes.
            require_rows(collected.due[0], collected.rows, self.day, collected.due[1], self.schedule)
        if collected.partial is not None:
            raise QualityGateError(collected.partial)
        if collected.shortfall is not None:
            run.details["fact_shortfall"] = collected.shortfall
            run.degrade(collected.shortfall)
        return collected

    def record_coverage(self, report: ScrapeReport, rows: list[FactServed]) -> None:
        """Keep the fact's coverage in the report and upsert it into ``fact_sources``."""
        report.coverage.extend(rows)
        if self.warehouse is None or not rows:
            return
        import pyarrow as pa

        table = pa.table(
            {
                "game_date": pa.array([r.game_date for r in rows], pa.date32()),
                "fact": [r.fact for r in rows],
                "source": [r.source for r in rows],
                "status": [r.status for r in rows],
                "reason": pa.array([r.reason and scrub(r.reason) for r in rows], pa.string()),
                "recorded_at": pa.array([r.recorded_at for r in rows], pa.timestamp("us", tz="UTC")),
            }
        )
        self.warehouse.merge_arrow("fact_sources", table)


def scrape_fact_with_fallback(
    fact: Fact, scrape: DayScrape, report: ScrapeReport, *, sources: list[str] | None = None
) -> Collected | None:
    """Serve ``fact`` from the first source of ``settings.source_order(fact)`` that delivers.

    A preferred source that is down, blocked, empty or missing is recorded as failed (ledger and
    ``fact_sources``) with its reason; the next one is tried. When a lesser source serves, a
    ``source_fallback`` alert names both; when none does, a ``source_exhausted`` alert is raised
    and ``None`` returned so the rest of the day still runs.
    """
    order = sources if sources is not None else scrape.settings.source_order(fact)
    tried: list[dict[str, str]] = []
    coverage: list[FactServed] = []
    failed_steps: list[int] = []
    for source in order:
        collector = COLLECTORS[fact].get(source)
        if collector is None:
            reason = f"skipped: {source} has no {fact} feed"
            coverage.append(FactServed(scrape.day, fact, source, "skipped", reason, now_utc()))
            continue
        details = {
            "fact": fact,
            "source": source,
            "source_coverage": {"fact": fact, "tried_before": list(tried)},
        }
        action = functools.partial(collector, scrape.given())
        preferred = scrape.settings.source_order(fact)[0]
        if fact == "schedule" and source != preferred:
            action = functools.partial(_confirmed, action, preferred)
        collected, error = scrape.step(
            report,
            ENDPOINT_NAMES[(fact, source)],
            action,
            fact=fact,
            game_date=scrape.day,
            details=details,
        )
        if collected is None:
            reason = failure_reason(error) if error is not None else "skipped"
            tried.append({"source": source, "reason": reason})
            coverage.append(FactServed(scrape.day, fact, source, "failed", reason, now_utc()))
            failed_steps.append(len(report.steps) - 1)
            continue
        served_reason = f"fallback after {', '.join(t['source'] for t in tried)}" if tried else None
        coverage.append(FactServed(scrape.day, fact, source, "served", served_reason, now_utc()))
        for index in failed_steps:
            report.steps[index] = _rescued(report.steps[index], source)
        scrape.record_coverage(report, coverage)
        if tried:
            scrape.alerter.raise_alert(
                "source_fallback",
                f"{fact} for {scrape.day} served by {source} because "
                + "; ".join(f"{t['source']} {t['reason']}" for t in tried),
                fact=fact,
                game_date=scrape.day.isoformat(),
                served_by=source,
                failed=[t["source"] for t in tried],
            )
        return collected
    optional = need(fact, scrape.use) == "optional"
    if optional:
        coverage = [replace(c, status="degraded") if c.status == "failed" else c for c in coverage]
    scrape.record_coverage(report, coverage)
    scrape.alerter.raise_alert(
        "source_exhausted",
        f"no source served {fact} for {scrape.day}"
        + (f" (optional for {scrape.use}: the date goes on degraded): " if optional else ": ")
        + "; ".join(f"{t['source']} {t['reason']}" for t in tried),
        severity="warning" if optional else "error",
        fact=fact,
        game_date=scrape.day.isoformat(),
        failed=[t["source"] for t in tried],
    )
    return None


def _confirmed(action: Callable[[], Collected], preferred: str) -> Collected:
    """A fallback schedule that lists no games is never read as "no games".

    Its empty answer is as likely a fault (an emptied page, a renamed field) as an off day, and
    only the preferred source may say a date has none; the next source is tried, and when none
    lists games the schedule is missing (a failed date), not empty.
    """
    collected = action()
    schedule = collected.schedule
    if schedule is not None and not schedule.games:
        collected.partial = (
            f"{schedule.source} lists no games on {schedule.day}, and {preferred}, the preferred "
            "schedule source, could not confirm that"
        )
    return collected


def _rescued(outcome: StepOutcome, source: str) -> StepOutcome:
    return replace(outcome, rescued_by=source)


# --- the per-source plans ------------------------------------------------------------------------


def _resolve_schedule(scrape: DayScrape, report: ScrapeReport, only: str | None) -> None:
    collected = scrape_fact_with_fallback(
        "schedule", scrape, report, sources=[only] if only in COLLECTORS["schedule"] else None
    )
    scrape.schedule = collected.schedule if collected is not None else None


def _no_games(scrape: DayScrape) -> str | None:
    if scrape.schedule is not None and not scrape.schedule.games:
        return f"no games on {scrape.day} per {scrape.schedule.source}"
    return None


def _fact(scrape: DayScrape, report: ScrapeReport, fact: Fact, sources: list[str] | None) -> None:
    skip = _no_games(scrape)
    if fact == "box_scores" and skip is None and scrape.schedule is not None and not scrape.schedule.finished:
        skip = f"no finished games on {scrape.day} yet"
    if skip is not None:
        for source in sources or scrape.settings.source_order(fact):
            if source in COLLECTORS[fact]:
                scrape.step(
                    report,
                    ENDPOINT_NAMES[(fact, source)],
                    nothing,
                    fact=fact,
                    game_date=scrape.day,
                    skip=skip,
                )
        return
    scrape_fact_with_fallback(fact, scrape, report, sources=sources)


def _scoreboard(scrape: DayScrape, report: ScrapeReport) -> None:
    from nbaprops.sources.facts import parsed_rows

    def action() -> Collected:
        fetched = nbacom.fetch_scoreboard(scrape.fetcher, scrape.day)
        rows = len(parsed_rows(fetched))
        due = len(scrape.schedule.games) if scrape.schedule is not None else None
        return Collected([fetched], rows, due=("nbacom/scoreboardv2", due))

    scrape.step(
        report, "nbacom.scoreboardv2", action, fact="scoreboard", game_date=scrape.day, skip=_no_games(scrape)
    )


def _play_by_play(scrape: DayScrape, report: ScrapeReport) -> None:
    from nbaprops.sources.facts import parsed_rows

    ids = [g.game_id for g in scrape.schedule.games if g.final and g.game_id] if scrape.schedule else []
    skip = None if ids else f"no finished NBA.com game ids for {scrape.day}"

    def action() -> Collected:
        fetched = nbacom.fetch_play_by_play(scrape.fetcher, scrape.day, ids)
        per_game = [len(parsed_rows(f)) for f in fetched]
        empty = [game_id for game_id, rows in zip(ids, per_game, strict=True) if not rows]
        return Collected(
            fetched, sum(per_game), partial=partial("nbacom/playbyplay", empty, len(ids), "games")
        )

    scrape.step(report, "nbacom.playbyplay", action, fact="play_by_play", game_date=scrape.day, skip=skip)


def _player_index(scrape: DayScrape, report: ScrapeReport) -> None:
    from nbaprops.sources.facts import parsed_rows

    def action() -> Collected:
        fetched = nbacom.fetch_player_index(scrape.fetcher, season_of(scrape.day))
        rows = len(parsed_rows(fetched))
        if not rows:
            raise QualityGateError("nbacom/playerindex: answered 200 with no players")
        return Collected([fetched], rows)

    scrape.step(report, "nbacom.playerindex", action, fact="player_index", game_date=None)


def _espn_cross_check(scrape: DayScrape, report: ScrapeReport) -> None:
    from nbaprops.sources.facts import parsed_rows

    def action() -> Collected:
        fetched = espn.fetch_scoreboard(scrape.fetcher, scrape.day)
        rows = [r for r in parsed_rows(fetched) if r.get("game_date") == scrape.day.isoformat()]
        schedule = scrape.schedule
        due = len(schedule.games) if schedule else None
        if rows and schedule is not None and len(rows) != len(schedule.games):
            scrape.alerter.raise_alert(
                "source_mismatch",
                f"espn lists {len(rows)} games on {scrape.day}; "
                f"{schedule.source} lists {len(schedule.games)}",
                game_date=scrape.day.isoformat(),
            )
        return Collected([fetched], len(rows), due=("espn/scoreboard", due))

    scrape.step(
        report, "espn.scoreboard", action, fact="scoreboard", game_date=scrape.day, skip=_no_games(scrape)
    )


def _bdl_rosters(scrape: DayScrape, report: ScrapeReport) -> None:
    from nbaprops.sources import balldontlie

    def players() -> Collected:
        pages = balldontlie.fetch_active_players(scrape.fetcher)
        return Collected(pages, sum(_data_len(p.response.content) for p in pages))

    def teams() -> Collected:
        fetched = balldontlie.fetch_teams(scrape.fetcher)
        return Collected([fetched], _data_len(fetched.response.content))

    scrape.step(report, "bdl.players_active", players, fact="player_index", game_date=None)
    scrape.step(report, "bdl.teams", teams, fact="player_index", game_date=None)


def _data_len(content: bytes) -> int:
    """Rows in a BDL list answer; a body that is not JSON, or is the API's error, is a PayloadError."""
    import json

    from nbaprops.raw.registry import refuse_api_error

    try:
        document = json.loads(content)
    except (ValueError, RecursionError):
        raise PayloadError(f"bdl: answer is not JSON ({len(content)} bytes)") from None
    refuse_api_error(document, "bdl")
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, list) or not data:
        raise QualityGateError("bdl: answered 200 with an empty data list")
    return len(data)


def _odds(scrape: DayScrape, report: ScrapeReport) -> None:
    scrape_odds(scrape, report, skip=_no_games(scrape))


def scrape_source(
    settings: Settings,
    source: str,
    day: date,
    *,
    http: HttpClient,
    lake: Lake,
    ledger: RunLedger,
    alerter: Alerter,
    warehouse: Warehouse | None = None,
    now: datetime | None = None,
    use: Use = "live",
    season_docs: dict[str, Fetched] | None = None,
    parts: tuple[str, ...] | None = None,
) -> ScrapeReport:
    """Scrape ``source`` (or ``all``) for the ET game date ``day``; every step in the ledger.

    ``parts`` (with ``all`` only) limits the scrape to those of ``PARTS``, after the schedule.

    ``warehouse`` receives the ``fact_sources`` rows (default: the alerter's); ``now`` is the
    moment the scrape happens (default: the wall clock), which decides finished vs upcoming games
    and which injury reports exist. ``use`` picks the column of ``FACT_NEEDS`` that says which
    facts the date cannot do without (``report.problems``) and which only degrade it.
    ``season_docs``, shared by the caller across dates, keeps the undated season-wide documents
    (schedule, player index) of one run so they are downloaded once, not once per date.
    """
    if source not in SOURCES:
        raise ConfigError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    if parts is not None and (source != "all" or not set(parts) <= set(PARTS)):
        raise ConfigError(f"scrape parts {parts!r}: only with source 'all', each one of {', '.join(PARTS)}")
    wanted = set(PARTS if parts is None else parts)
    scrape = DayScrape(
        settings,
        day,
        http=http,
        lake=lake,
        ledger=ledger,
        alerter=alerter,
        warehouse=warehouse,
        now=now,
        use=use,
        season_docs=season_docs,
    )
    report = ScrapeReport(source, day, use)
    log.info("scrape.started", source=source, game_date=day.isoformat(), use=use)
    single = None if source == "all" else ("nbacom" if source == "injury_report" else source)
    _resolve_schedule(scrape, report, single if source in ("nbacom", "bdl", "espn") else None)
    fact_sources = None if single is None else [single]
    if source in ("all", "nbacom", "bdl") and "box_scores" in wanted:
        _fact(scrape, report, "box_scores", fact_sources)
    if source in ("all", "injury_report", "bdl") and "injuries" in wanted:
        _fact(scrape, report, "injuries", fact_sources)
    if source in ("all", "nbacom") and "scoreboard" in wanted:
        _scoreboard(scrape, report)
    if source in ("all", "nbacom") and "play_by_play" in wanted:
        _play_by_play(scrape, report)
    if source in ("all", "nbacom") and "player_index" in wanted:
        # Rosters: players who have not played yet are known to the registry before they appear.
        _player_index(scrape, report)
    if source == "bdl":
        _bdl_rosters(scrape, report)
    if (
        source in ("all", "espn")
        and "espn" in wanted
        and not (source == "espn" and scrape.schedule is not None)
    ):
        _espn_cross_check(scrape, report)
    if source in ("all", "oddsapi") and "odds" in wanted:
        _odds(scrape, report)
    report.credits_spent = scrape.credits_spent
    log.info(
        "scrape.finished",
        source=source,
        game_date=day.isoformat(),
        steps=len(report.steps),
        problems=len(report.problems),
        degraded=len(report.degraded),
        coverage={c.fact: c.source for c in report.coverage if c.status == "served"},
    )
    return report


__all__ = [
    "PARTS",
    "SOURCES",
    "DayScrape",
    "FactServed",
    "ScrapeReport",
    "StepOutcome",
    "failure_reason",
    "scrape_fact_with_fallback",
    "scrape_source",
]
