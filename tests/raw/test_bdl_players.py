"""The Ball Don't Lie active-players parser, on pages rendered from a generated sandbox season."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nbaprops.errors import SchemaDrift
from nbaprops.raw.parsers import bdl_players
from nbaprops.sandbox import render_bdl
from nbaprops.sandbox.model import Season


def _document(s: Season) -> dict[str, Any]:
    return render_bdl.active_players_payload(s, {"per_page": ["100"]})


def test_players_carry_bdl_ids_spellings_and_tricodes(sandbox_season: Season) -> None:
    s = sandbox_season
    rows = bdl_players.parse(json.dumps(_document(s)).encode())
    assert len(rows) == 100
    by_bdl = {p.bdl_id: p for p in s.players}
    for row in rows:
        player = by_bdl[row["player_source_id"]]
        assert row["player_name"] == f"{player.bdl_first_name} {player.bdl_last_name}"
        assert row["team"] == player.team
        assert row["weight_lb"] == player.weight


def test_a_weight_that_is_not_pounds_is_drift(sandbox_season: Season) -> None:
    document = _document(sandbox_season)
    document["data"][0]["weight"] = "2000"
    with pytest.raises(SchemaDrift, match="weight"):
        bdl_players.parse(json.dumps(document).encode())


def test_a_player_twice_on_a_page_is_drift(sandbox_season: Season) -> None:
    document = _document(sandbox_season)
    document["data"].append(document["data"][0])
    with pytest.raises(SchemaDrift, match="twice"):
        bdl_players.parse(json.dumps(document).encode())


# BDL numbers defunct franchises past 30; its /v1/teams lists them with blank conference/division.
WASHINGTON_CAPITOLS = {
    "id": 45,
    "conference": "    ",
    "division": "   ",
    "city": "Washington",
    "name": "Capitols",
    "full_name": "Washington Capitols",
    "abbreviation": "WSC",
}


def test_a_player_of_a_defunct_team_keeps_his_row_with_no_team_and_the_page_loads(
    sandbox_season: Season,
) -> None:
    from datetime import UTC, datetime

    from nbaprops.lake import LakeObject
    from nbaprops.raw.loaders import load_payload
    from nbaprops.warehouse import create_schema
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    document = _document(sandbox_season)
    document["data"][7]["team"] = WASHINGTON_CAPITOLS
    payload = json.dumps(document).encode()
    rows = bdl_players.parse(payload)
    assert len(rows) == 100
    defunct = rows[7]
    assert (defunct["team"], defunct["team_source_id"]) == (None, 45)
    assert all(row["team"] for i, row in enumerate(rows) if i != 7)
    fetched = datetime(2025, 11, 3, 15, 0, tzinfo=UTC)
    obj = LakeObject(
        path="bdl/players/undated/20251103T150000Z_0000000000000001.json",
        source="bdl",
        endpoint="players",
        game_date=None,
        fetched_at=fetched,
        sha256="0" * 64,
        size=len(payload),
        content_type="application/json",
    )
    with DuckDBWarehouse(":memory:", query_timeout_s=30) as wh:
        create_schema(wh)
        result = load_payload(wh, kind="bdl_players", obj=obj, payload=payload, loaded_at=fetched)
        assert (result.status, result.rows_written) == ("loaded", 100)
        assert wh.query_rows(
            "SELECT team, team_source_id FROM raw_bdl_players WHERE player_source_id = ?",
            [defunct["player_source_id"]],
        ) == [(None, 45)]
