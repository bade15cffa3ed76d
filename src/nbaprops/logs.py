"""Structured logging: the one ``structlog.configure()`` each entry point calls.

Events go to stderr (stdout stays free for ``--json`` command output), as console lines for a
person or JSON lines for a machine (``settings.log_json``). The last step before rendering is the
redaction processor holding the settings' secret values, so no event can print a key.

Standard-library records are redacted where they are made: ``install_record_redaction`` wraps the
log-record factory, so every record of every logger (child loggers, httpx, fsspec, uvicorn, ones
that do not propagate to the root) reaches every handler with its message, traceback and stack
already masked. The loggers of httpx and httpcore are also held at WARNING, because at INFO httpx
writes every request's full URL (The Odds API key included).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import structlog

from nbaprops.secrets import known_secrets, redact, redaction_processor, remember_secrets

if TYPE_CHECKING:
    from nbaprops.settings import Settings

NOISY_LOGGERS = ("httpx", "httpcore")


def _redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Render the record's message, traceback and stack now, masked, so no handler sees the raw text."""
    secrets = known_secrets()
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        # Arguments that do not fit the format: logging would print them raw in its error report.
        message = f"{record.msg!r} (unformattable arguments)"
    record.msg = redact(message, secrets)
    record.args = None
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = redact(_FORMATTER.formatException(record.exc_info), secrets)
        record.exc_info = None  # a handler must not render the unmasked traceback again
    elif record.exc_text:
        record.exc_text = redact(record.exc_text, secrets)
    if record.stack_info:
        record.stack_info = redact(record.stack_info, secrets)
    return record


_FORMATTER = logging.Formatter()
_factory_lock = threading.Lock()
_installed = False


def install_record_redaction(secrets: Iterable[str] = ()) -> None:
    """Remember ``secrets`` and make every standard-library log record redacted at creation.

    Idempotent: the factory is wrapped once per process; later calls only add secrets.
    """
    global _installed  # noqa: PLW0603 - the record factory is process-wide by nature
    remember_secrets(secrets)
    with _factory_lock:
        if _installed:
            return
        base = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return _redact_record(base(*args, **kwargs))

        logging.setLogRecordFactory(factory)
        _installed = True


def quiet_http_loggers(secrets: Iterable[str] = ()) -> None:
    """Hold httpx/httpcore at WARNING or above; what they (and everyone else) log is redacted."""
    install_record_redaction(secrets)
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


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
