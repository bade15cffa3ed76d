"""Starting states for the predict and grade kill points: a built range with models, then predictions.

The models are trained on synthetic player-games (a level per player, the feature contract's
defaults elsewhere): two days of sandbox history hold too few rows to train on, and the kill
points test the phases' writes, not the models' skill.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROWS = 1500
PLAYERS = 100
TRAIN_DAYS = 40


def synthetic_batch(as_of: date, seed: int = 5):  # type: ignore[no-untyped-def]
    """Player-games before ``as_of`` whose points follow a per-player level."""
    from nbaprops.features.contract import FEATURE_NAMES, FEATURES
    from nbaprops.predict.systems.base import HISTORY_GAMES, PlayerBatch
    from nbaprops.predict.systems.minutes_ppm import ACTUAL_MINUTES

    rng = np.random.default_rng(seed)
    players = rng.integers(0, PLAYERS, ROWS)
    level = np.random.default_rng(seed + 1).uniform(4, 30, PLAYERS)[players]
    features = np.array([[f.default if f.default is not None else np.nan for f in FEATURES]] * ROWS)
    for name, values in (
        ("points_avg_last_10", level + rng.normal(0, 1, ROWS)),
        ("points_avg_last_5", level + rng.normal(0, 3, ROWS)),
        ("points_avg_season", level),
        ("ppm_avg_last_10", level / 30.0),
        ("minutes_avg_last_10", np.full(ROWS, 30.0)),
    ):
        features[:, FEATURE_NAMES.index(name)] = values
    actual = np.round(np.clip(level + rng.normal(0, 1, ROWS) * np.sqrt(level), 0, None))
    return PlayerBatch(
        game_dates=(np.datetime64(as_of) - 1 - rng.integers(0, TRAIN_DAYS, ROWS)).astype("datetime64[D]"),
        game_ids=np.array([f"g{i}" for i in range(ROWS)]),
        player_ids=players.astype(np.int64),
        teams=np.array(["BOS"] * ROWS),
        opponents=np.array(["NYK"] * ROWS),
        feature_names=FEATURE_NAMES,
        features=features,
        history_points=level[:, None] + rng.normal(0, 4, (ROWS, HISTORY_GAMES)),
        history_minutes=np.full((ROWS, HISTORY_GAMES), 30.0),
        line=np.round(level) + 0.5,
        over_price=np.full(ROWS, -110.0),
        under_price=np.full(ROWS, -110.0),
        actual_points=actual.astype(np.float64),
        extras={ACTUAL_MINUTES: np.clip(rng.normal(30, 4, ROWS), 0, 48)},
    )


def prepare(raw_warehouse: Path, target: Path, start: date, end: date) -> tuple[Path, Path]:
    """Under ``target``: ``predict/`` (range built, models registered) and ``grade/`` (``end`` predicted).

    Each is a data folder (``warehouse.duckdb`` and ``models/``) for ``crash_phase.py``.
    """
    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.build import build_range
    from nbaprops.predict.commands import predict_date
    from nbaprops.predict.registry import save_models
    from nbaprops.predict.train import train_systems
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import create_schema
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    before, after = target / "predict", target / "grade"
    before.mkdir(parents=True)
    shutil.copyfile(raw_warehouse, before / "warehouse.duckdb")
    settings = load_settings(data_dir=before, log_level="ERROR")
    with DuckDBWarehouse(str(before / "warehouse.duckdb"), query_timeout_s=120) as warehouse:
        create_schema(warehouse)
        alerter = Alerter(warehouse)
        build_range(warehouse, start, end, alerter=alerter, settings=settings)
        trained = train_systems(synthetic_batch(start), start - timedelta(days=1), fold_days=10)
        save_models(warehouse, settings, trained)
    shutil.copytree(before, after)
    with DuckDBWarehouse(str(after / "warehouse.duckdb"), query_timeout_s=120) as warehouse:
        predict_date(
            warehouse, load_settings(data_dir=after, log_level="ERROR"), end, alerter=Alerter(warehouse)
        )
    return before, after
