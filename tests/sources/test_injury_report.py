"""Injury report names in both eras, a handful of probes per date, and the times tried shown in ET."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from nbaprops.dates import EASTERN, et_datetime
from nbaprops.http import HttpClient
from nbaprops.lake import open_lake
from nbaprops.pipeline.sandbox_session import SandboxSession, pointed_settings, sandbox_session
from nbaprops.sandbox.server import SANDBOX_BDL_KEY, SANDBOX_ODDS_KEY
from nbaprops.settings import Settings, load_settings
from nbaprops.sources import injury_report
from nbaprops.sources.base import Fetcher


def _et(moments: list[datetime]) -> list[str]:
    return [m.astimezone(EASTERN).strftime("%H:%M") for m in moments]


def test_minute_era_names_and_quarter_hours_back_from_the_as_of() -> None:
    day = date(2026, 1, 15)
    probes = injury_report.candidate_times(day, et_datetime(day, 11, 7))
    assert _et(probes) == ["11:00", "10:45", "10:30", "10:15", "10:00", "09:45"]
    assert injury_report.report_filename(probes[2]) == "Injury-Report_2026-01-15_10_30AM.pdf"


def test_hour_era_names_only_hours_that_ended_by_the_as_of() -> None:
    day = date(2024, 1, 4)
    # A name covers its whole hour (the 12PM report came out at 12:30), so at 12:45 the 12PM
    # report may not be out yet: the first name tried is 11AM.
    probes = injury_report.candidate_times(day, et_datetime(day, 12, 45))
    assert _et(probes) == ["11:00", "10:00", "09:00", "08:00", "07:00", "06:00"]
    assert injury_report.candidate_times(day, et_datetime(day, 13, 0))[0] == et_datetime(day, 12, 0)
    # The real capture's URL (tests/fixtures/real/nbac_injury_report): the report of 12:30 PM ET.
    assert injury_report.report_filename(et_datetime(day, 12, 30)) == "Injury-Report_2024-01-04_12PM.pdf"
    assert injury_report.report_filename(et_datetime(day, 13, 0)) == "Injury-Report_2024-01-04_01PM.pdf"


def test_probes_never_leave_the_date_and_stay_a_handful() -> None:
    day = date(2026, 1, 15)
    late = injury_report.candidate_times(day, datetime(2026, 3, 1, tzinfo=UTC))
    assert len(late) == injury_report.MAX_PROBES == 6
    assert all(m.astimezone(EASTERN).date() == day for m in late)
    early = injury_report.candidate_times(day, et_datetime(day, 0, 20))
    assert _et(early) == ["00:15", "00:00"]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxSession]:
    with sandbox_session(load_settings(data_dir=tmp_path_factory.mktemp("injury"))) as running:
        yield running


def _pointed(session: SandboxSession, tmp_path: Path) -> Settings:
    fresh = load_settings(data_dir=tmp_path, log_level="ERROR")
    return pointed_settings(fresh, session.base_url, bdl_key=SANDBOX_BDL_KEY, odds_key=SANDBOX_ODDS_KEY)


@pytest.mark.parametrize("day", [date(2025, 11, 12), date(2026, 1, 20)], ids=["hour-era", "minute-era"])
def test_the_report_at_the_as_of_is_found_over_loopback_in_both_eras(
    session: SandboxSession, tmp_path: Path, day: date
) -> None:
    settings = _pointed(session, tmp_path)
    assert day in session.season.games_by_date
    with HttpClient.from_settings(settings) as http:
        fetcher = Fetcher(settings, http, open_lake(settings))
        fetched = injury_report.fetch_latest_report(fetcher, day, settings.prediction_as_of(day))
    name = fetched.response.url_redacted.rsplit("/", 1)[-1]
    expected = {11: "Injury-Report_2025-11-12_10AM.pdf", 1: "Injury-Report_2026-01-20_10_30AM.pdf"}
    assert name == expected[day.month]
    assert fetched.response.content.startswith(b"%PDF")


def test_no_report_names_the_times_tried_in_et(session: SandboxSession, tmp_path: Path) -> None:
    settings = _pointed(session, tmp_path)
    day = date(2026, 1, 20)
    with HttpClient.from_settings(settings) as http:
        fetcher = Fetcher(settings, http, open_lake(settings))
        with pytest.raises(injury_report.ReportNotFound) as caught:
            injury_report.fetch_latest_report(fetcher, day, et_datetime(day, 9, 0) + timedelta(minutes=1))
    assert str(caught.value) == (
        "no injury report for 2026-01-20 (minute names) at any of the 6 times tried (ET): "
        "09:00, 08:45, 08:30, 08:15, 08:00, 07:45"
    )
