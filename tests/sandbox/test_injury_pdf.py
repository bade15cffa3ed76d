"""The sandbox injury report PDF reads back, with pdfplumber, the way the real report does."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pdfplumber
from test_render_nbacom import SEASON

from nbaprops.dates import et_datetime
from nbaprops.sandbox import injury_pdf
from nbaprops.sandbox.model import InjuryEntry

REPORT = SEASON.injury_reports[0]
HEADER = "Game Date Game Time Matchup Team Player Name Current Status Reason"


def _pages(data: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [page.extract_text(x_tolerance=1) or "" for page in pdf.pages]


def test_real_report_has_the_layout_we_imitate(real_fixtures: Path) -> None:
    pages = _pages((real_fixtures / "nbac_injury_report" / "raw_f4391904.pdf").read_bytes())
    lines = pages[0].splitlines()
    assert lines[0] == "Injury Report: 01/04/24 12:30 PM"
    assert lines[1] == HEADER
    assert pages[-1].splitlines()[-1] == "Page 3 of 3"


def test_report_pdf_has_title_columns_rows_and_footer() -> None:
    pages = _pages(injury_pdf.report_pdf(SEASON, REPORT))
    lines = pages[0].splitlines()
    assert lines[0] == "Injury Report: 01/15/25 12:30 PM"
    assert lines[1] == HEADER
    assert lines[2] == "01/15/2025 07:30 (ET) NYK@PHI New York Knicks NOT YET SUBMITTED"
    assert lines[3] == "Philadelphia 76ers NOT YET SUBMITTED"
    assert "07:30 (ET) LAL@BOS Los Angeles Lakers" not in pages[0]  # time printed once per time group
    # a long reason wraps around its row, as "McDermott, Doug" does in the real report
    assert lines[4:7] == [
        "Injury/Illness - Right Forearm;",
        "LAL@BOS Los Angeles Lakers Butler III3, Jimmy Questionable",
        "Contusion and Bone Bruise",
    ]
    assert "Boston Celtics Jokic2, Nikola Out Injury/Illness - Left Ankle; Sprain" in pages[0]
    assert "10:30 (ET) BOS@NYK New York Knicks NOT YET SUBMITTED" in pages[0]
    assert lines[-1] == "Page 1 of 1"


def test_rows_round_trip_to_the_report_entries() -> None:
    rows = injury_pdf.report_rows(SEASON, REPORT)
    names = {SEASON.player_by_id[e.player_id].injury_report_name: e for e in REPORT.entries}
    players = {row[4]: row for row in rows if row[4]}
    assert set(players) == set(names)
    for name, entry in names.items():
        assert players[name][5:] == (entry.status, entry.reason)
    assert sum(row[6] == injury_pdf.NOT_SUBMITTED for row in rows) == len(REPORT.not_submitted)
    text = " ".join(_pages(injury_pdf.report_pdf(SEASON, REPORT)))
    for name, entry in names.items():
        assert f"{name} {entry.status}" in text
    assert "Contusion and Bone Bruise" in text  # the wrapped second line of a long reason


def test_long_reports_continue_groups_across_pages() -> None:
    entries = (
        tuple(
            InjuryEntry("0022400562", "BOS", p.player_id, "Out", "G League - Two-Way") for p in SEASON.players
        )
        * 3
    )
    big = replace(REPORT, entries=entries, published_utc=et_datetime(REPORT.game_dates[0], 13, 30))
    pages = _pages(injury_pdf.report_pdf(SEASON, big))
    assert len(pages) == 3
    assert [p.splitlines()[-1] for p in pages] == ["Page 1 of 3", "Page 2 of 3", "Page 3 of 3"]
    assert all(p.splitlines()[1] == HEADER for p in pages)
    assert not pages[1].splitlines()[2].startswith(("01/15/2025", "Boston"))  # continuation: no group labels


def test_filename_uses_eastern_time_with_minutes_from_2025_12_23_and_the_hour_before() -> None:
    assert (
        injury_pdf.report_filename(datetime(2025, 12, 23, 22, 30, tzinfo=UTC))
        == "Injury-Report_2025-12-23_05_30PM.pdf"
    )
    assert (
        injury_pdf.report_filename(datetime(2025, 1, 15, 16, 30, tzinfo=UTC))
        == "Injury-Report_2025-01-15_11AM.pdf"
    )
    # The real capture's name: the report issued 2024-01-04 12:30 PM ET.
    issued = datetime(2024, 1, 4, 17, 30, tzinfo=UTC)
    assert injury_pdf.report_filename(issued) == "Injury-Report_2024-01-04_12PM.pdf"


def test_only_published_reports_are_listed_and_rendering_is_cached() -> None:
    assert injury_pdf.published_reports(SEASON, REPORT.published_utc.replace(minute=29)) == []
    assert injury_pdf.published_reports(SEASON, REPORT.published_utc) == [REPORT]
    assert injury_pdf.report_pdf(SEASON, REPORT) is injury_pdf.report_pdf(SEASON, REPORT)
