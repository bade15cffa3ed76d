"""A pre-game refresh (injuries and lines only, pre-game tables only) against a full rebuild.

The refresh scrapes only what its schedule row names, loads it and rebuilds only D's pre-game
tables, reusing the history-only feature tables when D's targets did not change. For the same
as-of, a full path (every source, ingest, the whole build of D, predict) must give the same
pre-game tables and the same predictions, row for row: what the refresh skips cannot matter.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from day_support import VOLATILE, open_runner, shared_prepared_day

from nbaprops.dates import et_datetime
from nbaprops.pipeline.build import POSTGAME_STEPS, TARGETS_ONLY_STEPS, pregame_steps
from nbaprops.pipeline.steps import load_registry
from nbaprops.warehouse.schema import table_spec

PREGAME_TABLES = (
    "injury_status",
    "upcoming_team_game_context",
    "upcoming_player_game_context",
    "player_daily_cache",
    "player_shot_zone_analysis",
    "player_teammate_absence",
    "player_zone_matchup",
    "team_defense_zone_analysis",
    "player_composite_factors",
    "feature_store",
    "predictions",
    "prediction_exclusions",
)
REFRESH_AT = (15, 0)


def _content(warehouse: Any, name: str) -> list[tuple[Any, ...]]:
    columns = [c.name for c in table_spec(name).columns if c.name not in VOLATILE]
    rows = warehouse.query_rows(f"SELECT {', '.join(columns)} FROM {name}")  # noqa: S608 - spec names
    return sorted(rows, key=repr)


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ...]]:
    """The day up to its 15:00 refresh (morning scrape, load, predict, refresh-15), then the same
    moment again by the full path; yields (runner, {table: (refresh rows, full rows)})."""
    from nbaprops.pipeline.bus import InProcessBus
    from nbaprops.pipeline.day_actions import load, scrape_all
    from nbaprops.pipeline.locks import FileLockStore
    from nbaprops.pipeline.runner import DayRunner
    from nbaprops.pipeline.schedule import schedule_for
    from nbaprops.predict.commands import predict_date

    prepared = shared_prepared_day()
    directory = tmp_path_factory.mktemp("refresh")
    with open_runner(prepared, directory, subscribe=False) as base:
        services = base.services
        morning = ("morning-scrape", "morning-load", "predict", "refresh-15")
        schedule = tuple(s for s in schedule_for(services.settings) if s.step in morning)
        runner = DayRunner(
            services,
            InProcessBus(alerter=services.alerter),
            FileLockStore(directory / "day-locks"),
            base.clock,
            schedule=schedule,
            backoff_s=0.01,
        )
        report = runner.run_day(prepared.day)
        assert report.ok, report.to_dict()
        wh = services.warehouse
        refresh_rows = {name: _content(wh, name) for name in PREGAME_TABLES}

        at = et_datetime(prepared.day, *REFRESH_AT)
        full = replace(services, scrape_parts=())
        base.clock.arrive(at)
        scrape_all(full, prepared.day, at)
        load(full, prepared.day, at)
        predict_date(wh, services.settings, prepared.day, alerter=services.alerter, as_of=at)
        full_rows = {name: _content(wh, name) for name in PREGAME_TABLES}
        tables = {name: (refresh_rows[name], full_rows[name]) for name in PREGAME_TABLES}
        yield runner, tables, _tip_refresh(runner, base.clock, prepared.day, after=at)


def _predictions(warehouse: Any) -> dict[tuple[Any, ...], dict[str, Any]]:
    table = warehouse.query_arrow("SELECT * FROM predictions")
    return {(r["game_id"], r["player_id"], r["system_id"]): r for r in table.to_pylist()}


def _tip_refresh(runner: Any, clock: Any, day: Any, *, after: Any) -> dict[str, Any]:
    """The first tip-window refresh after ``after`` (only some games' lines moved by then), then the
    same refresh again (nothing moved), then the full path at the same moment: what each left."""
    from nbaprops.pipeline.day_actions import load, scrape_all
    from nbaprops.pipeline.schedule import schedule_for
    from nbaprops.predict.commands import predict_date

    services = runner.services
    wh = services.warehouse
    row = next(s for s in schedule_for(services.settings) if s.step == "refresh-tip")
    for at in sorted(due for due in row.due(day, runner.tips(day)) if due > after):
        before = _predictions(wh)
        first = _refresh_step(runner, row, day, at)
        if first.status != "skipped":  # a window whose lines had not moved yet predicts nothing
            break
    partial = _predictions(wh)
    history = wh.query_rows("SELECT game_id, player_id, system_id, as_of, run_id FROM prediction_history")
    again = _refresh_step(runner, row, day, at)
    unchanged = _predictions(wh)
    full = replace(services, scrape_parts=())
    scrape_all(full, day, at)
    load(full, day, at)
    predict_date(wh, services.settings, day, alerter=services.alerter, as_of=at)
    return {
        "before": before,
        "first": first,
        "partial": partial,
        "history": history,
        "again": again,
        "unchanged": unchanged,
        "partial_rows": _content(_Rows(partial), "predictions"),
        "full_rows": _content(wh, "predictions"),
    }


def _refresh_step(runner: Any, row: Any, day: Any, at: Any) -> Any:
    """One refresh occurrence run as the runner runs it (its ledger row is what the next refresh
    compares with); its outcome read back from that row."""
    from nbaprops.pipeline.day_actions import ActionResult
    from nbaprops.pipeline.runner import Occurrence

    occurrence = Occurrence(row, at)
    status = runner._run(occurrence, day, at, f"test-{at.isoformat()}")
    [(rows, reason, details)] = runner.warehouse.query_rows(
        "SELECT rows_out, error, details FROM run_ledger WHERE step = ? ORDER BY finished_at DESC LIMIT 1",
        [occurrence.ledger_step],
    )
    doc = json.loads(details) if isinstance(details, str) else details
    return ActionResult(rows or 0, doc, status, reason)


class _Rows:
    """Rows kept in memory, read like a warehouse by ``_content``."""

    def __init__(self, rows: dict[tuple[Any, ...], dict[str, Any]]) -> None:
        self.rows = list(rows.values())

    def query_rows(self, sql: str) -> list[tuple[Any, ...]]:
        columns = [c.strip() for c in sql.removeprefix("SELECT ").split(" FROM ")[0].split(",")]
        return [tuple(r[c] for c in columns) for r in self.rows]


def test_the_refresh_scrapes_and_builds_only_the_pregame_parts(refreshed: tuple[Any, ...]) -> None:
    runner, _tables, _tip = refreshed
    wh = runner.warehouse
    [(started, finished, details)] = wh.query_rows(
        "SELECT started_at, finished_at, details FROM run_ledger WHERE step = 'day.refresh-15'"
    )
    inside = [
        (step, status)
        for step, status in wh.query_rows(
            "SELECT step, status FROM run_ledger WHERE started_at > ? AND finished_at < ? "
            "ORDER BY started_at",
            [started, finished],
        )
    ]
    steps = {step for step, _ in inside}
    assert {"scrape.oddsapi.event_odds", "ingest", "feature_store", "predict", "publish"} <= steps
    assert not steps & {"scrape.nbacom.playbyplay", "scrape.nbacom.playerindex", "scrape.espn.scoreboard"}
    assert not steps & set(POSTGAME_STEPS)
    assert {(s, "skipped") for s in TARGETS_ONLY_STEPS} <= set(inside)  # D's targets did not change
    doc = json.loads(details) if isinstance(details, str) else details
    assert doc["repredicted"] is True  # lines moved since 11:00: the comparison covers a prediction


@pytest.mark.parametrize("table", PREGAME_TABLES)
def test_a_refresh_gives_what_a_full_rebuild_gives_for_the_same_as_of(
    refreshed: tuple[Any, ...], table: str
) -> None:
    _runner, tables, _tip = refreshed
    refresh_rows, full_rows = tables[table]
    assert refresh_rows, f"{table} is empty"
    assert refresh_rows == full_rows


def test_every_build_step_is_pregame_or_postgame() -> None:
    """A new build step must be placed: run by a refresh, or left to the box-score build."""
    steps = [s for s in load_registry().order((3, 4)) if s.run is not None]
    pregame = set(pregame_steps())
    assert {s.name for s in steps} == pregame | set(POSTGAME_STEPS)
    assert not pregame & set(POSTGAME_STEPS)
    assert {s.name for s in steps if s.rows_due == "final_games"} <= set(POSTGAME_STEPS)
    assert {s.name for s in steps if s.rows_due == "scheduled_games"} <= pregame
    assert set(TARGETS_ONLY_STEPS) <= pregame


def test_a_refresh_predicts_again_only_the_games_whose_inputs_changed(refreshed: tuple[Any, ...]) -> None:
    _runner, _tables, tip = refreshed
    first = tip["first"]
    assert first.status == "success", first.reason
    games, every = first.details["predicted_games"], sorted(first.details["inputs_by_game"])
    assert 0 < len(games) < len(every), (games, every)  # the later windows' lines had not moved yet
    before, partial = tip["before"], tip["partial"]
    new_run = first.details["predict_run_id"]
    stake = ("stake", "recommendation", "reasons", "run_id", "created_at")
    kept = 0
    for key, row in partial.items():
        if key[0] in games:
            assert row["run_id"] == new_run, key
            continue
        earlier = before[key]
        if row["run_id"] == earlier["run_id"]:  # untouched: the earlier row, its as-of and stamps
            assert row == earlier, key
            kept += 1
        else:  # sizing the slate again moved its stake: rewritten by this run, nothing else changed
            assert row["run_id"] == new_run, key
            assert {k: v for k, v in row.items() if k not in stake} == {
                k: v for k, v in earlier.items() if k not in stake
            }, key
    assert kept, "every row of the unchanged games was rewritten"
    assert {k for k in before if k[0] not in games} <= set(partial)
    # Superseded rows stay in prediction_history with their as-of; this run's rows are there too.
    # (The fixture's 15:00 full path predicted outside a step, so the rows it left are in the
    # history under the 15:00 refresh's run, at the same as-of.)
    history = {(g, p, s, a, r) for g, p, s, a, r in tip["history"]}
    as_ofs = {h[:4] for h in history}
    for key, row in partial.items():
        assert (*key, row["as_of"]) in as_ofs, key
        if row["run_id"] == new_run:
            assert (*key, row["as_of"], new_run) in history, key
    # What the partial refresh left is what a full path (every source, the whole build, a
    # prediction of every game) gives for the same as-of. To 1e-9: a system's arithmetic is not
    # bit-for-bit the same in a batch of other players (the full path batches the whole slate).
    partial_rows, full_rows = tip["partial_rows"], tip["full_rows"]
    assert len(partial_rows) == len(full_rows)
    for mine, theirs in zip(partial_rows, full_rows, strict=True):
        assert all(_close(a, b) for a, b in zip(mine, theirs, strict=True)), (mine, theirs)


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


def test_a_refresh_with_nothing_changed_writes_nothing_and_says_so(refreshed: tuple[Any, ...]) -> None:
    _runner, _tables, tip = refreshed
    again = tip["again"]
    assert again.status == "skipped"
    assert again.reason
    assert "changed" in again.reason
    assert again.rows == 0
    assert again.details["repredicted"] is False
    assert "predict_run_id" not in again.details
    assert tip["unchanged"] == tip["partial"]
