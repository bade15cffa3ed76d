"""The Odds API events list, historical (``{timestamp, …, data:[event…]}``) or live (a bare array).

One row per event: its id, UTC tip, ET game date and both teams as NBA.com tricodes. The historical
envelope also gives the snapshot time, and each row says whether the game had already started at
that moment (such events carry in-play odds, not closing lines).

An empty ``data`` list is a legitimate answer (a snapshot with no open games, e.g. in the off-season)
and parses to no rows. This module also holds the JSON and envelope readers the other Odds API
parsers share.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nbaprops.dates import game_date_of, season_of
from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.identity import UnknownTeam, tricode_from_name
from nbaprops.raw.registry import Row, maybe_gunzip, refuse_api_error

KIND = "oddsa_events_his"
DESCRIPTION = "The Odds API events list (historical snapshot envelope or live array): one row per event"
SOURCE = "oddsapi"
SPORT_KEY = "basketball_nba"
ENVELOPE_KEYS = ("timestamp", "previous_timestamp", "next_timestamp", "data")
EVENT_KEYS = ("id", "sport_key", "commence_time", "home_team", "away_team")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """When a historical response was taken; all ``None`` for a live response."""

    timestamp: datetime | None = None
    previous: datetime | None = None
    next: datetime | None = None


def load_json(kind: str, payload: bytes) -> Any:
    """Decode a payload (gzip accepted) as strict JSON, or raise ``PayloadError`` naming ``kind``."""
    data = maybe_gunzip(payload, kind)
    if data.lstrip()[:1] == b"<":
        raise PayloadError(f"{kind}: got an HTML/XML page instead of JSON")
    try:
        document = json.loads(data, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise PayloadError(f"{kind}: not valid JSON ({exc})") from None
    refuse_api_error(document, kind)
    return document


def _reject_constant(name: str) -> None:
    raise ValueError(f"non-standard JSON constant {name}")


def field(kind: str, obj: object, key: str, where: str) -> Any:
    """``obj[key]``; ``SchemaDrift`` when ``obj`` is not an object or lacks ``key``."""
    if not isinstance(obj, dict):
        raise SchemaDrift(f"{kind}: {where} is {type(obj).__name__}, expected an object")
    if key not in obj:
        raise SchemaDrift(f"{kind}: field {where}.{key} is missing (renamed or dropped)")
    return obj[key]


def text(kind: str, obj: object, key: str, where: str) -> str:
    """A required non-empty string field."""
    value = field(kind, obj, key, where)
    if not isinstance(value, str) or not value.strip():
        raise SchemaDrift(f"{kind}: {where}.{key} must be a non-empty string, got {value!r:.40}")
    return value


def number(kind: str, obj: object, key: str, where: str) -> float:
    """A required JSON number (int or float, never a boolean)."""
    value = field(kind, obj, key, where)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaDrift(f"{kind}: {where}.{key} must be a number, got {value!r:.40}")
    return float(value)


def integer(kind: str, obj: object, key: str, where: str, bounds: tuple[int, int] = (0, 10**12)) -> int:
    """A required JSON integer within ``bounds`` (inclusive; out of range is an absurd value: drift)."""
    low, high = bounds
    value = field(kind, obj, key, where)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SchemaDrift(f"{kind}: {where}.{key} must be an integer, got {value!r:.40}")
    if not low <= value <= high:
        raise SchemaDrift(f"{kind}: {where}.{key} = {value} is outside {low}..{high}")
    return value


def optional_number(kind: str, obj: object, key: str, where: str) -> float | None:
    """A JSON number or ``null`` (the key itself must be present)."""
    return None if field(kind, obj, key, where) is None else number(kind, obj, key, where)


def items(kind: str, obj: object, key: str, where: str) -> list[Any]:
    """A required JSON array field."""
    value = field(kind, obj, key, where)
    if not isinstance(value, list):
        raise SchemaDrift(f"{kind}: {where}.{key} must be an array, got {type(value).__name__}")
    return value


def timestamp(kind: str, obj: object, key: str, where: str) -> datetime:
    """A required ISO-8601 time with a zone, as an aware UTC datetime."""
    value = field(kind, obj, key, where)
    if not isinstance(value, str):
        raise SchemaDrift(f"{kind}: {where}.{key} must be an ISO time string, got {value!r:.40}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise SchemaDrift(f"{kind}: {where}.{key} is not an ISO time: {value!r:.40}") from None
    if parsed.tzinfo is None:
        raise SchemaDrift(f"{kind}: {where}.{key} has no time zone: {value!r:.40}")
    return parsed.astimezone(UTC)


def optional_timestamp(kind: str, obj: object, key: str, where: str) -> datetime | None:
    """Like ``timestamp`` but JSON ``null`` (the key itself must be present) gives ``None``."""
    return None if field(kind, obj, key, where) is None else timestamp(kind, obj, key, where)


def iso_utc(moment: datetime | None) -> str | None:
    """An aware datetime as ISO-8601 UTC with a ``Z`` suffix."""
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def unwrap(kind: str, document: Any, data_type: type) -> tuple[Snapshot, Any]:
    """Split a historical envelope into its snapshot and ``data``; a bare live payload passes through.

    ``data_type`` is ``list`` for event lists and ``dict`` for one event's odds.
    """
    looks_enveloped = isinstance(document, dict) and any(key in document for key in ENVELOPE_KEYS)
    if isinstance(document, data_type) and not looks_enveloped:
        return Snapshot(), document
    for key in ENVELOPE_KEYS:
        field(kind, document, key, "envelope")
    snapshot = Snapshot(
        timestamp(kind, document, "timestamp", "envelope"),
        optional_timestamp(kind, document, "previous_timestamp", "envelope"),
        optional_timestamp(kind, document, "next_timestamp", "envelope"),
    )
    data = document["data"]
    if not isinstance(data, data_type):
        raise SchemaDrift(f"{kind}: envelope.data must be {data_type.__name__}, got {type(data).__name__}")
    return snapshot, data


def event_fields(kind: str, event: object, where: str, snapshot: Snapshot) -> Row:
    """The columns every Odds API row of one event carries (ids, tip, ET date, teams, snapshot)."""
    for key in EVENT_KEYS:
        field(kind, event, key, where)
    sport = text(kind, event, "sport_key", where)
    if sport != SPORT_KEY:
        raise SchemaDrift(f"{kind}: {where}.sport_key is {sport!r}, expected {SPORT_KEY!r}")
    tip = timestamp(kind, event, "commence_time", where)
    home_name = text(kind, event, "home_team", where)
    away_name = text(kind, event, "away_team", where)
    try:
        home, away = tricode_from_name(home_name), tricode_from_name(away_name)
    except UnknownTeam as exc:
        raise SchemaDrift(f"{kind}: {where} names an unknown team {exc.args[0]!r}") from None
    if home == away:
        raise SchemaDrift(f"{kind}: {where} has {home} on both sides")
    game_date = game_date_of(tip)
    return {
        "source": SOURCE,
        "kind": kind,
        "event_id": text(kind, event, "id", where),
        "commence_time": iso_utc(tip),
        "game_date": game_date.isoformat(),
        "season": season_of(game_date),
        "home_team": home,
        "away_team": away,
        "home_team_name": home_name,
        "away_team_name": away_name,
        "snapshot_timestamp": iso_utc(snapshot.timestamp),
        "previous_timestamp": iso_utc(snapshot.previous),
        "next_timestamp": iso_utc(snapshot.next),
        "started_before_snapshot": None if snapshot.timestamp is None else tip <= snapshot.timestamp,
    }


def parse(payload: bytes) -> list[Row]:
    """One row per event of an events list (historical envelope or live array)."""
    snapshot, events = unwrap(KIND, load_json(KIND, payload), list)
    rows = [event_fields(KIND, event, f"data[{i}]", snapshot) for i, event in enumerate(events)]
    ids = [row["event_id"] for row in rows]
    if len(set(ids)) != len(ids):
        raise SchemaDrift(f"{KIND}: the events list repeats an event id")
    return rows
