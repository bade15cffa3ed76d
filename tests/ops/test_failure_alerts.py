"""Every failed or degraded ledger step raises an alert of its failure class."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest

from nbaprops.errors import CircuitOpen, QualityGateError
from nbaprops.ops.failures import classify
from nbaprops.warehouse import create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse
from nbaprops.warehouse.ledger import RunLedger

DAY = date(2025, 11, 3)


@pytest.fixture
def warehouse() -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(":memory:", query_timeout_s=10)
    create_schema(wh)
    yield wh
    wh.close()


def _alerts(warehouse: DuckDBWarehouse) -> list[tuple[str, str, dict[str, str]]]:
    rows = warehouse.query_rows("SELECT kind, severity, context FROM alerts ORDER BY raised_at")
    return [(k, s, json.loads(c)) for k, s, c in rows]


def test_a_step_that_wrote_no_rows_raises_zero_rows_naming_step_date_and_run(
    warehouse: DuckDBWarehouse,
) -> None:
    ledger = RunLedger(warehouse)
    with pytest.raises(QualityGateError), ledger.step("ingest", game_date=DAY) as run:
        run.require_rows()  # rows_out was never set: nothing written
    [(kind, severity, context)] = _alerts(warehouse)
    assert (kind, severity) == ("zero_rows", "error")
    assert context["step"] == "ingest"
    assert context["game_date"] == "2025-11-03"
    assert context["run_id"] == run.run_id


def test_an_open_breaker_and_a_degraded_fact_have_their_own_classes(warehouse: DuckDBWarehouse) -> None:
    ledger = RunLedger(warehouse)
    with pytest.raises(CircuitOpen), ledger.step("scrape.bdl.box_scores", game_date=DAY):
        raise CircuitOpen("api.balldontlie.io: circuit open after 5 failures")
    with ledger.step("scrape.nbacom.playbyplay", game_date=DAY) as run:
        run.degrade("play-by-play 404 for every game")
    assert [(k, s) for k, s, _ in _alerts(warehouse)] == [
        ("breaker_open", "error"),
        ("degraded_fact", "warning"),
    ]


def test_a_successful_or_skipped_step_raises_nothing(warehouse: DuckDBWarehouse) -> None:
    ledger = RunLedger(warehouse)
    with ledger.step("build", game_date=DAY) as run:
        run.rows_out = 3
    with ledger.step("grade", game_date=DAY) as run:
        run.skip("no games")
    assert warehouse.row_count("alerts") == 0


@pytest.mark.parametrize(
    ("status", "error", "kind"),
    [
        (
            "failed",
            "QualityGateError: build blocked: no box scores for played games on [2025-11-03]",
            "gate_blocked",
        ),
        ("failed", "SourceUnavailable: HTTP 503", "step_failed"),
        ("failed", "QualityGateError: predict 2025-11-01: 1 of 4 batch(es) failed", "step_failed"),
        ("failed", "nbacom/playbyplay: 2 of 9 games came back without rows (a, b)", "partial_rows"),
        ("degraded", "nbacom/playbyplay: 2 of 9 games came back without rows (a, b)", "partial_rows"),
    ],
)
def test_classes_follow_the_error_text(status: str, error: str, kind: str) -> None:
    assert classify(status, error)[0] == kind
