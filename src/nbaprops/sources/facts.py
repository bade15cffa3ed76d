"""What a game date's scrape must deliver, and how each source serves each fact of it.

A *fact* is what the pipeline needs whichever source provides it: the ``schedule`` of a date, its
player ``box_scores``, the ``injuries`` known before tip, the ``props`` lines, and so on.
``FACT_NEEDS`` is the one table that says, per fact and per use (the live daily scrape, or a
history backfill of past dates), whether a date without it is failed (``required``) or goes on
``degraded`` (``optional``): docs/sources.md mirrors it.

Each (fact, source) pair of the fallback facts is one collector: it fetches through the ``Fetcher``
(so the exact bytes are in the lake before anything is judged), parses with the payload's own
parser, and applies the empty-but-200 rule: zero rows on a date the schedule says has (finished)
games is a ``QualityGateError``, never a success.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from nbaprops.errors import QualityGateError, SchemaDrift
from nbaprops.sources import balldontlie, espn, injury_report, nbacom

if TYPE_CHECKING:
    from nbaprops.sources.base import Fetched, Fetcher

Fact = Literal["schedule", "box_scores", "injuries"]
FACTS: tuple[Fact, ...] = ("schedule", "box_scores", "injuries")
"""The facts with several sources, tried in the order of ``Settings.source_order``."""

DayFact = Literal[
    "schedule", "box_scores", "injuries", "player_index", "play_by_play", "scoreboard", "game_lines", "props"
]
Use = Literal["live", "history"]
"""``live``: today's and yesterday's dates, scraped as they happen; ``history``: a backfill of past dates."""
Need = Literal["required", "optional"]


@dataclass(frozen=True, slots=True)
class FactNeed:
    """Whether a date without this fact fails (``required``) or goes on ``degraded``, per use."""

    live: Need
    history: Need
    why: str

    def of(self, use: Use) -> Need:
        """The need for ``use``."""
        return self.live if use == "live" else self.history


FACT_NEEDS: dict[DayFact, FactNeed] = {
    "schedule": FactNeed("required", "required", "every other fact is checked against the games it lists"),
    "box_scores": FactNeed("required", "required", "the points to predict and grade; every rolling feature"),
    "injuries": FactNeed(
        "required",
        "optional",
        "live: the prediction's availability check; history: old PDFs are often gone and Ball Don't "
        "Lie serves only the notes in force now",
    ),
    "player_index": FactNeed(
        "optional", "optional", "rosters before a player's first game; box scores name players too"
    ),
    "play_by_play": FactNeed(
        "optional", "optional", "shot-zone features only; real servers lack it for some games"
    ),
    "scoreboard": FactNeed("optional", "optional", "line scores and the cross-check of the schedule"),
    "game_lines": FactNeed("optional", "optional", "spreads and totals are context features"),
    "props": FactNeed(
        "required",
        "optional",
        "live: nothing to recommend without a line; history: a backtest counts games without lines "
        "as NO_LINE, loudly",
    ),
}


def need(fact: DayFact, use: Use) -> Need:
    """Whether ``fact`` is required or optional for ``use`` (the one place that says so)."""
    return FACT_NEEDS[fact].of(use)


@dataclass(frozen=True, slots=True)
class ScheduledGame:
    """One game of the date as the schedule source describes it."""

    home: str
    away: str
    tip_utc: datetime | None
    final: bool
    game_id: str | None = None  # NBA.com's id, when the schedule came from NBA.com


@dataclass(frozen=True)
class DaySchedule:
    """The games of one ET game date and the source that said so."""

    day: date
    source: str
    games: tuple[ScheduledGame, ...]

    @property
    def finished(self) -> int:
        """Games already final (box scores are due for these)."""
        return sum(1 for g in self.games if g.final)

    def upcoming(self, now: datetime) -> list[ScheduledGame]:
        """Games not yet tipped at ``now``."""
        return [g for g in self.games if g.tip_utc is None or g.tip_utc > now]


@dataclass
class Collected:
    """What one collector stored and found."""

    fetched: list[Fetched]
    rows: int
    schedule: DaySchedule | None = None
    details: dict[str, Any] = field(default_factory=dict)
    due: tuple[str, int | None] | None = None  # (what, games due): checked once the step is recorded
    partial: str | None = None  # how the answer falls short of what was due (fails the step, bytes kept)
    shortfall: str | None = None  # a gap expected at this hour: the step is degraded, never failed


@dataclass(frozen=True)
class FactInput:
    """Everything a collector needs: where to fetch, which date, what time it is, what is scheduled."""

    fetcher: Fetcher
    day: date
    now: datetime
    schedule: DaySchedule | None


Collector = Callable[[FactInput], Collected]


def nothing() -> Collected:
    """The action of a skipped step: it never runs."""
    return Collected([], 0)


def parsed_rows(fetched: Fetched) -> list[dict[str, Any]]:
    """The payload's rows by its own parser (typed errors on damaged bytes)."""
    return parse_payload(fetched.endpoint.kind, fetched.response.content)


def parse_payload(kind: str, content: bytes) -> list[dict[str, Any]]:
    """Rows of stored or fetched bytes by the parser of ``kind``."""
    from nbaprops.raw.registry import parse_bytes

    return parse_bytes(kind, content)


def require_rows(what: str, rows: int, day: date, due: int | None, schedule: DaySchedule | None) -> None:
    """The empty-but-200 rule: rows were due (``due`` games per ``schedule``) and none came."""
    if rows:
        return
    if due is None:
        raise QualityGateError(
            f"{what}: 0 rows for {day}, and no schedule is known to say whether that is right"
        )
    if due > 0:
        said = schedule.source if schedule is not None else "the schedule"
        raise QualityGateError(
            f"{what}: answered 200 with 0 rows for {day}, a date {said} says has {due} game(s)"
        )


