"""Grading a date from the warehouse: per-prediction grades, per-system days, idempotence, the gate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from factories import put_rows
from nbaprops.errors import QualityGateError
from nbaprops.grade.grader import grade_date, grade_range
from nbaprops.warehouse import create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse
from nbaprops.warehouse.ledger import RunLedger

DAY = date(2026, 1, 15)
TIP = datetime(2026, 1, 16, 0, 30, tzinfo=UTC)  # 19:30 ET on DAY
AFTER = TIP + timedelta(hours=6)
MORNING = TIP - timedelta(hours=8)  # the predictions' as-of: 11:30 ET


def put(wh: DuckDBWarehouse, table: str, rows: list[dict[str, Any]]) -> None:
    put_rows(wh, table, rows, when=AFTER, day=DAY)


def schedule(wh: DuckDBWarehouse, *, final: bool = True, box_teams: tuple[str, ...] = ("BOS", "NYK")) -> None:
    """One game on DAY, BOS at home to NYK, with full-minute box scores for ``box_teams``."""
    put(
        wh,
        "raw_nbac_schedule",
        [
            {
                "game_id": "0022500001",
                "game_date": DAY,
                "tip_utc": TIP,
                "status": 3 if final else 1,
                "home_team": "BOS",
                "away_team": "NYK",
                "is_nba_matchup": True,
            }
        ],
    )
    put(
        wh,
        "raw_nbac_player_boxscores",
        [
            {"game_id": "0022500001", "game_date": DAY, "team": team, "player_source_id": i, "minutes": 240.0}
            for i, team in enumerate(box_teams)
        ],
    )


def prediction(player_id: int, system: str, predicted: float, rec: str, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "game_date": DAY,
        "game_id": "0022500001",
        "player_id": player_id,
        "team": "BOS",
        "opponent": "NYK",
        "system_id": system,
        "model_version": "v1",
        "predicted_points": predicted,
        "predicted_sd": 5.0,
        "q10": predicted - 7,
        "q90": predicted + 7,
        "p_over": 0.6 if rec == "OVER" else 0.4,
        "line": 20.5,
        "line_book": "draftkings",
        "over_price": -110,
        "under_price": -110,
        "recommendation": rec,
        "feature_version": "f1",
        "as_of": MORNING,
        "run_id": "r1",
        "created_at": MORNING,
    }
    return row | extra


def prop(
    player: str, book: str, point: float, snapshot: datetime, *, name: str | None = None
) -> dict[str, Any]:
    """A points line for player ``pN`` (player_id N); ``name``: the books' own name key for him."""
    return {
        "snapshot_at": snapshot,
        "event_id": "ev1",
        "game_id": "0022500001",
        "commence_time": TIP,
        "game_date": DAY,
        "book": book,
        "market": "player_points",
        "player_lookup": name or player,
        "player_id": int(player[1:]),
        "point": point,
        "over_price": -110,
        "under_price": -110,
        "over_no_vig": 0.5,
    }


@pytest.fixture
def wh(memory_warehouse: DuckDBWarehouse) -> DuckDBWarehouse:
    return memory_warehouse


