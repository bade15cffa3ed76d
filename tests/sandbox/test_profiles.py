"""The ``real-history`` sandbox profile: a past season served the way the real APIs serve one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from nbaprops.dates import et_datetime, game_date_of
from nbaprops.errors import ConfigError
from nbaprops.identity import player_lookup
from nbaprops.sandbox import injury_pdf
from nbaprops.sandbox.faults import FaultPlan
from nbaprops.sandbox.model import Season
from nbaprops.sandbox.profiles import PROFILES, REAL_HISTORY, cast_of, get_profile, real_history_cast
from nbaprops.sandbox.runner import serve_in_thread
from nbaprops.sandbox.server import SandboxClock, create_app

KEY = "test-key"


@pytest.fixture(scope="module")
def recast(sandbox_season: Season) -> Season:
    return real_history_cast(sandbox_season)


def test_an_unknown_profile_is_a_config_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="default, real-history"):
        get_profile("realhistory")


def test_the_default_profile_leaves_nothing_out(sandbox_season: Season) -> None:
    default = PROFILES["default"]
    assert all(default.has_pbp(g.game_id) for g in sandbox_season.games)
    assert all(default.has_injury_pdf(d) for d in sandbox_season.games_by_date)
    assert default.serves_player_index


def test_real_history_leaves_out_some_play_by_play_and_some_injury_pdfs(sandbox_season: Season) -> None:
    profile = get_profile(REAL_HISTORY)
    missing_pbp = sum(not profile.has_pbp(g.game_id) for g in sandbox_season.games) / len(
        sandbox_season.games
    )
    days = list(sandbox_season.games_by_date)
    missing_pdf = sum(not profile.has_injury_pdf(d) for d in days) / len(days)
    assert 0.05 < missing_pbp < 0.15
    assert 0.08 < missing_pdf < 0.25
    assert not profile.serves_player_index


def test_two_players_of_two_teams_share_one_full_name_in_every_source(
    sandbox_season: Season, recast: Season
) -> None:
    first, second = (recast.player_by_id[pid] for pid in cast_of(sandbox_season).namesakes)
    assert first.team != second.team
    assert (first.display_name, first.bdl_name, first.book_name) == (
        second.display_name,
        second.bdl_name,
        second.book_name,
    )
    lookups = [player_lookup(p.display_name) for p in recast.players]
    assert [k for k in set(lookups) if lookups.count(k) > 1] == [player_lookup(first.display_name)]


def test_a_transliterated_name_is_spelled_three_ways(sandbox_season: Season, recast: Season) -> None:
    player = recast.player_by_id[cast_of(sandbox_season).transliterated]
    assert player.display_name == "Nikola Đurđević"
    assert player.bdl_name == "Nikola Durdevic"
    assert player.book_name == "Nikola Djurdjevic"
    assert player.injury_report_name == "Durdevic, Nikola"


def test_traded_players_play_for_their_new_teams_from_the_trade_on(
    sandbox_season: Season, recast: Season
) -> None:
    cast = cast_of(sandbox_season)
    x, y = cast.traded
    before = {pid: sandbox_season.player_by_id[pid].team for pid in cast.traded}
    assert (recast.player_by_id[x].team, recast.player_by_id[y].team) == (before[y], before[x])
    tips = {g.game_id: g.tip_utc for g in recast.games}
    for line in recast.box:
        if line.player_id in cast.traded:
            old, new = before[line.player_id], before[y if line.player_id == x else x]
            assert line.team == (new if tips[line.game_id] >= cast.trade_at else old)
    # the books price each one in his new team's games too
    games = {g.game_id: g for g in recast.games}
    moved = [p for p in recast.prop_lines if p.player_id == x and tips[p.game_id] >= cast.trade_at]
    assert moved
    assert all(before[y] in (games[p.game_id].home, games[p.game_id].away) for p in moved)
    # nobody else moved, and every box line is still there
    assert len(recast.box) == len(sandbox_season.box)
    assert sum(1 for a, b in zip(sandbox_season.box, recast.box, strict=True) if a != b) > 0
    assert all(
        a == b for a, b in zip(sandbox_season.box, recast.box, strict=True) if a.player_id not in cast.traded
    )


@pytest.fixture(scope="module")
def served(recast: Season) -> Iterator[tuple[httpx.Client, SandboxClock]]:
    clock = SandboxClock(et_datetime(recast.last_date + timedelta(days=2), 9))
    app = create_app(
        recast,
        clock=clock,
        faults=FaultPlan(),
        bdl_key=KEY,
        odds_key=KEY,
        odds_quota=100_000,
        profile=get_profile(REAL_HISTORY),
    )
    with serve_in_thread(app) as server, httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client, clock


def test_the_server_answers_like_the_real_hosts_for_a_past_season(
    recast: Season, served: tuple[httpx.Client, SandboxClock]
) -> None:
    client, _ = served
    profile = get_profile(REAL_HISTORY)
    gone = next(g for g in recast.games if not profile.has_pbp(g.game_id))
    kept = next(g for g in recast.games if profile.has_pbp(g.game_id))
    pbp = "/static/json/liveData/playbyplay/playbyplay_{}.json"
    assert client.get(pbp.format(gone.game_id)).status_code == 403
    assert client.get(pbp.format(kept.game_id)).status_code == 200
    index = client.get("/stats/playerindex", params={"LeagueID": "00", "Season": recast.label})
    assert index.status_code == 404
    pdfs = {game_date_of(r.published_utc): r for r in recast.injury_reports}
    missing_day = next(d for d in pdfs if not profile.has_injury_pdf(d))
    kept_day = next(d for d in pdfs if profile.has_injury_pdf(d))
    for day, status in ((missing_day, 403), (kept_day, 200)):
        name = injury_pdf.report_filename(pdfs[day].published_utc)
        assert client.get(f"/referee/injury/{name}").status_code == status


def test_historical_odds_are_the_snapshot_in_force_at_the_requested_time(
    recast: Season, served: tuple[httpx.Client, SandboxClock]
) -> None:
    client, _ = served
    game = recast.games_by_date[sorted(recast.games_by_date)[30]][0]
    times = sorted(recast.snapshot_times[game.game_id])
    asked = times[0] + timedelta(minutes=7)  # after the opening line, before the next
    body = client.get(
        f"/v4/historical/sports/basketball_nba/events/{game.odds_event_id}/odds",
        params={"apiKey": KEY, "regions": "us", "markets": "player_points", "date": asked.isoformat()},
    ).json()
    assert body["timestamp"] == times[0].strftime("%Y-%m-%dT%H:%M:%SZ")
    # BDL injuries are only what is in force at the server's clock: nothing from the past season
    notes = client.get("/v1/player_injuries", headers={"Authorization": KEY}, params={"per_page": 100})
    assert notes.status_code == 200
    assert all(n["description"][:3] in {"Apr", "May", "Jun"} for n in notes.json()["data"])
