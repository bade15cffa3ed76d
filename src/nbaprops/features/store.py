"""The feature store's rules: defaults, per-feature source and quality, and who is predictable.

``assemble(inputs)`` takes the raw feature values (``feature_store_inputs.sql``: one row per player
x game date, NULL where a feature could not be computed) and returns ``feature_store`` rows:

* a computed value is kept, source ``computed`` (the contract's source table), quality 100;
* a NULL with a contract default becomes the default, source ``default``, quality 40;
* a NULL optional feature without a default stays NULL, source ``missing``, quality 0.

``quality_score`` is the mean quality of the required features plus the optional ones that have a
value (a missing optional line does not lower it). ``defaulted_required_count`` counts required
features that fell back to their default; any such row is ``predictable = false`` with the reason
naming them: nothing is defaulted silently. ``as_of`` and ``as_of_kind`` come from the upcoming
context the row was built from (``game_as_of``): the row uses only games before its date and
snapshots published at or before that instant.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from nbaprops.features.contract import FEATURE_VERSION, FEATURES

if TYPE_CHECKING:
    import pyarrow as pa

QUALITY_COMPUTED = 100.0
QUALITY_DEFAULT = 40.0
QUALITY_MISSING = 0.0


def assemble_row(row: dict[str, Any]) -> dict[str, Any]:
    """One feature_store row from one row of raw feature values (see the module docstring)."""
    out: dict[str, Any] = {
        "player_id": row["player_id"],
        "game_date": row["game_date"],
        "as_of_kind": row["as_of_kind"],
        "feature_version": FEATURE_VERSION,
        "game_id": row.get("game_id"),
        "team": row.get("team"),
        "opponent": row.get("opponent"),
        "as_of": row["as_of"],
    }
    sources: dict[str, str] = {}  # each feature's entry of feature_sources, as JSON text
    defaulted: list[str] = []
    scored: list[float] = []
    for f in FEATURES:
        value = row.get(f.name)
        computed, by_default, missing = _SOURCE_ENTRIES[f.name]
        if value is not None and not math.isnan(value):
            out[f.name] = float(value)
            sources[f.name] = computed
            scored.append(QUALITY_COMPUTED)
        elif f.default is not None:
            out[f.name] = f.default
            sources[f.name] = by_default
            scored.append(QUALITY_DEFAULT)
            if f.required:
                defaulted.append(f.name)
        else:
            out[f.name] = None
            sources[f.name] = missing
            if f.required:  # the contract forbids this; kept so a bad edit cannot pass silently
                defaulted.append(f.name)
                scored.append(QUALITY_MISSING)
    out["quality_score"] = round(sum(scored) / len(scored), 4) if scored else 0.0
    out["defaulted_required_count"] = len(defaulted)
    reasons = []
    if not row.get("games_played"):
        # games_played counts this season's games; last_game_date looks back across seasons
        if row.get("last_game_date") is None:
            reasons.append("no games played before this date")
        else:
            reasons.append("no games played this season before this date")
    if defaulted:
        reasons.append("required features defaulted: " + ", ".join(defaulted))
    out["predictable"] = not reasons
    out["unpredictable_reason"] = "; ".join(reasons) or None
    # json.dumps(sort_keys=True, compact) of {name: {"source", "quality"}}, joined from entries
    # rendered once per feature and status (a json.dumps per row was about 2% of a game day's time).
    out["feature_sources"] = "{" + ",".join(sources[name] for name in _SORTED_NAMES) + "}"
    return out


def _source_entry(name: str, source: str, quality: float) -> str:
    entry = json.dumps({"source": source, "quality": quality}, sort_keys=True, separators=(",", ":"))
    return f"{json.dumps(name)}:{entry}"


_SOURCE_ENTRIES = {
    f.name: (
        _source_entry(f.name, f.source_table, QUALITY_COMPUTED),
        _source_entry(f.name, "default", QUALITY_DEFAULT),
        _source_entry(f.name, "missing", QUALITY_MISSING),
    )
    for f in FEATURES
}
_SORTED_NAMES = sorted(_SOURCE_ENTRIES)


def assemble(inputs: pa.Table) -> pa.Table:
    """feature_store rows (Arrow, the table's column order) from the raw feature values."""
    import pyarrow as pa

    from nbaprops.features.tables import FEATURE_STORE

    rows = [assemble_row(r) for r in inputs.to_pylist()]
    columns = FEATURE_STORE.column_names
    return pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows], schema=_schema())


def _schema() -> pa.Schema:
    import pyarrow as pa

    from nbaprops.features.tables import FEATURE_STORE

    types = {
        "INT64": pa.int64(),
        "DATE": pa.date32(),
        "STRING": pa.string(),
        "FLOAT64": pa.float64(),
        "TIMESTAMP": pa.timestamp("us", tz="UTC"),
        "BOOL": pa.bool_(),
        "JSON": pa.string(),
    }
    return pa.schema([(c.name, types[c.type]) for c in FEATURE_STORE.columns])