def slate(wh: DuckDBWarehouse) -> None:
    """Three players, two systems: 1 scores 25, 2 scores 15, 3 sits (Questionable in the morning, Out
    on a note published after the predictions were made)."""
    schedule(wh)
    put(
        wh,
        "game_as_of",
        [
            {
                "game_date": DAY,
                "game_id": "0022500001",
                "home_team": "BOS",
                "away_team": "NYK",
                "as_of_kind": kind,
                "as_of": as_of,
                "built_at": as_of,
            }
            for kind, as_of in (("prediction", MORNING), ("pretip", TIP - timedelta(seconds=1)))
        ],
    )
    put(
        wh,
        "injury_status",
        [
            {
                "game_date": DAY,
                "game_id": "0022500001",
                "as_of_kind": kind,
                "as_of": as_of,
                "team": "BOS",
                "player_id": i,
                "status": status,
                "source": "nbacom",
                "published_at": as_of,
                "built_at": as_of,
            }
            for kind, as_of, i, status in (
                ("prediction", MORNING, 2, "Probable"),
                ("prediction", MORNING, 3, "Questionable"),
                ("pretip", TIP - timedelta(seconds=1), 2, "Probable"),
                ("pretip", TIP - timedelta(seconds=1), 3, "Out"),
            )
        ],
    )
    put(
        wh,
        "player_game_summary",
        [
            {
                "game_date": DAY,
                "game_id": "0022500001",
                "player_lookup": f"p{i}",
                "player_id": i,
                "team": "BOS",
                "opponent": "NYK",
                "is_home": True,
                "played": pts is not None,
                "minutes": 30.0 if pts is not None else 0.0,
                "pts": pts,
                "source": "nbacom",
                "built_at": AFTER,
            }
            for i, pts in ((1, 25), (2, 15), (3, None))
        ],
    )
    put(
        wh,
        "upcoming_player_game_context",
        [
            {
                "game_date": DAY,
                "game_id": "0022500001",
                "player_lookup": f"p{i}",
                "player_id": i,
                "team": "BOS",
                "opponent": "NYK",
                "is_home": True,
                "as_of_kind": "prediction",
                "as_of": MORNING,
                "injury_status": status,
                "built_at": TIP - timedelta(hours=9),
            }
            for i, status in ((1, None), (2, "Probable"), (3, "Questionable"))
        ],
    )
    put(
        wh,
        "predictions",
        [
            prediction(1, "gbm", 22.0, "OVER"),
            prediction(2, "gbm", 18.0, "OVER"),
            prediction(3, "gbm", 20.0, "UNDER"),
            prediction(1, "moving_average", 19.0, "UNDER"),
            prediction(2, "moving_average", 16.0, "PASS"),
            prediction(3, "moving_average", 21.0, "PASS"),
        ],
    )
    put(
        wh,
        "raw_oddsa_player_props",
        [
            prop("p1", "draftkings", 20.5, TIP - timedelta(hours=9)),
            prop("p1", "draftkings", 21.5, TIP - timedelta(hours=1)),  # the closing line
            prop("p1", "draftkings", 23.5, TIP + timedelta(minutes=5)),  # after tip: in-game, ignored
            prop("p1", "fanduel", 24.5, TIP - timedelta(minutes=30)),  # another book, ignored
            # the books drop player 2's suffix; the identity step resolved the name to him
            prop("p2", "draftkings", 19.5, TIP - timedelta(hours=1), name="p2withoutsuffix"),
        ],
    )


def grades_by_key(wh: DuckDBWarehouse) -> dict[tuple[int, str], dict[str, Any]]:
    rows = wh.query_arrow("SELECT * FROM prediction_grades").to_pylist()
    return {(r["player_id"], r["system_id"]): r for r in rows}


def test_each_prediction_gets_its_error_result_and_closing_line(wh: DuckDBWarehouse) -> None:
    slate(wh)
    report = grade_date(wh, DAY, now=AFTER)
    assert (report.graded, report.voided) == (6, 2)
    g = grades_by_key(wh)
    win = g[(1, "gbm")]
    assert (win["actual_points"], win["abs_error"], win["signed_error"]) == (25.0, 3.0, -3.0)
    assert win["result"] == "WIN"
    assert win["went_over"] is True
    assert win["profit"] == pytest.approx(100 / 110)
    # Last draftkings snapshot before tip: 21.5, not the in-game 23.5 nor fanduel's 24.5.
    assert win["closing_line"] == 21.5
    assert win["clv_points"] == 1.0
    assert g[(2, "gbm")]["result"] == "LOSS"
    assert g[(2, "gbm")]["closing_line"] == 19.5  # matched on player_id, whatever the books call him
    assert g[(2, "gbm")]["profit"] == -1.0
    assert g[(1, "moving_average")]["result"] == "LOSS"
    assert g[(2, "moving_average")]["result"] is None  # PASS: no bet, but an error
    assert g[(2, "moving_average")]["abs_error"] == 1.0
    sat = g[(3, "gbm")]
    assert sat["result"] == "VOID"
    # the status known when the prediction was made (Questionable), not the later Out note
    assert sat["void_reason"] == "dnp_late_scratch"
    assert sat["abs_error"] is None
    assert sat["profit"] == 0.0
    assert sat["went_over"] is None


