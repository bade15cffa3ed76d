"""NBA.com liveData play-by-play: one row per scoring-relevant action (shot attempts and free throws).

Actions are ordered by ``orderNumber``; ``actionNumber`` has gaps and is not monotonic. Each field-
goal attempt ("2pt"/"3pt") and free throw becomes a row with a shot ``zone``:

* ``three``: every "3pt" attempt; ``free_throw``: every "freethrow";
* for a "2pt" attempt, NBA.com's own ``area`` decides when present: "Restricted Area" and
  "In The Paint (Non-RA)" are ``paint``, any other area is ``mid_range``;
* without an area, the legacy coordinates decide (tenths of a foot from the rim; the paint is
  16 ft wide and reaches 19 ft from the baseline, the rim sits 5.25 ft in): ``paint`` when
  |xLegacy| <= 80 and yLegacy <= 137.5;
* without coordinates either, a "Layup"/"Dunk"/"Hook"/"Tip" sub-type or descriptor means ``paint``,
  anything else ``mid_range``.

The running score is checked: every team is on one side (home/away) only, and the points of the
made actions of each side add up to the final ``scoreHome``/``scoreAway``. ``summarize`` counts all
actions (per period and per type) and reads the score at every period end. A game with no actions
yet (before tip) is a legitimate empty result.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from nbaprops.errors import SchemaDrift
from nbaprops.identity import BY_TRICODE, player_lookup
from nbaprops.raw.stats_envelope import (
    decode_json,
    opt_float,
    opt_int,
    opt_str,
    req_int,
    req_str,
    require_keys,
    require_object,
)

KIND = "nbac_play_by_play"
DESCRIPTION = "NBA.com liveData play-by-play: shot attempts and free throws with zone, result and clock"
ACTION_KEYS = (
    "actionNumber",
    "orderNumber",
    "clock",
    "period",
    "periodType",
    "actionType",
    "subType",
    "personId",
    "scoreHome",
    "scoreAway",
    "description",
)
SHOT_POINTS = {"2pt": 2, "3pt": 3, "freethrow": 1}
PAINT_AREAS = {"Restricted Area", "In The Paint (Non-RA)"}
PAINT_HALF_WIDTH = 80.0  # tenths of a foot: the lane is 16 ft wide
PAINT_DEPTH = 137.5  # tenths of a foot from the rim: 19 ft lane minus the rim's 5.25 ft offset
_CLOSE_SHOTS = re.compile(r"layup|dunk|hook|tip|putback|alley", re.IGNORECASE)
_CLOCK = re.compile(r"^PT(\d+)M(\d+(?:\.\d+)?)S$")


def parse(payload: bytes) -> list[dict[str, object]]:
    """One row per field-goal attempt or free throw, in game order, with zone, result and points."""
    game_id, actions = _actions(payload)
    sides = _sides(actions)
    parsed = [_shot(action, game_id, sides) for action in actions if action["actionType"] in SHOT_POINTS]
    _check_totals(parsed, actions)
    return parsed


def summarize(payload: bytes) -> dict[str, object]:
    """Counts over all actions: total, per period, per type, and the (home, away) score at period ends."""
    game_id, actions = _actions(payload)
    sides = _sides(actions)
    ends = [
        [_score(a, "scoreHome"), _score(a, "scoreAway")]
        for a in actions
        if a["actionType"] == "period" and a["subType"] == "end"
    ]
    return {
        "game_id": game_id,
        "actions": len(actions),
        "actions_by_period": dict(sorted(Counter(str(a["period"]) for a in actions).items())),
        "period_types": {str(a["period"]): a["periodType"] for a in actions},
        "actions_by_type": dict(Counter(str(a["actionType"]) for a in actions).most_common()),
        "period_end_scores": ends,
        "home_team": next((team for team, side in sides.items() if side == "home"), None),
        "away_team": next((team for team, side in sides.items() if side == "away"), None),
        "last_action": actions[-1]["description"] if actions else None,
    }


def _actions(payload: bytes) -> tuple[str, list[dict[str, Any]]]:
    root = require_object(decode_json(payload, KIND), KIND, "the document")
    require_keys(root, ("game",), KIND, "the document")
    game = require_object(root["game"], KIND, "game")
    require_keys(game, ("gameId", "actions"), KIND, "game")
    game_id = req_str(game, "gameId", KIND)
    raw = game["actions"]
    if not isinstance(raw, list):
        raise SchemaDrift(f"{KIND}: game.actions is not a list")
    actions = [require_object(action, KIND, "an action") for action in raw]
    for action in actions:
        require_keys(action, ACTION_KEYS, KIND, f"action {action.get('actionNumber')}")
        req_int(action, "orderNumber", KIND)
        req_int(action, "period", KIND, minimum=1)
        req_str(action, "actionType", KIND)
    actions.sort(key=lambda action: int(action["orderNumber"]))
    orders = [action["orderNumber"] for action in actions]
    if len(set(orders)) != len(orders):
        raise SchemaDrift(f"{KIND}: game {game_id} repeats an orderNumber")
    return game_id, actions


def _score(action: dict[str, Any], key: str) -> int:
    value = action[key]
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise SchemaDrift(f"{KIND}: action {action['actionNumber']} {key} is {value!r}, not a score")


def _sides(actions: list[dict[str, Any]]) -> dict[str, str]:
    """Which team is home and which away, read from whose made shots move which score."""
    sides: dict[str, str] = {}
    home = away = 0
    for action in actions:
        new_home, new_away = _score(action, "scoreHome"), _score(action, "scoreAway")
        team = action.get("teamTricode")
        if action["actionType"] in SHOT_POINTS and action.get("shotResult") == "Made" and team:
            side = "home" if new_home > home else "away" if new_away > away else None
            if side is not None and sides.setdefault(str(team), side) != side:
                raise SchemaDrift(f"{KIND}: team {team} scores for both home and away")
        home, away = new_home, new_away
    if len(set(sides.values())) != len(sides):
        raise SchemaDrift(f"{KIND}: two teams score for the same side: {sides}")
    return sides


def _clock_seconds(action: dict[str, Any]) -> float:
    clock = req_str(action, "clock", KIND)
    found = _CLOCK.match(clock)
    if found is None:
        raise SchemaDrift(f"{KIND}: action {action['actionNumber']} clock {clock!r} is not PTmmMss.ssS")
    return int(found.group(1)) * 60 + float(found.group(2))


def _zone(action: dict[str, Any]) -> str:
    kind = action["actionType"]
    if kind == "3pt":
        return "three"
    if kind == "freethrow":
        return "free_throw"
    area = opt_str(action, "area", KIND) if "area" in action else None
    if area:
        return "paint" if area in PAINT_AREAS else "mid_range"
    x, y = action.get("xLegacy"), action.get("yLegacy")
    if isinstance(x, int | float) and isinstance(y, int | float):
        return "paint" if abs(x) <= PAINT_HALF_WIDTH and y <= PAINT_DEPTH else "mid_range"
    words = f"{action.get('subType') or ''} {action.get('descriptor') or ''}"
    return "paint" if _CLOSE_SHOTS.search(words) else "mid_range"


def _shot(action: dict[str, Any], game_id: str, sides: dict[str, str]) -> dict[str, object]:
    number = action["actionNumber"]
    result = action.get("shotResult")
    if result not in {"Made", "Missed"}:
        raise SchemaDrift(f"{KIND}: shot action {number} has shotResult {result!r}")
    team = opt_str(action, "teamTricode", KIND) if "teamTricode" in action else None
    if not team:
        raise SchemaDrift(f"{KIND}: shot action {number} has no teamTricode")
    name = opt_str(action, "playerNameI", KIND) if "playerNameI" in action else None
    made = result == "Made"
    return {
        "source": "nbacom",
        "kind": KIND,
        "game_id": game_id,
        "order_number": action["orderNumber"],
        "action_number": req_int(action, "actionNumber", KIND),
        "period": action["period"],
        "period_type": action["periodType"],
        "clock_seconds": _clock_seconds(action),
        "team": team if team in BY_TRICODE else None,
        "team_source_code": team,
        "side": sides.get(team),
        "player_source_id": req_int(action, "personId", KIND, minimum=1),
        "player_name": name,
        "player_lookup": player_lookup(name) if name else None,
        "action_type": action["actionType"],
        "sub_type": opt_str(action, "subType", KIND),
        "descriptor": opt_str(action, "descriptor", KIND) if "descriptor" in action else None,
        "area": opt_str(action, "area", KIND) if "area" in action else None,
        "zone": _zone(action),
        "shot_distance": (
            opt_float(action, "shotDistance", KIND, high=100.0) if "shotDistance" in action else None
        ),
        "made": made,
        "points": SHOT_POINTS[action["actionType"]] if made else 0,
        "points_total": opt_int(action, "pointsTotal", KIND) if "pointsTotal" in action else None,
        "score_home": _score(action, "scoreHome"),
        "score_away": _score(action, "scoreAway"),
    }


def _check_totals(parsed: list[dict[str, object]], actions: list[dict[str, Any]]) -> None:
    """The made actions of each side must add up to that side's last score."""
    if not actions:
        return
    totals = {"home": 0, "away": 0}
    for row in parsed:
        if row["made"]:
            if row["side"] is None:
                raise SchemaDrift(f"{KIND}: made shot {row['action_number']} moved neither score")
            totals[str(row["side"])] += int(str(row["points"]))
    final = {"home": _score(actions[-1], "scoreHome"), "away": _score(actions[-1], "scoreAway")}
    if totals != final:
        raise SchemaDrift(f"{KIND}: made shots add up to {totals}, but the last score is {final}")
