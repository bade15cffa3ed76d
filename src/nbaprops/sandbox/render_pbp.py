"""NBA.com liveData play-by-play of a finished simulated game, consistent with its box score.

Every field-goal attempt becomes one shot action placed in its zone (paint, mid-range, beyond the arc),
made shots add up to each player's points, and period-end scores match the line score.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from nbaprops.identity import team
from nbaprops.sandbox.model import PlayerGame, Season, SimGame
from nbaprops.sandbox.render_nbacom import FINAL_AFTER, is_final, iso_z, played

# ---------------------------------------------------------------------------------------- play-by-play
# Shot geometry in the feed's legacy units (tenths of a foot from the basket): the paint is 16 ft wide
# and 19 ft deep (its far edge 13.75 ft past the rim), the arc 23.75 ft (22 ft in the corners).
_ZONES: dict[str, tuple[str, float, float, float]] = {  # kind -> (action, min ft, max ft, max angle °)
    "paint": ("2pt", 0.5, 7.5, 90.0),
    "mid": ("2pt", 12.0, 21.0, 80.0),
    "three": ("3pt", 24.0, 27.5, 80.0),
}
_SHOT_STYLE = {
    "paint": (("Layup", "driving"), ("Dunk", "running"), ("Jump Shot", "driving floating")),
    "mid": (("Jump Shot", "pullup"), ("Jump Shot", "step back"), ("Jump Shot", "fadeaway")),
    "three": (("Jump Shot", "pullup"), ("Jump Shot", "running"), ("Jump Shot", "step back")),
}


def _shot_spot(kind: str, rng: random.Random) -> tuple[int, int, float]:
    """(xLegacy, yLegacy, distance in ft) of a shot in the zone; mid-range angles keep it off the paint."""
    _, near, far, max_angle = _ZONES[kind]
    distance = rng.uniform(near, far)
    low = 50.0 if kind == "mid" else 0.0
    angle = math.radians(rng.uniform(low, max_angle)) * rng.choice((-1, 1))
    return round(10 * distance * math.sin(angle)), round(10 * distance * abs(math.cos(angle))), distance


def shot_area(x_legacy: int, y_legacy: int) -> str:
    """NBA.com's shot-zone name for a spot in legacy units."""
    distance = math.hypot(x_legacy, y_legacy) / 10
    if y_legacy <= 92.5 and abs(x_legacy) >= 220:
        return "Left Corner 3" if x_legacy < 0 else "Right Corner 3"
    if distance >= 23.75:
        return "Above the Break 3"
    if abs(x_legacy) <= 80 and y_legacy <= 137.5:
        return "Restricted Area" if distance <= 4 else "In The Paint (Non-RA)"
    return "Mid-Range"


def _split_points(items: list[tuple[int, Any]], targets: Sequence[int], rng: random.Random) -> list[int]:
    """Assign scoring items (value, payload) to periods so each period's sum hits its line-score target.

    A randomized greedy with retries; if no exact split turns up (or the box does not add up to the
    line score), the last attempt stands and only the final score is guaranteed.
    """
    order = sorted(range(len(items)), key=lambda i: -items[i][0])
    best: list[int] = [0] * len(items)
    for _ in range(200):
        left = list(targets)
        assigned = [0] * len(items)
        rng.shuffle(order)
        order.sort(key=lambda i: -items[i][0])
        for i in order:
            value = items[i][0]
            fits = [p for p, room in enumerate(left) if room >= value] or list(range(len(left)))
            period = rng.choices(fits, weights=[max(left[p], 1) for p in fits])[0]
            assigned[i] = period
            left[period] -= value
        best = assigned
        if not any(left):
            break
    return best


def _pbp_events(season: Season, game: SimGame, rng: random.Random) -> list[tuple[float, int, dict[str, Any]]]:
    """Every shot and free throw as (elapsed seconds, period, facts), before scores are run."""
    events: list[tuple[float, int, dict[str, Any]]] = []
    lengths = [720] * 4 + [300] * (game.periods - 4)
    starts = [sum(lengths[:i]) for i in range(game.periods)]
    for tricode, targets in ((game.home, game.home_periods), (game.away, game.away_periods)):
        attempts: list[tuple[int, dict[str, Any]]] = []
        own = sorted((x for x in played(season, game) if x.team == tricode), key=lambda x: x.player_id)
        for line in own:
            for kind, made, tried in (
                ("paint", line.paint_fgm, line.paint_fga),
                ("mid", line.mid_fgm, line.mid_fga),
                ("three", line.fg3m, line.fg3a),
                ("ft", line.ftm, line.fta),
            ):
                value = 1 if kind == "ft" else 3 if kind == "three" else 2
                attempts += [
                    (value if i < made else 0, {"line": line, "kind": kind, "made": i < made})
                    for i in range(tried)
                ]
        scoring = [a for a in attempts if a[0]]
        periods = _split_points(scoring, targets, rng)
        placed = [(p, a[1]) for p, a in zip(periods, scoring, strict=True)]
        placed += [(rng.choices(range(game.periods), weights=lengths)[0], a[1]) for a in attempts if not a[0]]
        trips: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
        for period, facts in placed:
            if facts["kind"] == "ft":
                trips[(period, facts["line"].player_id)].append(facts)
                continue
            events.append((starts[period] + rng.uniform(1, lengths[period] - 1), period, facts))
        for (period, _), shots in sorted(trips.items(), key=lambda kv: kv[0]):
            for k in range(0, len(shots), 2):
                trip = shots[k : k + 2]
                clock = starts[period] + rng.uniform(1, lengths[period] - 1)
                for n, facts in enumerate(trip, start=1):
                    events.append((clock + n / 100, period, facts | {"trip": f"{n} of {len(trip)}"}))
    events.sort(key=lambda e: (e[0], e[2]["line"].player_id))
    return events


