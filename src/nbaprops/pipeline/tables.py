"""Tables of the orchestration layer (backfill progress and the like)."""

from __future__ import annotations

from nbaprops.warehouse.spec import TableSpec

PIPELINE_TABLES: tuple[TableSpec, ...] = ()
