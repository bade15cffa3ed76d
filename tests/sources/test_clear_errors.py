"""Broken answers end in typed, one-line errors, never a traceback or an aborted scrape.

HTTP goes to the sandbox over loopback; its fault knobs make the malformed answers.
"""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from structlog.testing import capture_logs

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.http import HttpClient, Response
from nbaprops.lake import open_lake
from nbaprops.ops.alerts import Alerter
from nbaprops.pipeline.sandbox_session import SandboxSession, sandbox_session
from nbaprops.settings import load_settings
from nbaprops.sources import balldontlie, nbacom
from nbaprops.sources.base import Fetched, Fetcher
from nbaprops.sources.daily import DayScrape, ScrapeReport, scrape_source
from nbaprops.sources.facts import Collected, parsed_rows
from nbaprops.sources.oddsapi import OddsScraper, credits_header
from nbaprops.warehouse import RunLedger, create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxSession]:
    with sandbox_session(load_settings(data_dir=tmp_path_factory.mktemp("clear"))) as running:
        yield running


@pytest.fixture
def warehouse() -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(":memory:", query_timeout_s=30)
    create_schema(wh)
    yield wh
    wh.close()


def _queue(session: SandboxSession, prefix: str, kind: str) -> None:
    httpx.post(
        f"{session.base_url}/_sandbox/faults", json={"prefix": prefix, "kind": kind, "count": 1}, timeout=5
    ).raise_for_status()


def test_malformed_bdl_teams_is_a_payload_error_and_the_other_steps_run(
    session: SandboxSession, warehouse: DuckDBWarehouse
) -> None:
    _queue(session, "/v1/teams", "malformed")
    settings = session.settings
    with HttpClient.from_settings(settings) as http:
        report = scrape_source(
            settings,
            "bdl",
            session.clock.now().date() - timedelta(days=1),
            http=http,
            lake=open_lake(settings),
            ledger=RunLedger(warehouse),
            alerter=Alerter(warehouse),
            now=session.clock.now(),
        )
    [problem] = [s for s in report.steps if s.status != "success"]
    assert (problem.step, problem.status) == ("bdl.teams", "degraded")
    assert (problem.error or "").startswith("PayloadError: bdl: answer is not JSON")
    assert {s.step for s in report.steps if s.status == "success"} >= {"bdl.players_active", "bdl.games"}


def _scrape(session: SandboxSession, warehouse: DuckDBWarehouse, http: HttpClient) -> DayScrape:
    return DayScrape(
        session.settings,
        session.clock.now().date(),
        http=http,
        lake=open_lake(session.settings),
        ledger=RunLedger(warehouse),
        alerter=Alerter(warehouse),
        now=session.clock.now(),
    )


def test_one_damaged_gzip_body_fails_its_step_and_the_scrape_goes_on(
    session: SandboxSession, warehouse: DuckDBWarehouse
) -> None:
    with HttpClient.from_settings(session.settings) as http:
        scrape = _scrape(session, warehouse, http)
        report = ScrapeReport("nbacom", scrape.day)
        good = nbacom.fetch_schedule(scrape.fetcher)
        damaged_body = gzip.compress(good.response.content)[:-100]
        damaged = Fetched(good.endpoint, good.obj, Response(200, {}, damaged_body, "x", 0.0, 1))
        scrape.step(
            report,
            "damaged",
            lambda: Collected([damaged], len(parsed_rows(damaged))),
            fact="schedule",
            game_date=None,
        )
        scrape.step(
            report, "good", lambda: Collected([good], len(parsed_rows(good))), fact="schedule", game_date=None
        )
    assert [s.status for s in report.steps] == ["failed", "success"]
    assert (report.steps[0].error or "").startswith(
        "PayloadError: nbac_schedule_api: gzip stream is truncated"
    )


@pytest.mark.parametrize("bad", ["../../../v4/sports", "0a25fa87e6a970c44bd5770e4b54440f/../x", "", "ABC"])
def test_an_event_id_that_is_not_hex_never_reaches_a_url(
    session: SandboxSession, warehouse: DuckDBWarehouse, bad: str
) -> None:
    with HttpClient.from_settings(session.settings) as http, capture_logs() as events:
        odds = OddsScraper(Fetcher(session.settings, http, open_lake(session.settings)), session.settings)
        with pytest.raises(PayloadError, match=r"event_id .* is not a valid event_id; not requested"):
            odds.event_odds(session.clock.now().date(), bad)
    assert not [e for e in events if e["event"] == "http.request"]


def test_a_game_id_from_a_payload_is_checked_before_it_enters_the_path(
    session: SandboxSession, warehouse: DuckDBWarehouse
) -> None:
    with HttpClient.from_settings(session.settings) as http:
        fetcher = Fetcher(session.settings, http, open_lake(session.settings))
        with pytest.raises(PayloadError, match=re.escape("game_id '../../x' is not a valid game_id")):
            nbacom.fetch_play_by_play(fetcher, session.clock.now().date(), ["../../x"])


@pytest.mark.parametrize(("value", "count"), [("497", 497), ("497.0", 497), (" 12 ", 12), ("0", 0)])
def test_credit_header_counts(value: str, count: int) -> None:
    assert credits_header(value) == count


@pytest.mark.parametrize("value", ["", "abc", "inf", "nan", "-3", "1e400"])
def test_an_unreadable_credit_header_is_schema_drift_not_a_crash(value: str) -> None:
    with pytest.raises(SchemaDrift, match="x-requests-remaining"):
        credits_header(value)


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed argv, no shell
        [sys.executable, "-m", "nbaprops", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


@pytest.mark.parametrize("command", ["backfill", "backtest", "build"])
def test_a_reversed_range_is_a_one_line_user_error(command: str) -> None:
    result = _cli(command, "--from", "2026-01-20", "--to", "2026-01-10")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "nbaprops: error: --to (2026-01-10) is before --from (2026-01-20): the range is reversed"
    )


@pytest.mark.parametrize("setting", ["NBAPROPS_LAKE_URL", "NBAPROPS_WAREHOUSE_PATH"])
def test_an_unwritable_data_folder_is_a_one_line_error(tmp_path: Path, setting: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {
        "PATH": "/usr/bin:/bin",
        "NBAPROPS_DATA_DIR": str(tmp_path / "data"),
        setting: str(blocker / "x" / "y"),
    }
    result = _cli("scrape", "espn", "--date", "2026-01-10", env=env)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("nbaprops: error: cannot create the ")
    assert "Not a directory" in line


def test_a_truncated_200_from_the_sandbox_is_retried_and_the_payload_stored_whole(
    session: SandboxSession,
) -> None:
    _queue(session, "/v1/teams", "truncate")
    settings = session.settings.model_copy(update={"http_backoff_base_s": 0.01})
    with HttpClient.from_settings(settings) as http:
        fetched = Fetcher(settings, http, open_lake(settings)).fetch(
            balldontlie.TEAMS, game_date=None, params={"per_page": 100}
        )
    assert fetched.response.attempts == 2
    assert len(parsed_rows(fetched)) >= 30
