"""The Odds API events list: FACTS of oddsa_events_his/raw_4c3bc8f6.json plus typed errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.raw.parsers import oddsa_events_his
from nbaprops.raw.registry import parser_for

GSW_ATL = "cd0bc7d0c238f4446ce1c03d0cea7ec4"
GSW_SAC = "c718b0180074acc92ec22727eca92557"


@pytest.fixture(scope="module")
def raw(real_fixtures: Path) -> bytes:
    return (real_fixtures / "oddsa_events_his" / "raw_4c3bc8f6.json").read_bytes()


def test_fact1_snapshot_envelope_and_ten_events(raw: bytes) -> None:
    rows = oddsa_events_his.parse(raw)
    assert len(rows) == 10
    assert {r["snapshot_timestamp"] for r in rows} == {"2024-01-25T03:55:40Z"}
    assert {r["previous_timestamp"] for r in rows} == {"2024-01-25T03:50:38Z"}
    assert {r["next_timestamp"] for r in rows} == {"2024-01-25T04:00:38Z"}
    assert all(r["source"] == "oddsapi" and r["kind"] == "oddsa_events_his" for r in rows)


def test_fact2_three_events_started_before_the_snapshot(raw: bytes) -> None:
    rows = oddsa_events_his.parse(raw)
    started = [
        (r["away_team"], r["home_team"], r["commence_time"]) for r in rows if r["started_before_snapshot"]
    ]
    assert started == [
        ("PHX", "DAL", "2024-01-25T01:40:00Z"),
        ("OKC", "SAS", "2024-01-25T02:45:24Z"),
        ("ATL", "GSW", "2024-01-25T03:20:30Z"),
    ]
    later = [r for r in rows if not r["started_before_snapshot"]]
    assert len(later) == 7
    assert all("2024-01-26T00:10:00Z" <= str(r["commence_time"]) <= "2024-01-26T03:40:00Z" for r in later)


def test_utc_tips_land_on_the_eastern_game_date(raw: bytes) -> None:
    rows = {r["event_id"]: r for r in oddsa_events_his.parse(raw)}
    assert rows[GSW_ATL]["game_date"] == "2024-01-24"  # 03:20Z on the 25th is 10:20 pm ET on the 24th
    assert rows[GSW_SAC]["game_date"] == "2024-01-25"
    assert {r["season"] for r in rows.values()} == {"2023-24"}


def test_fact3_gsw_is_home_twice(raw: bytes) -> None:
    home_gsw = {r["event_id"]: r for r in oddsa_events_his.parse(raw) if r["home_team"] == "GSW"}
    assert set(home_gsw) == {GSW_ATL, GSW_SAC}
    assert home_gsw[GSW_ATL]["away_team"] == "ATL"
    assert home_gsw[GSW_SAC]["away_team"] == "SAC"
    assert home_gsw[GSW_SAC]["commence_time"] == "2024-01-26T03:10:00Z"


def test_a_live_bare_array_parses_without_snapshot(raw: bytes) -> None:
    events = json.loads(raw)["data"]
    rows = oddsa_events_his.parse(json.dumps(events).encode())
    assert len(rows) == 10
    assert rows[0]["snapshot_timestamp"] is None
    assert rows[0]["started_before_snapshot"] is None


def test_an_empty_snapshot_is_legitimately_empty(raw: bytes) -> None:
    document = json.loads(raw) | {"data": []}
    assert oddsa_events_his.parse(json.dumps(document).encode()) == []


def test_the_registry_finds_the_parser() -> None:
    assert parser_for("oddsa_events_his").parse is oddsa_events_his.parse


def test_truncated_bytes_are_a_payload_error(raw: bytes) -> None:
    with pytest.raises(PayloadError, match="oddsa_events_his: not valid JSON"):
        oddsa_events_his.parse(raw[: len(raw) // 2])


def test_an_html_page_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="HTML"):
        oddsa_events_his.parse(b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>")


def test_a_renamed_field_is_schema_drift_naming_it(raw: bytes) -> None:
    with pytest.raises(SchemaDrift, match=r"data\[0\]\.commence_time is missing"):
        oddsa_events_his.parse(raw.replace(b'"commence_time"', b'"start_time"', 1))


def test_a_wrong_type_is_schema_drift(raw: bytes) -> None:
    document = json.loads(raw)
    document["data"][2]["home_team"] = 7
    with pytest.raises(SchemaDrift, match="home_team must be a non-empty string"):
        oddsa_events_his.parse(json.dumps(document).encode())


def test_an_unknown_team_is_schema_drift(raw: bytes) -> None:
    with pytest.raises(SchemaDrift, match="unknown team 'Seattle SuperSonics'"):
        oddsa_events_his.parse(raw.replace(b"Dallas Mavericks", b"Seattle SuperSonics"))


def test_gzip_input_is_accepted(raw: bytes) -> None:
    import gzip

    assert oddsa_events_his.parse(gzip.compress(raw)) == oddsa_events_his.parse(raw)
