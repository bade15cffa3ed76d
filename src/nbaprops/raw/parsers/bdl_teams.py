"""Ball Don't Lie ``/v1/teams``: one row per franchise, mapped to NBA.com tricodes.

BDL also lists defunct franchises (ids past 30, no conference); those rows keep ``team`` null
rather than failing the page, because they never appear in current games. A current id whose
abbreviation disagrees with our map is drift: the id space moved under us.
"""

from __future__ import annotations

from typing import Any

from nbaprops.errors import SchemaDrift
from nbaprops.identity import UnknownTeam, tricode_from_bdl_id
from nbaprops.raw.parsers.oddsa_events_his import field, integer, items, load_json, text
from nbaprops.raw.registry import Row

KIND = "bdl_teams"
DESCRIPTION = "Ball Don't Lie teams: one row per franchise with its NBA.com tricode"
SOURCE = "bdl"
TEAM_KEYS = ("id", "conference", "division", "city", "name", "full_name", "abbreviation")


def parse(payload: bytes) -> list[Row]:
    """One row per team of the ``data`` list; a repeated id is drift."""
    document = load_json(KIND, payload)
    rows = [_team(entry, f"data[{i}]") for i, entry in enumerate(items(KIND, document, "data", "payload"))]
    ids = [row["team_source_id"] for row in rows]
    if len(set(ids)) != len(ids):
        raise SchemaDrift(f"{KIND}: a team id appears twice")
    return rows


def _team(entry: Any, where: str) -> Row:
    for key in TEAM_KEYS:
        field(KIND, entry, key, where)
    team_id = integer(KIND, entry, "id", where, (1, 10**6))
    abbreviation = text(KIND, entry, "abbreviation", where).strip()
    try:
        tricode: str | None = tricode_from_bdl_id(team_id)
    except UnknownTeam:
        tricode = None
    if tricode is not None and abbreviation != tricode:
        raise SchemaDrift(f"{KIND}: {where} id {team_id} is {tricode} but abbreviation says {abbreviation!r}")
    return {
        "source": SOURCE,
        "kind": KIND,
        "team_source_id": team_id,
        "team": tricode,
        "abbreviation": abbreviation,
        "city": _optional_text(entry, "city", where),
        "name": text(KIND, entry, "name", where).strip(),
        "full_name": text(KIND, entry, "full_name", where).strip(),
        "conference": _optional_text(entry, "conference", where),
        "division": _optional_text(entry, "division", where),
    }


def _optional_text(entry: Any, key: str, where: str) -> str | None:
    value = entry[key]
    if value is not None and not isinstance(value, str):
        raise SchemaDrift(f"{KIND}: {where}.{key} must be a string or null, got {value!r:.40}")
    return (value or "").strip() or None
