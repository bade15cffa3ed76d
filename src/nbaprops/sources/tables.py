"""Tables phase 1 writes besides the lake: which source served each fact for each date."""

from __future__ import annotations

from nbaprops.warehouse.spec import Column, TableSpec

FACT_SOURCES = TableSpec(
    name="fact_sources",
    description=(
        "Per game date and fact (schedule, box_scores, injuries): every source tried, whether it "
        "served the fact, failed (and why) or was skipped. Exactly one 'served' row per date and fact "
        "when the fact is covered."
    ),
    key=("game_date", "fact", "source"),
    columns=(
        Column("game_date", "DATE", required=True),
        Column("fact", "STRING", required=True),  # schedule | box_scores | injuries
        Column("source", "STRING", required=True),  # nbacom | bdl | espn
        Column("status", "STRING", required=True),  # served | failed | skipped
        Column("reason", "STRING"),  # why it failed or was skipped; for a fallback, why the better one failed
        Column("recorded_at", "TIMESTAMP", required=True),
    ),
)

SOURCE_TABLES: tuple[TableSpec, ...] = (FACT_SOURCES,)