def _pbp_clock(seconds_left: float) -> str:
    minutes, seconds = divmod(max(seconds_left, 0.0), 60)
    return f"PT{int(minutes):02d}M{seconds:05.2f}S"


def playbyplay_payload(season: Season, now: datetime, game_id: str) -> dict[str, Any] | None:
    """The CDN liveData play-by-play of a final game, built deterministically from its box score.

    One action per field-goal and free-throw attempt (paint attempts land in the paint, mid-range
    outside it, threes beyond the arc), plus period start/end and "Game End". Made shots sum to each
    player's points and period-end scores follow the line score. None if the game is unknown or not
    final at ``now``.
    """
    game = season.game_by_id.get(game_id)
    if game is None or not is_final(game, now):
        return None
    rng = random.Random(f"pbp-{season.seed}-{game_id}")  # noqa: S311 - simulation, not security
    actions: list[dict[str, Any]] = []
    score = {game.home: 0, game.away: 0}
    points: dict[int, int] = defaultdict(int)

    def add(
        elapsed: float,
        period: int,
        action_type: str,
        sub_type: str,
        description: str,
        *,
        extra: Mapping[str, Any] | None = None,
        person: int = 0,
    ) -> None:
        length = 720 if period < 4 else 300
        period_start = 720 * min(period, 4) + 300 * max(period - 4, 0)
        moment = game.tip_utc + timedelta(seconds=elapsed * 1.7)
        action: dict[str, Any] = {
            "actionNumber": len(actions) + 1,
            "clock": _pbp_clock(period_start + length - elapsed),
            "timeActual": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-5] + "Z",
            "period": period + 1,
            "periodType": "REGULAR" if period < 4 else "OVERTIME",
            "actionType": action_type,
            "subType": sub_type,
            "qualifiers": [],
            "personId": person,
            "x": None,
            "y": None,
            "possession": 0,
            "scoreHome": str(score[game.home]),
            "scoreAway": str(score[game.away]),
            "edited": iso_z(moment),
            "orderNumber": (len(actions) + 1) * 10000,
            "isTargetScoreLastPeriod": False,
            "xLegacy": None,
            "yLegacy": None,
            "isFieldGoal": 0,
            "side": None,
            "description": description,
            "personIdsFilter": [person] if person else [],
        }
        actions.append(action | dict(extra or {}))

    events = _pbp_events(season, game, rng)
    for period in range(game.periods):
        start = 720 * min(period, 4) + 300 * max(period - 4, 0)
        add(start, period, "period", "start", "Period Start")
        for elapsed, _, facts in (e for e in events if e[1] == period):
            line: PlayerGame = facts["line"]
            player, t = season.player_by_id[line.player_id], team(line.team)
            short = f"{player.first_name[:1]}. {player.last_name}"
            made, kind = facts["made"], facts["kind"]
            if made:
                gained = 1 if kind == "ft" else 3 if kind == "three" else 2
                score[line.team] += gained
                points[line.player_id] += gained
            extra: dict[str, Any] = {
                "teamId": t.nba_id,
                "teamTricode": t.tricode,
                "possession": t.nba_id,
                "shotResult": "Made" if made else "Missed",
                "playerName": player.last_name,
                "playerNameI": short,
            }
            if made:
                extra["pointsTotal"] = points[line.player_id]
            tail = f" ({points[line.player_id]} PTS)" if made else ""
            miss = "" if made else "MISS "
            if kind == "ft":
                add(
                    elapsed,
                    period,
                    "freethrow",
                    facts["trip"],
                    f"{miss}{short} Free Throw {facts['trip']}{tail}",
                    extra=extra,
                    person=line.player_id,
                )
                continue
            x_legacy, y_legacy, distance = _shot_spot(kind, rng)
            sub_type, descriptor = rng.choice(_SHOT_STYLE[kind])
            side = "left" if (line.team == game.home) == (period in (0, 1) or period >= 4) else "right"
            along = (5.25 + y_legacy / 10) / 94 * 100
            extra |= {
                "descriptor": descriptor,
                "area": shot_area(x_legacy, y_legacy),
                "areaDetail": f"{int(distance // 8) * 8}-{int(distance // 8) * 8 + 8} ft",
                "shotDistance": round(distance, 2),
                "isFieldGoal": 1,
                "side": side,
                "x": along if side == "left" else 100 - along,
                "y": 50 + x_legacy / 5 if side == "left" else 50 - x_legacy / 5,
                "xLegacy": x_legacy,
                "yLegacy": y_legacy,
                "qualifiers": ["pointsinthepaint"] if kind == "paint" else [],
            }
            label = "3PT" if kind == "three" else sub_type
            add(
                elapsed,
                period,
                _ZONES[kind][0],
                sub_type,
                f"{miss}{short} {round(distance)}' {descriptor} {label}{tail}",
                extra=extra,
                person=line.player_id,
            )
        add(start + (720 if period < 4 else 300), period, "period", "end", "Period End")
    add(720 * 4 + 300 * (game.periods - 4), game.periods - 1, "game", "end", "Game End")
    return {
        "meta": {
            "version": 1,
            "code": 200,
            "request": f"http://nba.cloud/games/{game_id}/playbyplay?Format=json",
            "time": (game.tip_utc + FINAL_AFTER).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        },
        "game": {"gameId": game_id, "actions": actions},
    }
