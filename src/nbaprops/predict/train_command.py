"""``nbaprops train``: train every system as of a date and register the models.

Kept light at import: numpy, LightGBM and the warehouse are imported when the command runs.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer


def train(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Train on games before this date, YYYY-MM-DD (default today ET)."),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the registered models as one JSON object.")
    ] = False,
) -> None:
    """Train the prediction systems on earlier games (walk-forward) and register them."""
    from nbaprops.dates import parse_game_date, today_et
    from nbaprops.logs import configure_logging
    from nbaprops.predict.registry import save_models
    from nbaprops.predict.train import train_as_of
    from nbaprops.progress import display, on_terminal, task
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import create_schema, open_warehouse

    day = parse_game_date(as_of) if as_of else today_et()
    settings = load_settings()
    configure_logging(settings)
    warehouse = open_warehouse(settings)
    try:
        create_schema(warehouse)
        with display(on_terminal(json_out)), task(f"train: every system on games before {day}"):
            trained = train_as_of(warehouse, day)
        versions = save_models(warehouse, settings, trained)
    finally:
        warehouse.close()
    summary = {
        "as_of": str(day),
        "rows": trained.rows,
        "train_start": str(trained.train_start),
        "train_end": str(trained.train_end),
        "models": versions,
        "oos_mae": {sid: round(m.get("oos_mae", float("nan")), 3) for sid, m in trained.metrics.items()},
    }
    if json_out:
        typer.echo(json.dumps(summary, sort_keys=True))
        return
    maes = ", ".join(f"{sid} {m.get('oos_mae', float('nan')):.3f}" for sid, m in trained.metrics.items())
    typer.echo(
        f"trained as of {day} on {trained.rows} rows ({trained.train_start}..{trained.train_end}); "
        f"out-of-sample MAE: {maes}"
    )
