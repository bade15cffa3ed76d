"""Tables of phase 5: predictions, exclusions, batch state and the model registry."""

from __future__ import annotations

from nbaprops.warehouse.spec import Column, TableSpec

PREDICTIONS = TableSpec(
    name="predictions",
    description=(
        "One row per player-game per system per model version. Re-running a day replaces its rows "
        "(MERGE on the key); the line, its book and snapshot are the ones the prediction was made against."
    ),
    key=("game_date", "game_id", "player_id", "system_id", "model_version"),
    columns=(
        Column("game_date", "DATE", required=True),
        Column("game_id", "STRING", required=True),
        Column("player_id", "INT64", required=True),
        Column("team", "STRING"),
        Column("opponent", "STRING"),
        Column("system_id", "STRING", required=True),
        Column("model_version", "STRING", required=True),
        Column("predicted_points", "FLOAT64", required=True),
        Column("predicted_sd", "FLOAT64", required=True),
        Column("q10", "FLOAT64"),
        Column("q50", "FLOAT64"),
        Column("q90", "FLOAT64"),
        Column("p_over_raw", "FLOAT64"),
        Column("p_over", "FLOAT64"),  # calibrated
        # the calibrator's first stage alone (before its edge scale): what the next scale is fitted on
        Column("p_over_base", "FLOAT64"),
        Column("p_push", "FLOAT64"),
        Column("line", "FLOAT64"),
        Column("line_book", "STRING"),
        Column("line_snapshot_at", "TIMESTAMP"),
        Column("over_price", "INT64"),
        Column("under_price", "INT64"),
        Column("edge", "FLOAT64"),  # predicted_points - line
        Column("expected_value", "FLOAT64"),  # per unit staked on the recommended side
        Column("recommendation", "STRING", required=True),  # OVER | UNDER | PASS | NO_LINE
        Column("stake", "FLOAT64"),  # fraction of bankroll (fractional Kelly, capped)
        Column("reasons", "STRING"),  # the recommendation's: why a pick, or why PASS
        # What drove the mean: the system's TOP_FEATURES largest contributions, a JSON list of
        # {"feature", "contribution_points", "value"} (docs/model.md); NULL on rows of older versions.
        Column("top_features", "JSON"),
        Column("feature_version", "STRING", required=True),
        Column("feature_quality", "FLOAT64"),
        Column("as_of", "TIMESTAMP", required=True),  # nothing published after it was used
        Column("run_id", "STRING", required=True),
        Column("created_at", "TIMESTAMP", required=True),
    ),
)

PREDICTION_EXCLUSIONS = TableSpec(
    name="prediction_exclusions",
    description="Players of a date's games who were not predicted, each with the reason.",
    key=("game_date", "game_id", "player_id"),
    columns=(
        Column("game_date", "DATE", required=True),
        Column("game_id", "STRING", required=True),
        Column("player_id", "INT64", required=True),
        Column("reason", "STRING", required=True),  # out | no_features:<why> | low_minutes | …
        Column("run_id", "STRING", required=True),
        Column("recorded_at", "TIMESTAMP", required=True),
    ),
)

PREDICTION_BATCHES = TableSpec(
    name="prediction_batches",
    description="Batch state of a prediction run: dispatched, completed or failed, with attempts.",
    key=("run_id", "batch_id"),
    columns=(
        Column("run_id", "STRING", required=True),
        Column("batch_id", "STRING", required=True),
        Column("game_date", "DATE", required=True),
        Column("players", "INT64", required=True),
        Column("status", "STRING", required=True),  # dispatched | completed | failed
        Column("attempts", "INT64", required=True),
        Column("dispatched_at", "TIMESTAMP", required=True),
        Column("completed_at", "TIMESTAMP"),
        Column("error", "STRING"),
    ),
)

PREDICTION_BATCH_RESULTS = TableSpec(
    name="prediction_batch_results",
    description=(
        "What a worker made of one batch, staged for the coordinator that dispatched it (Arrow IPC "
        "prediction rows, exclusions, system failures); a redelivered batch replaces its row, and "
        "the coordinator deletes the run's rows once it has merged them."
    ),
    key=("run_id", "batch_id"),
    columns=(
        Column("run_id", "STRING", required=True),
        Column("batch_id", "STRING", required=True),
        Column("game_date", "DATE", required=True),
        Column("predictions", "BYTES", required=True),
        Column("exclusions", "STRING", required=True),  # JSON [[game_id, player_id, reason], ...]
        Column("failures", "STRING", required=True),  # JSON [SystemFailure fields, ...]
        Column("staged_at", "TIMESTAMP", required=True),
    ),
)

MODEL_REGISTRY = TableSpec(
    name="model_registry",
    description="Every trained model: system, version, training window, features, metrics, file, sha256.",
    key=("system_id", "model_version"),
    columns=(
        Column("system_id", "STRING", required=True),
        Column("model_version", "STRING", required=True),
        Column("trained_at", "TIMESTAMP", required=True),
        Column("train_start", "DATE", required=True),
        Column("train_end", "DATE", required=True),  # last game date used (strictly before as_of)
        Column("as_of", "DATE", required=True),
        Column("feature_version", "STRING", required=True),
        Column("rows", "INT64", required=True),
        Column("metrics", "JSON"),
        Column("path", "STRING", required=True),
        Column("sha256", "STRING", required=True),
        Column("active", "BOOL", required=True),
    ),
)

PREDICT_TABLES: tuple[TableSpec, ...] = (
    PREDICTIONS,
    PREDICTION_EXCLUSIONS,
    PREDICTION_BATCHES,
    PREDICTION_BATCH_RESULTS,
    MODEL_REGISTRY,
)
