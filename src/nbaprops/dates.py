"""NBA calendar arithmetic.

An NBA *game date* is the US/Eastern calendar date of tip-off: a 7:30 pm ET tip is ``00:30Z`` the
next UTC day but belongs to the ET date. A *season* is named by the calendar years it spans
("2025-26") and starts in the summer: games from July onwards belong to the season that starts
that year.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from nbaprops.errors import ConfigError

EASTERN = ZoneInfo("America/New_York")
SEASON_START_MONTH = 7  # July: the off-season boundary between two seasons
_SENTINELS = {"TODAY": 0, "YESTERDAY": -1, "TOMORROW": 1}
_SEASON_RE = re.compile(r"^(\d{4})-(\d{2})$")


def now_utc() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def game_date_of(tip: datetime) -> date:
    """The NBA game date (US/Eastern calendar date) of a tip-off time, which must carry a zone."""
    if tip.tzinfo is None:
        raise ValueError("tip-off time must be timezone-aware; naive datetimes are ambiguous")
    return tip.astimezone(EASTERN).date()


def today_et(now: datetime | None = None) -> date:
    """Today's date in US/Eastern (the NBA's calendar), at ``now`` (default: the current time)."""
    return game_date_of(now or now_utc())


def parse_game_date(text: str, now: datetime | None = None) -> date:
    """Read a date given by a user: ``YYYY-MM-DD`` or one of TODAY / YESTERDAY / TOMORROW (ET).

    Raises ``ConfigError`` with a one-line reason for anything else.
    """
    value = text.strip()
    offset = _SENTINELS.get(value.upper())
    if offset is not None:
        return today_et(now) + timedelta(days=offset)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"not a date: {text!r} (expected YYYY-MM-DD, TODAY or YESTERDAY)") from None


def parse_date_range(start: str, end: str, now: datetime | None = None) -> tuple[date, date]:
    """Read a ``--from``/``--to`` pair as ``parse_game_date`` does; ``ConfigError`` when reversed."""
    first, last = parse_game_date(start, now), parse_game_date(end, now)
    check_date_range(first, last)
    return first, last


def check_date_range(first: date, last: date) -> None:
    """``ConfigError`` (one line, exit 2 at the CLI) when ``last`` is before ``first``."""
    if last < first:
        raise ConfigError(f"--to ({last}) is before --from ({first}): the range is reversed")


def season_start_year(day: date) -> int:
    """The calendar year in which the season containing ``day`` started."""
    return day.year if day.month >= SEASON_START_MONTH else day.year - 1


def season_start_date(day: date) -> date:
    """The first day of the season containing ``day`` (1 July): the lower bound of its season-to-date
    windows, so a season figure reads only that season's partitions."""
    return date(season_start_year(day), SEASON_START_MONTH, 1)


def season_of(day: date) -> str:
    """The season label of a date: 2026-01-09 -> "2025-26"."""
    start = season_start_year(day)
    return f"{start}-{(start + 1) % 100:02d}"


def season_start_of(label: str) -> int:
    """The starting year of a season label: "2025-26" -> 2025. Rejects malformed labels."""
    match = _SEASON_RE.match(label)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ConfigError(f"not a season: {label!r} (expected e.g. 2025-26)")
    return int(match.group(1))


def et_datetime(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time on an ET date, as an aware UTC datetime (DST handled by zoneinfo)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=EASTERN).astimezone(UTC)


def date_range(start: date, end: date) -> list[date]:
    """Every date from ``start`` to ``end`` inclusive; empty when ``end`` is before ``start``."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
