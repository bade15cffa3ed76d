"""The phase-5 coordinator on DuckDB and on BigQuery (the fake endpoint), filled with a small slate.

The slate is written straight into the tables the coordinator reads (context, feature store,
game summaries, odds and injury snapshots), so each test states exactly which player should end up
where and why.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pytest
import structlog

from bqfake import open_backend
from nbaprops.errors import QualityGateError
from nbaprops.features.contract import FEATURE_NAMES, FEATURE_VERSION
from nbaprops.ops.alerts import Alerter
from nbaprops.pipeline.bus import Bus, Handler, InProcessBus
from nbaprops.predict.coordinator import (
    SLATE_QUERIES,
    Coordinator,
    CoordinatorConfig,
    load_slate,
    stage_result,
    staged_results,
)
from nbaprops.predict.systems.base import PlayerBatch, SpreadModel, SystemOutput
from nbaprops.predict.systems.moving_average import MovingAverageSystem
from nbaprops.predict.worker import BatchResult, SystemFailure, SystemModel, Worker
from nbaprops.warehouse import Warehouse

DAY = date(2025, 11, 1)
TIP = datetime(2025, 11, 1, 23, 30, tzinfo=UTC)
MORNING = timedelta(hours=6)
"""The 'prediction' as-of of the test games: six hours before tip (the 'pretip' one: a second before)."""
PRETIP = TIP - timedelta(seconds=1)
BOOKS = ("draftkings", "fanduel", "betmgm")
GAME = "0022500101"


@dataclass
class P:
    """One player of the test slate."""

    pid: int
    minutes: float = 30.0
    status: str | None = None
    features: bool = True
    predictable: bool = True
    why: str | None = None
    history: int = 8
    in_context: bool = True
    props: list[tuple[str, datetime, float]] = field(default_factory=list)  # (book, snapshot, line)
    report_out: bool = False
    book_name: str | None = None  # the name key the books use, when it differs from the box score's

    @property
    def lookup(self) -> str:
        return f"player{self.pid}"


def as_ofs(day: date = DAY) -> dict[str, datetime]:
    """The game's as-of per kind, as ``game_as_of`` holds them."""
    tip = TIP + (day - DAY)
    return {"prediction": tip - MORNING, "pretip": tip - timedelta(seconds=1)}


def fill(wh: Warehouse, players: list[P], day: date = DAY, game_id: str = GAME) -> None:
    tip = TIP + (day - DAY)
    built = tip - timedelta(hours=10)
    kinds = as_ofs(day)
    if not wh.query_rows("SELECT 1 FROM game_as_of WHERE game_id = ?", [game_id]):
        for kind, as_of in kinds.items():
            wh.execute(
                "INSERT INTO game_as_of (game_date, game_id, tip_utc, home_team, away_team, as_of_kind, "
                "as_of, built_at) VALUES (?,?,?,?,?,?,?,?)",
                [day, game_id, tip, "BOS", "NYK", kind, as_of, built],
            )
    for i, p in enumerate(players):
        team, opp = ("BOS", "NYK") if i % 2 == 0 else ("NYK", "BOS")
        for kind, as_of in kinds.items():
            _fill_kind(wh, p, day=day, game_id=game_id, kind=kind, as_of=as_of, teams=(team, opp))
        _fill_facts(wh, p, day=day, game_id=game_id, teams=(team, opp))


