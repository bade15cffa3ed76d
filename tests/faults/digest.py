"""Canonical digests of what a phase leaves behind, for "killed then rerun == clean run" checks."""

from __future__ import annotations

import hashlib
from pathlib import Path

from nbaprops.warehouse.duckdb import DuckDBWarehouse
from nbaprops.warehouse.schema import TABLES

# When a row was written, by which run: the clock of the run, not the data.
VOLATILE = frozenset(
    {
        "loaded_at",
        "quarantined_at",
        "raised_at",
        "run_id",
        "started_at",
        "finished_at",
        "resolved_at",
        "first_seen_at",
        "last_seen_at",
        "recorded_at",
        "built_at",
        "created_at",
        "dispatched_at",
        "completed_at",
        "graded_at",
        "trained_at",
    }
)
# Bookkeeping of runs (a killed run's rows stay as its record) rather than data.
RUN_RECORDS = frozenset(
    {"run_ledger", "alerts", "prediction_batches", "backfill_progress", "fact_sources", "query_log"}
)


def table_digests(path: Path) -> dict[str, str]:
    """Per data table: row count and a hash of its rows sorted, floats rounded to 9 places."""
    out = {}
    with DuckDBWarehouse(str(path), query_timeout_s=120, read_only=True) as wh:
        for name, spec in TABLES.items():
            if name in RUN_RECORDS:
                continue
            columns = [
                f'round("{c.name}", 9)' if c.type == "FLOAT64" else f'"{c.name}"'
                for c in spec.columns
                if c.name not in VOLATILE
            ]
            rows = wh.query_rows(f"SELECT {', '.join(columns)} FROM {name} ORDER BY ALL")  # noqa: S608
            out[name] = f"{len(rows)}:{hashlib.sha256(repr(rows).encode()).hexdigest()[:16]}"
    return out


def lake_digest(root: Path) -> dict[str, str]:
    """Every payload file under the lake (manifests aside) with the hash of its bytes."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()[:16]
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(("_manifest", ".tmp-"))
    }


def ledger_statuses(path: Path) -> list[str]:
    """Every ``run_ledger`` status, for "no run is left running" checks."""
    with DuckDBWarehouse(str(path), query_timeout_s=60, read_only=True) as wh:
        return [r[0] for r in wh.query_rows("SELECT status FROM run_ledger ORDER BY started_at")]
