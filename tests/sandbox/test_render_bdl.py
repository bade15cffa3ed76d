"""Ball Don't Lie renderers as pure functions of (season, now, query)."""

from __future__ import annotations

import re
from datetime import timedelta

from test_server import D1, D2, SEASON, TIP1, TIP2, TIP3

from nbaprops.sandbox import render_bdl

AFTER_ALL = TIP3 + timedelta(hours=3)


def test_box_score_rows_use_bdl_spellings_and_ids() -> None:
    game = render_bdl.box_scores_payload(SEASON, AFTER_ALL, D1)["data"][0]
    names = {f"{r['player']['first_name']} {r['player']['last_name']}" for r in game["home_team"]["players"]}
    assert names == {"Jaylen Brownlee", "Nikola Vukcevic", "Jimmy Butler"}
    assert {r["player"]["id"] for r in game["home_team"]["players"]} == {1000, 1007, 1014}
    assert game["home_team"]["abbreviation"] == "BOS"
    assert game["home_team"]["full_name"] == "Boston Celtics"


def test_box_score_points_add_up_and_percentages_follow_bdl_conventions() -> None:
    game = render_bdl.box_scores_payload(SEASON, AFTER_ALL, D1)["data"][0]
    rows = game["home_team"]["players"]
    starter = rows[0]
    assert starter["min"] == "35"
    assert starter["ft_pct"] == 1
    assert isinstance(starter["ft_pct"], int)  # 2/2 prints as the integer 1, like the real feed
    inactive = next(r for r in rows if r["min"] == "00")
    assert (inactive["pts"], inactive["fg_pct"], inactive["ft_pct"]) == (0, 0, 0)
    line_pts = sum(ln.pts for ln in SEASON.box_by_game["0022500001"] if ln.team == "BOS")
    assert sum(r["pts"] for r in rows) == line_pts
    assert game["home_team_score"] == 110
    assert game["home_ot1"] is None


def test_overtime_periods_fill_the_ot_columns() -> None:
    game = render_bdl.box_scores_payload(SEASON, AFTER_ALL, D1)["data"][1]
    assert (game["period"], game["home_ot1"], game["visitor_ot1"], game["home_ot2"]) == (5, 10, 8, None)
    assert game["datetime"] == "2025-10-22T02:00:00.000Z"
    assert game["date"] == "2025-10-21"  # the ET date, not the UTC one


def test_games_show_status_and_scores_only_as_far_as_now() -> None:
    query = {"dates[]": [D1.isoformat()]}
    before = render_bdl.games_payload(SEASON, TIP1 - timedelta(hours=1), query)["data"][0]
    assert (before["status"], before["home_team_score"], before["period"]) == ("2025-10-21T23:30:00Z", 0, 0)
    live = render_bdl.games_payload(SEASON, TIP1 + timedelta(minutes=80), query)["data"][0]
    assert live["status"] == "3rd Qtr"
    assert live["home_team_score"] == 58
    assert live["home_q3"] is None
    assert render_bdl.games_payload(SEASON, TIP2 + timedelta(hours=3), query)["data"][0]["status"] == "Final"


def test_games_filter_by_date_team_and_season() -> None:
    by_date = render_bdl.games_payload(SEASON, AFTER_ALL, {"dates[]": [D2.isoformat()]})["data"]
    assert [g["id"] for g in by_date] == [15003]
    lakers = render_bdl.games_payload(SEASON, AFTER_ALL, {"team_ids[]": ["14"]})["data"]
    assert [g["id"] for g in lakers] == [15002]
    assert render_bdl.games_payload(SEASON, AFTER_ALL, {"seasons[]": ["2024"]})["data"] == []


def test_injuries_come_only_from_published_reports() -> None:
    assert render_bdl.injuries_payload(SEASON, TIP1 - timedelta(hours=6), {})["data"] == []
    rows = render_bdl.injuries_payload(SEASON, TIP1 - timedelta(hours=4), {})["data"]
    assert len(rows) == 4
    assert {r["status"] for r in rows} == {"Out"}
    assert all(re.fullmatch(r"(Oct|Nov) \d{1,2}", r["return_date"]) for r in rows)  # no year, like BDL
    assert all(r["description"].startswith("Oct 21: ") for r in rows)
    boston = render_bdl.injuries_payload(SEASON, TIP1, {"team_ids[]": ["2"]})["data"]
    assert [r["player"]["team_id"] for r in boston] == [2]


def test_teams_list_holds_thirty_franchises_with_bdl_ids() -> None:
    teams = render_bdl.teams_payload()["data"]
    assert [t["id"] for t in teams] == list(range(1, 31))
    assert next(t for t in teams if t["abbreviation"] == "LAC")["full_name"] == "LA Clippers"


def test_last_page_has_no_next_cursor() -> None:
    page = render_bdl.active_players_payload(SEASON, {"per_page": ["100"]})
    assert len(page["data"]) == 12
    assert page["meta"] == {"per_page": 100}
    assert page["data"][0]["team"]["abbreviation"] == "BOS"
