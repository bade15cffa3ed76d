"""Phase 2's raw tables: one per source endpoint, at the source's grain.

Every table keeps ``source_file`` (lake path), ``payload_sha256`` and ``loaded_at``; tables with
player rows also carry ``player_name``, ``player_lookup``, ``player_source_id`` and ``player_id``
(filled by the identity step from the player registry).
"""

from __future__ import annotations

from nbaprops.warehouse.spec import TableSpec

RAW_TABLES: tuple[TableSpec, ...] = ()
