"""``nbaprops publish --date D``: write a game date's JSON files and the dashboard under ``publish/``.

Imports stay light: the warehouse and the publisher load when the command runs.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer


def publish(
    date: Annotated[
        str, typer.Option("--date", help="ET game date to publish: YYYY-MM-DD, TODAY or YESTERDAY.")
    ] = "TODAY",
    json_out: Annotated[
        bool, typer.Option("--json", help="Print what was written as one JSON object.")
    ] = False,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Build and write every player file, even those whose inputs did not change."
        ),
    ] = False,
) -> None:
    """Write tonight/, picks/, players/, results/ (once graded), performance, status and the dashboard.

    Publishing a date twice gives identical files; a player file whose inputs did not change since it
    was written is left as it is (``--full`` writes it again, e.g. after a power cut on a local lake).
    Exits non-zero when the date has no predictions.
    """
    from nbaprops.dates import parse_game_date
    from nbaprops.logs import configure_logging
    from nbaprops.publish.publisher import PREFIX, publish_date
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import create_schema, open_warehouse

    settings = load_settings()
    configure_logging(settings)
    day = parse_game_date(date)
    warehouse = open_warehouse(settings)
    try:
        create_schema(warehouse)
        report = publish_date(warehouse, settings, day, full=full)
    finally:
        warehouse.close()
    if json_out:
        sys.stdout.write(json.dumps(report.to_dict(), sort_keys=True) + "\n")
        return
    graded = "not graded yet" if report.graded_picks is None else f"{report.graded_picks} graded picks"
    typer.echo(
        f"published {day}: {report.predictions} predictions, {report.picks} picks, {report.players} players, "
        f"{graded}; {len(report.files)} files under {settings.resolved_lake_url}/{PREFIX}"
    )


def dashboard(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0: a free one).")] = 0,
) -> None:
    """Serve the published files and the dashboard on loopback (what was published last; Ctrl-C stops).

    The lake must be a local folder (the default, and the demo's). The read API is mounted under
    ``/api`` of the same server.
    """
    from nbaprops.logs import configure_logging
    from nbaprops.publish.serve import serve_published
    from nbaprops.settings import load_settings

    settings = load_settings()
    configure_logging(settings)
    serve_published(settings, port=port)
