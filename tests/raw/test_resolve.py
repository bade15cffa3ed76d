"""``resolve_identities`` on a real in-memory DuckDB loaded through the raw loaders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from nbaprops.identity import player_lookup
from nbaprops.lake import LakeObject, open_lake
from nbaprops.ops.alerts import Alerter
from nbaprops.raw.loaders import KIND_TABLES, load_payload
from nbaprops.raw.resolve import ResolveReport, resolve_identities
from nbaprops.settings import load_settings
from nbaprops.warehouse import Params, create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse

LOADED = datetime(2025, 1, 16, 9, 0, tzinfo=UTC)
REAL_KINDS = (
    "nbac_player_list",
    "nbac_player_boxscore",
    "nbac_schedule_api",
    "nbac_scoreboard_v2",
    "nbac_play_by_play",
    "nbac_injury_report",
    "bdl_box_scores",
    "bdl_injuries",
    "oddsa_events_his",
    "oddsa_game_lines_his",
    "oddsa_player_props",
    "espn_scoreboard_api",
)


def lake_object(kind: str, payload: bytes) -> LakeObject:
    return LakeObject(
        path=f"test/{kind}/undated/20250115T180000Z_{'a':0>16}.json",
        source="test",
        endpoint=kind,
        game_date=None,
        fetched_at=LOADED,
        sha256="0" * 64,
        size=len(payload),
        content_type="application/json",
    )


def real_warehouse(real_fixtures: Path, kinds: tuple[str, ...] = REAL_KINDS) -> DuckDBWarehouse:
    wh = DuckDBWarehouse(":memory:", query_timeout_s=30)
    create_schema(wh)
    for kind in kinds:
        path = next(
            p for p in sorted((real_fixtures / kind).iterdir()) if p.suffix in {".json", ".gz", ".pdf"}
        )
        payload = path.read_bytes()
        result = load_payload(
            wh, kind=kind, obj=lake_object(kind, payload), payload=payload, loaded_at=LOADED
        )
        assert result.status == "loaded", (kind, result.error)
    return wh


@dataclass
class Resolved:
    warehouse: DuckDBWarehouse
    alerter: Alerter
    report: ResolveReport


@pytest.fixture(scope="module")
def resolved(real_fixtures: Path) -> Iterator[Resolved]:
    """Every real capture loaded and resolved once (read-only tests share it)."""
    wh = real_warehouse(real_fixtures)
    alerter = Alerter(wh)
    report = resolve_identities(wh, alerter)
    yield Resolved(wh, alerter, report)
    wh.close()


@pytest.fixture
def fresh(real_fixtures: Path) -> Iterator[DuckDBWarehouse]:
    wh = real_warehouse(real_fixtures)
    yield wh
    wh.close()


def rows(wh: DuckDBWarehouse, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
    return wh.query_rows(sql, params)


# --- players ---------------------------------------------------------------------------------


def test_registry_holds_every_nbacom_player_with_the_latest_name_and_team(resolved: Resolved) -> None:
    wh = resolved.warehouse
    assert resolved.report.registry_players == 602  # 594 rostered + 8 seen only in 2025-03-15 box scores
    butler = rows(
        wh,
        "SELECT display_name, team, first_seen, last_seen, source FROM player_registry "
        "WHERE player_id = 202710",
    )
    # The 2025-26 roster (counted from 1 October 2025) is newer than the 2025-03-15 box score.
    assert butler == [
        ("Jimmy Butler III", "GSW", date(2025, 3, 15), date(2025, 3, 15), "raw_nbac_player_list")
    ]
    assert rows(
        wh, "SELECT count(*) FROM raw_nbac_player_boxscores WHERE player_id IS DISTINCT FROM player_source_id"
    ) == [(0,)]


def test_bdl_jimmy_butler_rows_get_his_nbacom_id(resolved: Resolved) -> None:
    wh = resolved.warehouse
    assert rows(
        wh, "SELECT DISTINCT player_id FROM raw_bdl_box_scores WHERE player_name = 'Jimmy Butler'"
    ) == [(202710,)]
    stored = rows(
        wh, "SELECT player_id, method FROM player_source_ids WHERE source = 'bdl' AND player_id = 202710"
    )
    assert stored == [(202710, "lookup_without_suffix")]


def test_real_captures_resolve_at_the_measured_rates(resolved: Resolved) -> None:
    report = resolved.report
    assert report.names == 415
    assert report.resolution_rate >= 0.94
    assert report.player_rows_filled["raw_nbac_pbp_shots"] == 216  # every shot has its shooter
    assert report.player_rows_filled["raw_bdl_injuries"] == 100
    assert report.methods["source_id"] == 17  # the 17 play-by-play shooters, by NBA.com id


def test_unresolved_names_are_recorded_with_their_rows_and_alerted_once(resolved: Resolved) -> None:
    wh = resolved.warehouse
    recorded = {
        (r[0], r[1], r[2]): (r[3], json.loads(r[4]))
        for r in rows(wh, "SELECT source, player_name, team, occurrences, context FROM unresolved_names")
    }
    assert len(recorded) == len(resolved.report.unresolved) == 21
    occurrences, context = recorded[("oddsapi", "Bojan Bogdanovic", None)]
    assert occurrences == 1
    assert context["game_teams"] == ["BOS", "DET"]
    assert context["reason"] == "no_candidate"
    # Every raw row still without a player is counted in exactly one unresolved_names row.
    assert sum(o for o, _ in recorded.values()) == resolved.report.player_rows_unresolved
    [alert] = resolved.alerter.of_kind("unresolved_names")
    assert "Orlando Robinson (bdl, ORL)" in alert.message
    assert rows(wh, "SELECT count(*) FROM alerts WHERE kind = 'unresolved_names'") == [(1,)]


UNRESOLVED_STATE = (
    "SELECT source, player_lookup, team, first_seen_at, occurrences FROM unresolved_names ORDER BY ALL"
)


def test_running_again_changes_nothing_but_the_last_seen_time(fresh: DuckDBWarehouse) -> None:
    first = resolve_identities(fresh, Alerter(fresh))
    before = rows(fresh, UNRESOLVED_STATE)
    ids_before = rows(fresh, "SELECT * FROM player_source_ids ORDER BY ALL")
    second = resolve_identities(fresh, Alerter(fresh))
    assert rows(fresh, UNRESOLVED_STATE) == before
    assert rows(fresh, "SELECT * FROM player_source_ids ORDER BY ALL") == ids_before
    assert second.player_rows_filled == dict.fromkeys(second.player_rows_filled, 0)
    assert len(second.unresolved) == len(first.unresolved)


def test_a_player_added_to_the_registry_resolves_and_leaves_unresolved_names(fresh: DuckDBWarehouse) -> None:
    resolve_identities(fresh, Alerter(fresh))
    assert rows(fresh, "SELECT count(*) FROM unresolved_names WHERE player_lookup = 'orlandorobinson'") == [
        (1,)
    ]
    fresh.execute(
        "INSERT INTO raw_nbac_player_list (season, player_source_id, player_name, player_lookup, team, "
        "source_file, payload_sha256, fetched_at, loaded_at) VALUES ('2025-26', 1631406, 'Orlando Robinson', "
        "'orlandorobinson', 'ORL', 'test', 'x', ?, ?)",
        [LOADED, LOADED],
    )
    report = resolve_identities(fresh, Alerter(fresh))
    assert report.methods.get("exact_lookup") == 1
    assert rows(
        fresh, "SELECT DISTINCT player_id FROM raw_bdl_box_scores WHERE player_name = 'Orlando Robinson'"
    ) == [(1631406,)]
    assert rows(fresh, "SELECT count(*) FROM unresolved_names WHERE player_lookup = 'orlandorobinson'") == [
        (0,)
    ]


class CountingWarehouse(DuckDBWarehouse):
    """Counts statements, to prove the step's query count does not grow with the rows."""

    statements = 0

    def execute(self, sql: str, params: Params = None) -> None:
        self.statements += 1
        super().execute(sql, params)

    def query_rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        self.statements += 1
        return super().query_rows(sql, params)

    def merge_arrow(
        self, table_name: str, arrow_table: pa.Table, key_columns: Any = None, *, newer_by: Any = ()
    ) -> int:
        self.statements += 1
        return super().merge_arrow(table_name, arrow_table, key_columns, newer_by=newer_by)


