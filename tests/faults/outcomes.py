"""The fault suite's outcome table: each test records what a fault led to; printed at session end."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Outcome:
    """One fault case and what the pipeline did about it."""

    category: str  # endpoint fault, malformed payloads, kill -9, secret scan
    case: str
    outcome: str  # recovered / degraded / failed / quarantined / rerun identical / clean
    detail: str


RESULTS: list[Outcome] = []
SCANNED: list[Path] = []  # folders the suite wrote (logs, lakes, warehouses): the secret scan reads them
OUTPUTS: list[str] = []  # what child processes printed (errors included): scanned too


def record(category: str, case: str, outcome: str, detail: str) -> None:
    """Add one row to the table printed after the run."""
    RESULTS.append(Outcome(category, case, outcome, detail))


def table() -> list[str]:
    """The recorded outcomes as aligned text lines (header first)."""
    rows = [
        ("category", "case", "outcome", "detail"),
        *((o.category, o.case, o.outcome, o.detail) for o in RESULTS),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return [f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3][:100]}" for r in rows]
