"""Shared pieces of the service tests; conftest.py holds the fixtures built from them."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

MARKER_KEY = "MARKERsvcKEY7c1e9a44f0b2"
"""The operator API key; it must appear in no log line, body or header the services produce."""
OTHER_KEY = "MARKERrotatedKEY55d0e1"
"""A second accepted key (rotation)."""
PUSH_ACCOUNT = "pubsub-push@nbaprops-test.iam.gserviceaccount.com"
ISSUER = "https://accounts.google.com"
KID = "test-key-1"
MARKERS = (MARKER_KEY, OTHER_KEY)


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


@dataclass
class Keys:
    """The signing key behind the JWKS, a stranger's key, and a token factory."""

    private: rsa.RSAPrivateKey
    stranger: rsa.RSAPrivateKey
    jwks: dict[str, Any]

    def token(self, audience: str, **overrides: Any) -> str:
        """A push token as Google would sign it; ``overrides`` change or (value None) drop claims."""
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": audience,
            "sub": "1234567890",
            "email": PUSH_ACCOUNT,
            "email_verified": True,
            "iat": now,
            "exp": now + timedelta(hours=1),
        }
        key = overrides.pop("_key", self.private)
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})

    @staticmethod
    def unsigned(audience: str) -> str:
        """The same claims with ``alg: none`` and no signature."""

        def part(doc: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()

        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": audience,
            "email": PUSH_ACCOUNT,
            "email_verified": True,
            "iat": now,
            "exp": now + 3600,
        }
        return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': KID})}.{part(claims)}."


@dataclass
class Exchanges:
    """Every request/answer the tests made, kept for the secret scan."""

    texts: list[str] = field(default_factory=list)

    def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One HTTP call over loopback (bounded), recorded whole: status, headers and body."""
        response = httpx.request(method, url, timeout=30, **kwargs)
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        self.texts.append(f"{response.status_code}\n{headers}\n{response.text}")
        return response


@dataclass
class Services:
    """The running servers: base URL per role, the shared settings, what the worker received."""

    urls: dict[str, str]
    settings: Any
    log_file: Path
    received: list[Any]
    dead_letters: list[Any]

    def push_url(self, role: str) -> str:
        """The push endpoint of a role (also the audience its tokens must carry)."""
        return f"{self.urls[role]}/pubsub/push"


class LiveServer:
    def __init__(self, app: Any, sock: socket.socket) -> None:
        import uvicorn

        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", timeout_keep_alive=5)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start within 20 s")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@dataclass
class FuzzRun:
    """What one schemathesis pass over a service's OpenAPI document did."""

    operations: int
    calls: int
    failures: list[str]


def fuzz_openapi(base: str, *, max_examples: int, real_path: dict[str, str] | None = None) -> FuzzRun:
    """Every operation of the service's OpenAPI document (read with the marker key), generated inputs,
    each answer validated against the document (no 5xx, no schema violation). With ``real_path``,
    every third case with those path parameters is pointed at values that exist."""
    import requests
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings

    document = requests.get(f"{base}/openapi.json", headers={"X-API-Key": MARKER_KEY}, timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    session = requests.Session()
    session.headers["X-API-Key"] = MARKER_KEY
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: list[str] = []
    calls = {"n": 0}

    def exercise(operation: Any) -> None:
        @given(case=operation.as_strategy())
        @settings(
            max_examples=max_examples,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case: Any) -> None:
            calls["n"] += 1
            if real_path and calls["n"] % 3 == 0 and set(real_path) <= set(case.path_parameters or {}):
                case.path_parameters = {**case.path_parameters, **real_path}  # real documents too
            try:
                case.call_and_validate(base_url=base, session=session, timeout=30)
            except Exception as exc:  # collected: the caller's assertion names every one
                failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:600]}")
                raise

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - recorded: the caller's assertion lists it
            failures.append(f"{operation.label}: {type(exc).__name__}")

    for operation in operations:
        exercise(operation)
    return FuzzRun(len(operations), calls["n"], failures)
