"""``nbaprops run`` on a sandbox day: the schedule's steps in order, gates, locks, history, gaps."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from day_support import open_runner, shared_prepared_day

from nbaprops.pipeline.gaps import find_gaps, fix_gaps
from nbaprops.pipeline.locks import FileLockStore
from nbaprops.pipeline.runner import DayReport


@pytest.fixture(scope="module")
def day_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, DayReport]]:
    prepared = shared_prepared_day()
    with open_runner(prepared, tmp_path_factory.mktemp("run")) as runner:
        yield runner, runner.run_day(prepared.day)


def _statuses(report: DayReport) -> dict[str, str]:
    return {o.occurrence: o.status for o in report.outcomes}


def test_the_day_runs_every_step_in_order_from_scrape_to_publish(day_run: tuple[Any, DayReport]) -> None:
    runner, report = day_run
    statuses = _statuses(report)
    # A refresh that finds no line, injury status or feature row changed writes nothing and is
    # skipped, saying so; every other step succeeds.
    assert {s for name, s in statuses.items() if not name.startswith("refresh")} == {"success"}
    for outcome in report.outcomes:
        if outcome.occurrence.startswith("refresh") and outcome.status != "success":
            assert outcome.status == "skipped", outcome
            assert outcome.reason
            assert "changed" in outcome.reason
    assert {
        "morning-scrape",
        "morning-load",
        "predict",
        "refresh-15",
        "box-scores",
        "grade",
        "publish",
    } <= set(statuses)
    assert any(name.startswith("refresh-tip@") for name in statuses)
    assert report.ok
    publish = next(o for o in report.outcomes if o.occurrence == "publish")
    assert publish.rows is not None
    assert publish.rows > 3  # the day's JSON files, written after grading
    started = [
        r[0]
        for r in runner.warehouse.query_rows(
            "SELECT step FROM run_ledger WHERE starts_with(step, 'day.') ORDER BY started_at"
        )
    ]
    assert (
        started.index("day.morning-scrape") < started.index("day.morning-load") < started.index("day.predict")
    )
    assert started.index("day.box-scores") < started.index("day.grade") < started.index("day.publish")
    graded = runner.warehouse.query_rows("SELECT count(*) FROM prediction_grades")[0][0]
    assert graded == runner.warehouse.row_count("predictions") > 0


def test_superseded_predictions_are_kept_with_their_as_of(day_run: tuple[Any, DayReport]) -> None:
    runner, _report = day_run
    wh = runner.warehouse
    latest, history = wh.row_count("predictions"), wh.row_count("prediction_history")
    as_ofs = wh.query_rows("SELECT count(DISTINCT as_of) FROM prediction_history")[0][0]
    assert history > latest
    assert as_ofs > 1
    missing = wh.query_rows(
        "SELECT count(*) FROM predictions AS p LEFT JOIN prediction_history AS h USING "
        "(game_date, game_id, player_id, system_id, model_version, as_of) WHERE h.run_id IS NULL"
    )[0][0]
    assert missing == 0  # the latest rows are in the history too


def test_running_the_day_again_changes_nothing(day_run: tuple[Any, DayReport]) -> None:
    runner, report = day_run
    ledger_before = runner.warehouse.row_count("run_ledger")
    again = runner.run_day(report.game_date)
    assert _statuses(again) == _statuses(report)
    assert runner.warehouse.row_count("run_ledger") == ledger_before  # every step acknowledged as done


def test_before_a_run_gaps_lists_every_step_as_missing(tmp_path: Path) -> None:
    prepared = shared_prepared_day()
    with open_runner(prepared, tmp_path) as runner:
        before = find_gaps(runner, prepared.day, prepared.day)
    assert {g.occurrence for g in before} >= {"morning-scrape", "predict", "grade", "publish"}
    assert {g.status for g in before} == {"missing"}


def test_gaps_finds_a_step_without_its_rows_and_fix_runs_it_again(day_run: tuple[Any, DayReport]) -> None:
    runner, report = day_run
    day = report.game_date
    graded = runner.warehouse.row_count("prediction_grades")
    runner.warehouse.execute("DELETE FROM prediction_grades WHERE game_date = ?", [day])
    gaps = {g.occurrence: g for g in find_gaps(runner, day, day)}
    assert set(gaps) == {"grade"}
    assert gaps["grade"].status == "no_rows"
    fix_gaps(runner, list(gaps.values()))
    assert find_gaps(runner, day, day) == []
    assert runner.warehouse.row_count("prediction_grades") == graded


def test_a_step_whose_lock_is_held_elsewhere_is_blocked_and_its_followers_too(tmp_path: Path) -> None:
    prepared = shared_prepared_day()
    locks = FileLockStore(tmp_path / "locks")
    assert locks.acquire(f"day.predict:{prepared.day.isoformat()}", "another-runner", ttl_s=600) is not None
    with open_runner(prepared, tmp_path, locks=locks) as runner:
        outcomes = {o.occurrence: o for o in runner.run_day(prepared.day).outcomes}
    assert outcomes["predict"].status == "blocked"
    assert "held by another-runner" in str(outcomes["predict"].reason)
    assert outcomes["refresh-15"].status == "blocked"
    assert outcomes["refresh-15"].reason == "input step predict blocked"
    assert outcomes["morning-load"].status == "success"


def test_tonight_is_published_with_the_morning_prediction_before_the_games(
    day_run: tuple[Any, DayReport],
) -> None:
    runner, _ = day_run
    day = shared_prepared_day().day
    [(details,)] = runner.warehouse.query_rows(
        "SELECT details FROM run_ledger WHERE step = 'day.predict' AND status = 'success'"
    )
    doc = json.loads(details) if isinstance(details, str) else details
    assert doc["published_files"] >= 2  # at least tonight/{date}.json and picks/{date}.json
    [(first_tip,)] = runner.warehouse.query_rows(
        "SELECT MIN(tip_utc) FROM raw_nbac_schedule WHERE game_date = ?", [day]
    )
    assert datetime.fromisoformat(doc["as_of"]) < first_tip


def test_the_day_includes_a_health_check_that_records_its_verdict(day_run: tuple[Any, DayReport]) -> None:
    runner, report = day_run
    assert "health" in {o.occurrence for o in report.outcomes}
    [(details,)] = runner.warehouse.query_rows(
        "SELECT details FROM run_ledger WHERE step = 'day.health' AND status = 'success'"
    )
    doc = json.loads(details) if isinstance(details, str) else details
    assert doc["health"] in {"ok", "degraded", "failing"}
    assert isinstance(doc["alerts_raised"], list)
    assert (doc["health"] == "ok") == (doc["not_ok"] == [])
