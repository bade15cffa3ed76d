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
