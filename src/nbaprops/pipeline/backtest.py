"""``nbaprops backtest --from A --to B``: walk-forward over a range, then per-system scores.

For every game date D of the range, in order:

1. **train** as of D when the registry's newest models are a week old or more
   (``predict.train.needs_retrain``): the trainer (``predict.train.WalkForwardTrainer``: training
   rows loaded once and sliced by date, earlier retrains' models standing in for the inner
   out-of-sample folds) sees only games strictly before D, and the models are registered
   (``save_models``) with that training window; between retrains the same models are reused;
2. **predict** D as of the daily prediction time (``settings.prediction_as_of(D)``, the same as-of
   as the live run: features, slate and the line picked against are those published by then) with
   the newest registered models whose ``as_of`` is D or earlier — never one trained on D or later.
   A day with candidates but no line posted by then is degraded: listed in ``no_line_days``,
   alerted by the coordinator, counted on the ledger.

Then the whole range is **graded** once, set-based (``grade.grader.grade_range``), and scored:
every system beside two references on the **same rows** — the book line used as a point
prediction, and the average of the player's last five games before D. The comparison rows are
the player-games every system predicted that were played, had a posted line and have at least
one earlier game; every figure is printed with its N. A backtest that predicted days but has not
one comparison row fails (``QualityGateError``, alerted): it never reports success on nothing.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import structlog
import typer

from nbaprops.dates import check_date_range
from nbaprops.errors import QualityGateError
from nbaprops.progress import display, on_terminal, track
from nbaprops.warehouse.ledger import RunLedger

if TYPE_CHECKING:
    from collections.abc import Callable

    import pyarrow as pa

    from nbaprops.grade.diversity import DiversityReport
    from nbaprops.ops.alerts import Alerter
    from nbaprops.predict.coordinator import Coordinator
    from nbaprops.predict.train import TrainedModels
    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

STEP = "backtest"
BOOK_LINE = "book_line"
LAST5 = "last5_avg"
REFERENCES = (BOOK_LINE, LAST5)
METRICS = (
    "n",
    "mae",
    "bias",
    "rmse",
    "n_picks",
    "hit_rate",
    "roi",
    "n_scored",
    "brier",
    "log_loss",
    "ece",
    "coverage",
)

_COMPARISON_SQL = """
WITH last5 AS (
  SELECT game_id, player_id,
    AVG(pts) OVER (PARTITION BY player_id ORDER BY game_date ASC NULLS LAST
                   ROWS BETWEEN 5 PRECEDING AND 1 PRECEDING) AS last5_avg
  FROM player_game_summary
  WHERE played AND player_id IS NOT NULL AND game_date <= ?
)
SELECT p.game_date, p.game_id, p.player_id, p.system_id, p.predicted_points, p.q10, p.q90, p.p_over,
  p.p_push, p.line, p.over_price, p.under_price, p.recommendation, p.expected_value, p.stake,
  g.actual_points, g.minutes, g.result, g.profit, g.clv_points, g.clv_probability, l.last5_avg
FROM predictions AS p
JOIN prediction_grades AS g
  ON g.game_date = p.game_date AND g.game_id = p.game_id AND g.player_id = p.player_id
  AND g.system_id = p.system_id AND g.model_version = p.model_version
