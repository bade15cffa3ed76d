"""Structured logging: the one ``configure_logging()`` each entry point calls.

Where events go (structlog events and the standard library's records, httpx's included):

* the **log file** ``<data_dir>/logs/nbaprops.jsonl`` gets every event at ``log_level`` and above,
  one JSON object per line (rotated at 20 MB, three old files kept), so a run can be read back;
* **stderr** gets, by default, only warnings and errors, one readable line each
  (``nbaprops: warning: http.breaker (host=… state=open)``): a person at a terminal sees what needs
  them and not the pipeline's chatter. The full stream comes back on stderr with ``-v/--verbose``
  (``log_stderr``), an explicit ``NBAPROPS_LOG_LEVEL``, or ``log_json`` (JSON lines, for a platform
  that collects stderr). stdout stays free for command output.

Every event passes the same processors before any rendering: dates and times become ISO text (never
a ``datetime.date(…)`` repr), then the redaction processor holding the settings' secret values masks
every string, so neither the file nor stderr can print a key. Plain standard-library records are
redacted where they are made (``install_record_redaction`` wraps the record factory), so every
logger's records, tracebacks included, reach every handler masked. The loggers of httpx and
httpcore are also held at WARNING, because at INFO httpx writes every request's full URL (The Odds
API key included).
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import date, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from nbaprops.errors import ConfigError
from nbaprops.secrets import known_secrets, redact, redaction_processor, remember_secrets

if TYPE_CHECKING:
    from nbaprops.settings import Settings

NOISY_LOGGERS = ("httpx", "httpcore")
LOG_FILE = Path("logs") / "nbaprops.jsonl"
"""The JSON-lines log file, relative to ``data_dir``."""
_ROTATE_BYTES = 20 * 1024 * 1024
_ROTATE_KEEP = 3


def _redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Render a plain record's message and traceback now, masked, so no handler sees the raw text.

    The traceback is folded into the message (and ``exc_info`` dropped) because handlers render
    ``exc_info`` themselves, from the live exception, where no mask can reach. Records whose
    message is not text are structlog's own events, already redacted by its processor chain.
    """
    if not isinstance(record.msg, str):
        return record
    secrets = known_secrets()
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        # Arguments that do not fit the format: logging would print them raw in its error report.
        message = f"{record.msg!r} (unformattable arguments)"
    if record.exc_info and record.exc_info[0] is not None:
        message += "\n" + _FORMATTER.formatException(record.exc_info)
    elif record.exc_text:
        message += "\n" + record.exc_text
    record.msg = redact(message, secrets)
    record.args = None
    record.exc_info = None
    record.exc_text = None
    if record.stack_info:
        record.stack_info = redact(record.stack_info, secrets)
    return record


_FORMATTER = logging.Formatter()
_factory_lock = threading.Lock()
_installed = False


def install_record_redaction(secrets: Iterable[str] = ()) -> None:
    """Remember ``secrets`` and make every standard-library log record redacted at creation.

    Wrapping the record factory, rather than filtering handlers, reaches every record of every
    logger (child loggers, httpx, fsspec, uvicorn's, loggers that do not propagate to the root)
    before any handler, file or stderr, sees it. Idempotent: wrapped once per process; later
    calls only add secrets.
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
    """Hold httpx/httpcore at WARNING or above; what they (and every logger) log is redacted."""
    install_record_redaction(secrets)
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


class _CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler writing to whatever ``sys.stderr`` is at the moment of each record.

    Binding the stream at configure time breaks when the stream is later replaced and closed
    (test runners, daemon wrappers, a progress display redirecting stderr): records would then
    fail with "I/O operation on closed file" or tear the display.
    """

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _plain(value: Any) -> Any:
    """``value`` with every date, time and datetime inside it as ISO text."""
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def iso_dates(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: dates and times in an event render as ``2026-01-21``, not as reprs."""
    for key, value in event_dict.items():
        event_dict[key] = _plain(value)
    return event_dict


def one_line(_logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> str:
    """Render an event as one readable line: ``nbaprops: LEVEL: event (k=v …): ExceptionType: message``."""
    fields = dict(event_dict)
    level = str(fields.pop("level", method))
    event = str(fields.pop("event", ""))
    exception = str(fields.pop("exception", "")).strip()
    for meta in ("timestamp", "logger", "stack"):
        fields.pop(meta, None)
    text = f"nbaprops: {level}: {event}"
    if fields:
        text += " (" + " ".join(f"{key}={fields[key]}" for key in sorted(fields)) + ")"
    if exception:
        lines = exception.splitlines()
        frames = [i for i, line in enumerate(lines) if line.startswith(" ")]
        text += ": " + " ".join(lines[frames[-1] + 1 :] if frames else lines)
    return " ".join(text.split())


def log_file_path(settings: Settings) -> Path:
    """Where the JSON-lines log of this data folder is written."""
    return Path(settings.data_dir) / LOG_FILE


def streams_everything(settings: Settings) -> bool:
    """Whether stderr gets the full event stream rather than warnings and errors only."""
    return settings.log_stderr or settings.log_json or "log_level" in settings.model_fields_set


def _formatter(shared: list[Any], renderer: Any) -> structlog.stdlib.ProcessorFormatter:
    return structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        foreign_pre_chain=shared,
    )


def _file_handler(settings: Settings, level: int, shared: list[Any]) -> logging.Handler:
    path = log_file_path(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=_ROTATE_BYTES, backupCount=_ROTATE_KEEP, encoding="utf-8"
        )
    except OSError as exc:
        raise ConfigError(f"cannot write the log file {path}: {exc.strerror or exc}") from None
    handler.setLevel(level)
    handler.setFormatter(_formatter(shared, structlog.processors.JSONRenderer(sort_keys=True)))
    return handler


def _stderr_handler(settings: Settings, level: int, shared: list[Any]) -> logging.Handler:
    handler = _CurrentStderrHandler()
    if streams_everything(settings):
        handler.setLevel(level)
        renderer: Any = (
            structlog.processors.JSONRenderer(sort_keys=True)
            if settings.log_json
            else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        )
    else:
        handler.setLevel(max(level, logging.WARNING))
        renderer = one_line
    handler.setFormatter(_formatter(shared, renderer))
    return handler


def reset_logging() -> None:
    """Remove and close the handlers ``configure_logging`` installed (tests; a second configure)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_nbaprops", False)]:
        root.removeHandler(handler)
        handler.close()
    from nbaprops.ops.delivery import reset_delivery  # alert channels are configured beside the log

    reset_delivery()


def configure_logging(settings: Settings) -> None:
    """Configure structlog and the root logger once per entry point, from the settings."""
    level = logging.getLevelNamesMapping()[settings.log_level]
    secrets = settings.secret_values()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        iso_dates,
        redaction_processor(secrets),
    ]
    handlers = [_file_handler(settings, level, shared), _stderr_handler(settings, level, shared)]
    reset_logging()
    root = logging.getLogger()
    for handler in handlers:
        handler._nbaprops = True  # type: ignore[attr-defined]  # marks ours for reset_logging
        root.addHandler(handler)
    root.setLevel(level)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    quiet_http_loggers(secrets)
    from nbaprops.ops.delivery import configure_delivery  # alerts reach their channels from here on

    configure_delivery(settings)
