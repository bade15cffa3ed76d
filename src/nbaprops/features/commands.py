"""``nbaprops features show``: print one game date's feature rows (light imports at load)."""

from __future__ import annotations

from typing import Annotated

import typer

from nbaprops.errors import ConfigError


def features_show(
    date_text: Annotated[
        str, typer.Option("--date", help="Game date (YYYY-MM-DD, TODAY, YESTERDAY) whose features to print.")
    ],
    fmt: Annotated[
        str, typer.Option("--format", help="Output format: csv (a header, one line per player) or json.")
    ] = "csv",
) -> None:
    """Print the feature store's rows of one game date (current feature version), in contract order."""
    if fmt not in ("csv", "json"):
        raise ConfigError(f"--format must be csv or json, got {fmt!r}")
    from nbaprops.dates import parse_game_date
    from nbaprops.features.show import feature_rows, render
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import create_schema, open_warehouse

    day = parse_game_date(date_text)
    warehouse = open_warehouse(load_settings())
    try:
        create_schema(warehouse)
        rows = feature_rows(warehouse, day)
    finally:
        warehouse.close()
    typer.echo(render(rows, "json" if fmt == "json" else "csv"), nl=False)
