"""Tables of the analytics phase."""

from __future__ import annotations

from nbaprops.warehouse.spec import TableSpec

ANALYTICS_TABLES: tuple[TableSpec, ...] = ()
