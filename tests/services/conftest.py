"""Fixtures of the service tests: uvicorn servers on loopback, a JWKS server, signed tokens.

One session: an RSA key pair (and a stranger's), a JWKS served by a real HTTP server on a free
loopback port, one uvicorn server per role on loopback, all sharing settings whose API key is a
marker string. Every exchange made through ``Exchanges.call`` is kept, and every log line goes
to the session's log file, so ``test_service_secret_scan.py`` can search them all for the markers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
import structlog
from cryptography.hazmat.primitives.asymmetric import rsa
from service_world import (
    ISSUER,
    KID,
    MARKER_KEY,
    OTHER_KEY,
    PUSH_ACCOUNT,
    Exchanges,
    Keys,
    LiveServer,
    Services,
    free_socket,
)


@pytest.fixture(scope="session")
def keys() -> Keys:
    """An RSA signing key with its JWKS, and a stranger's key (same kid, wrong signature)."""
    signing = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing.public_key()))
    jwk.update({"kid": KID, "alg": "RS256", "use": "sig"})
    return Keys(signing, stranger, {"keys": [jwk]})


@pytest.fixture(scope="session")
def jwks_url(keys: Keys) -> Iterator[str]:
    """The JWKS served by a real HTTP server on a free loopback port."""
    body = json.dumps(keys.jwks).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/oauth2/v3/certs":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:  # quiet: pytest output is not a log
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/oauth2/v3/certs"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


EXCHANGES = Exchanges()


@pytest.fixture(scope="session")
def exchanges() -> Exchanges:
    """The session's recorder of HTTP exchanges."""
    return EXCHANGES


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory, jwks_url: str) -> Iterator[Services]:
    """One uvicorn server per role on loopback; the worker's push topics are test handlers."""
    from nbaprops.errors import PayloadError, TransientError
    from nbaprops.logs import configure_logging, log_file_path, reset_logging
    from nbaprops.services.app import create_app
    from nbaprops.settings import Settings

    sockets = {role: free_socket() for role in ("scrapers", "processors", "coordinator", "worker", "api")}
    urls = {role: f"http://127.0.0.1:{s.getsockname()[1]}" for role, s in sockets.items()}
    data_dir = tmp_path_factory.mktemp("services")
    received: list[Any] = []
    dead_letters: list[Any] = []
    flaky: dict[str, int] = {}

    def echo(message: Any) -> None:
        received.append(message)

    def flaky_once(message: Any) -> None:
        flaky[message.message_id] = flaky.get(message.message_id, 0) + 1
        if flaky[message.message_id] == 1:
            raise TransientError("warehouse busy, try again")
        received.append(message)

    def poison(message: Any) -> None:
        raise PayloadError(f"cannot decode {len(message.data)} bytes")

    servers = []
    settings_by_role = {}
    for role, sock in sockets.items():
        settings = Settings(
            data_dir=data_dir,
            api_keys=f"{MARKER_KEY},{OTHER_KEY}",
            service_url=f"{urls[role]}/pubsub/push",
            pubsub_push_service_account=PUSH_ACCOUNT,
            oidc_jwks_url=jwks_url,
            oidc_issuers=ISSUER,
            oidc_leeway_s=0,
            api_max_body_bytes=4096,
        )
        settings_by_role[role] = settings
        extra: dict[str, Any] = {}
        if role == "worker":
            extra = {
                "handlers": {"echo": [echo], "flaky": [flaky_once], "poison": [poison]},
                "on_dead_letter": dead_letters.append,
            }
        servers.append(LiveServer(create_app(settings, role, **extra), sock))  # type: ignore[arg-type]
    base = settings_by_role["api"]
    configure_logging(base)
    yield Services(urls, settings_by_role, log_file_path(base), received, dead_letters)
    for server in servers:
        server.stop()
    structlog.reset_defaults()
    reset_logging()


@pytest.fixture(autouse=True)
def _reset_structlog() -> None:
    """Overrides the root fixture here: the servers log to the session's file from start to end."""
