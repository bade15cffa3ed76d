"""Pure payload parsers, one module per payload kind.

Each module defines ``KIND`` (the folder name of its real captures, e.g. ``nbac_schedule_api``),
``DESCRIPTION`` (one line) and ``parse(payload: bytes) -> list[dict[str, object]]``, which turns the
exact bytes a source sent into normalized rows or raises ``PayloadError`` / ``SchemaDrift``.
``nbaprops.raw.registry`` discovers them; nothing else needs editing to add a kind.
"""
