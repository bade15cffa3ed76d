"""``nbaprops run`` for a whole sandbox game day, scrape -> publish, on the in-process bus and on Pub/Sub.

Setup (not timed): the sandbox season's history up to the day before the slate is archived,
ingested and built, and every system is trained as of the slate. Then, on a fresh copy of that
warehouse and an empty lake each time, ``DayRunner.run_day`` runs the schedule (morning scrape,
load, predict, the refreshes, box scores, grade, publish) against the sandbox on loopback, its
clock moved step by step: once with the in-process bus, once with ``PubSubBus`` on the gcloud
Pub/Sub emulator (started here in its own process group; skipped with a note when gcloud is
missing). Logging is set up as ``nbaprops run`` sets it up (JSON lines at INFO to the run's log
file, warnings to stderr). Prints one JSON line: wall and CPU seconds (this process, the sandbox's thread
included: the figure that does not depend on what else the machine runs), seconds per step,
messages per bus, the slate, peak RSS.

    .venv/bin/python bench/bench_run_day.py [--date 2025-11-29]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from benchlib import emit

DEFAULT_DATE = date(2025, 11, 29)  # the first 14-game slate (the sandbox season has no 15-game date)


def prepare(root: Path, day: date) -> tuple[Path, Any]:
    """History before ``day`` built and models trained; returns the warehouse file and the season."""
    from nbaprops.dates import et_datetime
    from nbaprops.lake import open_lake
    from nbaprops.logs import configure_logging
    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.build import build_range
    from nbaprops.predict.registry import save_models
    from nbaprops.predict.train import train_as_of
    from nbaprops.raw.ingest import ingest_from_dir
    from nbaprops.sandbox.archive import write_archive
    from nbaprops.sandbox.simulator import generate_season
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import create_schema
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    settings = load_settings(data_dir=root, log_level="WARNING")
    configure_logging(settings)
    season = generate_season(settings.sandbox_seed, settings.sandbox_season)
    end = day - timedelta(days=1)
    write_archive(season, open_lake(settings), start=season.first_date, end=end)
    path = root / "warehouse.duckdb"
    with DuckDBWarehouse(str(path), query_timeout_s=600) as warehouse:
        create_schema(warehouse)
        alerter = Alerter(warehouse)
        ingest_from_dir(settings, Path(settings.resolved_lake_url), warehouse=warehouse, alerter=alerter)
        build_range(
            warehouse, season.first_date, end, alerter=alerter, settings=settings, now=et_datetime(day, 6)
        )
        save_models(warehouse, settings, train_as_of(warehouse, day))
    return path, season


def run_day(prepared: Path, season: Any, day: date, work: Path, bus_kind: str) -> dict[str, Any]:
    """One timed ``run_day`` on a copy of ``prepared`` with the named bus."""
    from nbaprops.http import HttpClient
    from nbaprops.lake import open_lake
    from nbaprops.logs import configure_logging
    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.bus import InProcessBus
    from nbaprops.pipeline.day_actions import DayServices
    from nbaprops.pipeline.delivery import DeliveryLog
    from nbaprops.pipeline.locks import FileLockStore
    from nbaprops.pipeline.pubsub import PubSubBus
    from nbaprops.pipeline.runner import DayRunner, SandboxDayClock
    from nbaprops.pipeline.sandbox_session import sandbox_session
    from nbaprops.settings import load_settings
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    work.mkdir(parents=True)
    shutil.copyfile(prepared, work / "warehouse.duckdb")
    settings = load_settings(data_dir=work)
    configure_logging(settings)  # as `nbaprops run` logs: JSON lines at INFO to the file, warnings to stderr
    with (
        DuckDBWarehouse(str(work / "warehouse.duckdb"), query_timeout_s=600) as warehouse,
        sandbox_session(settings, day=day, season=season, odds_quota=200_000) as session,
        HttpClient.from_settings(session.settings) as http,
    ):
        alerter = Alerter(warehouse)
        bus: Any = (
            InProcessBus(alerter=alerter)
            if bus_kind == "inprocess"
            else PubSubBus(
                "nbaprops-bench", DeliveryLog(warehouse), prefix=f"b{os.getpid()}-", alerter=alerter
            )
        )
        services = DayServices(settings, warehouse, open_lake(settings), alerter, http, session.settings)
        runner = DayRunner(services, bus, FileLockStore(work / "locks"), SandboxDayClock(session.clock))
        began, cpu = time.perf_counter(), time.process_time()
        report = runner.run_day(day)
        seconds, cpu_s = time.perf_counter() - began, time.process_time() - cpu
        if bus_kind == "pubsub":
            bus.close()
        steps = warehouse.query_rows(
            "SELECT step, started_at, finished_at FROM run_ledger "
            "WHERE starts_with(step, 'day.') ORDER BY started_at"
        )
        predictions = warehouse.row_count("predictions")
        batches = warehouse.row_count("prediction_batches")
        history = warehouse.row_count("prediction_history")
    return {
        "seconds": round(seconds, 2),
        "cpu_s": round(cpu_s, 2),
        "step_seconds": {
            str(s).removeprefix("day."): round((end - start).total_seconds(), 2) for s, start, end in steps
        },
        "ok": report.ok,
        "steps": len(report.outcomes),
        "messages": report.messages,
        "batch_messages": batches,  # predict-batches, from the predicting steps to the worker role
        "deliveries": getattr(bus, "delivered", report.messages),
        "predictions": predictions,
        "prediction_history": history,
        "failed": [
            f"{o.occurrence}:{o.status}" for o in report.outcomes if o.status not in ("success", "skipped")
        ],
    }


def main() -> None:
    """Prepare once, run the day on each bus, print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", type=date.fromisoformat, default=DEFAULT_DATE)
    args = parser.parse_args()
    day: date = args.date
    root = Path(tempfile.mkdtemp(prefix="nbaprops-bench-day-"))
    try:
        began = time.perf_counter()
        prepared, season = prepare(root / "prepared", day)
        setup_s = time.perf_counter() - began
        results = {"inprocess": run_day(prepared, season, day, root / "inprocess", "inprocess")}
        if shutil.which("gcloud"):
            from emulators import emulator

            with emulator("pubsub") as host:
                os.environ["PUBSUB_EMULATOR_HOST"] = host
                results["pubsub_emulator"] = run_day(prepared, season, day, root / "pubsub", "pubsub")
        else:
            results["pubsub_emulator"] = {"skipped": "gcloud not on PATH"}
        emit(
            "run_day",
            game_date=day.isoformat(),
            games=len(season.games_by_date[day]),
            setup_s=round(setup_s, 1),
            peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            **results,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
