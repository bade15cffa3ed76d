"""The one HTTP client every external call goes through.

``HttpClient.get`` bounds each call four ways and reports it in one vocabulary:

* **time** — httpx connect/read/write/pool timeouts, plus an overall per-attempt deadline checked
  while the body streams (httpx's read timeout restarts on every chunk, so a server trickling bytes
  would otherwise hold the call open indefinitely), plus a retry budget across attempts and waits;
* **retries** — only transient failures (connect errors, timeouts, a hang past the deadline, 408,
  429, 5xx), at most ``http_max_attempts``, with full-jitter exponential backoff or the server's
  ``Retry-After`` when that fits the budget;
* **a circuit breaker per host** — after ``breaker_failure_threshold`` consecutive transient
  failures the host fails fast with ``CircuitOpen`` until ``breaker_cooldown_s`` has passed, then
  one trial call decides between closing and re-opening;
* **a throttle per host** — a minimum gap between calls (NBA.com throttles bursts and answers
  blocked clients by hanging);
* **size** — a body larger than ``http_max_response_bytes`` is cut off while it streams
  (``PayloadError``), so a runaway or hostile answer cannot fill memory.

A 2xx JSON answer that ends mid-document (a truncated body: the connection or a proxy gave up, or
Content-Length disagrees with what arrived) is transient and retried like a dropped connection;
a body that is complete but malformed is not. A request that cannot even be written (a header
value with a control or non-ASCII character, which httpx reports as an illegal header) is our
own fault: permanent, never retried, and not counted against the host's breaker.

httpx exceptions never escape: each is translated into the ``nbaprops.errors`` tree, raised
outside the ``except`` block so no traceback chains back to a message that holds the raw URL.
URLs, exception messages and events carry only redacted text.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import math
import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import httpx
import structlog

from nbaprops.errors import (
    AuthError,
    CircuitOpen,
    ConfigError,
    NbaPropsError,
    PayloadError,
    RateLimited,
    SourceError,
    SourceUnavailable,
)
from nbaprops.logs import quiet_http_loggers
from nbaprops.raw.registry import api_error_message
from nbaprops.secrets import redact, redact_headers
from nbaprops.settings import Settings

_log = structlog.get_logger(__name__)

NBACOM_HOSTS = frozenset({"stats.nba.com", "cdn.nba.com", "ak-static.cms.nba.com"})
RETRYABLE_STATUSES = frozenset({408, 429})
_HEADER_VALUE = re.compile(r"^[\t\x20-\x7e]*$")  # what HTTP/1.1 lets us send: visible ASCII, SP, HTAB

Expected = Literal["json", "bytes"]
_Outcome = tuple[int, dict[str, str], bytes, Any]  # status, redacted headers, body, its JSON (or _UNPARSED)
_UNPARSED: Any = object()  # a body not parsed (not announced as JSON) or not JSON
_CUT: Any = object()  # a body announced as JSON that stops mid-document


class Clock(Protocol):
    """Time as the client sees it; tests pass a fake one so nothing really sleeps."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic`` and ``time.sleep``."""

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """``time.sleep(seconds)``."""
        time.sleep(seconds)


class RandomSource(Protocol):
    """The jitter source (``random.Random`` fits); injectable so tests can pin the waits."""

    def uniform(self, a: float, b: float) -> float:
        """A number between ``a`` and ``b``."""
        ...


class UnparseableBodyError(PayloadError):
    """A 2xx answer whose body is not the JSON the caller expected; ``content`` keeps the bytes."""

    def __init__(self, message: str, *, content: bytes, url_redacted: str) -> None:
        super().__init__(message)
        self.content = content
        self.url_redacted = url_redacted


@dataclass(frozen=True)
class Response:
    """A completed call: the final attempt's status, headers (credentials masked) and body."""

    status: int
    headers: dict[str, str]
    content: bytes
    url_redacted: str
    elapsed: float
    attempts: int
    _parsed: Any = field(default=None, repr=False, compare=False)

    def json(self) -> Any:
        """The body parsed as JSON (parsed once when the call was made with ``expected="json"``)."""
        return self._parsed if self._parsed is not None else _parse_json(self.content, self.url_redacted)


