"""The Odds API part of a date's scrape: pre-tip lines for every game, within the run's credit budget.

Games still to tip get the current event odds (the events list is free; each event's odds cost
markets x regions). Games already tipped get the historical route: one events snapshot (1 credit)
and each event's lines at a snapshot before its tip (ten times the live cost). The whole batch is
priced before the first call and refused with ``BudgetExceeded`` when it would pass the budget.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from nbaprops.sources.facts import Collected, nothing, parsed_rows

if TYPE_CHECKING:
    from nbaprops.sources.base import Fetched
    from nbaprops.sources.daily import DayScrape, ScrapeReport

PRE_TIP = timedelta(minutes=30)  # the historical snapshot taken for a played game: its lines before tip


def _tip(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def scrape_odds(scrape: DayScrape, report: ScrapeReport, *, skip: str | None) -> None:
    """Current odds for upcoming games and pre-tip historical odds for played ones."""
    if skip is not None:
        scrape.step(report, "oddsapi.events", nothing, game_date=scrape.day, skip=skip)
        return
    schedule = scrape.schedule
    upcoming = len(schedule.upcoming(scrape.now)) if schedule is not None else None
    tipped = len(schedule.games) - upcoming if schedule is not None and upcoming is not None else None
    if upcoming is None or upcoming:
        _current(scrape, report, upcoming)
    if tipped is None or tipped:
        _historical(scrape, report, tipped)


def _current(scrape: DayScrape, report: ScrapeReport, due: int | None) -> None:
    from nbaprops.sources.oddsapi import EVENT_ODDS

    event_ids: list[str] = []

    def events() -> Collected:
        fetched = scrape.odds.events(scrape.day)
        rows = [r for r in parsed_rows(fetched) if _tip(r["commence_time"]) > scrape.now]
        event_ids.extend(r["event_id"] for r in rows)
        return Collected([fetched], len(rows), due=("oddsapi/events", due))

    def odds() -> Collected:
        cost = scrape.odds.check_batch(EVENT_ODDS, len(event_ids))
        fetched = [scrape.odds.event_odds(scrape.day, eid) for eid in event_ids]
        return _lines(scrape, fetched, "oddsapi/event_odds", cost)

    listed, _ = scrape.step(report, "oddsapi.events", events, game_date=scrape.day)
    if listed is not None:
        scrape.step(report, "oddsapi.event_odds", odds, game_date=scrape.day)


def _historical(scrape: DayScrape, report: ScrapeReport, due: int | None) -> None:
    from nbaprops.dates import et_datetime
    from nbaprops.sources.oddsapi import HISTORICAL_EVENT_ODDS

    played: list[tuple[str, datetime]] = []

    def events() -> Collected:
        tips = [g.tip_utc for g in scrape.schedule.games if g.tip_utc] if scrape.schedule else []
        at = min(tips) - PRE_TIP if tips else et_datetime(scrape.day, 9, 0)
        fetched = scrape.odds.historical_events(scrape.day, at)
        rows = [
            r
            for r in parsed_rows(fetched)
            if r.get("game_date") == scrape.day.isoformat() and _tip(r["commence_time"]) <= scrape.now
        ]
        played.extend((r["event_id"], _tip(r["commence_time"])) for r in rows)
        details = {"snapshot_requested": at.isoformat()}
        return Collected([fetched], len(rows), details=details, due=("oddsapi/historical_events", due))

    def odds() -> Collected:
        cost = scrape.odds.check_batch(HISTORICAL_EVENT_ODDS, len(played))
        fetched = [scrape.odds.historical_event_odds(scrape.day, eid, tip - PRE_TIP) for eid, tip in played]
        return _lines(scrape, fetched, "oddsapi/historical_event_odds", cost)

    listed, _ = scrape.step(report, "oddsapi.historical_events", events, game_date=scrape.day)
    if listed is not None:
        scrape.step(report, "oddsapi.historical_event_odds", odds, game_date=scrape.day)


def _lines(scrape: DayScrape, fetched: list[Fetched], what: str, cost: int) -> Collected:
    rows = sum(len(parsed_rows(f)) for f in fetched)
    meter = scrape.odds.meter
    details = {
        "credits_planned": cost,
        "credits_spent_run": meter.spent,
        "credits_remaining": meter.remaining,
    }
    return Collected(fetched, rows, details=details, due=(what, len(fetched)))
