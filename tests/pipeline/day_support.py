"""A sandbox game day ready to run: two weeks of history built and models trained, the league on loopback.

Shared by the run/gaps tests and the Pub/Sub bus tests: ``prepared_day`` copies the session's
season warehouse, builds it and trains as of the day after; ``open_runner`` serves the sandbox and
returns a ``DayRunner`` over that warehouse with the bus and lock store given.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from factories import open_season_copy, process_scratch, season_warehouse
from nbaprops.dates import et_datetime

HISTORY_DAYS = 14


@dataclass(frozen=True)
class PreparedDay:
    """A built and trained warehouse file, the next game date, and the season."""

    path: Path
    day: date
    season: Any


_PREPARED: dict[str, PreparedDay] = {}


def shared_prepared_day() -> PreparedDay:
    """``prepared_day`` once per test process (every module that runs a day copies it)."""
    if "day" not in _PREPARED:
        _PREPARED["day"] = prepared_day(process_scratch("nbaprops-day-"))
    return _PREPARED["day"]


def prepared_day(directory: Path) -> PreparedDay:
    """History of the season's first two weeks built, models trained as of the next game date."""
    from nbaprops.pipeline.build import build_range
    from nbaprops.predict.registry import save_models
    from nbaprops.predict.train import train_as_of
    from nbaprops.settings import load_settings

    source = season_warehouse(HISTORY_DAYS)
    directory.mkdir(parents=True, exist_ok=True)
    settings = load_settings(data_dir=directory, log_level="ERROR")
    warehouse = open_season_copy(directory, HISTORY_DAYS)
    try:
        build_range(
            warehouse,
            source.start,
            source.end,
            settings=settings,
            now=et_datetime(source.end + timedelta(days=1), 6),
        )
        day = min(d for d in source.season.games_by_date if d > source.end)
        save_models(warehouse, settings, train_as_of(warehouse, day))
    finally:
        warehouse.close()
    return PreparedDay(directory / "season.duckdb", day, source.season)


def copy_prepared(prepared: PreparedDay, directory: Path) -> Path:
    """A private copy of the prepared warehouse (and its model files) under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "season.duckdb"
    shutil.copyfile(prepared.path, target)
    models = prepared.path.parent / "models"
    if models.is_dir() and prepared.path.parent != directory:
        shutil.copytree(models, directory / "models", dirs_exist_ok=True)
    return target


@contextmanager
def open_runner(
    prepared: PreparedDay,
    directory: Path,
    *,
    bus: Any = None,
    locks: Any = None,
    wait_mode: str = "block",
    subscribe: bool = True,
) -> Iterator[Any]:
    """A ``DayRunner`` over a copy of the prepared warehouse, the sandbox served on loopback."""
    from nbaprops.http import HttpClient
    from nbaprops.lake import open_lake
    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.bus import InProcessBus
    from nbaprops.pipeline.day_actions import DayServices
    from nbaprops.pipeline.locks import FileLockStore
    from nbaprops.pipeline.runner import DayRunner, SandboxDayClock
    from nbaprops.pipeline.sandbox_session import sandbox_session
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import create_schema
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    path = copy_prepared(prepared, directory)
    settings = load_settings(data_dir=directory, log_level="ERROR")
    with ExitStack() as stack:
        warehouse = stack.enter_context(DuckDBWarehouse(str(path), query_timeout_s=120))
        create_schema(warehouse)
        alerter = Alerter(warehouse)
        session = stack.enter_context(
            sandbox_session(settings, day=prepared.day, season=prepared.season, odds_quota=200_000)
        )
        http = stack.enter_context(HttpClient.from_settings(session.settings))
        services = DayServices(settings, warehouse, open_lake(settings), alerter, http, session.settings)
        yield DayRunner(
            services,
            bus if bus is not None else InProcessBus(alerter=alerter),
            locks if locks is not None else FileLockStore(directory / "locks"),
            SandboxDayClock(session.clock),
            wait_mode=wait_mode,  # type: ignore[arg-type]
            backoff_s=0.01,
            subscribe=subscribe,
        )


SNAPSHOT_TABLES = (
    "predictions",
    "prediction_history",
    "prediction_exclusions",
    "prediction_grades",
    "system_daily_performance",
    "feature_store",
    "player_game_summary",
    "raw_oddsa_player_props",
    "raw_nbac_injury_report",
)
VOLATILE = {
    "run_id",
    "created_at",
    "recorded_at",
    "graded_at",
    "built_at",
    "loaded_at",
    "fetched_at",
    "source_file",
}
"""Columns that name a run or the wall-clock moment of a write: they differ between equal runs."""


def content_snapshot(warehouse: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the day's data tables, without run ids and write times, sorted."""
    from nbaprops.warehouse.schema import table_spec

    snapshot = {}
    for name in SNAPSHOT_TABLES:
        columns = [c.name for c in table_spec(name).columns if c.name not in VOLATILE]
        rows = warehouse.query_rows(f"SELECT {', '.join(columns)} FROM {name}")  # noqa: S608 - spec names
        snapshot[name] = sorted(rows, key=repr)
    return snapshot