LEFT JOIN last5 AS l ON l.game_id = p.game_id AND l.player_id = p.player_id
WHERE p.game_date BETWEEN ? AND ?
ORDER BY p.game_date, p.game_id, p.player_id, p.system_id
"""


@dataclass
class BacktestReport:
    """The walk-forward's days, retrains and per-system scores on the comparison rows."""

    start: date
    end: date
    days: int = 0
    predicted_days: int = 0
    retrains: list[date] = field(default_factory=list)
    skipped: dict[date, str] = field(default_factory=dict)
    no_line_days: list[date] = field(default_factory=list)
    graded: int = 0
    comparison_rows: int = 0
    systems: list[dict[str, Any]] = field(default_factory=list)
    headline: list[dict[str, Any]] = field(default_factory=list)  # grade.scorecard per system
    diversity: DiversityReport | None = None  # grade.diversity: correlation of edges between systems
    pooled: dict[str, Any] | None = None  # grade.scorecard.pooled_picks: every system's picks together
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``--json``)."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": self.days,
            "predicted_days": self.predicted_days,
            "retrains": [d.isoformat() for d in self.retrains],
            "skipped": {d.isoformat(): why for d, why in self.skipped.items()},
            "no_line_days": [d.isoformat() for d in self.no_line_days],
            "graded": self.graded,
            "comparison_rows": self.comparison_rows,
            "systems": self.systems,
            "headline": self.headline,
            "diversity": None if self.diversity is None else self.diversity.to_dict(),
            "pooled_picks": self.pooled,
            "seconds": round(self.seconds, 2),
        }


def game_days(warehouse: Warehouse, start: date, end: date) -> list[date]:
    """Dates of the range with at least one scheduled NBA game (one query)."""
    rows = warehouse.query_rows(
        "SELECT DISTINCT game_date FROM raw_nbac_schedule WHERE game_date BETWEEN ? AND ? "
        "AND is_nba_matchup IS NOT FALSE ORDER BY game_date",
        [start, end],
    )
    return [r[0] for r in rows]


def _coordinator(warehouse: Warehouse, settings: Settings, day: date, alerter: Alerter) -> Coordinator:
    """A coordinator on its own bus with the newest registered models as of ``day``."""
    from nbaprops.pipeline.bus import InProcessBus
    from nbaprops.predict.coordinator import Coordinator
    from nbaprops.predict.recommend import SlateCaps, Thresholds
    from nbaprops.predict.worker import Worker, models_from_registry

    models = models_from_registry(warehouse, settings, day, alerter=alerter)
    books = [b.strip() for b in settings.odds_bookmakers.split(",") if b.strip()]
    return Coordinator(
        warehouse,
        InProcessBus(alerter=alerter),
        Worker(models, alerter=alerter, thresholds=Thresholds.from_settings(settings)),
        alerter=alerter,
        bookmakers=books,
        caps=SlateCaps.from_settings(settings),
    )


def run_backtest(
    warehouse: Warehouse,
    settings: Settings,
    start: date,
    end: date,
    *,
    alerter: Alerter | None = None,
    retrain_days: int | None = None,
    trainer: Callable[[Warehouse, date], TrainedModels] | None = None,
) -> BacktestReport:
    """Walk forward over ``start``..``end`` (train before D, predict D that morning), grade, score.

    ``trainer(warehouse, D)`` trains on games before D (default ``predict.train.WalkForwardTrainer``:
    the training rows loaded once, earlier retrains' models as the out-of-sample folds).
    """
    from nbaprops.grade.grader import grade_range
    from nbaprops.ops.alerts import Alerter
    from nbaprops.predict.registry import save_models
    from nbaprops.predict.train import (
        RETRAIN_EVERY_DAYS,
        WalkForwardTrainer,
        latest_model_dates,
        needs_retrain,
    )

    check_date_range(start, end)
    began = time.perf_counter()
    alerter = alerter or Alerter(warehouse)
    cadence = retrain_days or RETRAIN_EVERY_DAYS
    train = trainer or WalkForwardTrainer(end)
    report = BacktestReport(start, end)
    with RunLedger(warehouse).step(STEP, details={"start": start.isoformat(), "end": end.isoformat()}) as run:
        days = game_days(warehouse, start, end)
        report.days = len(days)
        coordinator: Coordinator | None = None
        serving: dict[str, date] = {}
        for day in track(days, "backtest: days predicted", note=date.isoformat):
            if needs_retrain(warehouse, day, cadence_days=cadence):
                try:
                    trained = train(warehouse, day)
                except QualityGateError as exc:
                    report.skipped[day] = f"no model: {exc}"
                    continue
                save_models(warehouse, settings, trained)
                report.retrains.append(day)
            # Models registered by an earlier run are served from the day they are as of, as in a
            # first run, so a re-run over the same data gives the same figures.
            newest = latest_model_dates(warehouse, day)
            if coordinator is None or newest != serving:
                coordinator, serving = _coordinator(warehouse, settings, day, alerter), newest
            predicted = coordinator.run(day, as_of=settings.prediction_as_of(day))
            report.predicted_days += 1
            if predicted.candidates and not predicted.with_line:
                report.no_line_days.append(day)
        if report.predicted_days:
            report.graded = grade_range(warehouse, start, end).graded
            report.comparison_rows, report.systems, report.headline = compare(
                warehouse, start, end, pick_cap=settings.stake_max_pick
            )
            report.diversity = diversity(warehouse, start, end)
            report.pooled = pooled(warehouse, start, end)
        run.rows_in = report.days
        run.rows_out = report.graded
        run.details |= {k: v for k, v in report.to_dict().items() if k != "systems"}
        if report.predicted_days and not report.comparison_rows:
            message = (
                f"backtest {start}..{end}: {report.predicted_days} day(s) predicted but 0 comparison rows "
                f"({len(report.no_line_days)} day(s) without any line at the prediction time)"
            )
            alerter.raise_alert(
                "backtest_no_comparison_rows", message, severity="error", count=report.predicted_days
            )
            raise QualityGateError(message)
    report.seconds = time.perf_counter() - began
    log.info(
        "backtest.finished",
        start=start.isoformat(),
        end=end.isoformat(),
        graded=report.graded,
        seconds=round(report.seconds, 1),
    )
    return report


