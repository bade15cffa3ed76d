"""ESPN sandbox scoreboard: the real capture's shape, ESPN codes, UTC event dates, time-awareness."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from test_render_nbacom import AFTER_ALL, DAY1, MID_DAY1, SEASON

from nbaprops.sandbox.render_espn import parse_espn_date, scoreboard_payload
from structure import shape_differences


def _shape_mismatches(real: Any, ours: Any) -> list[str]:
    """shape_differences, except that each element of an array may match any element of the real array.

    The real feed mixes element shapes inside one array (the overall record carries an abbreviation,
    home/road records do not; only overtime statuses have altDetail), which the first-element rule
    of shape_differences reports even for the real capture against itself.
    """
    if isinstance(real, dict) and isinstance(ours, dict):
        diffs: list[str] = shape_differences(dict.fromkeys(real), dict.fromkeys(ours))
        for key in real.keys() & ours.keys():
            diffs += _shape_mismatches(real[key], ours[key])
        return diffs
    if isinstance(real, list) and isinstance(ours, list) and real and ours:
        out: list[str] = []
        for item in ours:
            options: list[list[str]] = [_shape_mismatches(x, item) for x in real]
            best: list[str] = min(options, key=len)  # empty when some real element matches
            out += best
        return out
    leaf: list[str] = shape_differences(real, ours)
    return leaf


def test_scoreboard_has_the_real_shape(real_fixtures: Path) -> None:
    real = json.loads((real_fixtures / "espn_scoreboard_api" / "raw_92de7c9a.json").read_bytes())
    assert _shape_mismatches(real, real) == []
    ours = scoreboard_payload(SEASON, AFTER_ALL, DAY1)
    assert _shape_mismatches(real, ours) == []
    assert shape_differences(real["leagues"], ours["leagues"]) == []


def test_scoreboard_uses_espn_codes_string_scores_and_utc_dates() -> None:
    events = scoreboard_payload(SEASON, AFTER_ALL, parse_espn_date("20250115"))["events"]
    assert len(events) == 3
    assert {e["date"][:10] for e in events} == {"2025-01-16"}  # 7:30 pm and 10:30 pm ET are the next UTC day
    abbrs = {c["team"]["abbreviation"] for e in events for c in e["competitions"][0]["competitors"]}
    assert abbrs == {"NY", "PHI", "BOS", "LAL"}
    ot = next(e for e in events if e["id"] == "401000")
    home = ot["competitions"][0]["competitors"][0]
    assert home["homeAway"] == "home"
    assert home["score"] == str(SEASON.game_by_id["0022400561"].home_score)
    assert len(home["linescores"]) == 5
    assert (ot["status"]["type"]["name"], ot["status"]["type"]["altDetail"]) == ("STATUS_FINAL", "OT")
    assert ot["status"]["type"]["detail"] == "Final/OT"


def test_scoreboard_shows_unfinished_games_as_scheduled() -> None:
    events = {e["id"]: e for e in scoreboard_payload(SEASON, MID_DAY1, DAY1)["events"]}
    late = events["401002"]
    assert late["status"]["type"]["name"] == "STATUS_SCHEDULED"
    assert [c["score"] for c in late["competitions"][0]["competitors"]] == ["0", "0"]
    assert late["competitions"][0]["competitors"][0]["linescores"] == []
    assert events["401000"]["status"]["type"]["name"] == "STATUS_FINAL"


def test_records_count_games_final_through_the_date() -> None:
    events = scoreboard_payload(SEASON, AFTER_ALL, DAY1)["events"]
    competitors = [c for e in events for c in e["competitions"][0]["competitors"]]
    summaries = [r["summary"] for c in competitors for r in c["records"] if r["type"] == "total"]
    wins = sum(int(s.split("-")[0]) for s in summaries)
    assert wins == 4  # NYK plays twice on the day, so its record counts in two events
