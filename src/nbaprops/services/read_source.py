"""Where the read API gets its documents: the warehouse tables, read through the protocol.

``WarehouseReadSource`` opens the warehouse for each read and closes it at once (the embedded
DuckDB file has one writer; holding it would block the pipeline), so the API's own cache
(``read_api``) is what keeps it fast. Every query is constant text with bound values.
A table that does not exist yet reads as empty: a fresh deployment answers ``[]``, not 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from nbaprops.services.read_models import (
    Performance,
    Player,
    PlayerGame,
    Prediction,
    Result,
    ResultTotals,
    Status,
    StepStatus,
    SystemPerformance,
    Window,
)

if TYPE_CHECKING:
    from datetime import datetime

    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse

PREDICTION_COLUMNS = (
    "game_date",
    "game_id",
    "player_id",
    "player_name",
    "team",
    "opponent",
    "system_id",
    "model_version",
    "predicted_points",
    "predicted_sd",
    "q10",
    "q50",
    "q90",
    "p_over",
    "line",
    "line_book",
    "line_snapshot_at",
    "over_price",
    "under_price",
    "edge",
    "expected_value",
    "recommendation",
    "stake",
    "reasons",
    "top_features",
    "feature_quality",
    "as_of",
)
_PREDICTION_SELECT = (
    "SELECT p.game_date, p.game_id, p.player_id, r.display_name, p.team, p.opponent, p.system_id, "
    "p.model_version, p.predicted_points, p.predicted_sd, p.q10, p.q50, p.q90, p.p_over, p.line, "
    "p.line_book, p.line_snapshot_at, p.over_price, p.under_price, p.edge, p.expected_value, "
    "p.recommendation, p.stake, p.reasons, p.top_features, p.feature_quality, p.as_of "
    "FROM predictions AS p LEFT JOIN player_registry AS r ON r.player_id = p.player_id "
)
# Constant fragments joined at import (allow-listed in the static guard); values are bound ``?``.
_PREDICTIONS_OF_DATE = (
    _PREDICTION_SELECT + "WHERE p.game_date = ? AND (? IS NULL OR p.system_id = ?) "
    "ORDER BY p.game_id, p.player_id, p.system_id, p.model_version"
)
_PICKS_OF_DATE = (
    _PREDICTION_SELECT
    + "WHERE p.game_date = ? AND p.system_id = ? AND p.recommendation IN ('OVER', 'UNDER') "
    "ORDER BY p.expected_value DESC NULLS LAST, p.player_id, p.model_version"
)
_UPCOMING_OF_PLAYER = (
    _PREDICTION_SELECT  # noqa: S608 - constant text
    + "WHERE p.player_id = ? AND p.system_id = ? AND NOT EXISTS ("
    "SELECT 1 FROM prediction_grades AS g WHERE g.game_date = p.game_date AND g.game_id = p.game_id "
    "AND g.player_id = p.player_id AND g.system_id = p.system_id AND g.model_version = p.model_version) "
    "ORDER BY p.game_date DESC, p.game_id, p.model_version LIMIT 20"
)
_RECENT_OF_PLAYER = (
    "SELECT game_date, game_id, system_id, predicted_points, actual_points, minutes, line, recommendation, "
    "result, went_over FROM prediction_grades WHERE player_id = ? AND system_id = ? "
    "ORDER BY game_date DESC, game_id, model_version LIMIT 20"
)
_PLAYER = "SELECT display_name, team FROM player_registry WHERE player_id = ?"
_RESULTS_OF_DATE = (
    "SELECT g.game_id, g.player_id, r.display_name, g.system_id, g.recommendation, g.line, "
    "g.predicted_points, g.actual_points, g.result, g.profit, g.clv_points "
    "FROM prediction_grades AS g LEFT JOIN player_registry AS r ON r.player_id = g.player_id "
    "WHERE g.game_date = ? AND (? IS NULL OR g.system_id = ?) "
    "ORDER BY g.game_id, g.player_id, g.system_id, g.model_version"
)
_PERFORMANCE = (
    "SELECT system_id, count(*), sum(n), "
    "sum(mae * n) / nullif(sum(CASE WHEN mae IS NULL THEN 0 ELSE n END), 0), "
    "sum(bias * n) / nullif(sum(CASE WHEN bias IS NULL THEN 0 ELSE n END), 0), sum(n_picks), sum(wins), "
    "sum(roi * n_picks) / nullif(sum(CASE WHEN roi IS NULL THEN 0 ELSE n_picks END), 0), sum(n_scored), "
    "sum(brier * n_scored) / nullif(sum(CASE WHEN brier IS NULL THEN 0 ELSE n_scored END), 0), "
    "sum(log_loss * n_scored) / nullif(sum(CASE WHEN log_loss IS NULL THEN 0 ELSE n_scored END), 0), "
    "sum(ece * n_scored) / nullif(sum(CASE WHEN ece IS NULL THEN 0 ELSE n_scored END), 0) "
    "FROM system_daily_performance WHERE game_date BETWEEN ? AND ? GROUP BY system_id ORDER BY system_id"
)
_LAST_GRADED = "SELECT max(game_date) FROM system_daily_performance"
_LAST_RUNS = (
    "SELECT step, game_date, status, started_at, finished_at, rows_out FROM ("
    "SELECT *, row_number() OVER (PARTITION BY step ORDER BY started_at DESC, run_id) AS rn "
    "FROM run_ledger) WHERE rn = 1 ORDER BY step"
)
_ALERTS = "SELECT severity, count(*) FROM alerts WHERE raised_at >= ? GROUP BY severity ORDER BY severity"
_QUARANTINED = "SELECT count(*) FROM quarantine"
_LATEST_PREDICTION = "SELECT max(game_date) FROM predictions"


class ReadSource(Protocol):
    """The documents the read API serves (the warehouse now; the published JSON files later)."""

    def predictions(self, game_date: date, system_id: str | None) -> list[Prediction]:
        """Every prediction of a game date (one system, or all)."""
        ...

    def picks(self, game_date: date, system_id: str) -> list[Prediction]:
        """One system's OVER/UNDER picks of a date, best EV first."""
        ...

    def player(self, player_id: int, system_id: str) -> Player | None:
        """A player's recent graded games and upcoming predictions; ``None`` for an unknown id."""
        ...

    def results(self, game_date: date, system_id: str | None) -> tuple[list[Result], ResultTotals]:
        """The graded predictions of a date and their totals."""
        ...

    def performance(self, window: Window) -> Performance:
        """Per-system performance over the window ending at the latest graded date."""
        ...

    def status(self, now: datetime) -> Status:
        """The pipeline's health as of ``now``."""
        ...


