"""``nbaprops ingest``: load stored payloads from the lake (or an archive folder) into raw tables.

Kept light at import: the warehouse, pyarrow and the parsers are imported when the command runs.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from nbaprops.errors import ConfigError

WORKERS = 2  # parser processes for large ingests (a season replay); the target machine has 2 cores


def ingest(
    date_text: Annotated[
        str | None,
        typer.Option("--date", help="Game date (YYYY-MM-DD): load the lake's payloads for that day."),
    ] = None,
    from_dir: Annotated[
        str | None,
        typer.Option(
            "--from-dir",
            help="Folder or bucket prefix (gs://…) laid out like the lake (an archive): "
            "load every payload in it.",
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the run's report as one JSON object instead of a summary.")
    ] = False,
) -> None:
    """Load raw payloads into the warehouse's raw tables (bad payloads are quarantined and alerted)."""
    if (date_text is None) == (from_dir is None):
        raise ConfigError("give exactly one of --date or --from-dir")
    from nbaprops.lake import open_lake
    from nbaprops.logs import configure_logging
    from nbaprops.ops.alerts import Alerter
    from nbaprops.progress import display, on_terminal
    from nbaprops.raw.ingest import ingest_date, ingest_from_dir
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import create_schema, open_warehouse

    settings = load_settings()
    configure_logging(settings)
    warehouse = open_warehouse(settings)
    try:
        create_schema(warehouse)
        alerter = Alerter(warehouse)
        if from_dir is not None:
            with display(on_terminal(json_out)):
                report = ingest_from_dir(
                    settings, from_dir, warehouse=warehouse, alerter=alerter, workers=WORKERS
                )
        else:
            day = _day(str(date_text))
            report = ingest_date(
                settings, day, warehouse=warehouse, lake=open_lake(settings), alerter=alerter
            )
    finally:
        warehouse.close()
    summary = report.to_dict()
    if json_out:
        typer.echo(json.dumps(summary, sort_keys=True, default=str))
        return
    counts = summary["counts"]
    typer.echo(
        f"ingest {summary['scope']}: {summary['payloads_found']} payload(s) found, "
        f"{summary['already_loaded']} already loaded; loaded {counts.get('loaded', 0)}, "
        f"unchanged {counts.get('unchanged', 0)}, quarantined {counts.get('quarantined', 0)}; "
        f"{summary['rows_written']} row(s) written"
    )


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--date must be YYYY-MM-DD, got {text!r}") from None
