"""Secret Manager as a SecretSource, against a small fake of its REST surface on loopback:
latest version read, cached for the TTL, a new version picked up after it without a restart."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import google_crc32c
import pytest

from nbaprops.errors import ConfigError
from nbaprops.secret_manager import SecretManagerSource
from nbaprops.secrets import known_secrets, open_secret_source, with_secrets
from nbaprops.settings import load_settings

MARKER = "sm-marker-7f3a9c"


class FakeSecretManager:
    """``GET /v1/projects/P/secrets/S/versions/latest:access``: the newest enabled version."""

    def __init__(self) -> None:
        self.versions: dict[str, list[bytes]] = {}
        self.requests: list[str] = []
        self.corrupt = False

    def add_version(self, secret: str, value: str) -> None:
        self.versions.setdefault(secret, []).append(value.encode())

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        self.requests.append(path)
        parts = path.removeprefix("/v1/").split("/")
        if len(parts) != 6 or parts[0] != "projects" or parts[5] != "latest:access":
            return 400, {"error": {"code": 400, "message": "bad path", "status": "INVALID_ARGUMENT"}}
        secret = parts[3]
        if secret not in self.versions:
            return 404, {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}}
        data = self.versions[secret][-1]
        crc = google_crc32c.value(data) + (1 if self.corrupt else 0)
        number = len(self.versions[secret])
        return 200, {
            "name": f"projects/{parts[1]}/secrets/{secret}/versions/{number}",
            "payload": {"data": base64.b64encode(data).decode(), "dataCrc32c": str(crc)},
        }


@pytest.fixture
def fake() -> Iterator[tuple[FakeSecretManager, str]]:
    state = FakeSecretManager()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = state.answer(self.path.split("?")[0])
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _source(endpoint: str, clock: Clock) -> SecretManagerSource:
    settings = load_settings(
        secret_backend="secret-manager", secret_manager_project="proj", secret_manager_endpoint=endpoint
    )
    built = open_secret_source(settings)
    assert isinstance(built, SecretManagerSource)
    return SecretManagerSource(built._client, "proj", ttl_s=60, clock=clock)


def test_the_latest_version_is_cached_for_the_ttl_then_a_rotation_is_picked_up(
    fake: tuple[FakeSecretManager, str],
) -> None:
    state, endpoint = fake
    clock = Clock()
    state.add_version("nbaprops-odds-api-key", f"{MARKER}-v1")
    source = _source(endpoint, clock)
    assert source.get("odds_api_key") == f"{MARKER}-v1"
    state.add_version("nbaprops-odds-api-key", f"{MARKER}-v2")  # rotated: a new version
    clock.now = 30
    assert source.get("odds_api_key") == f"{MARKER}-v1"  # still within the TTL: no call
    assert len(state.requests) == 1
    clock.now = 61
    assert source.get("odds_api_key") == f"{MARKER}-v2"  # no restart needed
    assert state.requests == ["/v1/projects/proj/secrets/nbaprops-odds-api-key/versions/latest:access"] * 2
    assert {f"{MARKER}-v1", f"{MARKER}-v2"} <= set(known_secrets())  # both masked in every log line
    assert source.get("bdl_api_key") is None  # no such secret


def test_settings_take_unset_keys_from_secret_manager_and_keep_explicit_ones(
    fake: tuple[FakeSecretManager, str],
) -> None:
    state, endpoint = fake
    state.add_version("nbaprops-odds-api-key", f"{MARKER}-odds")
    state.add_version("nbaprops-bdl-api-key", f"{MARKER}-bdl")
    settings = load_settings(
        secret_backend="secret-manager",
        secret_manager_project="proj",
        secret_manager_endpoint=endpoint,
        bdl_api_key="explicit-bdl-key",
    )
    filled = with_secrets(settings, open_secret_source(settings))
    assert filled.odds_api_key is not None
    assert filled.odds_api_key.get_secret_value() == f"{MARKER}-odds"
    assert filled.bdl_api_key is not None
    assert filled.bdl_api_key.get_secret_value() == "explicit-bdl-key"
    assert MARKER not in repr(filled)


def test_a_corrupted_payload_is_refused(fake: tuple[FakeSecretManager, str]) -> None:
    state, endpoint = fake
    state.add_version("nbaprops-odds-api-key", f"{MARKER}-v1")
    state.corrupt = True
    with pytest.raises(ConfigError, match="checksum mismatch") as caught:
        _source(endpoint, Clock()).get("odds_api_key")
    assert MARKER not in str(caught.value)
