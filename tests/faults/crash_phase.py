"""Run one pipeline phase in this process; SIGKILL it at the Nth call of a chosen method.

Usage: ``python crash_phase.py PHASE TARGET N CONFIG_JSON`` where TARGET is ``Class.method`` of
the warehouse or the lake (``DuckDBWarehouse.execute``, ``DuckDBWarehouse._timed`` (every query and
statement), ``FsspecLake.put``, …). N = 0 runs to the
end and prints how many calls TARGET received (to place kill points); N > 0 kills the process,
with no chance to clean up, just before the Nth call. The phase code itself is the real one.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any


def arm(target: str, kill_at: int) -> Callable[[], int]:
    """Wrap TARGET so that its Nth call kills the process; returns a reader of the call count."""
    from nbaprops.lake import FsspecLake
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    owner_name, method = target.split(".")
    owner: Any = {"DuckDBWarehouse": DuckDBWarehouse, "FsspecLake": FsspecLake}[owner_name]
    original = getattr(owner, method)
    calls = 0

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, *args, **kwargs)

    setattr(owner, method, wrapper)
    return lambda: calls


def run(phase: str, config: dict[str, Any]) -> None:
    """The phase, as its command runs it, on the files named in ``config``."""
    from nbaprops.lake import open_lake
    from nbaprops.logs import configure_logging
    from nbaprops.ops.alerts import Alerter
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import RunLedger, create_schema, open_warehouse

    settings = load_settings()  # from the NBAPROPS_* environment the test sets
    configure_logging(settings)  # events go to <data_dir>/logs, where the secret scan reads them
    warehouse = open_warehouse(settings)
    create_schema(warehouse)
    alerter = Alerter(warehouse)
    start, end = date.fromisoformat(config["start"]), date.fromisoformat(config["end"])
    if phase == "scrape":
        from nbaprops.http import HttpClient
        from nbaprops.sources.daily import scrape_source

        with HttpClient.from_settings(settings) as http:
            scrape_source(
                settings,
                "all",
                start,
                http=http,
                lake=open_lake(settings),
                ledger=RunLedger(warehouse),
                alerter=alerter,
                now=datetime.fromisoformat(config["now"]),
            )
    elif phase == "ingest":
        from nbaprops.raw.ingest import ingest_from_dir

        ingest_from_dir(settings, Path(config["lake"]), warehouse=warehouse, alerter=alerter, workers=2)
    elif phase == "build":
        from nbaprops.pipeline.build import build_range

        build_range(warehouse, start, end, alerter=alerter, settings=settings)
    elif phase == "predict":
        from nbaprops.predict.commands import predict_date

        predict_date(warehouse, settings, end, alerter=alerter)
    elif phase == "grade":
        from nbaprops.grade.grader import grade_range

        grade_range(warehouse, end, end)
    else:
        raise SystemExit(f"unknown phase {phase}")
    warehouse.close()


def main() -> None:
    """Entry point: see the module docstring."""
    phase, target, kill_at, config = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
    count = arm(target, kill_at)
    run(phase, config)
    sys.stdout.write(json.dumps({"calls": count()}) + "\n")


if __name__ == "__main__":
    main()
