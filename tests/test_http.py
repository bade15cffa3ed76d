"""The HTTP client: retries, budget, breaker, throttle, deadline, error translation, redaction.

Scripted answers come from ``httpx.MockTransport`` and time from a fake clock, so nothing sleeps;
two tests use a real loopback server for the hang and the slow trickle, which only a socket shows.
"""

from __future__ import annotations

import http.server
import logging
import random
import socket
import threading
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from nbaprops.errors import (
    AuthError,
    CircuitOpen,
    ConfigError,
    PayloadError,
    RateLimited,
    SourceError,
    SourceUnavailable,
    TransientError,
)
from nbaprops.http import HttpClient, UnparseableBodyError
from nbaprops.settings import Settings

KEY = "oddskey0123456789abcdef"
BDL_KEY = "bdl-secret-token-42"
ODDS_URL = "https://api.the-odds-api.com/v4/sports/basketball_nba/events"
STATS_URL = "https://stats.nba.com/stats/leaguegamelog"


class FakeClock:
    """A clock that only moves when told to, recording every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class MaxJitter:
    """A random source that always picks the ceiling, to make budget arithmetic exact."""

    def uniform(self, a: float, b: float) -> float:
        return b


Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Script:
    """A MockTransport handler answering from a list, recording each request it saw."""

    def __init__(self, *answers: Answer, repeat_last: bool = False) -> None:
        self.answers = list(answers)
        self.repeat_last = repeat_last
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        keep = self.repeat_last and len(self.answers) == 1
        answer = self.answers[0] if keep else self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer


def seeded(seed: int) -> random.Random:
    """A reproducible jitter source."""
    return random.Random(seed)  # noqa: S311 - jitter, not cryptography


def make_settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "odds_api_key": KEY,
        "bdl_api_key": BDL_KEY,
        "http_max_attempts": 4,
        "http_backoff_base_s": 0.5,
        "http_backoff_cap_s": 1.0,
        "http_retry_budget_s": 60.0,
        "breaker_failure_threshold": 10,
        "breaker_cooldown_s": 30.0,
        "nbacom_min_spacing_s": 0.6,
        "default_min_spacing_s": 0.0,
    }
    base.update(overrides)
    return Settings(**base)


def make_client(script: Script, clock: FakeClock, *, rng: Any = None, **overrides: Any) -> HttpClient:
    return HttpClient.from_settings(
        make_settings(**overrides),
        clock=clock,
        transport=httpx.MockTransport(script),
        rng=rng or seeded(7),
    )


def odds_get(client: HttpClient, **kwargs: Any) -> Any:
    return client.get(ODDS_URL, params={"apiKey": KEY, "regions": "us"}, source="oddsapi", **kwargs)


def assert_no_secret(*texts: object) -> None:
    for text in texts:
        assert KEY not in str(text)
        assert BDL_KEY not in str(text)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_success_returns_body_status_and_a_redacted_url(clock: FakeClock) -> None:
    script = Script(httpx.Response(200, json={"ok": True}, headers={"x-requests-remaining": "499"}))
    with make_client(script, clock) as client:
        response = odds_get(client, expected="json")
    assert response.status == 200
    assert response.json() == {"ok": True}
    assert response.attempts == 1
    assert response.headers["x-requests-remaining"] == "499"
    assert "apiKey=***" in response.url_redacted
    assert "regions=us" in response.url_redacted
    assert_no_secret(response.url_redacted, repr(response))
    assert script.requests[0].url.params["apiKey"] == KEY, "the real key must still be sent"
    assert script.requests[0].headers["accept"] == "application/json"
    assert clock.sleeps == []


def test_retries_503_then_succeeds_with_full_jitter_waits_under_the_cap(clock: FakeClock) -> None:
    script = Script(httpx.Response(503), httpx.Response(503), httpx.Response(503), httpx.Response(200))
    with capture_logs() as events, make_client(script, clock, rng=seeded(7)) as client:
        response = odds_get(client)
    assert response.status == 200
    assert response.attempts == 4
    assert len(script.requests) == 4
    twin = seeded(7)
    ceilings = [0.5, 1.0, 1.0]  # base * 2**n, capped at 1.0
    assert clock.sleeps == [twin.uniform(0.0, c) for c in ceilings]
    assert all(0.0 <= w <= c for w, c in zip(clock.sleeps, ceilings, strict=True))
    retries = [e for e in events if e["event"] == "http.retry"]
    assert [e["reason"] for e in retries] == ["HTTP 503"] * 3
    assert [e["wait_s"] for e in retries] == [round(w, 3) for w in clock.sleeps]
    requests = [e for e in events if e["event"] == "http.request"]
    assert [e["status"] for e in requests] == [503, 503, 503, 200]
    assert {e["host"] for e in requests} == {"api.the-odds-api.com"}


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(400, SourceError), (401, AuthError), (403, AuthError), (404, SourceError)],
)
def test_permanent_4xx_is_not_retried(clock: FakeClock, status: int, error_type: type[Exception]) -> None:
    script = Script(httpx.Response(status), httpx.Response(200))
    with make_client(script, clock) as client, pytest.raises(error_type) as caught:
        odds_get(client)
    assert type(caught.value) is error_type
    assert not isinstance(caught.value, TransientError)
    assert caught.value.status_code == status  # type: ignore[attr-defined]
    assert len(script.requests) == 1
    assert clock.sleeps == []


def test_429_retry_after_seconds_is_honoured(clock: FakeClock) -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200))
    with make_client(script, clock) as client:
        response = odds_get(client)
    assert response.status == 200
    assert clock.sleeps == [7.0]


def test_429_retry_after_http_date_is_read_against_the_server_date(clock: FakeClock) -> None:
    server_now = datetime(2025, 11, 3, 18, 0, tzinfo=UTC)
    headers = {
        "Date": format_datetime(server_now, usegmt=True),
        "Retry-After": format_datetime(server_now + timedelta(seconds=5), usegmt=True),
    }
    script = Script(httpx.Response(429, headers=headers), httpx.Response(200))
    with make_client(script, clock) as client:
        odds_get(client)
    assert clock.sleeps == [5.0]


def test_429_retry_after_beyond_the_budget_gives_up_with_rate_limited(clock: FakeClock) -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "120"}), httpx.Response(200))
    with make_client(script, clock, http_retry_budget_s=60.0) as client, pytest.raises(RateLimited) as caught:
        odds_get(client)
    assert caught.value.retry_after == 120.0
    assert len(script.requests) == 1
    assert clock.sleeps == []


def test_retry_budget_exhausted_raises_source_unavailable(clock: FakeClock) -> None:
    script = Script(httpx.Response(503), repeat_last=True)
    client = make_client(script, clock, rng=MaxJitter(), http_retry_budget_s=1.2, http_max_attempts=10)
    with client, pytest.raises(SourceUnavailable) as caught:
        odds_get(client)
    # waits 0.5 then 1.0: the second would end past the 1.2 s budget, so it is never slept.
    assert clock.sleeps == [0.5]
    assert len(script.requests) == 2
    assert "budget" in str(caught.value)
    assert caught.value.status_code == 503


def test_attempts_are_capped(clock: FakeClock) -> None:
    script = Script(httpx.Response(502), repeat_last=True)
    client = make_client(script, clock, http_max_attempts=3)
    with client, pytest.raises(SourceUnavailable) as caught:
        odds_get(client)
    assert len(script.requests) == 3
    assert len(clock.sleeps) == 2
    assert caught.value.status_code == 502


def test_408_is_retried(clock: FakeClock) -> None:
    script = Script(httpx.Response(408), httpx.Response(200))
    with make_client(script, clock) as client:
        assert odds_get(client).attempts == 2


def test_breaker_opens_fails_fast_half_opens_and_closes(clock: FakeClock) -> None:
    script = Script(httpx.Response(500), httpx.Response(500), httpx.Response(500), httpx.Response(200))
    client = make_client(
        script, clock, breaker_failure_threshold=3, http_max_attempts=1, breaker_cooldown_s=30.0
    )
    with capture_logs() as events, client:
        for _ in range(3):
            with pytest.raises(SourceUnavailable):
                odds_get(client)
        assert client.breaker_states() == {"api.the-odds-api.com": "open"}
        with pytest.raises(CircuitOpen) as caught:
            odds_get(client)
        assert len(script.requests) == 3, "an open breaker must not send a request"
        assert_no_secret(caught.value)
        clock.now += 29.0
        assert client.breaker_states()["api.the-odds-api.com"] == "open"
        clock.now += 1.0
        assert client.breaker_states()["api.the-odds-api.com"] == "half_open"
        assert odds_get(client).status == 200
        assert client.breaker_states()["api.the-odds-api.com"] == "closed"
    transitions = [(e["host"], e["state"]) for e in events if e["event"] == "http.breaker"]
    assert transitions == [("api.the-odds-api.com", s) for s in ("open", "half_open", "closed")]


def test_failed_half_open_trial_reopens_the_breaker(clock: FakeClock) -> None:
    script = Script(httpx.Response(500), httpx.Response(500), httpx.Response(500), httpx.Response(200))
    client = make_client(
        script, clock, breaker_failure_threshold=2, http_max_attempts=1, breaker_cooldown_s=10.0
    )
    with client:
        for _ in range(2):
            with pytest.raises(SourceUnavailable):
                odds_get(client)
        clock.now += 10.0
        with pytest.raises(SourceUnavailable):
            odds_get(client)  # the one trial call, which fails
        assert client.breaker_states()["api.the-odds-api.com"] == "open"
        with pytest.raises(CircuitOpen):
            odds_get(client)
        assert len(script.requests) == 3


def test_half_open_lets_only_one_trial_through(clock: FakeClock) -> None:
    nested: list[BaseException] = []

    def trial(request: httpx.Request) -> httpx.Response:
        # While the trial is in flight, a second call to the host must fail fast.
        try:
            odds_get(client)
        except CircuitOpen as exc:
            nested.append(exc)
        return httpx.Response(200)

    script = Script(httpx.Response(500), trial)
    client = make_client(script, clock, breaker_failure_threshold=1, http_max_attempts=1)
    with client:
        with pytest.raises(SourceUnavailable):
            odds_get(client)
        clock.now += 30.0
        assert odds_get(client).status == 200
    assert len(nested) == 1
    assert "half_open" in str(nested[0])
    assert len(script.requests) == 2


def test_breaker_is_per_host(clock: FakeClock) -> None:
    script = Script(httpx.Response(500), httpx.Response(200))
    client = make_client(script, clock, breaker_failure_threshold=1, http_max_attempts=1)
    with client:
        with pytest.raises(SourceUnavailable):
            odds_get(client)
        response = client.get("https://api.balldontlie.io/v1/games", source="bdl")
    assert response.status == 200
    assert client.breaker_states() == {"api.the-odds-api.com": "open", "api.balldontlie.io": "closed"}


def test_a_call_that_opens_the_breaker_stops_retrying(clock: FakeClock) -> None:
    script = Script(httpx.Response(503), repeat_last=True)
    client = make_client(script, clock, breaker_failure_threshold=2, http_max_attempts=4)
    with client, pytest.raises(SourceUnavailable) as caught:
        odds_get(client)
    assert caught.value.status_code == 503, "the caller learns what happened, not just 'circuit open'"
    assert len(script.requests) == 2
    assert len(clock.sleeps) == 1, "no backoff is slept once the breaker is open"
    assert client.breaker_states() == {"api.the-odds-api.com": "open"}


def test_params_are_merged_with_the_urls_own_query(clock: FakeClock) -> None:
    script = Script(httpx.Response(200))
    with make_client(script, clock) as client:
        response = client.get(f"{ODDS_URL}?regions=us", params={"apiKey": KEY}, source="oddsapi")
    assert dict(script.requests[0].url.params) == {"regions": "us", "apiKey": KEY}
    assert response.url_redacted.endswith("?regions=us&apiKey=***")


def test_unsupported_scheme_is_a_permanent_source_error(clock: FakeClock) -> None:
    client = HttpClient.from_settings(make_settings(), clock=clock)  # the real transport checks schemes
    with client, pytest.raises(SourceError) as caught:
        client.get(f"ftp://files.example/x?apiKey={KEY}", source="odd")
    assert not isinstance(caught.value, TransientError)
    assert_no_secret(caught.value)


def test_throttle_spaces_calls_to_one_nbacom_host_but_not_across_hosts(clock: FakeClock) -> None:
    script = Script(httpx.Response(200), repeat_last=True)
    with make_client(script, clock, nbacom_min_spacing_s=0.6) as client:
        client.get(STATS_URL, source="nbacom")
        assert clock.sleeps == []
        client.get(STATS_URL, source="nbacom")
        assert clock.sleeps == [pytest.approx(0.6)]
        client.get("https://cdn.nba.com/static/json/staticData/scheduleLeagueV2.json", source="nbacom")
        odds_get(client)
        assert clock.sleeps == [pytest.approx(0.6)], "other hosts keep their own (here: no) spacing"
        clock.now += 5.0
        client.get(STATS_URL, source="nbacom")
        assert len(clock.sleeps) == 1, "a gap already longer than the spacing needs no wait"


def test_throttle_treats_the_configured_nbacom_base_url_as_nbacom(clock: FakeClock) -> None:
    script = Script(httpx.Response(200), repeat_last=True)
    client = make_client(
        script, clock, nbacom_stats_base_url="http://127.0.0.1:8765", nbacom_min_spacing_s=0.25
    )
    with client:
        client.get("http://127.0.0.1:8765/stats/leaguegamelog", source="nbacom")
        client.get("http://127.0.0.1:8765/stats/leaguegamelog", source="nbacom")
    assert clock.sleeps == [pytest.approx(0.25)]


def test_connect_error_is_translated_and_retried(clock: FakeClock) -> None:
    request_url = f"{ODDS_URL}?apiKey={KEY}"
    script = Script(
        httpx.ConnectError(f"[Errno 111] Connection refused while fetching {request_url}"), repeat_last=True
    )
    client = make_client(script, clock, http_max_attempts=2)
    with client, pytest.raises(SourceUnavailable) as caught:
        odds_get(client)
    assert len(script.requests) == 2
    assert "connect error" in str(caught.value)
    assert "apiKey=***" in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None, "no chained httpx exception may carry the raw URL"


def test_real_connection_refused_is_source_unavailable(clock: FakeClock) -> None:
    with socket.socket() as probe:  # a port that was just free and now has no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = HttpClient.from_settings(make_settings(http_max_attempts=1), clock=clock)
    with client, pytest.raises(SourceUnavailable) as caught:
        client.get(f"http://127.0.0.1:{port}/v4/x", params={"apiKey": KEY}, source="oddsapi")
    assert "connect error" in str(caught.value)
    assert_no_secret(caught.value)


def test_read_timeout_is_translated_as_blocked_or_hung(clock: FakeClock) -> None:
    script = Script(httpx.ReadTimeout("timed out"), httpx.Response(200))
    with make_client(script, clock) as client:
        assert odds_get(client).attempts == 2
    script = Script(httpx.ReadTimeout("timed out"), repeat_last=True)
    client = make_client(script, clock, http_max_attempts=1)
    with client, pytest.raises(SourceUnavailable) as caught:
        odds_get(client)
    assert "blocked/hung" in str(caught.value)
    assert not isinstance(caught.value, httpx.HTTPError)


def test_dropped_connection_is_transient(clock: FakeClock) -> None:
    script = Script(httpx.RemoteProtocolError("peer closed connection"), httpx.Response(200))
    with make_client(script, clock) as client:
        assert odds_get(client).attempts == 2


def test_slow_trickle_past_the_deadline_is_cut_off(clock: FakeClock) -> None:
    def trickle(request: httpx.Request) -> httpx.Response:
        def body() -> Iterator[bytes]:
            for _ in range(100):
                clock.now += 1.0  # each chunk arrives a second after the last
                yield b"x"

        return httpx.Response(200, content=body())

    script = Script(trickle, repeat_last=True)
    client = make_client(script, clock, http_deadline_s=5.0, http_max_attempts=1)
    with client, pytest.raises(SourceUnavailable) as caught:
        odds_get(client)
    assert "blocked/hung" in str(caught.value)
    assert clock.now - 1000.0 < 10.0, "the body must be abandoned soon after the deadline"


def test_body_that_is_not_json_raises_payload_error_without_retry(clock: FakeClock) -> None:
    script = Script(httpx.Response(200, content=b'{"truncated": '), httpx.Response(200, json={}))
    with make_client(script, clock) as client, pytest.raises(UnparseableBodyError) as caught:
        odds_get(client, expected="json")
    assert caught.value.content == b'{"truncated": '
    assert len(script.requests) == 1


def test_keys_never_reach_errors_or_events_for_a_500(clock: FakeClock) -> None:
    script = Script(httpx.Response(500, text=f"internal error for key {KEY}"), repeat_last=True)
    headers = {"Authorization": BDL_KEY}
    client = make_client(script, clock, http_max_attempts=2)
    with capture_logs() as events, client, pytest.raises(SourceUnavailable) as caught:
        client.get(ODDS_URL, params={"apiKey": KEY}, headers=headers, source="oddsapi")
    error = caught.value
    rendered = "".join(traceback.format_exception(error))
    assert_no_secret(str(error), repr(error), error.args, rendered, events)
    assert "apiKey=***" in str(error)
    assert any(e["event"] == "http.request" for e in events)
    assert script.requests[0].headers["authorization"] == BDL_KEY


def test_keys_never_reach_errors_or_events_for_a_connect_error(clock: FakeClock) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot connect to {request.url} (token={KEY})", request=request)

    script = Script(refuse, repeat_last=True)
    client = make_client(script, clock, http_max_attempts=3)
    with capture_logs() as events, client, pytest.raises(SourceUnavailable) as caught:
        odds_get(client)
    error = caught.value
    assert_no_secret(str(error), repr(error), "".join(traceback.format_exception(error)), events)
    assert [e["event"] for e in events].count("http.retry") == 2


def test_httpx_info_logger_is_silenced(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    script = Script(httpx.Response(200))
    with make_client(script, clock) as client:
        odds_get(client)
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    assert not [r for r in caplog.records if r.name.startswith("httpx")]
    assert_no_secret(caplog.text)


# --- a real socket: the hang and the trickle that only a live server shows ---------------------


class _MisbehavingHandler(http.server.BaseHTTPRequestHandler):
    release = threading.Event()

    def do_GET(self) -> None:
        if self.path.startswith("/hang"):
            self.release.wait(3.0)  # accept, read the request, answer nothing
            return
        self.send_response(200)
        self.send_header("Content-Length", "40")
        self.end_headers()
        for _ in range(40):  # one byte per 0.1 s: every read succeeds, the whole takes 4 s
            if self.release.wait(0.1):
                return
            try:
                self.wfile.write(b"x")
                self.wfile.flush()
            except OSError:
                return

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def misbehaving_server() -> Iterator[str]:
    _MisbehavingHandler.release.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _MisbehavingHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        _MisbehavingHandler.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_real_server_trickle_and_hang_are_cut_at_the_deadline(misbehaving_server: str) -> None:
    settings = make_settings(
        http_read_timeout_s=2.0, http_deadline_s=0.5, http_max_attempts=1, default_min_spacing_s=0.0
    )
    with HttpClient.from_settings(settings) as client:
        with pytest.raises(SourceUnavailable) as trickled:
            client.get(f"{misbehaving_server}/trickle", params={"apiKey": KEY}, source="sandbox")
        with pytest.raises(SourceUnavailable) as hung:
            client.get(f"{misbehaving_server}/hang", params={"apiKey": KEY}, source="sandbox")
    assert "blocked/hung" in str(trickled.value)
    assert "blocked/hung" in str(hung.value)
    assert_no_secret(trickled.value, hung.value)


def test_ball_dont_lie_host_gets_its_own_spacing() -> None:
    """BDL's rate limit is a setting of its own: two calls there are spaced, other hosts are not."""
    settings = Settings(bdl_min_spacing_s=1.5, default_min_spacing_s=0.0)
    clock = FakeClock()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=b"{}"))
    with HttpClient.from_settings(settings, clock=clock, transport=transport) as client:
        client.get("https://api.balldontlie.io/v1/teams", source="bdl")
        client.get("https://api.balldontlie.io/v1/teams", source="bdl")
        client.get("https://site.api.espn.com/x", source="espn")
    assert clock.sleeps == [pytest.approx(1.5)]