def comparison_rows(warehouse: Warehouse, start: date, end: date) -> dict[str, Any] | None:
    """The comparison rows (every system predicted them, played, with a line and an earlier game).

    Column name -> array, one entry per (player-game, system), with ``key`` naming the player-game;
    None when the range has no graded prediction or none of them qualifies (one query).
    """
    import numpy as np

    table = warehouse.query_arrow(_COMPARISON_SQL, [end, start, end])
    if table.num_rows == 0:
        return None
    cols = {name: _values(table, name) for name in table.column_names}
    systems = sorted(set(cols["system_id"].tolist()))
    keys = np.char.add(
        np.char.add(cols["game_date"].astype(str), "|"),
        np.char.add(np.char.add(cols["game_id"].astype(str), "|"), cols["player_id"].astype(str)),
    )
    usable = np.isfinite(cols["actual_points"]) & (np.nan_to_num(cols["minutes"]) > 0)
    usable &= np.isfinite(cols["line"]) & np.isfinite(cols["last5_avg"])
    unique_keys, inverse = np.unique(keys, return_inverse=True)
    per_key = np.bincount(inverse, weights=usable.astype(np.float64), minlength=unique_keys.size)
    keep = usable & (per_key[inverse] == len(systems))
    if not keep.any():
        return None
    return {"key": keys[keep], **{k: v[keep] for k, v in cols.items()}}


def diversity(warehouse: Warehouse, start: date, end: date) -> DiversityReport | None:
    """Correlation of the systems' edges (prediction - line) on the comparison rows."""
    from nbaprops.grade.diversity import edge_diversity

    rows = comparison_rows(warehouse, start, end)
    if rows is None:
        return None
    return edge_diversity(rows["key"], rows["system_id"], rows["predicted_points"], rows["line"])


def pooled(warehouse: Warehouse, start: date, end: date) -> dict[str, Any] | None:
    """Every system's picks on the comparison rows pooled (``grade.scorecard.pooled_picks``)."""
    from nbaprops.grade.scorecard import pooled_picks

    rows = comparison_rows(warehouse, start, end)
    return None if rows is None else pooled_picks(rows)


def compare(
    warehouse: Warehouse, start: date, end: date, *, pick_cap: float | None = None
) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    """Scores of every system and of the two references on the same comparison rows (one query).

    Returns the number of comparison rows, the per-system metric rows (``METRICS``, references
    included) and the per-system headline figures (``grade.scorecard``).
    """
    rows = comparison_rows(warehouse, start, end)
    if rows is None:
        return 0, [], []
    return compare_rows(rows, pick_cap=pick_cap)