@dataclass
class _Breaker:
    """Consecutive-failure circuit breaker for one host; the client calls it under its lock."""

    host: str
    threshold: int
    cooldown_s: float
    state: str = "closed"
    failures: int = 0
    opened_at: float = 0.0
    trial_in_flight: bool = False

    def current(self, now: float) -> str:
        """The state at ``now``: an open breaker half-opens once its cooldown has passed."""
        if self.state == "open" and now - self.opened_at >= self.cooldown_s:
            self._move("half_open")
        return self.state

    def admit(self, now: float) -> bool:
        """Whether an attempt may go out now; in half-open only one trial at a time."""
        state = self.current(now)
        if state == "half_open" and not self.trial_in_flight:
            self.trial_in_flight = True
            return True
        return state == "closed"

    def record(self, now: float, *, failed: bool | None) -> str:
        """Count an attempt: ``failed`` True for a transient failure, False for any HTTP answer,
        None for an outcome that says nothing about the host (it only frees the trial slot)."""
        self.trial_in_flight = False
        if failed:
            # The count only resets on an answer, so a failed half-open trial re-opens at once.
            self.failures += 1
            if self.failures >= self.threshold:
                self.opened_at = now
                self._move("open")
        elif failed is not None:
            self.failures = 0
            self._move("closed")
        return self.state

    def _move(self, state: str) -> None:
        if self.state != state:
            self.state = state
            _log.warning("http.breaker", host=self.host, state=state)


@dataclass(frozen=True)
class _Failure:
    """One failed attempt, already translated and redacted."""

    error: NbaPropsError
    reason: str
    transient: bool
    status: int | None = None
    retry_after: float | None = None


