"""Structured logging: the one ``structlog.configure()`` each entry point calls.

Events go to stderr (stdout stays free for ``--json`` command output), as console lines for a
person or JSON lines for a machine (``settings.log_json``). The last step before rendering is the
redaction processor holding the settings' secret values, so no event can print a key. The standard
library loggers of httpx and httpcore are held at WARNING, because at INFO httpx writes every
request's full URL (The Odds API key included); what they still emit is redacted too.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import structlog

from nbaprops.secrets import redact, redaction_processor

if TYPE_CHECKING:
    from nbaprops.settings import Settings

NOISY_LOGGERS = ("httpx", "httpcore")


class RedactingFilter(logging.Filter):
    """A stdlib logging filter that rewrites each record's message with secrets masked."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the fully formatted message in place; never drops a record."""
        record.msg = redact(record.getMessage(), self._secrets)
        record.args = None
        return True


def quiet_http_loggers(secrets: Iterable[str] = ()) -> None:
    """Hold httpx/httpcore at WARNING or above and redact what they still log."""
    known = list(secrets)
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)
        for old in [f for f in logger.filters if isinstance(f, RedactingFilter)]:
            logger.removeFilter(old)
        logger.addFilter(RedactingFilter(known))


class _CurrentStderr:
    """A structlog logger writing to whatever ``sys.stderr`` is at the moment of each event.

    Binding the stream at configure time breaks when the stream is later replaced and closed
    (test runners, daemon wrappers): events would then fail with "I/O operation on closed file".
    """

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)  # noqa: T201 - this is the log sink

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


class _CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The stdlib counterpart of ``_CurrentStderr``."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _current_stderr_factory(*_args: Any) -> _CurrentStderr:
    return _CurrentStderr()


def configure_logging(settings: Settings) -> None:
    """Configure structlog (and the stdlib loggers that matter) once, from the settings."""
    level = logging.getLevelNamesMapping()[settings.log_level]
    secrets = settings.secret_values()
    renderer: Any = (
        structlog.processors.JSONRenderer(sort_keys=True)
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            redaction_processor(secrets),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_current_stderr_factory,
        cache_logger_on_first_use=False,
    )
    handler = _CurrentStderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    quiet_http_loggers(secrets)
