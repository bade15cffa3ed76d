"""The JSON Schemas (draft 2020-12) of the published files, one ``{kind}.schema.json`` per document kind.

The publisher validates every document before writing it and the tests validate every file the
demo publishes; readers (the dashboard, the read API) can rely on them. ``fast_validator_for`` is
the same schema compiled by ``jsonschema-rs`` (a Rust implementation of draft 2020-12, ~100x
faster on a 1,900-prediction tonight file: 2 ms against 290 ms); the publisher asks it first and
asks ``jsonschema`` for the message only when a document fails.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema_rs
    from jsonschema import Draft202012Validator

SCHEMA_DIR = Path(__file__).parent
KINDS = ("tonight", "picks", "player", "results", "performance", "status", "index")


def schema(kind: str) -> dict[str, Any]:
    """The schema of one document kind."""
    if kind not in KINDS:
        raise ValueError(f"no published document kind {kind!r}")
    loaded: dict[str, Any] = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))
    return loaded


@cache
def validator_for(kind: str) -> Draft202012Validator:
    """A checked validator of one document kind (the schema itself is checked first)."""
    from jsonschema import Draft202012Validator

    body = schema(kind)
    Draft202012Validator.check_schema(body)
    return Draft202012Validator(body)


@cache
def fast_validator_for(kind: str) -> jsonschema_rs.Draft202012Validator:
    """The checked schema of one document kind compiled by ``jsonschema-rs`` (formats, as in
    ``validator_for``, are annotations, not assertions)."""
    import jsonschema_rs

    validator_for(kind)  # checks the schema itself
    return jsonschema_rs.Draft202012Validator(schema(kind), validate_formats=False)
