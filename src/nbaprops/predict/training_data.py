"""Training batches from the warehouse only: point-in-time feature rows joined to what happened.

Two queries whatever the range: (1) every predictable ``feature_store`` row of the current feature
version built as of the daily prediction time (as-of kind ``prediction``: the inputs a live or
backtest prediction sees) with ``start <= game_date < end``, joined to the player's
``player_game_summary`` row of that date (played games only: a DNP has no points to learn from) and,
when present, the line and prices of ``upcoming_player_game_context`` at that same as-of: the line a
bettor would actually have bet then, not the closing one — and only a listed book's
(``line_listed``), as live prediction bets only ``odds_bookmakers``: a line another book stood in
with is no line here, as it is NO_LINE live (context rows built before ``line_listed`` existed hold
NULL there and keep their line); (2) the points and minutes of every game played before
``end`` by those players. Each row's history (its last ``HISTORY_GAMES`` games played strictly before
its own date, newest first) is then gathered with numpy, so the number of queries never grows with
the number of rows. The minutes played travel in ``extras`` (``minutes_ppm`` learns its minutes
model on them).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from nbaprops.analytics.tables import PREDICTION_AS_OF
from nbaprops.features.contract import FEATURE_NAMES, FEATURE_VERSION
from nbaprops.predict.systems.base import HISTORY_GAMES, PlayerBatch
from nbaprops.predict.systems.minutes_ppm import ACTUAL_MINUTES

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa
    from numpy.typing import NDArray

    from nbaprops.predict.systems.base import FloatArray, IntArray
    from nbaprops.warehouse.protocol import Warehouse

_FEATURE_COLUMNS = ", ".join(f'fs."{name}"' for name in FEATURE_NAMES)

# Only contract feature names are interpolated (identifiers, not values); values are bound.
ROWS_SQL = f"""
SELECT fs.game_date, COALESCE(fs.game_id, pgs.game_id) AS game_id, fs.player_id,
       COALESCE(fs.team, pgs.team) AS team, COALESCE(fs.opponent, pgs.opponent) AS opponent,
       {_FEATURE_COLUMNS},
       CASE WHEN COALESCE(u.line_listed, TRUE) THEN u.points_line END AS line,
       CASE WHEN COALESCE(u.line_listed, TRUE) THEN u.over_price END AS over_price,
       CASE WHEN COALESCE(u.line_listed, TRUE) THEN u.under_price END AS under_price,
       pgs.pts AS actual_points, CAST(pgs.minutes AS DOUBLE) AS actual_minutes
FROM feature_store fs
JOIN player_game_summary pgs
  ON pgs.player_id = fs.player_id AND pgs.game_date = fs.game_date AND pgs.played
LEFT JOIN upcoming_player_game_context u
  ON u.player_id = fs.player_id AND u.game_id = pgs.game_id AND u.as_of_kind = fs.as_of_kind
WHERE fs.game_date >= ? AND fs.game_date < ? AND fs.feature_version = ? AND fs.as_of_kind = ?
  AND fs.predictable
  AND pgs.pts IS NOT NULL
ORDER BY fs.game_date, fs.player_id
"""  # noqa: S608

HISTORY_SQL = """
SELECT player_id, game_date, CAST(pts AS DOUBLE) AS pts, minutes
FROM player_game_summary
WHERE played AND pts IS NOT NULL AND game_date < ? AND player_id IN (
  SELECT DISTINCT player_id FROM feature_store
  WHERE game_date >= ? AND game_date < ? AND feature_version = ? AND as_of_kind = ?)
ORDER BY player_id, game_date
"""


def history_arrays(
    player_ids: IntArray,
    game_dates: NDArray[np.datetime64],
    *,
    past_player: IntArray,
    past_date: NDArray[np.datetime64],
    past_points: FloatArray,
    past_minutes: FloatArray,
    games: int = HISTORY_GAMES,
) -> tuple[FloatArray, FloatArray]:
    """Each row's last ``games`` games played strictly before its date, newest first, NaN-padded.

    ``past_*`` are aligned arrays of played games; they need not be sorted. Vectorized: one
    lexicographic sort, one ``searchsorted`` and a masked gather.
    """
    import numpy as np

    order = np.lexsort((past_date.astype("datetime64[D]").astype(np.int64), past_player))
    pp = past_player[order].astype(np.int64)
    pd_ = past_date[order].astype("datetime64[D]").astype(np.int64)
    # One sortable key per (player, day): players never exceed 2**31 days apart from each other's keys.
    key = pp * 1_000_000 + pd_
    row_key = player_ids.astype(np.int64) * 1_000_000 + game_dates.astype("datetime64[D]").astype(np.int64)
    end = np.searchsorted(key, row_key, side="left")  # first game on/after the row's date
    idx = end[:, None] - 1 - np.arange(games)[None, :]
    valid = idx >= 0
    safe = np.where(valid, idx, 0)
    valid &= pp[safe] == player_ids.astype(np.int64)[:, None] if pp.size else np.zeros_like(valid)
    points = np.where(valid, past_points[order][safe] if pp.size else np.nan, np.nan)
    minutes = np.where(valid, past_minutes[order][safe] if pp.size else np.nan, np.nan)
    return points.astype(np.float64), minutes.astype(np.float64)


def _float(table: pa.Table, name: str) -> FloatArray:
    import numpy as np
    import pyarrow as pa

    return np.asarray(table.column(name).cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _days(table: pa.Table, name: str) -> NDArray[np.datetime64]:
    import pyarrow as pa

    values = table.column(name).cast(pa.date32()).to_numpy(zero_copy_only=False)
    out: NDArray[np.datetime64] = values.astype("datetime64[D]")
    return out


def training_batch(warehouse: Warehouse, start: date, end: date) -> PlayerBatch:
    """Every played, predictable player-game with ``start <= game_date < end``, with actual points."""
    import numpy as np

    rows = warehouse.query_arrow(ROWS_SQL, [start, end, FEATURE_VERSION, PREDICTION_AS_OF])
    past = warehouse.query_arrow(HISTORY_SQL, [end, start, end, FEATURE_VERSION, PREDICTION_AS_OF])
    game_dates = _days(rows, "game_date")
    player_ids = rows.column("player_id").to_numpy(zero_copy_only=False).astype(np.int64)
    features = np.empty((rows.num_rows, len(FEATURE_NAMES)))
    for j, name in enumerate(FEATURE_NAMES):
        features[:, j] = _float(rows, name)
    history_points, history_minutes = history_arrays(
        player_ids,
        game_dates,
        past_player=past.column("player_id").to_numpy(zero_copy_only=False).astype(np.int64),
        past_date=_days(past, "game_date"),
        past_points=_float(past, "pts"),
        past_minutes=_float(past, "minutes"),
    )

    def text(name: str) -> NDArray[np.str_]:
        return np.asarray([v if v is not None else "" for v in rows.column(name).to_pylist()], dtype=np.str_)

    return PlayerBatch(
        game_dates=game_dates,
        game_ids=text("game_id"),
        player_ids=player_ids,
        teams=text("team"),
        opponents=text("opponent"),
        feature_names=FEATURE_NAMES,
        features=features.astype(np.float64),
        history_points=history_points,
        history_minutes=history_minutes,
        line=_float(rows, "line"),
        over_price=_float(rows, "over_price"),
        under_price=_float(rows, "under_price"),
        actual_points=_float(rows, "actual_points"),
        extras={ACTUAL_MINUTES: _float(rows, "actual_minutes")},
    )
