"""``nbaprops predict --date D``: phase 5 for one game date through the in-process bus.

Kept light at import: numpy, pyarrow and the warehouse load when the command runs.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from collections.abc import Collection
    from datetime import date, datetime

    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.bus import Bus
    from nbaprops.predict.coordinator import PredictRun
    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse


def predict(
    date: Annotated[
        str, typer.Option("--date", help="ET game date to predict: YYYY-MM-DD, TODAY or YESTERDAY.")
    ] = "TODAY",
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the run summary as one JSON object instead of a table.")
    ] = False,
) -> None:
    """Predict every eligible player of a game date with every system and record the exclusions.

    Uses the active registered models as of the date (run ``nbaprops train`` first); a model that
    fails to load stops the command with an alert. Re-running a date replaces its predictions.
    """
    from nbaprops.dates import parse_game_date
    from nbaprops.logs import configure_logging
    from nbaprops.ops.alerts import Alerter
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import create_schema, open_warehouse

    settings = load_settings()
    configure_logging(settings)
    day = parse_game_date(date)
    warehouse = open_warehouse(settings)
    try:
        create_schema(warehouse)
        run = predict_date(warehouse, settings, day, alerter=Alerter(warehouse))
        top = top_picks(warehouse, run.run_id, market_shrink=settings.stake_market_shrink)
    finally:
        warehouse.close()
    if json_out:
        sys.stdout.write(json.dumps({**describe(run), "top_picks": top}, default=str) + "\n")
        return
    _print(run, top)


def predict_date(
    warehouse: Warehouse,
    settings: Settings,
    day: date,
    *,
    alerter: Alerter,
    as_of: datetime | None = None,
    bus: Bus | None = None,
    games: Collection[str] | None = None,
) -> PredictRun:
    """Phase 5 for ``day`` with the registry's active models (a load failure stops it with an alert).

    ``as_of`` defaults to the daily prediction time (``settings.prediction_as_of(day)``). Without
    ``bus`` the batches are predicted here, on a private in-process bus; with one (the game day's)
    they go out on its ``predict-batches`` topic to the worker role (``coordinator.BatchWorker``),
    which loads the models, and come back staged.
    """
    from nbaprops.pipeline.bus import InProcessBus
    from nbaprops.predict.coordinator import Coordinator
    from nbaprops.predict.recommend import SlateCaps, Thresholds
    from nbaprops.predict.worker import Worker, models_from_registry

    thresholds = Thresholds.from_settings(settings)
    books = [b.strip() for b in settings.odds_bookmakers.split(",") if b.strip()]
    if bus is None:
        models = models_from_registry(warehouse, settings, day, alerter=alerter)
        worker: Worker | None = Worker(models, alerter=alerter, thresholds=thresholds)
    else:
        worker = None
    synchronous = isinstance(bus, InProcessBus) and bus.workers == 0
    coordinator = Coordinator(
        warehouse,
        bus or InProcessBus(alerter=alerter),
        worker,
        alerter=alerter,
        bookmakers=books,
        caps=SlateCaps.from_settings(settings),
        subscribe=bus is None,
        batch_wait_s=0.0 if synchronous else settings.predict_batch_wait_s,
        thresholds=thresholds,
    )
    return coordinator.run(day, as_of=as_of or settings.prediction_as_of(day), games=games)


def describe(run: PredictRun) -> dict[str, Any]:
    """A JSON-ready summary of a run (what ``--json`` prints, beside the top picks)."""
    doc: dict[str, Any] = json.loads(json.dumps(vars(run), default=str))
    return doc


def top_picks(
    warehouse: Warehouse,
    run_id: str,
    limit: int = 10,
    *,
    system_id: str | None = None,
    market_shrink: float = 0.5,
) -> list[dict[str, object]]:
    """The run's best OVER/UNDER picks by edge-adjusted EV, with each player's name and matchup.

    Edge-adjusted EV (``recommend.edge_adjusted_ev``) is the EV at the probability shrunk toward the
    market, the key the stakes were sized by: ranking by raw EV favours long prices.
    """
    from nbaprops.predict.recommend import edge_adjusted_ev

    rows = warehouse.query_rows(
        "SELECT p.player_id, c.player_name, p.team, p.opponent, p.game_id, p.system_id, p.predicted_points, "
        "p.line, p.line_book, p.recommendation, p.p_over, p.expected_value, p.stake, p.p_push, "
        "p.over_price, p.under_price FROM predictions AS p "
        "LEFT JOIN upcoming_player_game_context AS c "
        "ON c.game_id = p.game_id AND c.player_id = p.player_id AND c.as_of = p.as_of "
        "WHERE p.run_id = ? AND p.recommendation IN ('OVER', 'UNDER') AND (? IS NULL OR p.system_id = ?) "
        "ORDER BY p.system_id, p.player_id",
        [run_id, system_id, system_id],
    )
    keys = (
        "player_id",
        "player_name",
        "team",
        "opponent",
        "game_id",
        "system_id",
        "predicted_points",
        "line",
        "line_book",
        "recommendation",
        "p_over",
        "expected_value",
        "stake",
    )
    picks = [dict(zip(keys, r[: len(keys)], strict=True)) for r in rows]
    if not picks:
        return []
    score = edge_adjusted_ev(
        [p["recommendation"] for p in picks],
        [p["p_over"] for p in picks],
        [r[len(keys) + 1] for r in rows],
        [r[len(keys) + 2] for r in rows],
        p_push=[float("nan") if r[len(keys)] is None else r[len(keys)] for r in rows],
        shrink=market_shrink,
    )
    for pick, value in zip(picks, score.tolist(), strict=True):
        pick["adjusted_ev"] = value
    # Stable sort: equal scores keep the query's (system, player) order.
    return sorted(picks, key=lambda p: -float(p["adjusted_ev"]))[:limit]


def _print(run: PredictRun, top: list[dict[str, object]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=sys.stdout, width=160)
    console.print(
        f"predicted {run.predicted_players} of {run.candidates} players on {run.game_date} "
        f"({run.prediction_rows} rows, {run.batches} batches); excluded: "
        + (", ".join(f"{k} {v}" for k, v in sorted(run.exclusions.items())) or "none")
    )
    if run.system_failures:
        console.print("system failures: " + ", ".join(f"{k} {v}" for k, v in run.system_failures.items()))
    console.print(
        "exposure (total stake, share of bankroll): "
        + (", ".join(f"{k} {v:.1%}" for k, v in sorted(run.exposure.items())) or "none")
        + f"; {run.capped_picks} pick(s) dropped by the per-team limit"
    )
    table = Table(title="top recommendations (by edge-adjusted EV)")
    for column in ("player", "game", "system", "pred", "line", "book", "pick", "p", "EV", "stake"):
        table.add_column(column)
    for pick in top:
        table.add_row(
            str(pick["player_id"]),
            str(pick["game_id"]),
            str(pick["system_id"]),
            f"{pick['predicted_points']:.1f}",
            f"{pick['line']}",
            str(pick["line_book"]),
            str(pick["recommendation"]),
            f"{pick['p_over']:.2f}",
            f"{pick['expected_value']:+.3f}",
            f"{pick['stake']:.3f}",
        )
    console.print(table)
