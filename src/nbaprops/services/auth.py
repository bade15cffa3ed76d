"""Who may call a service: operator API keys, and Google OIDC tokens on Pub/Sub push routes.

Two doors, each a FastAPI dependency applied to whole routers (``app.py``), never route by route:

* **API keys** (operators, read API clients): the ``X-API-Key`` header compared in constant time
  with every configured key (``Settings.api_keys``, a ``SecretStr``; several keys allow rotation).
  Each key is compared as a SHA-256 digest, so neither the content nor the length of a key shows
  in the timing. No key configured means every call is refused, never that every call is let in.
* **Pub/Sub push** (service to service): ``Authorization: Bearer <JWT>`` signed by Google for the
  push subscription's service account. ``OidcVerifier`` checks, in order: the header and its
  scheme; the token's header algorithm (RS256 only: ``alg: none`` and HMAC algorithms are refused
  before any key is looked up); the signature against the JWKS (fetched with a timeout, cached);
  the issuer; the audience (this service's push URL); ``exp``, ``iat`` and ``nbf`` with a small
  leeway; the ``email`` claim against the expected service account and ``email_verified``.

A failed check raises ``AuthFailure`` with a status (401 unauthenticated, 403 authenticated as the
wrong principal, 503 when the JWKS cannot be fetched: Pub/Sub then redelivers) and a short public
reason code; the app renders it as problem details. The token itself never reaches a log or an
error: only the reason code does.

``ReplayGuard`` refuses a push message id that was already acked (a captured request replayed
within the token's lifetime), remembered for ``push_replay_window_s``. It keeps each delivery as a
lease in the run locks' ``LockStore`` (files by default, Firestore in production), so every
instance of every service sees the others' deliveries: a replay sent to another instance is
refused too. The handlers are idempotent by key anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
import structlog

if TYPE_CHECKING:
    from nbaprops.pipeline.locks import Lease, LockStore
    from nbaprops.settings import Settings

log = structlog.get_logger(__name__)

API_KEY_HEADER = "X-API-Key"
ALLOWED_ALGORITHMS = ("RS256",)
"""Google signs its ID tokens with RS256; every other algorithm (``none`` first) is refused."""
_REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "email")


class AuthFailure(Exception):
    """A request that does not get in: HTTP ``status`` and a public ``reason`` code."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


