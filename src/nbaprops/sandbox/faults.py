"""Deliberate failures for the sandbox server, so retries, breakers and drift checks get exercised.

A ``FaultPlan`` decides, per request, whether to misbehave and how: by chance (rates read from
``--faults`` text such as ``"rate_limit=0.05,server_error=0.05,hang=0.01"``, drawn from a seeded
generator, so the same seed and request order give the same faults) or on demand (faults queued
for a path prefix, served first-in first-out). ``damage`` applies the body-level kinds.
"""

from __future__ import annotations

import json
import random
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

from nbaprops.errors import ConfigError

FAULT_KINDS = ("rate_limit", "server_error", "hang", "truncate", "malformed", "empty", "rename", "not_found")
# not_found: the endpoint does not serve this resource (404), as real servers do for old games.
# Lists a parser depends on; emptied by the "empty" fault (BDL/Odds data, NBA.com rowSet, …).
_LIST_KEYS = frozenset({"data", "rowSet", "gameDates", "games", "events", "actions", "bookmakers", "players"})
# Fields a parser reads, renamed the way an upstream schema change might rename them.
_RENAMES = {
    "pts": "points",
    "PTS": "POINTS",
    "min": "minutes",
    "point": "line",
    "commence_time": "start_time",
    "gameDate": "game_date",
    "status": "state",
    "home_team": "home",
    "id": "identifier",
}


class FaultPlan:
    """Which requests fail, and how. Thread-safe; deterministic for a seed and a request order."""

    def __init__(
        self,
        rates: Mapping[str, float] | None = None,
        *,
        seed: int = 0,
        retry_after_s: int = 1,
        hang_s: float = 120.0,
        burst: int = 3,
    ) -> None:
        self.rates = dict(rates or {})
        unknown = sorted(set(self.rates) - set(FAULT_KINDS))
        if unknown:
            known = ", ".join(FAULT_KINDS)
            raise ConfigError(f"unknown fault kind(s): {', '.join(unknown)} (known: {known})")
        if any(not 0 <= r <= 1 for r in self.rates.values()) or sum(self.rates.values()) > 1:
            raise ConfigError("fault rates must lie in [0, 1] and sum to at most 1")
        self.retry_after_s = retry_after_s
        self.hang_s = hang_s
        self.burst = burst
        self._rng = random.Random(seed)  # noqa: S311  # fault injection, not cryptography
        self._queue: deque[tuple[str, str]] = deque()
        self._bursts: dict[str, int] = {}
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, text: str | None, *, seed: int = 0, **options: Any) -> FaultPlan:
        """Build a plan from ``"kind=rate,kind=rate"`` text; an empty text injects nothing."""
        rates: dict[str, float] = {}
        for part in (text or "").split(","):
            if not part.strip():
                continue
            name, sep, value = part.partition("=")
            problem = f"bad fault spec {part.strip()!r} (expected kind=rate, e.g. hang=0.01)"
            if not sep:
                raise ConfigError(problem)
            try:
                rates[name.strip()] = float(value)
            except ValueError:
                raise ConfigError(problem) from None
        return cls(rates, seed=seed, **options)

    def queue(self, prefix: str, kind: str, count: int = 1) -> None:
        """Make the next ``count`` requests whose path starts with ``prefix`` fail with ``kind``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        if not prefix.startswith("/") or count < 1:
            raise ValueError("prefix must start with '/' and count must be positive")
        with self._lock:
            self._queue.extend((prefix, kind) for _ in range(count))

    def clear(self) -> None:
        """Forget every queued fault and pending burst."""
        with self._lock:
            self._queue.clear()
            self._bursts.clear()

    def queued(self) -> list[dict[str, str]]:
        """The queued faults, oldest first."""
        with self._lock:
            return [{"prefix": p, "kind": k} for p, k in self._queue]

    def next_fault(self, path: str) -> str | None:
        """The fault for this request, if any: queued ones first, then bursts, then chance."""
        with self._lock:
            for item in self._queue:
                if path.startswith(item[0]):
                    self._queue.remove(item)
                    return item[1]
            source = path.split("/")[1] if "/" in path else path  # "v1", "v4", "stats": one host each
            if self._bursts.get(source, 0) > 0:
                self._bursts[source] -= 1
                return "server_error"
            if not self.rates:
                return None
            draw = self._rng.random()
            for kind, rate in self.rates.items():
                if draw < rate:
                    if kind == "server_error":  # 5xx come in bursts, as outages do
                        self._bursts[source] = self.burst - 1
                    return kind
                draw -= rate
            return None


def _emptied(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: [] if k in _LIST_KEYS and isinstance(v, list) else _emptied(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_emptied(v) for v in node]
    return node


def _keys(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        found.update(node)
        for value in node.values():
            _keys(value, found)
    elif isinstance(node, list):
        for value in node:
            if isinstance(value, str):  # NBA.com names its columns in "headers" lists
                found.add(value)
            else:
                _keys(value, found)
    return found


def _renamed(node: Any, old: str, new: str) -> Any:
    if isinstance(node, dict):
        return {(new if k == old else k): _renamed(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [new if v == old else _renamed(v, old, new) for v in node]  # NBA.com "headers" too
    return node


def damage(kind: str, body: bytes, media_type: str) -> bytes:
    """The body as the fault leaves it; kinds that do not touch bodies return it unchanged."""
    is_json = media_type == "application/json"
    if kind == "truncate":
        return body[: max(1, len(body) // 2)]
    if kind == "malformed":
        if is_json:
            return body.replace(b":", b"=", 1) + b"<!-- upstream error -->"
        return b"<html><body>An error occurred while processing your request.</body></html>"
    if kind not in {"empty", "rename"}:
        return body
    if not is_json:
        return b"" if kind == "empty" else body
    doc = json.loads(body)
    if kind == "empty":
        doc = [] if isinstance(doc, list) else _emptied(doc)
    else:
        present = _keys(doc, set())
        old = next((k for k in _RENAMES if k in present), None)
        doc = _renamed(doc, old, _RENAMES[old]) if old else doc
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
