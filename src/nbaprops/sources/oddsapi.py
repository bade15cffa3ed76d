"""The Odds API (v4): NBA events, event odds (player points, spreads, totals) and history.

The key travels as the ``apiKey`` query parameter, so it is exactly the kind of secret that leaks
through logged URLs; the HTTP client and the lake redact it, and it never names a file. Every call
costs credits (markets x regions for event odds, ten times that for historical snapshots; the events
list is free, its historical twin costs one). ``CreditMeter`` reads the ``x-requests-*`` headers and
refuses a call that would take the run past ``odds_credit_budget``.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from nbaprops.dates import EASTERN
from nbaprops.errors import BudgetExceeded, SchemaDrift
from nbaprops.sources.base import Endpoint, Fetched, Fetcher

if TYPE_CHECKING:
    from nbaprops.settings import Settings

log = structlog.get_logger(__name__)

SPORT = "/sports/basketball_nba/events"
EVENTS = Endpoint("oddsapi", "events", "oddsa_events_his", "odds_base_url", f"/v4{SPORT}", auth="odds_query")
EVENT_ODDS = Endpoint(
    "oddsapi",
    "event_odds",
    "oddsa_player_props",
    "odds_base_url",
    f"/v4{SPORT}/{{event_id}}/odds",
    auth="odds_query",
)
HISTORICAL_EVENTS = Endpoint(
    "oddsapi",
    "historical_events",
    "oddsa_events_his",
    "odds_base_url",
    f"/v4/historical{SPORT}",
    auth="odds_query",
)
HISTORICAL_EVENT_ODDS = Endpoint(
    "oddsapi",
    "historical_event_odds",
    "oddsa_player_props",
    "odds_base_url",
    f"/v4/historical{SPORT}/{{event_id}}/odds",
    auth="odds_query",
)
ENDPOINTS = (EVENTS, EVENT_ODDS, HISTORICAL_EVENTS, HISTORICAL_EVENT_ODDS)
MARKETS = "player_points,spreads,totals"
REGIONS = "us"
HISTORICAL_MULTIPLIER = 10


def call_cost(endpoint: Endpoint, markets: str = MARKETS, regions: str = REGIONS) -> int:
    """Credits a call will cost, by The Odds API's published rules."""
    if endpoint is EVENTS:
        return 0
    if endpoint is HISTORICAL_EVENTS:
        return 1
    cost = len(markets.split(",")) * len(regions.split(","))
    return cost * HISTORICAL_MULTIPLIER if endpoint is HISTORICAL_EVENT_ODDS else cost


def credits_header(value: str) -> int:
    """A credits header (``x-requests-remaining``: ``"497"``, sometimes ``"497.0"``) as a count.

    Anything else (empty, text, negative, ``inf``/``nan``) is ``SchemaDrift`` quoting the header:
    the budget guard must not run on a number it made up.
    """
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0:
        raise SchemaDrift(f"odds api: header x-requests-remaining is {value[:40]!r}, not a credit count")
    return int(number)


@dataclass
class CreditMeter:
    """Credits spent by this run, checked before every call against the run's budget."""

    budget: int
    spent: int = 0
    remaining: int | None = None  # as last reported by the server
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reserve(self, cost: int, what: str) -> None:
        """Refuse (``BudgetExceeded``) a call that would exceed the budget or the account's credits."""
        with self._lock:
            if self.spent + cost > self.budget:
                raise BudgetExceeded(
                    f"odds api: refusing {what}: it costs {cost} credits and {self.spent} of the run's "
                    f"budget of {self.budget} are spent; no request was sent"
                )
            if self.remaining is not None and cost > self.remaining:
                raise BudgetExceeded(
                    f"odds api: refusing {what}: it costs {cost} credits and the account has "
                    f"{self.remaining} left; no request was sent"
                )
            self.spent += cost

    def check(self, cost: int, what: str) -> None:
        """Refuse (``BudgetExceeded``) a planned batch of calls before any of them is sent."""
        with self._lock:
            if self.spent + cost > self.budget:
                raise BudgetExceeded(
                    f"odds api: refusing {what}: it would cost {cost} credits and the run's budget is "
                    f"{self.budget} ({self.spent} already spent); no request was sent"
                )
            if self.remaining is not None and cost > self.remaining:
                raise BudgetExceeded(
                    f"odds api: refusing {what}: it would cost {cost} credits and the account has "
                    f"{self.remaining} left; no request was sent"
                )

    def observe(self, headers: dict[str, str]) -> None:
        """Record what the server says remains (``x-requests-remaining``) and what the call cost."""
        with self._lock:
            if "x-requests-remaining" in headers:
                self.remaining = credits_header(headers["x-requests-remaining"])
            log.info(
                "odds.credits",
                last=headers.get("x-requests-last"),
                remaining=self.remaining,
                run_spent=self.spent,
                run_budget=self.budget,
            )


class OddsScraper:
    """Fetches odds within the run's credit budget."""

    def __init__(self, fetcher: Fetcher, settings: Settings) -> None:
        self.fetcher = fetcher
        self.meter = CreditMeter(settings.odds_credit_budget)
        self.bookmakers = settings.odds_bookmakers

    def check_batch(self, endpoint: Endpoint, calls: int) -> int:
        """Refuse ``calls`` calls of ``endpoint`` up front when together they would pass the budget."""
        cost = call_cost(endpoint) * calls
        self.meter.check(cost, f"{calls} {endpoint.name} call(s)")
        return cost

    def _fetch(
        self,
        endpoint: Endpoint,
        *,
        game_date: date | None,
        params: dict[str, Any],
        path_args: dict[str, str] | None = None,
    ) -> Fetched:
        self.meter.reserve(call_cost(endpoint, params.get("markets", MARKETS)), endpoint.name)
        fetched = self.fetcher.fetch(endpoint, game_date=game_date, params=params, path_args=path_args)
        self.meter.observe(fetched.response.headers)
        return fetched

    def events(self, day: date) -> Fetched:
        """Events whose tip falls on the ET date ``day``."""
        start = datetime(day.year, day.month, day.day, tzinfo=EASTERN).astimezone(UTC)
        end = start + timedelta(days=1) - timedelta(seconds=1)
        params = {"commenceTimeFrom": _iso(start), "commenceTimeTo": _iso(end), "dateFormat": "iso"}
        return self._fetch(EVENTS, game_date=day, params=params)

    def event_odds(self, day: date, event_id: str) -> Fetched:
        """Current player-points, spread and total lines of one event (American prices)."""
        return self._fetch(
            EVENT_ODDS, game_date=day, path_args={"event_id": event_id}, params=self._odds_params()
        )

    def historical_events(self, day: date, at: datetime) -> Fetched:
        """The events snapshot at or before ``at``."""
        return self._fetch(HISTORICAL_EVENTS, game_date=day, params={"date": _iso(at)})

    def historical_event_odds(self, day: date, event_id: str, at: datetime) -> Fetched:
        """One event's lines as they stood at the snapshot at or before ``at``."""
        return self._fetch(
            HISTORICAL_EVENT_ODDS,
            game_date=day,
            path_args={"event_id": event_id},
            params={**self._odds_params(), "date": _iso(at)},
        )

    def _odds_params(self) -> dict[str, str]:
        return {
            "regions": REGIONS,
            "markets": MARKETS,
            "oddsFormat": "american",
            "bookmakers": self.bookmakers,
            "dateFormat": "iso",
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
