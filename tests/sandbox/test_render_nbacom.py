"""NBA.com sandbox payloads: same shape as the real captures, time-aware, consistent with the box score."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from nbaprops.dates import et_datetime
from nbaprops.sandbox import render_nbacom as r
from nbaprops.sandbox import render_pbp, render_schedule, render_scoreboard
from nbaprops.sandbox.model import InjuryEntry, InjuryReport, PlayerGame, Season, SimGame, SimPlayer
from structure import shape_differences

DAY1, DAY2 = date(2025, 1, 15), date(2025, 1, 16)
TEAMS = ("NYK", "PHI", "BOS", "LAL")


def _player(pid: int, first: str, last: str, tricode: str) -> SimPlayer:
    return SimPlayer(
        pid,
        pid + 9,
        first,
        last,
        first,
        last,
        f"{first} {last}",
        tricode,
        "G",
        "1",
        "6-4",
        200,
        None,
        "USA",
        2018,
        1,
        5,
        2018,
        30.0,
        0.2,
        8,
        4,
        6,
        4,
        0.6,
        0.4,
        0.36,
        0.8,
        5,
        4,
    )


def _line(
    game: str, pid: int, teams: tuple[str, str], home: bool, n: int, *, played: bool = True
) -> PlayerGame:
    tricode, opp = teams
    # n scales a fixed stat line so each player gets a distinct, hand-checkable total
    if not played:
        dnp = "Injury/Illness - Left Ankle; Sprain"
        return PlayerGame(
            game,
            pid,
            tricode,
            opp,
            home,
            "inactive",
            dnp,
            False,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0.0,
        )
    return PlayerGame(
        game,
        pid,
        tricode,
        opp,
        home,
        "played",
        None,
        n == 3,
        60 * (10 + 5 * n),
        n + 2,
        2 * n + 3,
        n,
        2 * n + 1,
        n,
        2 * n,
        n + 1,
        n + 2,
        1,
        3,
        n,
        1,
        0,
        1,
        2,
        n - 2,
        10.0 + n,
    )


def make_season() -> Season:
    """Four teams, three games on 2025-01-15 (one in overtime) and one on 2025-01-16."""
    players = []
    for t_i, tricode in enumerate(TEAMS):
        for k, (first, last) in enumerate((("Nikola", "Jokić"), ("Jimmy", "Butler III"), ("Kel'el", "Ware"))):
            players.append(_player(1_630_000 + 10 * t_i + k, first, f"{last}{t_i}", tricode))
    roster: dict[str, list[SimPlayer]] = defaultdict(list)
    for p in players:
        roster[p.team].append(p)
    fixtures = [
        ("0022400561", DAY1, 19, "PHI", "NYK", True),
        ("0022400562", DAY1, 19, "BOS", "LAL", False),
        ("0022400563", DAY1, 22, "NYK", "BOS", False),
        ("0022400564", DAY2, 19, "LAL", "PHI", False),
    ]
    games, box = [], []
    for n, (gid, day, hour, home, away, overtime) in enumerate(fixtures):
        scores = {}
        for tricode, opp, is_home in ((home, away, True), (away, home, False)):
            lines = [
                _line(
                    gid,
                    p.player_id,
                    (tricode, opp),
                    is_home,
                    k + 1 + (n + is_home) % 2,
                    played=k != 0 or n != 1,
                )
                for k, p in enumerate(roster[tricode])
            ]
            box += lines
            scores[tricode] = sum(x.pts for x in lines)

        def split(total: int, ot: bool) -> tuple[int, ...]:
            parts = 5 if ot else 4
            base = [total // parts] * parts
            base[0] += total - sum(base)
            return tuple(base)

        tip = et_datetime(day, hour, 30)
        games.append(
            SimGame(
                gid,
                100 + n,
                401_000 + n,
                f"{n:032x}",
                day,
                tip,
                home,
                away,
                split(scores[home], overtime),
                split(scores[away], overtime),
            )
        )
    report = InjuryReport(
        et_datetime(DAY1, 12, 30),
        (DAY1,),
        (
            InjuryEntry("0022400562", "BOS", 1_630_020, "Out", "Injury/Illness - Left Ankle; Sprain"),
            InjuryEntry(
                "0022400562",
                "LAL",
                1_630_031,
                "Questionable",
                "Injury/Illness - Right Forearm; Contusion and Bone Bruise",
            ),
        ),
        (("0022400561", "PHI"), ("0022400561", "NYK"), ("0022400563", "NYK")),
    )
    return Season("2024-25", 7, tuple(players), tuple(games), tuple(box), (report,), (), ())


SEASON = make_season()
AFTER_ALL = datetime(2025, 1, 18, tzinfo=UTC)
MID_DAY1 = et_datetime(DAY1, 22, 30)  # the 7:30 pm games are final, the 10:30 pm game is not


def _load(path: Path) -> Any:
    return json.loads(gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes())


def _as_records(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Result sets as lists of header->value dicts, so the shape check compares column by column."""
    return {
        rs["name"]: [dict(zip(rs["headers"], row, strict=True)) for row in rs["rowSet"]]
        for rs in doc["resultSets"]
    }


