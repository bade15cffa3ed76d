"""Sandbox server throughput on loopback: mixed real-format requests from a few client threads.

Starts the server in a thread on a free port, warms each endpoint once (the server caches rendered
bodies per path, query and clock time), then fires requests for a bounded time and prints one JSON
line. Target: >= 500 requests/s on 2 cores.

    .venv/bin/python bench/bench_sandbox_throughput.py [--seconds 5] [--threads 4]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import threading
import time
from typing import Any

import httpx

from nbaprops.dates import et_datetime
from nbaprops.sandbox.faults import FaultPlan
from nbaprops.sandbox.model import Season
from nbaprops.sandbox.runner import serve_in_thread
from nbaprops.sandbox.server import SANDBOX_BDL_KEY, SANDBOX_ODDS_KEY, SandboxClock, create_app


def _git_sha() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607  # git from PATH, fixed arguments
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return done.stdout.strip()


def _requests(season: Season, day_index: int) -> list[tuple[str, dict[str, str], dict[str, str]]]:
    """(path, params, headers) for one game day: yesterday's results, today's odds and schedule."""
    days = sorted(season.games_by_date)
    today, yesterday = days[day_index], days[day_index - 1]
    game = season.games_by_date[today][0]
    bdl = {"Authorization": SANDBOX_BDL_KEY}
    key = {"apiKey": SANDBOX_ODDS_KEY}
    events = "/v4/sports/basketball_nba/events"
    return [
        ("/v1/box_scores", {"date": yesterday.isoformat()}, bdl),
        ("/v1/games", {"dates[]": today.isoformat(), "per_page": "100"}, bdl),
        ("/v1/player_injuries", {"per_page": "100"}, bdl),
        (events, key, {}),
        (
            f"{events}/{game.odds_event_id}/odds",
            key | {"regions": "us", "markets": "player_points,spreads,totals"},
            {},
        ),
        ("/stats/scoreboardv2", {"GameDate": yesterday.strftime("%m/%d/%Y"), "LeagueID": "00"}, {}),
        (
            "/stats/leaguegamelog",
            {
                "PlayerOrTeam": "P",
                "DateFrom": yesterday.strftime("%m/%d/%Y"),
                "DateTo": yesterday.strftime("%m/%d/%Y"),
                "Season": season.label,
            },
            {},
        ),
        ("/apis/site/v2/sports/basketball/nba/scoreboard", {"dates": yesterday.strftime("%Y%m%d")}, {}),
    ]


def run(season: Season, seconds: float, threads: int) -> dict[str, Any]:
    """Serve ``season`` and measure requests per second; returns the result record."""
    day_index = min(60, len(season.games_by_date) - 1)
    today = sorted(season.games_by_date)[day_index]
    clock = SandboxClock(et_datetime(today, 15))
    app = create_app(
        season,
        clock=clock,
        faults=FaultPlan(),
        bdl_key=SANDBOX_BDL_KEY,
        odds_key=SANDBOX_ODDS_KEY,
        odds_quota=10**9,
    )
    plan = _requests(season, day_index)
    counts = [0] * threads
    errors: list[str] = []
    with serve_in_thread(app) as server:
        with httpx.Client(base_url=server.base_url, timeout=30) as warm:
            for path, params, headers in plan:
                reply = warm.get(path, params=params, headers=headers)
                if reply.status_code != 200:
                    errors.append(f"{path}: {reply.status_code}")
        deadline = time.perf_counter() + seconds

        def worker(slot: int) -> None:
            with httpx.Client(base_url=server.base_url, timeout=30) as client:
                i = slot
                while time.perf_counter() < deadline:
                    path, params, headers = plan[i % len(plan)]
                    if client.get(path, params=params, headers=headers).status_code != 200:
                        errors.append(path)
                    counts[slot] += 1
                    i += 1

        started = time.perf_counter()
        pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        elapsed = time.perf_counter() - started
    total = sum(counts)
    return {
        "benchmark": "sandbox_throughput",
        "requests_per_s": round(total / elapsed, 1),
        "requests": total,
        "seconds": round(elapsed, 2),
        "threads": threads,
        "errors": len(errors),
        "git_sha": _git_sha(),
    }


def main() -> None:
    """Generate the default season, measure, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to fire requests")
    parser.add_argument("--threads", type=int, default=4, help="client threads")
    parser.add_argument("--seed", type=int, default=2025, help="season seed")
    args = parser.parse_args()
    from nbaprops.sandbox.simulator import generate_season

    season = generate_season(args.seed, "2025-26")
    print(json.dumps(run(season, args.seconds, args.threads)))


if __name__ == "__main__":
    main()
