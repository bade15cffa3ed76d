"""configure_logging: one structlog setup per entry point, secrets masked in every rendered line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from nbaprops.logs import NOISY_LOGGERS, configure_logging
from nbaprops.settings import load_settings

KEY = "oddskey-9f8e7d6c5b4a"


def fail(error: Exception) -> None:
    """Raise ``error`` so a real traceback exists to log."""
    raise error


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Each test starts and ends with structlog's defaults and the http loggers untouched."""
    saved = {name: logging.getLogger(name).level for name in NOISY_LOGGERS}
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_json_lines_carry_the_event_and_never_the_key(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(load_settings(odds_api_key=KEY, log_json=True))
    log = structlog.get_logger("test")
    log.info("http.request", url_redacted=f"https://x/?apiKey={KEY}", status=200)
    try:
        fail(RuntimeError(f"server echoed {KEY}"))
    except RuntimeError:
        log.exception("scrape.failed", source="oddsapi")
    err = capsys.readouterr().err
    assert KEY not in err
    lines = [json.loads(line) for line in err.splitlines()]
    assert [line["event"] for line in lines] == ["http.request", "scrape.failed"]
    assert lines[0]["url_redacted"] == "https://x/?apiKey=***"
    assert lines[0]["level"] == "info"
    assert "timestamp" in lines[0]
    assert "RuntimeError: server echoed ***" in lines[1]["exception"]


def test_console_output_is_scrubbed_including_tracebacks(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(load_settings(odds_api_key=KEY, log_json=False))
    log = structlog.get_logger("test")
    log.warning("http.retry", reason=f"HTTP 503 for {KEY}")
    try:
        fail(ValueError(f"bad {KEY}"))
    except ValueError:
        log.exception("boom")
    out = capsys.readouterr()
    assert "http.retry" in out.err
    assert "ValueError: bad ***" in out.err
    assert KEY not in out.err
    assert out.out == "", "events go to stderr; stdout is kept for command output"


def test_level_setting_filters_events(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(load_settings(log_level="WARNING", log_json=True))
    log = structlog.get_logger("test")
    log.info("quiet")
    log.warning("loud")
    events = [json.loads(line)["event"] for line in capsys.readouterr().err.splitlines()]
    assert events == ["loud"]


def test_httpx_loggers_are_held_at_warning_and_redacted() -> None:
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    configure_logging(load_settings(odds_api_key=KEY))
    for name in NOISY_LOGGERS:
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    record = logging.getLogger("httpx").makeRecord(
        "httpx", logging.WARNING, __file__, 1, "GET %s failed", (f"/?apiKey={KEY}",), None
    )
    assert record.getMessage() == "GET /?apiKey=*** failed"


@pytest.mark.parametrize("name", ["nbaprops.lake.child", "fsspec.local", "httpx", "uvicorn.error", "x.y.z"])
def test_every_logger_reaches_every_handler_redacted(name: str) -> None:
    """Child loggers, libraries and loggers that do not propagate: all masked, in message,
    arguments, repr/escaped spellings and tracebacks."""
    configure_logging(load_settings(odds_api_key=KEY))
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(self.format(record))

    logger = logging.getLogger(name)
    handler = Keep()
    logger.addHandler(handler)
    old_propagate, logger.propagate = logger.propagate, False
    try:
        logger.error("header %r rejected; raw %s", KEY.encode() + b"\r", KEY)
        try:
            fail(ValueError(f"Illegal header value {(KEY + chr(13)).encode()!r}"))
        except ValueError:
            logger.exception("boom %s", f"apiKey%3D{KEY}")
    finally:
        logger.removeHandler(handler)
        logger.propagate = old_propagate
    text = "\n".join(seen)
    assert len(seen) == 2
    assert "Illegal header value" in text, "the traceback is kept, masked"
    assert KEY not in text


def test_configuring_twice_masks_both_keys_once() -> None:
    configure_logging(load_settings(odds_api_key=KEY))
    configure_logging(load_settings(bdl_api_key="bdlkey-1234567890"))
    args = (KEY, "bdlkey-1234567890")
    record = logging.getLogger("any").makeRecord("any", logging.ERROR, __file__, 1, "%s %s", args, None)
    assert record.getMessage() == "*** ***"