def compare_rows(
    rows: dict[str, Any], *, pick_cap: float | None = None
) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    """``compare``'s scores on comparison rows already loaded (``comparison_rows``, or a slice of them)."""
    import numpy as np

    from nbaprops.grade.scorecard import scorecard

    systems = sorted(set(rows["system_id"].tolist()))
    reference_rows = rows["system_id"] == systems[0]
    scored = _score(rows, rows["system_id"].astype(str))
    for name, predicted in ((BOOK_LINE, rows["line"]), (LAST5, rows["last5_avg"])):
        ref = {k: v[reference_rows] for k, v in rows.items()}
        ref["predicted_points"] = predicted[reference_rows]
        ref["recommendation"] = np.full(int(reference_rows.sum()), "PASS")
        for v in ("p_over", "q10", "q90"):
            ref[v] = np.full(int(reference_rows.sum()), np.nan)
        scored += _score(ref, np.full(int(reference_rows.sum()), name))
    headline = [
        {
            "system_id": sid,
            **scorecard({k: v[rows["system_id"] == sid] for k, v in rows.items()}, pick_cap=pick_cap),
        }
        for sid in systems
    ]
    return int(reference_rows.sum()), scored, headline


def _values(table: pa.Table, name: str) -> Any:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    column = table.column(name)
    if name in ("game_date", "game_id", "system_id", "recommendation", "result"):
        # Text (dates as ISO, NULL as 'None'), built from the few distinct values: a season's rows
        # through Python objects one by one took a third of a second.
        coded = pc.dictionary_encode(pc.fill_null(column.cast(pa.string()), "None").combine_chunks())
        return np.asarray(coded.dictionary.to_pylist(), dtype=str)[coded.indices.to_numpy()]
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)


def _score(rows: dict[str, Any], system_ids: Any) -> list[dict[str, Any]]:
    from nbaprops.grade.metrics import grade_predictions, summarize

    if system_ids.size == 0:
        return []
    grades = grade_predictions(
        rows["predicted_points"],
        rows["actual_points"],
        rows["line"],
        rows["recommendation"],
        over_price=rows["over_price"],
        under_price=rows["under_price"],
        minutes=rows["minutes"],
    )
    out = summarize(
        {"system_id": system_ids},
        rows["predicted_points"],
        rows["actual_points"],
        grades,
        p_over=rows["p_over"],
        q_low=rows["q10"],
        q_high=rows["q90"],
    )
    return [{"system_id": r["system_id"], **{m: r.get(m) for m in METRICS}} for r in out]


