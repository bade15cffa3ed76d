"""``nbaprops gaps --from A --to B [--fix]``: what the schedule expected, against what the ledger has.

For every date and every occurrence of ``SCHEDULE`` (tip occurrences from the date's loaded
schedule), a gap is an occurrence whose latest ``day.*`` ledger row is missing, failed, blocked
or abandoned, or one that finished on a date with games while a required output table holds no
row for the date. ``--fix`` runs each such date again through the ``DayRunner``: finished
occurrences are skipped by the ledger, the rest run in order, as of their due times (a backfilled
refresh scrapes and predicts as of that afternoon, never as of now).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from nbaprops.dates import date_range
from nbaprops.pipeline.runner import DONE
from nbaprops.warehouse.schema import table_spec

if TYPE_CHECKING:
    from nbaprops.pipeline.runner import DayReport, DayRunner
    from nbaprops.warehouse.protocol import Warehouse


@dataclass(frozen=True)
class Gap:
    """One expected occurrence that is not (fully) there."""

    game_date: date
    occurrence: str
    status: str  # missing | failed | blocked | abandoned | running | no_rows
    reason: str


def find_gaps(runner: DayRunner, start: date, end: date) -> list[Gap]:
    """Every gap of ``start..end`` (see the module docstring)."""
    gaps: list[Gap] = []
    for day in date_range(start, end):
        statuses = runner.latest_statuses(day)
        has_games = _rows_on(runner.warehouse, "raw_nbac_schedule", day) > 0
        for occurrence in runner.all_occurrences(day):
            status, _, error = statuses.get(occurrence.ledger_step, ("missing", None, None))
            if status not in DONE:
                gaps.append(
                    Gap(day, occurrence.name, status, error or f"no finished {occurrence.ledger_step}")
                )
                continue
            if status == "skipped" or not has_games:
                continue
            empty = [t for t in occurrence.step.outputs if _rows_on(runner.warehouse, t, day) == 0]
            if empty:
                gaps.append(
                    Gap(day, occurrence.name, "no_rows", f"{status} but no rows for the date in {empty}")
                )
    return gaps


def fix_gaps(runner: DayRunner, gaps: list[Gap]) -> list[DayReport]:
    """Run every date with a gap again (steps already finished are skipped; empty outputs re-run)."""
    reports = []
    for day in sorted({g.game_date for g in gaps}):
        for gap in gaps:
            if gap.game_date == day and gap.status == "no_rows":
                runner.rerun.add((day, f"day.{gap.occurrence}"))
        reports.append(runner.run_day(day))
    return reports


def _rows_on(warehouse: Warehouse, table: str, day: date) -> int:
    """Rows of a known table on one game date (the name is checked against the schema)."""
    spec = table_spec(table)
    sql = f"SELECT count(*) FROM {spec.name} WHERE game_date = ?"  # noqa: S608 - name from the schema
    rows = warehouse.query_rows(sql, [day])
    return int(rows[0][0])


def gaps_to_dicts(gaps: list[Gap]) -> list[dict[str, Any]]:
    """JSON-ready gaps."""
    return [asdict(g) | {"game_date": g.game_date.isoformat()} for g in gaps]