def assert_result_sets_match(real: dict[str, Any], ours: dict[str, Any]) -> None:
    """Same envelope, the same result sets with identical headers in order, and the same column types."""
    assert shape_differences({**real, "resultSets": []}, {**ours, "resultSets": []}) == []
    assert [rs["name"] for rs in ours["resultSets"]] == [rs["name"] for rs in real["resultSets"]]
    for real_rs, our_rs in zip(real["resultSets"], ours["resultSets"], strict=True):
        assert our_rs["headers"] == real_rs["headers"], real_rs["name"]
    assert shape_differences(_as_records(real), _as_records(ours)) == []


def test_schedule_has_the_real_shape(real_fixtures: Path) -> None:
    real = _load(real_fixtures / "nbac_schedule_api" / "raw_80cb1fd6.json.gz")
    ours = render_schedule.schedule_payload(SEASON, AFTER_ALL)
    assert shape_differences(real, ours) == []
    game = ours["leagueSchedule"]["gameDates"][0]["games"][0]
    assert len(game) == 33
    assert game["gameCode"] == "20250115/NYKPHI"


def test_schedule_hides_results_until_the_game_is_final() -> None:
    games = {
        g["gameId"]: g
        for d in render_schedule.schedule_payload(SEASON, MID_DAY1)["leagueSchedule"]["gameDates"]
        for g in d["games"]
    }
    final, pending = games["0022400561"], games["0022400563"]
    assert (final["gameStatus"], final["gameStatusText"]) == (3, "Final/OT")
    assert final["homeTeam"]["score"] == SEASON.game_by_id["0022400561"].home_score > 0
    assert final["pointsLeaders"]
    assert isinstance(final["pointsLeaders"][0]["points"], float)
    assert (pending["gameStatus"], pending["gameStatusText"]) == (1, "10:30 pm ET")
    assert pending["homeTeam"]["score"] == pending["awayTeam"]["score"] == 0
    assert pending["pointsLeaders"] == []


def test_leaguegamelog_matches_the_real_capture_and_drops_dnp_players(real_fixtures: Path) -> None:
    real = _load(real_fixtures / "nbac_player_boxscore" / "raw_2ad17718.json")
    ours = r.leaguegamelog_payload(
        SEASON,
        AFTER_ALL,
        {"PlayerOrTeam": "P", "DateFrom": "01/15/2025", "DateTo": "2025-01-15", "Season": "2024-25"},
    )
    assert_result_sets_match(real, ours)
    rows = _as_records(ours)["LeagueGameLog"]
    assert {row["GAME_ID"] for row in rows} == {"0022400561", "0022400562", "0022400563"}
    assert len(rows) == 16  # 18 roster lines on the day, one player inactive on each side of BOS-LAL
    for game_id, game in SEASON.game_by_id.items():
        if game.game_date == DAY1:
            home = sum(x["PTS"] for x in rows if x["GAME_ID"] == game_id and "vs." in x["MATCHUP"])
            assert home == game.home_score
    assert all(isinstance(x["MIN"], int) for x in rows)


