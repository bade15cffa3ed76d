"""Monitoring over the tables the pipeline already writes: timings, slow steps, cost, credits.

* **Step timings** — from ``run_ledger``: runs, failures, median and slowest duration and rows per
  step and day.
* **Degradation detector** — a step's latest successful run against the rolling median and MAD of
  its previous ``perf_baseline_runs`` successful runs: robust z = (duration − median) / (1.4826·MAD),
  with the scale floored at 5 % of the median (a step that always took 2.00 s is not "slow" at
  2.03 s). Slow when z > ``perf_degradation_threshold`` *and* the slowdown is at least
  ``perf_min_slowdown_s``.
* **Cost** — ``query_log`` per step and day: statements, seconds and rows (DuckDB), bytes processed
  and billed and estimated dollars (BigQuery); beside it the Odds API credits each day's scrapes
  spent (the ``credits_spent_run`` the odds steps record in their ledger details).
* **Credit forecast** — the season's remaining game dates (schedule) times the recent burn per game
  date, against the credits the account has left (``credits_remaining``, last seen).

``watch`` turns these into alerts: ``run_slow``, ``cost_over_budget``, ``odds_credits_low``,
``stale_source`` and ``backup_missing`` (deduplicated by key like every alert).
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from nbaprops.dates import now_utc

if TYPE_CHECKING:
    from nbaprops.ops.alerts import Alerter
    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse

MAD_TO_SD = 1.4826


# --- step timings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StepTiming:
    """One step on one day (of its start, UTC)."""

    day: date
    step: str
    runs: int
    failed: int
    median_s: float
    max_s: float
    rows_out: int


def step_timings(warehouse: Warehouse, start: date, end: date) -> list[StepTiming]:
    """Per step and day of ``start``..``end``: runs, failures, median and slowest seconds, rows."""
    rows = warehouse.query_rows(
        "SELECT CAST(started_at AS DATE), step, status, "
        "EXTRACT(EPOCH FROM finished_at) - EXTRACT(EPOCH FROM started_at), rows_out FROM run_ledger "
        "WHERE finished_at IS NOT NULL AND CAST(started_at AS DATE) BETWEEN ? AND ? ORDER BY 1, 2",
        [start, end],
    )
    grouped: dict[tuple[date, str], list[tuple[str, float, int]]] = {}
    for day, step, status, seconds, rows_out in rows:
        grouped.setdefault((day, step), []).append((status, float(seconds or 0.0), int(rows_out or 0)))
    return [
        StepTiming(
            day,
            step,
            len(runs),
            sum(1 for s, _, _ in runs if s in ("failed", "blocked", "abandoned")),
            round(statistics.median(d for _, d, _ in runs), 4),
            round(max(d for _, d, _ in runs), 4),
            sum(r for _, _, r in runs),
        )
        for (day, step), runs in sorted(grouped.items())
    ]


# --- degradation detector -------------------------------------------------------------------


@dataclass(frozen=True)
class Slowdown:
    """A step's latest run against its baseline."""

    step: str
    run_id: str
    game_date: date | None
    seconds: float
    median_s: float
    mad_s: float
    z: float
    baseline_runs: int
    slow: bool


def robust_z(value: float, history: list[float]) -> tuple[float, float, float]:
    """``(z, median, MAD)`` of ``value`` against ``history`` (scale floored at 5 % of the median)."""
    median = statistics.median(history)
    mad = statistics.median(abs(h - median) for h in history)
    scale = max(MAD_TO_SD * mad, 0.05 * median, 1e-3)
    return (value - median) / scale, median, mad


def detect_slowdowns(warehouse: Warehouse, settings: Settings) -> list[Slowdown]:
    """Every step's latest successful run compared with its previous successful runs."""
    rows = warehouse.query_rows(
        "SELECT step, run_id, game_date, EXTRACT(EPOCH FROM finished_at) - EXTRACT(EPOCH FROM started_at) "
        "FROM run_ledger WHERE status = 'success' AND finished_at IS NOT NULL ORDER BY step, started_at DESC"
    )
    by_step: dict[str, list[tuple[str, date | None, float]]] = {}
    for step, run_id, game_date, seconds in rows:
        by_step.setdefault(step, []).append((run_id, game_date, float(seconds)))
    found = []
    for step, runs in sorted(by_step.items()):
        (run_id, game_date, latest), history = (
            runs[0],
            [s for _, _, s in runs[1 : 1 + settings.perf_baseline_runs]],
        )
        if len(history) < 3:
            continue  # no baseline yet
        z, median, mad = robust_z(latest, history)
        slow = z > settings.perf_degradation_threshold and latest - median >= settings.perf_min_slowdown_s
        found.append(
            Slowdown(
                step,
                run_id,
                game_date,
                round(latest, 4),
                round(median, 4),
                round(mad, 4),
                round(z, 2),
                len(history),
                slow,
            )
        )
    return found


# --- cost and credits ------------------------------------------------------------------------


@dataclass(frozen=True)
class CostRow:
    """``query_log`` of one step on one day."""

    day: date
    step: str
    backend: str
    statements: int
    seconds: float
    rows: int
    bytes_processed: int
    bytes_billed: int
    usd: float


