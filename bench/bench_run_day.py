"""``nbaprops run`` for a whole sandbox game day, scrape -> publish, on the in-process bus and on Pub/Sub.

Setup (not timed): the sandbox season's history up to the day before the slate is archived,
ingested and built, and every system is trained as of the slate. Then, on a fresh copy of that
warehouse and an empty lake each time, ``DayRunner.run_day`` runs the schedule (morning scrape,
load, predict, the refreshes, box scores, grade, publish) against the sandbox on loopback, its
clock moved step by step. The default day is the first 15-game slate of sandbox seed 2026
(2026-01-02; seed 2025's season has none, its busiest dates have 14 games).

The sources run where real ones do, outside the pipeline's process: the sandbox is served by
``nbaprops sandbox serve`` in its own process (its clock moved over ``/_sandbox/clock``), so its
CPU is not billed to the day. The day runs four times:

* ``inprocess``: the in-process bus;
* ``pubsub_emulator``: ``PubSubBus`` on the gcloud Pub/Sub emulator (started here in its own
  process group; skipped with a note when gcloud is missing);
* ``inprocess_sandbox_thread``: the in-process bus with the sandbox served from a thread of the
  pipeline's own process, as this benchmark measured before (its CPU, under the same GIL,
  included): the figure to compare with earlier ones;
* ``inprocess_again``: the first case once more. The first run pays some first-time costs (SQL
  compiled, models decoded, the modules the setup did not import); this one shows a warm process.

Logging is set up as ``nbaprops run`` sets it up (JSON lines at INFO to the run's log file,
warnings to stderr). Prints one JSON line: wall and CPU seconds of this process, seconds per
step, messages per bus, the slate, peak RSS.

    .venv/bin/python bench/bench_run_day.py [--seed 2026] [--date 2026-01-02]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from benchlib import emit

ODDS_QUOTA = 200_000
DEFAULT_SEED = 2026  # its season has 15-game slates; seed 2025's busiest dates have 14 games


def prepare(root: Path, day: date, seed: int) -> tuple[Path, Any]:
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

    settings = load_settings(data_dir=root, log_level="WARNING", sandbox_seed=seed)
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


@contextmanager
def sandbox_process(seed: int, day: date, odds_quota: int) -> Iterator[str]:
    """``nbaprops sandbox serve`` for seed ``seed`` on a free loopback port, its clock at 11:00 ET
    of ``day``, in its own process group; yields its base URL once it answers."""
    import httpx

    from emulators import free_port, process_group
    from nbaprops.dates import et_datetime

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        str(Path(sys.executable).with_name("nbaprops")),
        *("sandbox", "serve", "--seed", str(seed), "--port", str(port)),
        *("--now", et_datetime(day, 11).isoformat(), "--odds-quota", str(odds_quota)),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBAPROPS_")}  # the sandbox's own keys

    def ready() -> bool:
        try:
            return httpx.get(f"{base_url}/_sandbox/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False  # not listening yet

    with process_group(command, env, ready=ready, name="the sandbox", within_s=60):
        yield base_url


@dataclass
class HttpSandboxClock:
    """The runner's clock for a sandbox in another process: ``arrive`` sets its time over HTTP
    (one kept-alive connection: a client per call cost ~50 ms each, billed to the day)."""

    client: Any  # httpx.Client on the sandbox's base URL
    current: datetime

    def now(self) -> datetime:
        """The sandbox's time (only this clock moves it)."""
        return self.current

    def arrive(self, moment: datetime) -> None:
        """Set the sandbox's time to ``moment``."""
        self.client.post("/_sandbox/clock", json={"now": moment.isoformat()}).raise_for_status()
        self.current = moment


