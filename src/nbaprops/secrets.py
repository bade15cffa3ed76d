"""Secret lookup and redaction.

Secrets reach the platform through a ``SecretSource``, chosen by ``settings.secret_backend``
(``open_secret_source``): ``EnvSecretSource`` (environment variables or a 0600 secrets file) or
``secret_manager.SecretManagerSource`` (Google Secret Manager, cached, rotation picked up);
``with_secrets`` fills a settings object's unset keys from the source. They must never reach a log line, an
exception message or a file, so everything that may carry a URL, a header or free text passes
through the functions here first:

* ``redact(text, secrets)`` replaces every known secret value and every sensitive query parameter
  or credential header written inside the text. A secret is matched in every spelling a library
  may print it in: plain, URL-encoded (either hex case), backslash-escaped as ``repr`` or JSON
  write it (``b'KEY\\r'`` in httpx's "Illegal header value"), and without surrounding whitespace;
* ``remember_secrets(values)`` / ``scrub(text)``: the process-wide set of secrets that the last
  writers before a table or the terminal (CLI error line, ``run_ledger``, ``alerts``,
  ``fact_sources``) mask, whatever path the text took to get there;
* ``redact_url(url)`` blanks sensitive query parameters (``apiKey=…``) and URL passwords;
* ``redact_headers(headers)`` blanks credential headers (``Authorization``, ``X-Api-Key``);
* ``redaction_processor(secrets)`` is a structlog processor that scrubs every string in an event,
  exception tracebacks included.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, quote_plus

import structlog

if TYPE_CHECKING:
    from nbaprops.settings import Settings


MASK = "***"

SENSITIVE_QUERY_PARAMS = frozenset(
    {"apikey", "api_key", "api-key", "key", "token", "access_token", "client_secret", "password"}
)
"""Query parameter names (compared lower-cased) whose values are always masked."""

SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "cookie"})
"""Header names (compared lower-cased) whose values are always masked."""

# Log fields named like a credential are masked whole; plain "key" is exempt because events use it
# for natural keys (a game id, a table key), which are not secrets.
_SENSITIVE_FIELDS = (SENSITIVE_HEADERS | SENSITIVE_QUERY_PARAMS) - {"key"}

_PARAM_NAMES = "|".join(re.escape(name) for name in sorted(SENSITIVE_QUERY_PARAMS, key=len, reverse=True))
# Only a name that follows "?" or "&" is a query parameter; a bare "key=" in prose is left alone.
_QUERY_PARAM = re.compile(rf"(?i)([?&](?:{_PARAM_NAMES})=)[^&#\s\"'<>]*")
# Credential headers written into text, e.g. the repr of a header dict: {'Authorization': 'Bearer x'}.
_HEADER_IN_TEXT = re.compile(
    r"(?i)\b(authorization|x-api-key)(['\"]?\s*[:=]\s*['\"]?)(?:(?:bearer|basic|token)\s+)?[^\s'\",}]+"
)
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+@")

Processor = Callable[[Any, str, MutableMapping[str, Any]], MutableMapping[str, Any]]


class SecretSource(Protocol):
    """Where secret values come from: ``EnvSecretSource``, ``secret_manager.SecretManagerSource``."""

    def get(self, name: str) -> str | None:
        """The secret called ``name`` (a settings field name such as ``odds_api_key``), if set."""
        ...

    def values(self) -> list[str]:
        """Every non-empty secret value this source knows, for redaction filters."""
        ...


class EnvSecretSource:
    """Secrets read from the settings, i.e. ``NBAPROPS_*`` variables or the 0600 secrets file."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def get(self, name: str) -> str | None:
        """The plain value of the ``SecretStr`` setting ``name``; ``None`` when unset or not a secret."""
        value = getattr(self._settings, name, None)
        if value is None or not hasattr(value, "get_secret_value"):
            return None
        plain = value.get_secret_value()
        return plain if isinstance(plain, str) and plain else None

    def values(self) -> list[str]:
        """Every secret value the settings hold."""
        return self._settings.secret_values()


SECRET_FIELDS = ("bdl_api_key", "odds_api_key")
"""Settings fields a ``SecretSource`` may fill (the API keys of the sources)."""


def open_secret_source(settings: Settings) -> SecretSource:
    """The source ``settings.secret_backend`` names."""
    if settings.secret_backend == "secret-manager":  # noqa: S105 - a backend name, not a secret
        from nbaprops.secret_manager import SecretManagerSource

        return SecretManagerSource.from_settings(settings)
    return EnvSecretSource(settings)