def partial(what: str, empty: list[str], due: int, unit: str) -> str | None:
    """``what: k of n <unit> came back without rows (ids)``, or None when every one had rows.

    A payload per game or per event that is empty while the others are full is not a success:
    the step is degraded (optional fact) or failed (required one), never counted as complete.
    """
    if not empty:
        return None
    shown = ", ".join(empty[:5]) + (", …" if len(empty) > 5 else "")
    return f"{what}: {len(empty)} of {due} {unit} came back without rows ({shown})"


def _tip(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- schedule ------------------------------------------------------------------------------------


def schedule_nbacom(given: FactInput) -> Collected:
    """The season schedule document, reduced to the date's games."""
    fetched = nbacom.fetch_schedule(given.fetcher)
    rows = parsed_rows(fetched)
    if not rows:
        raise QualityGateError("nbacom/schedule: the season schedule holds no games at all")
    games = tuple(
        ScheduledGame(
            r["home_team"], r["away_team"], _tip(r.get("tip_utc")), r.get("status") == 3, r["game_id"]
        )
        for r in rows
        if r.get("game_date") == given.day.isoformat() and r.get("season_type") != "preseason"
    )
    schedule = DaySchedule(given.day, "nbacom", games)
    return Collected([fetched], len(games), schedule, {"season_games": len(rows)})


def schedule_bdl(given: FactInput) -> Collected:
    """Ball Don't Lie's games of the date (all pages)."""
    pages = balldontlie.fetch_games(given.fetcher, given.day)
    games: list[ScheduledGame] = []
    for page in pages:
        try:
            data = json.loads(page.response.content)["data"]
            for g in data:
                if g["date"][:10] != given.day.isoformat():
                    continue
                games.append(
                    ScheduledGame(
                        g["home_team"]["abbreviation"],
                        g["visitor_team"]["abbreviation"],
                        _tip(g.get("datetime")),
                        g["status"] == "Final",  # a renamed status must not read as "not finished"
                    )
                )
        except (ValueError, KeyError, TypeError) as exc:
            raise SchemaDrift(f"bdl/games: unexpected payload shape ({type(exc).__name__}: {exc})") from None
    schedule = DaySchedule(given.day, "bdl", tuple(games))
    return Collected(pages, len(games), schedule)


def schedule_espn(given: FactInput) -> Collected:
    """ESPN's scoreboard of the date (event times are UTC; the parser gives the ET game date)."""
    fetched = espn.fetch_scoreboard(given.fetcher, given.day)
    games = tuple(
        ScheduledGame(r["home_team"], r["away_team"], _tip(r.get("tip_utc")), bool(r.get("completed")))
        for r in parsed_rows(fetched)
        if r.get("game_date") == given.day.isoformat()
    )
    return Collected([fetched], len(games), DaySchedule(given.day, "espn", games))


# --- box scores ----------------------------------------------------------------------------------


def _due(given: FactInput) -> int | None:
    return given.schedule.finished if given.schedule is not None else None


def box_scores_nbacom(given: FactInput) -> Collected:
    """``leaguegamelog`` player rows of the date (players who did not play are absent)."""
    fetched = nbacom.fetch_gamelog(given.fetcher, given.day)
    rows = len(parsed_rows(fetched))
    return Collected([fetched], rows, due=("nbacom/leaguegamelog", _due(given)))


def box_scores_bdl(given: FactInput) -> Collected:
    """Ball Don't Lie box scores of the date (players who did not play are present with 0 minutes)."""
    fetched = balldontlie.fetch_box_scores(given.fetcher, given.day)
    rows = len(parsed_rows(fetched))
    return Collected([fetched], rows, due=("bdl/box_scores", _due(given)))


# --- injuries ------------------------------------------------------------------------------------


def _games_due(given: FactInput) -> int | None:
    return len(given.schedule.games) if given.schedule is not None else None


def injuries_nbacom(given: FactInput) -> Collected:
    """The newest official report of the date a prediction could read: by ``now`` and by its as-of."""
    target = min(given.now, given.fetcher.settings.prediction_as_of(given.day))
    fetched = injury_report.fetch_latest_report(given.fetcher, given.day, target)
    rows = len(parsed_rows(fetched))
    report = fetched.response.url_redacted.rsplit("/", 1)[-1]
    return Collected(
        [fetched], rows, details={"report": report}, due=("nbacom/injury_report", _games_due(given))
    )


def injuries_bdl(given: FactInput) -> Collected:
    """Ball Don't Lie's league-wide injury notes as of now (every page)."""
    pages = balldontlie.fetch_injuries(given.fetcher, given.day)
    rows = sum(len(parsed_rows(p)) for p in pages)
    return Collected(pages, rows, due=("bdl/player_injuries", _games_due(given)))


COLLECTORS: dict[Fact, dict[str, Collector]] = {
    "schedule": {"nbacom": schedule_nbacom, "bdl": schedule_bdl, "espn": schedule_espn},
    "box_scores": {"nbacom": box_scores_nbacom, "bdl": box_scores_bdl},
    "injuries": {"nbacom": injuries_nbacom, "bdl": injuries_bdl},
}
# The lake endpoint each collector stores under, for ledger step names.
ENDPOINT_NAMES: dict[tuple[Fact, str], str] = {
    ("schedule", "nbacom"): "nbacom.schedule",
    ("schedule", "bdl"): "bdl.games",
    ("schedule", "espn"): "espn.scoreboard",
    ("box_scores", "nbacom"): "nbacom.leaguegamelog",
    ("box_scores", "bdl"): "bdl.box_scores",
    ("injuries", "nbacom"): "nbacom.injury_report",
    ("injuries", "bdl"): "bdl.player_injuries",
}
