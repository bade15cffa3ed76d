"""``status.json``: is the pipeline whole? Read from the run ledger, ``fact_sources``, ``quarantine`` and
``alerts``, as of a game date.

* ``steps``: the last run of every step for each of the last ``RECENT_DATES`` game dates up to the
  date (and the last undated run of each step), with status, rows and error;
* ``sources``: per source, the last game date it served a fact for and when; ``degraded``: facts
  that were degraded or failed on those dates;
* ``quarantine``: payloads quarantined, per kind; ``alerts``: the alerts of the last
  ``ALERT_DAYS`` days before the newest ledger row, newest first, with counts per severity;
* ``odds_credits``: The Odds API credits left, as the last odds step reported them.

The ``publish`` step's own rows are left out: a file cannot report its own writing, and leaving
them out is what lets publishing twice give the same file.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from nbaprops.publish.documents import head

if TYPE_CHECKING:
    from nbaprops.warehouse.protocol import Warehouse

RECENT_DATES = 7
ALERT_DAYS = 7
MAX_ALERTS = 50
PUBLISH_STEP = "publish"
_FAR = datetime(9999, 12, 31, tzinfo=UTC)

_DATES_SQL = (
    "SELECT DISTINCT game_date FROM run_ledger WHERE game_date <= ? AND step <> ? "
    "ORDER BY game_date DESC NULLS LAST LIMIT ?"
)
_STEPS_SQL = (
    "SELECT step, game_date, status, started_at, finished_at, rows_in, rows_out, error, details "
    "FROM run_ledger WHERE step <> ? AND (game_date IS NULL OR game_date BETWEEN ? AND ?) "
    "AND started_at <= ? "
    "QUALIFY ROW_NUMBER() OVER (PARTITION BY step, game_date ORDER BY started_at DESC NULLS LAST, "
    "run_id DESC NULLS LAST) = 1 "
    "ORDER BY game_date DESC NULLS LAST, step ASC NULLS LAST"
)
_UNDATED_CUTOFF_SQL = "SELECT MAX(finished_at) FROM run_ledger WHERE step <> ? AND game_date BETWEEN ? AND ?"
_SOURCES_SQL = (
    "SELECT source, MAX(game_date), MAX(recorded_at) FROM fact_sources "
    "WHERE status = 'served' AND game_date <= ? GROUP BY source ORDER BY source ASC NULLS LAST"
)
_DEGRADED_SQL = (
    "SELECT game_date, fact, source, status, reason FROM fact_sources "
    "WHERE status IN ('degraded', 'failed') AND game_date BETWEEN ? AND ? "
    "ORDER BY game_date DESC NULLS LAST, fact ASC NULLS LAST, source ASC NULLS LAST"
)
_QUARANTINE_SQL = (
    "SELECT kind, COUNT(*), MAX(quarantined_at) FROM quarantine WHERE quarantined_at <= ? "
    "GROUP BY kind ORDER BY kind ASC NULLS LAST"
)
_ALERTS_SQL = (
    "SELECT alert_id, raised_at, kind, severity, message FROM alerts WHERE raised_at BETWEEN ? AND ? "
    "ORDER BY raised_at DESC NULLS LAST, alert_id ASC NULLS LAST"
)


def build(warehouse: Warehouse, day: date) -> dict[str, Any]:
    """The status document as of game date ``day``."""
    dates = [r[0] for r in warehouse.query_rows(_DATES_SQL, [day, PUBLISH_STEP, RECENT_DATES])]
    first = min(dates) if dates else day
    [(cutoff,)] = warehouse.query_rows(_UNDATED_CUTOFF_SQL, [PUBLISH_STEP, first, day])
    # Undated runs (a backtest, a range build) count up to the newest dated run of the window.
    moment: datetime = cutoff or _FAR
    keys = (
        "step",
        "game_date",
        "status",
        "started_at",
        "finished_at",
        "rows_in",
        "rows_out",
        "error",
        "details",
    )
    ledger = [
        dict(zip(keys, r, strict=True))
        for r in warehouse.query_rows(_STEPS_SQL, [PUBLISH_STEP, first, day, moment])
    ]
    sources = [
        {"source": s, "last_game_date": d, "last_served_at": at}
        for s, d, at in warehouse.query_rows(_SOURCES_SQL, [day])
    ]
    degraded = [
        dict(zip(("game_date", "fact", "source", "status", "reason"), r, strict=True))
        for r in warehouse.query_rows(_DEGRADED_SQL, [first, day])
    ]
    finished = [r["finished_at"] for r in ledger if r["finished_at"] is not None]
    newest = max(finished) if finished else None
    quarantine = [
        {"kind": k, "count": n, "last_at": at}
        for k, n, at in warehouse.query_rows(_QUARANTINE_SQL, [newest or _FAR])
    ]
    alerts: list[dict[str, Any]] = []
    if newest is not None:
        alerts = [
            dict(zip(("alert_id", "raised_at", "kind", "severity", "message"), r, strict=True))
            for r in warehouse.query_rows(_ALERTS_SQL, [newest - timedelta(days=ALERT_DAYS), newest])
        ]
    return document(day, ledger, sources, degraded, quarantine, alerts, newest)


def _credits(ledger: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Credits left, from the newest odds step whose details name them."""
    best: tuple[datetime, int] | None = None
    for row in ledger:
        details = row["details"]
        if isinstance(details, str):
            details = json.loads(details) if details else {}
        left = (details or {}).get("credits_remaining")
        if isinstance(left, int) and (best is None or row["started_at"] > best[0]):
            best = (row["started_at"], left)
    return None if best is None else {"remaining": best[1], "reported_at": best[0]}


def document(  # noqa: PLR0917 (the document's parts, each named where it is called)
    day: date,
    ledger: list[dict[str, Any]],
    sources: list[dict[str, Any]],
    degraded: list[dict[str, Any]],
    quarantine: list[dict[str, Any]],
    alerts: list[dict[str, Any]],
    newest: datetime | None,
) -> dict[str, Any]:
    """The ``status.json`` object."""
    counts: dict[str, int] = {}
    for row in ledger:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    severities: dict[str, int] = {}
    for alert in alerts:
        severities[alert["severity"]] = severities.get(alert["severity"], 0) + 1
    healthy = not any(r["status"] in ("failed", "abandoned", "running") for r in ledger)
    return {
        **head("status", generated_at=newest, as_of=newest),
        "game_date": day,
        "healthy": healthy and not any(a["severity"] == "error" for a in alerts),
        "step_counts": [{"status": k, "count": v} for k, v in sorted(counts.items())],
        "steps": [{k: v for k, v in r.items() if k != "details"} for r in ledger],
        "sources": sources,
        "degraded": degraded,
        "quarantine": quarantine,
        "quarantined_total": sum(q["count"] for q in quarantine),
        "alerts": alerts[:MAX_ALERTS],
        "alert_counts": [{"severity": k, "count": v} for k, v in sorted(severities.items())],
        "odds_credits": _credits(ledger),
    }
