"""Phase 5b: grade the predictions of a date (or a range) once its box scores are in.

``grade_range(warehouse, start, end)`` does, in a constant number of queries whatever the number
of players or days:

1. the completeness check (``pipeline.completeness``): a date whose scheduled games are not all
   played, or whose box scores are missing or short of minutes, is refused with
   ``QualityGateError`` — a missing box score must mean "did not play", never "not loaded yet";
2. one query (``sql/grade_inputs.sql``) putting every prediction beside the actual points and
   minutes, the injury status it was made with and the closing line of the same book;
3. the arithmetic of ``grade.metrics`` (errors, WIN/LOSS/PUSH/VOID with the void reason, profit at
   the posted price, closing line value);
4. one MERGE into ``prediction_grades`` and one into ``system_daily_performance`` (per system per
   day: MAE, bias, hit rate with N, ROI, Brier, log loss, ECE, 80% interval coverage), inside one
   transaction that also drops grades whose prediction no longer exists, so grading twice gives
   the same tables.

Every run is one ``run_ledger`` row (step ``grade``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from nbaprops.dates import check_date_range, now_utc
from nbaprops.errors import QualityGateError
from nbaprops.warehouse.ledger import RunLedger

if TYPE_CHECKING:
    import pyarrow as pa

    from nbaprops.grade.metrics import Grades
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

STEP = "grade"
SQL_FILE = Path(__file__).parent / "sql" / "grade_inputs.sql"
_GRADE_KEY = ("game_date", "game_id", "player_id", "system_id", "model_version")


@dataclass
class GradeReport:
    """What one grading run did: rows graded, voided, and each system's scores per day."""

    start: date
    end: date
    graded: int = 0
    voided: int = 0
    skipped_reason: str | None = None
    daily: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``nbaprops grade --json``)."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "graded": self.graded,
            "voided": self.voided,
            "skipped_reason": self.skipped_reason,
            "systems": [
                {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items() if k != "graded_at"}
                for row in self.daily
            ],
        }


def grade_date(warehouse: Warehouse, day: date, *, now: datetime | None = None) -> GradeReport:
    """Grade one game date (see ``grade_range``)."""
    return grade_range(warehouse, day, day, now=now)


def grade_range(warehouse: Warehouse, start: date, end: date, *, now: datetime | None = None) -> GradeReport:
    """Grade every prediction dated ``start``..``end`` and score each system per day.

    Raises ``QualityGateError`` (recorded in the ledger) when a date of the range has games whose
    box scores are not complete per the schedule.
    """
    check_date_range(start, end)
    moment = now or now_utc()
    report = GradeReport(start, end)
    with RunLedger(warehouse).step(STEP, game_date=start if start == end else None) as run:
        run.details = {"start": start.isoformat(), "end": end.isoformat()}
        _require_complete(warehouse, start, end, moment)
        inputs = _inputs(warehouse, start, end)
        run.rows_in = inputs.num_rows
        if inputs.num_rows == 0:
            report.skipped_reason = f"no predictions dated {start}..{end}"
            run.skip(report.skipped_reason)
            return report
        grades = _grade(inputs)
        graded = _grade_rows(inputs, grades, moment)
        report.daily = _daily_rows(inputs, grades, moment)
        with warehouse.transaction():
            warehouse.merge_arrow("prediction_grades", graded)
            _drop_stale(warehouse, start, end)
            warehouse.merge_arrow("system_daily_performance", _daily_table(report.daily))
        report.graded = graded.num_rows
        report.voided = int(grades.is_void.sum())
        run.rows_out = report.graded
        run.details |= {"voided": report.voided, "systems": sorted({r["system_id"] for r in report.daily})}
    log.info("grade.finished", start=start.isoformat(), end=end.isoformat(), graded=report.graded)
    return report


def _require_complete(warehouse: Warehouse, start: date, end: date, now: datetime) -> None:
    from nbaprops.pipeline.completeness import check_completeness

    result = check_completeness(warehouse, start, end, now=now)
    incomplete = [
        f"{v.game_date}: {'; '.join(v.reasons) or f'{v.games - v.played_games} game(s) not played yet'}"
        for v in result.verdicts
        if v.games and (v.decision != "go" or v.played_games < v.games)
    ]
    if incomplete:
        raise QualityGateError(
            f"cannot grade: box scores incomplete for {len(incomplete)} date(s): {incomplete[:5]}"
        )


def _inputs(warehouse: Warehouse, start: date, end: date) -> pa.Table:
    from nbaprops.warehouse.sqlmodel import load_model, query_model

    return query_model(warehouse, load_model(SQL_FILE), {"start": start, "end": end})


def _column(table: pa.Table, name: str) -> Any:
    import numpy as np

    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)


