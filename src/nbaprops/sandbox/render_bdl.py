"""Ball Don't Lie v1 payloads rendered from a simulated season.

Pure functions: (season, now, query) -> JSON-ready dict. The shapes follow the real captures in
tests/fixtures/real (``bdl_box_scores``: the current schema with players nested under each team
and no ``meta``; ``bdl_injuries``: cursor paging with ``meta {next_cursor, per_page}``). Names use
BDL's own spellings (``SimPlayer.bdl_first_name``), ids its own numbers (``bdl_id``). Nothing that
happens after ``now`` is visible: box scores exist only for final games, injuries come from reports
already published.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from nbaprops.dates import game_date_of, season_start_of
from nbaprops.identity import TEAMS, team
from nbaprops.sandbox.model import GAME_LENGTH, InjuryEntry, PlayerGame, Season, SimGame, SimPlayer

_PERIOD_LENGTH = GAME_LENGTH / 4
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
_ORDINALS = ("1st", "2nd", "3rd", "4th")
_Row = TypeVar("_Row")

Query = Mapping[str, Sequence[str]]  # every value of a repeated parameter ("dates[]" twice)


def is_final(game: SimGame, now: datetime) -> bool:
    """Whether the game is over at ``now`` (tip plus ``GAME_LENGTH``)."""
    return now >= game.tip_utc + GAME_LENGTH


def _month_day(day: date) -> str:
    return f"{day.strftime('%b')} {day.day}"


def _iso_millis(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def team_object(tricode: str) -> dict[str, Any]:
    """The BDL team object ({id, conference, division, city, name, full_name, abbreviation})."""
    t = team(tricode)
    return {
        "id": t.bdl_id,
        "conference": t.conference,
        "division": t.division,
        "city": t.city,
        "name": t.nickname,
        "full_name": t.full_name,
        "abbreviation": t.tricode,
    }


def player_object(player: SimPlayer, *, with_team: str | None = None) -> dict[str, Any]:
    """BDL's nested player object; ``with_team`` adds ``team_id`` (injuries) or ``team`` (players)."""
    obj: dict[str, Any] = {
        "id": player.bdl_id,
        "first_name": player.bdl_first_name,
        "last_name": player.bdl_last_name,
        "position": player.position,
        "height": player.height,
        "weight": str(player.weight),
        "jersey_number": player.jersey,
        "college": player.college,
        "country": player.country,
        "draft_year": player.draft_year,
        "draft_round": player.draft_round,
        "draft_number": player.draft_number,
    }
    if with_team == "team_id":
        obj["team_id"] = team(player.team).bdl_id
    elif with_team == "team":
        obj["team"] = team_object(player.team)
    return obj


def _pct(made: int, attempted: int) -> float | int:
    if attempted == 0:
        return 0
    value = round(made / attempted, 3)
    return int(value) if value == int(value) else value  # BDL prints 2/2 as the integer 1


def _box_row(line: PlayerGame, player: SimPlayer) -> dict[str, Any]:
    played = line.status == "played"
    return {
        "min": f"{line.minutes if played else 0:02d}",
        "fgm": line.fgm,
        "fga": line.fga,
        "fg_pct": _pct(line.fgm, line.fga),
        "fg3m": line.fg3m,
        "fg3a": line.fg3a,
        "fg3_pct": _pct(line.fg3m, line.fg3a),
        "ftm": line.ftm,
        "fta": line.fta,
        "ft_pct": _pct(line.ftm, line.fta),
        "oreb": line.oreb,
        "dreb": line.dreb,
        "reb": line.reb,
        "ast": line.ast,
        "stl": line.stl,
        "blk": line.blk,
        "turnover": line.tov,
        "pf": line.pf,
        "pts": line.pts,
        "plus_minus": line.plus_minus,
        "player": player_object(player),
    }


def game_object(season: Season, game: SimGame, now: datetime) -> dict[str, Any]:
    """A BDL game as ``/v1/games`` lists it, with line scores only as far as ``now`` has reached."""
    elapsed = now - game.tip_utc
    final = is_final(game, now)
    if final:
        done = game.periods
        status, time, period = "Final", "Final", game.periods
    elif elapsed < timedelta(0):
        done = 0
        status, time, period = game.tip_utc.strftime("%Y-%m-%dT%H:%M:%SZ"), None, 0
    else:
        # Overtime is folded into the fourth quarter until the game is final.
        period = min(4, 1 + int(elapsed / _PERIOD_LENGTH))
        done = period - 1
        status, time = f"{_ORDINALS[period - 1]} Qtr", "6:00"
    obj: dict[str, Any] = {
        "id": game.bdl_id,
        "date": game.game_date.isoformat(),
        "datetime": _iso_millis(game.tip_utc),
    }
    for side, periods in (("home", game.home_periods), ("visitor", game.away_periods)):
        for q in range(4):
            obj[f"{side}_q{q + 1}"] = periods[q] if q < done else None
        for ot in range(3):
            index = 4 + ot
            obj[f"{side}_ot{ot + 1}"] = periods[index] if index < min(done, len(periods)) else None
        obj[f"{side}_timeouts_remaining"] = (game.bdl_id + (side == "home")) % 3 if final else None
        obj[f"{side}_in_bonus"] = bool((game.bdl_id >> (side == "home")) & 1) if final else None
    obj |= {
        "season": season_start_of(season.label),
        "status": status,
        "period": period,
        "time": time,
        "postseason": False,
        "home_team_score": sum(game.home_periods[:done]),
        "visitor_team_score": sum(game.away_periods[:done]),
    }
    return obj


def _first(query: Query, *names: str) -> str | None:
    for name in names:
        values = query.get(name)
        if values:
            return values[0]
    return None