def test_statement_count_is_bounded_for_a_few_rows_and_for_every_capture(real_fixtures: Path) -> None:
    # A constant number of statements whatever the rows: at most one UPDATE per raw table, skipped
    # for a table with nothing left to fill (a few rows touch fewer tables), never one per row.
    counts = []
    for kinds in (("nbac_player_list", "nbac_injury_report"), REAL_KINDS):
        wh = CountingWarehouse(":memory:", query_timeout_s=30)
        create_schema(wh)
        for kind in kinds:
            path = next(
                p for p in sorted((real_fixtures / kind).iterdir()) if p.suffix in {".json", ".gz", ".pdf"}
            )
            payload = path.read_bytes()
            load_payload(wh, kind=kind, obj=lake_object(kind, payload), payload=payload, loaded_at=LOADED)
        wh.statements = 0
        resolve_identities(wh, Alerter())
        counts.append(wh.statements)
        wh.close()
    assert counts[0] < counts[1] < 40


# --- games -----------------------------------------------------------------------------------


def bdl_game(source_game_id: str, day: date, home: str, visitor: str) -> pa.Table:
    return pa.table(
        {
            "source_game_id": [source_game_id],
            "game_date": pa.array([day], pa.date32()),
            "home_team": [home],
            "visitor_team": [visitor],
            "source_file": ["test"],
            "payload_sha256": ["x"],
            "fetched_at": pa.array([LOADED], pa.timestamp("us", tz="UTC")),
            "loaded_at": pa.array([LOADED], pa.timestamp("us", tz="UTC")),
        }
    )


