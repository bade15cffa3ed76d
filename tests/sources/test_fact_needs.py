"""Required and optional facts over the loopback sandbox: degraded dates go on, missing required ones fail.

Each test gets its own lake and warehouse, so nothing one test bought or stored hides another's.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, MutableMapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest
from structlog.testing import capture_logs

from nbaprops.dates import EASTERN
from nbaprops.http import HttpClient
from nbaprops.lake import open_lake
from nbaprops.ops.alerts import Alerter
from nbaprops.pipeline.sandbox_session import SandboxSession, pointed_settings, sandbox_session
from nbaprops.sandbox.server import SANDBOX_BDL_KEY, SANDBOX_ODDS_KEY
from nbaprops.settings import Settings, load_settings
from nbaprops.sources.daily import ScrapeReport, scrape_source
from nbaprops.sources.facts import FACT_NEEDS, DayFact, Use
from nbaprops.sources.odds_day import covering, held_snapshots
from nbaprops.warehouse import RunLedger, create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sources.md"
EVENT_ODDS = "/v4/sports/basketball_nba/events/"
HISTORICAL_EVENT_ODDS = "/v4/historical/sports/basketball_nba/events/"
PLAY_BY_PLAY = "/static/json/liveData/playbyplay/"


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxSession]:
    with sandbox_session(load_settings(data_dir=tmp_path_factory.mktemp("needs"))) as running:
        yield running


@pytest.fixture
def settings(session: SandboxSession, tmp_path: Path) -> Iterator[Settings]:
    """Settings pointed at the sandbox with a lake of this test's own; faults cleared after."""
    fresh = load_settings(data_dir=tmp_path / "data", http_backoff_base_s=0.05, log_level="ERROR")
    yield pointed_settings(fresh, session.base_url, bdl_key=SANDBOX_BDL_KEY, odds_key=SANDBOX_ODDS_KEY)
    httpx.delete(f"{session.base_url}/_sandbox/faults", timeout=5).raise_for_status()


@pytest.fixture
def warehouse() -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(":memory:", query_timeout_s=30)
    create_schema(wh)
    yield wh
    wh.close()


def _queue(session: SandboxSession, prefix: str, kind: str, count: int = 1) -> None:
    answer = httpx.post(
        f"{session.base_url}/_sandbox/faults",
        json={"prefix": prefix, "kind": kind, "count": count},
        timeout=5,
    )
    answer.raise_for_status()


def _scrape(
    session: SandboxSession,
    settings: Settings,
    warehouse: DuckDBWarehouse,
    day: date,
    use: Use,
    *,
    source: str = "all",
) -> ScrapeReport:
    with HttpClient.from_settings(settings) as http:
        return scrape_source(
            settings,
            source,
            day,
            http=http,
            lake=open_lake(settings),
            ledger=RunLedger(warehouse),
            alerter=Alerter(warehouse),
            warehouse=warehouse,
            now=session.clock.now(),
            use=use,
        )


def _yesterday(session: SandboxSession) -> date:
    return session.clock.now().date() - timedelta(days=1)


def _no_traceback(events: list[MutableMapping[str, Any]]) -> None:
    assert not [e["event"] for e in events if e.get("exc_info")]


# --- the table ------------------------------------------------------------------------------------


def test_every_fact_is_declared_for_both_uses_and_docs_sources_mirrors_the_table() -> None:
    assert set(FACT_NEEDS) == set(get_args(DayFact))
    documented = {
        m["fact"]: (m["live"], m["history"])
        for m in re.finditer(
            r"^\| `(?P<fact>\w+)` \| (?P<live>required|optional) \| (?P<history>required|optional) \|",
            DOCS.read_text(encoding="utf-8"),
            re.MULTILINE,
        )
    }
    assert documented == {fact: (n.live, n.history) for fact, n in FACT_NEEDS.items()}
    assert FACT_NEEDS["box_scores"].of("history") == "required"
    assert FACT_NEEDS["play_by_play"].of("live") == "optional"


# --- optional facts degrade, required ones fail ----------------------------------------------------