def _prediction(row: tuple[Any, ...]) -> Prediction:
    from nbaprops.publish.documents import top_features

    fields = dict(zip(PREDICTION_COLUMNS, row, strict=True))
    fields["top_features"] = top_features(fields["top_features"])
    return Prediction(**fields)


def _for_layout(sql: str, explained: bool) -> str:
    """``sql`` for a ``predictions`` table without ``top_features`` (a warehouse of an older version
    that no pipeline command has migrated yet: the read API does not alter tables)."""
    return sql if explained else sql.replace("p.top_features", "NULL AS top_features")


def _explained(warehouse: Warehouse) -> bool:
    return "top_features" in warehouse.table_columns(["predictions"]).get("predictions", {})


class WarehouseReadSource:
    """``ReadSource`` over the warehouse tables (predictions, grades, performance, ledger)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @contextmanager
    def _open(self) -> Iterator[Warehouse]:
        from nbaprops.warehouse import open_warehouse

        warehouse = open_warehouse(self._settings)
        try:
            yield warehouse
        finally:
            warehouse.close()

    @staticmethod
    def _rows(warehouse: Warehouse, tables: tuple[str, ...], sql: str, params: list[Any]) -> list[Any]:
        if not all(warehouse.table_exists(t) for t in tables):
            return []
        return warehouse.query_rows(sql, params)

    def predictions(self, game_date: date, system_id: str | None) -> list[Prediction]:
        """Every prediction of a game date (one system, or all), by game, player and system."""
        with self._open() as wh:
            rows = self._rows(
                wh,
                ("predictions", "player_registry"),
                _for_layout(_PREDICTIONS_OF_DATE, _explained(wh)),
                [game_date, system_id, system_id],
            )
        return [_prediction(r) for r in rows]

    def picks(self, game_date: date, system_id: str) -> list[Prediction]:
        """One system's OVER/UNDER picks of a date, best EV first."""
        with self._open() as wh:
            rows = self._rows(
                wh,
                ("predictions", "player_registry"),
                _for_layout(_PICKS_OF_DATE, _explained(wh)),
                [game_date, system_id],
            )
        return [_prediction(r) for r in rows]

    def player(self, player_id: int, system_id: str) -> Player | None:
        """A player's last 20 graded games and the predictions not graded yet."""
        with self._open() as wh:
            who = self._rows(wh, ("player_registry",), _PLAYER, [player_id])
            recent = self._rows(wh, ("prediction_grades",), _RECENT_OF_PLAYER, [player_id, system_id])
            upcoming = self._rows(
                wh,
                ("predictions", "player_registry", "prediction_grades"),
                _for_layout(_UPCOMING_OF_PLAYER, _explained(wh)),
                [player_id, system_id],
            )
        if not who and not recent and not upcoming:
            return None
        name, team = who[0] if who else (None, None)
        games = [
            PlayerGame(
                **dict(
                    zip(
                        (
                            "game_date",
                            "game_id",
                            "system_id",
                            "predicted_points",
                            "actual_points",
                            "minutes",
                            "line",
                            "recommendation",
                            "result",
                            "went_over",
                        ),
                        r,
                        strict=True,
                    )
                )
            )
            for r in recent
        ]
        return Player(
            player_id=player_id,
            player_name=name,
            team=team,
            system_id=system_id,
            recent=games,
            upcoming=[_prediction(r) for r in upcoming],
        )

    def results(self, game_date: date, system_id: str | None) -> tuple[list[Result], ResultTotals]:
        """The graded predictions of a date and the totals of its picks (one unit each)."""
        with self._open() as wh:
            rows = self._rows(
                wh,
                ("prediction_grades", "player_registry"),
                _RESULTS_OF_DATE,
                [game_date, system_id, system_id],
            )
        keys = (
            "game_id",
            "player_id",
            "player_name",
            "system_id",
            "recommendation",
            "line",
            "predicted_points",
            "actual_points",
            "result",
            "profit",
            "clv_points",
        )
        items = [Result(**dict(zip(keys, r, strict=True))) for r in rows]
        picks = [i for i in items if i.recommendation in ("OVER", "UNDER")]
        totals = ResultTotals(
            picks=len(picks),
            wins=sum(1 for i in picks if i.result == "WIN"),
            losses=sum(1 for i in picks if i.result == "LOSS"),
            pushes=sum(1 for i in picks if i.result == "PUSH"),
            voids=sum(1 for i in picks if i.result == "VOID"),
            profit=round(sum(i.profit or 0.0 for i in picks), 6),
        )
        return items, totals

    def performance(self, window: Window) -> Performance:
        """Per system over the last 7 or 30 days up to the latest graded date, or its season."""
        from nbaprops.dates import season_start_date

        with self._open() as wh:
            last = self._rows(wh, ("system_daily_performance",), _LAST_GRADED, [])
            end: date | None = last[0][0] if last else None
            if end is None:
                return Performance(window=window, start=None, end=None, systems=[])
            start = season_start_date(end) if window == "season" else end - timedelta(days=int(window) - 1)
            rows = self._rows(wh, ("system_daily_performance",), _PERFORMANCE, [start, end])
        systems = []
        for r in rows:
            n_picks, wins = int(r[5] or 0), int(r[6] or 0)
            systems.append(
                SystemPerformance(
                    system_id=r[0],
                    days=int(r[1]),
                    n=int(r[2] or 0),
                    mae=r[3],
                    bias=r[4],
                    n_picks=n_picks,
                    wins=wins,
                    hit_rate=wins / n_picks if n_picks else None,
                    roi=r[7],
                    n_scored=int(r[8] or 0),
                    brier=r[9],
                    log_loss=r[10],
                    ece=r[11],
                )
            )
        return Performance(window=window, start=start, end=end, systems=systems)

    def status(self, now: datetime) -> Status:
        """The last run of every step, the last week's alerts by severity, quarantine size."""
        with self._open() as wh:
            runs = self._rows(wh, ("run_ledger",), _LAST_RUNS, [])
            alerts = self._rows(wh, ("alerts",), _ALERTS, [now - timedelta(days=7)])
            quarantined = self._rows(wh, ("quarantine",), _QUARANTINED, [])
            predicted = self._rows(wh, ("predictions",), _LATEST_PREDICTION, [])
            graded = self._rows(wh, ("system_daily_performance",), _LAST_GRADED, [])
        keys = ("step", "game_date", "status", "started_at", "finished_at", "rows_out")
        return Status(
            steps=[StepStatus(**dict(zip(keys, r, strict=True))) for r in runs],
            alerts_last_7_days={str(k): int(v) for k, v in alerts},
            quarantined=int(quarantined[0][0]) if quarantined else 0,
            latest_prediction_date=predicted[0][0] if predicted else None,
            latest_graded_date=graded[0][0] if graded else None,
        )