def test_each_system_gets_a_daily_row_with_its_sample_sizes(wh: DuckDBWarehouse) -> None:
    slate(wh)
    grade_date(wh, DAY, now=AFTER)
    daily = {r["system_id"]: r for r in wh.query_arrow("SELECT * FROM system_daily_performance").to_pylist()}
    gbm = daily["gbm"]
    assert (gbm["n"], gbm["n_void"], gbm["n_picks"], gbm["wins"]) == (3, 1, 2, 1)
    assert gbm["mae"] == pytest.approx(3.0)
    assert gbm["bias"] == pytest.approx(0.0)
    assert gbm["hit_rate"] == 0.5
    assert gbm["roi"] == pytest.approx((100 / 110 - 1) / 2)
    assert gbm["coverage"] == 1.0  # both actuals inside predicted +- 7
    ma = daily["moving_average"]
    assert (ma["n_picks"], ma["mae"]) == (1, pytest.approx(3.5))
    assert ma["brier"] == pytest.approx(((0.4 - 1) ** 2 + (0.4 - 0) ** 2) / 2)


def test_grading_twice_leaves_the_same_rows(wh: DuckDBWarehouse) -> None:
    slate(wh)
    grade_date(wh, DAY, now=AFTER)
    first = wh.query_rows("SELECT * EXCLUDE (graded_at) FROM prediction_grades ORDER BY ALL")
    grade_date(wh, DAY, now=AFTER + timedelta(hours=1))
    assert wh.query_rows("SELECT * EXCLUDE (graded_at) FROM prediction_grades ORDER BY ALL") == first
    assert wh.row_count("system_daily_performance") == 2


def test_regrading_after_a_rerun_drops_grades_of_replaced_predictions(wh: DuckDBWarehouse) -> None:
    slate(wh)
    grade_date(wh, DAY, now=AFTER)
    wh.execute("UPDATE predictions SET model_version = 'v2' WHERE system_id = 'gbm'")
    wh.execute("DELETE FROM predictions WHERE system_id = 'moving_average'")
    grade_date(wh, DAY, now=AFTER)
    versions = wh.query_rows("SELECT DISTINCT system_id, model_version FROM prediction_grades")
    assert versions == [("gbm", "v2")]
    assert wh.query_rows("SELECT system_id FROM system_daily_performance") == [("gbm",)]


@pytest.mark.parametrize(
    ("final", "box_teams"),
    [(False, ("BOS", "NYK")), (True, ("BOS",))],
    ids=["game-not-final", "one-box-score-missing"],
)
def test_a_date_with_incomplete_box_scores_is_refused_and_recorded(
    wh: DuckDBWarehouse, final: bool, box_teams: tuple[str, ...]
) -> None:
    schedule(wh, final=final, box_teams=box_teams)
    put(wh, "predictions", [prediction(1, "gbm", 22.0, "OVER")])
    with pytest.raises(QualityGateError, match="incomplete"):
        grade_date(wh, DAY, now=TIP + timedelta(hours=1))
    assert wh.row_count("prediction_grades") == 0
    assert RunLedger(wh).recent("grade")[0].status == "failed"


def test_a_date_without_predictions_is_recorded_as_skipped(wh: DuckDBWarehouse) -> None:
    schedule(wh)
    report = grade_date(wh, DAY, now=AFTER)
    assert report.graded == 0
    assert report.skipped_reason is not None
    assert RunLedger(wh).recent("grade")[0].status == "skipped"