def _fill_kind(
    wh: Warehouse, p: P, *, day: date, game_id: str, kind: str, as_of: datetime, teams: tuple[str, str]
) -> None:
    """The context and feature rows of one player at one as-of kind, and his OUT note if known then."""
    team, opp = teams
    tip = TIP + (day - DAY)
    out_at = tip - timedelta(hours=2)
    built = tip - timedelta(hours=10)
    ruled_out = p.report_out and out_at <= as_of
    if p.in_context and not ruled_out:  # the context leaves out whoever is listed OUT at its as-of
        wh.execute(
            "INSERT INTO upcoming_player_game_context (game_date, game_id, as_of_kind, as_of, tip_utc, "
            "player_lookup, player_id, team, opponent, is_home, injury_status, built_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [day, game_id, kind, as_of, tip, p.lookup, p.pid, team, opp, team == "BOS", p.status, built],
        )
    if ruled_out:
        wh.execute(
            "INSERT INTO injury_status (game_date, game_id, as_of_kind, as_of, team, player_id, "
            "player_lookup, status, source, published_at, built_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [day, game_id, kind, as_of, team, p.pid, p.lookup, "Out", "nbacom", out_at, built],
        )
    if p.features:
        values = dict.fromkeys(FEATURE_NAMES, 1.0)
        values.update(
            minutes_avg_last_10=p.minutes,
            points_avg_last_10=10.0 + p.pid % 20,
            points_avg_season=11.0 + p.pid % 20,
            back_to_back=0.0,
        )
        cols = ", ".join(f'"{n}"' for n in FEATURE_NAMES)
        marks = ", ".join("?" * (12 + len(FEATURE_NAMES)))
        # only contract names are formatted in
        sql = (
            "INSERT INTO feature_store (player_id, game_date, as_of_kind, feature_version, game_id, team, "  # noqa: S608
            "opponent, as_of, quality_score, defaulted_required_count, predictable, unpredictable_reason, "
            f"feature_sources, {cols}) VALUES (?, {marks})"
        )
        wh.execute(
            sql,
            [
                p.pid,
                day,
                kind,
                FEATURE_VERSION,
                game_id,
                team,
                opp,
                as_of,
                0.95,
                0,
                p.predictable,
                p.why,
                "{}",
                *[values[n] for n in FEATURE_NAMES],
            ],
        )


def _fill_facts(wh: Warehouse, p: P, *, day: date, game_id: str, teams: tuple[str, str]) -> None:
    """The player's past games and his odds snapshots (the same whatever the as-of)."""
    team, opp = teams
    tip = TIP + (day - DAY)
    built = tip - timedelta(hours=10)
    for k in range(p.history):
        played_on = day - timedelta(days=2 * (k + 1))
        wh.execute(
            "INSERT INTO player_game_summary (game_date, game_id, player_lookup, player_id, team, "
            "opponent, is_home, played, minutes, pts, source, built_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                played_on,
                f"h{played_on:%m%d}{p.pid}",
                p.lookup,
                p.pid,
                team,
                opp,
                True,
                True,
                30.0,
                float(k + p.pid % 7),
                "nbacom",
                built,
            ],
        )
    for book, snapshot, point in p.props:
        wh.execute(
            "INSERT INTO raw_oddsa_player_props (snapshot_at, event_id, commence_time, game_date, book, "
            "market, player_lookup, player_id, point, over_price, under_price, over_no_vig, source_file, "
            "payload_sha256, fetched_at, loaded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                snapshot,
                "ev1",
                tip,
                day,
                book,
                "player_points",
                p.book_name or p.lookup,
                p.pid,  # resolved by the identity step
                point,
                -110,
                -110,
                0.5,
                "odds.json",
                "sha",
                built,
                built,
            ],
        )


def line(
    hours_before_tip: float, book: str = "draftkings", point: float = 20.5
) -> tuple[str, datetime, float]:
    return (book, TIP - timedelta(hours=hours_before_tip), point)


class LastTen:
    """A deterministic system: the last-10 average, sd 6."""

    system_id = "last_ten"

    def predict(self, batch: PlayerBatch) -> SystemOutput:
        n = len(batch)
        return SystemOutput(batch.column("points_avg_last_10").copy(), np.full(n, 6.0), np.full(n, np.nan))


def models() -> list[SystemModel]:
    return [
        SystemModel(LastTen(), "lt1"),
        SystemModel(MovingAverageSystem(SpreadModel(20.0, 0.5, 100)), "ma1"),
    ]