# --- requests that cannot be written, truncated and oversized bodies --------------------------

JSON_TYPE = {"content-type": "application/json"}


@pytest.mark.parametrize("bad", [BDL_KEY + "\r", BDL_KEY + "é"])
def test_header_with_a_control_or_non_ascii_character_is_permanent_and_never_quoted(
    clock: FakeClock, bad: str
) -> None:
    script = Script(httpx.Response(200, json={}), repeat_last=True)
    client = make_client(script, clock, breaker_failure_threshold=1)
    with capture_logs() as events, client, pytest.raises(ConfigError) as caught:
        client.get(ODDS_URL, headers={"Authorization": bad}, source="bdl")
    assert "'Authorization'" in str(caught.value)
    assert_no_secret(str(caught.value), events)
    assert script.requests == [], "nothing is sent, so nothing is retried"
    assert client.breaker_states() == {}, "our own header says nothing about the host"


def test_illegal_header_error_from_httpx_is_permanent_redacted_and_does_not_trip_the_breaker(
    clock: FakeClock,
) -> None:
    def illegal(request: httpx.Request) -> httpx.Response:
        raise httpx.LocalProtocolError(f"Illegal header value {(BDL_KEY + chr(13)).encode()!r}")

    script = Script(illegal, repeat_last=True)
    client = make_client(script, clock, breaker_failure_threshold=1)
    with capture_logs() as events, client, pytest.raises(SourceError) as caught:
        odds_get(client)
    assert not isinstance(caught.value, TransientError)
    assert len(script.requests) == 1
    assert client.breaker_states() == {"api.the-odds-api.com": "closed"}
    assert_no_secret(str(caught.value), events)
    assert "Illegal header value" in str(caught.value)


