"""The JSON Schemas (draft 2020-12) of the published files, one ``{kind}.schema.json`` per document kind.

The publisher validates every document before writing it and the tests validate every file the
demo publishes; readers (the dashboard, the read API) can rely on them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
