"""A consecutive-failure circuit breaker for anything that is not an HTTP host (prediction systems).

``http.py`` keeps its own per-host breaker private to the client; this is the same idea as a small
public class, so the prediction worker can put each system behind its own breaker::

    closed --(threshold consecutive failures)--> open --(cooldown)--> half_open
    half_open --(one trial succeeds)--> closed        half_open --(trial fails)--> open

While open, ``admit()`` is false and the caller skips the guarded work (recording why). The clock is
injectable so tests move time instead of sleeping. Not thread-safe by itself: one worker owns it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

State = Literal["closed", "open", "half_open"]


@dataclass
class CircuitBreaker:
    """Opens after ``threshold`` consecutive failures; half-opens after ``cooldown_s``."""

    name: str
    threshold: int = 3
    cooldown_s: float = 60.0
    clock: Callable[[], float] = time.monotonic
    state: State = "closed"
    failures: int = 0
    opened_at: float = 0.0
    transitions: list[tuple[State, State]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError(f"breaker {self.name}: threshold must be >= 1, got {self.threshold}")
        if self.cooldown_s <= 0:
            raise ValueError(f"breaker {self.name}: cooldown_s must be positive, got {self.cooldown_s}")

    def current(self) -> State:
        """The state now: an open breaker half-opens once its cooldown has passed."""
        if self.state == "open" and self.clock() - self.opened_at >= self.cooldown_s:
            self._move("half_open")
        return self.state

    def admit(self) -> bool:
        """Whether the guarded work may run now (closed, or the half-open trial)."""
        return self.current() != "open"

    def record_success(self) -> None:
        """The guarded work succeeded: the failure count resets and the breaker closes."""
        self.failures = 0
        self._move("closed")

    def record_failure(self) -> State:
        """The guarded work failed; returns the state after counting it."""
        self.failures += 1
        # A failed half-open trial re-opens at once: the count only resets on a success.
        if self.failures >= self.threshold or self.state == "half_open":
            self.opened_at = self.clock()
            self._move("open")
        return self.state

    def _move(self, state: State) -> None:
        if state != self.state:
            self.transitions.append((self.state, state))
            self.state = state