def _ints(query: Query, name: str) -> set[int]:
    return {int(v) for v in [*query.get(name, ()), *query.get(name.removesuffix("[]"), ())]}


def _page(
    rows: Sequence[_Row], key: Callable[[_Row], int], query: Query, render: Callable[[_Row], dict[str, Any]]
) -> dict[str, Any]:
    """Cursor paging as BDL does it: the cursor is the last id served; ``next_cursor`` only if more."""
    per_page = min(MAX_PER_PAGE, max(1, int(_first(query, "per_page") or DEFAULT_PER_PAGE)))
    cursor = _first(query, "cursor")
    ordered = sorted(rows, key=key)
    if cursor is not None:
        after = int(cursor)
        ordered = [r for r in ordered if key(r) > after]
    page = ordered[:per_page]
    meta: dict[str, Any] = {"per_page": per_page}
    if len(ordered) > per_page:
        meta = {"next_cursor": key(page[-1]), "per_page": per_page}
    return {"data": [render(r) for r in page], "meta": meta}


def teams_payload() -> dict[str, Any]:
    """``/v1/teams``: the 30 franchises."""
    return {"data": [team_object(t.tricode) for t in sorted(TEAMS, key=lambda t: t.bdl_id)]}


def games_payload(season: Season, now: datetime, query: Query) -> dict[str, Any]:
    """``/v1/games`` with ``dates[]``, ``seasons[]``, ``team_ids[]``, ``start_date``/``end_date``, paging."""
    dates = {date.fromisoformat(v) for v in [*query.get("dates[]", ()), *query.get("dates", ())]}
    seasons = _ints(query, "seasons[]")
    team_ids = _ints(query, "team_ids[]")
    start, end = _first(query, "start_date"), _first(query, "end_date")
    this_season = season_start_of(season.label)
    games = [
        g
        for g in season.games
        if (not dates or g.game_date in dates)
        and (not seasons or this_season in seasons)
        and (not team_ids or {team(g.home).bdl_id, team(g.away).bdl_id} & team_ids)
        and (start is None or g.game_date >= date.fromisoformat(start))
        and (end is None or g.game_date <= date.fromisoformat(end))
    ]

    def render(game: SimGame) -> dict[str, Any]:
        return game_object(season, game, now) | {
            "home_team": team_object(game.home),
            "visitor_team": team_object(game.away),
        }

    return _page(games, lambda g: g.bdl_id, query, render)


def box_scores_payload(season: Season, now: datetime, game_date: date) -> dict[str, Any]:
    """``/v1/box_scores?date=``: final games of that date, every roster player present (DNP "00")."""
    data = []
    for game in season.games_by_date.get(game_date, []):
        if not is_final(game, now):
            continue
        lines = season.box_by_game.get(game.game_id, [])
        obj = game_object(season, game, now)
        for side, tricode in (("home_team", game.home), ("visitor_team", game.away)):
            rows = [
                _box_row(line, season.player_by_id[line.player_id])
                for line in sorted(lines, key=lambda ln: (not ln.starter, -ln.seconds, ln.player_id))
                if line.team == tricode
            ]
            obj[side] = team_object(tricode) | {"players": rows}
        data.append(obj)
    return {"data": data}


def _current_injuries(season: Season, now: datetime) -> list[tuple[InjuryEntry, date]]:
    """Each player's latest listing among published reports; a report covering his team clears him."""
    current: dict[int, tuple[InjuryEntry, date]] = {}
    for report in season.injury_reports:
        if report.published_utc > now:
            break
        games = [g for day in report.game_dates for g in season.games_by_date.get(day, [])]
        covered = {side for g in games for side in (g.home, g.away)}
        current = {pid: item for pid, item in current.items() if item[0].team not in covered}
        day = game_date_of(report.published_utc)
        for entry in report.entries:
            if entry.status != "Available":
                current[entry.player_id] = (entry, day)
    return list(current.values())


def _injury_row(season: Season, entry: InjuryEntry, day: date) -> dict[str, Any]:
    player = season.player_by_id[entry.player_id]
    out = entry.status == "Out"
    reason = entry.reason.partition(" - ")[2] or entry.reason
    detail = reason.split(";")[0].strip().lower() or "undisclosed"
    weeks = 1 + entry.player_id % 4
    returns = day + (timedelta(weeks=weeks) if out else timedelta(days=1))
    verdict = "has been ruled out" if out else f"is listed as {entry.status.lower()}"
    return {
        "player": player_object(player, with_team="team_id"),
        "return_date": _month_day(returns),
        "description": (
            f"{_month_day(day)}: {player.bdl_last_name} ({detail}) {verdict} for "
            f"{team(entry.team).full_name}' next game."
        ),
        "status": "Out" if out else "Day-To-Day",
    }


def injuries_payload(season: Season, now: datetime, query: Query) -> dict[str, Any]:
    """``/v1/player_injuries``: the league's current injury list at ``now``, cursor-paged."""
    team_ids = _ints(query, "team_ids[]")
    items = [
        (entry, day)
        for entry, day in _current_injuries(season, now)
        if not team_ids or team(entry.team).bdl_id in team_ids
    ]
    return _page(
        items,
        lambda item: season.player_by_id[item[0].player_id].bdl_id,
        query,
        lambda item: _injury_row(season, *item),
    )


def active_players_payload(season: Season, query: Query) -> dict[str, Any]:
    """``/v1/players/active``: rostered players with their team object, ``team_ids[]`` filter, paging."""
    team_ids = _ints(query, "team_ids[]")
    players = [p for p in season.players if not team_ids or team(p.team).bdl_id in team_ids]
    return _page(players, lambda p: p.bdl_id, query, lambda p: player_object(p, with_team="team"))
