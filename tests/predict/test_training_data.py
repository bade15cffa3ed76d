"""Training rows: the line a bettor could have bet at the prediction time, from a listed book only."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np

from factories import put_rows
from nbaprops.analytics.tables import PREDICTION_AS_OF
from nbaprops.features.contract import FEATURE_VERSION
from nbaprops.predict.training_data import training_batch
from nbaprops.warehouse.duckdb import DuckDBWarehouse

DAY = date(2025, 11, 20)
AS_OF = datetime(2025, 11, 20, 16, 0, tzinfo=UTC)


def test_only_a_listed_books_line_is_a_training_line(memory_warehouse: DuckDBWarehouse) -> None:
    wh = memory_warehouse
    # Player 1: a listed book's line. Player 2: only a book outside the priority list had one, which
    # stands in as a feature input but is NO_LINE live, so it is no training line either. Player 3: a
    # context row built before line_listed existed (NULL) keeps its line.
    players = {1: (21.5, True), 2: (14.5, False), 3: (9.5, None)}
    put_rows(
        wh,
        "feature_store",
        [
            {
                "player_id": pid,
                "game_date": DAY,
                "as_of_kind": PREDICTION_AS_OF,
                "feature_version": FEATURE_VERSION,
                "game_id": "g1",
                "as_of": AS_OF,
                "predictable": True,
                "feature_sources": "{}",
                "vegas_points_line": line,
            }
            for pid, (line, _) in players.items()
        ],
        when=AS_OF,
        day=DAY,
    )
    put_rows(
        wh,
        "player_game_summary",
        [
            {"game_date": DAY, "game_id": "g1", "player_id": pid, "played": True, "pts": 20, "minutes": 30.0}
            for pid in players
        ],
        when=AS_OF,
        day=DAY,
    )
    put_rows(
        wh,
        "upcoming_player_game_context",
        [
            {
                "game_date": DAY,
                "game_id": "g1",
                "as_of_kind": PREDICTION_AS_OF,
                "as_of": AS_OF,
                "player_id": pid,
                "points_line": line,
                "line_book": "draftkings" if listed is not False else "caesars",
                "line_listed": listed,
                "over_price": -115,
                "under_price": -105,
            }
            for pid, (line, listed) in players.items()
        ],
        when=AS_OF,
        day=DAY,
    )
    batch = training_batch(wh, DAY, date(2025, 11, 21))
    assert batch.player_ids.tolist() == [1, 2, 3]
    np.testing.assert_array_equal(batch.line, [21.5, np.nan, 9.5])
    np.testing.assert_array_equal(batch.over_price, [-115.0, np.nan, -115.0])
    np.testing.assert_array_equal(batch.under_price, [-105.0, np.nan, -105.0])
    # the stand-in line still reaches the models as a feature
    assert batch.column("vegas_points_line").tolist() == [21.5, 14.5, 9.5]
