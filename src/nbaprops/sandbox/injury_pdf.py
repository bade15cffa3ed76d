"""The official NBA injury report PDF, rendered from a sandbox ``InjuryReport`` with reportlab.

Layout follows the real report (tests/fixtures/real/nbac_injury_report): A4 landscape, the title
"Injury Report: MM/DD/YY HH:MM PM" on every page, seven columns, game date, time, matchup and team
printed only on the first row of their group (a group may run onto the next page), a single
"NOT YET SUBMITTED" row for a team whose list is not in, long reasons wrapped onto two lines, and a
"Page N of M" footer. Reports never change once published, so each rendered file is cached.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import date, datetime

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from nbaprops.dates import EASTERN
from nbaprops.identity import team
from nbaprops.sandbox.model import InjuryReport, Season

COLUMNS = ("Game Date", "Game Time", "Matchup", "Team", "Player Name", "Current Status", "Reason")
NOT_SUBMITTED = "NOT YET SUBMITTED"
_X = (23.0, 120.0, 200.0, 264.0, 425.0, 586.0, 666.0)  # column left edges, as in the real report
_REASON_WIDTH = 160.0
_FONT, _BOLD, _SIZE = "Helvetica", "Helvetica-Bold", 9.0
_FIRST_ROW, _ROW_HEIGHT, _LAST_ROW = 129.0, 22.0, 545.0  # distances from the top of the page
_CACHE: dict[tuple[str, int, InjuryReport], bytes] = {}
_CACHE_LIMIT = 2048
_LOCK = threading.Lock()

Row = tuple[str, str, str, str, str, str, str]


MINUTE_NAMES_FROM = date(2025, 12, 23)  # NBA.com added minutes to the names on this date


def report_filename(published_utc: datetime) -> str:
    """The report's file name on NBA.com, in ET, in the pattern of its date's era.

    From 2025-12-23: ``Injury-Report_2025-12-23_05_30PM.pdf``; before, the hour only: the report
    issued at 12:30 PM on 2024-01-04 is ``Injury-Report_2024-01-04_12PM.pdf``.
    """
    et = published_utc.astimezone(EASTERN)
    if et.date() >= MINUTE_NAMES_FROM:
        return f"Injury-Report_{et:%Y-%m-%d}_{et:%I_%M%p}.pdf"
    return f"Injury-Report_{et:%Y-%m-%d}_{et:%I%p}.pdf"


def published_reports(season: Season, now: datetime) -> list[InjuryReport]:
    """The reports published at or before ``now``, oldest first."""
    return [r for r in season.injury_reports if r.published_utc <= now]


def report_rows(season: Season, report: InjuryReport) -> list[Row]:
    """The report's table rows, blanks where a group continues (date, time, matchup, team)."""
    by_team: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for e in report.entries:
        name = season.player_by_id[e.player_id].injury_report_name
        by_team.setdefault((e.game_id, e.team), []).append((name, e.status, e.reason))
    missing = set(report.not_submitted)
    rows: list[Row] = []
    last_date = last_time = ""
    for day in report.game_dates:
        for game in sorted(season.games_by_date.get(day, []), key=lambda g: (g.tip_utc, g.game_id)):
            game_date, game_time = f"{day:%m/%d/%Y}", f"{game.tip_utc.astimezone(EASTERN):%I:%M} (ET)"
            matchup = f"{game.away}@{game.home}"
            for tricode in (game.away, game.home):
                key = (game.game_id, tricode)
                lines = [("", "", NOT_SUBMITTED)] if key in missing else sorted(by_team.get(key, []))
                for i, (name, status, reason) in enumerate(lines):
                    rows.append(
                        (
                            game_date if game_date != last_date else "",
                            game_time if (game_date, game_time) != (last_date, last_time) else "",
                            matchup,
                            team(tricode).full_name if i == 0 else "",
                            name,
                            status,
                            reason,
                        )
                    )
                    last_date, last_time, matchup = game_date, game_time, ""
    return rows


def _wrap(text: str) -> list[str]:
    """Split a reason that overflows its column at the last fitting space after a semicolon or word."""
    if stringWidth(text, _FONT, _SIZE) <= _REASON_WIDTH:
        return [text]
    words = text.split(" ")
    for cut in range(len(words) - 1, 0, -1):
        head = " ".join(words[:cut])
        if stringWidth(head, _FONT, _SIZE) <= _REASON_WIDTH:
            return [head, " ".join(words[cut:])]
    return [text]


def _pages(rows: list[Row]) -> Iterator[list[Row]]:
    per_page = int((_LAST_ROW - _FIRST_ROW) // _ROW_HEIGHT) + 1
    for start in range(0, max(len(rows), 1), per_page):
        yield rows[start : start + per_page]


def _render(season: Season, report: InjuryReport) -> bytes:
    width, height = landscape(A4)
    et = report.published_utc.astimezone(EASTERN)
    title = f"Injury Report: {et:%m/%d/%y %I:%M %p}"
    pages = list(_pages(report_rows(season, report)))
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=(width, height), invariant=True)
    pdf.setTitle(title)
    for number, rows in enumerate(pages, start=1):
        pdf.setFont(_BOLD, 22)
        pdf.drawCentredString(width / 2, height - 60, title)
        pdf.setFont(_BOLD, 10)
        for x, name in zip(_X, COLUMNS, strict=True):
            pdf.drawString(x, height - 115, name)
        pdf.setFont(_FONT, _SIZE)
        for i, row in enumerate(rows):
            y = height - _FIRST_ROW - 8 - i * _ROW_HEIGHT
            for x, cell in zip(_X[:-1], row[:-1], strict=True):
                if cell:
                    pdf.drawString(x, y, cell)
            reason = _wrap(row[-1])
            # a wrapped reason straddles its row, one line above and one below, like the real report
            offsets = [0.0] if len(reason) == 1 else [7.0, -7.0]
            for line, dy in zip(reason, offsets, strict=True):
                pdf.drawString(_X[-1], y + dy, line)
        pdf.drawCentredString(width / 2, 25, f"Page {number} of {len(pages)}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def report_pdf(season: Season, report: InjuryReport) -> bytes:
    """The report as PDF bytes; rendered once per (season, report) and then served from a cache."""
    key = (season.label, season.seed, report)
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached
    data = _render(season, report)
    with _LOCK:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = data
    return data
