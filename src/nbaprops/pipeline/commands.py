"""``nbaprops build``: phases 3-4 over one date or a range, set-based.

Kept light at import: the warehouse and the steps are imported when the command runs.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from nbaprops.dates import check_date_range
from nbaprops.errors import ConfigError


def build(
    date_text: Annotated[
        str | None, typer.Option("--date", help="Build one game date (YYYY-MM-DD) incrementally.")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="First game date of a range (YYYY-MM-DD); needs --to.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last game date of a range (YYYY-MM-DD), inclusive.")
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the build report as one JSON object instead of a summary.")
    ] = False,
) -> None:
    """Build the analytics and feature tables (completeness gate, then every step in order)."""
    if date_text is not None and (start is not None or end is not None):
        raise ConfigError("give either --date or --from/--to, not both")
    if date_text is None and (start is None or end is None):
        raise ConfigError("give --date, or both --from and --to")
    first = _day(date_text or str(start), "--date" if date_text else "--from")
    last = first if date_text else _day(str(end), "--to")
    check_date_range(first, last)
    from nbaprops.logs import configure_logging
    from nbaprops.pipeline.build import build_range
    from nbaprops.progress import display, on_terminal
    from nbaprops.settings import load_settings

    settings = load_settings()
    configure_logging(settings)
    with display(on_terminal(json_out)):
        report = build_range(settings, first, last)
    summary = report.to_dict()
    if json_out:
        typer.echo(json.dumps(summary, sort_keys=True, default=str))
        return
    steps = ", ".join(f"{s['name']} {s['rows_out']}" for s in summary["steps"])
    typer.echo(f"build {first}..{last}: {summary['decision']}; rows: {steps}")


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} must be YYYY-MM-DD, got {text!r}") from None
