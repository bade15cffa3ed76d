"""``nbaprops scrape SOURCE --date D``: one game date from one source (or all, with fallbacks).

Imports stay light here: the scraping machinery loads when the command runs, not with ``--help``.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from nbaprops.errors import ConfigError, QualityGateError

if TYPE_CHECKING:
    from nbaprops.sources.daily import ScrapeReport

SOURCE_HELP = (
    "nbacom (schedule, leaguegamelog, scoreboardv2, play-by-play, playerindex), injury_report "
    "(the official PDF), bdl (games, box scores, injuries, players, teams), oddsapi (events and "
    "pre-tip odds), espn (scoreboard), or all (every fact, with fallbacks between sources)."
)


def scrape(
    source: Annotated[str, typer.Argument(help=SOURCE_HELP, metavar="SOURCE")],
    date: Annotated[
        str, typer.Option("--date", help="ET game date: YYYY-MM-DD, TODAY or YESTERDAY.")
    ] = "YESTERDAY",
    use: Annotated[
        str,
        typer.Option(
            "--use",
            help="live (the daily scrape) or history (a past date backfilled): which facts are "
            "required and which only degrade the date (docs/sources.md), and which odds snapshots a "
            "played game gets.",
        ),
    ] = "live",
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the report as one JSON object instead of a table.")
    ] = False,
) -> None:
    """Scrape one game date into the lake; every step is a run-ledger row.

    Exits non-zero when a required fact is missing (a step failed and no fallback source made up
    for it); an optional fact a source does not serve is reported as degraded and exits 0.
    """
    from nbaprops.dates import parse_game_date
    from nbaprops.http import HttpClient
    from nbaprops.lake import open_lake
    from nbaprops.logs import configure_logging
    from nbaprops.ops.alerts import Alerter
    from nbaprops.settings import load_settings
    from nbaprops.sources.daily import scrape_source
    from nbaprops.warehouse import RunLedger, create_schema, open_warehouse

    if use not in ("live", "history"):
        raise ConfigError(f"--use must be live or history, not {use!r}")
    settings = load_settings()
    configure_logging(settings)
    day = parse_game_date(date)
    warehouse = open_warehouse(settings)
    try:
        create_schema(warehouse)
        with HttpClient.from_settings(settings) as http:
            report = scrape_source(
                settings,
                source,
                day,
                http=http,
                lake=open_lake(settings),
                ledger=RunLedger(warehouse),
                alerter=Alerter(warehouse),
                warehouse=warehouse,
                use="history" if use == "history" else "live",
            )
    finally:
        warehouse.close()
    if json_out:
        sys.stdout.write(json.dumps(report.to_dict(), default=str) + "\n")
    else:
        _print_table(report)
    if report.problems:
        raise QualityGateError(
            f"{len(report.problems)} scrape step(s) failed for {day}: "
            + "; ".join(f"{p.step}: {p.error}" for p in report.problems)
        )


def _print_table(report: ScrapeReport) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"nbaprops scrape {report.source} {report.day}")
    for column in ("step", "status", "rows", "objects", "note"):
        table.add_column(column, justify="right" if column in ("rows", "objects") else "left")
    for step in report.steps:
        note = step.error or ""
        if step.rescued_by:
            note = f"(served by {step.rescued_by}) {note}"
        table.add_row(step.step, step.status, str(step.rows), str(len(step.lake_paths)), note)
    console = Console(file=sys.stdout, width=200)
    console.print(table)
    served = ", ".join(f"{c.fact}={c.source}" for c in report.coverage if c.status == "served")
    degraded = ", ".join(sorted({s.fact or s.step for s in report.degraded}))
    console.print(
        f"served: {served or '-'}; degraded (optional, missing): {degraded or '-'}; "
        f"odds credits: {report.credits_spent}"
    )
