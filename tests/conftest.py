"""Shared test fixtures: paths to the real captures and a fresh settings object."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

ROOT = Path(__file__).resolve().parents[1]
REAL_FIXTURES = ROOT / "tests" / "fixtures" / "real"


@pytest.fixture(scope="session")
def real_fixtures() -> Path:
    """The folder of real API captures (tests/fixtures/real); its absence is a failure, not a skip."""
    assert REAL_FIXTURES.is_dir(), f"real fixtures missing at {REAL_FIXTURES}"
    return REAL_FIXTURES


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's NBAPROPS_* variables; each gets its own data folder."""
    import os

    for key in list(os.environ):
        if key.upper().startswith("NBAPROPS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("NBAPROPS_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="session")
def sandbox_season():  # type: ignore[no-untyped-def]
    """The default sandbox season (seed 2025, 2025-26), generated once per test session."""
    from nbaprops.sandbox.simulator import generate_season

    return generate_season(2025, "2025-26")


@pytest.fixture(autouse=True)
def _reset_structlog():  # type: ignore[no-untyped-def]
    """Each test starts from structlog's defaults with no log file open, whatever ran before."""
    import structlog

    from nbaprops.logs import reset_logging

    yield
    structlog.reset_defaults()
    reset_logging()


@pytest.fixture(scope="session")
def bigquery_fake():  # type: ignore[no-untyped-def]
    """The fake BigQuery REST endpoint on loopback (tests/bqfake.py), one per session."""
    from bqfake import FakeBigQuery

    fake = FakeBigQuery().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def gcs_emulator():  # type: ignore[no-untyped-def]
    """A local Cloud Storage emulator on loopback (tests/gcsemu.py), one per session; its URL."""
    from gcsemu import start_emulator

    emulator = start_emulator()
    yield emulator.url
    emulator.stop()


@pytest.fixture
def memory_warehouse() -> Iterator[DuckDBWarehouse]:
    """A fresh in-memory DuckDB warehouse holding every table of the current schema."""
    from nbaprops.warehouse import create_schema
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    warehouse = DuckDBWarehouse(":memory:", query_timeout_s=30)
    create_schema(warehouse)
    yield warehouse
    warehouse.close()
