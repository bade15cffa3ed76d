"""The NBA's official injury report PDF: one row per listed player, plus "NOT YET SUBMITTED" teams.

The PDF draws no space characters, so words are cut by position (``x_tolerance`` 1.5; pdfplumber's
default of 3 glues "NOT YET SUBMITTED" into one word). Columns are placed by the x of the column
headings on the first page (Game Date, Game Time, Matchup, Team, Player Name, Current Status,
Reason); later pages reuse them. Date, time, matchup and team are printed only on the first row of
their group and carry down, across page breaks too. A reason that wraps is printed as lines just
above and below its row's baseline: such reason-only lines join the nearest row.

Game times carry no AM/PM: hours 1-10 are read as p.m., 11 as a.m. and 12 as noon, the only
hours NBA games tip at. A report with no rows at all is drift: every report lists its games.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from nbaprops.dates import EASTERN, season_of
from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.identity import UnknownTeam, last_first_to_display, player_lookup, tricode_from_name
from nbaprops.raw.registry import maybe_gunzip

KIND = "nbac_injury_report"
DESCRIPTION = "NBA.com official injury report PDF: player statuses per game, with NOT YET SUBMITTED teams"
COLUMNS = ("game_date", "game_time", "matchup", "team", "player", "status", "reason")
# The heading words that open each column, in order (the first "Game" is Game Date).
HEADINGS = ("Game", "Game", "Matchup", "Team", "Player", "Current", "Reason")
STATUSES = {"Out", "Questionable", "Doubtful", "Probable", "Available"}
NOT_SUBMITTED = "NOT YET SUBMITTED"
X_TOLERANCE = 1.5
LINE_TOLERANCE = 2.0  # points: words whose tops differ by less are on one line
WRAP_DISTANCE = 15.0  # points: a reason-only line joins a row at most this far away (rows are ~22 apart)
_REPORT = re.compile(r"Injury Report: (\d{2}/\d{2}/\d{2}) (\d{1,2}:\d{2}) ?([AP]M)")
_PAGE = re.compile(r"^Page (\d+) of (\d+)$")
_MATCHUP = re.compile(r"^([A-Z]{3})@([A-Z]{3})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2}) \(ET\)$")


@dataclass
class _Line:
    page: int
    top: float
    cells: dict[str, list[str]] = field(default_factory=dict)
    reasons: list[tuple[float, str]] = field(default_factory=list)

    def cell(self, column: str) -> str:
        return " ".join(self.cells.get(column, []))


def parse(payload: bytes) -> list[dict[str, object]]:
    """One row per player entry or not-submitted team, with report time, game, team and status."""
    pages = _pages(payload)
    report_et = _report_time(pages)
    lines = _table_lines(pages)
    parsed = _rows(lines, report_et)
    if not parsed:
        raise SchemaDrift(f"{KIND}: the report lists no games")
    return parsed


def _pages(payload: bytes) -> list[list[dict[str, Any]]]:
    """The words of every page, or ``PayloadError`` for anything that is not a readable PDF."""
    if not isinstance(payload, bytes | bytearray):
        raise PayloadError(f"{KIND}: payload must be bytes, got {type(payload).__name__}")
    plain = maybe_gunzip(bytes(payload), KIND)
    if not plain.lstrip().startswith(b"%PDF-"):
        raise PayloadError(f"{KIND}: not a PDF (starts with {plain[:16]!r})")
    try:
        return _words(plain)
    except Exception as exc:  # pdfminer raises many unrelated types on damaged files
        raise PayloadError(f"{KIND}: PDF is damaged or unreadable ({type(exc).__name__})") from exc


def _words(pdf: bytes) -> list[list[dict[str, Any]]]:
    """pdfplumber's ``extract_words`` of every page, over characters read straight from pdfminer.

    ``pdfplumber.Page.chars`` builds a dict of some thirty attributes per character (colours, font,
    marked content); the words need five. The characters are placed exactly as pdfplumber places
    them (top-down y from the page's media box) and grouped by pdfplumber's own ``WordExtractor``,
    so the words are the same at about half the cost.
    """
    # Heavy: imported only when a PDF is actually parsed.
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LTChar, LTContainer, LTItem
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfplumber.utils.text import WordExtractor

    extractor = WordExtractor(x_tolerance=X_TOLERANCE, y_tolerance=2)
    document = PDFDocument(PDFParser(io.BytesIO(pdf)))
    resources = PDFResourceManager(caching=True)
    device = PDFPageAggregator(resources, laparams=None)
    interpreter = PDFPageInterpreter(resources, device)

    def chars(items: Iterable[LTItem], height: float, left: float, top: float) -> Iterator[dict[str, Any]]:
        for item in items:
            if isinstance(item, LTChar):
                yield {
                    "text": item.get_text(),
                    "x0": item.x0 + left,
                    "x1": item.x1 + left,
                    "top": height - item.y1 + top,
                    "doctop": height - item.y1 + top,
                    "bottom": height - item.y0 + top,
                    "upright": item.upright,
                    "size": item.size,
                }
            elif isinstance(item, LTContainer):
                yield from chars(item, height, left, top)

    pages = []
    for page in PDFPage.create_pages(document):
        interpreter.process_page(page)
        height, left, top = _placement(page.mediabox, int(page.rotate or 0))
        pages.append(extractor.extract_words(list(chars(device.get_result(), height, left, top))))
    return pages


def _placement(mediabox: Sequence[float], rotation: int) -> tuple[float, float, float]:
    """Page height and the x and top offsets pdfplumber applies, from the (possibly rotated) media box."""
    x0, x1 = sorted((float(mediabox[0]), float(mediabox[2])))
    y0, y1 = sorted((float(mediabox[1]), float(mediabox[3])))
    if rotation % 360 in (90, 270):
        x0, y0, x1, y1 = y0, x0, y1, x1
    return y1 - y0, x0, -y0


def _group_lines(words: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    lines: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (float(w["top"]), float(w["x0"]))):
        if lines and abs(float(word["top"]) - float(lines[-1][0]["top"])) < LINE_TOLERANCE:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: float(w["x0"])) for line in lines]


def _text(line: list[dict[str, Any]]) -> str:
    return " ".join(str(word["text"]) for word in line)


def _report_time(pages: list[list[dict[str, Any]]]) -> datetime:
    """The header time, identical on every page, as an aware ET datetime."""
    stamps: set[tuple[str, ...]] = set()
    for number, words in enumerate(pages, start=1):
        found = next((m for line in _group_lines(words) if (m := _REPORT.search(_text(line)))), None)
        if found is None:
            raise SchemaDrift(f"{KIND}: page {number} has no 'Injury Report: MM/DD/YY HH:MM PM' header")
        stamps.add(found.groups())
    if len(stamps) != 1:
        raise SchemaDrift(f"{KIND}: pages disagree on the report time: {sorted(stamps)}")
    day, clock, half = stamps.pop()
    try:
        naive = datetime.strptime(f"{day} {clock} {half}", "%m/%d/%y %I:%M %p")  # noqa: DTZ007 - zone added next
    except ValueError:
        raise SchemaDrift(f"{KIND}: report time {day} {clock} {half} is not a time") from None
    return naive.replace(tzinfo=EASTERN)


def _table_lines(pages: list[list[dict[str, Any]]]) -> list[_Line]:
    """Table lines of all pages, cut into columns; wrapped reason lines folded into their rows."""
    starts: list[float] | None = None
    table: list[_Line] = []
    declared_pages: set[int] = set()
    for number, words in enumerate(pages, start=1):
        page_lines: list[_Line] = []
        for line in _group_lines(words):
            text = _text(line)
            if _REPORT.search(text):
                continue
            if (paging := _PAGE.match(text)) is not None:
                declared_pages.add(int(paging.group(2)))
                continue
            if [str(w["text"]) for w in line[:1]] == ["Game"] and "Reason" in text and "Matchup" in text:
                starts = _column_starts(line)
                continue
            if starts is None:
                raise SchemaDrift(f"{KIND}: table rows before the column headings on page {number}")
            page_lines.append(_cut(line, starts, number))
        table.extend(_fold_wraps(page_lines, number))
    if declared_pages != {len(pages)}:
        raise SchemaDrift(f"{KIND}: footer says {sorted(declared_pages)} pages, the PDF has {len(pages)}")
    return table


def _column_starts(line: list[dict[str, Any]]) -> list[float]:
    starts: list[float] = []
    words = iter(line)
    for heading in HEADINGS:
        word = next((w for w in words if w["text"] == heading), None)
        if word is None:
            raise SchemaDrift(f"{KIND}: column heading {heading!r} is missing or renamed")
        starts.append(float(word["x0"]))
    return starts


def _cut(line: list[dict[str, Any]], starts: list[float], page: int) -> _Line:
    result = _Line(page=page, top=float(line[0]["top"]))
    for word in line:
        index = max((i for i, start in enumerate(starts) if float(word["x0"]) >= start - 3), default=0)
        result.cells.setdefault(COLUMNS[index], []).append(str(word["text"]))
    return result


def _fold_wraps(lines: list[_Line], page: int) -> list[_Line]:
    anchors = [line for line in lines if set(line.cells) - {"reason"}]
    for line in lines:
        if set(line.cells) == {"reason"}:
            nearest = min(anchors, key=lambda a: abs(a.top - line.top), default=None)
            if nearest is None or abs(nearest.top - line.top) > WRAP_DISTANCE:
                raise SchemaDrift(f"{KIND}: page {page} has a reason line with no row near it")
            nearest.reasons.append((line.top, line.cell("reason")))
    for anchor in anchors:
        if anchor.reasons:
            anchor.reasons.append((anchor.top, anchor.cell("reason")))
            anchor.cells["reason"] = [text for _, text in sorted(anchor.reasons) if text]
    return anchors


def _rows(lines: list[_Line], report_et: datetime) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    day: date | None = None
    clock: str | None = None
    matchup: tuple[str, str] | None = None
    team: tuple[str, str] | None = None
    for line in lines:
        where = f"{KIND} page {line.page}"
        if text := line.cell("game_date"):
            try:
                day = datetime.strptime(text, "%m/%d/%Y").date()  # noqa: DTZ007 - a calendar date
            except ValueError:
                raise SchemaDrift(f"{where}: game date {text!r} is not MM/DD/YYYY") from None
        if text := line.cell("game_time"):
            if _TIME.match(text) is None:
                raise SchemaDrift(f"{where}: game time {text!r} is not 'HH:MM (ET)'")
            clock = text
        if text := line.cell("matchup"):
            found = _MATCHUP.match(text)
            if found is None:
                raise SchemaDrift(f"{where}: matchup {text!r} is not AAA@BBB")
            matchup, team = (found.group(1), found.group(2)), None
        if text := line.cell("team"):
            try:
                team = (tricode_from_name(text), text)
            except UnknownTeam:
                raise SchemaDrift(f"{where}: team {text!r} is not an NBA franchise") from None
        if day is None or clock is None or matchup is None or team is None:
            raise SchemaDrift(f"{where}: a row before its game date, time, matchup or team")
        if team[0] not in matchup:
            raise SchemaDrift(f"{where}: team {team[1]} does not play in {matchup[0]}@{matchup[1]}")
        rows.append(_row(line, report_et, day=day, clock=clock, matchup=matchup, team=team))
    return rows


def _row(
    line: _Line,
    report_et: datetime,
    *,
    day: date,
    clock: str,
    matchup: tuple[str, str],
    team: tuple[str, str],
) -> dict[str, object]:
    where = f"{KIND} page {line.page}"
    player, status, reason = line.cell("player"), line.cell("status"), line.cell("reason")
    if not player and not status and reason == NOT_SUBMITTED:
        status, reason = NOT_SUBMITTED, ""
    elif status not in STATUSES:
        raise SchemaDrift(f"{where}: status {status!r} of {player!r} is not a known status")
    elif "," not in player:
        raise SchemaDrift(f"{where}: player name {player!r} is not 'Last, First'")
    display = last_first_to_display(player) if player else None
    tip = _tip(day, clock)
    return {
        "source": "nbacom",
        "kind": KIND,
        "report_time_et": report_et.isoformat(),
        "report_time_utc": report_et.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "game_date": day.isoformat(),
        "season": season_of(day),
        "game_time_et": clock.removesuffix(" (ET)"),
        "tip_utc": tip.isoformat().replace("+00:00", "Z"),
        "matchup": f"{matchup[0]}@{matchup[1]}",
        "away_team": matchup[0],
        "home_team": matchup[1],
        "team": team[0],
        "team_name": team[1],
        "is_home": team[0] == matchup[1],
        "player_name_source": player or None,
        "player_name": display,
        "player_lookup": player_lookup(display) if display else None,
        "status": status,
        "reason": reason or None,
        "reason_category": reason.split(" - ", 1)[0] if reason else None,
        "page": line.page,
    }


def _tip(day: date, clock: str) -> datetime:
    hour, minute = (int(part) for part in clock.removesuffix(" (ET)").split(":"))
    hour24 = hour + 12 if 1 <= hour <= 10 else hour
    if not (0 <= hour24 <= 23 and 0 <= minute <= 59):
        raise SchemaDrift(f"{KIND}: game time {clock!r} is not a time of day")
    return datetime(day.year, day.month, day.day, hour24, minute, tzinfo=EASTERN).astimezone(UTC)
