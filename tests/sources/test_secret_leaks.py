"""A marker secret that cannot be sent (a CR from a CRLF file) never leaves the process.

The sandbox runs on loopback; the key is smuggled past the settings' own check (``model_copy``
does not validate) to prove the HTTP client's check and the writers' redaction on their own:
the scrape fails permanently without a request, nothing is retried, no breaker trips, and the
marker is in no log line, ledger row, ``fact_sources`` reason or alert.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from nbaprops.http import HttpClient
from nbaprops.lake import open_lake
from nbaprops.logs import configure_logging
from nbaprops.ops.alerts import Alerter
from nbaprops.pipeline.sandbox_session import SandboxSession, sandbox_session
from nbaprops.settings import load_settings
from nbaprops.sources.daily import scrape_source
from nbaprops.warehouse import RunLedger, create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse

MARKER = "MARKERleak7f3a9c"


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxSession]:
    with sandbox_session(load_settings(data_dir=tmp_path_factory.mktemp("leaks"))) as running:
        yield running


def _table_text(warehouse: DuckDBWarehouse) -> str:
    rows = []
    for table in ("run_ledger", "fact_sources", "alerts"):
        rows += warehouse.query_rows(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
    return repr(rows)


def test_crlf_bdl_key_fails_once_permanently_and_leaks_nowhere(
    session: SandboxSession, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = session.settings.model_copy(update={"bdl_api_key": SecretStr(MARKER + "\r")})
    configure_logging(settings)
    caplog.set_level(logging.DEBUG)
    warehouse = DuckDBWarehouse(":memory:", query_timeout_s=30)
    create_schema(warehouse)
    day = session.clock.now().date() - timedelta(days=1)
    with capture_logs() as events, HttpClient.from_settings(settings) as http:
        report = scrape_source(
            settings,
            "bdl",
            day,
            http=http,
            lake=open_lake(settings),
            ledger=RunLedger(warehouse),
            alerter=Alerter(warehouse),
            now=session.clock.now(),
        )
        breakers = http.breaker_states()
    failed = [s for s in report.steps if s.status == "failed"]
    assert failed, "every BDL step needs the key"
    assert all("ConfigError" in (s.error or "") for s in failed), [s.error for s in failed]
    assert not [e for e in events if e["event"] == "http.retry"], "a bad header is never retried"
    assert "open" not in breakers.values()
    stderr = capsys.readouterr().err
    texts = [repr(report.to_dict()), repr(events), caplog.text, stderr, _table_text(warehouse)]
    assert all(MARKER not in text for text in texts)
    warehouse.close()


@pytest.mark.parametrize("value", [MARKER + "\r", MARKER + "é"])
def test_cli_refuses_a_bad_key_in_one_line_without_quoting_it(value: str, tmp_path: object) -> None:
    env = {"PATH": "/usr/bin:/bin", "NBAPROPS_BDL_API_KEY": value, "NBAPROPS_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "nbaprops", "scrape", "bdl", "--date", "2026-01-15"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("nbaprops: error: invalid settings: NBAPROPS_BDL_API_KEY")
    assert MARKER not in result.stderr


def test_a_bugs_traceback_is_printed_with_remembered_secrets_masked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from nbaprops.cli import _redacted_excepthook
    from nbaprops.secrets import remember_secrets

    def bug() -> None:
        raise KeyError(f"header {(MARKER + chr(13)).encode()!r}")

    remember_secrets([MARKER])
    try:
        bug()
    except KeyError as exc:
        _redacted_excepthook(type(exc), exc, exc.__traceback__)
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "KeyError" in err
    assert MARKER not in err
