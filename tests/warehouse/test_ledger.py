"""The run ledger records every step's outcome; zero rows where rows were due is a failure."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bqfake import open_backend
from nbaprops.errors import PayloadError, QualityGateError
from nbaprops.warehouse import RunLedger, create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse
from nbaprops.warehouse.ledger import abandon_dead_runs

DAY = date(2025, 1, 15)


@pytest.fixture(params=["duckdb", "bigquery"])
def ledger(request: pytest.FixtureRequest) -> Iterator[RunLedger]:
    """The ledger on each backend (BigQuery through the fake REST endpoint)."""
    wh = open_backend(request.param, request)
    yield RunLedger(wh)
    wh.close()


def test_successful_step_records_rows_and_times(ledger: RunLedger) -> None:
    with ledger.step("ingest", game_date=DAY, details={"source": "sandbox"}) as run:
        assert ledger.recent()[0].status == "running"
        run.rows_in = 3
        run.rows_out = 450
        run.require_rows()
    [entry] = ledger.recent()
    assert entry.status == "success"
    assert (entry.step, entry.game_date, entry.rows_in, entry.rows_out) == ("ingest", DAY, 3, 450)
    assert entry.finished_at is not None
    assert entry.finished_at >= entry.started_at
    assert entry.started_at.tzinfo is not None
    assert entry.error is None
    assert entry.details == {"source": "sandbox"}


def test_failing_step_is_recorded_with_its_error_and_reraised(ledger: RunLedger) -> None:
    with pytest.raises(PayloadError, match="truncated"), ledger.step("parse", game_date=DAY):
        raise PayloadError("truncated JSON at byte 812")
    [entry] = ledger.recent()
    assert entry.status == "failed"
    assert entry.error == "PayloadError: truncated JSON at byte 812"
    assert entry.finished_at is not None


def _load_nothing(ledger: RunLedger) -> None:
    with ledger.step("raw_load", game_date=DAY) as run:
        run.rows_out = 0
        run.require_rows()


def test_require_rows_fails_a_step_that_wrote_nothing(ledger: RunLedger) -> None:
    with pytest.raises(QualityGateError, match="0 rows"):
        _load_nothing(ledger)
    [entry] = ledger.recent()
    assert entry.status == "failed"
    assert entry.rows_out == 0
    assert entry.error is not None
    assert entry.error.startswith("QualityGateError")


def test_skipped_step_is_recorded_as_skipped(ledger: RunLedger) -> None:
    with ledger.step("predict", game_date=DAY) as run:
        run.skip("no games on this date")
    [entry] = ledger.recent()
    assert (entry.status, entry.error) == ("skipped", "no games on this date")


def test_recent_filters_by_step_and_limits_newest_first(ledger: RunLedger) -> None:
    for n in range(3):
        with ledger.step("ingest", game_date=date(2025, 1, 10 + n)) as run:
            run.rows_out = n + 1
    with ledger.step("grade"):
        pass
    assert [e.step for e in ledger.recent(step="grade")] == ["grade"]
    latest_two = ledger.recent(step="ingest", limit=2)
    assert [e.game_date for e in latest_two] == [date(2025, 1, 12), date(2025, 1, 11)]
    assert len(ledger.recent()) == 4


_KILLED_MID_STEP = """
import os, signal, sys
from nbaprops.warehouse import RunLedger, create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse
wh = DuckDBWarehouse(sys.argv[1], query_timeout_s=5)
create_schema(wh)
with RunLedger(wh).step("ingest"):
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_step_whose_process_was_killed_is_marked_abandoned_at_the_next_start(tmp_path: Path) -> None:
    path = str(tmp_path / "wh.duckdb")
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", _KILLED_MID_STEP, path], capture_output=True, timeout=120, check=False
    )
    assert done.returncode == -signal.SIGKILL
    with DuckDBWarehouse(path, query_timeout_s=30) as wh:
        assert [e.status for e in RunLedger(wh).recent()] == ["running"]
        create_schema(wh)
        [entry] = RunLedger(wh).recent()
        assert entry.status == "abandoned"
        assert entry.error is not None
        assert "killed" in entry.error
        assert entry.finished_at is not None


def test_a_step_of_a_live_process_is_not_abandoned(ledger: RunLedger) -> None:
    with ledger.step("build"):
        assert abandon_dead_runs(ledger._warehouse) == 0
        assert ledger.recent()[0].status == "running"
    assert ledger.recent()[0].status == "success"