def run_day(  # noqa: PLR0917 - one benchmark case, every part named
    prepared: Path, season: Any, day: date, work: Path, bus_kind: str, sandbox_url: str | None
) -> dict[str, Any]:
    """One timed ``run_day`` on a copy of ``prepared`` with the named bus, against the sandbox at
    ``sandbox_url`` (None: served from a thread of this process)."""
    import httpx

    from nbaprops.dates import et_datetime
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
    from nbaprops.pipeline.sandbox_session import pointed_settings, sandbox_session
    from nbaprops.sandbox.server import SANDBOX_BDL_KEY, SANDBOX_ODDS_KEY
    from nbaprops.settings import load_settings
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    work.mkdir(parents=True)
    shutil.copyfile(prepared, work / "warehouse.duckdb")
    settings = load_settings(data_dir=work, sandbox_seed=season.seed)
    configure_logging(settings)  # as `nbaprops run` logs: JSON lines at INFO to the file, warnings to stderr
    with ExitStack() as stack:
        warehouse = stack.enter_context(DuckDBWarehouse(str(work / "warehouse.duckdb"), query_timeout_s=600))
        clock: Any
        if sandbox_url is None:
            session = stack.enter_context(
                sandbox_session(settings, day=day, season=season, odds_quota=ODDS_QUOTA)
            )
            pointed, clock = session.settings, SandboxDayClock(session.clock)
        else:
            keys = {"bdl_key": SANDBOX_BDL_KEY, "odds_key": SANDBOX_ODDS_KEY}
            pointed = pointed_settings(settings, sandbox_url, **keys)
            admin = stack.enter_context(httpx.Client(base_url=sandbox_url, timeout=10))
            clock = HttpSandboxClock(admin, et_datetime(day, 11))
            clock.arrive(clock.current)  # a sandbox used by an earlier run starts over
        http = stack.enter_context(HttpClient.from_settings(pointed))
        alerter = Alerter(warehouse)
        bus: Any = (
            InProcessBus(alerter=alerter)
            if bus_kind == "inprocess"
            else PubSubBus(
                "nbaprops-bench", DeliveryLog(warehouse), prefix=f"b{os.getpid()}-", alerter=alerter
            )
        )
        services = DayServices(settings, warehouse, open_lake(settings), alerter, http, pointed)
        runner = DayRunner(services, bus, FileLockStore(work / "locks"), clock)
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


def first_slate_of(season: Any, games: int) -> date:
    """The first date of ``season`` with ``games`` games (else its first busiest date)."""
    busiest = max(len(g) for g in season.games_by_date.values())
    wanted = min(games, busiest)
    return min(d for d, g in season.games_by_date.items() if len(g) == wanted)


def main() -> None:
    """Prepare once, run the day on each bus, print the JSON line."""
    from nbaprops.sandbox.simulator import generate_season
    from nbaprops.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Sandbox season seed.")
    parser.add_argument(
        "--date", type=date.fromisoformat, default=None, help="Game date (default: the first 15-game slate)."
    )
    args = parser.parse_args()
    seed: int = args.seed
    season = generate_season(seed, load_settings().sandbox_season)
    day: date = args.date or first_slate_of(season, 15)
    root = Path(tempfile.mkdtemp(prefix="nbaprops-bench-day-"))
    try:
        began = time.perf_counter()
        prepared, season = prepare(root / "prepared", day, seed)
        setup_s = time.perf_counter() - began
        results: dict[str, Any] = {}
        with sandbox_process(seed, day, ODDS_QUOTA) as url:
            results["inprocess"] = run_day(prepared, season, day, root / "inprocess", "inprocess", url)
            if shutil.which("gcloud"):
                from emulators import emulator

                with emulator("pubsub") as host:
                    os.environ["PUBSUB_EMULATOR_HOST"] = host
                    results["pubsub_emulator"] = run_day(
                        prepared, season, day, root / "pubsub", "pubsub", url
                    )
            else:
                results["pubsub_emulator"] = {"skipped": "gcloud not on PATH"}
        results["inprocess_sandbox_thread"] = run_day(
            prepared, season, day, root / "inprocess-thread", "inprocess", None
        )
        with sandbox_process(seed, day, ODDS_QUOTA) as url:  # the first case again, in a warm process
            results["inprocess_again"] = run_day(prepared, season, day, root / "again", "inprocess", url)
        emit(
            "run_day",
            seed=seed,
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
