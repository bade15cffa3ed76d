"""Export of each player-game's true expected points, for evaluating predictions only.

The pipeline never reads this file; it is the answer key a backtest is scored against.
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from nbaprops.sandbox.model import Season

COLUMNS = ("game_id", "game_date", "player_id", "player_name", "team", "expected_pts", "status")


def write_truth(season: Season, path: Path) -> int:
    """Write one CSV row per roster player per game to ``path``; returns the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    games = season.game_by_id
    players = season.player_by_id
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for line in season.box:
            writer.writerow(
                (
                    line.game_id,
                    games[line.game_id].game_date.isoformat(),
                    line.player_id,
                    players[line.player_id].display_name,
                    line.team,
                    f"{line.expected_pts:.3f}",
                    line.status,
                )
            )
            rows += 1
    return rows
