"""Backfill a stretch of the sandbox's ``real-history`` profile and measure what identity leaves open.

The profile serves a past season the way the real APIs do (gaps in play-by-play, injury PDFs and the
player index; a name shared by two teams, a name spelled three ways, a mid-season trade; see
``sandbox/profiles.py``). The stretch ends a few days after the trade. Prints one JSON line: dates,
seconds per date, prop rows and the share left unresolved (overall and per reason), and the rows of
every other player table left without a player id.

    .venv/bin/python bench/bench_real_history.py [--days N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import emit
from nbaprops.dates import et_datetime, game_date_of
from nbaprops.pipeline.backfill import run_backfill
from nbaprops.pipeline.sandbox_session import sandbox_session
from nbaprops.raw.resolve import PLAYER_TABLES
from nbaprops.sandbox.profiles import REAL_HISTORY, cast_of
from nbaprops.settings import load_settings
from nbaprops.warehouse import open_warehouse

AFTER_TRADE_DAYS = 4


def main() -> None:
    """Run the backfill and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=17, help="Calendar days to backfill.")
    args = parser.parse_args()
    settings = load_settings(data_dir=Path(tempfile.mkdtemp(prefix="bench-real-history-")), log_level="ERROR")
    with sandbox_session(settings, now=et_datetime(date(2026, 4, 20), 6), profile=REAL_HISTORY) as session:
        end = game_date_of(cast_of(session.season).trade_at) + timedelta(days=AFTER_TRADE_DAYS)
        start = end - timedelta(days=args.days - 1)
        began = time.perf_counter()
        report = run_backfill(session.settings, start, end, progress=False)
        seconds = time.perf_counter() - began
    warehouse = open_warehouse(settings)
    try:
        [(props, open_props)] = warehouse.query_rows(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE player_id IS NULL) FROM raw_oddsa_player_props"
        )
        reasons = warehouse.query_rows(
            "SELECT JSON_EXTRACT_STRING(context, '$.reason'), SUM(occurrences) FROM unresolved_names "
            "WHERE source = 'oddsapi' GROUP BY 1 ORDER BY 1"
        )
        other = {
            spec.table: warehouse.query_rows(
                f"SELECT COUNT(*), COUNT(*) FILTER (WHERE player_id IS NULL) FROM {spec.table}"  # noqa: S608
            )[0]
            for spec in PLAYER_TABLES
            if spec.table != "raw_oddsa_player_props"
        }
    finally:
        warehouse.close()
    emit(
        "real_history_backfill",
        start=start.isoformat(),
        end=end.isoformat(),
        dates=args.days,
        seconds=round(seconds, 1),
        seconds_per_date=round(seconds / args.days, 2),
        degraded=json.loads(json.dumps({d.isoformat(): f for d, f in report.degraded.items()})),
        prop_rows=props,
        prop_rows_unresolved=open_props,
        prop_unresolved_share=round(open_props / props, 6) if props else None,
        prop_unresolved_by_reason={str(r): int(n) for r, n in reasons},
        other_tables_rows_unresolved={
            t: {"rows": int(n), "unresolved": int(u)} for t, (n, u) in other.items()
        },
    )


if __name__ == "__main__":
    main()
