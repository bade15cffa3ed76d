"""Every source endpoint × every sandbox fault, through the real scrape over loopback HTTP.

For each case one fault is queued on the endpoint's path and the endpoint's source is scraped. The
outcome is read from the scrape report, the ``run_ledger`` row and the alerts:

* transient faults (a hang past the deadline, a 5xx burst, 429 with Retry-After) are retried and
  the step succeeds with rows: **recovered**;
* body faults (truncated, malformed, empty-but-200, a renamed field) end in a step that failed or
  is degraded, with a one-line reason in its ledger row (**failed** / **degraded**), or in one
  that still delivered every row (a retried truncation, a rename of a field nobody reads):
  **recovered**. A step never succeeds with zero rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from faults_world import World
from outcomes import OUTPUTS, SCANNED, record
from structlog.testing import capture_logs

from nbaprops.dates import et_datetime
from nbaprops.http import HttpClient
from nbaprops.lake import open_lake
from nbaprops.ops.alerts import Alerter
from nbaprops.sandbox.faults import FAULT_KINDS
from nbaprops.sources.daily import ScrapeReport, scrape_source
from nbaprops.warehouse import RunLedger, create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse

TRANSIENT = frozenset({"hang", "server_error", "rate_limit"})
BURST = 3  # a 5xx burst: three failures in a row, recovered on the fourth attempt


@dataclass(frozen=True)
class Endpoint:
    source: str  # what ``nbaprops scrape`` is run for
    step: str  # the ledger step (``scrape.<step>``) that calls the endpoint
    prefix: str  # the request path the fault is queued on
    live: bool = False  # scraped on the morning of a game day (else the morning after it)


ENDPOINTS = (
    Endpoint("nbacom", "nbacom.schedule", "/static/json/staticData/scheduleLeagueV2.json"),
    Endpoint("nbacom", "nbacom.leaguegamelog", "/stats/leaguegamelog"),
    Endpoint("nbacom", "nbacom.scoreboardv2", "/stats/scoreboardv2"),
    Endpoint("nbacom", "nbacom.playerindex", "/stats/playerindex"),
    Endpoint("nbacom", "nbacom.playbyplay", "/static/json/liveData/playbyplay/"),
    Endpoint("injury_report", "nbacom.injury_report", "/referee/injury/", live=True),
    Endpoint("bdl", "bdl.teams", "/v1/teams"),
    Endpoint("bdl", "bdl.games", "/v1/games"),
    Endpoint("bdl", "bdl.box_scores", "/v1/box_scores"),
    Endpoint("bdl", "bdl.player_injuries", "/v1/player_injuries"),
    Endpoint("bdl", "bdl.players_active", "/v1/players/active"),
    Endpoint("oddsapi", "oddsapi.events", "/v4/sports/basketball_nba/events", live=True),
    Endpoint("oddsapi", "oddsapi.event_odds", "/v4/sports/basketball_nba/events/", live=True),
    Endpoint("oddsapi", "oddsapi.historical_events", "/v4/historical/sports/basketball_nba/events"),
    Endpoint("oddsapi", "oddsapi.historical_event_odds", "/v4/historical/sports/basketball_nba/events/"),
    Endpoint("espn", "espn.scoreboard", "/apis/site/v2/sports/basketball/nba/scoreboard", live=True),
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBWarehouse]:
    path = tmp_path_factory.mktemp("endpoint-faults") / "warehouse.duckdb"
    SCANNED.append(path.parent)
    with DuckDBWarehouse(str(path), query_timeout_s=60) as wh:
        create_schema(wh)
        yield wh


def _scrape(world: World, warehouse: DuckDBWarehouse, endpoint: Endpoint, lake_dir: Path) -> ScrapeReport:
    now = et_datetime(world.day, 11, 0) if endpoint.live else world.now
    world.session.clock.set(now)
    settings = world.session.settings.model_copy(
        update={
            "data_dir": lake_dir,
            "lake_url": str(lake_dir / "lake"),
            "http_deadline_s": 1.0,
            "http_backoff_base_s": 0.01,
            "http_backoff_cap_s": 0.05,
            "http_retry_budget_s": 10.0,
        }
    )
    with HttpClient.from_settings(settings) as http:
        return scrape_source(
            settings,
            endpoint.source,
            world.day,
            http=http,
            lake=open_lake(settings),
            ledger=RunLedger(warehouse),
            alerter=Alerter(warehouse),
            warehouse=warehouse,
            now=now,
        )


@pytest.mark.parametrize("kind", FAULT_KINDS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.step)
def test_every_endpoint_fault_is_recovered_or_reported_never_a_zero_row_success(
    world: World,
    warehouse: DuckDBWarehouse,
    endpoint: Endpoint,
    kind: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    plan = world.faults
    plan.clear()
    plan.queue(endpoint.prefix, kind, BURST if kind == "server_error" else 1)
    began = datetime.now(tz=world.now.tzinfo)
    lake_dir = tmp_path_factory.mktemp("endpoint-lake")
    SCANNED.append(lake_dir)
    with capture_logs() as events:
        report = _scrape(world, warehouse, endpoint, lake_dir)
    OUTPUTS.append(repr(events))
    assert plan.queued() == [], f"{endpoint.step} never requested {endpoint.prefix}"
    steps = [s for s in report.steps if s.step == endpoint.step]  # ESPN runs twice: schedule, scores
    assert steps, f"{endpoint.step} did not run"
    ledger = warehouse.query_rows(
        "SELECT status, rows_out, error FROM run_ledger WHERE step = ? AND started_at >= ? "
        "ORDER BY started_at",
        [f"scrape.{endpoint.step}", began],
    )
    assert [row[0] for row in ledger] == [s.status for s in steps]
    alerts = sorted(
        {r[0] for r in warehouse.query_rows("SELECT kind FROM alerts WHERE raised_at >= ?", [began])}
    )
    for status, rows_out, _ in ledger:
        assert not (status == "success" and not rows_out), f"{endpoint.step} {kind}: success with 0 rows"
    worst = next((row for row in ledger if row[0] != "success"), ledger[-1])
    status, rows_out, error = worst
    if kind in TRANSIENT:
        assert status == "success", f"{endpoint.step} {kind}: {error}"
        outcome = "recovered"
    elif status == "success":
        outcome = "recovered"
    else:
        assert status in {"failed", "degraded"}, f"{endpoint.step} {kind}: {status}"
        assert error, f"{endpoint.step} {kind}: {status} without a reason"
        assert "\n" not in error.strip(), "the reason is one line"
        if any(s.rescued_by is not None for s in steps):
            assert "source_fallback" in alerts
        outcome = status
    detail = (error or f"{rows_out} rows").splitlines()[0][:70]
    if alerts:
        detail += f" [alerts: {', '.join(alerts)}]"
    record("endpoint fault", f"{endpoint.step} × {kind}", outcome, detail)


def test_the_matrix_covers_every_declared_endpoint() -> None:
    from nbaprops.raw.ingest import lake_kinds

    declared = {f"{source}.{name}" for source, name in lake_kinds()}
    assert declared == {e.step for e in ENDPOINTS}
