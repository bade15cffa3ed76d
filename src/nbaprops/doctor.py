"""``nbaprops doctor``: check the configured backends and print what is missing, one line each.

The warehouse and the lake check themselves (``doctor()``): DuckDB opens its file and counts the
schema's tables; BigQuery checks the endpoint, the environment's dataset, its tables, that query
jobs can be created and tables written, and states the per-query cost cap; the lake reaches its
folder or bucket and writes, reads back and deletes a probe object. Exit code 1 when anything is
missing.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from nbaprops.checks import Check
from nbaprops.errors import NbaPropsError


def run_checks() -> list[Check]:
    """Every finding for the configured warehouse and lake (opening failures included)."""
    from nbaprops.lake import open_lake
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import open_warehouse

    settings = load_settings()
    checks: list[Check] = []
    try:
        warehouse = open_warehouse(settings)
    except NbaPropsError as exc:
        checks.append(Check("warehouse", "reach", False, f"{settings.warehouse_backend}: {exc}"))
    else:
        try:
            checks += warehouse.doctor()
        except NbaPropsError as exc:
            checks.append(Check("warehouse", "reach", False, str(exc)))
        finally:
            warehouse.close()
    try:
        checks += open_lake(settings).doctor()
    except NbaPropsError as exc:
        checks.append(Check("lake", "reach", False, f"{settings.resolved_lake_url}: {exc}"))
    return checks


def doctor(
    json_out: Annotated[bool, typer.Option("--json", help="Print the findings as one JSON object.")] = False,
) -> None:
    """Check the configured warehouse and lake: reach, datasets or folders, buckets, tables,
    permissions, cost caps. Prints one line per finding; exits 1 when anything is missing."""
    from nbaprops.logs import configure_logging
    from nbaprops.settings import load_settings

    configure_logging(load_settings())
    checks = run_checks()
    missing = [c for c in checks if not c.ok]
    if json_out:
        typer.echo(json.dumps({"ok": not missing, "checks": [c.to_dict() for c in checks]}, sort_keys=True))
    else:
        for check in checks:
            typer.echo(check.line())
    if missing:
        raise typer.Exit(1)