class HttpClient:
    """Bounded, retrying, breaker-guarded, throttled, redacting GET client over ``httpx.Client``."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        rng: RandomSource | None = None,
    ) -> None:
        self._settings = settings
        self._clock: Clock = clock or SystemClock()
        self._rng: RandomSource = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._secrets = settings.secret_values()
        timeout = self._timeout(settings.http_deadline_s)
        self._client = httpx.Client(timeout=timeout, transport=transport, follow_redirects=True)
        self._lock = threading.Lock()
        self._breakers: dict[str, _Breaker] = {}
        self._next_slot: dict[str, float] = {}
        bases = (
            settings.nbacom_stats_base_url,
            settings.nbacom_cdn_base_url,
            settings.nbacom_injury_base_url,
        )
        self._nbacom_hosts = NBACOM_HOSTS | {httpx.URL(base).host for base in bases}
        self._bdl_host = httpx.URL(settings.bdl_base_url).host
        quiet_http_loggers(self._secrets)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        rng: RandomSource | None = None,
    ) -> HttpClient:
        """The client for these settings; ``clock``, ``transport`` and ``rng`` are for tests."""
        return cls(settings, clock=clock, transport=transport, rng=rng)

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()

    def redact(self, text: str) -> str:
        """``text`` with this client's secrets and sensitive query parameters masked."""
        return redact(text, self._secrets)

    def breaker_states(self) -> dict[str, str]:
        """Each host's breaker state (``closed``, ``open`` or ``half_open``), for monitoring."""
        with self._lock:
            now = self._clock.monotonic()
            return {host: breaker.current(now) for host, breaker in self._breakers.items()}

    # --- the call -----------------------------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        source: str,
        expected: Expected = "bytes",
    ) -> Response:
        """GET ``url`` within the configured bounds and return the final answer.

        Raises ``SourceUnavailable`` (or ``RateLimited``) when transient failures outlast the
        attempts or the retry budget, ``AuthError`` on 401/403, ``SourceError`` on other 4xx,
        ``CircuitOpen`` when the host's breaker is open, and ``UnparseableBodyError`` when
        ``expected="json"`` and a 2xx body is not JSON.
        """
        request_url = _parse_url(url, params)
        if request_url is None:
            raise SourceError(f"{source}: invalid URL {self.redact(url)}")
        host = request_url.host
        url_redacted = self.redact(str(request_url))
        request_headers = dict(headers or {})
        _check_headers(request_headers, source)
        if expected == "json":
            request_headers.setdefault("Accept", "application/json")
        settings = self._settings
        started = self._clock.monotonic()
        budget_end = started + settings.http_retry_budget_s
        attempt = 0
        while True:
            attempt += 1
            self._enter_breaker(host, source, url_redacted)
            self._throttle(host)
            attempt_started = self._clock.monotonic()
            deadline_s = min(settings.http_deadline_s, max(budget_end - attempt_started, 0.0))
            outcome: _Outcome | _Failure | None = None
            try:
                outcome = self._attempt(request_url, request_headers, deadline_s, source, url_redacted)
            finally:
                # Runs on an unexpected exception too, so a half-open trial slot is never left taken.
                breaker_state = self._exit_breaker(host, outcome)
            elapsed_ms = round((self._clock.monotonic() - attempt_started) * 1000, 1)
            status = outcome.status if isinstance(outcome, _Failure) else outcome[0]
            fields = {
                "source": source,
                "host": host,
                "url_redacted": url_redacted,
                "status": status,
                "attempt": attempt,
                "elapsed_ms": elapsed_ms,
            }
            if not isinstance(outcome, _Failure):
                _log.info("http.request", **fields)
                # With expected="json" a broken body fails the call; the parse is kept for .json().
                status, answer_headers, content, document = outcome
                parsed = None if document is _UNPARSED else document
                if expected == "json" and document is _UNPARSED:
                    parsed = _parse_json(content, url_redacted)
                elapsed = self._clock.monotonic() - started
                return Response(status, answer_headers, content, url_redacted, elapsed, attempt, parsed)
            # A permanent failure is raised to the caller, who decides whether it matters (a 403 is how
            # an injury-report probe learns "no report at that minute"); a retried one is a warning.
            (_log.warning if outcome.transient else _log.info)("http.request", **fields, error=outcome.reason)
            if not outcome.transient or breaker_state == "open":
                # An attempt that just opened the breaker ends the call: the next would fail fast.
                raise outcome.error
            wait = self._next_wait(outcome, attempt, budget_end, source, url_redacted)
            _log.info(
                "http.retry",
                source=source,
                host=host,
                attempt=attempt,
                reason=outcome.reason,
                wait_s=round(wait, 3),
            )
            self._clock.sleep(wait)

    def _next_wait(
        self, failure: _Failure, attempt: int, budget_end: float, source: str, url_redacted: str
    ) -> float:
        """The wait before the next attempt; raises when the attempts or the retry budget are spent."""
        settings = self._settings
        if attempt >= settings.http_max_attempts:
            raise failure.error
        remaining = budget_end - self._clock.monotonic()
        if failure.retry_after is not None:
            wait = failure.retry_after
            why = f"the server asked to retry after {wait:.1f}s"
        else:
            ceiling = min(settings.http_backoff_cap_s, settings.http_backoff_base_s * 2 ** (attempt - 1))
            wait = self._rng.uniform(0.0, ceiling)
            why = f"the next backoff is {wait:.1f}s"
        if wait < remaining:
            return wait
        message = (
            f"{source}: GET {url_redacted}: retry budget of {settings.http_retry_budget_s:g}s exhausted "
            f"after {attempt} attempt(s) ({why}, {max(remaining, 0.0):.1f}s left); last: {failure.reason}"
        )
        if failure.status == 429:
            raise RateLimited(message, retry_after=failure.retry_after)
        raise SourceUnavailable(message, status_code=failure.status)

    def _attempt(
        self,
        url: httpx.URL,
        headers: dict[str, str],
        deadline_s: float,
        source: str,
        url_redacted: str,
    ) -> _Outcome | _Failure:
        """One request, streamed under the deadline; never raises for network or HTTP failures."""
        where = f"{source}: GET {url_redacted}"
        hung = _Failure(
            SourceUnavailable(f"{where} blocked/hung: no complete answer within {deadline_s:g}s"),
            reason="deadline",
            transient=True,
        )
        if deadline_s <= 0:
            return hung
        timeout = self._timeout(deadline_s)
        started = self._clock.monotonic()
        failure: _Failure | None = None
        cap = self._settings.http_max_response_bytes
        too_big = _Failure(
            PayloadError(f"{where}: answer larger than http_max_response_bytes ({cap} bytes); not read"),
            reason="too large",
            transient=False,
        )
        try:
            with self._client.stream("GET", url, headers=headers, timeout=timeout) as response:
                if _declared_length(response.headers) > cap:
                    return too_big
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > cap:
                        return too_big
                    if self._clock.monotonic() - started > deadline_s:
                        return hung
                if self._clock.monotonic() - started > deadline_s:
                    return hung
                status, raw_headers = response.status_code, response.headers
        except httpx.HTTPError as exc:
            failure = self._translate(exc, where)
        if failure is not None:
            return failure
        content = b"".join(chunks)
        document = _UNPARSED
        if 200 <= status < 300 and "json" in raw_headers.get("content-type", "").lower():
            document = _json_or_cut(content)  # parsed once here, handed to the caller
            if document is _CUT:
                message = f"{where}: truncated body ({len(content)} bytes end mid-document)"
                return _Failure(SourceUnavailable(message, status_code=status), "truncated", transient=True)
        classified = self._classify(status, raw_headers, content, where)
        return classified if isinstance(classified, _Failure) else (*classified, document)

    def _timeout(self, deadline_s: float) -> httpx.Timeout:
        """The settings' timeouts, none longer than the deadline (the chunk loop catches a trickle)."""
        settings = self._settings
        return httpx.Timeout(
            connect=min(settings.http_connect_timeout_s, deadline_s),
            read=min(settings.http_read_timeout_s, deadline_s),
            write=min(settings.http_write_timeout_s, deadline_s),
            pool=min(settings.http_pool_timeout_s, deadline_s),
        )

    def _translate(self, exc: httpx.HTTPError, where: str) -> _Failure:
        """An httpx exception as a failure of the error tree, its message redacted."""
        detail = f"{type(exc).__name__} ({self.redact(str(exc))})"
        if isinstance(exc, httpx.TimeoutException):
            # NBA.com answers a blocked client by never answering: a timeout is how a block looks.
            return _Failure(SourceUnavailable(f"{where} blocked/hung: {detail}"), "timeout", transient=True)
        if isinstance(exc, httpx.LocalProtocolError):
            # The request itself cannot be written (an illegal header value): retrying sends it again.
            return _Failure(SourceError(f"{where}: request refused by the client: {detail}"), "local", False)
        if isinstance(exc, httpx.DecodingError):
            return _Failure(PayloadError(f"{where}: undecodable body: {detail}"), "decoding", transient=False)
        if isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.UnsupportedProtocol):
            # Refused or dropped connections and truncated bodies may heal; a bad scheme will not.
            reason = "connect error" if isinstance(exc, httpx.ConnectError) else "transport error"
            return _Failure(SourceUnavailable(f"{where}: {reason}: {detail}"), reason, transient=True)
        return _Failure(SourceError(f"{where}: {detail}"), type(exc).__name__, transient=False)

    def _classify(
        self, status: int, raw_headers: httpx.Headers, content: bytes, where: str
    ) -> tuple[int, dict[str, str], bytes] | _Failure:
        """Sort a complete answer into success, transient failure or permanent failure."""
        headers = redact_headers(raw_headers.items())
        if status < 400:
            return status, headers, content
        if status in RETRYABLE_STATUSES or status >= 500:
            retry_after = _retry_after_seconds(raw_headers)
            if status == 429:
                error: NbaPropsError = RateLimited(f"{where}: HTTP 429 rate limited", retry_after=retry_after)
            else:
                error = SourceUnavailable(f"{where}: HTTP {status}", status_code=status)
            return _Failure(
                error, reason=f"HTTP {status}", transient=True, status=status, retry_after=retry_after
            )
        said = self._api_says(content)
        if status in (401, 403):
            error = AuthError(
                f"{where}: HTTP {status}: credentials missing or rejected{said}", status_code=status
            )
        else:
            error = SourceError(f"{where}: HTTP {status}{said}", status_code=status)
        return _Failure(error, reason=f"HTTP {status}", transient=False, status=status)

    def _api_says(self, content: bytes) -> str:
        """``: the API says '…'`` from a JSON error body (redacted), or nothing."""
        try:
            message = api_error_message(json.loads(content[:4096]))
        except (ValueError, RecursionError):
            return ""
        return f": the API says {self.redact(message)!r}" if message else ""

    # --- breaker and throttle -----------------------------------------------------------------

    def _breaker(self, host: str) -> _Breaker:
        breaker = self._breakers.get(host)
        if breaker is None:
            settings = self._settings
            breaker = _Breaker(host, settings.breaker_failure_threshold, settings.breaker_cooldown_s)
            self._breakers[host] = breaker
        return breaker

    def _enter_breaker(self, host: str, source: str, url_redacted: str) -> None:
        """Let the attempt through, or raise ``CircuitOpen`` without touching the network."""
        with self._lock:
            breaker = self._breaker(host)
            now = self._clock.monotonic()
            if breaker.admit(now):
                return
            state, wait = breaker.state, max(breaker.cooldown_s - (now - breaker.opened_at), 0.0)
        raise CircuitOpen(
            f"{source}: GET {url_redacted}: circuit for {host} is {state}; next trial in {wait:.1f}s"
        )

    def _exit_breaker(self, host: str, outcome: _Outcome | _Failure | None) -> str:
        """Record the attempt with the host's breaker and return its new state."""
        if isinstance(outcome, _Failure):
            # A failure before any HTTP answer that is not transient (bad scheme, bad gzip) says
            # nothing about the host's health.
            failed = True if outcome.transient else (False if outcome.status is not None else None)
        else:
            failed = None if outcome is None else False
        with self._lock:
            return self._breaker(host).record(self._clock.monotonic(), failed=failed)

    def _throttle(self, host: str) -> None:
        """Wait for this host's next free slot; slots are reserved under the lock so threads queue."""
        if host in self._nbacom_hosts:
            spacing = self._settings.nbacom_min_spacing_s
        elif host == self._bdl_host:
            spacing = self._settings.bdl_min_spacing_s
        else:
            spacing = self._settings.default_min_spacing_s
        if spacing <= 0:
            return
        with self._lock:
            now = self._clock.monotonic()
            slot = max(now, self._next_slot.get(host, now))
            self._next_slot[host] = slot + spacing
        if slot > now:
            self._clock.sleep(slot - now)


