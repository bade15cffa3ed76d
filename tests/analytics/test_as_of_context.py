"""The injury status and the player pool at each as-of, on a hand-made slate (phase 3 for real).

Two games on D (AAA-BBB, CCC-DDD) after two earlier ones. ``P_TRADED`` played for AAA, then for
CCC: from his first game there he is CCC's. Injury notes come from NBA.com's report (by game date,
at 10:30 and 17:30 ET) and from Ball Don't Lie (by fetch: its notes hold for the ET date fetched).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

import nbaprops.warehouse.schema  # noqa: F401 - loads before the step registry (import cycle)
from factories import put_rows
from nbaprops.ops.alerts import Alerter
from nbaprops.pipeline.steps import StepContext, load_registry
from nbaprops.settings import Settings, load_settings
from nbaprops.warehouse import create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse

D1, D2, D = date(2025, 11, 1), date(2025, 11, 3), date(2025, 11, 5)
P_A, P_B, P_C, P_TRADED = 11, 22, 33, 99
TEAM = {P_A: "AAA", P_B: "BBB", P_C: "CCC"}
STEPS = ("game_as_of", "injury_status", "upcoming_team_game_context", "upcoming_player_game_context")


def _tip(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 30, tzinfo=UTC)  # 18:30 ET in November


def _et(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour + 5, minute, tzinfo=UTC)  # EST


def _put(wh: DuckDBWarehouse, table: str, rows: list[dict[str, object]]) -> None:
    put_rows(wh, table, rows, when=_tip(D1), day=D1)


def _seed(wh: DuckDBWarehouse) -> None:
    games = [
        ("g1", D1, "AAA", "BBB"),
        ("g2", D2, "CCC", "DDD"),
        ("g3", D, "AAA", "BBB"),
        ("g4", D, "CCC", "DDD"),
    ]
    _put(
        wh,
        "raw_nbac_schedule",
        [
            {
                "game_id": g,
                "game_date": d,
                "tip_utc": _tip(d),
                "home_team": h,
                "away_team": a,
                "season": "2025-26",
            }
            for g, d, h, a in games
        ],
    )
    played = [(P_A, "g1", D1, "AAA"), (P_B, "g1", D1, "BBB"), (P_TRADED, "g1", D1, "AAA")]
    played += [(P_C, "g2", D2, "CCC"), (P_TRADED, "g2", D2, "CCC")]
    _put(
        wh,
        "player_game_summary",
        [
            {
                "game_id": g,
                "game_date": d,
                "player_id": p,
                "player_lookup": f"p{p}",
                "team": t,
                "played": True,
            }
            for p, g, d, t in played
        ],
    )
    report = [  # NBA.com: A questionable in the morning, out in the evening; C not listed
        (_et(D, 10, 30), P_A, "Questionable"),
        (_et(D, 17, 30), P_A, "Out"),
    ]
    _put(
        wh,
        "raw_nbac_injury_report",
        [
            {
                "snapshot_at": at,
                "game_date": D,
                "matchup": "BBB@AAA",
                "team": "AAA",
                "player_id": p,
                "status": s,
            }
            for at, p, s in report
        ],
    )
    bdl = [  # Ball Don't Lie: fetched the morning of D, and the day before (never filed under D)
        (_et(D, 10), P_A, "Out"),
        (_et(D, 10), P_C, "Day-To-Day"),
        (_et(D - timedelta(days=1), 12), P_B, "Out"),
    ]
    _put(
        wh,
        "raw_bdl_injuries",
        [
            {"snapshot_at": at, "player_id": p, "player_source_id": p, "team": TEAM[p], "status": s}
            for at, p, s in bdl
        ],
    )


def _build(wh: DuckDBWarehouse, settings: Settings) -> None:
    ctx = StepContext(warehouse=wh, start=D1, end=D, alerter=Alerter(wh), settings=settings)
    steps = {s.name: s for s in load_registry().order((3,))}
    for name in STEPS:
        run = steps[name].run
        assert run is not None
        run(ctx)


@pytest.fixture
def wh() -> Iterator[DuckDBWarehouse]:
    warehouse = DuckDBWarehouse(":memory:", query_timeout_s=60)
    create_schema(warehouse)
    _seed(warehouse)
    yield warehouse
    warehouse.close()


def _status(wh: DuckDBWarehouse) -> dict[tuple[str, int], tuple[str, str]]:
    rows = wh.query_rows(
        "SELECT as_of_kind, player_id, status, source FROM injury_status WHERE game_date = ?", [D]
    )
    return {(kind, pid): (status, source) for kind, pid, status, source in rows}


def test_injury_status_merges_the_sources_by_priority_at_each_as_of(wh: DuckDBWarehouse) -> None:
    _build(wh, load_settings(injury_sources="nbacom,bdl"))
    assert _status(wh) == {
        # 11:00 ET: NBA.com's 10:30 report wins over BDL for A; only BDL lists C (Day-To-Day reads
        # Questionable); B's note was fetched the day before, so it is not filed under D
        ("prediction", P_A): ("Questionable", "nbacom"),
        ("prediction", P_C): ("Questionable", "bdl"),
        # just before tip: the 17:30 report rules A out
        ("pretip", P_A): ("Out", "nbacom"),
        ("pretip", P_C): ("Questionable", "bdl"),
    }
    assert wh.query_rows("SELECT count(*) FROM injury_status WHERE published_at > as_of") == [(0,)]


def test_the_configured_source_order_decides_between_sources(wh: DuckDBWarehouse) -> None:
    _build(wh, load_settings(injury_sources="bdl,nbacom"))
    assert _status(wh)[("prediction", P_A)] == ("Out", "bdl")


def test_the_context_reads_the_status_of_its_as_of_and_leaves_out_who_is_out(wh: DuckDBWarehouse) -> None:
    _build(wh, load_settings(injury_sources="nbacom,bdl"))
    rows = wh.query_rows(
        "SELECT as_of_kind, player_id, injury_status FROM upcoming_player_game_context "
        "WHERE game_date = ? AND player_id = ?",
        [D, P_A],
    )
    assert rows == [("prediction", P_A, "Questionable")]  # listed Out only after the morning
    ((outs,),) = wh.query_rows(
        "SELECT players_out FROM upcoming_team_game_context WHERE game_id = 'g3' AND team = 'AAA' "
        "AND as_of_kind = 'pretip'"
    )
    assert outs == 1


def test_a_traded_player_is_on_his_new_team_from_his_first_game_there(wh: DuckDBWarehouse) -> None:
    _build(wh, load_settings())
    rows = wh.query_rows(
        "SELECT game_id, team, as_of_kind FROM upcoming_player_game_context WHERE player_id = ? "
        "AND game_date = ? ORDER BY ALL",
        [P_TRADED, D],
    )
    assert rows == [("g4", "CCC", "prediction"), ("g4", "CCC", "pretip")]
    ((dupes,),) = wh.query_rows(
        "SELECT count(*) FROM (SELECT player_id, game_date, as_of_kind FROM upcoming_player_game_context "
        "GROUP BY ALL HAVING count(*) > 1)"
    )
    assert dupes == 0
