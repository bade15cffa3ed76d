"""Deadlines and retries for blocking calls that have no timeout of their own.

fsspec file systems (a local folder on a hung network mount, a ``gs://`` bucket whose connection
stalls) take no timeout argument that works across implementations, so ``with_deadline`` runs the
call on a daemon thread and stops waiting when the deadline passes: the caller gets a
``TransientError`` it can retry or report, instead of hanging with it. The stuck thread is left
to finish or die with the process; it holds no lock of ours.

``retry_transient`` retries only ``TransientError`` (never a refusal), with capped, fully
jittered exponential backoff, and re-raises the last failure when the attempts are spent.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import structlog

from nbaprops.errors import TransientError

log = structlog.get_logger(__name__)

T = TypeVar("T")


def with_deadline(call: Callable[[], T], deadline_s: float, on_timeout: Callable[[], TransientError]) -> T:
    """``call()``'s result, or ``on_timeout()`` raised once ``deadline_s`` seconds have passed.

    Whatever ``call`` raises is re-raised here, in the caller's thread.
    """
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread, raised there
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="nbaprops-bounded-call", daemon=True).start()
    if not done.wait(deadline_s):
        raise on_timeout()
    if "error" in outcome:
        raise outcome["error"]
    result: T = outcome["value"]
    return result


def retry_transient(
    call: Callable[[], T],
    *,
    attempts: int,
    what: str,
    backoff_base_s: float = 0.2,
    backoff_cap_s: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """``call()``, tried up to ``attempts`` times while it raises ``TransientError``."""
    if attempts < 1:
        raise ValueError(f"attempts must be >= 1, got {attempts}")
    jitter = rng or random.Random()  # noqa: S311 - jitter, not cryptography
    attempt = 1
    while True:
        try:
            return call()
        except TransientError as exc:
            if attempt >= attempts:
                raise
            wait = jitter.uniform(0.0, min(backoff_cap_s, backoff_base_s * 2 ** (attempt - 1)))
            log.warning("retry", what=what, attempt=attempt, error=str(exc), wait_s=round(wait, 3))
        sleep(wait)
        attempt += 1