class CountingWarehouse(DuckDBWarehouse):
    """Counts every statement sent to the warehouse."""

    calls = 0

    def execute(self, sql: str, params: Any = None) -> None:
        type(self).calls += 1
        super().execute(sql, params)

    def query_arrow(self, sql: str, params: Any = None) -> pa.Table:
        type(self).calls += 1
        return super().query_arrow(sql, params)

    def query_rows(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        type(self).calls += 1
        return super().query_rows(sql, params)


def _statements_to_grade(players: int) -> int:
    wh = CountingWarehouse(":memory:", query_timeout_s=30)
    create_schema(wh)
    schedule(wh)
    rows = [prediction(i, s, 20.0, "OVER") for i in range(players) for s in ("gbm", "ensemble")]
    put(wh, "predictions", rows)
    CountingWarehouse.calls = 0
    grade_range(wh, DAY, DAY, now=AFTER)
    wh.close()
    return CountingWarehouse.calls


def test_statements_sent_do_not_grow_with_the_number_of_players() -> None:
    assert _statements_to_grade(3) == _statements_to_grade(300)


def test_whole_number_lines_push_and_every_pick_gets_its_closing_line_value(wh: DuckDBWarehouse) -> None:
    """Lines of 20: player 1 scores exactly 20 (a push either way), 2 scores 21, 3 scores 17."""
    schedule(wh)
    scores = {1: 20, 2: 21, 3: 17}
    put(
        wh,
        "player_game_summary",
        [
            {
                "game_date": DAY,
                "game_id": "0022500001",
                "player_lookup": f"p{i}",
                "player_id": i,
                "team": "BOS",
                "opponent": "NYK",
                "is_home": True,
                "played": True,
                "minutes": 30.0,
                "pts": pts,
                "source": "nbacom",
                "built_at": AFTER,
            }
            for i, pts in scores.items()
        ],
    )
    whole = {"line": 20.0, "p_push": 0.06}
    put(
        wh,
        "predictions",
        [
            prediction(1, "gbm", 23.0, "OVER", **whole),
            prediction(2, "gbm", 23.0, "OVER", **whole),
            prediction(3, "gbm", 17.0, "UNDER", **whole),
            prediction(1, "moving_average", 17.0, "UNDER", **whole),
        ],
    )
    put(
        wh,
        "raw_oddsa_player_props",
        [
            *(prop(f"p{i}", "draftkings", 20.0, TIP - timedelta(hours=9)) for i in scores),
            prop("p1", "draftkings", 21.0, TIP - timedelta(hours=1)),  # closes a point higher
            prop("p3", "draftkings", 19.0, TIP - timedelta(hours=1)),  # closes a point lower
        ],
    )
    report = grade_date(wh, DAY, now=AFTER)
    g = grades_by_key(wh)
    assert [g[(1, s)]["result"] for s in ("gbm", "moving_average")] == ["PUSH", "PUSH"]
    assert g[(1, "gbm")]["profit"] == 0.0
    assert g[(1, "gbm")]["went_over"] is None  # neither over nor under
    assert g[(2, "gbm")]["result"] == "WIN"
    assert g[(3, "gbm")]["result"] == "WIN"
    # CLV on every pick, pushes included (the bet stood): OVER gains when the line rises, UNDER
    # when it falls; an unmoved line is worth 0.
    assert g[(1, "gbm")]["clv_points"] == 1.0
    assert g[(1, "moving_average")]["clv_points"] == -1.0
    assert g[(2, "gbm")]["clv_points"] == 0.0
    assert g[(3, "gbm")]["clv_points"] == 1.0
    assert all(row["closing_line"] is not None for row in g.values())
    # The push counts as neither a win nor a loss: gbm is 2 for 2, ROI at -110.
    daily = {r["system_id"]: r for r in report.daily}
    assert (daily["gbm"]["n_picks"], daily["gbm"]["wins"]) == (2, 2)
    assert daily["gbm"]["roi"] == pytest.approx(100 / 110)
    assert daily["moving_average"]["n_picks"] == 0
    assert daily["moving_average"]["hit_rate"] is None
    assert daily["gbm"]["n_scored"] == 2  # the push row has no over/under outcome to score