def _grade(inputs: pa.Table) -> Grades:
    from nbaprops.grade.metrics import grade_predictions

    return grade_predictions(
        _column(inputs, "predicted_points"),
        _column(inputs, "actual_points"),
        _column(inputs, "line"),
        inputs.column("recommendation").to_pylist(),
        over_price=_column(inputs, "over_price"),
        under_price=_column(inputs, "under_price"),
        minutes=_column(inputs, "minutes"),
        injury_status=inputs.column("injury_status").to_pylist(),
        closing_line=_column(inputs, "closing_line"),
        closing_over_price=_column(inputs, "closing_over_price"),
        closing_under_price=_column(inputs, "closing_under_price"),
    )


def _nullable(values: Any) -> pa.Array:
    """Floats with NaN turned into NULL (the warehouse's "not applicable")."""
    import numpy as np
    import pyarrow as pa

    return pa.array(values, pa.float64(), mask=np.isnan(values))


def _grade_rows(inputs: pa.Table, grades: Grades, moment: datetime) -> pa.Table:
    import numpy as np
    import pyarrow as pa

    went_over = grades.over_outcome
    n = inputs.num_rows
    return pa.table(
        {
            **{k: inputs.column(k) for k in _GRADE_KEY},
            "predicted_points": inputs.column("predicted_points"),
            "actual_points": inputs.column("actual_points"),
            "minutes": inputs.column("minutes"),
            "abs_error": _nullable(grades.absolute_error),
            "signed_error": _nullable(grades.signed_error),
            "line": inputs.column("line"),
            "recommendation": inputs.column("recommendation"),
            "result": pa.array(grades.result.tolist(), pa.string()),
            "void_reason": pa.array(grades.void_reason.tolist(), pa.string()),
            "profit": _nullable(grades.profit),
            "closing_line": inputs.column("closing_line"),
            "clv_points": _nullable(grades.clv_points),
            "clv_probability": _nullable(grades.clv_probability),
            "p_over": inputs.column("p_over"),
            "went_over": pa.array(went_over == 1.0, pa.bool_(), mask=np.isnan(went_over)),
            "graded_at": pa.array([moment] * n, pa.timestamp("us", tz="UTC")),
        }
    )


def _daily_rows(inputs: pa.Table, grades: Grades, moment: datetime) -> list[dict[str, Any]]:
    from nbaprops.grade.metrics import summarize

    keys = {
        "game_date": inputs.column("game_date").to_numpy(zero_copy_only=False),
        "system_id": inputs.column("system_id").to_numpy(zero_copy_only=False).astype(str),
    }
    rows = summarize(
        keys,
        _column(inputs, "predicted_points"),
        _column(inputs, "actual_points"),
        grades,
        p_over=_column(inputs, "p_over"),
        q_low=_column(inputs, "q10"),
        q_high=_column(inputs, "q90"),
    )
    columns = [c.name for c in _daily_spec_columns()]
    out = []
    for row in rows:
        row["game_date"] = _as_date(row["game_date"])
        row["graded_at"] = moment
        out.append({c: row.get(c) for c in columns})
    return out


def _as_date(value: Any) -> date:
    import numpy as np

    if isinstance(value, np.datetime64):
        return date.fromisoformat(str(value.astype("datetime64[D]")))
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _daily_spec_columns() -> tuple[Any, ...]:
    from nbaprops.grade.tables import SYSTEM_DAILY_PERFORMANCE

    return SYSTEM_DAILY_PERFORMANCE.columns


def _daily_table(rows: list[dict[str, Any]]) -> pa.Table:
    import pyarrow as pa

    types = {
        "DATE": pa.date32(),
        "STRING": pa.string(),
        "INT64": pa.int64(),
        "FLOAT64": pa.float64(),
        "TIMESTAMP": pa.timestamp("us", tz="UTC"),
    }
    return pa.Table.from_pylist(rows, pa.schema([(c.name, types[c.type]) for c in _daily_spec_columns()]))


def _drop_stale(warehouse: Warehouse, start: date, end: date) -> None:
    """Remove grades and daily scores of the range whose prediction or system is gone (a re-run day)."""
    on = " AND ".join(f"p.{k} = g.{k}" for k in _GRADE_KEY)
    warehouse.execute(
        "DELETE FROM prediction_grades AS g WHERE g.game_date BETWEEN ? AND ? "  # noqa: S608 - fixed identifiers
        f"AND NOT EXISTS (SELECT 1 FROM predictions AS p WHERE {on})",
        [start, end],
    )
    warehouse.execute(
        "DELETE FROM system_daily_performance AS d WHERE d.game_date BETWEEN ? AND ? "
        "AND NOT EXISTS (SELECT 1 FROM predictions AS p WHERE p.game_date = d.game_date "
        "AND p.system_id = d.system_id)",
        [start, end],
    )