def backtest(
    start: Annotated[str, typer.Option("--from", help="First game date to predict (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last game date to predict (YYYY-MM-DD), inclusive.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
) -> None:
    """Walk-forward backtest: each day predicted as of that morning with earlier-trained models, graded."""
    import json
    import sys

    from nbaprops.dates import parse_date_range
    from nbaprops.logs import configure_logging
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import create_schema, open_warehouse

    first, last = parse_date_range(start, end)
    settings = load_settings()
    configure_logging(settings)
    warehouse = open_warehouse(settings)
    try:
        create_schema(warehouse)
        with display(on_terminal(json_out)):
            report = run_backtest(warehouse, settings, first, last)
    finally:
        warehouse.close()
    if json_out:
        sys.stdout.write(json.dumps(report.to_dict(), default=str) + "\n")
        return
    print_report(report)


def print_report(report: BacktestReport) -> None:
    """The headline per system (accuracy vs the line, betting, calibration, CLV), every figure with its N.

    Intervals are 95% (Wilson for hit rates; clustered by game date for means); ECE uses 20
    equal-mass bins and is printed beside its noise floor (a perfectly calibrated predictor's score).
    """
    from rich.console import Console
    from rich.table import Table

    def fmt(value: object, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    def ival(doc: dict[str, Any], spec: str) -> str:
        """``mean [low, high]``; a percentage's bounds are printed as bare points to stay narrow."""
        if spec.endswith("%"):
            bounds = spec[:-1] + "f"
            low, high = (None if v is None else 100 * v for v in (doc["low"], doc["high"]))
            return f"{fmt(doc['mean'], spec)} [{fmt(low, bounds)}, {fmt(high, bounds)}]"
        return f"{fmt(doc['mean'], spec)} [{fmt(doc['low'], spec)}, {fmt(doc['high'], spec)}]"

    def ece(doc: dict[str, Any]) -> str:
        return f"{fmt(doc['ece'], '.3f')} ({fmt(doc['noise_floor'], '.3f')})"

    console = Console(file=sys.stdout, width=200)
    accuracy = Table(
        title=f"backtest {report.start}..{report.end}: accuracy on {report.comparison_rows} comparison rows"
    )
    columns = ("system", "N", "MAE", "MAE - line [95%]", "bias", "Brier skill", "ECE all (floor)", "cover")
    for column in columns:
        accuracy.add_column(column, justify="left" if column == "system" else "right")
    heads = {h["system_id"]: h for h in report.headline}
    for row in report.systems:
        head = heads.get(row["system_id"])
        accuracy.add_row(
            str(row["system_id"]),
            str(row["n"]),
            fmt(row["mae"], ".3f"),
            "reference" if head is None else ival(head["mae_minus_line"], "+.3f"),
            fmt(row["bias"], "+.2f"),
            "-" if head is None else fmt(head["brier_skill_vs_market"], "+.4f"),
            "-" if head is None else ece(head["ece_all"]),
            fmt(row["coverage"], ".1%"),
        )
    console.print(accuracy)
    betting = Table(title="picks (WIN/LOSS decided) on the same rows")
    for column in (
        "system",
        "picks",
        "hit rate [95%]",
        "claimed",
        "ROI flat [95%]",
        "claimed EV",
        "ROI staked",
        "stake: median, at cap",
        "ECE picks (floor)",
        "CLV pts [95%]",
        "stake/day: median, max",
    ):
        betting.add_column(column, justify="left" if column == "system" else "right", no_wrap=True)
    for head in report.headline:
        claim = fmt(head["claimed_hit_rate"], ".1%") + ("" if head["claim_within_interval"] else " !")
        betting.add_row(
            str(head["system_id"]),
            str(head["n_picks"]),
            ival(head["hit_rate"], ".1%"),
            claim,
            ival(head["roi"], "+.1%"),
            fmt(head["claimed_ev"], "+.1%"),
            fmt(head["staked_roi"], "+.1%"),
            f"{fmt(head.get('stake_median'), '.2%')}, {fmt(head.get('share_at_pick_cap'), '.0%')}",
            ece(head["ece_picks"]),
            ival(head["clv_points"], "+.2f"),
            f"{fmt(head['exposure_median'], '.1%')}, {fmt(head['exposure_max'], '.0%')}",
        )
    console.print(betting)
    if report.pooled is not None and report.pooled["n_picks"]:
        pool = report.pooled
        claim = fmt(pool["claimed_hit_rate"], ".1%") + ("" if pool["claim_within_interval"] else " !")
        console.print(
            f"all systems' picks pooled: {pool['n_picks']}, hit rate {ival(pool['hit_rate'], '.1%')}, "
            f"claimed {claim}, ECE picks (floor) {ece(pool['ece_picks'])}"
        )
    console.print("claimed: mean probability of the side taken (! = outside the hit rate's interval)")
    console.print(
        "ECE: 20 equal-mass bins, noise floor in brackets; intervals 95% (Wilson; clustered by game date)"
    )
    console.print(
        f"{report.predicted_days} of {report.days} game days predicted, {len(report.retrains)} retrain(s), "
        f"{report.graded} predictions graded in {report.seconds:.1f} s; skipped: {len(report.skipped)}"
    )
    if report.diversity is not None and report.diversity.n:
        from nbaprops.grade.diversity import render_diversity

        console.print(render_diversity(report.diversity), highlight=False)
