"""``nbaprops grade --date D``: grade a finished day's predictions and score each system.

Imports stay light: the warehouse, numpy and pyarrow load when the command runs.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from nbaprops.errors import QualityGateError

if TYPE_CHECKING:
    from nbaprops.grade.grader import GradeReport


def grade(
    date: Annotated[
        str, typer.Option("--date", help="ET game date to grade: YYYY-MM-DD, TODAY or YESTERDAY.")
    ] = "YESTERDAY",
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the report as one JSON object instead of a table.")
    ] = False,
) -> None:
    """Grade every prediction of a date against the box scores; idempotent (a re-run replaces).

    Refuses a date whose box scores are incomplete per the schedule, and exits non-zero when the
    date had no predictions to grade.
    """
    from nbaprops.dates import parse_game_date
    from nbaprops.grade.grader import grade_date
    from nbaprops.logs import configure_logging
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import create_schema, open_warehouse

    settings = load_settings()
    configure_logging(settings)
    day = parse_game_date(date)
    warehouse = open_warehouse(settings)
    try:
        create_schema(warehouse)
        report = grade_date(warehouse, day)
    finally:
        warehouse.close()
    if json_out:
        sys.stdout.write(json.dumps(report.to_dict(), default=str) + "\n")
    else:
        print_report(report)
    if report.skipped_reason is not None:
        raise QualityGateError(f"nothing graded: {report.skipped_reason}")


def _fmt(value: object, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_report(report: GradeReport) -> None:
    """A per-system table of the graded day(s), every rate beside its N."""
    from rich.console import Console
    from rich.table import Table

    title = f"nbaprops grade {report.start}" + ("" if report.start == report.end else f"..{report.end}")
    table = Table(title=title)
    columns = (
        "date",
        "system",
        "n",
        "void",
        "MAE",
        "bias",
        "picks",
        "hit rate",
        "ROI",
        "Brier",
        "ECE",
        "cover",
    )
    for column in columns:
        table.add_column(column, justify="left" if column in ("date", "system") else "right")
    for row in report.daily:
        table.add_row(
            str(row["game_date"]),
            str(row["system_id"]),
            str(row["n"]),
            str(row["n_void"]),
            _fmt(row["mae"], ".2f"),
            _fmt(row["bias"], "+.2f"),
            str(row["n_picks"]),
            _fmt(row["hit_rate"], ".1%"),
            _fmt(row["roi"], "+.1%"),
            _fmt(row["brier"], ".3f"),
            _fmt(row["ece"], ".3f"),
            _fmt(row["coverage"], ".1%"),
        )
    console = Console(file=sys.stdout, width=160)
    console.print(table)
    console.print(f"graded {report.graded} prediction(s), {report.voided} voided (did not play)")
