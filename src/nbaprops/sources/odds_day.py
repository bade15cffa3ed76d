"""The Odds API part of a date's scrape: the lines each prediction needs, each bought once.

Games still to tip get the current event odds (the events list is free; each event's odds cost
markets x regions). Games already tipped get the historical route: one events snapshot (1 credit)
and each event's lines at the times of ``Settings.odds_snapshot_times`` (ten times the live cost
each): by default the opening line, the line at the daily prediction time
(``Settings.prediction_as_of``) and the pre-tip line, so a backtest picks against the line posted
when its prediction was made and line movement is real. A snapshot the lake already holds (the
same event, a stored snapshot that answers the requested time) is never bought again: a retried
date costs nothing, and two wanted times that fall on one snapshot cost one call. The batch left to
buy is priced before the first call and refused with ``BudgetExceeded`` when it would pass the
budget.

Every Odds API step that fails (retries exhausted, a refused key, a budget refusal, an empty or
partial answer) raises an ``odds_unavailable`` alert, like the fallback facts' ``source_exhausted``:
``error`` when the operator must act (a key or credits problem, or lines the use requires),
``warning`` otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from nbaprops.errors import AuthError, BudgetExceeded, NbaPropsError, SourceError
from nbaprops.sources.facts import Collected, need, nothing, parse_payload, parsed_rows, partial

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date

    from nbaprops.lake import Lake
    from nbaprops.sources.base import Fetched
    from nbaprops.sources.daily import DayScrape, ScrapeReport

LIVE_SNAPSHOTS = ("pretip",)
"""A live scrape bought the lines at prediction time as current odds; a played game needs only
its closing line from history. A history backfill buys every configured snapshot."""
GAME_LINES_KIND = "oddsa_game_lines_his"


def _tip(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True, slots=True)
class HeldSnapshot:
    """A historical payload already bought: the snapshot it holds answers any request in [start, end)."""

    event_id: str  # '' for the events listing
    start: datetime
    end: datetime
    content: bytes


def held_snapshot(event_id: str, content: bytes, fetched_at: datetime) -> HeldSnapshot | None:
    """The request times a historical payload answers, from its envelope (None if unreadable).

    The Odds API serves the snapshot at or before the requested ``date``; the envelope names it
    (``timestamp``) and the next one (``next_timestamp``, absent when it did not exist yet at
    ``fetched_at``). Any request between the two gets the same bytes, so it is never bought twice.
    """
    from nbaprops.raw.registry import maybe_gunzip

    try:
        envelope = json.loads(maybe_gunzip(content))
        start = _tip(envelope["timestamp"])
        following = envelope.get("next_timestamp")
        end = _tip(following) if isinstance(following, str) else fetched_at
    except (ValueError, KeyError, TypeError, AttributeError, NbaPropsError):
        return None
    return HeldSnapshot(event_id, start, max(end, start + timedelta(seconds=1)), content)


def held_snapshots(lake: Lake, endpoint: str, day: date) -> list[HeldSnapshot]:
    """The historical snapshots of ``day`` the lake already holds (the manifest URL names the event)."""
    held: list[HeldSnapshot] = []
    for obj in lake.list("oddsapi", endpoint, day):
        segments = urlsplit(obj.meta.get("url", "")).path.rstrip("/").split("/")
        event_id = segments[-2] if segments[-1] == "odds" else ""
        snapshot = held_snapshot(event_id, lake.get(obj.path), obj.fetched_at)
        if snapshot is not None:
            held.append(snapshot)
    return held


def covering(held: list[HeldSnapshot], event_id: str, at: datetime) -> HeldSnapshot | None:
    """The held snapshot a request for ``event_id`` at ``at`` would get, if one is held."""
    return next((h for h in held if h.event_id == event_id and h.start <= at < h.end), None)


def scrape_odds(scrape: DayScrape, report: ScrapeReport, *, skip: str | None) -> None:
    """Current odds for upcoming games and the configured historical snapshots for played ones."""
    if skip is not None:
        scrape.step(report, "oddsapi.events", nothing, fact="props", game_date=scrape.day, skip=skip)
        return
    schedule = scrape.schedule
    upcoming = len(schedule.upcoming(scrape.now)) if schedule is not None else None
    tipped = len(schedule.games) - upcoming if schedule is not None and upcoming is not None else None
    if upcoming is None or upcoming:
        _current(scrape, report, upcoming)
    if tipped is None or tipped:
        _historical(scrape, report, tipped)


def _step(
    scrape: DayScrape, report: ScrapeReport, name: str, action: Callable[[], Collected]
) -> Collected | None:
    """One Odds API step (``scrape.step``, fact ``props``); a failure of it is also alerted."""
    from nbaprops.sources.daily import failure_reason

    collected, error = scrape.step(report, name, action, fact="props", game_date=scrape.day)
    if error is not None:
        must_act = isinstance(error, (AuthError, BudgetExceeded)) or need("props", scrape.use) == "required"
        meter = scrape.odds.meter
        scrape.alerter.raise_alert(
            "odds_unavailable",
            f"{name} for {scrape.day} failed: {failure_reason(error)}",
            severity="error" if must_act else "warning",
            step=f"scrape.{name}",
            game_date=scrape.day.isoformat(),
            error_type=type(error).__name__,
            credits_spent_run=meter.spent,
            credits_remaining=meter.remaining,
        )
    return collected


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
        fetched: list[Fetched] = []
        counted: list[tuple[str, int]] = []
        for eid in event_ids:
            try:
                bought = scrape.odds.event_odds(scrape.day, eid)
            except SourceError as exc:
                if exc.status_code != 404:  # 404: the event left the board since it was listed
                    raise
                counted.append((eid, 0))
                continue
            fetched.append(bought)
            counted.append((eid, len(parsed_rows(bought))))
        collected = _lines(scrape, fetched, counted, "oddsapi/event_odds", cost)
        with_props = sum(1 for _, n in counted if n)
        collected.details |= {"events_listed": len(counted), "events_with_props": with_props}
        if collected.partial is not None and with_props:
            # Books post props through the day: before tip, an event without them yet is expected.
            # The fact is served, degraded with the count; only no props at all fails it.
            collected.shortfall = (
                f"oddsapi/event_odds: props posted for {with_props} of {len(counted)} events listed "
                f"(none yet for {', '.join(e for e, n in counted if not n)[:200]})"
            )
            collected.partial = None
        return collected

    if _step(scrape, report, "oddsapi.events", events) is not None:
        _game_lines(scrape, report, _step(scrape, report, "oddsapi.event_odds", odds))


def _historical(scrape: DayScrape, report: ScrapeReport, due: int | None) -> None:
    from nbaprops.sources.oddsapi import HISTORICAL_EVENT_ODDS, HISTORICAL_EVENTS

    played: list[tuple[str, datetime]] = []
    lake = scrape.fetcher.lake

    def events() -> Collected:
        tips = [g.tip_utc for g in scrape.schedule.games if g.tip_utc] if scrape.schedule else []
        # The listing as of the day's first snapshot, when every game of the date is still to tip.
        firsts = scrape.settings.odds_snapshot_times(scrape.day, min(tips)) if tips else []
        at = firsts[0] if firsts else scrape.settings.prediction_as_of(scrape.day)
        stored = covering(held_snapshots(lake, HISTORICAL_EVENTS.name, scrape.day), "", at)
        fetched: list[Fetched] = []
        if stored is not None:  # bought by an earlier run of this date: read it, do not pay again
            rows = parse_payload(HISTORICAL_EVENTS.kind, stored.content)
        else:
            fetched.append(scrape.odds.historical_events(scrape.day, at))
            rows = parsed_rows(fetched[0])
        mine = [
            r
            for r in rows
            if r.get("game_date") == scrape.day.isoformat() and _tip(r["commence_time"]) <= scrape.now
        ]
        played.extend(dict.fromkeys((r["event_id"], _tip(r["commence_time"])) for r in mine))
        details = {"snapshot_requested": at.isoformat(), "listing_in_lake": stored is not None}
        return Collected(fetched, len(mine), details=details, due=("oddsapi/historical_events", due))

    def odds() -> Collected:
        names = None if scrape.use == "history" else LIVE_SNAPSHOTS
        wanted = [
            (eid, at)
            for eid, tip in played
            for at in scrape.settings.odds_snapshot_times(scrape.day, tip, names)
        ]
        held = held_snapshots(lake, HISTORICAL_EVENT_ODDS.name, scrape.day)
        in_lake = sum(1 for eid, at in wanted if covering(held, eid, at) is not None)
        cost = scrape.odds.check_batch(HISTORICAL_EVENT_ODDS, len(wanted) - in_lake)
        fetched: list[Fetched] = []
        counted: list[tuple[str, int]] = []
        for eid, at in wanted:
            if covering(held, eid, at) is not None:  # in the lake, or bought a moment ago
                continue
            try:
                bought = scrape.odds.historical_event_odds(scrape.day, eid, at)
            except SourceError as exc:
                if exc.status_code != 404:  # 404: the books had posted nothing for it by then
                    raise
                counted.append((f"{eid}@{at:%H:%MZ}", 0))
                continue
            fetched.append(bought)
            counted.append((f"{eid}@{at:%H:%MZ}", len(parsed_rows(bought))))
            snapshot = held_snapshot(eid, bought.response.content, bought.obj.fetched_at)
            held += [snapshot] if snapshot is not None else []
        collected = _lines(scrape, fetched, counted, "oddsapi/historical_event_odds", cost)
        collected.details |= {"snapshots_wanted": len(wanted), "snapshots_in_lake": in_lake}
        return collected

    if _step(scrape, report, "oddsapi.historical_events", events) is not None:
        _game_lines(scrape, report, _step(scrape, report, "oddsapi.historical_event_odds", odds))


def _game_lines(scrape: DayScrape, report: ScrapeReport, lines: Collected | None) -> None:
    """Spreads and totals ride in the same payloads as the props: checked as their own fact."""
    from nbaprops.errors import QualityGateError

    fetched = lines.fetched if lines is not None else []

    def check() -> Collected:
        rows = sum(len(parse_payload(GAME_LINES_KIND, f.response.content)) for f in fetched)
        if not rows:
            raise QualityGateError(
                f"oddsapi: {len(fetched)} odds payload(s) of {scrape.day} hold no spread or total"
            )
        return Collected(list(fetched), rows)  # the payloads checked, already stored by the odds step

    skip = None if fetched else "no odds payload bought by this run"
    scrape.step(report, "oddsapi.game_lines", check, fact="game_lines", game_date=scrape.day, skip=skip)


def _lines(
    scrape: DayScrape, fetched: list[Fetched], counted: list[tuple[str, int]], what: str, cost: int
) -> Collected:
    """The step's result: every snapshot bought must hold player-points rows, or it is partial."""
    meter = scrape.odds.meter
    details: dict[str, Any] = {
        "credits_planned": cost,
        "credits_spent_run": meter.spent,
        "credits_remaining": meter.remaining,
        "snapshots_bought": len(fetched),
    }
    empty = [name for name, rows in counted if not rows]
    return Collected(
        fetched,
        sum(rows for _, rows in counted),
        details=details,
        partial=partial(what, empty, len(counted), "snapshots"),
    )