def query_cost(warehouse: Warehouse, start: date, end: date) -> list[CostRow]:
    """``query_log`` summed per day (of ``game_date``, else of the statement) and step."""
    rows = warehouse.query_rows(
        "SELECT COALESCE(game_date, CAST(started_at AS DATE)) AS day, COALESCE(step, '-') AS step, backend, "
        "count(*), COALESCE(sum(duration_s), 0), COALESCE(sum(rows), 0), COALESCE(sum(bytes_processed), 0), "
        "COALESCE(sum(bytes_billed), 0), COALESCE(sum(estimated_usd), 0) FROM query_log "
        "WHERE COALESCE(game_date, CAST(started_at AS DATE)) BETWEEN ? AND ? "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        [start, end],
    )
    return [
        CostRow(
            r[0],
            r[1],
            r[2],
            int(r[3]),
            round(float(r[4]), 4),
            int(r[5]),
            int(r[6]),
            int(r[7]),
            round(float(r[8]), 6),
        )
        for r in rows
    ]


def odds_credits(warehouse: Warehouse, start: date | None = None, end: date | None = None) -> dict[str, Any]:
    """Credits spent per game date (each scrape's own meter, summed over scrapes) and the last balance."""
    rows = warehouse.query_rows(
        "SELECT game_date, owner, started_at, details FROM run_ledger "
        "WHERE step LIKE 'scrape.oddsapi%' AND details IS NOT NULL ORDER BY started_at"
    )
    per_scrape: dict[tuple[date | None, str], int] = {}
    remaining: int | None = None
    remaining_at: datetime | None = None
    for game_date, owner, started_at, details in rows:
        info = json.loads(details) if isinstance(details, str) else dict(details or {})
        if "credits_spent_run" in info:
            key = (game_date, str(owner))
            per_scrape[key] = max(per_scrape.get(key, 0), int(info["credits_spent_run"] or 0))
        if info.get("credits_remaining") is not None:
            remaining, remaining_at = int(info["credits_remaining"]), started_at
    by_day: dict[date, int] = {}
    for (game_date, _), spent in per_scrape.items():
        if (
            game_date is not None
            and (start is None or game_date >= start)
            and (end is None or game_date <= end)
        ):
            by_day[game_date] = by_day.get(game_date, 0) + spent
    return {
        "by_day": {d.isoformat(): n for d, n in sorted(by_day.items())},
        "spent": sum(by_day.values()),
        "remaining": remaining,
        "remaining_seen_at": remaining_at.isoformat() if remaining_at else None,
    }


def credit_forecast(warehouse: Warehouse, today: date, *, window_days: int = 14) -> dict[str, Any]:
    """The season's remaining game dates at the recent burn per game date, against the balance."""
    credits = odds_credits(warehouse, today - timedelta(days=window_days), today)
    recent = [n for n in credits["by_day"].values() if n > 0]
    burn = statistics.mean(recent) if recent else 0.0
    remaining_dates = int(
        warehouse.query_rows(
            "SELECT count(DISTINCT game_date) FROM raw_nbac_schedule WHERE game_date > ?", [today]
        )[0][0]
    )
    need = round(burn * remaining_dates)
    balance = credits["remaining"]
    outcome: dict[str, Any] = {
        "as_of": today.isoformat(),
        "burn_per_game_date": round(burn, 1),
        "game_dates_left": remaining_dates,
        "credits_needed": need,
        "credits_remaining": balance,
        "enough": None if balance is None else balance >= need,
        "runs_out_after_game_dates": None,
    }
    if balance is not None and burn > 0 and balance < need:
        outcome["runs_out_after_game_dates"] = int(balance // burn)
    return outcome


# --- alerts from the monitors -----------------------------------------------------------------


def watch(
    warehouse: Warehouse, settings: Settings, alerter: Alerter, now: datetime | None = None
) -> list[str]:
    """Raise the monitoring alerts that hold now; returns their kinds."""
    from nbaprops.ops.health import backup_state, source_states

    now = now or now_utc()
    raised: list[str] = []
    for slow in detect_slowdowns(warehouse, settings):
        if slow.slow:
            alerter.raise_alert(
                "run_slow",
                f"step {slow.step} took {slow.seconds:.2f} s against a median of {slow.median_s:.2f} s "
                f"over its last {slow.baseline_runs} runs (robust z {slow.z:.1f})",
                severity="warning",
                step=slow.step,
                game_date=slow.game_date.isoformat() if slow.game_date else None,
                run_id=slow.run_id,
            )
            raised.append("run_slow")
    today = now.date()
    spent = sum(r.usd for r in query_cost(warehouse, today, today))
    if spent > settings.cost_budget_usd_per_day:
        alerter.raise_alert(
            "cost_over_budget",
            f"warehouse spend today is ${spent:.2f}, over the daily budget of "
            f"${settings.cost_budget_usd_per_day:.2f}",
            severity="error",
            game_date=today.isoformat(),
        )
        raised.append("cost_over_budget")
    balance = odds_credits(warehouse)["remaining"]
    if balance is not None and balance < settings.odds_credit_alert_threshold:
        alerter.raise_alert(
            "odds_credits_low",
            f"The Odds API has {balance} credits left (threshold {settings.odds_credit_alert_threshold})",
            severity="error",
            source="oddsapi",
        )
        raised.append("odds_credits_low")
    for state in source_states(warehouse, settings, now):
        if state.stale:
            alerter.raise_alert(
                "stale_source", f"source {state.name}: {state.reason}", severity="error", source=state.name
            )
            raised.append("stale_source")
    backup = backup_state(warehouse, settings, now)
    if backup.status != "ok":
        alerter.raise_alert(
            "backup_missing", f"backup: {backup.reason}", severity="warning", subject="backup"
        )
        raised.append("backup_missing")
    return raised


def as_dicts(items: list[Any]) -> list[dict[str, Any]]:
    """Dataclasses as JSON-able dicts (dates as ISO text)."""
    return [{k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(i).items()} for i in items]
