"""The Ball Don't Lie teams parser, on the sandbox's ``/v1/teams`` payload."""

from __future__ import annotations

import json

import pytest

from nbaprops.errors import SchemaDrift
from nbaprops.identity import TEAMS
from nbaprops.raw.parsers import bdl_teams
from nbaprops.sandbox import render_bdl


def test_thirty_franchises_map_to_nba_tricodes() -> None:
    rows = bdl_teams.parse(json.dumps(render_bdl.teams_payload()).encode())
    assert len(rows) == 30
    assert {row["team"] for row in rows} == {t.tricode for t in TEAMS}
    assert all(row["team"] == row["abbreviation"] for row in rows)


def test_a_defunct_franchise_keeps_a_null_tricode() -> None:
    document = render_bdl.teams_payload()
    document["data"].append(
        {
            "id": 37,
            "conference": " ",
            "division": " ",
            "city": "Chicago",
            "name": "Stags",
            "full_name": "Chicago Stags",
            "abbreviation": "CHS",
        }
    )
    rows = bdl_teams.parse(json.dumps(document).encode())
    assert rows[-1]["team"] is None
    assert rows[-1]["full_name"] == "Chicago Stags"


def test_an_abbreviation_that_disagrees_with_the_id_is_drift() -> None:
    document = render_bdl.teams_payload()
    document["data"][0]["abbreviation"] = "XXX"
    with pytest.raises(SchemaDrift, match="abbreviation"):
        bdl_teams.parse(json.dumps(document).encode())
