"""The fault suite's world: the sandbox league on loopback, served with marker secrets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from nbaprops.pipeline.sandbox_session import SandboxSession
from nbaprops.sandbox.faults import FaultPlan


@dataclass(frozen=True)
class World:
    """A running sandbox whose API keys are marker strings, and the days the phases work on."""

    session: SandboxSession
    faults: FaultPlan  # the server's plan: tests queue faults on it directly
    markers: tuple[str, ...]  # the secret values: none may appear in any output
    day: date  # a finished game day the scrapes fetch
    now: datetime  # the moment of those scrapes (and the sandbox clock)
    build_start: date
    build_end: date
    env: dict[str, str]  # NBAPROPS_* variables pointing a child process at the sandbox

    def phase_config(self, phase: str) -> dict[str, Any]:
        """The dates a phase works on, for ``crash_phase.py``."""
        if phase == "scrape":  # the morning of the game day: schedule, injuries, rosters, live odds
            morning = self.now - timedelta(days=1)
            return {"start": self.day.isoformat(), "end": self.day.isoformat(), "now": morning.isoformat()}
        return {"start": self.build_start.isoformat(), "end": self.build_end.isoformat()}
