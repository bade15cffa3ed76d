"""Tables of the features phase."""

from __future__ import annotations

from nbaprops.warehouse.spec import TableSpec

FEATURES_TABLES: tuple[TableSpec, ...] = ()