def test_player_index_and_play_by_play_404_degrade_a_history_date_with_one_warning_each(
    session: SandboxSession, settings: Settings, warehouse: DuckDBWarehouse
) -> None:
    _queue(session, "/stats/playerindex", "not_found")
    _queue(session, PLAY_BY_PLAY, "not_found")
    with capture_logs() as events:
        report = _scrape(session, settings, warehouse, _yesterday(session), "history")
    assert report.problems == []
    assert {s.fact for s in report.degraded} == {"player_index", "play_by_play"}
    assert report.served_by("box_scores") == "nbacom"
    ledger = dict(
        warehouse.query_rows(
            "SELECT step, status FROM run_ledger "
            "WHERE step IN ('scrape.nbacom.playerindex', 'scrape.nbacom.playbyplay')"
        )
    )
    assert ledger == {"scrape.nbacom.playerindex": "degraded", "scrape.nbacom.playbyplay": "degraded"}
    reasons = dict(
        warehouse.query_rows("SELECT fact, reason FROM fact_sources WHERE status = 'degraded' ORDER BY fact")
    )
    assert set(reasons) == {"player_index", "play_by_play"}
    assert all(r.startswith("not_served: ") and "404" in r for r in reasons.values())
    degraded_lines = [e for e in events if e["event"] == "step.degraded"]
    assert len(degraded_lines) == 2
    assert all(e["log_level"] == "warning" for e in degraded_lines)
    assert not [
        e for e in events if isinstance(e.get("game_date"), date)
    ]  # ISO text in logs, never date(...)
    _no_traceback(events)
    assert report.to_dict()["degraded"][0]["fact"] == "play_by_play"


def test_a_missing_injury_pdf_only_degrades_history_but_fails_a_live_date(
    session: SandboxSession, settings: Settings, warehouse: DuckDBWarehouse
) -> None:
    only_pdf = settings.model_copy(update={"injury_sources": "nbacom"})
    _queue(session, "/referee/injury/", "not_found", count=6)
    history = _scrape(session, only_pdf, warehouse, _yesterday(session), "history")
    assert history.problems == []
    assert [s.fact for s in history.degraded] == ["injuries"]
    _queue(session, "/referee/injury/", "not_found", count=6)
    live = _scrape(session, only_pdf, warehouse, _yesterday(session), "live")
    [problem] = live.problems
    assert problem.step == "nbacom.injury_report"
    assert "ReportNotFound" in (problem.error or "")
    statuses = warehouse.query_rows(
        "SELECT status FROM fact_sources WHERE fact = 'injuries' AND source = 'nbacom'"
    )
    assert statuses == [("failed",)]  # the live verdict replaced the history one (same key)


@pytest.mark.parametrize("fault", ["empty", "not_found"])
def test_one_event_without_props_yet_degrades_a_live_date_with_the_count(
    session: SandboxSession, settings: Settings, warehouse: DuckDBWarehouse, fault: str
) -> None:
    today = session.clock.now().date()
    _queue(session, EVENT_ODDS, fault)
    live = _scrape(session, settings, warehouse, today, "live", source="oddsapi")
    assert live.problems == []
    [degraded] = live.degraded
    assert degraded.step == "oddsapi.event_odds"
    found = re.search(r"props posted for (\d+) of (\d+) events listed", degraded.error or "")
    assert found is not None
    assert int(found[1]) == int(found[2]) - 1
    assert degraded.rows > 0  # the lines that were posted are kept
    [(status, reason)] = warehouse.query_rows(
        "SELECT status, reason FROM fact_sources WHERE fact = 'props' AND source = 'oddsapi'"
    )
    assert status == "degraded"
    assert found[0] in reason


def test_no_event_with_props_fails_a_live_date(
    session: SandboxSession, settings: Settings, warehouse: DuckDBWarehouse
) -> None:
    today = session.clock.now().date()
    _queue(session, EVENT_ODDS, "empty", count=100)
    live = _scrape(session, settings, warehouse, today, "live", source="oddsapi")
    [problem] = live.problems
    assert problem.step == "oddsapi.event_odds"
    found = re.search(r"(\d+) of (\d+) snapshots came back without rows", problem.error or "")
    assert found is not None
    assert found[1] == found[2]


def test_one_event_without_lines_degrades_props_in_history(
    session: SandboxSession, settings: Settings, warehouse: DuckDBWarehouse
) -> None:
    _queue(session, HISTORICAL_EVENT_ODDS, "empty")
    history = _scrape(session, settings, warehouse, _yesterday(session), "history", source="oddsapi")
    assert history.problems == []
    [degraded] = history.degraded
    assert degraded.step == "oddsapi.historical_event_odds"
    assert re.search(r"1 of \d+ snapshots came back without rows", degraded.error or "")


def test_one_game_without_play_by_play_rows_is_degraded_not_a_success(
    session: SandboxSession, settings: Settings, warehouse: DuckDBWarehouse
) -> None:
    _queue(session, PLAY_BY_PLAY, "empty")
    report = _scrape(session, settings, warehouse, _yesterday(session), "live", source="nbacom")
    [step] = [s for s in report.steps if s.step == "nbacom.playbyplay"]
    assert step.status == "degraded"
    assert re.search(r"1 of \d+ games came back without rows", step.error or "")


# --- the schedule: an empty fallback is never "no games" -------------------------------------------