def _parse_json(content: bytes, url_redacted: str) -> Any:
    """The body as JSON; ``UnparseableBodyError`` (raised outside the except) when it is not."""
    try:
        return json.loads(content)
    except ValueError:
        pass
    message = f"body of {url_redacted} is not JSON ({len(content)} bytes)"
    raise UnparseableBodyError(message, content=content, url_redacted=url_redacted)


def _check_headers(headers: dict[str, str], source: str) -> None:
    """Refuse header values HTTP cannot carry (control or non-ASCII characters), naming the header only.

    httpx would raise ``LocalProtocolError("Illegal header value b'…'")`` (quoting the value, a key
    for ``Authorization``) or ``UnicodeEncodeError``; both are our configuration, not the host.
    """
    for name, value in headers.items():
        if not _HEADER_VALUE.match(value):
            raise ConfigError(
                f"{source}: request header {name!r} holds a control or non-ASCII character; "
                "check the setting it comes from (a CR from a CRLF file?)"
            )


def _declared_length(headers: httpx.Headers) -> int:
    """The Content-Length the server announced (0 when absent or unreadable)."""
    try:
        return int(headers.get("content-length", "0"))
    except ValueError:
        return 0


def _json_or_cut(content: bytes) -> Any:
    """A 2xx body announced as JSON: its document, ``_CUT`` when it stops mid-document, or
    ``_UNPARSED`` when it is complete but not JSON (the caller decides what that means)."""
    try:
        return json.loads(content)
    except ValueError:
        return _CUT if _looks_truncated(content) else _UNPARSED


def _looks_truncated(content: bytes) -> bool:
    """Whether a body that is not JSON stops mid-document (versus being complete but malformed).

    A cut JSON text fails to parse at its very end, or inside a string still open at the end;
    a malformed one (an HTML error page, a stray character) fails earlier.
    """
    text = content.rstrip()
    if not text:
        return False
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return exc.pos >= len(exc.doc) or exc.msg.startswith("Unterminated string")
    except ValueError:
        return False
    return False


def _parse_url(url: str, params: dict[str, Any] | None) -> httpx.URL | None:
    """The request URL, or None when it cannot be parsed (the caller raises outside any except)."""
    try:
        # Merge, as httpx.Client does: httpx.URL(url, params=...) would drop the URL's own query.
        return httpx.URL(url).copy_merge_params(params) if params else httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return None


def _retry_after_seconds(headers: httpx.Headers) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date, read against the server's Date)."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if seconds is not None:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = datetime.now(UTC)
    server_date = headers.get("date")
    if server_date:
        with contextlib.suppress(TypeError, ValueError):
            now = email.utils.parsedate_to_datetime(server_date)
    if when.tzinfo is None or now.tzinfo is None:
        return None
    return max((when - now).total_seconds(), 0.0)
