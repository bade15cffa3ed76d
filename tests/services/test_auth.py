"""Credentials: API keys in constant time, and every bad push token refused for its own reason.

Tokens are signed here with a local RSA key whose JWKS a real HTTP server serves on loopback;
each case goes over HTTP to the worker's real ``/pubsub/push`` (uvicorn on loopback).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from service_world import (
    ISSUER,
    MARKER_KEY,
    OTHER_KEY,
    PUSH_ACCOUNT,
    Exchanges,
    Keys,
    LiveServer,
    Services,
    free_socket,
)

from nbaprops.pipeline.locks import FileLockStore
from nbaprops.pipeline.push import encode_push
from nbaprops.services.auth import ApiKeys, AuthFailure, OidcVerifier, ReplayGuard


def _envelope(message_id: str, topic: str = "echo") -> dict[str, object]:
    return encode_push(topic, b'{"hello": 1}', message_id=message_id, role="worker")


def test_api_keys_accept_each_configured_key_and_refuse_others() -> None:
    keys = ApiKeys([MARKER_KEY, OTHER_KEY])
    keys.check(MARKER_KEY)
    keys.check(OTHER_KEY)
    for presented, reason in [
        (None, "missing_api_key"),
        ("", "missing_api_key"),
        (MARKER_KEY[:-1], "invalid_api_key"),
        (MARKER_KEY + "x", "invalid_api_key"),
    ]:
        with pytest.raises(AuthFailure) as caught:
            keys.check(presented)
        assert (caught.value.status, caught.value.reason) == (401, reason)


def test_no_configured_key_refuses_every_key() -> None:
    with pytest.raises(AuthFailure, match="invalid_api_key"):
        ApiKeys([]).check("anything")


SUB = "projects/nbaprops-local/subscriptions/nbaprops-echo.worker"


def test_replay_guard_refuses_an_acked_id_on_every_instance_until_the_window_passes(tmp_path: Path) -> None:
    now = [datetime(2026, 1, 31, tzinfo=UTC)]
    store = FileLockStore(tmp_path / "locks", now=lambda: now[0])
    one, two = ReplayGuard(store, 60, owner="instance-1"), ReplayGuard(store, 60, owner="instance-2")
    one.claim(SUB, "m1")
    one.settle(SUB, "m1")  # acked
    for guard in (one, two):
        with pytest.raises(AuthFailure) as caught:
            guard.claim(SUB, "m1")
        assert (caught.value.status, caught.value.reason) == (409, "replayed_message_id")
    two.claim(SUB.replace("echo.worker", "echo.api"), "m1")  # one message fanned out: no replay
    two.claim(SUB, "m2")
    two.release(SUB, "m2")  # a nacked delivery comes back: let in again, on any instance
    one.claim(SUB, "m2")
    now[0] += timedelta(seconds=61)
    two.claim(SUB, "m1")  # forgotten after the window


def test_a_valid_token_is_accepted_and_names_the_account(services: Services, keys: Keys) -> None:
    verifier = OidcVerifier.from_settings(services.settings["worker"])
    identity = verifier.verify("Bearer " + keys.token(services.push_url("worker")))
    assert identity.email == PUSH_ACCOUNT
    assert identity.issuer == ISSUER


def _bad_case(keys: Keys, audience: str, case: str) -> tuple[str | None, int, str]:
    """The Authorization header of one bad case, with the status and reason it must get."""
    now = datetime.now(UTC)
    token = keys.token(audience)
    cases = [
        ("missing header", None, 401, "missing_bearer_token"),
        ("wrong scheme", f"Basic {token}", 401, "wrong_scheme"),
        ("empty bearer", "Bearer", 401, "wrong_scheme"),
        ("garbage token", "Bearer not.a.jwt", 401, "malformed_token"),
        ("bad signature", "Bearer " + keys.token(audience, _key=keys.stranger), 401, "bad_signature"),
        ("alg none", "Bearer " + keys.unsigned(audience), 401, "algorithm_not_allowed"),
        ("expired", "Bearer " + keys.token(audience, exp=now - timedelta(minutes=1)), 401, "token_expired"),
        (
            "not yet valid",
            "Bearer " + keys.token(audience, nbf=now + timedelta(minutes=10)),
            401,
            "token_not_yet_valid",
        ),
        (
            "issued in the future",
            "Bearer " + keys.token(audience, iat=now + timedelta(minutes=10)),
            401,
            "token_not_yet_valid",
        ),
        ("wrong audience", "Bearer " + keys.token(audience + "x"), 401, "wrong_audience"),
        ("wrong issuer", "Bearer " + keys.token(audience, iss="https://evil.example"), 401, "wrong_issuer"),
        ("no expiry", "Bearer " + keys.token(audience, exp=None), 401, "invalid_token"),
        ("wrong email", "Bearer " + keys.token(audience, email="x@evil.example"), 403, "wrong_email"),
        ("unverified email", "Bearer " + keys.token(audience, email_verified=False), 403, "unverified_email"),
        (
            "email_verified missing",
            "Bearer " + keys.token(audience, email_verified=None),
            403,
            "unverified_email",
        ),
    ]
    [found] = [c[1:] for c in cases if c[0] == case]
    return found


CASES = [
    "missing header",
    "wrong scheme",
    "empty bearer",
    "garbage token",
    "bad signature",
    "alg none",
    "expired",
    "not yet valid",
    "issued in the future",
    "wrong audience",
    "wrong issuer",
    "no expiry",
    "wrong email",
    "unverified email",
    "email_verified missing",
]


@pytest.mark.parametrize("case", CASES)
def test_each_bad_push_token_is_refused_for_its_reason(
    case: str, services: Services, keys: Keys, exchanges: Exchanges
) -> None:
    url = services.push_url("worker")
    header, status, reason = _bad_case(keys, url, case)
    before = len(services.received)
    headers = {} if header is None else {"Authorization": header}
    response = exchanges.call("POST", url, json=_envelope(f"bad-{case.replace(' ', '-')}"), headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["reason"] == reason
    assert problem["request_id"] == response.headers["x-request-id"]
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert len(services.received) == before, "a refused delivery reached a handler"


def test_an_api_key_is_no_push_credential(services: Services, exchanges: Exchanges) -> None:
    response = exchanges.call(
        "POST", services.push_url("worker"), json=_envelope("key-instead"), headers={"X-API-Key": MARKER_KEY}
    )
    assert response.status_code == 401
    assert response.json()["reason"] == "missing_bearer_token"


def test_a_replayed_message_id_is_refused(services: Services, keys: Keys, exchanges: Exchanges) -> None:
    url = services.push_url("worker")
    headers = {"Authorization": "Bearer " + keys.token(url)}
    first = exchanges.call("POST", url, json=_envelope("replay-1"), headers=headers)
    assert first.status_code == 204
    delivered = len(services.received)
    again = exchanges.call("POST", url, json=_envelope("replay-1"), headers=headers)
    assert again.status_code == 409
    assert again.json()["reason"] == "replayed_message_id"
    assert len(services.received) == delivered


def test_a_replay_sent_to_another_instance_is_refused(
    services: Services, keys: Keys, exchanges: Exchanges
) -> None:
    """Two instances of the worker (one URL in production, two here) share the settings' lock store."""
    from nbaprops.services.app import create_app

    received: list[Any] = []
    sock = free_socket()
    second = LiveServer(
        create_app(services.settings["worker"], "worker", handlers={"echo": [received.append]}), sock
    )
    try:
        first_url, second_url = (
            services.push_url("worker"),
            f"http://127.0.0.1:{sock.getsockname()[1]}/pubsub/push",
        )
        headers = {"Authorization": "Bearer " + keys.token(first_url)}  # the service's one audience
        assert (
            exchanges.call("POST", first_url, json=_envelope("instances-1"), headers=headers).status_code
            == 204
        )
        again = exchanges.call("POST", second_url, json=_envelope("instances-1"), headers=headers)
        assert again.status_code == 409
        assert again.json()["reason"] == "replayed_message_id"
        assert received == []
        fresh = exchanges.call("POST", second_url, json=_envelope("instances-2"), headers=headers)
        assert fresh.status_code == 204
        assert [m.message_id for m in received] == ["instances-2"]
        back = exchanges.call("POST", first_url, json=_envelope("instances-2"), headers=headers)
        assert back.status_code == 409
    finally:
        second.stop()


def test_a_token_for_another_service_is_refused_here(
    services: Services, keys: Keys, exchanges: Exchanges
) -> None:
    token = keys.token(services.push_url("coordinator"))  # valid, but minted for the coordinator
    response = exchanges.call(
        "POST",
        services.push_url("worker"),
        json=_envelope("cross-service"),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401
    assert response.json()["reason"] == "wrong_audience"


def test_an_unknown_signing_key_id_is_refused(services: Services, keys: Keys, exchanges: Exchanges) -> None:
    url = services.push_url("worker")
    header, claims, signature = keys.token(url).split(".")
    doc: dict[str, Any] = json.loads(base64.urlsafe_b64decode(header + "=="))
    doc["kid"] = "rotated-away"
    forged = base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()
    response = exchanges.call(
        "POST",
        url,
        json=_envelope("unknown-kid"),
        headers={"Authorization": f"Bearer {forged}.{claims}.{signature}"},
    )
    assert response.status_code == 401
    assert response.json()["reason"] == "unknown_signing_key"