def _registry_row(player_id: int, name: str, team: str) -> pa.Table:
    return pa.table(
        {
            "player_id": [player_id],
            "display_name": [name],
            "player_lookup": [player_lookup(name)],
            "team": [team],
            "first_seen": pa.array([None], pa.date32()),
            "last_seen": pa.array([None], pa.date32()),
            "source": ["raw_nbac_player_list"],
        }
    )


def _prop(event: str, day: date, home: str, away: str, name: str) -> pa.Table:
    moment = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)
    stamp = pa.array([moment], pa.timestamp("us", tz="UTC"))
    return pa.table(
        {
            "snapshot_at": stamp,
            "event_id": [event],
            "commence_time": pa.array([moment.replace(hour=23)], pa.timestamp("us", tz="UTC")),
            "game_date": pa.array([day], pa.date32()),
            "home_team": [home],
            "away_team": [away],
            "book": ["draftkings"],
            "market": ["player_points"],
            "player_name": [name],
            "player_lookup": [player_lookup(name)],
            "point": [14.5],
            "source_file": ["test"],
            "payload_sha256": ["x"],
            "fetched_at": stamp,
            "loaded_at": pa.array([LOADED], pa.timestamp("us", tz="UTC")),
        }
    )


def test_namesakes_props_land_on_the_player_of_each_event_s_teams_over_both_venues(
    fresh: DuckDBWarehouse,
) -> None:
    """One name on ATL and on POR: ATL's games against HOU, home and away, are ATL's player."""
    fresh.insert_arrow("player_registry", _registry_row(9_000_001, "Jalen Foster", "ATL"))
    fresh.insert_arrow("player_registry", _registry_row(9_000_002, "Jalen Foster", "POR"))
    fresh.insert_arrow("raw_oddsa_player_props", _prop("e1", date(2025, 11, 3), "ATL", "HOU", "Jalen Foster"))
    fresh.insert_arrow("raw_oddsa_player_props", _prop("e2", date(2025, 12, 9), "HOU", "ATL", "Jalen Foster"))
    fresh.insert_arrow("raw_oddsa_player_props", _prop("e3", date(2025, 11, 5), "POR", "BOS", "Jalen Foster"))
    resolve_identities(fresh, Alerter(fresh))
    placed = rows(
        fresh,
        "SELECT event_id, player_id FROM raw_oddsa_player_props "
        "WHERE player_lookup = 'jalenfoster' ORDER BY 1",
    )
    assert placed == [("e1", 9_000_001), ("e2", 9_000_001), ("e3", 9_000_002)]