def test_leaguegamelog_shows_only_games_final_at_now_and_sorts() -> None:
    rows = _as_records(
        r.leaguegamelog_payload(SEASON, MID_DAY1, {"PlayerOrTeam": "T", "Sorter": "PTS", "Direction": "ASC"})
    )["LeagueGameLog"]
    assert {x["GAME_ID"] for x in rows} == {"0022400561", "0022400562"}
    assert [x["PTS"] for x in rows] == sorted(x["PTS"] for x in rows)
    assert {x["MIN"] for x in rows if x["GAME_ID"] == "0022400561"} == {265}
    other = r.leaguegamelog_payload(SEASON, AFTER_ALL, {"PlayerOrTeam": "P", "Season": "2023-24"})
    assert other["resultSets"][0]["rowSet"] == []


def test_scoreboard_v2_matches_the_real_capture(real_fixtures: Path) -> None:
    real = _load(real_fixtures / "nbac_scoreboard_v2" / "raw_06a65a50.json")
    ours = render_scoreboard.scoreboard_v2_payload(SEASON, AFTER_ALL, DAY1)
    assert_result_sets_match(real, ours)
    lines = _as_records(ours)["LineScore"]
    for row in lines:
        assert (
            sum(row[f"PTS_QTR{i}"] for i in range(1, 5)) + sum(row[f"PTS_OT{i}"] for i in range(1, 11))
            == row["PTS"]
        )
    assert sum(row["PTS_OT1"] > 0 for row in lines) == 2


def test_scoreboard_v2_standings_count_only_earlier_final_games() -> None:
    day2 = _as_records(render_scoreboard.scoreboard_v2_payload(SEASON, AFTER_ALL, DAY2))
    east = {row["TEAM"]: (row["W"], row["L"]) for row in day2["EastConfStandingsByDay"]}
    assert (
        sum(w + loss for w, loss in east.values()) + sum(row["G"] for row in day2["WestConfStandingsByDay"])
        == 6
    )  # three games on DAY1, two teams each
    early = _as_records(render_scoreboard.scoreboard_v2_payload(SEASON, MID_DAY1, DAY1))
    assert all(row["G"] == 0 for row in early["EastConfStandingsByDay"])
    pending = next(x for x in early["GameHeader"] if x["GAME_ID"] == "0022400563")
    assert (pending["GAME_STATUS_ID"], pending["GAME_STATUS_TEXT"]) == (1, "10:30 pm ET")
    assert {x["GAME_ID"] for x in early["TeamLeaders"]} == {"0022400561", "0022400562"}


def test_playerindex_matches_the_real_capture_and_filters_by_team(real_fixtures: Path) -> None:
    real = _load(real_fixtures / "nbac_player_list" / "raw_7af00b51.json")
    ours = r.playerindex_payload(SEASON, AFTER_ALL, {"Season": "2024-25"})
    assert_result_sets_match(real, ours)
    assert len(ours["resultSets"][0]["rowSet"]) == 12
    nyk = _as_records(r.playerindex_payload(SEASON, AFTER_ALL, {"TeamID": "1610612752"}))["PlayerIndex"]
    assert {x["TEAM_ABBREVIATION"] for x in nyk} == {"NYK"}
    assert nyk[0]["PLAYER_SLUG"] == "jimmy-butler-iii0"
    before = _as_records(r.playerindex_payload(SEASON, datetime(2025, 1, 1, tzinfo=UTC), {}))["PlayerIndex"]
    assert all(x["PTS"] is None for x in before)