def test_truncated_json_body_is_retried_and_recovers(clock: FakeClock) -> None:
    cut = httpx.Response(200, content=b'{"data": [{"id": 1}, {"id"', headers=JSON_TYPE)
    script = Script(cut, httpx.Response(200, json={"data": []}))
    with make_client(script, clock) as client:
        answer = odds_get(client)
    assert answer.json() == {"data": []}
    assert answer.attempts == 2


def test_truncated_json_body_that_stays_cut_fails_as_transient(clock: FakeClock) -> None:
    cut = httpx.Response(200, content=b'{"message": "unfinish', headers=JSON_TYPE)
    script = Script(cut, repeat_last=True)
    client = make_client(script, clock, http_max_attempts=3)
    with client, pytest.raises(SourceUnavailable) as caught:
        odds_get(client)
    assert "truncated" in str(caught.value)
    assert len(script.requests) == 3


def test_malformed_but_complete_json_is_not_retried(clock: FakeClock) -> None:
    bad = httpx.Response(200, content=b'{"a"= 1}<!-- upstream error -->', headers=JSON_TYPE)
    script = Script(bad, httpx.Response(200, json={}))
    with make_client(script, clock) as client, pytest.raises(UnparseableBodyError):
        odds_get(client, expected="json")
    assert len(script.requests) == 1


def test_body_over_the_size_cap_is_cut_off_while_streaming(clock: FakeClock) -> None:
    def endless(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=iter([b"x" * 1024] * 100))

    script = Script(endless, repeat_last=True)
    client = make_client(script, clock, http_max_response_bytes=10_000)
    with client, pytest.raises(PayloadError) as caught:
        odds_get(client)
    assert "http_max_response_bytes" in str(caught.value)
    assert len(script.requests) == 1


def test_declared_length_over_the_cap_is_refused_before_reading(clock: FakeClock) -> None:
    big = httpx.Response(200, content=b"x" * 5000)
    script = Script(big)
    with make_client(script, clock, http_max_response_bytes=4000) as client, pytest.raises(PayloadError):
        odds_get(client)


def test_a_4xx_error_body_is_reported_with_the_apis_own_message_redacted(clock: FakeClock) -> None:
    body = {"message": f"Usage quota has been reached for key {KEY}", "error_code": "OUT_OF_USAGE_CREDITS"}
    script = Script(httpx.Response(401, json=body))
    with make_client(script, clock) as client, pytest.raises(AuthError) as caught:
        odds_get(client)
    assert "the API says 'Usage quota has been reached for key ***'" in str(caught.value)