def test_games_without_nbacom_ids_match_the_schedule_by_date_home_and_away(fresh: DuckDBWarehouse) -> None:
    fresh.insert_arrow("raw_bdl_games", bdl_game("1", date(2025, 1, 15), "PHI", "NYK"))
    report = resolve_identities(fresh, Alerter(fresh))
    assert rows(fresh, "SELECT game_id FROM raw_bdl_games WHERE source_game_id = '1'") == [("0022400561",)]
    assert report.game_rows_filled["raw_bdl_games"] == 1


def test_a_game_matching_nothing_is_recorded_and_alerted(fresh: DuckDBWarehouse) -> None:
    fresh.insert_arrow(
        "raw_bdl_games", bdl_game("2", date(2025, 1, 15), "NYK", "PHI")
    )  # home and away swapped
    alerter = Alerter(fresh)
    resolve_identities(fresh, alerter)
    assert rows(fresh, "SELECT game_id FROM raw_bdl_games") == [(None,)]
    recorded = rows(
        fresh,
        "SELECT occurrences FROM unmatched_games WHERE raw_table = 'raw_bdl_games' AND home_team = 'NYK'",
    )
    assert recorded == [(1,)]
    [alert] = alerter.of_kind("unmatched_games")
    assert "raw_bdl_games: 2025-01-15 PHI@NYK" in alert.message


def test_a_range_reads_and_fills_only_its_dates_and_keeps_the_other_dates_open_games(
    fresh: DuckDBWarehouse,
) -> None:
    day, other = date(2025, 1, 15), date(2025, 1, 16)
    fresh.insert_arrow("raw_bdl_games", bdl_game("3", other, "BOS", "LAL"))  # matches nothing
    fresh.insert_arrow("raw_bdl_games", bdl_game("1", day, "PHI", "NYK"))  # matches 0022400561
    report = resolve_identities(fresh, Alerter(fresh), dates=(other, other))
    assert dict(rows(fresh, "SELECT source_game_id, game_id FROM raw_bdl_games")) == {"1": None, "3": None}
    assert [(t, d) for t, d, _, _ in report.unmatched_games] == [("raw_bdl_games", other)]
    report = resolve_identities(fresh, Alerter(fresh), dates=(day, day))
    assert dict(rows(fresh, "SELECT source_game_id, game_id FROM raw_bdl_games")) == {
        "1": "0022400561",
        "3": None,
    }
    assert report.game_rows_filled["raw_bdl_games"] == 1
    assert report.unmatched_games == []
    # The other date's open game was not read this time, so it stays on the list.
    assert rows(fresh, "SELECT game_date FROM unmatched_games WHERE raw_table = 'raw_bdl_games'") == [
        (other,)
    ]


def test_the_scoreboard_serves_when_the_schedule_was_not_loaded(real_fixtures: Path) -> None:
    wh = real_warehouse(real_fixtures, ("nbac_scoreboard_v2",))
    wh.insert_arrow("raw_bdl_games", bdl_game("1", date(2025, 1, 15), "PHI", "NYK"))
    resolve_identities(wh, Alerter(wh))
    assert rows(wh, "SELECT game_id FROM raw_bdl_games") == [("0022400561",)]
    wh.close()


