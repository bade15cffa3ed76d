"""Tables of the orchestration layer (backfill progress and the like)."""

from __future__ import annotations

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

PIPELINE_TABLES: tuple[TableSpec, ...] = (BACKFILL_PROGRESS,)
