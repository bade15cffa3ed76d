"""``nbaprops health``: per source and per phase, OK / degraded / failing, why, and the last success.

Everything is read from what the pipeline records: the latest run of every step in ``run_ledger``
(grouped by source for ``scrape.<source>.*`` steps and by phase for all), the newest verdicts in
``quality_results``, the newest row of ``backups``, and the Odds API balance the odds steps record.

* a **source** fails when the latest run of every one of its steps failed, or when, in season (games
  scheduled within a day of now), it has not succeeded for ``stale_source_hours``; it is degraded
  when the latest run of some step failed or degraded;
* a **phase** fails when the latest run of one of its steps failed (or was blocked, or abandoned),
  degraded when one degraded;
* **quality** fails on a failed error rule of the newest checked date, degraded on a warning;
* **backup** is degraded with no backup, or an unverified or older-than-``backup_max_age_hours`` one;
* **odds credits** are degraded below ``odds_credit_alert_threshold``.

The overall status is the worst; the exit code is 0 (ok), 1 (degraded) or 2 (failing).
``health_report`` returns the structured report the services' ``/health`` route can serve as is.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from nbaprops.dates import now_utc

if TYPE_CHECKING:
    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse

Status = Literal["ok", "degraded", "failing"]
_RANK = {"ok": 0, "degraded": 1, "failing": 2}
PHASES = {
    "1": "scrape",
    "2": "raw",
    "3": "analytics",
    "4": "precompute",
    "5": "predict",
    "5b": "grade",
    "6": "publish",
}


@dataclass
class Component:
    """One source, phase or concern."""

    name: str
    status: Status
    reason: str
    last_success: str | None = None
    stale: bool = False
    steps: dict[str, str] = field(default_factory=dict)  # step -> latest status


@dataclass
class HealthReport:
    """The whole picture; ``exit_code`` 0/1/2."""

    status: Status
    checked_at: str
    sources: list[Component]
    phases: list[Component]
    checks: list[Component]

    @property
    def exit_code(self) -> int:
        """0 ok, 1 degraded, 2 failing."""
        return _RANK[self.status]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return asdict(self)


def _latest_runs(warehouse: Warehouse) -> dict[str, tuple[str, str | None, datetime | None]]:
    """Per step: its latest status, that run's error, and its last success time."""
    rows = warehouse.query_rows(
        "SELECT step, status, error, started_at, finished_at FROM run_ledger ORDER BY step, started_at"
    )
    latest: dict[str, tuple[str, str | None, datetime | None]] = {}
    for step, status, error, _started, finished in rows:
        last_ok = latest.get(step, ("", None, None))[2]
        if status in ("success", "skipped"):
            last_ok = finished
        latest[step] = (status, error, last_ok)
    return latest


def _phase_of(step: str) -> str:
    if step.startswith("scrape."):
        return "1"
    if step.startswith(("ingest", "identity", "resolve")):
        return "2"
    if step.startswith(("predict", "train", "backtest")):
        return "5"
    if step.startswith("grade"):
        return "5b"
    if step.startswith("publish"):
        return "6"
    from nbaprops.pipeline.steps import load_registry

    registered = {s.name: s.phase for s in load_registry().steps()}
    return str(registered.get(step, "other"))


def _judge(
    name: str, runs: dict[str, tuple[str, str | None, datetime | None]], *, tolerant: bool
) -> Component:
    """``tolerant``: some failed steps only degrade it (a scrape whose fallback source served the fact)."""
    statuses = {step: status for step, (status, _, _) in runs.items()}
    bad = {
        step: err for step, (status, err, _) in runs.items() if status in ("failed", "blocked", "abandoned")
    }
    soft = [step for step, status in statuses.items() if status == "degraded"]
    successes = [ok for _, _, ok in runs.values() if ok is not None]
    last = max(successes).isoformat() if successes else None
    if bad and len(bad) == len(runs):
        step, err = next(iter(bad.items()))
        return Component(
            name, "failing", f"every step failed; {step}: {(err or '')[:200]}", last, steps=statuses
        )
    if bad:
        step, err = next(iter(bad.items()))
        status: Status = "degraded" if tolerant else "failing"
        return Component(name, status, f"{step} failed: {(err or '')[:200]}", last, steps=statuses)
    if soft:
        return Component(name, "degraded", f"{', '.join(soft[:3])} degraded", last, steps=statuses)
    return Component(name, "ok", f"{len(runs)} step(s) fine", last, steps=statuses)


def _in_season(warehouse: Warehouse, now: datetime) -> bool:
    today = now.date()
    rows = warehouse.query_rows(
        "SELECT count(*) FROM raw_nbac_schedule WHERE game_date BETWEEN ? AND ?",
        [today - timedelta(days=1), today + timedelta(days=1)],
    )
    return bool(rows[0][0])