# --- the sandbox league, end to end ---------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Resolved]:
    """One sandbox game day scraped over loopback HTTP into the lake, loaded and resolved."""
    from datetime import timedelta

    from nbaprops.dates import et_datetime
    from nbaprops.http import HttpClient
    from nbaprops.pipeline.sandbox_session import default_demo_date, sandbox_session
    from nbaprops.sources.daily import scrape_source
    from nbaprops.warehouse.ledger import RunLedger

    settings = load_settings(data_dir=tmp_path_factory.mktemp("sandbox"))
    scratch = DuckDBWarehouse(":memory:", query_timeout_s=30)
    create_schema(scratch)
    with sandbox_session(settings) as session, HttpClient.from_settings(session.settings) as http:
        day = default_demo_date(session.season)
        lake = open_lake(session.settings)
        morning = et_datetime(day, 11)
        # The day before (finished games, from both box-score sources), the day itself (pre-tip),
        # and BDL's rosters.
        yesterday = day - timedelta(days=1)
        for source, when in (("all", yesterday), ("bdl", yesterday), ("all", day), ("bdl", day)):
            report = scrape_source(
                session.settings,
                source,
                when,
                http=http,
                lake=lake,
                ledger=RunLedger(scratch),
                alerter=Alerter(scratch),
                now=morning,
            )
            assert report.problems == []
    scratch.close()
    wh = DuckDBWarehouse(":memory:", query_timeout_s=30)
    create_schema(wh)
    for obj in lake.list():
        kind = obj.meta.get("kind", "")
        if kind in KIND_TABLES:
            load_payload(wh, kind=kind, obj=obj, payload=lake.get(obj.path), loaded_at=LOADED)
    alerter = Alerter(wh)
    yield Resolved(wh, alerter, resolve_identities(wh, alerter))
    wh.close()


def test_a_sandbox_day_resolves_every_player_and_every_game(sandbox_day: Resolved) -> None:
    report, wh = sandbox_day.report, sandbox_day.warehouse
    assert report.names > 500
    assert report.resolution_rate == 1.0
    assert report.methods["alias"] >= 1  # the sandbox's nickname players ("KJ" for "Kenyon")
    assert report.unmatched_games == []
    assert sandbox_day.alerter.raised == []
    for table in (
        "raw_bdl_box_scores",
        "raw_oddsa_player_props",
        "raw_nbac_injury_report",
        "raw_bdl_players",
    ):
        open_players = f"SELECT count(*) FROM {table} WHERE player_id IS NULL AND player_name IS NOT NULL"  # noqa: S608
        assert rows(wh, open_players) == [(0,)]
    for table in ("raw_bdl_box_scores", "raw_oddsa_player_props", "raw_espn_scoreboard", "raw_oddsa_events"):
        assert rows(wh, f"SELECT count(*), count(game_id) FROM {table}")[0][0] > 0  # noqa: S608
        assert rows(wh, f"SELECT count(*) FROM {table} WHERE game_id IS NULL") == [(0,)]  # noqa: S608


def test_sandbox_bdl_and_book_spellings_land_on_the_players_nbacom_ids(sandbox_day: Resolved) -> None:
    wh = sandbox_day.warehouse
    # BDL box scores and NBA.com box scores of the same games must agree player by player on points.
    disagreements = rows(
        wh,
        "SELECT count(*) FROM raw_bdl_box_scores b JOIN raw_nbac_player_boxscores n "
        "ON n.game_id = b.game_id AND n.player_id = b.player_id WHERE n.pts IS DISTINCT FROM b.pts",
    )
    joined = rows(
        wh,
        "SELECT count(*) FROM raw_bdl_box_scores b JOIN raw_nbac_player_boxscores n "
        "ON n.game_id = b.game_id AND n.player_id = b.player_id",
    )
    assert disagreements == [(0,)]
    assert joined[0][0] == rows(wh, "SELECT count(*) FROM raw_nbac_player_boxscores")[0][0]