@pytest.fixture(params=["duckdb", "bigquery"])
def wh(request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    warehouse = open_backend(request.param, request)
    yield warehouse
    warehouse.close()


def coordinator(wh: Any, bus: Bus | None = None, batch_size: int = 3, **worker_kw: Any) -> Coordinator:
    alerter = Alerter(wh)
    worker = Worker(worker_kw.pop("models", None) or models(), alerter=alerter, **worker_kw)
    return Coordinator(
        wh,
        bus or InProcessBus(alerter=alerter),
        worker,
        alerter=alerter,
        bookmakers=BOOKS,
        config=CoordinatorConfig(batch_size=batch_size),
    )


def exclusions(wh: Warehouse) -> dict[int, str]:
    return {r[0]: r[1] for r in wh.query_rows("SELECT player_id, reason FROM prediction_exclusions")}


def predicted(wh: Warehouse) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for pid, system in wh.query_rows("SELECT player_id, system_id FROM predictions"):
        out.setdefault(pid, set()).add(system)
    return out


SLATE = [
    P(1, props=[line(3)]),
    P(2, status="Out", props=[line(3)]),
    P(3, in_context=False, features=False, history=0, report_out=True),
    P(4, features=False),
    P(5, predictable=False, why="defaulted_required:4"),
    P(6, minutes=4.0),
    P(7, minutes=4.0, props=[line(3, point=3.5)]),
    P(8),
    P(9, history=0, props=[line(3)]),
]


def test_selected_players_get_every_system_and_each_excluded_player_a_reason(wh: Warehouse) -> None:
    fill(wh, SLATE)
    run = coordinator(wh).run(DAY, as_of=PRETIP)
    assert predicted(wh) == {pid: {"last_ten", "moving_average"} for pid in (1, 7, 8)}
    assert exclusions(wh) == {
        2: "out",
        3: "out",
        4: "no_features:missing",
        5: "no_features:defaulted_required:4",
        6: "low_minutes",
        9: "no_history",
    }
    assert run.predicted_players == 3
    assert run.prediction_rows == 6
    assert run.exclusions == {
        "out": 2,
        "no_features:missing": 1,
        "no_features:defaulted_required:4": 1,
        "low_minutes": 1,
        "no_history": 1,
    }
    ledger = wh.query_rows("SELECT status, rows_in, rows_out, run_id FROM run_ledger WHERE step = 'predict'")
    assert [r[:3] for r in ledger] == [("success", 8, 6)]
    assert {r[0] for r in wh.query_rows("SELECT DISTINCT run_id FROM predictions")} == {ledger[0][3]}


def test_player_without_a_line_is_predicted_as_no_line_never_with_a_placeholder(wh: Warehouse) -> None:
    fill(wh, SLATE)
    coordinator(wh).run(DAY, as_of=PRETIP)
    rows = wh.query_rows(
        "SELECT recommendation, line, line_book, line_snapshot_at, over_price, p_over, stake "
        "FROM predictions WHERE player_id = 8"
    )
    assert rows == [("NO_LINE", None, None, None, None, None, 0.0)] * 2


def test_line_is_the_latest_pre_tip_snapshot_of_the_highest_priority_book(wh: Warehouse) -> None:
    fill(
        wh,
        [
            P(
                11,
                props=[
                    line(8, point=19.5),
                    line(1, point=21.5),
                    line(-0.5, point=25.5),  # after tip: ignored
                    line(0.5, "fanduel", 22.5),
                ],
            ),
            P(12, props=[line(2, "betmgm", 9.5), line(1, "fanduel", 10.5), line(0.2, "betmgm", 11.5)]),
            P(13, props=[line(1, "caesars", 14.5)]),  # a book outside the priority list is never used
        ],
    )
    coordinator(wh).run(DAY, as_of=PRETIP)
    rows = wh.query_rows(
        "SELECT DISTINCT player_id, line, line_book, line_snapshot_at, recommendation FROM predictions "
        "ORDER BY player_id"
    )
    assert [r[:4] for r in rows] == [
        (11, 21.5, "draftkings", TIP - timedelta(hours=1)),
        (12, 10.5, "fanduel", TIP - timedelta(hours=1)),
        (13, None, None, None),
    ]
    assert rows[2][4] == "NO_LINE"


def test_a_player_the_books_name_without_his_suffix_still_gets_his_line(wh: Warehouse) -> None:
    # "Garrett McCoy" at the books, "Garrett McCoy Jr." in the box score: the identity step gives
    # both one player_id, and the line is matched on it (on the name key he would be NO_LINE live
    # while his training rows, built from the context, carry the line).
    fill(
        wh,
        [P(21, props=[line(3, point=17.5)], book_name="garrettmccoy"), P(22, props=[line(3, point=8.5)])],
    )
    slate = load_slate(wh, DAY, bookmakers=BOOKS, as_of=PRETIP)
    assert slate.batch.player_ids.tolist() == [21, 22]
    assert slate.batch.line.tolist() == [17.5, 8.5]


def test_as_of_hides_snapshots_taken_after_it(wh: Warehouse) -> None:
    fill(wh, [P(11, props=[line(8, point=19.5), line(1, point=21.5)])])
    slate = load_slate(wh, DAY, bookmakers=BOOKS, as_of=TIP - timedelta(hours=5))
    assert slate.batch.line.tolist() == [19.5]
    assert slate.meta.line_snapshot_us == [int((TIP - timedelta(hours=8)).timestamp() * 1_000_000)]


def test_a_morning_prediction_reads_the_morning_context_line_and_out_list(wh: Warehouse) -> None:
    # Player 12 is ruled out two hours before tip: after the morning as-of, so not yet known then.
    fill(wh, [P(11, props=[line(8, point=19.5), line(1, point=21.5)]), P(12, report_out=True)])
    morning = as_ofs()["prediction"]
    coordinator(wh).run(DAY, as_of=morning + timedelta(minutes=30))
    rows = wh.query_rows("SELECT DISTINCT player_id, line, as_of FROM predictions ORDER BY player_id")
    assert rows == [(11, 19.5, morning), (12, None, morning)]
    coordinator(wh).run(DAY, as_of=PRETIP)
    rows = wh.query_rows("SELECT DISTINCT player_id, line, as_of FROM predictions ORDER BY player_id")
    assert rows == [(11, 21.5, PRETIP)]
    assert exclusions(wh) == {12: "out"}


def test_a_feature_row_built_after_the_prediction_as_of_is_refused(wh: Warehouse) -> None:
    fill(wh, [P(1, props=[line(8)]), P(2)])
    morning = as_ofs()["prediction"]
    wh.execute(
        "UPDATE feature_store SET as_of = as_of + INTERVAL 1 SECOND WHERE player_id = 2 AND as_of_kind = ?",
        ["prediction"],
    )
    with pytest.raises(QualityGateError, match="after the prediction's as-of"):
        load_slate(wh, DAY, bookmakers=BOOKS, as_of=morning)
    assert len(load_slate(wh, DAY, bookmakers=BOOKS, as_of=PRETIP).batch) == 2


def test_a_slate_without_any_line_at_its_as_of_is_degraded_and_alerted(wh: Warehouse) -> None:
    fill(wh, [P(1, props=[line(1)]), P(8)])
    run = coordinator(wh).run(DAY, as_of=as_ofs()["prediction"])
    assert (run.predicted_players, run.with_line) == (2, 0)
    assert [r[0] for r in wh.query_rows("SELECT kind FROM alerts")] == ["predict_no_lines"]
    details = wh.query_rows("SELECT details FROM run_ledger WHERE step = 'predict'")[0][0]
    assert json.loads(details)["degraded"] == "no_lines"


def test_rerunning_a_day_replaces_its_rows(wh: Warehouse) -> None:
    fill(wh, SLATE)
    first = coordinator(wh).run(DAY, as_of=PRETIP)
    before = wh.row_count("predictions")
    # Player 1 is ruled OUT before the second run, player 6 gets a line.
    wh.execute("UPDATE upcoming_player_game_context SET injury_status = 'Out' WHERE player_id = 1")
    fill(wh, [P(6, in_context=False, features=False, history=0, props=[line(2, point=2.5)])])
    second = coordinator(wh).run(DAY, as_of=PRETIP)
    assert second.run_id != first.run_id
    assert wh.row_count("predictions") == before
    assert {r[0] for r in wh.query_rows("SELECT DISTINCT run_id FROM predictions")} == {second.run_id}
    assert set(predicted(wh)) == {6, 7, 8}
    assert exclusions(wh)[1] == "out"
    assert 6 not in exclusions(wh)
    runs = {r[0] for r in wh.query_rows("SELECT DISTINCT run_id FROM prediction_exclusions")}
    assert runs == {second.run_id}


class TwiceBus:
    """A Bus that delivers every message twice, as Pub/Sub may."""

    def __init__(self) -> None:
        self.inner = InProcessBus()

    def publish(self, topic: str, message: bytes, attributes: Mapping[str, str] | None = None) -> str:
        self.inner.publish(topic, message, attributes)
        return self.inner.publish(topic, message, attributes)

    def subscribe(self, topic: str, handler: Handler) -> None:
        self.inner.subscribe(topic, handler)

    def flush(self) -> None:
        self.inner.flush()


def test_batch_delivered_twice_produces_no_duplicate_rows(wh: Warehouse) -> None:
    fill(wh, SLATE)
    run = coordinator(wh, TwiceBus(), batch_size=2).run(DAY, as_of=PRETIP)
    assert wh.row_count("predictions") == 6
    assert run.batches == 2
    states = wh.query_rows("SELECT status, attempts, players FROM prediction_batches ORDER BY batch_id")
    assert states == [("completed", 2, 2), ("completed", 2, 2)]


def test_batches_are_tracked_as_completed_with_their_sizes(wh: Warehouse) -> None:
    fill(wh, SLATE)
    coordinator(wh, batch_size=3).run(DAY, as_of=PRETIP)
    states = wh.query_rows(
        "SELECT batch_id, status, attempts, players, completed_at IS NOT NULL FROM prediction_batches "
        "ORDER BY batch_id"
    )
    # 4 selected players (9 is dropped by the worker for having no history) in batches of 3
    assert states == [
        ("2025-11-01-0000", "completed", 1, 3, True),
        ("2025-11-01-0001", "completed", 1, 1, True),
    ]


class Reads:
    """Counts every statement a warehouse receives."""

    def __init__(self, inner: Warehouse) -> None:
        self.inner = inner
        self.reads = 0
        self.statements = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name in {"query_arrow", "query_rows", "execute", "insert_arrow", "merge_arrow"}:

            def counted(*args: Any, **kwargs: Any) -> Any:
                self.statements += 1
                self.reads += name.startswith("query")
                return attr(*args, **kwargs)

            return counted
        return attr


def test_warehouse_queries_do_not_grow_with_the_number_of_players(wh: Warehouse) -> None:
    small, large = date(2025, 11, 2), date(2025, 11, 3)
    fill(wh, [P(i, props=[line(2)]) for i in range(1, 4)], day=small, game_id="g-small")
    fill(wh, [P(i, props=[line(2)] if i % 3 else []) for i in range(100, 160)], day=large, game_id="g-large")
    counts = []
    for day in (small, large):
        counting = Reads(wh)
        run = coordinator(counting, batch_size=1000).run(day, as_of=as_ofs(day)["pretip"])
        assert run.batches == 1
        counts.append((counting.reads, counting.statements, run.predicted_players))
    assert counts[0][2] == 3
    assert counts[1][2] == 60
    assert counts[0][:2] == counts[1][:2]
    assert counts[0][0] == SLATE_QUERIES


def test_a_batch_that_keeps_failing_fails_the_step_after_the_others_are_merged(wh: Warehouse) -> None:
    class ChokesOnPlayer7:
        system_id = "chokes"

        def predict(self, batch: PlayerBatch) -> SystemOutput:
            if 7 in batch.player_ids.tolist():
                raise ValueError("cannot handle player 7")
            return LastTen().predict(batch)

    fill(wh, SLATE)
    coord = coordinator(wh, batch_size=1, models=[SystemModel(ChokesOnPlayer7(), "c1")], breaker_threshold=10)
    with pytest.raises(QualityGateError, match="1 of 4 batch"):
        coord.run(DAY, as_of=PRETIP)
    assert set(predicted(wh)) == {1, 8}
    failed = wh.query_rows("SELECT status, error FROM prediction_batches WHERE status <> 'completed'")
    assert len(failed) == 1
    assert "cannot handle player 7" in failed[0][1]
    assert wh.query_rows("SELECT status FROM run_ledger WHERE step = 'predict'") == [("failed",)]
    # The dead letter, then the ledger's alert for the failed step (ops/failures.py).
    assert [r[0] for r in wh.query_rows("SELECT kind FROM alerts ORDER BY raised_at")] == [
        "bus.dead_letter",
        "step_failed",
    ]


def test_a_rerun_with_a_failed_batch_keeps_that_batchs_earlier_predictions(wh: Warehouse) -> None:
    class LastTenButNotPlayer7(LastTen):
        def predict(self, batch: PlayerBatch) -> SystemOutput:
            if 7 in batch.player_ids.tolist():
                raise ValueError("cannot handle player 7")
            return super().predict(batch)

    fill(wh, SLATE)
    first = coordinator(wh, batch_size=1, models=[SystemModel(LastTen(), "lt1")]).run(DAY, as_of=PRETIP)
    earlier = wh.query_rows("SELECT player_id, run_id FROM predictions ORDER BY player_id")
    assert [p for p, _ in earlier] == [1, 7, 8]
    failing = coordinator(
        wh, batch_size=1, models=[SystemModel(LastTenButNotPlayer7(), "lt1")], breaker_threshold=10
    )
    with pytest.raises(QualityGateError, match="keep their earlier predictions"):
        failing.run(DAY, as_of=PRETIP)
    second = wh.query_rows("SELECT run_id FROM run_ledger WHERE status = 'failed'")[0][0]
    after = dict(wh.query_rows("SELECT player_id, run_id FROM predictions"))
    assert after == {1: second, 7: first.run_id, 8: second}


def test_a_system_that_fails_a_rerun_keeps_its_earlier_rows_and_the_others_are_replaced(
    wh: Warehouse,
) -> None:
    class Broken(LastTen):
        def predict(self, batch: PlayerBatch) -> SystemOutput:
            raise ValueError("model file unreadable")

    fill(wh, SLATE)
    first = coordinator(wh).run(DAY, as_of=PRETIP)
    broken = coordinator(wh, models=[models()[1], SystemModel(Broken(), "lt1")], breaker_threshold=10)
    second = broken.run(DAY, as_of=PRETIP)
    rows = wh.query_rows("SELECT DISTINCT system_id, run_id FROM predictions ORDER BY 1")
    assert rows == [("last_ten", first.run_id), ("moving_average", second.run_id)]


def test_day_without_games_is_recorded_as_skipped_and_clears_old_rows(wh: Warehouse) -> None:
    run = coordinator(wh).run(DAY, as_of=PRETIP)
    assert (run.candidates, run.prediction_rows, run.batches) == (0, 0, 0)
    assert wh.query_rows("SELECT status FROM run_ledger") == [("skipped",)]


def test_predict_command_stops_with_an_alert_when_no_model_is_registered() -> None:
    import typer
    from typer.testing import CliRunner

    from nbaprops.predict.commands import predict
    from nbaprops.predict.registry import ModelLoadError
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import open_warehouse

    app = typer.Typer()
    app.command()(predict)
    try:
        result = CliRunner().invoke(app, ["--date", "2025-11-01", "--json"])
    finally:
        # The command configures logging onto the runner's stream, which closes with the run.
        structlog.reset_defaults()
    assert result.exit_code != 0
    assert isinstance(result.exception, ModelLoadError)
    warehouse = open_warehouse(load_settings())
    try:
        kinds = {r[0] for r in warehouse.query_rows("SELECT kind FROM alerts")}
    finally:
        warehouse.close()
    assert {"model_load_failed", "predict.model_load_failed"} <= kinds


def test_each_systems_slate_is_sized_at_once_with_the_dropped_picks_explained() -> None:
    import pyarrow as pa

    from nbaprops.predict.coordinator import size_predictions
    from nbaprops.predict.recommend import SlateCaps

    n = 8
    # System "a": four UNDERs on BOS in one game plus one OVER on NYK; system "b": three small picks.
    table = pa.table(
        {
            "system_id": ["a"] * 5 + ["b"] * 3,
            "game_id": ["g1"] * 5 + ["g1", "g2", "g3"],
            "team": ["BOS"] * 4 + ["NYK"] + ["BOS", "LAL", "MIA"],
            "recommendation": ["UNDER"] * 4 + ["OVER"] * 4,
            "p_over": [0.40, 0.30, 0.42, 0.35, 0.62, 0.60, 0.60, 0.60],
            "p_push": [0.0] * n,
            "over_price": pa.array([-110] * n, pa.int64()),
            "under_price": pa.array([-110] * n, pa.int64()),
            "stake": [0.02] * 5 + [0.005] * 3,
            "reasons": ["why"] * n,
        }
    )
    sized, exposure, capped = size_predictions(table, SlateCaps(max_game=0.04, max_day=0.5), shrink=0.5)
    assert capped == 2
    assert (
        sized.column("recommendation").to_pylist()
        == ["PASS", "UNDER", "PASS", "UNDER", "OVER"] + ["OVER"] * 3
    )
    # The two BOS picks with the lowest P(over) (best UNDERs) survive; the dropped ones say why.
    assert sized.column("reasons").to_pylist()[0].startswith("limit: more than 2 picks")
    stakes = sized.column("stake").to_pylist()
    assert sum(stakes[:4]) == pytest.approx(0.03 * 0.04 / 0.05)  # team cap, then the game's 4%
    assert sum(stakes[:5]) == pytest.approx(0.04)
    assert exposure == {"a": pytest.approx(0.04), "b": pytest.approx(0.015)}


def test_a_staged_batch_result_reads_back_as_it_was_written(wh: Warehouse) -> None:
    import pyarrow as pa

    # What a worker service stages for the coordinator: Arrow IPC bytes and JSON text.
    predictions = pa.table({"player_id": pa.array([1, 8], pa.int64()), "p_over": [0.61, None]})
    failures = [SystemFailure("gbm", "permanent", "model file unreadable", 1)]
    stage_result(wh, "run-1", DAY, BatchResult("b-0", predictions, [(GAME, 5, "low_minutes")], failures))
    stage_result(wh, "run-2", DAY, BatchResult("b-0", predictions.slice(0, 1)))
    [(batch_id, result)] = staged_results(wh, "run-1").items()
    assert batch_id == "b-0"
    assert result.predictions.equals(predictions)
    assert result.exclusions == [(GAME, 5, "low_minutes")]
    assert result.failures == failures
