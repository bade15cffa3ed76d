"""Tables phase 1 writes besides the lake: which source served each fact for each date."""

from __future__ import annotations

from nbaprops.warehouse.spec import Column, TableSpec

FACT_SOURCES = TableSpec(
    name="fact_sources",
    description=(
        "Per game date and fact (every fact of sources.facts.FACT_NEEDS): every source tried, whether "
        "it served the fact, failed (and why), was skipped, or left an optional fact missing "
        "('degraded', with the reason). Exactly one 'served' row per date and fact when it is covered."
    ),
    key=("game_date", "fact", "source"),
    columns=(
        Column("game_date", "DATE", required=True),
        Column("fact", "STRING", required=True),  # a key of sources.facts.FACT_NEEDS
        Column("source", "STRING", required=True),  # nbacom | bdl | espn
        Column("status", "STRING", required=True),  # served | failed | skipped | degraded
        Column("reason", "STRING"),  # why it failed or was skipped; for a fallback, why the better one failed
        Column("recorded_at", "TIMESTAMP", required=True),
    ),
)

SOURCE_TABLES: tuple[TableSpec, ...] = (FACT_SOURCES,)
