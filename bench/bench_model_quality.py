"""Walk-forward model quality on the sandbox season: MAE per system vs last-5 average vs the line, ECE.

ECE is the equal-mass one (20 bins, ``grade.metrics.expected_calibration_error``) of the calibrated
P(over), which reads the market's no-vig P(over) as well.

Builds the warehouse the real way (archive -> lake -> ingest -> identities -> build), loads every
training row once (training_data.training_batch), then for each week W from ``--warmup-days`` on:
trains as of W's first day on earlier rows only (the earlier weeks' models serve as the inner
out-of-sample folds, as in the backtest) and predicts W. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from benchlib import emit


def main() -> None:
    from fsspec.implementations.local import LocalFileSystem

    from nbaprops.grade.metrics import expected_calibration_error
    from nbaprops.lake import FsspecLake
    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.build import build_range
    from nbaprops.predict.systems.base import select_rows
    from nbaprops.predict.train import SYSTEM_IDS, market_probability, over_outcome, train_systems
    from nbaprops.predict.training_data import training_batch
    from nbaprops.raw.ingest import ingest_from_dir
    from nbaprops.raw.resolve import resolve_identities
    from nbaprops.sandbox.archive import write_archive
    from nbaprops.sandbox.simulator import generate_season
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import create_schema
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--warmup-days", type=int, default=42)
    args = parser.parse_args()
    began = time.perf_counter()
    season = generate_season(2025, "2025-26")
    start = season.first_date
    end = start + timedelta(days=args.days - 1)
    root = Path(tempfile.mkdtemp(prefix="nbaprops-quality-"))
    write_archive(season, FsspecLake(LocalFileSystem(), (root / "lake").as_posix()), start=start, end=end)
    warehouse = DuckDBWarehouse(str(root / "w.duckdb"), query_timeout_s=600)
    create_schema(warehouse)
    alerter = Alerter(warehouse)
    ingest_from_dir(load_settings(), root / "lake", warehouse=warehouse, alerter=alerter)
    resolve_identities(warehouse, alerter)
    build_range(warehouse, start, end, alerter=alerter)
    built = time.perf_counter() - began

    batch = training_batch(warehouse, start, end + timedelta(days=1))
    actual = batch.actual_points
    assert actual is not None
    means: dict[str, list[np.ndarray]] = {sid: [] for sid in SYSTEM_IDS}
    probs: dict[str, list[np.ndarray]] = {sid: [] for sid in SYSTEM_IDS}
    rows: list[np.ndarray] = []
    as_of = start + timedelta(days=args.warmup_days)
    earlier: list[Any] = []  # earlier weeks' models stand in for the inner folds they cover
    while as_of <= end:
        trained = train_systems(batch, as_of, earlier=earlier[-4:])
        earlier.append(trained)
        week_end = np.datetime64(as_of + timedelta(days=7))
        week = (batch.game_dates >= np.datetime64(as_of)) & (batch.game_dates < week_end)
        test = select_rows(batch, week)
        for sid in SYSTEM_IDS:
            out = trained.systems[sid].predict(test)
            means[sid].append(out.mean)
            probs[sid].append(trained.calibrators[sid].apply(out.p_over, market_probability(test)))
        rows.append(np.flatnonzero(week))
        as_of += timedelta(days=7)
    idx = np.concatenate(rows)
    y = actual[idx]
    last5 = batch.column("points_avg_last_5")[idx]
    line = batch.line[idx]
    has_line = np.isfinite(line)
    outcome = over_outcome(y, line)
    graded = np.isfinite(outcome)
    result = {
        "n": int(idx.size),
        "n_with_line": int(has_line.sum()),
        "n_graded_vs_line": int(graded.sum()),
        "mae_last5": round(float(np.nanmean(np.abs(last5 - y))), 3),
        "mae_line_on_lined_rows": round(float(np.mean(np.abs(line[has_line] - y[has_line]))), 3)
        if has_line.any()
        else None,
    }
    for sid in SYSTEM_IDS:
        m = np.concatenate(means[sid])
        p = np.concatenate(probs[sid])
        result[f"mae_{sid}"] = round(float(np.mean(np.abs(m - y))), 3)
        result[f"mae_{sid}_on_lined_rows"] = (
            round(float(np.mean(np.abs(m[has_line] - y[has_line]))), 3) if has_line.any() else None
        )
        if graded.any():
            result[f"ece_{sid}"] = round(expected_calibration_error(p[graded], outcome[graded]), 4)
    emit(
        "model_quality",
        days=args.days,
        warmup_days=args.warmup_days,
        build_seconds=round(built, 1),
        total_seconds=round(time.perf_counter() - began, 1),
        **result,
    )


if __name__ == "__main__":
    main()
