"""Alerts for the failure classes the run ledger sees: every step that fails or degrades.

The ledger calls ``alert_step_outcome`` when it finishes a step as ``failed``, ``blocked`` or
``degraded``, so no failure depends on its step remembering to alert. The class comes from the error:

| class | when | severity |
|---|---|---|
| ``zero_rows`` | the step wrote 0 rows where rows were due | error |
| ``breaker_open`` | a host's circuit breaker was open (``CircuitOpen``) | error |
| ``gate_blocked`` | a completeness or quality gate blocked the step, or its inputs were not there | error |
| ``step_failed`` | any other failure | error |
| ``partial_rows`` | some of the expected payloads came back without rows | error, or warning if degraded |
| ``degraded_fact`` | degraded: an optional fact or part is missing | warning |

Steps that alert about their own cause too (``quarantine``, ``source_exhausted``…) keep doing so;
this is the floor under them. The alert names the step, the date and the run id, so a reader can
find the ledger row (``nbaprops report perf``, ``SELECT * FROM run_ledger WHERE run_id = …``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbaprops.ops.alerts import Severity
    from nbaprops.warehouse.protocol import Warehouse


def classify(status: str, error: str) -> tuple[str, Severity]:
    """The failure class and severity of a finished step (``failed`` or ``degraded``)."""
    text = error.lower()
    severity: Severity = "warning" if status == "degraded" else "error"
    if "without rows" in text or "partial" in text:
        return "partial_rows", severity
    if status == "degraded":
        return "degraded_fact", severity
    if "0 rows" in text or "no rows" in text:
        return "zero_rows", "error"
    if "circuitopen" in text or "breaker" in text:
        return "breaker_open", "error"
    if "blocked" in text:  # the completeness gate's "build blocked", the day runner's "blocked: …"
        return "gate_blocked", "error"
    return "step_failed", "error"


def alert_step_outcome(
    warehouse: Warehouse, *, step: str, game_date: date | None, status: str, error: str, run_id: str
) -> None:
    """Raise the alert of one failed or degraded step (recorded and delivered like any other)."""
    from nbaprops.ops.alerts import Alerter

    kind, severity = classify(status, error)
    when = game_date.isoformat() if game_date else "no date"
    Alerter(warehouse).raise_alert(
        kind,
        f"step {step} for {when} {status}: {error}",
        severity=severity,
        step=step,
        game_date=game_date.isoformat() if game_date else None,
        run_id=run_id,
    )