def _matches_some_real_action(real_actions: list[dict[str, Any]], action: dict[str, Any]) -> bool:
    same_type = [x for x in real_actions if x["actionType"] == action["actionType"]]
    return any(shape_differences(x, action) == [] for x in same_type)


def test_playbyplay_actions_have_real_action_shapes(real_fixtures: Path) -> None:
    real = _load(real_fixtures / "nbac_play_by_play" / "raw_416e8d5c.json.gz")
    ours = render_pbp.playbyplay_payload(SEASON, AFTER_ALL, "0022400561")
    assert ours is not None
    empty = {"game": {"gameId": "", "actions": []}}
    assert shape_differences({**real, **empty}, {**ours, **empty}) == []
    bad = [a for a in ours["game"]["actions"] if not _matches_some_real_action(real["game"]["actions"], a)]
    assert bad == []


def test_playbyplay_reproduces_the_box_score_and_line_score() -> None:
    for game_id, game in SEASON.game_by_id.items():
        doc = render_pbp.playbyplay_payload(SEASON, AFTER_ALL, game_id)
        assert doc is not None
        actions = doc["game"]["actions"]
        assert [a["orderNumber"] for a in actions] == sorted(a["orderNumber"] for a in actions)
        scored: dict[int, int] = defaultdict(int)
        for a in actions:
            if a.get("shotResult") == "Made":
                scored[a["personId"]] += {"2pt": 2, "3pt": 3, "freethrow": 1}[a["actionType"]]
        for line in SEASON.box_by_game[game_id]:
            assert scored.get(line.player_id, 0) == line.pts
            shots = [a for a in actions if a["personId"] == line.player_id and a["isFieldGoal"] == 1]
            assert len(shots) == line.fga
        ends = [
            (a["scoreHome"], a["scoreAway"])
            for a in actions
            if a["subType"] == "end" and a["actionType"] == "period"
        ]
        assert ends == [
            (str(sum(game.home_periods[:i])), str(sum(game.away_periods[:i])))
            for i in range(1, game.periods + 1)
        ]
        assert actions[-1]["description"] == "Game End"


def test_playbyplay_places_each_shot_in_its_zone() -> None:
    doc = render_pbp.playbyplay_payload(SEASON, AFTER_ALL, "0022400562")
    assert doc is not None
    for a in doc["game"]["actions"]:
        if a["isFieldGoal"] != 1:
            continue
        x, y = a["xLegacy"], a["yLegacy"]
        in_paint = abs(x) <= 80 and y <= 137.5
        beyond_arc = (x * x + y * y) ** 0.5 >= 237.5 or (y <= 92.5 and abs(x) >= 220)
        if a["actionType"] == "3pt":
            assert beyond_arc
            assert "3" in a["area"]
        elif "pointsinthepaint" in a["qualifiers"]:
            assert in_paint
            assert a["area"] in {"Restricted Area", "In The Paint (Non-RA)"}
        else:
            assert not in_paint
            assert not beyond_arc
            assert a["area"] == "Mid-Range"


def test_playbyplay_is_none_before_the_game_is_final_and_deterministic() -> None:
    assert render_pbp.playbyplay_payload(SEASON, MID_DAY1, "0022400563") is None
    assert render_pbp.playbyplay_payload(SEASON, AFTER_ALL, "0099999999") is None
    assert render_pbp.playbyplay_payload(SEASON, MID_DAY1, "0022400561") == render_pbp.playbyplay_payload(
        SEASON, AFTER_ALL, "0022400561"
    )


def test_final_boundary_is_two_and_a_half_hours_after_tip() -> None:
    game = SEASON.game_by_id["0022400563"]
    assert not r.is_final(game, game.tip_utc + timedelta(hours=2, minutes=29))
    assert r.is_final(game, game.tip_utc + timedelta(hours=2, minutes=30))
