"""Ball Don't Lie ``/v1/players/active`` (one cursor page): one row per player with his team.

Heights stay as BDL writes them ("6-8"); weights are pounds as text in the payload and become
integers here. Draft fields are null for undrafted players. A player whose team id is not a current
franchise (BDL also numbers defunct ones, past 30, and ``/v1/teams`` lists them) keeps his row with
``team`` null and the id in ``team_source_id``: one such player must not cost the rest of the page.
A player listed twice on one page or a weight outside 100..450 lb is drift.
"""

from __future__ import annotations

from typing import Any

from nbaprops.errors import SchemaDrift
from nbaprops.identity import UnknownTeam, player_lookup, tricode_from_bdl_id
from nbaprops.raw.parsers.oddsa_events_his import field, integer, items, load_json, text
from nbaprops.raw.registry import Row

KIND = "bdl_players"
DESCRIPTION = "Ball Don't Lie active players (one cursor page): one row per player with team and bio"
SOURCE = "bdl"
PLAYER_KEYS = (
    "id",
    "first_name",
    "last_name",
    "position",
    "height",
    "weight",
    "jersey_number",
    "college",
    "country",
    "draft_year",
    "draft_round",
    "draft_number",
    "team",
)
WEIGHT_LB = (100, 450)


def parse(payload: bytes) -> list[Row]:
    """One row per player of the page; ``next_cursor`` is read by the fetcher, not stored."""
    document = load_json(KIND, payload)
    field(KIND, document, "meta", "payload")
    rows = [_player(entry, f"data[{i}]") for i, entry in enumerate(items(KIND, document, "data", "payload"))]
    ids = [row["player_source_id"] for row in rows]
    if len(set(ids)) != len(ids):
        raise SchemaDrift(f"{KIND}: a player appears twice on one page")
    return rows


def _player(entry: Any, where: str) -> Row:
    for key in PLAYER_KEYS:
        field(KIND, entry, key, where)
    first = text(KIND, entry, "first_name", where).strip()
    last = text(KIND, entry, "last_name", where).strip()
    name = f"{first} {last}"
    team = field(KIND, entry, "team", where)
    team_id = integer(KIND, team, "id", f"{where}.team", (1, 10**6))
    try:
        tricode: str | None = tricode_from_bdl_id(team_id)
    except UnknownTeam:
        tricode = None
    return {
        "source": SOURCE,
        "kind": KIND,
        "player_source_id": integer(KIND, entry, "id", where, (1, 10**12)),
        "first_name": first,
        "last_name": last,
        "player_name": name,
        "player_lookup": player_lookup(name),
        "team": tricode,
        "team_source_id": team_id,
        "position": _optional_text(entry, "position", where),
        "height": _optional_text(entry, "height", where),
        "weight_lb": _weight(entry, where),
        "jersey_number": _optional_text(entry, "jersey_number", where),
        "college": _optional_text(entry, "college", where),
        "country": _optional_text(entry, "country", where),
        "draft_year": _optional_int(entry, "draft_year", where, (1946, 2100)),
        "draft_round": _optional_int(entry, "draft_round", where, (1, 10)),
        "draft_number": _optional_int(entry, "draft_number", where, (1, 100)),
    }


def _optional_text(entry: Any, key: str, where: str) -> str | None:
    value = entry[key]
    if value is not None and not isinstance(value, str):
        raise SchemaDrift(f"{KIND}: {where}.{key} must be a string or null, got {value!r:.40}")
    return (value or "").strip() or None


def _optional_int(entry: Any, key: str, where: str, bounds: tuple[int, int]) -> int | None:
    return None if entry[key] is None else integer(KIND, entry, key, where, bounds)


def _weight(entry: Any, where: str) -> int | None:
    value = _optional_text(entry, "weight", where)
    if value is None:
        return None
    if not value.isdigit() or not WEIGHT_LB[0] <= int(value) <= WEIGHT_LB[1]:
        raise SchemaDrift(f"{KIND}: {where}.weight {value!r:.20} is not a weight in pounds")
    return int(value)
