"""configure_logging: one structlog setup per entry point, secrets masked in every rendered line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import structlog

from nbaprops.errors import ConfigError
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
    assert "ValueError: Illegal header value" in text, "the traceback is kept, masked"
    assert KEY not in text


def test_a_library_traceback_reaches_the_log_file_masked(tmp_path: Path) -> None:
    configure_logging(load_settings(odds_api_key=KEY))
    try:
        fail(OSError(f"gs://bucket/x?key={KEY} timed out"))
    except OSError:
        logging.getLogger("fsspec.gcs").exception("retrying %s", KEY)
    events = _file_events(tmp_path)
    text = json.dumps(events)
    assert KEY not in text
    assert "OSError: gs://bucket/x?key=***" in text


def test_configuring_twice_masks_both_keys() -> None:
    configure_logging(load_settings(odds_api_key=KEY))
    configure_logging(load_settings(bdl_api_key="bdlkey-1234567890"))
    args = (KEY, "bdlkey-1234567890")
    record = logging.getLogger("any").makeRecord("any", logging.ERROR, __file__, 1, "%s %s", args, None)
    assert record.getMessage() == "*** ***"


def _file_events(tmp_path: Path) -> list[dict[str, object]]:
    path = tmp_path / "data" / "logs" / "nbaprops.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_by_default_stderr_gets_one_line_per_warning_and_the_file_gets_everything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(load_settings(odds_api_key=KEY, data_dir=tmp_path / "data"))
    log = structlog.get_logger("nbaprops.test")
    log.info("step.started", game_date=date(2026, 1, 21), step="ingest")
    log.warning("http.breaker", host="api", state="open", reason=f"key {KEY}")
    logging.getLogger("fsspec").warning("listing s3://bucket/?apiKey=%s failed", KEY)
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "nbaprops: warning: http.breaker (host=api reason=key *** state=open)",
        "nbaprops: warning: listing s3://bucket/?apiKey=*** failed",
    ]
    events = _file_events(tmp_path)
    assert [e["event"] for e in events][:2] == ["step.started", "http.breaker"]
    assert events[0]["game_date"] == "2026-01-21", "dates are ISO text, not datetime.date reprs"
    assert events[0]["logger"] == "nbaprops.test"
    assert KEY not in json.dumps(events), "the file handler redacts too, foreign loggers included"


def test_dates_inside_lists_and_datetimes_are_iso_text(tmp_path: Path) -> None:
    configure_logging(load_settings(data_dir=tmp_path / "data"))
    structlog.get_logger().info(
        "backtest.retrains", days=[date(2026, 1, 2)], at=datetime(2026, 1, 2, 16, 0, tzinfo=UTC)
    )
    (event,) = _file_events(tmp_path)
    assert event["days"] == ["2026-01-02"]
    assert event["at"] == "2026-01-02T16:00:00+00:00"


def test_an_error_with_a_traceback_is_still_one_line_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(load_settings(data_dir=tmp_path / "data"))
    try:
        fail(ValueError("bad\nvalue"))
    except ValueError:
        structlog.get_logger().exception("ingest.crashed", kind="bdl")
    assert capsys.readouterr().err == "nbaprops: error: ingest.crashed (kind=bdl): ValueError: bad value\n"
    (event,) = _file_events(tmp_path)
    assert "Traceback" in str(event["exception"])


@pytest.mark.parametrize("how", [{"log_stderr": True}, {"log_level": "INFO"}])
def test_verbose_or_an_explicit_level_streams_every_event_to_stderr(
    how: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(load_settings(data_dir=tmp_path / "data", **how))
    structlog.get_logger().info("step.started", game_date=date(2026, 1, 21))
    err = capsys.readouterr().err
    assert "step.started" in err
    assert "game_date=2026-01-21" in err
    assert _file_events(tmp_path)[0]["event"] == "step.started"


def test_an_unwritable_log_folder_is_a_one_line_config_error(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file where the data folder should be")
    with pytest.raises(ConfigError, match="cannot write the log file"):
        configure_logging(load_settings(data_dir=tmp_path / "data"))
