"""``load_payload`` on the real captures, into a real in-memory DuckDB warehouse."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from nbaprops.errors import WarehouseError
from nbaprops.lake import LakeObject
from nbaprops.ops.alerts import Alerter
from nbaprops.raw.loaders import (
    KIND_TABLES,
    LoadResult,
    ParsedPayload,
    load_batch,
    load_payload,
    parse_payload,
)
from nbaprops.raw.registry import maybe_gunzip, parser_for
from nbaprops.raw.tables import IGNORED_FIELDS, LOAD_RULES, PROVENANCE
from nbaprops.warehouse import create_schema, table_spec
from nbaprops.warehouse.duckdb import DuckDBWarehouse

FETCHED = datetime(2025, 1, 15, 18, 0, tzinfo=UTC)
LOADED = datetime(2025, 1, 16, 9, 0, tzinfo=UTC)
CAPTURED = sorted(
    kind
    for kind in KIND_TABLES
    if kind not in {"bdl_games", "bdl_teams", "bdl_players", "oddsa_player_props"}
)


@pytest.fixture
def warehouse() -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(":memory:", query_timeout_s=30)
    create_schema(wh)
    yield wh
    wh.close()


def capture(real_fixtures: Path, kind: str) -> bytes:
    return next((real_fixtures / kind).glob("raw_*")).read_bytes()


def lake_object(kind: str, payload: bytes, fetched_at: datetime = FETCHED, name: str = "a") -> LakeObject:
    return LakeObject(
        path=f"test/{kind}/undated/20250115T180000Z_{name:0>16}.json",
        source="test",
        endpoint=kind,
        game_date=None,
        fetched_at=fetched_at,
        sha256="0" * 64,
        size=len(payload),
        content_type="application/json",
    )


def load(
    wh: DuckDBWarehouse,
    kind: str,
    payload: bytes,
    *,
    obj: LakeObject | None = None,
    alerter: Alerter | None = None,
) -> LoadResult:
    obj = obj or lake_object(kind, payload)
    return load_payload(wh, kind=kind, obj=obj, payload=payload, loaded_at=LOADED, alerter=alerter)


def table_rows(wh: DuckDBWarehouse, table: str) -> list[tuple[object, ...]]:
    return wh.query_rows(f"SELECT * FROM {table} ORDER BY ALL")  # noqa: S608 - test, known table


@pytest.mark.parametrize("kind", CAPTURED)
def test_every_real_capture_loads_all_its_rows_with_provenance(
    warehouse: DuckDBWarehouse, real_fixtures: Path, kind: str
) -> None:
    payload = capture(real_fixtures, kind)
    expected = len(parser_for(kind).parse(maybe_gunzip(payload)))
    result = load_payload(
        warehouse, kind=kind, obj=lake_object(kind, payload), payload=payload, loaded_at=LOADED
    )
    table = KIND_TABLES[kind]
    assert (result.status, result.rows_in, result.rows_written) == ("loaded", expected, expected)
    assert warehouse.row_count(table) == expected
    provenance = warehouse.query_rows(
        f"SELECT DISTINCT source_file, loaded_at FROM {table}"  # noqa: S608
    )
    assert provenance == [(lake_object(kind, payload).path, LOADED)]


@pytest.mark.parametrize("kind", CAPTURED)
def test_loading_the_same_payload_twice_changes_nothing(
    warehouse: DuckDBWarehouse, real_fixtures: Path, kind: str
) -> None:
    payload = capture(real_fixtures, kind)
    load(warehouse, kind, payload)
    before = table_rows(warehouse, KIND_TABLES[kind])
    again = load_payload(
        warehouse,
        kind=kind,
        obj=lake_object(kind, payload),
        payload=payload,
        loaded_at=LOADED + timedelta(days=3),
    )
    assert (again.status, again.rows_written) == ("unchanged", 0)
    assert table_rows(warehouse, KIND_TABLES[kind]) == before


@pytest.mark.parametrize("kind", CAPTURED)
def test_every_parser_field_has_a_column_and_every_column_a_source(real_fixtures: Path, kind: str) -> None:
    rows = parser_for(kind).parse(maybe_gunzip(capture(real_fixtures, kind)))
    spec = table_spec(KIND_TABLES[kind])
    rule = LOAD_RULES[spec.name]
    fields = set(rows[0]) - IGNORED_FIELDS
    derived = {*PROVENANCE, *rule.filled_later, "snapshot_at"}
    if rule.dated_by_fetch is not None:
        derived |= set(rule.dated_by_fetch(rows[0], FETCHED))
    assert fields <= set(spec.column_names)
    assert set(spec.column_names) - derived <= fields


def test_every_loaded_table_declares_its_write_mode_and_identity_columns() -> None:
    for table in KIND_TABLES.values():
        spec, rule = table_spec(table), LOAD_RULES[table]
        assert spec.column_names[-len(PROVENANCE) :] == PROVENANCE
        if rule.mode == "append":
            assert "snapshot_at" in spec.key
        if "player_lookup" in spec.column_names and table != "raw_nbac_schedule":
            assert "player_id" in rule.filled_later
            assert "player_id" in spec.column_names


def test_merge_replaces_rows_by_key_with_a_newer_fetch(
    warehouse: DuckDBWarehouse, real_fixtures: Path
) -> None:
    kind = "nbac_scoreboard_v2"
    payload = capture(real_fixtures, kind)
    load(warehouse, kind, payload)
    changed = payload.replace(b"Wells Fargo Center", b"The Wells Fargo Center")
    newer = lake_object(kind, changed, FETCHED + timedelta(hours=1), name="b")
    result = load(warehouse, kind, changed, obj=newer)
    assert result.status == "loaded"
    assert warehouse.row_count("raw_nbac_scoreboard") == 11
    arena = warehouse.query_rows(
        "SELECT arena, source_file FROM raw_nbac_scoreboard WHERE game_id = '0022400561'"
    )
    assert arena == [("The Wells Fargo Center", newer.path)]


def test_an_older_fetch_delivered_late_changes_nothing(
    warehouse: DuckDBWarehouse, real_fixtures: Path
) -> None:
    """The 11:00 scrape ingested after the evening one must not turn final games back."""
    kind = "nbac_scoreboard_v2"
    evening = capture(real_fixtures, kind)
    morning = evening.replace(b"Wells Fargo Center", b"The Wells Fargo Center")
    load(warehouse, kind, evening, obj=lake_object(kind, evening, FETCHED + timedelta(hours=10), name="b"))
    before = table_rows(warehouse, "raw_nbac_scoreboard")
    result = load(warehouse, kind, morning, obj=lake_object(kind, morning, FETCHED))
    assert (result.status, result.rows_in, result.rows_written) == ("unchanged", 11, 0)
    assert table_rows(warehouse, "raw_nbac_scoreboard") == before


def test_a_reload_keeps_the_player_ids_the_identity_step_filled(
    warehouse: DuckDBWarehouse, real_fixtures: Path
) -> None:
    kind = "nbac_player_boxscore"
    payload = capture(real_fixtures, kind)
    load(warehouse, kind, payload)
    warehouse.execute("UPDATE raw_nbac_player_boxscores SET player_id = player_source_id")
    changed = payload.replace(b'"Stephen Curry"', b'"Stephen  Curry"')
    newer = lake_object(kind, changed, FETCHED + timedelta(hours=1), name="b")
    assert load(warehouse, kind, changed, obj=newer).rows_written > 0
    assert warehouse.query_rows("SELECT count(*) FROM raw_nbac_player_boxscores WHERE player_id IS NULL") == [
        (0,)
    ]


def test_append_only_snapshots_are_kept_and_deduplicated(
    warehouse: DuckDBWarehouse, real_fixtures: Path
) -> None:
    kind = "bdl_injuries"  # live payload: the snapshot is the lake's fetched_at
    payload = capture(real_fixtures, kind)
    load(warehouse, kind, payload)
    load(warehouse, kind, payload, obj=lake_object(kind, payload, name="b"))  # same snapshot: deduped
    assert warehouse.row_count("raw_bdl_injuries") == 100
    later = lake_object(kind, payload, FETCHED + timedelta(hours=6), name="c")
    assert load(warehouse, kind, payload, obj=later).rows_written == 100
    assert warehouse.query_rows("SELECT count(DISTINCT snapshot_at) FROM raw_bdl_injuries") == [(2,)]


def test_odds_snapshot_comes_from_the_payload_not_the_fetch(
    warehouse: DuckDBWarehouse, real_fixtures: Path
) -> None:
    kind = "oddsa_events_his"
    payload = capture(real_fixtures, kind)
    load(warehouse, kind, payload)
    refetched = lake_object(kind, payload, FETCHED + timedelta(days=30), name="b")
    load(warehouse, kind, payload, obj=refetched)
    assert warehouse.row_count("raw_oddsa_events") == 10
    snapshots = warehouse.query_rows("SELECT DISTINCT snapshot_at FROM raw_oddsa_events")
    assert snapshots == [(datetime(2024, 1, 25, 3, 55, 40, tzinfo=UTC),)]


def test_an_html_error_page_is_quarantined_alerted_and_writes_no_rows(warehouse: DuckDBWarehouse) -> None:
    alerter = Alerter(warehouse)
    page = b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>"
    result = load(warehouse, "nbac_player_boxscore", page, alerter=alerter)
    assert result.status == "quarantined"
    assert warehouse.row_count("raw_nbac_player_boxscores") == 0
    row = warehouse.query_rows("SELECT kind, lake_path, error_type, first_bytes FROM quarantine")
    assert row == [
        ("nbac_player_boxscore", lake_object("nbac_player_boxscore", page).path, "PayloadError", page)
    ]
    [alert] = alerter.of_kind("quarantine")
    assert alert.context["lake_path"] == lake_object("nbac_player_boxscore", page).path
    assert warehouse.row_count("alerts") == 1


def test_a_value_that_does_not_fit_its_column_is_schema_drift(
    warehouse: DuckDBWarehouse, real_fixtures: Path
) -> None:
    kind = "oddsa_events_his"
    document = json.loads(capture(real_fixtures, kind))
    document["timestamp"] = "not a time"
    payload = json.dumps(document).encode()
    result = load(warehouse, kind, payload)
    assert result.status == "quarantined"
    assert warehouse.query_rows("SELECT error_type FROM quarantine") == [("SchemaDrift",)]
    assert warehouse.row_count("raw_oddsa_events") == 0


def _item(kind: str, payload: bytes, obj: LakeObject) -> ParsedPayload:
    return ParsedPayload(kind, obj, payload, parse_payload(kind, payload))


def test_a_batch_writes_one_statement_per_table_and_the_newer_fetch_wins_a_key(
    real_fixtures: Path,
) -> None:
    wh = CountingWarehouse()
    kind = "nbac_scoreboard_v2"
    payload = capture(real_fixtures, kind)
    changed = payload.replace(b"Wells Fargo Center", b"The Wells Fargo Center")
    first, second = lake_object(kind, payload), lake_object(kind, changed, FETCHED + timedelta(hours=1), "b")
    results = load_batch(wh, [_item(kind, changed, second), _item(kind, payload, first)], loaded_at=LOADED)
    assert [(r.path, r.status, r.rows_written) for r in results] == [
        (second.path, "loaded", 11),
        (first.path, "unchanged", 0),
    ]
    assert wh.writes == [("merge", "raw_nbac_scoreboard", 11)]
    arena = wh.query_rows("SELECT arena, source_file FROM raw_nbac_scoreboard WHERE game_id = '0022400561'")
    assert arena == [("The Wells Fargo Center", second.path)]
    wh.close()


def test_the_same_bytes_twice_in_a_batch_are_written_once_under_the_newer_fetch(
    warehouse: DuckDBWarehouse, real_fixtures: Path
) -> None:
    kind = "nbac_scoreboard_v2"
    payload = capture(real_fixtures, kind)
    first, again = lake_object(kind, payload), lake_object(kind, payload, FETCHED + timedelta(hours=1), "b")
    results = load_batch(
        warehouse, [_item(kind, payload, first), _item(kind, payload, again)], loaded_at=LOADED
    )
    assert [(r.status, r.rows_written) for r in results] == [("unchanged", 0), ("loaded", 11)]
    assert warehouse.query_rows("SELECT DISTINCT source_file FROM raw_nbac_scoreboard") == [(again.path,)]


def test_time_series_rows_of_a_batch_keep_one_row_per_snapshot_and_count_per_payload(
    warehouse: DuckDBWarehouse, real_fixtures: Path
) -> None:
    kind = "bdl_injuries"
    payload = capture(real_fixtures, kind)
    first = lake_object(kind, payload)
    same_snapshot = lake_object(kind, payload, name="b")
    later = lake_object(kind, payload, FETCHED + timedelta(hours=6), name="c")
    results = load_batch(
        warehouse,
        [_item(kind, payload, o) for o in (first, same_snapshot, later)],
        loaded_at=LOADED,
    )
    # Same bytes, same fetch time: the path breaks the tie, the same way in any order.
    assert [(r.status, r.rows_written) for r in results] == [
        ("unchanged", 0),
        ("loaded", 100),
        ("loaded", 100),
    ]
    stored = warehouse.query_rows("SELECT source_file, count(*) FROM raw_bdl_injuries GROUP BY 1 ORDER BY 1")
    assert stored == [(same_snapshot.path, 100), (later.path, 100)]
    again = load_batch(warehouse, [_item(kind, payload, later)], loaded_at=LOADED)
    assert [(r.status, r.rows_written) for r in again] == [("unchanged", 0)]


def test_a_bad_payload_in_a_batch_is_quarantined_alone_and_results_keep_the_batch_order(
    warehouse: DuckDBWarehouse, real_fixtures: Path
) -> None:
    page = b"<html><body>502 Bad Gateway</body></html>"
    score = capture(real_fixtures, "nbac_scoreboard_v2")
    box = capture(real_fixtures, "nbac_player_boxscore")
    batch = [
        _item("nbac_scoreboard_v2", score, lake_object("nbac_scoreboard_v2", score)),
        _item("nbac_player_boxscore", page, lake_object("nbac_player_boxscore", page, name="bad")),
        _item("nbac_player_boxscore", box, lake_object("nbac_player_boxscore", box)),
    ]
    results = load_batch(warehouse, batch, loaded_at=LOADED)
    assert [(r.kind, r.status) for r in results] == [
        ("nbac_scoreboard_v2", "loaded"),
        ("nbac_player_boxscore", "quarantined"),
        ("nbac_player_boxscore", "loaded"),
    ]
    assert warehouse.query_rows("SELECT lake_path FROM quarantine") == [(batch[1].obj.path,)]
    assert warehouse.row_count("raw_nbac_player_boxscores") == results[2].rows_written > 0


def test_a_failed_write_leaves_nothing_of_the_batch(real_fixtures: Path) -> None:
    wh = CountingWarehouse(fail_on="raw_bdl_injuries")
    page = b"<html><body>502 Bad Gateway</body></html>"
    score = capture(real_fixtures, "nbac_scoreboard_v2")
    injuries = capture(real_fixtures, "bdl_injuries")
    batch = [
        _item("nbac_scoreboard_v2", score, lake_object("nbac_scoreboard_v2", score)),
        _item("nbac_player_boxscore", page, lake_object("nbac_player_boxscore", page)),
        _item("bdl_injuries", injuries, lake_object("bdl_injuries", injuries)),
    ]
    with pytest.raises(WarehouseError, match="refused"):
        load_batch(wh, batch, loaded_at=LOADED)
    assert ("merge", "raw_nbac_scoreboard", 11) in wh.writes  # written, then rolled back
    for table in ("raw_nbac_scoreboard", "raw_bdl_injuries", "quarantine", "alerts"):
        assert wh.row_count(table) == 0, table
    wh.close()


class CountingWarehouse(DuckDBWarehouse):
    """An in-memory warehouse that records each Arrow write (and can refuse one table's)."""

    def __init__(self, fail_on: str | None = None) -> None:
        super().__init__(":memory:", query_timeout_s=30)
        create_schema(self)
        self.writes: list[tuple[str, str, int]] = []
        self.fail_on = fail_on

    def _note(self, how: str, table_name: str, arrow_table: pa.Table) -> None:
        self.writes.append((how, table_name, arrow_table.num_rows))
        if table_name == self.fail_on:
            raise WarehouseError(f"{table_name}: write refused by the test")

    def insert_arrow(self, table_name: str, arrow_table: pa.Table) -> int:
        self._note("insert", table_name, arrow_table)
        return super().insert_arrow(table_name, arrow_table)

    def merge_arrow(
        self,
        table_name: str,
        arrow_table: pa.Table,
        key_columns: Sequence[str] | None = None,
        *,
        newer_by: Sequence[str] = (),
    ) -> int:
        self._note("merge", table_name, arrow_table)
        return super().merge_arrow(table_name, arrow_table, key_columns, newer_by=newer_by)


def test_the_parse_memo_answers_only_for_the_parser_that_made_the_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A scrape and its ingest parse the same bytes once; a parser replaced in the registry (a new
    version, a planted fault) is asked again instead of being answered from the old one's rows."""
    from dataclasses import replace

    from nbaprops.errors import PayloadError
    from nbaprops.raw.registry import parse_bytes, parsers

    kind = "bdl_teams"
    payload = json.dumps({"data": [], "meta": {}}).encode()
    calls: list[bytes] = []
    original = parsers()[kind]

    def counting(raw: bytes) -> list[dict[str, object]]:
        calls.append(raw)
        return [{"marker": len(calls)}]

    monkeypatch.setitem(parsers(), kind, replace(original, parse=counting))
    assert parse_bytes(kind, payload) == [{"marker": 1}]
    assert parse_bytes(kind, payload) == [{"marker": 1}]  # the second parse is a lookup
    assert len(calls) == 1

    def broken(raw: bytes) -> list[dict[str, object]]:
        raise PayloadError(f"{kind}: planted")

    monkeypatch.setitem(parsers(), kind, replace(original, parse=broken))
    with pytest.raises(PayloadError, match="planted"):
        parse_bytes(kind, payload)
