"""What every prediction system consumes and produces.

Systems work on a whole batch at once: a ``PlayerBatch`` holds, for n player-games of one date,
the feature matrix in contract order, each player's recent history and the posted line. A system
returns a ``SystemOutput`` of n means, n standard deviations and n raw P(points > line) (NaN where
there is no line). Nothing here touches the warehouse: the coordinator builds batches with a
constant number of queries and the worker calls ``predict`` on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    FloatArray = NDArray[np.float64]
    IntArray = NDArray[np.int64]
    StrArray = NDArray[np.str_]

HISTORY_GAMES = 20  # games of history carried per player, most recent first


@dataclass(frozen=True)
class PlayerBatch:
    """n player-games to predict (or to learn from), aligned row by row."""

    game_dates: NDArray[np.datetime64]  # (n,) datetime64[D]: the game date of each row
    game_ids: StrArray  # (n,)
    player_ids: IntArray  # (n,)
    teams: StrArray  # (n,)
    opponents: StrArray  # (n,)
    feature_names: tuple[str, ...]  # the contract order of the columns of ``features``
    features: FloatArray  # (n, k): NaN where a feature is NULL
    history_points: FloatArray  # (n, HISTORY_GAMES): points of earlier games played, newest first, NaN-padded
    history_minutes: FloatArray  # (n, HISTORY_GAMES)
    line: FloatArray  # (n,): the posted points line, NaN when there is none
    over_price: FloatArray  # (n,): American price of the over, NaN when no line
    under_price: FloatArray  # (n,)
    actual_points: FloatArray | None = None  # (n,): known only when learning or grading
    extras: dict[str, FloatArray] = field(default_factory=dict)  # system-specific inputs by name

    def __len__(self) -> int:
        return int(self.player_ids.shape[0])

    def column(self, name: str) -> FloatArray:
        """One feature column by contract name."""
        return self.features[:, self.feature_names.index(name)]


@dataclass(frozen=True)
class SystemOutput:
    """A system's predictive distribution summary for each row of a batch."""

    mean: FloatArray  # (n,) predicted points
    sd: FloatArray  # (n,) predictive standard deviation (> 0)
    p_over: FloatArray  # (n,) raw (uncalibrated) P(points > line); NaN where there is no line


@runtime_checkable
class PredictionSystem(Protocol):
    """A system that predicts a whole batch at once."""

    system_id: str

    def predict(self, batch: PlayerBatch) -> SystemOutput:
        """Predict every row of ``batch``."""


@runtime_checkable
class TrainableSystem(PredictionSystem, Protocol):
    """A system with state learned from earlier games (stored in the model registry)."""

    def fit(self, batch: PlayerBatch, *, as_of: date) -> dict[str, float]:
        """Learn from ``batch`` (rows strictly before ``as_of``, with ``actual_points``); returns metrics."""

    def to_bytes(self) -> bytes:
        """Serialize the learned state (text formats only: JSON, LightGBM model text)."""

    @classmethod
    def from_bytes(cls, data: bytes) -> TrainableSystem:
        """Rebuild a system from ``to_bytes`` output; raises ``PayloadError`` if it is damaged."""
