"""Tables of the player registry and name resolution."""

from __future__ import annotations

from nbaprops.warehouse.spec import TableSpec

IDENTITY_TABLES: tuple[TableSpec, ...] = ()
