"""Time ``generate_season`` (median of three runs) and print one JSON line."""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from pathlib import Path

from nbaprops.sandbox.simulator import generate_season


def _git_sha() -> str:
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH, as make bench does
        cwd=root,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return done.stdout.strip() or "unknown"


def main() -> None:
    """Run the benchmark."""
    timings: list[float] = []
    season = None
    for _ in range(3):
        start = time.perf_counter()
        season = generate_season()
        timings.append(time.perf_counter() - start)
    assert season is not None
    print(
        json.dumps(
            {
                "benchmark": "season_generation",
                "seconds": round(statistics.median(timings), 3),
                "games": len(season.games),
                "player_games": len(season.box),
                "prop_lines": len(season.prop_lines),
                "git_sha": _git_sha(),
            }
        )
    )


if __name__ == "__main__":
    main()
