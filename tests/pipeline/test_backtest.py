"""Walk-forward backtest on the first two weeks of the sandbox season: no peeking, same-row references."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from factories import open_season_copy, season_warehouse
from nbaprops.dates import et_datetime
from nbaprops.pipeline.backtest import BOOK_LINE, LAST5, BacktestReport, run_backtest
from nbaprops.predict.train import WalkForwardTrainer
from nbaprops.settings import load_settings

DAYS = 14  # the last four predicted with at least ten days of history
# Production's walk-forward trainer with 3-day inner folds (two weeks hold too few 7-day ones). Its end
# lies far past the data, so it loads every row, later days included: only its slicing by date keeps
# them out of training, and the first test checks that it does.
TRAINER = WalkForwardTrainer(date(2100, 1, 1), fold_days=3)


@pytest.fixture(scope="module")
def backtest(tmp_path_factory: pytest.TempPathFactory) -> tuple[BacktestReport, Any]:
    from nbaprops.pipeline.build import build_range

    directory = tmp_path_factory.mktemp("backtest")
    settings = load_settings(data_dir=directory, log_level="ERROR")
    source = season_warehouse(DAYS)
    warehouse = open_season_copy(directory, DAYS)
    build_range(
        warehouse,
        source.start,
        source.end,
        settings=settings,
        now=et_datetime(source.end + timedelta(days=1), 6),
    )
    report = run_backtest(
        warehouse,
        settings,
        source.end - timedelta(days=3),
        source.end,
        retrain_days=2,
        trainer=TRAINER,
    )
    return report, warehouse


def test_every_graded_day_used_models_trained_only_on_earlier_days(
    backtest: tuple[BacktestReport, Any],
) -> None:
    report, warehouse = backtest
    rows = warehouse.query_rows(
        "SELECT g.game_date, r.train_end, r.as_of FROM prediction_grades AS g "
        "JOIN model_registry AS r ON r.system_id = g.system_id AND r.model_version = g.model_version"
    )
    assert report.predicted_days == report.days == 4
    assert len(report.retrains) >= 2  # retrained every two days, models reused in between
    assert len(rows) == report.graded == warehouse.row_count("prediction_grades")
    assert all(train_end < day and as_of <= day for day, train_end, as_of in rows)


def test_references_are_scored_on_the_same_rows_as_every_system(backtest: tuple[BacktestReport, Any]) -> None:
    report, _ = backtest
    by_system = {row["system_id"]: row for row in report.systems}
    assert {BOOK_LINE, LAST5, "gbm", "ensemble", "moving_average"} <= set(by_system)
    assert report.comparison_rows > 100
    assert {row["n"] for row in report.systems} == {report.comparison_rows}
    assert by_system[BOOK_LINE]["n_picks"] == 0  # a reference makes no bets
    assert by_system["gbm"]["mae"] is not None


def test_book_line_reference_mae_is_the_mean_distance_from_line_to_actual(
    backtest: tuple[BacktestReport, Any],
) -> None:
    from nbaprops.pipeline.backtest import compare

    report, warehouse = backtest
    n, systems, headline = compare(warehouse, report.start, report.end)
    assert n == report.comparison_rows
    book = next(r for r in systems if r["system_id"] == BOOK_LINE)
    # Rows every system predicted, played, with a line: the same ones gbm is scored on.
    gbm = next(r for r in systems if r["system_id"] == "gbm")
    assert book["n"] == gbm["n"]
    assert book["mae"] > 0
    # The headline's MAE minus the line's is the difference of those two MAEs, with an interval.
    head = next(h for h in headline if h["system_id"] == "gbm")
    assert head["line_mae"] == pytest.approx(book["mae"])
    gap = head["mae_minus_line"]
    assert gap["mean"] == pytest.approx(gbm["mae"] - book["mae"])
    assert gap["low"] < gap["mean"] < gap["high"]


def test_the_diversity_report_correlates_every_systems_edges_on_the_comparison_rows(
    backtest: tuple[BacktestReport, Any],
) -> None:
    report, _ = backtest
    assert report.diversity is not None
    systems = {r["system_id"] for r in report.systems} - {BOOK_LINE, LAST5}
    assert set(report.diversity.systems) == systems
    assert {"line_residual", "minutes_ppm"} <= systems  # the systems added beside the five
    assert report.diversity.n == report.comparison_rows
    corr = report.diversity.to_dict()["edge_corr"]
    assert corr["gbm"]["gbm"] == pytest.approx(1.0)
    assert all(-1.0 <= corr[a][b] <= 1.0 for a in systems for b in systems)
    assert report.to_dict()["diversity"]["n"] == report.comparison_rows


def test_the_headline_gives_every_rate_its_n_and_interval(backtest: tuple[BacktestReport, Any]) -> None:
    report, warehouse = backtest
    heads = {h["system_id"]: h for h in report.headline}
    assert set(heads) == {r["system_id"] for r in report.systems} - {BOOK_LINE, LAST5}
    for head in heads.values():
        picks = head["n_picks"]
        assert picks == sum(row["n"] for row in head["reliability_picks"])
        if picks:
            hit = head["hit_rate"]
            assert hit["low"] <= hit["mean"] <= hit["high"]
            assert hit["mean"] == pytest.approx(head["wins"] / picks)
            assert head["n_clv"] == picks  # every decided pick has its closing line
            assert head["exposure_max"] <= load_settings().stake_max_day + 1e-9
        assert head["ece_all"]["noise_floor"] > 0
    # Every system's picks pooled: their sum, scored together (the ECE target needs that N).
    assert report.pooled is not None
    assert report.pooled["n_picks"] == sum(h["n_picks"] for h in heads.values())
    assert report.pooled["wins"] == sum(h["wins"] for h in heads.values())
    assert report.to_dict()["pooled_picks"] == report.pooled
    # The stakes a day carries are what the predictions table holds.
    max_day = warehouse.query_rows(
        "SELECT MAX(total) FROM (SELECT game_date, system_id, SUM(stake) AS total FROM predictions "
        "GROUP BY ALL)"
    )[0][0]
    assert max_day <= load_settings().stake_max_day + 1e-9


def test_later_retrains_calibrate_on_earlier_retrains_out_of_sample_predictions(
    backtest: tuple[BacktestReport, Any],
) -> None:
    import json

    report, warehouse = backtest
    rows = warehouse.query_rows(
        "SELECT as_of, train_end, metrics FROM model_registry WHERE system_id = 'ensemble' ORDER BY as_of"
    )
    assert [r[0] for r in rows] == report.retrains
    reused = [json.loads(metrics)["oos_rows_from_earlier_models"] for _, _, metrics in rows]
    assert reused[0] == 0  # the first retrain has no earlier models: its folds are fitted
    assert all(n > 0 for n in reused[1:])
    assert all(train_end < as_of for as_of, train_end, _ in rows)


def test_the_walk_forward_trainer_refuses_to_go_back_in_time(backtest: tuple[BacktestReport, Any]) -> None:
    report, warehouse = backtest
    with pytest.raises(ValueError, match="must increase"):
        TRAINER(warehouse, report.retrains[-1])


def test_every_prediction_is_made_at_the_prediction_time_against_a_line_posted_by_then(
    backtest: tuple[BacktestReport, Any],
) -> None:
    report, warehouse = backtest
    settings = load_settings()
    rows = warehouse.query_rows(
        "SELECT DISTINCT p.game_date, p.as_of, p.line_snapshot_at, s.tip_utc FROM predictions AS p "
        "JOIN raw_nbac_schedule AS s ON s.game_id = p.game_id"
    )
    assert rows
    for day, as_of, snapshot, tip in rows:
        assert as_of == min(settings.prediction_as_of(day), tip - timedelta(seconds=1))
        assert snapshot is None or snapshot <= as_of
    assert report.no_line_days == []


def test_a_backtest_that_finds_no_line_fails_loudly_instead_of_scoring_nothing(tmp_path: Any) -> None:
    from nbaprops.errors import QualityGateError
    from nbaprops.pipeline.build import build_range

    settings = load_settings(data_dir=tmp_path, log_level="ERROR")
    source = season_warehouse(DAYS)
    warehouse = open_season_copy(tmp_path, DAYS)
    build_range(warehouse, source.start, source.end, settings=settings)
    warehouse.execute("DELETE FROM raw_oddsa_player_props")  # the books posted nothing for these days
    with pytest.raises(QualityGateError, match="0 comparison rows"):
        run_backtest(warehouse, settings, source.end, source.end, trainer=TRAINER)
    alerts = {r[0] for r in warehouse.query_rows("SELECT kind FROM alerts")}
    assert {"predict_no_lines", "backtest_no_comparison_rows"} <= alerts
    ledger = warehouse.query_rows("SELECT status, details FROM run_ledger WHERE step = 'backtest'")
    assert ledger[0][0] == "failed"
    assert source.end.isoformat() in ledger[0][1]  # the day without lines is named on the ledger
    warehouse.close()


def test_live_training_calibrates_on_the_graded_predictions_before_its_window(
    backtest: tuple[BacktestReport, Any],
) -> None:
    import numpy as np

    from nbaprops.predict.train import SYSTEM_IDS, graded_oos_pairs

    report, warehouse = backtest
    pairs = graded_oos_pairs(warehouse, report.start, report.end + timedelta(days=1))
    assert pairs.outcome.size > 100
    assert set(np.unique(pairs.outcome).tolist()) == {0.0, 1.0}  # pushes and voids are not pairs
    assert pairs.game_dates.min() >= np.datetime64(report.start)
    assert pairs.game_dates.max() <= np.datetime64(report.end)
    assert set(pairs.p_over) == set(SYSTEM_IDS)
    assert np.isfinite(pairs.market).mean() > 0.9
    # Only what was graded before a date may calibrate for it.
    assert graded_oos_pairs(warehouse, report.start, report.start).outcome.size == 0
