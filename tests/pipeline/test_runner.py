"""The day runner with recording actions: due order, tip windows, gates, idempotent requests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from factories import put_rows
from nbaprops.dates import et_datetime
from nbaprops.ops.alerts import Alerter
from nbaprops.pipeline.bus import InProcessBus
from nbaprops.pipeline.day_actions import ActionResult, DayServices
from nbaprops.pipeline.delivery import NotReady
from nbaprops.pipeline.locks import FileLockStore
from nbaprops.pipeline.runner import DayRunner, Occurrence
from nbaprops.pipeline.schedule import SCHEDULE
from nbaprops.settings import load_settings
from nbaprops.warehouse import create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse

DAY = date(2026, 1, 31)


class FakeClock:
    def __init__(self) -> None:
        self.moment = et_datetime(DAY, 6)

    def now(self) -> datetime:
        return self.moment

    def arrive(self, moment: datetime) -> None:
        self.moment = moment


@pytest.fixture
def warehouse() -> Iterator[DuckDBWarehouse]:
    with DuckDBWarehouse(":memory:", query_timeout_s=30) as wh:
        create_schema(wh)
        yield wh


def _runner(
    warehouse: DuckDBWarehouse, tmp_path: Path, calls: list[tuple[str, datetime]], **kwargs: Any
) -> DayRunner:
    def action(name: str) -> Any:
        def run(services: DayServices, day: date, at: datetime) -> ActionResult:
            calls.append((name, at))
            if name == "scrape_all":  # the morning scrape loads the schedule: 12:00, 19:00 and 19:30 ET tips
                tips = [et_datetime(DAY, 12), et_datetime(DAY, 19), et_datetime(DAY, 19, 30)]
                put_rows(
                    warehouse,
                    "raw_nbac_schedule",
                    [{"game_id": f"g{i}", "tip_utc": t, "game_date": DAY} for i, t in enumerate(tips)],
                    when=at,
                    day=DAY,
                )
            return ActionResult(1)

        return run

    services = DayServices(load_settings(data_dir=tmp_path), warehouse, None, Alerter(warehouse))  # type: ignore[arg-type]
    return DayRunner(
        services,
        InProcessBus(),
        FileLockStore(tmp_path / "locks"),
        FakeClock(),
        actions={s.action: action(s.action) for s in SCHEDULE},
        **kwargs,
    )


def test_steps_run_in_due_order_with_one_refresh_per_tip_window(
    warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    calls: list[tuple[str, datetime]] = []
    report = _runner(warehouse, tmp_path, calls).run_day(DAY)
    assert report.ok
    et = [(name, at.astimezone(ZoneInfo("America/New_York"))) for name, at in calls]
    assert [(n, f"{t:%d %H:%M}") for n, t in et] == [
        ("scrape_all", "31 10:30"),
        ("load", "31 10:30"),
        ("predict", "31 11:00"),
        # the 12:00 window's refresh (11:15) is within 30 min of the prediction: dropped
        ("refresh", "31 15:00"),
        ("refresh", "31 18:15"),  # one refresh for the 19:00 and 19:30 tips
        ("box_scores", "01 03:00"),
        ("grade", "01 03:00"),
        ("publish", "01 03:00"),
        ("health", "01 06:00"),
    ]
    assert {o.occurrence for o in report.outcomes} >= {"refresh-tip@18:15"}


def test_a_request_before_its_inputs_waits_as_a_service_and_is_blocked_in_process(
    warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    calls: list[tuple[str, datetime]] = []
    grade = Occurrence(next(s for s in SCHEDULE if s.step == "grade"), None)
    at = datetime(2026, 2, 1, 8, tzinfo=UTC)
    with pytest.raises(NotReady, match="waiting on box-scores"):
        _runner(warehouse, tmp_path, calls, wait_mode="retry", subscribe=False).execute(
            grade, DAY, at, run_id="r"
        )
    status = _runner(warehouse, tmp_path, calls, subscribe=False).execute(grade, DAY, at, run_id="r")
    assert status == "blocked"
    assert calls == []
    error = warehouse.query_rows("SELECT error FROM run_ledger WHERE step = 'day.grade'")[0][0]
    assert error == "waiting on box-scores (missing)"
