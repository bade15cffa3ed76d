"""One generated sandbox season per test session, shared by the raw-layer tests (~5 s to build)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

from nbaprops.sandbox.model import Season


@cache
def season() -> Season:
    """The default sandbox season (seed 2025, 2025-26), generated once."""
    from nbaprops.sandbox.simulator import generate_season

    return generate_season()


def after_season(s: Season) -> datetime:
    """A moment after the season's last game has finished."""
    return max(g.tip_utc for g in s.games) + timedelta(days=1)


def before_season(s: Season) -> datetime:
    """A moment before the first tip of the season."""
    return min(g.tip_utc for g in s.games).astimezone(UTC) - timedelta(days=1)