def with_secrets(settings: Settings, source: SecretSource) -> Settings:
    """``settings`` with each unset key of ``SECRET_FIELDS`` read from ``source`` (remembered for redaction).

    Keys set in the environment or the 0600 file win: an operator's override is never replaced.
    Called again later it picks up rotated values (the source's cache decides how fresh).
    """
    from pydantic import SecretStr

    from nbaprops.settings import secret_problem

    update: dict[str, SecretStr] = {}
    for name in SECRET_FIELDS:
        if getattr(settings, name) is not None:
            continue
        value = source.get(name)
        if value:
            problem = secret_problem(value)
            if problem:
                from nbaprops.errors import ConfigError

                raise ConfigError(f"secret {name}: {problem}")
            update[name] = SecretStr(value)
    remember_secrets(update[n].get_secret_value() for n in update)
    return settings.model_copy(update=update) if update else settings


def _spellings(secret: str) -> set[str]:
    """The ways ``secret`` shows up in text: as is, escaped by ``repr``/JSON, URL-encoded."""
    found: set[str] = set()
    for base in {secret, secret.strip()}:
        if not base:
            continue
        escaped = {
            base,
            repr(base)[1:-1],
            repr(base.encode("utf-8", "backslashreplace"))[2:-1],
            json.dumps(base)[1:-1],
            base.encode("unicode_escape").decode("ascii"),
        }
        for text in escaped:
            found.update({text, quote(text, safe=""), quote_plus(text)})
    return found


@lru_cache(maxsize=32)
def _secret_pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation of every spelling, longest first so overlapping secrets mask fully.

    Case is ignored so a server or library that lower-cases percent-encoding (``%0d``) is caught
    too; masking a few extra characters is harmless, missing one is a leak.
    """
    spellings: set[str] = set()
    for secret in secrets:
        spellings |= _spellings(secret)
    if not spellings:
        return None
    ordered = sorted(spellings, key=len, reverse=True)
    return re.compile("|".join(re.escape(s) for s in ordered), re.IGNORECASE)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value, sensitive query parameter and credential header masked."""
    pattern = _secret_pattern(tuple(sorted({s for s in secrets if s})))
    if pattern is not None:
        text = pattern.sub(MASK, text)
    text = _QUERY_PARAM.sub(rf"\g<1>{MASK}", text)
    text = _HEADER_IN_TEXT.sub(rf"\g<1>\g<2>{MASK}", text)
    return _URL_PASSWORD.sub(rf"\g<1>{MASK}@", text)


_known_lock = threading.Lock()
_known: set[str] = set()


def remember_secrets(values: Iterable[str]) -> None:
    """Add ``values`` to the secrets that ``scrub`` masks for the rest of the process.

    Entry points (``configure_logging``) and the HTTP client call this with the settings' secrets,
    so writers that see only text (ledger, alerts, the CLI's error line) can mask them as well.
    """
    with _known_lock:
        _known.update(v for v in values if v)


def known_secrets() -> list[str]:
    """The secrets remembered so far (never log this list)."""
    with _known_lock:
        return sorted(_known)


def scrub(text: str) -> str:
    """``text`` redacted against every remembered secret (see ``remember_secrets``)."""
    return redact(text, known_secrets())


def redact_url(url: str) -> str:
    """``url`` with sensitive query parameter values and any userinfo password replaced by ``***``."""
    return _URL_PASSWORD.sub(rf"\g<1>{MASK}@", _QUERY_PARAM.sub(rf"\g<1>{MASK}", url))


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """A plain copy of ``headers`` with credential headers' values replaced by ``***``."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {name: MASK if name.lower() in SENSITIVE_HEADERS else value for name, value in items}


def _sensitive_field(name: object) -> bool:
    return isinstance(name, str) and name.lower() in _SENSITIVE_FIELDS


def _scrub(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, bytes):
        return redact(value.decode("utf-8", "replace"), secrets)
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {redact(str(value), secrets)}"
    if isinstance(value, Mapping):
        return {key: MASK if _sensitive_field(key) else _scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(item, secrets) for item in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    # Anything else is rendered later through repr/str; render it now so the text can be scrubbed.
    return redact(repr(value), secrets)


def redaction_processor(secrets: Iterable[str]) -> Processor:
    """A structlog processor masking secrets in every value of an event, tracebacks included.

    Secrets remembered later in the process (``remember_secrets``) are masked too. An ``exc_info``
    entry is rendered to a plain traceback string first (never a rich traceback
    with local variables, which could show a URL holding a key) and then scrubbed like the rest.
    """
    known = [s for s in secrets if s]

    def processor(
        logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        if event_dict.get("exc_info"):
            event_dict = structlog.processors.format_exc_info(logger, method_name, event_dict)
        else:
            event_dict.pop("exc_info", None)
        current = [*known, *known_secrets()]
        for key, value in list(event_dict.items()):
            event_dict[key] = MASK if _sensitive_field(key) else _scrub(value, current)
        return event_dict

    return processor