def test_a_malformed_nbacom_schedule_and_empty_bdl_games_are_not_read_as_no_games(
    session: SandboxSession, settings: Settings, warehouse: DuckDBWarehouse
) -> None:
    _queue(session, "/static/json/staticData/scheduleLeagueV2", "malformed")
    _queue(session, "/v1/games", "empty")
    report = _scrape(session, settings, warehouse, _yesterday(session), "live")
    assert report.served_by("schedule") == "espn"
    bdl = next(s for s in report.steps if s.step == "bdl.games")
    assert bdl.status == "failed"
    assert "lists no games" in (bdl.error or "")
    box = next(s for s in report.steps if s.step == "nbacom.leaguegamelog")
    assert box.status == "success"
    assert box.rows > 0


def test_a_single_source_scrape_with_an_empty_schedule_fails(
    session: SandboxSession, settings: Settings, warehouse: DuckDBWarehouse
) -> None:
    _queue(session, "/apis/site/v2/sports/basketball/nba/scoreboard", "empty")
    espn = _scrape(session, settings, warehouse, _yesterday(session), "live", source="espn")
    assert [p.step for p in espn.problems] == ["espn.scoreboard"]
    _queue(session, "/v1/games", "empty")
    bdl = _scrape(session, settings, warehouse, _yesterday(session), "live", source="bdl")
    assert "bdl.games" in [p.step for p in bdl.problems]


def test_a_renamed_bdl_status_is_schema_drift_not_unfinished_games(
    session: SandboxSession, settings: Settings, warehouse: DuckDBWarehouse
) -> None:
    _queue(session, "/v1/games", "rename")
    report = _scrape(session, settings, warehouse, _yesterday(session), "live", source="bdl")
    games = next(s for s in report.steps if s.step == "bdl.games")
    assert games.status == "failed"
    assert "SchemaDrift" in (games.error or "")
    assert report.problems


# --- odds snapshots ---------------------------------------------------------------------------------


def test_history_buys_opening_prediction_and_pretip_lines_once_each(
    session: SandboxSession, settings: Settings, warehouse: DuckDBWarehouse
) -> None:
    day = _yesterday(session)
    first = _scrape(session, settings, warehouse, day, "history", source="oddsapi")
    assert first.problems == []
    assert first.degraded == []
    lake = open_lake(settings)
    held = held_snapshots(lake, "historical_event_odds", day)
    tips = {g.odds_event_id: g.tip_utc for g in session.season.games_by_date[day]}
    for event_id, tip in tips.items():
        wanted = settings.odds_snapshot_times(day, tip)
        assert [t.astimezone(EASTERN).strftime("%H:%M") for t in wanted][:2] == ["10:00", "11:00"]
        assert wanted[-1] == tip - timedelta(minutes=30)
        assert all(covering(held, event_id, at) is not None for at in wanted)
    # Requests that fall on one snapshot (the sandbox's books move at 10:00, 14:00, T-60, T-10) buy it once.
    assert first.credits_spent == 1 + 30 * len(held) < 1 + 30 * 3 * len(tips)
    again = _scrape(session, settings, warehouse, day, "history", source="oddsapi")
    assert again.credits_spent == 0
    assert again.problems == []
    assert len(held_snapshots(lake, "historical_event_odds", day)) == len(held)


# --- the command line ---------------------------------------------------------------------------------


def test_scrape_all_exits_0_with_degraded_facts_listed_in_its_json(
    session: SandboxSession, settings: Settings, tmp_path: Path
) -> None:
    _queue(session, "/stats/playerindex", "not_found")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBAPROPS_")}
    env |= {
        f"NBAPROPS_{name.upper()}": session.base_url
        for name in (
            "nbacom_stats_base_url",
            "nbacom_cdn_base_url",
            "nbacom_injury_base_url",
            "bdl_base_url",
            "odds_base_url",
            "espn_base_url",
        )
    }
    env |= {
        "NBAPROPS_DATA_DIR": str(tmp_path / "cli"),
        "NBAPROPS_BDL_API_KEY": SANDBOX_BDL_KEY,
        "NBAPROPS_ODDS_API_KEY": SANDBOX_ODDS_KEY,
        "NBAPROPS_NBACOM_MIN_SPACING_S": "0",
        "NBAPROPS_BDL_MIN_SPACING_S": "0",
    }
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [
            sys.executable,
            "-m",
            "nbaprops",
            "scrape",
            "all",
            "--date",
            _yesterday(session).isoformat(),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["problems"] == 0
    assert [d["fact"] for d in report["degraded"]] == ["player_index"]
    assert report["credits_spent"] > 0  # the wall clock is past every sandbox tip: history routes
