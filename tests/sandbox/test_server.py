"""The sandbox server over real loopback HTTP: auth, credits, time, paging, contracts, port errors.

``tiny_season`` is a hand-made three-game season whose every time is known, so tests can move the
clock to just before and just after a tip or a final buzzer. The other sandbox test modules use it.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from nbaprops.errors import ConfigError
from nbaprops.sandbox.books import IN_PLAY_AFTER, in_play_lines
from nbaprops.sandbox.faults import FaultPlan
from nbaprops.sandbox.model import (
    GameLine,
    InjuryEntry,
    InjuryReport,
    PlayerGame,
    PropLine,
    Season,
    SimGame,
    SimPlayer,
)
from nbaprops.sandbox.runner import RunningServer, serve_in_thread
from nbaprops.sandbox.server import SandboxClock, create_app
from structure import shape_differences

BDL_KEY = "test-bdl-key"
ODDS_KEY = "test-odds-key"
D1, D2 = date(2025, 10, 21), date(2025, 10, 22)
TIP1 = datetime(2025, 10, 21, 23, 30, tzinfo=UTC)  # 7:30 pm ET
TIP2 = datetime(2025, 10, 22, 2, 0, tzinfo=UTC)  # 10 pm ET on D1: a UTC-next-day tip
TIP3 = datetime(2025, 10, 22, 23, 0, tzinfo=UTC)
NAMES = {
    "BOS": [
        ("Jaylen", "Brownlee", "Jaylen", "Brownlee"),
        ("Nikola", "Vukčević", "Nikola", "Vukcevic"),
        ("Jimmy", "Butler III", "Jimmy", "Butler"),
    ],
    "NYK": [
        ("Karl-Anthony", "Townsend", "Karl-Anthony", "Townsend"),
        ("Mikal", "Bridger", "Mikal", "Bridger"),
        ("D'Angelo", "O'Neale", "D'Angelo", "O'Neale"),
    ],
    "LAL": [
        ("Luka", "Dončić", "Luka", "Doncic"),
        ("Austin", "Reeves", "Austin", "Reeves"),
        ("Jaxson", "Hayes-Davis", "Jaxson", "Hayes-Davis"),
    ],
    "GSW": [
        ("Stephen", "Curry", "Stephen", "Curry"),
        ("Draymond", "Greene", "Draymond", "Greene"),
        ("Brandin", "Podziemski", "Brandin", "Podziemski"),
    ],
}


def _player(index: int, tricode: str, names: tuple[str, str, str, str]) -> SimPlayer:
    first, last, bdl_first, bdl_last = names
    return SimPlayer(
        player_id=1630000 + index,
        bdl_id=1000 + 7 * index,
        first_name=first,
        last_name=last,
        bdl_first_name=bdl_first,
        bdl_last_name=bdl_last,
        book_name=f"{bdl_first} {bdl_last}",
        team=tricode,
        position="G",
        jersey=str(index),
        height="6-6",
        weight=210,
        college=None if index % 2 else "Duke",
        country="USA",
        draft_year=2019,
        draft_round=1,
        draft_number=index + 1,
        from_year=2019,
        minutes_mean=30.0,
        usage=0.25,
        paint_rate=6.0,
        mid_rate=3.0,
        three_rate=6.0,
        fta_rate=4.0,
        paint_pct=0.62,
        mid_pct=0.42,
        three_pct=0.36,
        ft_pct=0.8,
        reb_rate=6.0,
        ast_rate=4.0,
    )


def _line(game: SimGame, player: SimPlayer, k: int) -> PlayerGame:
    """Player k of a team: 0 and 1 play (k=1 goes 2/2 at the line), 2 is inactive."""
    home = player.team == game.home
    played = k < 2
    return PlayerGame(
        game_id=game.game_id,
        player_id=player.player_id,
        team=player.team,
        opponent=game.away if home else game.home,
        is_home=home,
        status="played" if played else "inactive",
        dnp_reason=None if played else "Injury/Illness - Left Ankle; Sprain",
        starter=k == 0,
        seconds=(2100 if k == 0 else 1260) if played else 0,
        paint_fgm=4 if played else 0,
        paint_fga=7 if played else 0,
        mid_fgm=1 if played else 0,
        mid_fga=3 if played else 0,
        fg3m=2 - k if played else 0,
        fg3a=5 if played else 0,
        ftm=2 if played else 0,
        fta=2 if played else 0,
        oreb=1,
        dreb=4,
        ast=3,
        stl=1,
        blk=0,
        tov=2,
        pf=2,
        plus_minus=5 if home else -5,
        expected_pts=17.0 if played else 0.0,
    )


def tiny_season() -> Season:
    """Three games over two dates (BOS-NYK twice, LAL-GSW once), each with odds and injury reports."""
    players = [
        _player(10 * t + k, tri, names[k]) for t, (tri, names) in enumerate(NAMES.items()) for k in range(3)
    ]
    games = (
        SimGame(
            "0022500001",
            15001,
            401800001,
            "a" * 32,
            D1,
            TIP1,
            "BOS",
            "NYK",
            (30, 28, 25, 27),
            (25, 30, 24, 31),
        ),
        SimGame(
            "0022500002",
            15002,
            401800002,
            "b" * 32,
            D1,
            TIP2,
            "LAL",
            "GSW",
            (25, 25, 25, 25, 10),
            (30, 20, 25, 25, 8),
        ),
        SimGame(
            "0022500003",
            15003,
            401800003,
            "c" * 32,
            D2,
            TIP3,
            "NYK",
            "BOS",
            (28, 28, 28, 28),
            (20, 20, 20, 20),
        ),
    )
    roster = {tri: [p for p in players if p.team == tri] for tri in NAMES}
    box = tuple(_line(g, p, k) for g in games for tri in (g.home, g.away) for k, p in enumerate(roster[tri]))
    # Player 3 of each team is inactive; box points per side are then 2 x (10 + 2 + 6 or 3) — the
    # periods above are only the line score, which these tests do not reconcile with the box.
    snaps = {
        g.game_id: tuple(
            g.tip_utc - d
            for d in (timedelta(hours=13), timedelta(hours=6), timedelta(minutes=60), timedelta(minutes=10))
        )
        for g in games
    }
    props, lines = [], []
    for g in games:
        for i, snap in enumerate(snaps[g.game_id]):
            for book, shade in (("draftkings", 0.0), ("fanduel", 0.5)):
                lines.append(GameLine(g.game_id, book, snap, -4.5 - shade, -110, -110, 224.5 + i, -112, -108))
                for tri in (g.home, g.away):
                    for p in roster[tri][:2]:
                        props.append(
                            PropLine(g.game_id, p.player_id, book, snap, 15.5 + i + shade, -115, -105)
                        )
    reports = []
    for day, first_tip in ((D1, TIP1), (D2, TIP3)):
        day_games = [g for g in games if g.game_date == day]
        for hours in (5.0, 1.0):
            published = first_tip - timedelta(hours=hours)
            entries = []
            for g in day_games:
                for tri in (g.home, g.away):
                    hurt = roster[tri][2]
                    entries.append(
                        InjuryEntry(
                            g.game_id, tri, hurt.player_id, "Out", "Injury/Illness - Left Ankle; Sprain"
                        )
                    )
            reports.append(InjuryReport(published, (day,), tuple(entries), ()))
    live_props, live_lines, live_snaps = in_play_lines(games, box, props, lines)
    props += live_props
    lines += live_lines
    snaps = {game_id: times + live_snaps[game_id] for game_id, times in snaps.items()}
    return Season(
        label="2025-26",
        seed=7,
        players=tuple(players),
        games=games,
        box=box,
        injury_reports=tuple(reports),
        prop_lines=tuple(props),
        game_lines=tuple(lines),
        snapshot_times=snaps,
    )


SEASON = tiny_season()


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[RunningServer, SandboxClock]]:
    clock = SandboxClock(TIP1 - timedelta(hours=2))
    app = create_app(
        SEASON, clock=clock, faults=FaultPlan(), bdl_key=BDL_KEY, odds_key=ODDS_KEY, odds_quota=10_000
    )
    with serve_in_thread(app) as running:
        yield running, clock


@pytest.fixture
def client(server: tuple[RunningServer, SandboxClock]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server[0].base_url, timeout=10) as c:
        yield c


@pytest.fixture
def clock(server: tuple[RunningServer, SandboxClock], client: httpx.Client) -> SandboxClock:
    server[1].set(TIP1 - timedelta(hours=2))
    return server[1]


def _bdl(client: httpx.Client, path: str, **params: Any) -> httpx.Response:
    return client.get(path, params=params, headers={"Authorization": BDL_KEY})


def _odds(client: httpx.Client, path: str, **params: Any) -> httpx.Response:
    return client.get(path, params={"apiKey": ODDS_KEY, **params})


def _real(real_fixtures: Path, name: str) -> Any:
    return json.loads(next((real_fixtures / name).glob("*.json")).read_text())


# --- auth ---------------------------------------------------------------------------------------


def test_bdl_rejects_missing_and_wrong_keys_with_401(client: httpx.Client, clock: SandboxClock) -> None:
    assert client.get("/v1/teams").status_code == 401
    assert client.get("/v1/teams", headers={"Authorization": "nope"}).status_code == 401
    ok = _bdl(client, "/v1/teams")
    assert ok.status_code == 200
    assert len(ok.json()["data"]) == 30


def test_odds_rejects_missing_and_wrong_keys_with_401_json(client: httpx.Client, clock: SandboxClock) -> None:
    missing = client.get("/v4/sports/basketball_nba/events")
    wrong = client.get("/v4/sports/basketball_nba/events", params={"apiKey": "nope"})
    assert (missing.status_code, missing.json()["error_code"]) == (401, "MISSING_KEY")
    assert (wrong.status_code, wrong.json()["error_code"]) == (401, "INVALID_KEY")
    assert "x-requests-remaining" in wrong.headers


# --- credits ------------------------------------------------------------------------------------


def test_event_odds_cost_markets_times_regions_and_historical_ten_times(
    client: httpx.Client, clock: SandboxClock
) -> None:
    path = f"/v4/sports/basketball_nba/events/{'a' * 32}/odds"
    before = int(_odds(client, "/v4/sports/basketball_nba/events").headers["x-requests-remaining"])
    live = _odds(client, path, regions="us,us2", markets="player_points,spreads,totals")
    assert live.status_code == 200
    assert live.headers["x-requests-last"] == "6"
    assert int(live.headers["x-requests-remaining"]) == before - 6
    hist = _odds(
        client,
        f"/v4/historical{path.removeprefix('/v4')}",
        regions="us",
        markets="spreads",
        date=(TIP1 - timedelta(hours=3)).isoformat(),
    )
    assert hist.headers["x-requests-last"] == "10"
    assert int(hist.headers["x-requests-used"]) == int(live.headers["x-requests-used"]) + 10
    events = _odds(client, "/v4/historical/sports/basketball_nba/events", date=TIP1.isoformat())
    assert events.headers["x-requests-last"] == "1"


def test_quota_exhausted_gives_429_and_charges_nothing() -> None:
    clock = SandboxClock(TIP1 - timedelta(hours=2))
    app = create_app(
        SEASON, clock=clock, faults=FaultPlan(), bdl_key=BDL_KEY, odds_key=ODDS_KEY, odds_quota=5
    )
    path = f"/v4/sports/basketball_nba/events/{'a' * 32}/odds"
    with serve_in_thread(app) as running, httpx.Client(base_url=running.base_url) as c:
        first = _odds(c, path, regions="us", markets="spreads,totals,h2h")
        assert (first.status_code, first.headers["x-requests-remaining"]) == (200, "2")
        refused = _odds(c, path, regions="us", markets="spreads,totals,h2h")
        assert refused.status_code == 429
        assert refused.json()["error_code"] == "OUT_OF_USAGE_CREDITS"
        assert refused.headers["x-requests-remaining"] == "2"
        assert _odds(c, path, regions="us", markets="spreads").status_code == 200


# --- time ---------------------------------------------------------------------------------------


def test_box_score_appears_only_once_the_game_is_final(client: httpx.Client, clock: SandboxClock) -> None:
    clock.set(TIP1 + timedelta(hours=1))
    assert _bdl(client, "/v1/box_scores", date=D1.isoformat()).json()["data"] == []
    clock.set(TIP1 + timedelta(hours=2, minutes=31))
    games = _bdl(client, "/v1/box_scores", date=D1.isoformat()).json()["data"]
    assert [g["id"] for g in games] == [15001]  # the 10 pm game is still on
    rows = games[0]["home_team"]["players"] + games[0]["visitor_team"]["players"]
    assert len(rows) == 6
    assert sorted(r["min"] for r in rows).count("00") == 2  # inactive players are present with "00"


def test_current_odds_never_show_a_snapshot_after_now_and_trade_in_play_until_final(
    client: httpx.Client, clock: SandboxClock
) -> None:
    path = f"/v4/sports/basketball_nba/events/{'a' * 32}/odds"
    clock.set(TIP1 - timedelta(hours=2))  # after the 2nd snapshot (tip - 6 h), before the 3rd
    event = _odds(client, path, regions="us", markets="totals").json()
    totals = event["bookmakers"][0]["markets"][0]
    assert totals["outcomes"][0]["point"] == 225.5  # snapshot index 1
    assert totals["last_update"] < (TIP1 - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    clock.set(TIP1 + IN_PLAY_AFTER[0] + timedelta(minutes=1))
    live = _odds(client, path, regions="us", markets="totals").json()["bookmakers"][0]["markets"][0]
    assert live["last_update"] > TIP1.strftime("%Y-%m-%dT%H:%M:%SZ")  # an in-play snapshot
    final_total = SEASON.games[0].home_score + SEASON.games[0].away_score
    # the in-play total has moved from the pre-tip 227.5 toward the final score
    assert abs(live["outcomes"][0]["point"] - final_total) < abs(227.5 - final_total)
    clock.set(TIP1 + timedelta(hours=3))
    assert _odds(client, path, regions="us", markets="totals").status_code == 404


def test_historical_odds_serve_latest_snapshot_at_or_before_date(
    client: httpx.Client, clock: SandboxClock
) -> None:
    clock.set(TIP1 + timedelta(days=1))
    snaps = SEASON.snapshot_times["0022500001"]
    path = f"/v4/historical/sports/basketball_nba/events/{'a' * 32}/odds"
    body = _odds(
        client, path, regions="us", markets="spreads", date=(snaps[2] + timedelta(minutes=20)).isoformat()
    ).json()
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    assert body["timestamp"] == snaps[2].strftime(fmt)
    assert body["previous_timestamp"] == snaps[1].strftime(fmt)
    assert body["next_timestamp"] == snaps[3].strftime(fmt)
    # Asking after tip gives the in-play snapshot in force then, as the real history does.
    late = _odds(
        client, path, regions="us", markets="spreads", date=(TIP1 + timedelta(hours=1)).isoformat()
    ).json()
    assert late["timestamp"] == (TIP1 + IN_PLAY_AFTER[0]).strftime(fmt) == snaps[4].strftime(fmt)
    assert late["previous_timestamp"] == snaps[3].strftime(fmt)
    assert late["next_timestamp"] == snaps[5].strftime(fmt)


def test_historical_events_never_reveal_snapshots_after_now(
    client: httpx.Client, clock: SandboxClock
) -> None:
    clock.set(TIP1 - timedelta(minutes=30))
    body = _odds(
        client, "/v4/historical/sports/basketball_nba/events", date=(TIP1 + timedelta(days=2)).isoformat()
    )
    assert body.json()["timestamp"] == (TIP1 - timedelta(minutes=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body.json()["next_timestamp"] is None


def test_admin_clock_moves_time(client: httpx.Client, clock: SandboxClock) -> None:
    moved = client.post("/_sandbox/clock", json={"now": "2025-10-22T12:00:00Z"})
    assert moved.json()["now"] == "2025-10-22T12:00:00Z"
    assert client.post("/_sandbox/clock", json={"advance_s": 60}).json()["now"] == "2025-10-22T12:01:00Z"
    assert client.get("/_sandbox/health").json()["status"] == "ok"
    assert client.post("/_sandbox/clock", json={"bogus": 1}).status_code == 400


# --- paging -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/players/active", "/v1/games", "/v1/player_injuries"])
def test_walking_the_cursor_returns_every_row_once(
    client: httpx.Client, clock: SandboxClock, path: str
) -> None:
    clock.set(TIP3)
    seen: list[int] = []
    cursor: int | None = None
    for _ in range(50):
        params: dict[str, Any] = {"per_page": 2} | ({"cursor": cursor} if cursor else {})
        body = _bdl(client, path, **params).json()
        seen += [row.get("player", row)["id"] for row in body["data"]]
        cursor = body["meta"].get("next_cursor")
        if cursor is None:
            break
    expected = {"/v1/players/active": 12, "/v1/games": 3, "/v1/player_injuries": 4}[path]
    assert len(seen) == len(set(seen)) == expected


# --- contracts ----------------------------------------------------------------------------------


def test_bdl_box_scores_match_the_real_capture(
    client: httpx.Client, clock: SandboxClock, real_fixtures: Path
) -> None:
    clock.set(TIP3 + timedelta(hours=3))
    ours = _bdl(client, "/v1/box_scores", date=D1.isoformat()).json()
    assert len(ours["data"]) == 2
    assert shape_differences(_real(real_fixtures, "bdl_box_scores"), ours) == []


def test_bdl_injuries_match_the_real_capture(
    client: httpx.Client, clock: SandboxClock, real_fixtures: Path
) -> None:
    clock.set(TIP1 - timedelta(minutes=30))
    ours = _bdl(client, "/v1/player_injuries", per_page=1).json()
    assert ours["data"][0]["status"] == "Out"
    assert ours["data"][0]["description"].startswith("Oct 21:")
    assert shape_differences(_real(real_fixtures, "bdl_injuries"), ours) == []


def test_odds_payloads_match_the_real_captures(
    client: httpx.Client, clock: SandboxClock, real_fixtures: Path
) -> None:
    clock.set(TIP1 - timedelta(minutes=5))
    events = _odds(client, "/v4/historical/sports/basketball_nba/events", date=TIP1.isoformat()).json()
    assert shape_differences(_real(real_fixtures, "oddsa_events_his"), events) == []
    lines = _odds(
        client,
        f"/v4/historical/sports/basketball_nba/events/{'a' * 32}/odds",
        date=TIP1.isoformat(),
        regions="us",
        markets="spreads,totals",
        bookmakers="draftkings,fanduel",
    ).json()
    assert shape_differences(_real(real_fixtures, "oddsa_game_lines_his"), lines) == []
    props = _odds(
        client,
        f"/v4/sports/basketball_nba/events/{'a' * 32}/odds",
        regions="us",
        markets="player_points",
        oddsFormat="american",
    ).json()
    assert shape_differences(_real(real_fixtures, "oddsa_player_props"), props) == []
    assert {o["description"] for o in props["bookmakers"][0]["markets"][0]["outcomes"]} == {
        "Jaylen Brownlee",
        "Nikola Vukcevic",
        "Karl-Anthony Townsend",
        "Mikal Bridger",
    }


# --- NBA.com, ESPN, injury PDFs through the same server -----------------------------------------


def test_nbacom_and_espn_routes_answer_in_their_formats(client: httpx.Client, clock: SandboxClock) -> None:
    clock.set(TIP3 + timedelta(hours=3))
    log = client.get("/stats/leaguegamelog", params={"PlayerOrTeam": "P", "Season": "2025-26"}).json()
    assert log["resultSets"][0]["rowSet"]
    assert client.get("/stats/scoreboardV2", params={"GameDate": "10/21/2025"}).status_code == 200
    assert client.get("/stats/scoreboardv2", params={"GameDate": "2025-10-21"}).status_code == 200
    assert client.get("/stats/playerindex", params={"Season": "2025-26"}).json()["resultSets"]
    assert client.get("/static/json/staticData/scheduleLeagueV2_1.json").json()["leagueSchedule"]
    assert client.get("/static/json/liveData/playbyplay/playbyplay_0022500001.json").json()["game"]["actions"]
    espn = client.get("/apis/site/v2/sports/basketball/nba/scoreboard", params={"dates": "20251021"}).json()
    assert len(espn["events"]) == 2


def test_injury_pdf_is_served_only_once_published(client: httpx.Client, clock: SandboxClock) -> None:
    from nbaprops.sandbox.injury_pdf import report_filename

    report = SEASON.injury_reports[1]
    path = f"/referee/injury/{report_filename(report.published_utc)}"
    clock.set(report.published_utc - timedelta(minutes=1))
    early = client.get(path)
    assert early.status_code == 403
    assert b"AccessDenied" in early.content
    clock.set(report.published_utc)
    pdf = client.get(path)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert client.get("/referee/injury/Injury-Report_1999-01-01_01_00PM.pdf").status_code == 403


def test_pbp_of_an_unfinished_game_is_access_denied(client: httpx.Client, clock: SandboxClock) -> None:
    assert client.get("/static/json/liveData/playbyplay/playbyplay_0022500003.json").status_code == 403


# --- runner -------------------------------------------------------------------------------------


def test_port_in_use_is_a_config_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app = create_app(
            SEASON, clock=SandboxClock(TIP1), faults=FaultPlan(), bdl_key="k", odds_key="k", odds_quota=1
        )
        with pytest.raises(ConfigError, match=f"port {port} is in use"):
            serve_in_thread(app, port=port)


def test_only_loopback_hosts_are_served() -> None:
    app = create_app(
        SEASON, clock=SandboxClock(TIP1), faults=FaultPlan(), bdl_key="k", odds_key="k", odds_quota=1
    )
    with pytest.raises(ConfigError, match="loopback"):
        serve_in_thread(app, host="0.0.0.0")  # noqa: S104  # the point: it must be refused


# --- the simulated season itself, through the server ----------------------------------------------


def test_simulated_season_payloads_match_the_real_captures(real_fixtures: Path) -> None:
    from nbaprops.dates import et_datetime
    from nbaprops.sandbox.simulator import generate_season

    season = generate_season(2025, "2025-26")
    days = sorted(season.games_by_date)
    today, yesterday = days[40], days[39]
    now = et_datetime(today, 18)
    app = create_app(
        season,
        clock=SandboxClock(now),
        faults=FaultPlan(),
        bdl_key=BDL_KEY,
        odds_key=ODDS_KEY,
        odds_quota=1000,
    )
    game = season.games_by_date[today][0]
    odds_path = f"/sports/basketball_nba/events/{game.odds_event_id}/odds"
    with serve_in_thread(app) as running, httpx.Client(base_url=running.base_url, timeout=30) as c:
        box = _bdl(c, "/v1/box_scores", date=yesterday.isoformat()).json()
        injuries = _bdl(c, "/v1/player_injuries", per_page=5).json()
        events = _odds(c, "/v4/historical/sports/basketball_nba/events", date=now.isoformat()).json()
        lines = _odds(
            c, f"/v4/historical{odds_path}", date=now.isoformat(), regions="us", markets="spreads,totals"
        )
        props = _odds(
            c, f"/v4{odds_path}", regions="us", markets="player_points", oddsFormat="american"
        ).json()
    assert box["data"]
    assert injuries["data"]
    assert props["bookmakers"]
    assert shape_differences(_real(real_fixtures, "bdl_box_scores"), box) == []
    assert shape_differences(_real(real_fixtures, "bdl_injuries"), injuries) == []
    assert shape_differences(_real(real_fixtures, "oddsa_events_his"), events) == []
    assert shape_differences(_real(real_fixtures, "oddsa_game_lines_his"), lines.json()) == []
    assert shape_differences(_real(real_fixtures, "oddsa_player_props"), props) == []
    # Every player's points add up to his team's score, as in the real feed (FACT 3).
    for g in box["data"]:
        assert sum(p["pts"] for p in g["home_team"]["players"]) == g["home_team_score"]


# --- CLI ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--faults", "bogus=0.1"], "unknown fault kind"), (["--now", "soon"], "--now: not an ISO 8601 time")],
)
def test_cli_user_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    from typer.testing import CliRunner

    from nbaprops.sandbox.cli import app

    result = CliRunner().invoke(app, ["serve", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
