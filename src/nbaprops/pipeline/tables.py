"""Tables of the orchestration layer: backfill progress, superseded predictions, bus deliveries."""

from __future__ import annotations

from nbaprops.predict.tables import PREDICTIONS
from nbaprops.warehouse.spec import Column, TableSpec

BACKFILL_PROGRESS = TableSpec(
    name="backfill_progress",
    description=(
        "Finished backfill work, one row per (game date, stage: scrape | ingest | build). A re-run "
        "after a crash or Ctrl-C skips what is recorded here; failures live in the run ledger."
    ),
    key=("game_date", "stage"),
    columns=(
        Column("game_date", "DATE", required=True),
        Column("stage", "STRING", required=True),
        Column("rows", "INT64"),
        Column("run_id", "STRING", required=True),
        Column("finished_at", "TIMESTAMP", required=True),
    ),
)

PREDICTION_HISTORY = TableSpec(
    name="prediction_history",
    description=(
        "Every prediction each scheduled run made, under its as-of: `predictions` holds a day's latest "
        "rows, this table also the ones a later run (a changed line or injury status) superseded."
    ),
    key=(*PREDICTIONS.key, "as_of"),
    columns=PREDICTIONS.columns,
)

BUS_MESSAGES = TableSpec(
    name="bus_messages",
    description=(
        "Each bus message a handler saw, by its event id (the publisher's id, the same on every "
        "duplicate and redelivery): handled once, or dead-lettered with the reason."
    ),
    key=("event_id",),
    columns=(
        Column("event_id", "STRING", required=True),
        Column("topic", "STRING", required=True),
        Column("message_id", "STRING"),  # the transport's id of the last delivery
        Column("status", "STRING", required=True),  # handled | dead_letter | retrying
        Column("attempts", "INT64", required=True),
        Column("run_id", "STRING"),
        Column("game_date", "DATE"),
        Column("error", "STRING"),
        Column("first_seen_at", "TIMESTAMP", required=True),
        Column("updated_at", "TIMESTAMP", required=True),
    ),
)

PIPELINE_TABLES: tuple[TableSpec, ...] = (BACKFILL_PROGRESS, PREDICTION_HISTORY, BUS_MESSAGES)
