"""``nbaprops report cost|perf|quality --from A --to B``: the monitoring tables as text or JSON."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from nbaprops.ops.monitor import (
    as_dicts,
    credit_forecast,
    detect_slowdowns,
    odds_credits,
    query_cost,
    step_timings,
)

if TYPE_CHECKING:
    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse


def cost_report(warehouse: Warehouse, start: date, end: date, today: date) -> dict[str, Any]:
    """``query_log`` per step and day, the Odds API credits per day, and the season's credit forecast."""
    rows = query_cost(warehouse, start, end)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "queries": as_dicts(rows),
        "total": {
            "statements": sum(r.statements for r in rows),
            "seconds": round(sum(r.seconds for r in rows), 3),
            "bytes_billed": sum(r.bytes_billed for r in rows),
            "usd": round(sum(r.usd for r in rows), 4),
        },
        "odds_credits": odds_credits(warehouse, start, end),
        "odds_forecast": credit_forecast(warehouse, today),
    }


def perf_report(warehouse: Warehouse, settings: Settings, start: date, end: date) -> dict[str, Any]:
    """Step timings per day and the degradation detector's verdict on every step's latest run."""
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "timings": as_dicts(step_timings(warehouse, start, end)),
        "slowdowns": as_dicts(detect_slowdowns(warehouse, settings)),
    }


def quality_report(warehouse: Warehouse, start: date, end: date) -> dict[str, Any]:
    """Per checked date: rules, failed errors and warnings with their messages."""
    rows = warehouse.query_rows(
        "SELECT game_date, rule, severity, passed, message FROM quality_results "
        "WHERE game_date BETWEEN ? AND ? ORDER BY game_date, rule",
        [start, end],
    )
    days: dict[str, dict[str, Any]] = {}
    for day, rule, severity, passed, message in rows:
        entry = days.setdefault(day.isoformat(), {"rules": 0, "errors": [], "warnings": []})
        entry["rules"] += 1
        if not passed:
            entry["errors" if severity == "error" else "warnings"].append({"rule": rule, "message": message})
    return {"from": start.isoformat(), "to": end.isoformat(), "days": days}


def render(kind: str, document: dict[str, Any]) -> str:
    """A report as text."""
    lines = [f"{kind} report {document['from']}..{document['to']}"]
    if kind == "cost":
        total = document["total"]
        lines.append(
            f"warehouse: {total['statements']} statements, {total['seconds']:.1f} s, "
            f"{total['bytes_billed'] / 1e9:.2f} GB billed, ${total['usd']:.2f}"
        )
        lines += [
            f"  {r['day']} {r['step']:<32} {r['backend']:<8} {r['statements']:>6} stmt "
            f"{r['seconds']:>8.2f} s {r['rows']:>9} rows {r['bytes_billed'] / 1e6:>9.1f} MB ${r['usd']:.4f}"
            for r in document["queries"]
        ]
        credits, forecast = document["odds_credits"], document["odds_forecast"]
        lines.append(f"odds credits: {credits['spent']} spent; balance {credits['remaining']}")
        lines += [f"  {day} {spent}" for day, spent in credits["by_day"].items()]
        lines.append(
            f"forecast: {forecast['burn_per_game_date']} credits per game date x "
            f"{forecast['game_dates_left']} game dates left = {forecast['credits_needed']} needed; "
            + (
                "no balance seen"
                if forecast["enough"] is None
                else "enough"
                if forecast["enough"]
                else f"runs out after {forecast['runs_out_after_game_dates']} game dates"
            )
        )
    elif kind == "perf":
        lines += [
            f"  {t['day']} {t['step']:<36} {t['runs']:>3} run(s) {t['failed']:>2} failed "
            f"median {t['median_s']:>7.2f} s max {t['max_s']:>7.2f} s rows {t['rows_out']}"
            for t in document["timings"]
        ]
        slow = [s for s in document["slowdowns"] if s["slow"]]
        lines.append(f"slow steps (latest run vs median/MAD of earlier ones): {len(slow)}")
        lines += [
            f"  {s['step']}: {s['seconds']:.2f} s vs median {s['median_s']:.2f} s (z {s['z']})" for s in slow
        ]
    else:
        for day, entry in document["days"].items():
            lines.append(
                f"  {day}: {entry['rules']} rules, {len(entry['errors'])} error(s), "
                f"{len(entry['warnings'])} warning(s)"
            )
            lines += [f"    ERROR {e['rule']}: {e['message']}" for e in entry["errors"]]
            lines += [f"    warn  {w['rule']}: {w['message']}" for w in entry["warnings"]]
    return "\n".join(lines)
