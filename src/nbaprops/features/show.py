"""Reading the feature store for people: one game date's rows as CSV or JSON.

The columns come out in contract order after the identifying ones, so a CSV header is the
contract itself; the per-feature sources stay a JSON object in JSON output and a JSON string in CSV.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from nbaprops.features.contract import FEATURE_NAMES, FEATURE_VERSION

if TYPE_CHECKING:
    from nbaprops.warehouse.protocol import Warehouse

Format = Literal["csv", "json"]
LEADING = (
    "game_date",
    "player_id",
    "game_id",
    "team",
    "opponent",
    "feature_version",
    "as_of_kind",
    "as_of",
    "predictable",
    "unpredictable_reason",
    "quality_score",
    "defaulted_required_count",
)


def feature_rows(warehouse: Warehouse, day: date, version: str = FEATURE_VERSION) -> list[dict[str, Any]]:
    """The feature_store rows of ``day`` for ``version`` (every as-of kind), by player then as-of."""
    columns = (*LEADING, *FEATURE_NAMES, "feature_sources")
    sql = (
        f"SELECT {', '.join(columns)} FROM feature_store "  # noqa: S608 - names from the contract
        "WHERE game_date = ? AND feature_version = ? ORDER BY player_id, as_of"
    )
    rows = warehouse.query_rows(sql, [day, version])
    return [dict(zip(columns, row, strict=True)) for row in rows]


def render(rows: list[dict[str, Any]], fmt: Format) -> str:
    """Rows as CSV (header first) or as a JSON array."""
    if fmt == "json":
        decoded = [{**r, "feature_sources": _sources(r.get("feature_sources"))} for r in rows]
        return json.dumps(decoded, default=str, sort_keys=False, indent=1)
    out = io.StringIO()
    columns = list(rows[0]) if rows else [*LEADING, *FEATURE_NAMES, "feature_sources"]
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return out.getvalue()


def _sources(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return "" if value is None else value
