from datetime import UTC, date, datetime

import pytest

from nbaprops.dates import (
    date_range,
    et_datetime,
    game_date_of,
    parse_game_date,
    season_of,
    season_start_of,
    today_et,
)
from nbaprops.errors import ConfigError


def test_evening_tip_after_utc_midnight_belongs_to_the_eastern_date() -> None:
    # 7:40 pm ET on 2023-12-28 is 00:40Z on the 29th (the Odds API sample's DET @ BOS).
    assert game_date_of(datetime(2023, 12, 29, 0, 40, tzinfo=UTC)) == date(2023, 12, 28)


def test_late_west_coast_tip_in_summer_time_uses_edt_offset() -> None:
    # 10:30 pm EDT (UTC-4) on 2025-04-10 is 02:30Z on the 11th.
    assert game_date_of(datetime(2025, 4, 11, 2, 30, tzinfo=UTC)) == date(2025, 4, 10)
    # At 04:30Z it is 00:30 EDT: already the next ET day.
    assert game_date_of(datetime(2025, 4, 11, 4, 30, tzinfo=UTC)) == date(2025, 4, 11)


def test_winter_offset_is_five_hours() -> None:
    assert game_date_of(datetime(2025, 1, 16, 4, 59, tzinfo=UTC)) == date(2025, 1, 15)
    assert game_date_of(datetime(2025, 1, 16, 5, 0, tzinfo=UTC)) == date(2025, 1, 16)


def test_et_wall_clock_across_dst_changes() -> None:
    # Spring forward on 2025-03-09 and fall back on 2025-11-02.
    assert et_datetime(date(2025, 3, 8), 19, 30) == datetime(2025, 3, 9, 0, 30, tzinfo=UTC)
    assert et_datetime(date(2025, 3, 9), 19, 30) == datetime(2025, 3, 9, 23, 30, tzinfo=UTC)
    assert et_datetime(date(2025, 11, 1), 19, 0) == datetime(2025, 11, 1, 23, 0, tzinfo=UTC)
    assert et_datetime(date(2025, 11, 2), 19, 0) == datetime(2025, 11, 3, 0, 0, tzinfo=UTC)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        game_date_of(datetime(2025, 1, 1, 12, 0))  # noqa: DTZ001


def test_season_labels() -> None:
    assert season_of(date(2026, 1, 9)) == "2025-26"
    assert season_of(date(2025, 10, 21)) == "2025-26"
    assert season_of(date(2025, 6, 22)) == "2024-25"
    assert season_of(date(1999, 11, 1)) == "1999-00"
    assert season_start_of("2025-26") == 2025
    with pytest.raises(ConfigError):
        season_start_of("2025-27")


def test_sentinels_resolve_in_eastern_time_not_utc() -> None:
    # 03:00Z on Jan 10 is still Jan 9 in New York.
    now = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)
    assert today_et(now) == date(2026, 1, 9)
    assert parse_game_date("TODAY", now) == date(2026, 1, 9)
    assert parse_game_date("yesterday", now) == date(2026, 1, 8)
    assert parse_game_date("2026-02-01", now) == date(2026, 2, 1)


@pytest.mark.parametrize("text", ["2026-13-01", "01/02/2026", "", "tomorrowish"])
def test_malformed_dates_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError, match="not a date"):
        parse_game_date(text)


def test_date_range_is_inclusive() -> None:
    assert date_range(date(2025, 1, 30), date(2025, 2, 2))[-1] == date(2025, 2, 2)
    assert len(date_range(date(2025, 1, 30), date(2025, 2, 2))) == 4
    assert date_range(date(2025, 2, 2), date(2025, 1, 30)) == []
