"""A parser or decoder that raises an untyped error fails that one step, typed and recorded.

The scrape of a finished game day runs over the loopback sandbox with two parsers broken the way
real bytes break them: the scoreboard's raises ``ValueError`` (an optional fact: the step is
degraded) and the box score's raises ``EOFError`` (what ``gzip`` raises on a cut stream; a
required fact: the step fails and Ball Don't Lie serves the box scores instead). Each is a
``PayloadError`` in its ledger row, ``fact_sources`` and an alert; every later step still runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from faults_world import World
from outcomes import SCANNED, record

from nbaprops.http import HttpClient
from nbaprops.lake import open_lake
from nbaprops.ops.alerts import Alerter
from nbaprops.raw.registry import Row, parsers
from nbaprops.sources.daily import ScrapeReport, scrape_source
from nbaprops.warehouse import RunLedger, create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse

BROKEN = {
    "nbac_scoreboard_v2": ValueError("could not convert string to float: 'N/A'"),
    "nbac_player_boxscore": EOFError("Compressed file ended before the end-of-stream marker was reached"),
}


@pytest.fixture
def scraped(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ScrapeReport, DuckDBWarehouse]]:
    for kind, error in BROKEN.items():

        def broken(payload: bytes, error: Exception = error) -> list[Row]:
            raise error

        monkeypatch.setitem(parsers(), kind, replace(parsers()[kind], parse=broken))
    SCANNED.append(tmp_path)
    world.faults.clear()
    world.session.clock.set(world.now)
    settings = world.session.settings.model_copy(
        update={"data_dir": tmp_path, "lake_url": str(tmp_path / "lake")}
    )
    with (
        DuckDBWarehouse(str(tmp_path / "warehouse.duckdb"), query_timeout_s=60) as warehouse,
        HttpClient.from_settings(settings) as http,
    ):
        create_schema(warehouse)
        report = scrape_source(
            settings,
            "all",
            world.day,
            http=http,
            lake=open_lake(settings),
            ledger=RunLedger(warehouse),
            alerter=Alerter(warehouse),
            warehouse=warehouse,
            now=world.now,
        )
        yield report, warehouse


def test_an_untyped_parser_error_fails_only_its_own_step(
    scraped: tuple[ScrapeReport, DuckDBWarehouse],
) -> None:
    report, warehouse = scraped
    outcomes = {s.step: (s.status, s.error or "") for s in report.steps}
    status, error = outcomes["nbacom.scoreboardv2"]
    assert status == "degraded"
    assert error.startswith("PayloadError: scrape.nbacom.scoreboardv2: reading the answer raised ValueError")
    status, error = outcomes["nbacom.leaguegamelog"]
    assert "EOFError" in error
    assert report.served_by("box_scores") == "bdl"  # the fallback served the required fact
    # Every step after them ran: play-by-play, the player index, ESPN, the odds.
    assert {"nbacom.playbyplay", "nbacom.playerindex", "espn.scoreboard"} <= set(outcomes)
    assert any(step.startswith("oddsapi.") for step in outcomes)
    ledger = dict(
        warehouse.query_rows(
            "SELECT step, status || ' ' || error FROM run_ledger WHERE step IN "
            "('scrape.nbacom.scoreboardv2', 'scrape.nbacom.leaguegamelog')"
        )
    )
    assert "reading the answer raised ValueError" in ledger["scrape.nbacom.scoreboardv2"]
    assert ledger["scrape.nbacom.leaguegamelog"].startswith(
        "failed PayloadError: scrape.nbacom.leaguegamelog: reading the answer raised EOFError"
    )
    for step, line in ledger.items():
        record("untyped parser error", step, line.split()[0], line.split(" ", 1)[1][:70])
    sources = warehouse.query_rows(
        "SELECT fact, source, status FROM fact_sources WHERE fact IN ('scoreboard', 'box_scores') "
        "ORDER BY ALL"
    )
    assert ("scoreboard", "nbacom", "degraded") in sources
    assert ("box_scores", "nbacom", "failed") in sources
    alerts = {r[0] for r in warehouse.query_rows("SELECT kind FROM alerts")}
    assert "source_fallback" in alerts
