"""Parse throughput per payload kind: rows/s of each parser on the real captures.

Kinds without a real capture (BDL games, teams, active players; Odds API player props) are
measured on sandbox payloads rendered from the default season. Each parser runs on its payload
until at least ``--seconds`` have passed (and at least 3 times); parsing only, no warehouse.

    .venv/bin/python bench/bench_parse_throughput.py [--seconds S]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import ROOT, emit
from nbaprops.errors import PayloadError
from nbaprops.raw.registry import maybe_gunzip, parsers

REAL = ROOT / "tests" / "fixtures" / "real"
MIN_RUNS = 3


def _sandbox_payloads() -> dict[str, bytes]:
    from nbaprops.sandbox import render_bdl, render_odds
    from nbaprops.sandbox.simulator import generate_season

    season = generate_season()
    after = max(g.tip_utc for g in season.games) + timedelta(days=1)
    game = season.games[0]
    query = render_odds.OddsQuery.parse(
        {"markets": "player_points,spreads,totals", "regions": "us", "oddsFormat": "american"}
    )
    props, _ = render_odds.event_odds(
        season, game, game.tip_utc - timedelta(hours=1), query, historical=False
    )
    day = game.game_date.isoformat()
    documents = {
        "bdl_games": render_bdl.games_payload(season, after, {"dates[]": [day], "per_page": ["100"]}),
        "bdl_teams": render_bdl.teams_payload(),
        "bdl_players": render_bdl.active_players_payload(season, {"per_page": ["100"]}),
        "oddsa_player_props": props,
    }
    return {kind: json.dumps(doc).encode() for kind, doc in documents.items()}


def main() -> None:
    """Time every parser and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=0.5, help="Minimum time per kind.")
    args = parser.parse_args()
    payloads: dict[str, tuple[str, bytes]] = {}
    for kind in parsers():
        captures = sorted((REAL / kind).glob("raw_*"))
        if captures:
            payloads[kind] = ("real", maybe_gunzip(captures[0].read_bytes()))
    for kind, body in _sandbox_payloads().items():
        payloads.setdefault(kind, ("sandbox", body))
    figures: dict[str, dict[str, object]] = {}
    for kind, (origin, body) in sorted(payloads.items()):
        parse = parsers()[kind].parse
        try:
            rows = len(parse(body))
        except PayloadError as exc:  # a capture kept to be rejected (the damaged gamebook)
            figures[kind] = {"origin": origin, "rejected": type(exc).__name__}
            continue
        runs, started = 0, time.perf_counter()
        while runs < MIN_RUNS or time.perf_counter() - started < args.seconds:
            parse(body)
            runs += 1
        elapsed = time.perf_counter() - started
        figures[kind] = {
            "origin": origin,
            "rows": rows,
            "ms_per_payload": round(1000 * elapsed / runs, 2),
            "rows_per_s": round(rows * runs / elapsed) if rows else 0,
        }
    emit("parse_throughput", kinds=figures)


if __name__ == "__main__":
    main()
