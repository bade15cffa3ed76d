"""Run the sandbox league on loopback and point a copy of the settings at it.

Used by ``make demo``, the integration tests and the benchmarks: the production scrapers talk to
the sandbox exactly as they would to the real hosts, only the base URLs and keys differ.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from nbaprops.dates import et_datetime
from nbaprops.errors import ConfigError

if TYPE_CHECKING:
    from nbaprops.sandbox.model import Season
    from nbaprops.sandbox.server import SandboxClock
    from nbaprops.settings import Settings

BASE_URL_SETTINGS = (
    "nbacom_stats_base_url",
    "nbacom_cdn_base_url",
    "nbacom_injury_base_url",
    "bdl_base_url",
    "odds_base_url",
    "espn_base_url",
)
DEMO_MIN_GAMES = 8


@dataclass(frozen=True)
class SandboxSession:
    """A running sandbox: its season, its clock, and settings that point every source at it."""

    season: Season
    clock: SandboxClock
    settings: Settings
    base_url: str


def default_demo_date(season: Season) -> date:
    """A busy mid-season day: the first date past 60% of the season with at least 8 games."""
    dates = sorted(season.games_by_date)
    for day in dates[int(len(dates) * 0.6) :]:
        if len(season.games_by_date[day]) >= DEMO_MIN_GAMES:
            return day
    return dates[len(dates) // 2]


def pointed_settings(settings: Settings, base_url: str, *, bdl_key: str, odds_key: str) -> Settings:
    """``settings`` with every source's base URL and key set for the sandbox at ``base_url``.

    The NBA.com and BDL spacings are dropped: they protect the real hosts, not a loopback server.
    """
    update: dict[str, Any] = dict.fromkeys(BASE_URL_SETTINGS, base_url)
    update |= {
        "bdl_api_key": SecretStr(bdl_key),
        "odds_api_key": SecretStr(odds_key),
        "nbacom_min_spacing_s": 0.0,
        "bdl_min_spacing_s": 0.0,
    }
    return settings.model_copy(update=update)


@contextmanager
def sandbox_session(
    settings: Settings,
    *,
    now: datetime | None = None,
    day: date | None = None,
    faults: str = "",
    odds_quota: int = 20_000,
    season: Season | None = None,
    profile: str = "default",
) -> Iterator[SandboxSession]:
    """Serve the sandbox season on a free loopback port, yield, stop.

    The season is generated from the settings' seed (and recast for ``profile``, see
    ``sandbox.profiles``) unless one is given. The clock starts at ``now``, or at 11:00 ET on
    ``day`` (default: ``default_demo_date``). ``odds_quota`` is the credit balance of the
    sandbox's Odds API key (a whole season of history needs ~37,000).
    """
    from nbaprops.sandbox.faults import FaultPlan
    from nbaprops.sandbox.profiles import get_profile, profile_season
    from nbaprops.sandbox.runner import serve_in_thread
    from nbaprops.sandbox.server import SANDBOX_BDL_KEY, SANDBOX_ODDS_KEY, SandboxClock, create_app

    chosen = get_profile(profile)
    season = season or profile_season(chosen, settings.sandbox_seed, settings.sandbox_season)
    if day is not None and not season.first_date <= day <= season.last_date:
        raise ConfigError(f"{day} is outside the sandbox season {season.first_date}..{season.last_date}")
    start = now or et_datetime(day or default_demo_date(season), 11, 0)
    clock = SandboxClock(start)
    app = create_app(
        season,
        clock=clock,
        faults=FaultPlan.parse(faults, seed=settings.sandbox_seed),
        bdl_key=SANDBOX_BDL_KEY,
        odds_key=SANDBOX_ODDS_KEY,
        odds_quota=odds_quota,
        profile=chosen,
    )
    with serve_in_thread(app) as server:
        pointed = pointed_settings(
            settings, server.base_url, bdl_key=SANDBOX_BDL_KEY, odds_key=SANDBOX_ODDS_KEY
        )
        yield SandboxSession(season, clock, pointed, server.base_url)