class ApiKeys:
    """The accepted API keys, held as SHA-256 digests and compared in constant time."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._digests = [_digest(k) for k in keys if k]

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiKeys:
        """The keys of ``settings.api_keys`` (none when unset)."""
        return cls(settings.api_key_values())

    def check(self, presented: str | None) -> None:
        """Return when ``presented`` is one of the keys; ``AuthFailure`` (401) otherwise."""
        if not presented:
            raise AuthFailure(401, "missing_api_key")
        candidate = _digest(presented)
        matched = False
        for digest in self._digests:  # every key is compared: no early exit to time
            matched |= hmac.compare_digest(candidate, digest)
        if not matched:
            raise AuthFailure(401, "invalid_api_key")


@dataclass(frozen=True)
class PushIdentity:
    """The verified caller of a push route."""

    email: str
    subject: str
    issuer: str


class OidcVerifier:
    """Verifies Google-signed OIDC bearer tokens for one audience and set of service accounts."""

    def __init__(
        self,
        *,
        jwks_url: str,
        audience: str | None,
        issuers: Sequence[str],
        emails: Sequence[str],
        leeway_s: float = 30.0,
        timeout_s: float = 5.0,
        jwks_lifespan_s: float = 300.0,
    ) -> None:
        self.audience = audience
        self.issuers = [i for i in issuers if i]
        self.emails = frozenset(e for e in emails if e)
        self.leeway_s = leeway_s
        self._jwks = jwt.PyJWKClient(
            jwks_url, cache_jwk_set=True, lifespan=max(int(jwks_lifespan_s), 1), timeout=timeout_s
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcVerifier:
        """A verifier for this service's push URL and the configured push service account."""
        account = settings.pubsub_push_service_account
        return cls(
            jwks_url=settings.oidc_jwks_url,
            audience=settings.service_url,
            issuers=[i.strip() for i in settings.oidc_issuers.split(",")],
            emails=[account] if account else [],
            leeway_s=settings.oidc_leeway_s,
            timeout_s=settings.oidc_timeout_s,
        )

    def verify(self, authorization: str | None) -> PushIdentity:
        """The identity behind an ``Authorization`` header value; ``AuthFailure`` when not proven."""
        if not authorization:
            raise AuthFailure(401, "missing_bearer_token")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthFailure(401, "wrong_scheme")
        if self.audience is None or not self.emails or not self.issuers:
            # Not configured to accept pushes: refuse rather than accept any audience or account.
            raise AuthFailure(401, "push_not_configured")
        claims = self._decode(token.strip())
        email = claims.get("email")
        if not isinstance(email, str) or email not in self.emails:
            raise AuthFailure(403, "wrong_email")
        if claims.get("email_verified") is not True:
            raise AuthFailure(403, "unverified_email")
        return PushIdentity(email=email, subject=str(claims.get("sub", "")), issuer=str(claims["iss"]))

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise AuthFailure(401, "malformed_token") from None
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise AuthFailure(401, "algorithm_not_allowed")
        key = self._signing_key(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(ALLOWED_ALGORITHMS),
                audience=self.audience,
                issuer=self.issuers,
                leeway=self.leeway_s,
                options={"require": list(_REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise AuthFailure(401, "token_expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthFailure(401, "token_not_yet_valid") from None
        except jwt.InvalidAudienceError:
            raise AuthFailure(401, "wrong_audience") from None
        except jwt.InvalidIssuerError:
            raise AuthFailure(401, "wrong_issuer") from None
        except jwt.InvalidSignatureError:
            raise AuthFailure(401, "bad_signature") from None
        except jwt.InvalidTokenError:
            raise AuthFailure(401, "invalid_token") from None
        return claims

    def _signing_key(self, token: str) -> Any:
        try:
            return self._jwks.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError:
            log.warning("auth.jwks_unavailable")
            raise AuthFailure(503, "jwks_unavailable") from None
        except (jwt.PyJWKClientError, jwt.InvalidTokenError):
            raise AuthFailure(401, "unknown_signing_key") from None


class ReplayGuard:
    """Push deliveries being handled or already acked, shared by every instance of every service.

    Each delivery is a lease in the ``LockStore`` (``pipeline.locks``: files under
    ``<data_dir>/locks`` by default, Firestore in production) on the key
    ``push:<subscription>:<message id>`` for ``window_s`` seconds: ``claim`` takes it (refusing one
    that another instance, or this one, holds: in flight or acked within the window) and
    ``release`` gives it back when the delivery is to be retried (a nack), so the redelivery is
    let in. The lease expires after the window by itself, as a crashed holder's does. The key
    names the subscription because Pub/Sub gives one message the same id on every subscription
    of its topic (fan-out to several roles is not a replay).
    """

    def __init__(self, store: LockStore, window_s: float, *, owner: str | None = None) -> None:
        from nbaprops.warehouse.ledger import this_process

        self.store = store
        self.window_s = window_s
        self.owner = owner or this_process()
        self._leases: dict[str, Lease] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(subscription: str, message_id: str) -> str:
        """The lock key of one push delivery."""
        return f"push:{subscription}:{message_id}"

    def claim(self, subscription: str, message_id: str) -> None:
        """Take the delivery for this instance; ``AuthFailure`` (409) when it is a replay."""
        key = self.key(subscription, message_id)
        lease = self.store.acquire(key, self.owner, self.window_s)
        if lease is None:
            raise AuthFailure(409, "replayed_message_id")
        with self._lock:
            self._leases[key] = lease

    def release(self, subscription: str, message_id: str) -> None:
        """Give the delivery back: it failed transiently and Pub/Sub will send it again."""
        key = self.key(subscription, message_id)
        with self._lock:
            lease = self._leases.pop(key, None)
        if lease is not None and not self.store.release(lease):
            log.warning("push.replay_release_lost", message_id=message_id)

    def settle(self, subscription: str, message_id: str) -> None:
        """The delivery was acked: keep its lease until it expires, forget it here."""
        with self._lock:
            self._leases.pop(self.key(subscription, message_id), None)
