"""ESPN site API ``scoreboard?dates=YYYYMMDD``: one row per event (game).

ESPN dates events in UTC, so an evening tip shows the next day ("2024-01-16T00:30Z"); ``game_date``
is the US/Eastern date of the tip. Scores are strings and linescore values floats: both become ints.
Teams keep ESPN's abbreviation (``NO NY WSH SA GS UTAH``) beside the NBA.com tricode. When a team
has linescores, they must add up to its score; quarters 1-4 are columns and overtimes are summed
into ``*_ot``, with ``periods`` the number of periods played. Each side's points leader (from
``leaders``) is kept when ESPN lists one.

An empty ``events`` list is legitimate (a date without games) and parses to no rows.
"""

from __future__ import annotations

from typing import Any

from nbaprops.dates import game_date_of, season_of, season_start_year
from nbaprops.errors import SchemaDrift
from nbaprops.identity import UnknownTeam, player_lookup, tricode_from_espn
from nbaprops.raw.parsers.oddsa_events_his import (
    field,
    integer,
    iso_utc,
    items,
    load_json,
    number,
    text,
    timestamp,
)
from nbaprops.raw.registry import Row

KIND = "espn_scoreboard_api"
DESCRIPTION = "ESPN scoreboard by date: one row per game with ET date, tricodes, scores and quarters"
SOURCE = "espn"
EVENT_KEYS = ("id", "date", "name", "shortName", "season", "competitions", "status")
STATUS_KEYS = ("period", "type")
COMPETITOR_KEYS = ("id", "homeAway", "team", "score")
SIDES = ("home", "away")


def parse(payload: bytes) -> list[Row]:
    """One row per scoreboard event."""
    document = load_json(KIND, payload)
    rows = [
        _event(event, f"events[{i}]") for i, event in enumerate(items(KIND, document, "events", "payload"))
    ]
    ids = [row["source_game_id"] for row in rows]
    if len(set(ids)) != len(ids):
        raise SchemaDrift(f"{KIND}: an event id appears twice")
    return rows


def _event(event: Any, where: str) -> Row:
    for key in EVENT_KEYS:
        field(KIND, event, key, where)
    tip = timestamp(KIND, event, "date", where)
    day = game_date_of(tip)
    season = field(KIND, event, "season", where)
    espn_year = integer(KIND, season, "year", f"{where}.season", (1946, 2100))
    # ESPN names a season by the year it ends in.
    if espn_year != season_start_year(day) + 1:
        raise SchemaDrift(f"{KIND}: {where}.season.year {espn_year} does not match game date {day}")
    status = field(KIND, event, "status", where)
    for key in STATUS_KEYS:
        field(KIND, status, key, f"{where}.status")
    status_type = field(KIND, status, "type", f"{where}.status")
    completed = field(KIND, status_type, "completed", f"{where}.status.type")
    if not isinstance(completed, bool):
        raise SchemaDrift(f"{KIND}: {where}.status.type.completed must be a boolean")
    competitions = items(KIND, event, "competitions", where)
    if len(competitions) != 1:
        raise SchemaDrift(f"{KIND}: {where} has {len(competitions)} competitions, expected 1")
    event_id = text(KIND, event, "id", where)
    if not event_id.isdigit():
        raise SchemaDrift(f"{KIND}: {where}.id {event_id!r:.20} is not numeric")
    row: Row = {
        "source": SOURCE,
        "kind": KIND,
        "game_id": None,
        "source_game_id": event_id,
        "game_date": day.isoformat(),
        "season": season_of(day),
        "season_type": integer(KIND, season, "type", f"{where}.season", (1, 9)),
        "tip_utc": iso_utc(tip),
        "name": text(KIND, event, "name", where),
        "short_name": text(KIND, event, "shortName", where),
        "status": text(KIND, status_type, "name", f"{where}.status.type"),
        "completed": completed,
        "period": integer(KIND, status, "period", f"{where}.status", (0, 20)),
    }
    sides = _competitors(competitions[0], f"{where}.competitions[0]", completed)
    periods = [row["period"]]
    for side in SIDES:
        side_row, played = sides[side]
        row |= side_row
        periods.append(played)
    if row["home_team"] == row["away_team"]:
        raise SchemaDrift(f"{KIND}: {where} has {row['home_team']} on both sides")
    row["periods"] = max(periods)
    return row


