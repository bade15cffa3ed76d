"""`nbaprops build`: the gate once, every step in order over the range, idempotent, no silent zero rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from factories import open_season_copy, season_warehouse
from nbaprops.errors import ConfigError, QualityGateError
from nbaprops.pipeline.build import build_date, build_range
from nbaprops.pipeline.commands import build
from nbaprops.warehouse.duckdb import DuckDBWarehouse
from nbaprops.warehouse.ledger import RunLedger

TABLES = (
    "player_game_summary",
    "team_offense_game_summary",
    "team_defense_game_summary",
    "upcoming_team_game_context",
    "upcoming_player_game_context",
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBWarehouse]:
    wh = open_season_copy(tmp_path_factory.mktemp("build"))
    yield wh
    wh.close()


def _snapshot(wh: DuckDBWarehouse, table: str) -> list[tuple[object, ...]]:
    from nbaprops.warehouse.schema import table_spec

    cols = ", ".join(c for c in table_spec(table).column_names if c != "built_at")
    return wh.query_rows(f"SELECT {cols} FROM {table} ORDER BY ALL")  # noqa: S608 - allow-listed


def test_building_twice_gives_identical_tables_and_a_ledger_row_per_step(warehouse: DuckDBWarehouse) -> None:
    sw = season_warehouse()
    first = build_range(warehouse, sw.start, sw.end, phases=(3,))
    before = {t: _snapshot(warehouse, t) for t in TABLES}
    second = build_range(warehouse, sw.start, sw.end, phases=(3,))
    assert {t: _snapshot(warehouse, t) for t in TABLES} == before
    assert [s.rows_out for s in first.steps] == [s.rows_out for s in second.steps]
    assert all(before[t] for t in TABLES)
    ledger = RunLedger(warehouse)
    for step in first.steps:
        runs = ledger.recent(step.name)
        assert len(runs) == 2
        assert all(r.status == "success" and r.rows_out == step.rows_out for r in runs)
    assert len(ledger.recent("completeness")) == 2


def test_building_one_day_matches_the_range_build_for_that_day(warehouse: DuckDBWarehouse) -> None:
    sw = season_warehouse()
    day = sw.start + timedelta(days=4)
    full = _snapshot(warehouse, "upcoming_player_game_context")
    build_date(warehouse, day, phases=(3,))
    assert _snapshot(warehouse, "upcoming_player_game_context") == full


def test_a_step_that_writes_nothing_where_games_were_played_fails_and_keeps_the_old_rows(
    tmp_path: Path,
) -> None:
    sw = season_warehouse()
    with open_season_copy(tmp_path) as wh:
        build_date(wh, sw.start, phases=(3,))
        built = _snapshot(wh, "team_defense_game_summary")
        assert built
        # Every game of the day becomes ZZZ v ZZY and every box score ZZZ's: the home side has
        # rows, but no team has an opponent with a box score, so the defence summary has nothing.
        wh.execute("UPDATE raw_nbac_player_boxscores SET team = 'ZZZ' WHERE game_date = ?", [sw.start])
        wh.execute("UPDATE raw_bdl_box_scores SET team = 'ZZZ' WHERE game_date = ?", [sw.start])
        wh.execute(
            "UPDATE raw_nbac_schedule SET home_team = 'ZZZ', away_team = 'ZZY' WHERE game_date = ?",
            [sw.start],
        )
        with pytest.raises(QualityGateError, match="team_defense_game_summary wrote 0 rows"):
            build_date(wh, sw.start, phases=(3,))
        assert RunLedger(wh).recent("team_defense_game_summary")[0].status == "failed"
        # The failed step's delete rolled back with it: the day's earlier rows are still there.
        assert _snapshot(wh, "team_defense_game_summary") == built


def test_build_command_needs_exactly_one_of_date_or_range() -> None:
    with pytest.raises(ConfigError):
        build(date_text=None, start=None, end=None, json_out=False)
    with pytest.raises(ConfigError):
        build(date_text="2025-10-21", start="2025-10-21", end=None, json_out=False)
    with pytest.raises(ConfigError):
        build(date_text=None, start="2025-10-22", end="2025-10-21", json_out=False)


def test_build_command_builds_a_range_into_the_configured_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import shutil

    sw = season_warehouse()
    target = tmp_path / "wh.duckdb"
    shutil.copyfile(sw.path, target)
    monkeypatch.setenv("NBAPROPS_WAREHOUSE_PATH", str(target))
    app = typer.Typer()
    app.command()(build)
    result = CliRunner().invoke(app, ["--from", sw.start.isoformat(), "--to", sw.end.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["decision"] == "go"
    assert {s["name"] for s in summary["steps"]} >= set(TABLES)
