"""The completeness gate: go / degraded / blocked per date, recorded once in the ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from factories import open_season_copy, put_rows, season_warehouse
from nbaprops.errors import QualityGateError
from nbaprops.ops.alerts import Alerter
from nbaprops.pipeline.completeness import check_completeness, full_minutes, gate
from nbaprops.warehouse.ledger import RunLedger


def test_full_minutes_accepts_regulation_and_overtimes_only() -> None:
    assert full_minutes(240)
    assert full_minutes(265)
    assert full_minutes(290)
    assert full_minutes(243)
    assert not full_minutes(200)
    assert not full_minutes(252)


def test_a_complete_range_is_go_and_recorded_in_the_ledger(tmp_path: Path) -> None:
    sw = season_warehouse()
    with open_season_copy(tmp_path) as wh:
        result = gate(wh, sw.start, sw.end, alerter=Alerter(wh))
        assert result.decision == "go"
        assert len(result.verdicts) == (sw.end - sw.start).days + 1 - sum(
            1
            for d in range((sw.end - sw.start).days + 1)
            if sw.start + timedelta(d) not in sw.season.games_by_date
        )
        (entry,) = RunLedger(wh).recent("completeness")
        assert entry.status == "success"
        assert entry.details["decision"] == "go"


def test_a_date_without_box_scores_blocks_the_build_naming_the_date(tmp_path: Path) -> None:
    sw = season_warehouse()
    day = sw.start + timedelta(days=2)
    with open_season_copy(tmp_path) as wh:
        wh.execute("DELETE FROM raw_nbac_player_boxscores WHERE game_date = ?", [day])
        wh.execute("DELETE FROM raw_bdl_box_scores WHERE game_date = ?", [day])
        with pytest.raises(QualityGateError, match=day.isoformat()):
            gate(wh, sw.start, sw.end, alerter=Alerter(wh))
        (entry,) = RunLedger(wh).recent("completeness")
        assert entry.status == "failed"
        assert [b["game_date"] for b in entry.details["blocked"]] == [day.isoformat()]


def test_fallback_source_keeps_a_date_going_and_a_missing_game_degrades_it(tmp_path: Path) -> None:
    sw = season_warehouse()
    day = sw.start + timedelta(days=1)
    with open_season_copy(tmp_path) as wh:
        wh.execute("DELETE FROM raw_nbac_player_boxscores WHERE game_date = ?", [day])
        (verdict,) = list(check_completeness(wh, day, day).verdicts)
        assert verdict.decision == "go"
        assert verdict.box_sources == ["bdl"]
        ((team,),) = wh.query_rows("SELECT min(team) FROM raw_bdl_box_scores WHERE game_date = ?", [day])
        wh.execute("DELETE FROM raw_bdl_box_scores WHERE game_date = ? AND team = ?", [day, team])
        alerter = Alerter(wh)
        result = gate(wh, day, day, alerter=alerter)
        assert result.decision == "degraded"
        assert [a.kind for a in alerter.raised] == ["completeness_degraded"]


def test_games_not_played_yet_need_no_box_scores(tmp_path: Path) -> None:
    sw = season_warehouse()
    upcoming = sw.end + timedelta(days=1)
    while upcoming not in sw.season.games_by_date:
        upcoming += timedelta(days=1)
    morning = min(g.tip_utc for g in sw.season.games_by_date[upcoming]).astimezone(UTC) - timedelta(hours=6)
    with open_season_copy(tmp_path) as wh:
        result = check_completeness(wh, upcoming, upcoming, now=morning)
        assert result.decision == "go"
        assert result.has_games()
        assert not result.has_played_games()
        later = check_completeness(wh, upcoming, upcoming, now=datetime(2030, 1, 1, tzinfo=UTC))
        assert later.decision == "blocked"


def test_a_date_only_espn_lists_still_has_its_played_games_due(tmp_path: Path) -> None:
    sw = season_warehouse()
    day = sw.start + timedelta(days=1)
    with open_season_copy(tmp_path) as wh:
        games = wh.query_rows(
            "SELECT game_id, home_team, away_team, tip_utc FROM raw_nbac_schedule WHERE game_date = ?", [day]
        )
        espn = [
            {
                "source_game_id": f"4018{i}",
                "game_date": day,
                "home_team": home,
                "away_team": away,
                "tip_utc": tip,
                "completed": True,
            }
            for i, (_, home, away, tip) in enumerate(games)
        ]
        put_rows(wh, "raw_espn_scoreboard", espn, when=datetime.now(UTC), day=day)
        for table in (
            "raw_nbac_schedule",
            "raw_bdl_games",
            "raw_nbac_player_boxscores",
            "raw_bdl_box_scores",
        ):
            wh.execute(f"DELETE FROM {table} WHERE game_date = ?", [day])  # noqa: S608
        (verdict,) = list(check_completeness(wh, day, day).verdicts)
        assert verdict.schedule_source == "espn"
        assert verdict.played_games == len(games) > 0
        assert verdict.decision == "blocked"