def _competitors(competition: Any, where: str, completed: bool) -> dict[str, tuple[Row, int]]:
    competitors = items(KIND, competition, "competitors", where)
    out: dict[str, tuple[Row, int]] = {}
    for c, competitor in enumerate(competitors):
        here = f"{where}.competitors[{c}]"
        for key in COMPETITOR_KEYS:
            field(KIND, competitor, key, here)
        side = text(KIND, competitor, "homeAway", here)
        if side not in SIDES or side in out:
            raise SchemaDrift(f"{KIND}: {here}.homeAway {side!r} is unexpected or repeated")
        out[side] = _side(competitor, side, here, completed)
    if len(out) != 2:
        raise SchemaDrift(f"{KIND}: {where} has {len(competitors)} competitors, expected home and away")
    return out


def _side(competitor: Any, side: str, where: str, completed: bool) -> tuple[Row, int]:
    team = field(KIND, competitor, "team", where)
    abbr = text(KIND, team, "abbreviation", f"{where}.team")
    try:
        tricode = tricode_from_espn(abbr)
    except UnknownTeam:
        raise SchemaDrift(f"{KIND}: {where}.team.abbreviation {abbr!r} is not an NBA team") from None
    score_text = text(KIND, competitor, "score", where)
    if not score_text.isdigit() or int(score_text) > 300:
        raise SchemaDrift(f"{KIND}: {where}.score {score_text!r:.20} is not a points total")
    score = int(score_text)
    raw_lines = (
        field(KIND, competitor, "linescores", where) if completed else competitor.get("linescores", [])
    )
    if not isinstance(raw_lines, list) or (completed and len(raw_lines) < 4):
        raise SchemaDrift(f"{KIND}: {where}.linescores must list every period of a completed game")
    lines = [_points(line, f"{where}.linescores[{i}]") for i, line in enumerate(raw_lines)]
    if lines and sum(lines) != score:
        raise SchemaDrift(f"{KIND}: {where} linescores add up to {sum(lines)}, not the score {score}")
    quarters = lines[:4] + [None] * (4 - len(lines[:4]))
    leader, leader_pts = _points_leader(competitor, where, completed)
    row: Row = {
        f"{side}_team": tricode,
        f"{side}_abbr": abbr,
        f"{side}_team_source_id": text(KIND, team, "id", f"{where}.team"),
        f"{side}_team_name": text(KIND, team, "displayName", f"{where}.team"),
        f"{side}_score": score,
        **{f"{side}_q{n}": quarters[n - 1] for n in range(1, 5)},
        f"{side}_ot": sum(lines[4:]) if len(lines) > 4 else (0 if lines else None),
        f"{side}_points_leader": leader,
        f"{side}_points_leader_lookup": None if leader is None else player_lookup(leader),
        f"{side}_points_leader_pts": leader_pts,
    }
    return row, len(lines)


def _points(line: Any, where: str) -> int:
    value = number(KIND, line, "value", where)
    if not (value.is_integer() and 0 <= value <= 100):
        raise SchemaDrift(f"{KIND}: {where}.value {value} is not a period's points")
    return int(value)


def _points_leader(competitor: Any, where: str, completed: bool) -> tuple[str | None, int | None]:
    """The side's top scorer from ``leaders``; required for a completed game, absent before tip-off."""
    categories = field(KIND, competitor, "leaders", where) if completed else competitor.get("leaders", [])
    if not isinstance(categories, list):
        raise SchemaDrift(f"{KIND}: {where}.leaders must be an array")
    for category in categories:
        if isinstance(category, dict) and category.get("name") == "points":
            leaders = items(KIND, category, "leaders", f"{where}.leaders.points")
            if not leaders:
                break
            athlete = field(KIND, leaders[0], "athlete", f"{where}.leaders.points[0]")
            value = number(KIND, leaders[0], "value", f"{where}.leaders.points[0]")
            if not (value.is_integer() and 0 <= value <= 120):
                raise SchemaDrift(f"{KIND}: {where} points leader value {value} is absurd")
            return text(KIND, athlete, "displayName", f"{where}.leaders.points[0].athlete"), int(value)
    if completed:
        raise SchemaDrift(f"{KIND}: {where}.leaders has no points leader for a completed game")
    return None, None
