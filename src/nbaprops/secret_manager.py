"""``SecretSource`` on Google Secret Manager, with a cache and rotation.

A secret named like a settings field (``odds_api_key``) is the Secret Manager secret
``nbaprops-odds-api-key`` of ``settings.secret_manager_project``; ``get`` reads its ``latest`` version.
A value is reused for ``secret_cache_ttl_s`` seconds and then read again, so a rotated secret (a
new version added, the old one disabled) is picked up without a restart. A fetch that fails
while a cached value exists keeps serving the cached value past its TTL (logged), since a stale
key beats no key; with nothing cached it raises. Every value read is remembered for redaction
(``remember_secrets``) before it is returned. The payload's CRC32C, when the API sends one, is
checked: a corrupted secret is an error, not a key.

No emulator exists; ``secret_manager_endpoint`` points the client's REST transport at another
host (the tests serve a small fake of the ``versions:access`` surface on loopback).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from nbaprops.errors import ConfigError, TransientError
from nbaprops.secrets import remember_secrets

if TYPE_CHECKING:
    from nbaprops.settings import Settings

log = structlog.get_logger(__name__)

SECRET_PREFIX = "nbaprops-"  # noqa: S105 - a name prefix, not a secret
"""Secret ids are ``nbaprops-`` + the settings field with hyphens (docs/deploy.md creates them)."""


@dataclass
class _Cached:
    value: str | None
    version: str | None
    fetched_at: float


class SecretManagerSource:
    """Secrets from Secret Manager's ``latest`` versions, cached for ``ttl_s`` seconds."""

    def __init__(
        self,
        client: Any,
        project: str,
        *,
        ttl_s: float = 300.0,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._project = project
        self._ttl_s = ttl_s
        self._timeout_s = timeout_s
        self._clock = clock
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretManagerSource:
        """A source on the settings' project (and endpoint, when one is set)."""
        from google.cloud import secretmanager

        options: dict[str, Any] = {}
        kwargs: dict[str, Any] = {}
        if settings.secret_manager_endpoint:
            from google.auth.credentials import AnonymousCredentials

            options["api_endpoint"] = settings.secret_manager_endpoint
            kwargs = {"transport": "rest", "credentials": AnonymousCredentials()}  # type: ignore[no-untyped-call]
        client = secretmanager.SecretManagerServiceClient(client_options=options or None, **kwargs)
        return cls(
            client,
            settings.secret_manager_project,
            ttl_s=settings.secret_cache_ttl_s,
            timeout_s=settings.secret_timeout_s,
        )

    def secret_path(self, name: str) -> str:
        """The resource name of the latest version of the secret for settings field ``name``."""
        return f"projects/{self._project}/secrets/{SECRET_PREFIX}{name.replace('_', '-')}/versions/latest"

    def get(self, name: str) -> str | None:
        """The secret's value (None when the secret does not exist), at most ``ttl_s`` old."""
        with self._lock:
            cached = self._cache.get(name)
            if cached is not None and self._clock() - cached.fetched_at < self._ttl_s:
                return cached.value
        try:
            value, version = self._fetch(name)
        except TransientError as exc:
            if cached is None:
                raise
            log.warning("secrets.stale", secret=name, version=cached.version, error=str(exc))
            return cached.value
        if cached is not None and version != cached.version:
            log.info("secrets.rotated", secret=name, version=version, previous=cached.version)
        with self._lock:
            self._cache[name] = _Cached(value, version, self._clock())
        return value

    def values(self) -> list[str]:
        """Every value read so far (for redaction)."""
        with self._lock:
            return [c.value for c in self._cache.values() if c.value]

    def _fetch(self, name: str) -> tuple[str | None, str | None]:
        from google.api_core import exceptions

        try:
            answer = self._client.access_secret_version(
                request={"name": self.secret_path(name)}, timeout=self._timeout_s
            )
        except exceptions.NotFound:
            return None, None
        except (exceptions.PermissionDenied, exceptions.Unauthenticated) as exc:
            raise ConfigError(f"secret manager refused {name}: {type(exc).__name__}") from None
        except (
            exceptions.ServiceUnavailable,
            exceptions.DeadlineExceeded,
            exceptions.InternalServerError,
        ) as exc:
            raise TransientError(f"secret manager: {name}: {type(exc).__name__}") from None
        data: bytes = answer.payload.data
        expected = answer.payload.data_crc32c if answer.payload.data_crc32c else None
        if expected is not None:
            import google_crc32c

            if google_crc32c.value(data) != expected:
                raise ConfigError(f"secret {name}: payload checksum mismatch (corrupted in transit)")
        try:
            value = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"secret {name} is not UTF-8 text") from None
        remember_secrets([value])
        return value, str(answer.name)
