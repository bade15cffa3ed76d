"""Ball Don't Lie ``/v1/player_injuries``: one row per injury note on one cursor page.

``return_date`` is a month and day without a year ("Oct 1"), and each ``description`` opens with the
note's own date, also without a year ("Jul 14: …"). Neither can be resolved to a calendar date from
the payload alone, because the payload does not say when it was fetched; rows keep both texts and
their month/day numbers, and the loader, which knows the fetch time, resolves the years with
``in_force`` (the note date is the last such day on or before the fetch, the return date the first
on or after the note). The team appears only as ``player.team_id`` and becomes a tricode.
``meta.next_cursor`` (``None`` on the last page) is on every row and from ``next_cursor(payload)``.

BDL serves only the notes in force *now*: a page says nothing about any earlier day. ``in_force``
therefore files a note under the game dates from its own date to the ET date it was fetched, and
no others; a page fetched during a historical backfill lands on today's date, never on the past
date being backfilled.

An empty ``data`` list is legitimate (no injuries listed) and parses to no rows.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from nbaprops.dates import game_date_of
from nbaprops.errors import SchemaDrift
from nbaprops.identity import UnknownTeam, player_lookup, tricode_from_bdl_id
from nbaprops.raw.parsers.oddsa_events_his import field, integer, items, load_json, text
from nbaprops.raw.registry import Row

KIND = "bdl_injuries"
DESCRIPTION = "Ball Don't Lie player injuries (one cursor page): one row per player note"
SOURCE = "bdl"
ENTRY_KEYS = ("player", "return_date", "description", "status")
PLAYER_KEYS = ("id", "first_name", "last_name", "team_id")
META_KEYS = ("per_page",)  # next_cursor is left out on the last page
STATUSES = ("Out", "Day-To-Day", "Questionable", "Doubtful", "Probable")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_DAY = re.compile(r"^\s*([A-Z][a-z]{2})\s+(\d{1,2})\s*$")
_NOTE_DATE = re.compile(r"^\s*([A-Z][a-z]{2})\s+(\d{1,2}):")


def parse(payload: bytes) -> list[Row]:
    """One row per injury note, with the page's ``next_cursor`` on each."""
    document = load_json(KIND, payload)
    cursor = _cursor(document)
    rows = [
        _entry(entry, f"data[{i}]") | {"next_cursor": cursor}
        for i, entry in enumerate(items(KIND, document, "data", "payload"))
    ]
    ids = [row["player_source_id"] for row in rows]
    if len(set(ids)) != len(ids):
        raise SchemaDrift(f"{KIND}: a player appears twice on one page")
    return rows


def next_cursor(payload: bytes) -> int | None:
    """The cursor of the next page, or ``None`` when this is the last page."""
    return _cursor(load_json(KIND, payload))


def _cursor(document: Any) -> int | None:
    meta = field(KIND, document, "meta", "payload")
    for key in META_KEYS:
        field(KIND, meta, key, "meta")
    integer(KIND, meta, "per_page", "meta", (1, 1000))
    if meta.get("next_cursor") is None:
        return None
    return integer(KIND, meta, "next_cursor", "meta", (1, 10**12))


def _entry(entry: Any, where: str) -> Row:
    for key in ENTRY_KEYS:
        field(KIND, entry, key, where)
    player = field(KIND, entry, "player", where)
    here = f"{where}.player"
    for key in PLAYER_KEYS:
        field(KIND, player, key, here)
    first, last = (
        text(KIND, player, "first_name", here).strip(),
        text(KIND, player, "last_name", here).strip(),
    )
    name = f"{first} {last}"
    team_id = None if player["team_id"] is None else integer(KIND, player, "team_id", here, (1, 10**12))
    try:
        team = None if team_id is None else tricode_from_bdl_id(team_id)
    except UnknownTeam:
        raise SchemaDrift(f"{KIND}: {here}.team_id {team_id} is not an NBA team") from None
    status = text(KIND, entry, "status", where)
    if status not in STATUSES:
        raise SchemaDrift(f"{KIND}: {where}.status {status!r} is not one of {', '.join(STATUSES)}")
    description = text(KIND, entry, "description", where)
    return_text = entry["return_date"]
    if return_text is not None and not isinstance(return_text, str):
        raise SchemaDrift(f"{KIND}: {where}.return_date must be text or null, got {return_text!r:.40}")
    return_month, return_day = _month_day(_MONTH_DAY, return_text or "", f"{where}.return_date")
    note_month, note_day = _month_day(_NOTE_DATE, description, f"{where}.description")
    return {
        "source": SOURCE,
        "kind": KIND,
        "player_source_id": integer(KIND, player, "id", here, (1, 10**12)),
        "player_name": name,
        "player_lookup": player_lookup(name),
        "team": team,
        "team_source_id": team_id,
        "status": status,
        "return_date_text": return_text,
        "return_month": return_month,
        "return_day": return_day,
        "note_date_text": None if note_month is None else f"{MONTHS[note_month - 1]} {note_day}",
        "note_month": note_month,
        "note_day": note_day,
        "description": description,
    }


def _month_day(pattern: re.Pattern[str], value: str, where: str) -> tuple[int | None, int | None]:
    """("Oct", "1") -> (10, 1); text without a leading "Mon D" gives (None, None).

    A recognisable month with an impossible day ("Feb 31") is drift, not a missing date.
    """
    match = pattern.match(value)
    if match is None or match.group(1) not in MONTHS:
        if value.strip() and pattern is _MONTH_DAY:
            raise SchemaDrift(f"{KIND}: {where} {value!r:.30} is not a 'Mon D' date")
        return None, None
    month, day = MONTHS.index(match.group(1)) + 1, int(match.group(2))
    if not 1 <= day <= (29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31):
        raise SchemaDrift(f"{KIND}: {where} has no day {day} in {match.group(1)}")
    return month, day


def in_force(row: Row, fetched_at: datetime) -> Row:
    """The dated fields of a parsed note fetched at ``fetched_at`` (aware): what the loader stores.

    ``in_force_to`` is the ET date of the fetch, ``in_force_from`` the note's own date (the fetch
    date when the description carries none); ``note_date`` and ``return_date`` get their years.
    """
    fetched = game_date_of(fetched_at)
    note = _on_or_before(row["note_month"], row["note_day"], fetched)
    start = note or fetched
    return {
        "note_date": note,
        "return_date": _on_or_after(row["return_month"], row["return_day"], start),
        "in_force_from": start,
        "in_force_to": fetched,
    }


def _on_or_before(month: int | None, day: int | None, limit: date) -> date | None:
    """The last ``month``/``day`` on or before ``limit`` (Feb 29 looks back to a leap year)."""
    if month is None or day is None:
        return None
    for year in range(limit.year, limit.year - 9, -1):
        try:
            candidate = date(year, month, day)
        except ValueError:  # Feb 29 of a common year
            continue
        if candidate <= limit:
            return candidate
    return None


def _on_or_after(month: int | None, day: int | None, start: date) -> date | None:
    """The first ``month``/``day`` on or after ``start``."""
    if month is None or day is None:
        return None
    for year in range(start.year, start.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= start:
            return candidate
    return None
