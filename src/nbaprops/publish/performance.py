"""``performance.json``: each system over the last 7 days, 30 days and the season, beside the book line
and the last-5-games average on the same rows, with a calibration table and a daily series.

Nothing is computed twice: the windows are scored by the backtest's comparison
(``pipeline.backtest.comparison_rows`` loaded once for the season, sliced per window, scored by
``compare_rows``: ``grade.metrics.summarize`` and ``grade.scorecard``: MAE with the MAE-minus-line
interval, hit rate with its Wilson interval, ROI, Brier, log loss, equal-mass ECE beside its noise
floor, CLV), the calibration bins are ``grade.metrics.reliability_table`` of P(over) against the
outcome, and the daily series is what grading stored in ``system_daily_performance``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from nbaprops.dates import season_start_date
from nbaprops.publish.documents import clean, head

if TYPE_CHECKING:
    from nbaprops.warehouse.protocol import Warehouse

WINDOWS = (("7d", 7), ("30d", 30), ("season", None))
"""Window name and length in days ending on the last graded date (None: the season so far)."""

_DAILY_SQL = (
    "SELECT game_date, system_id, n, mae, n_picks, wins, hit_rate, roi, brier, ece, graded_at "
    "FROM system_daily_performance WHERE game_date BETWEEN ? AND ? "
    "ORDER BY system_id ASC NULLS LAST, game_date ASC NULLS LAST"
)
_INPUTS_SQL = (
    "SELECT MAX(game_date), COUNT(*), MAX(graded_at), "
    "(SELECT MAX(created_at) FROM predictions WHERE game_date BETWEEN ? AND ?) "
    "FROM prediction_grades WHERE game_date BETWEEN ? AND ?"
)
_HEADLINE_KEYS = (
    "mae_minus_line",
    "hit_rate",
    "claimed_hit_rate",
    "brier_skill_vs_market",
    "ece_all",
    "ece_picks",
    "clv_points",
    "n_clv",
)


def inputs(warehouse: Warehouse, day: date) -> dict[str, Any]:
    """What the document as of ``day`` is computed from, in one cheap query: the last graded date,
    the graded rows of the season up to it, when they were graded and when the newest of their
    predictions was written. The same inputs give the same document, so a publish can reuse the
    one already in the lake (``publisher``) instead of scoring the season again."""
    first = season_start_date(day)
    [(last, rows, graded_at, predicted_at)] = warehouse.query_rows(_INPUTS_SQL, [first, day, first, day])
    found: dict[str, Any] = clean(
        {"last_graded_date": last, "graded_rows": rows, "graded_at": graded_at, "predicted_at": predicted_at}
    )
    return found


def build(warehouse: Warehouse, day: date, *, pick_cap: float | None = None) -> dict[str, Any]:
    """The performance document as of ``day`` (the windows end on the last graded date ≤ ``day``)."""
    source = inputs(warehouse, day)
    first = season_start_date(day)
    if source["last_graded_date"] is None:
        return document(source, None, first, [], [], [])
    last = date.fromisoformat(source["last_graded_date"])
    from nbaprops.pipeline.backtest import comparison_rows

    rows = comparison_rows(warehouse, first, last)
    daily = [
        dict(
            zip(
                (
                    "game_date",
                    "system_id",
                    "n",
                    "mae",
                    "n_picks",
                    "wins",
                    "hit_rate",
                    "roi",
                    "brier",
                    "ece",
                    "graded_at",
                ),
                r,
                strict=True,
            )
        )
        for r in warehouse.query_rows(_DAILY_SQL, [first, last])
    ]
    windows = score_windows(rows, last, first, pick_cap=pick_cap)
    return document(source, last, first, windows, calibration(rows), daily)


def score_windows(
    rows: Mapping[str, Any] | None, last: date, first: date, *, pick_cap: float | None
) -> list[dict[str, Any]]:
    """Every window's per-system scores (references included) on the comparison rows inside it."""
    import numpy as np

    from nbaprops.pipeline.backtest import REFERENCES, compare_rows

    out = []
    for name, days in WINDOWS:
        start = first if days is None else max(first, last - timedelta(days=days - 1))
        scored: list[dict[str, Any]] = []
        headline: list[dict[str, Any]] = []
        n_rows = 0
        if rows is not None:
            inside = (rows["game_date"] >= start.isoformat()) & (rows["game_date"] <= last.isoformat())
            if inside.any():
                n_rows, scored, headline = compare_rows(
                    {k: np.asarray(v)[inside] for k, v in rows.items()}, pick_cap=pick_cap
                )
        by_system = {h["system_id"]: h for h in headline}
        systems = []
        for metrics in sorted(scored, key=lambda m: (m["system_id"] in REFERENCES, m["system_id"])):
            extra = by_system.get(metrics["system_id"], {})
            systems.append(
                {
                    **metrics,
                    "reference": metrics["system_id"] in REFERENCES,
                    "hit_rate_interval": extra.get("hit_rate"),
                    **{k: extra.get(k) for k in _HEADLINE_KEYS if k != "hit_rate"},
                }
            )
        out.append({"window": name, "start": start, "end": last, "n_rows": n_rows, "systems": systems})
    return out


def calibration(rows: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Per system, over the season's comparison rows: equal-mass bins of P(over) vs how often it went over."""
    import numpy as np

    from nbaprops.grade.metrics import reliability_table

    if rows is None:
        return []
    went_over = np.where(
        rows["actual_points"] > rows["line"], 1.0, np.where(rows["actual_points"] < rows["line"], 0.0, np.nan)
    )
    out = []
    for system_id in sorted(set(rows["system_id"].tolist())):
        mine = rows["system_id"] == system_id
        out.append({"system_id": system_id, "bins": reliability_table(rows["p_over"][mine], went_over[mine])})
    return out


def document(  # noqa: PLR0917 (the document's parts, each named where it is called)
    source: dict[str, Any],
    last: date | None,
    first: date,
    windows: Sequence[Mapping[str, Any]],
    calibration_tables: Sequence[Mapping[str, Any]],
    daily: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The ``performance.json`` object (``last`` None: nothing graded yet, every list empty)."""
    series: dict[str, list[dict[str, Any]]] = {}
    for row in daily:
        series.setdefault(row["system_id"], []).append(
            {k: v for k, v in row.items() if k not in ("system_id", "graded_at")}
        )
    graded: list[datetime] = [r["graded_at"] for r in daily if r.get("graded_at") is not None]
    moment = max(graded) if graded else None
    return {
        **head("performance", generated_at=moment, as_of=moment),
        "inputs": source,
        "last_graded_date": last,
        "season_start": first,
        "windows": list(windows),
        "calibration": list(calibration_tables),
        "daily": [{"system_id": k, "days": v} for k, v in sorted(series.items())],
    }
