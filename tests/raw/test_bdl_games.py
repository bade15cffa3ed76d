"""The Ball Don't Lie games parser, on pages rendered from a generated sandbox season."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.raw.parsers import bdl_games
from nbaprops.sandbox import render_bdl
from nbaprops.sandbox.model import Season, SimGame


def _page(s: Season, now_offset: timedelta | None = None) -> tuple[bytes, list[SimGame]]:
    day = s.games[0].game_date
    after_season = max(g.tip_utc for g in s.games) + timedelta(days=1)
    now = after_season if now_offset is None else s.games[0].tip_utc + now_offset
    payload = render_bdl.games_payload(s, now, {"dates[]": [day.isoformat()], "per_page": ["100"]})
    return json.dumps(payload).encode(), [g for g in s.games if g.game_date == day]


def test_final_games_carry_tricodes_scores_and_quarters_that_add_up(sandbox_season: Season) -> None:
    payload, games = _page(sandbox_season)
    rows = bdl_games.parse(payload)
    assert len(rows) == len(games)
    by_id = {row["source_game_id"]: row for row in rows}
    for game in games:
        row = by_id[str(game.bdl_id)]
        assert (row["home_team"], row["visitor_team"]) == (game.home, game.away)
        assert row["home_score"] == sum(game.home_periods)
        assert row["visitor_score"] == sum(game.away_periods)
        assert row["is_final"] is True
        assert row["periods"] == len(game.home_periods)
        assert row["game_date"] == game.game_date.isoformat()
        assert row["game_id"] is None  # filled by the identity step from (date, home, away)


def test_scheduled_games_parse_with_null_quarters_and_no_periods(sandbox_season: Season) -> None:
    payload, games = _page(sandbox_season, timedelta(hours=-2))
    rows = bdl_games.parse(payload)
    assert len(rows) == len(games)
    first = next(r for r in rows if r["source_game_id"] == str(games[0].bdl_id))
    assert (first["is_final"], first["home_score"], first["home_q1"], first["periods"]) == (
        False,
        0,
        None,
        None,
    )


def _without_line_score(document: dict[str, Any]) -> dict[str, Any]:
    """The real shape of a games page that carries no quarter or overtime keys at all."""
    periods = {
        f"{side}_{p}" for side in ("home", "visitor") for p in (*bdl_games.QUARTERS, *bdl_games.OVERTIMES)
    }
    document["data"] = [{k: v for k, v in game.items() if k not in periods} for game in document["data"]]
    return document


def test_a_page_without_quarter_keys_keeps_every_final_game(sandbox_season: Season) -> None:
    payload, games = _page(sandbox_season)
    document = _without_line_score(json.loads(payload))
    assert "home_q1" not in document["data"][0]
    rows = bdl_games.parse(json.dumps(document).encode())
    assert len(rows) == len(games) >= 2
    by_id = {row["source_game_id"]: row for row in rows}
    for game in games:
        row = by_id[str(game.bdl_id)]
        assert (row["home_score"], row["visitor_score"]) == (game.home_score, game.away_score)
        assert row["is_final"] is True
        assert row["periods"] == game.periods  # from BDL's period, overtime included
        assert (row["home_q1"], row["visitor_q4"], row["home_ot"]) == (None, None, None)


def test_a_line_score_on_one_side_only_is_drift(sandbox_season: Season) -> None:
    payload, _ = _page(sandbox_season)
    document = json.loads(payload)
    for q in bdl_games.QUARTERS + bdl_games.OVERTIMES:
        document["data"][0].pop(f"visitor_{q}")
    with pytest.raises(SchemaDrift, match="one side only"):
        bdl_games.parse(json.dumps(document).encode())


def test_quarters_that_do_not_add_up_to_the_score_are_drift(sandbox_season: Season) -> None:
    payload, _ = _page(sandbox_season)
    document = json.loads(payload)
    document["data"][0]["home_q1"] += 1
    with pytest.raises(SchemaDrift, match="add up"):
        bdl_games.parse(json.dumps(document).encode())


def test_unknown_team_and_renamed_field_are_drift(sandbox_season: Season) -> None:
    payload, _ = _page(sandbox_season)
    document = json.loads(payload)
    document["data"][0]["home_team"]["id"] = 999
    with pytest.raises(SchemaDrift, match="not an NBA team"):
        bdl_games.parse(json.dumps(document).encode())
    document = json.loads(payload)
    document["data"][0]["datetime_utc"] = document["data"][0].pop("datetime")
    with pytest.raises(SchemaDrift, match="missing"):
        bdl_games.parse(json.dumps(document).encode())


def test_html_error_page_is_a_payload_error() -> None:
    with pytest.raises(PayloadError):
        bdl_games.parse(b"<html><body>502 Bad Gateway</body></html>")
