"""Tables of phase 5b: per-prediction grades and per-system daily performance."""

from __future__ import annotations

from nbaprops.warehouse.spec import Column, TableSpec

PREDICTION_GRADES = TableSpec(
    name="prediction_grades",
    description="One grade per prediction (same key); re-grading a day replaces its rows.",
    key=("game_date", "game_id", "player_id", "system_id", "model_version"),
    columns=(
        Column("game_date", "DATE", required=True),
        Column("game_id", "STRING", required=True),
        Column("player_id", "INT64", required=True),
        Column("system_id", "STRING", required=True),
        Column("model_version", "STRING", required=True),
        Column("predicted_points", "FLOAT64", required=True),
        Column("actual_points", "FLOAT64"),
        Column("minutes", "FLOAT64"),
        Column("abs_error", "FLOAT64"),
        Column("signed_error", "FLOAT64"),
        Column("line", "FLOAT64"),
        Column("recommendation", "STRING", required=True),
        Column("result", "STRING"),  # WIN | LOSS | PUSH | VOID | NULL for PASS/NO_LINE
        Column("void_reason", "STRING"),
        Column("profit", "FLOAT64"),  # per unit staked at the posted price
        Column("closing_line", "FLOAT64"),
        Column("clv_points", "FLOAT64"),
        Column("clv_probability", "FLOAT64"),
        Column("p_over", "FLOAT64"),
        Column("went_over", "BOOL"),
        Column("graded_at", "TIMESTAMP", required=True),
    ),
)

SYSTEM_DAILY_PERFORMANCE = TableSpec(
    name="system_daily_performance",
    description="Per system per game date: accuracy, betting results and calibration, each with its N.",
    key=("game_date", "system_id"),
    columns=(
        Column("game_date", "DATE", required=True),
        Column("system_id", "STRING", required=True),
        Column("n", "INT64", required=True),
        Column("n_void", "INT64", required=True),
        Column("mae", "FLOAT64"),
        Column("bias", "FLOAT64"),
        Column("rmse", "FLOAT64"),
        Column("n_picks", "INT64", required=True),
        Column("wins", "INT64", required=True),
        Column("hit_rate", "FLOAT64"),
        Column("roi", "FLOAT64"),
        Column("n_scored", "INT64", required=True),
        Column("brier", "FLOAT64"),
        Column("log_loss", "FLOAT64"),
        Column("ece", "FLOAT64"),
        Column("coverage", "FLOAT64"),
        Column("graded_at", "TIMESTAMP", required=True),
    ),
)

GRADE_TABLES: tuple[TableSpec, ...] = (PREDICTION_GRADES, SYSTEM_DAILY_PERFORMANCE)
