"""The official injury report PDF: the README's FACTS for the 2024-01-04 12:30 PM report, and errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.raw.parsers.nbac_injury_report import X_TOLERANCE, _placement, _words, parse
from nbaprops.sandbox.model import Season

Rows = list[dict[str, Any]]


@pytest.fixture(scope="module")
def raw(real_fixtures: Path) -> bytes:
    return (real_fixtures / "nbac_injury_report" / "raw_f4391904.pdf").read_bytes()


@pytest.fixture(scope="module")
def rows(raw: bytes) -> Rows:
    return parse(raw)


def _players(rows: Rows) -> dict[str, dict[str, Any]]:
    return {r["player_name_source"]: r for r in rows if r["player_name_source"]}


def test_fact1_three_pages_and_sixteen_matchups(rows: Rows) -> None:
    assert {r["page"] for r in rows} == {1, 2, 3}
    matchups: dict[str, set[str]] = {}
    for r in rows:
        matchups.setdefault(r["game_date"], set()).add(r["matchup"])
    assert matchups["2024-01-04"] == {"MIL@SAS", "DEN@GSW"}
    assert matchups["2024-01-05"] == {
        "ATL@IND",
        "UTA@BOS",
        "NYK@PHI",
        "OKC@BKN",
        "WAS@CLE",
        "CHA@CHI",
        "LAC@NOP",
        "MIN@HOU",
        "POR@DAL",
        "MIA@PHX",
        "ORL@DEN",
        "DET@GSW",
        "MEM@LAL",
        "TOR@SAC",
    }


def test_fact2_fourteen_player_entries_and_status_counts(rows: Rows) -> None:
    players = [r for r in rows if r["player_name"]]
    assert len(players) == 14
    assert Counter(r["team"] for r in players) == {"SAS": 8, "DEN": 4, "GSW": 2}
    statuses = Counter(r["status"] for r in players)
    assert statuses == {"Out": 10, "Questionable": 2, "Doubtful": 1, "Probable": 1}


def test_fact3_not_yet_submitted_team_rows(rows: Rows) -> None:
    pending = [r for r in rows if r["status"] == "NOT YET SUBMITTED"]
    assert len(pending) == 29
    assert all(r["player_name"] is None and r["reason"] is None for r in pending)
    assert [r["team"] for r in pending if r["game_date"] == "2024-01-04"] == ["MIL"]
    next_day = {(r["matchup"], r["team"]) for r in pending if r["game_date"] == "2024-01-05"}
    assert len(next_day) == 28
    # groups continue across page breaks: Boston on page 2, Denver (home of ORL@DEN) on page 3
    assert ("UTA@BOS", "BOS") in next_day
    denver = next(r for r in pending if r["team"] == "DEN")
    assert (denver["matchup"], denver["page"], denver["is_home"], denver["game_time_et"]) == (
        "ORL@DEN",
        3,
        True,
        "09:00",
    )


def test_fact4_named_entries(rows: Rows) -> None:
    players = _players(rows)
    green = players["Green, Draymond"]
    assert (green["team"], green["status"], green["reason"]) == ("GSW", "Out", "League Suspension")
    assert (green["player_name"], green["player_lookup"]) == ("Draymond Green", "draymondgreen")
    jackson = players["Jackson, Reggie"]
    assert (jackson["team"], jackson["status"]) == ("DEN", "Probable")
    assert jackson["reason"] == "Injury/Illness - Left Calf; Tightness"
    assert jackson["reason_category"] == "Injury/Illness"
    doubtful = [r["player_name_source"] for r in rows if r["status"] == "Doubtful"]
    assert doubtful == ["Branham, Malaki"]
    assert players["Branham, Malaki"]["team"] == "SAS"


def test_fact5_wrapped_reason_is_joined(rows: Rows) -> None:
    mcdermott = _players(rows)["McDermott, Doug"]
    assert (mcdermott["team"], mcdermott["status"]) == ("SAS", "Out")
    assert mcdermott["reason"] == "Injury/Illness - Right Forearm; Contusion"


def test_fact6_season_names_and_times(rows: Rows) -> None:
    assert {r["season"] for r in rows} == {"2023-24"}  # not the origin's mislabelled "2024-25"
    assert {r["report_time_et"] for r in rows} == {"2024-01-04T12:30:00-05:00"}
    assert {r["report_time_utc"] for r in rows} == {"2024-01-04T17:30:00Z"}
    players = _players(rows)
    assert players["Duke Jr., David"]["player_name"] == "David Duke Jr."
    assert players["Payton II, Gary"]["player_lookup"] == "garypaytonii"
    assert players["Cancar, Vlatko"]["matchup"] == "DEN@GSW"
    first = rows[0]
    assert (first["matchup"], first["team"], first["game_time_et"], first["tip_utc"]) == (
        "MIL@SAS",
        "MIL",
        "07:30",
        "2024-01-05T00:30:00Z",
    )
    assert first["game_date"] == "2024-01-04"  # the ET date, although the tip is the next UTC day
    json.dumps(rows)


def test_non_pdf_and_damaged_pdf_bytes_are_payload_errors(raw: bytes) -> None:
    with pytest.raises(PayloadError, match="not a PDF"):
        parse(b"<html><body>404</body></html>")
    with pytest.raises(PayloadError, match="damaged or unreadable"):
        parse(raw[:5000])


def test_a_pdf_without_the_report_header_is_rejected(real_fixtures: Path) -> None:
    other_pdf = (real_fixtures / "nbac_gamebook_pdf" / "raw_0173bcd1.pdf").read_bytes()
    with pytest.raises(PayloadError):
        parse(other_pdf)


HEADINGS = [
    (23, "Game Date"),
    (120, "Game Time"),
    (200, "Matchup"),
    (264, "Team"),
    (425, "Player Name"),
    (586, "Current Status"),
    (666, "Reason"),
]
ROW = [
    (24, "01/04/2024"),
    (121, "07:30 (ET)"),
    (201, "MIL@SAS"),
    (265, "Milwaukee Bucks"),
    (426, "Lillard, Damian"),
    (587, "Out"),
    (667, "Rest"),
]


def _pdf(*lines: list[tuple[int, str]], footer: str = "Page 1 of 1") -> bytes:
    """A one-page report drawn with reportlab, one text object per cell like the real PDF."""
    import io

    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=landscape(A4))
    height = landscape(A4)[1]
    page.drawString(289, height - 56, "Injury Report: 01/04/24 12:30 PM")
    for index, line in enumerate(lines):
        for x, text in line:
            page.drawString(x, height - 118 - 22 * index, text)
    page.drawString(399, height - 548, footer)
    page.save()
    return buffer.getvalue()


def test_a_reportlab_drawn_report_parses() -> None:
    (row,) = parse(_pdf(HEADINGS, ROW))
    assert (row["player_name"], row["team"]) == ("Damian Lillard", "MIL")
    assert (row["status"], row["reason"], row["is_home"]) == ("Out", "Rest", False)


def test_renamed_heading_unknown_status_and_foreign_team_are_drift() -> None:
    renamed = [(x, "Comment" if text == "Reason" else text) for x, text in HEADINGS]
    unknown_status = [(x, "Sidelined" if text == "Out" else text) for x, text in ROW]
    foreign_team = [(x, "Ulm Ratiopharm" if text == "Milwaukee Bucks" else text) for x, text in ROW]
    for lines, needle in [
        ((renamed, ROW), "before the column headings"),
        ((HEADINGS, unknown_status), "Sidelined"),
        ((HEADINGS, foreign_team), "not an NBA franchise"),
    ]:
        with pytest.raises(SchemaDrift, match=needle):
            parse(_pdf(*lines))
    with pytest.raises(SchemaDrift, match="footer says"):
        parse(_pdf(HEADINGS, ROW, footer="Page 1 of 2"))


def test_sandbox_reports_round_trip_through_the_parser() -> None:
    """The sandbox's reportlab reports (multi-page, wrapped reasons) read back entry for entry."""
    from nbaprops.sandbox import injury_pdf
    from nbaprops.sandbox.simulator import generate_season

    season = generate_season(seed=7)
    reports = sorted(season.injury_reports, key=lambda r: len(r.entries))
    for report in (reports[0], reports[len(reports) // 2], reports[-1]):
        rows = parse(injury_pdf.report_pdf(season, report))
        expected = set()
        for entry in report.entries:
            game = season.game_by_id[entry.game_id]
            name = season.player_by_id[entry.player_id].injury_report_name
            expected.add(
                (
                    f"{game.away}@{game.home}",
                    game.game_date.isoformat(),
                    entry.team,
                    name,
                    entry.status,
                    entry.reason,
                )
            )
        got = {
            (r["matchup"], r["game_date"], r["team"], r["player_name_source"], r["status"], r["reason"])
            for r in rows
            if r["player_name_source"]
        }
        assert got == expected
        assert sum(r["status"] == "NOT YET SUBMITTED" for r in rows) == len(report.not_submitted)
        published = report.published_utc.isoformat().replace("+00:00", "Z")
        assert {r["report_time_utc"] for r in rows} == {published}
    assert len({r["page"] for r in parse(injury_pdf.report_pdf(season, reports[-1]))}) > 1


def _plumber_words(pdf: bytes) -> list[list[tuple[str, float, float, float, float]]]:
    import io

    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as document:
        pages = [page.extract_words(x_tolerance=X_TOLERANCE, y_tolerance=2) for page in document.pages]
    return [[(w["text"], w["x0"], w["x1"], w["top"], w["bottom"]) for w in page] for page in pages]


def test_words_read_from_pdfminer_equal_pdfplumbers_extract_words(raw: bytes, sandbox_season: Season) -> None:
    """The fast character path places and groups every word exactly as pdfplumber's pages do."""
    from nbaprops.sandbox import injury_pdf

    largest = max(sandbox_season.injury_reports, key=lambda r: len(r.entries))
    for pdf in (raw, _pdf(HEADINGS, ROW), injury_pdf.report_pdf(sandbox_season, largest)):
        ours = [[(w["text"], w["x0"], w["x1"], w["top"], w["bottom"]) for w in page] for page in _words(pdf)]
        assert ours == _plumber_words(pdf)
        assert sum(map(len, ours)) > 10


def test_placement_follows_the_media_box_origin_and_rotation() -> None:
    assert _placement([0, 0, 842, 595], 0) == (595.0, 0.0, -0.0)
    assert _placement([10, 20, 852, 615], 0) == (595.0, 10.0, -20.0)
    assert _placement([0, 0, 595, 842], 90) == (595.0, 0.0, -0.0)
