"""The Odds API renderers as pure functions: query parsing, prices, snapshots, listings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_server import SEASON, TIP1, TIP2, TIP3

from nbaprops.sandbox import render_odds
from nbaprops.sandbox.render_odds import OddsQuery, OddsRequestError

GAME = SEASON.game_by_id["0022500001"]


def test_query_parsing_follows_the_api_rules() -> None:
    q = OddsQuery.parse(
        {"markets": "player_points,spreads,player_points", "regions": "us", "oddsFormat": "american"}
    )
    assert (q.markets, q.region_count, q.decimal) == (("player_points", "spreads"), 1, False)
    assert OddsQuery.parse({"bookmakers": "draftkings,fanduel"}).region_count == 1
    assert OddsQuery.parse({"regions": "us"}).markets == ("h2h",)  # the API's default market
    for bad in (
        {"markets": "player_rebounds_x", "regions": "us"},
        {"markets": "h2h"},
        {"regions": "us", "oddsFormat": "fractional"},
    ):
        with pytest.raises(OddsRequestError):
            OddsQuery.parse(bad)


def test_decimal_and_american_prices() -> None:
    q_dec = OddsQuery.parse({"markets": "totals", "regions": "us"})
    q_us = OddsQuery.parse({"markets": "totals", "regions": "us", "oddsFormat": "american"})
    dec, _ = render_odds.event_odds(SEASON, GAME, TIP1, q_dec, historical=False)
    us, _ = render_odds.event_odds(SEASON, GAME, TIP1, q_us, historical=False)
    assert [o["price"] for o in us["bookmakers"][0]["markets"][0]["outcomes"]] == [-112, -108]
    assert [o["price"] for o in dec["bookmakers"][0]["markets"][0]["outcomes"]] == [1.89, 1.93]


def test_event_odds_use_the_latest_snapshot_at_or_before_the_moment_in_play_ones_after_tip() -> None:
    q = OddsQuery.parse({"markets": "player_points,spreads", "regions": "us"})
    snaps = SEASON.snapshot_times[GAME.game_id]
    early, count = render_odds.event_odds(SEASON, GAME, snaps[0] + timedelta(minutes=1), q, historical=False)
    assert count == 2
    assert early["bookmakers"][0]["markets"][1]["outcomes"][0]["point"] == 15.5
    closing, _ = render_odds.event_odds(SEASON, GAME, TIP1 - timedelta(seconds=1), q, historical=True)
    assert closing["bookmakers"][0]["markets"][1]["outcomes"][0]["point"] == 18.5  # the last pre-tip one
    assert closing["bookmakers"][0]["last_update"] < TIP1.strftime("%Y-%m-%dT%H:%M:%SZ")
    live, _ = render_odds.event_odds(SEASON, GAME, TIP1 + timedelta(hours=1), q, historical=True)
    assert live["bookmakers"][0]["last_update"] > TIP1.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "last_update" not in early["bookmakers"][0]  # as in the real current-odds capture


def test_bookmakers_filter_and_foreign_regions() -> None:
    only_fd = OddsQuery.parse({"markets": "spreads", "bookmakers": "fanduel"})
    event, _ = render_odds.event_odds(SEASON, GAME, TIP1, only_fd, historical=False)
    assert [b["key"] for b in event["bookmakers"]] == ["fanduel"]
    uk = OddsQuery.parse({"markets": "spreads", "regions": "uk"})
    assert render_odds.event_odds(SEASON, GAME, TIP1, uk, historical=False)[0]["bookmakers"] == []


def test_h2h_favours_the_spread_favourite() -> None:
    q = OddsQuery.parse({"markets": "h2h", "regions": "us", "oddsFormat": "american"})
    event, _ = render_odds.event_odds(SEASON, GAME, TIP1, q, historical=False)
    away, home = event["bookmakers"][0]["markets"][0]["outcomes"]
    assert home["name"] == "Boston Celtics"
    assert home["price"] < 0 < away["price"]


def test_historical_odds_before_any_snapshot_do_not_exist() -> None:
    q = OddsQuery.parse({"markets": "spreads", "regions": "us"})
    assert render_odds.historical_event_odds_payload(SEASON, TIP3, GAME, TIP1 - timedelta(days=1), q) is None


def test_events_listing_drops_finished_games_and_honours_commence_filters() -> None:
    ids = [e["id"] for e in render_odds.events_payload(SEASON, TIP1 + timedelta(hours=3))]
    assert ids == ["b" * 32, "c" * 32]
    window = render_odds.events_payload(SEASON, TIP1 - timedelta(hours=1), TIP2, TIP2)
    assert [e["id"] for e in window] == ["b" * 32]
    assert window[0]["home_team"] == "Los Angeles Lakers"
    assert window[0]["commence_time"] == "2025-10-22T02:00:00Z"


def test_historical_events_envelope_neighbours() -> None:
    grid = render_odds.all_snapshot_times(SEASON)
    body = render_odds.historical_events_payload(SEASON, TIP3, grid[3] + timedelta(seconds=1), grid)
    assert body["timestamp"] == render_odds.iso(grid[3])
    assert body["previous_timestamp"] == render_odds.iso(grid[2])
    assert body["next_timestamp"] == render_odds.iso(grid[4])
    first = render_odds.historical_events_payload(SEASON, TIP3, grid[0] - timedelta(hours=1), grid)
    assert (first["timestamp"], first["data"]) == (None, [])