def source_states(warehouse: Warehouse, settings: Settings, now: datetime | None = None) -> list[Component]:
    """One component per source seen in the ledger's ``scrape.<source>.*`` steps."""
    now = now or now_utc()
    latest = _latest_runs(warehouse)
    sources: dict[str, dict[str, tuple[str, str | None, datetime | None]]] = {}
    for step, run in latest.items():
        parts = step.split(".")
        if parts[0] == "scrape" and len(parts) >= 3:
            sources.setdefault(parts[1], {})[step] = run
    in_season = _in_season(warehouse, now)
    states = []
    for source, runs in sorted(sources.items()):
        state = _judge(source, runs, tolerant=True)
        successes = [ok for _, _, ok in runs.values() if ok is not None]
        newest = max(successes) if successes else None
        limit = timedelta(hours=settings.stale_source_hours)
        if in_season and (newest is None or now - newest > limit):
            age = "never" if newest is None else f"{(now - newest).total_seconds() / 3600:.0f} h ago"
            state.status, state.stale = "failing", True
            state.reason = (
                f"stale: no new data for {settings.stale_source_hours:g} h in season (last success {age})"
            )
        states.append(state)
    return states


def phase_states(warehouse: Warehouse) -> list[Component]:
    """One component per phase that has ledger rows."""
    grouped: dict[str, dict[str, tuple[str, str | None, datetime | None]]] = {}
    for step, run in _latest_runs(warehouse).items():
        grouped.setdefault(_phase_of(step), {})[step] = run
    out = []
    for phase, runs in sorted(grouped.items()):
        component = _judge(f"{phase} {PHASES.get(phase, '')}".strip(), runs, tolerant=phase == "1")
        out.append(component)
    return out


def quality_state(warehouse: Warehouse) -> Component:
    """The newest checked date's verdicts."""
    rows = warehouse.query_rows(
        "SELECT game_date, rule, severity, passed, message, recorded_at FROM quality_results "
        "WHERE game_date = (SELECT max(game_date) FROM quality_results)"
    )
    if not rows:
        return Component("quality", "degraded", "no data-quality check recorded yet")
    day = rows[0][0]
    checked = max(r[5] for r in rows).isoformat()
    errors = [r for r in rows if not r[3] and r[2] == "error"]
    warnings = [r for r in rows if not r[3] and r[2] == "warning"]
    if errors:
        return Component(
            "quality", "failing", f"{day}: {len(errors)} error rule(s) failed, e.g. {errors[0][4]}", checked
        )
    if warnings:
        return Component(
            "quality",
            "degraded",
            f"{day}: {len(warnings)} warning rule(s) failed, e.g. {warnings[0][4]}",
            checked,
        )
    return Component("quality", "ok", f"{day}: {len(rows)} rules passed", checked)


def backup_state(warehouse: Warehouse, settings: Settings, now: datetime | None = None) -> Component:
    """The newest backup: present, recent, verified."""
    now = now or now_utc()
    rows = warehouse.query_rows(
        "SELECT snapshot_id, created_at, verified_at FROM backups ORDER BY created_at DESC LIMIT 1"
    )
    if not rows:
        return Component("backup", "degraded", "no backup recorded (nbaprops backup --verify)")
    snapshot, created, verified = rows[0]
    age_h = (now - created).total_seconds() / 3600
    if age_h > settings.backup_max_age_hours:
        return Component(
            "backup", "degraded", f"newest backup {snapshot} is {age_h:.0f} h old", created.isoformat()
        )
    if verified is None:
        return Component(
            "backup", "degraded", f"newest backup {snapshot} is not verified", created.isoformat()
        )
    return Component("backup", "ok", f"{snapshot}, verified", created.isoformat())


def credits_state(warehouse: Warehouse, settings: Settings) -> Component:
    """The Odds API balance last seen."""
    from nbaprops.ops.monitor import odds_credits

    credits = odds_credits(warehouse)
    balance = credits["remaining"]
    if balance is None:
        return Component("odds credits", "ok", "no balance seen yet")
    if balance < settings.odds_credit_alert_threshold:
        return Component(
            "odds credits",
            "degraded",
            f"{balance} left, below {settings.odds_credit_alert_threshold}",
            credits["remaining_seen_at"],
        )
    return Component("odds credits", "ok", f"{balance} left", credits["remaining_seen_at"])


def health_report(warehouse: Warehouse, settings: Settings, now: datetime | None = None) -> HealthReport:
    """The structured health of the pipeline (what ``nbaprops health`` and ``/health`` show)."""
    now = now or now_utc()
    sources = source_states(warehouse, settings, now)
    phases = phase_states(warehouse)
    checks = [
        quality_state(warehouse),
        backup_state(warehouse, settings, now),
        credits_state(warehouse, settings),
    ]
    worst: Status = max((c.status for c in [*sources, *phases, *checks]), key=_RANK.__getitem__, default="ok")
    return HealthReport(worst, now.isoformat(), sources, phases, checks)


def render(report: HealthReport) -> str:
    """The report as text, one line per component."""
    lines = [f"health: {report.status.upper()} (checked {report.checked_at})"]
    for title, items in (("sources", report.sources), ("phases", report.phases), ("checks", report.checks)):
        lines.append(f"{title}:")
        lines += [
            f"  {c.status:<8} {c.name:<14} {c.reason}"
            + (f" (last success {c.last_success})" if c.last_success else "")
            for c in items
        ]
    return "\n".join(lines)


def to_json(report: HealthReport) -> str:
    """The report as one JSON object."""
    return json.dumps(report.to_dict(), sort_keys=True, default=str)
