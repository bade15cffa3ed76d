"""Tables phase 1 writes besides the lake: which source served each fact for each date."""

from __future__ import annotations

from nbaprops.warehouse.spec import TableSpec

SOURCE_TABLES: tuple[TableSpec, ...] = ()
