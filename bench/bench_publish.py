"""Phase 6 on the demo's data: publish one date, and the dashboard's first paint in chromium.

Reads the warehouse of a finished demo (``--data-dir``, default ``demo-data``: the one ``make demo``
leaves; the demo is run there first when it is missing) and its demo date (the newest date with
predictions). Timed:

* **publish, fresh lake**: ``publish_date`` into an empty lake folder (every file written, the
  season's performance scored), after one untimed publish elsewhere so that imports and the SQL
  models' transpilation are not counted; median of ``REPEATS`` runs, each into a new folder;
* **publish again**: the same date into the same folder (nothing changed: performance reused, no
  file rewritten); median of ``REPEATS``;
* **first paint**: the published folder served over loopback (``publish.serve``), headless Debian
  chromium opening ``index.html`` in a fresh context (no cache): first contentful paint, and the
  time until the picks and predictions tables are filled from the JSON; median of ``LOADS``.

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import emit
from nbaprops.logs import configure_logging
from nbaprops.publish.publisher import PREFIX, publish_date
from nbaprops.publish.serve import make_server
from nbaprops.settings import Settings, load_settings
from nbaprops.warehouse.duckdb import DuckDBWarehouse

REPEATS = 3
LOADS = 5
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _publish_seconds(data_dir: Path, warehouse: DuckDBWarehouse, day: Any, lake: Path) -> float:
    settings = load_settings(data_dir=data_dir, lake_url=str(lake))
    began = time.perf_counter()
    publish_date(warehouse, settings, day)
    return time.perf_counter() - began


def first_paint(settings: Settings, folder: Path) -> dict[str, float]:
    """Median first contentful paint and time until the tables are filled (the page's
    ``nbaprops-ready`` mark) of ``index.html``, in ms from navigation start."""
    from playwright.sync_api import sync_playwright

    server = make_server(settings, folder)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.server.started:
        time.sleep(0.05)
    paints, ready = [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for _ in range(LOADS):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.goto(server.url + "index.html")
                page.wait_for_selector("body[data-ready='true']", timeout=30_000)
                paints.append(
                    page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime")
                )
                ready.append(page.evaluate("performance.getEntriesByName('nbaprops-ready')[0].startTime"))
                context.close()
            browser.close()
    finally:
        server.stop()
        thread.join(timeout=10)
    return {
        "first_contentful_paint_ms": statistics.median(paints),
        "tables_filled_ms": statistics.median(ready),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("demo-data"), help="A finished demo's folder.")
    args = parser.parse_args()
    settings = load_settings(data_dir=args.data_dir)
    if not Path(settings.resolved_warehouse_path).is_file():
        from nbaprops.pipeline.demo import run_demo

        run_demo(settings, None)  # no demo there yet: run it (a few minutes, outside the figures)
    configure_logging(settings)
    warehouse = DuckDBWarehouse(str(settings.resolved_warehouse_path), query_timeout_s=120)
    scratch = Path(tempfile.mkdtemp(prefix="bench_publish_"))
    try:
        [(day, rows)] = warehouse.query_rows(
            "SELECT game_date, COUNT(*) FROM predictions "
            "WHERE game_date = (SELECT MAX(game_date) FROM predictions) GROUP BY game_date"
        )
        _publish_seconds(args.data_dir, warehouse, day, scratch / "warmup")
        fresh = [
            _publish_seconds(args.data_dir, warehouse, day, scratch / f"fresh{i}") for i in range(REPEATS)
        ]
        again = [_publish_seconds(args.data_dir, warehouse, day, scratch / "fresh0") for _ in range(REPEATS)]
        folder = scratch / "fresh0" / PREFIX
        files = [p.stat().st_size for p in folder.rglob("*") if p.is_file()]
        paint = first_paint(settings, folder)
    finally:
        warehouse.close()
        shutil.rmtree(scratch, ignore_errors=True)
    emit(
        "publish",
        game_date=day.isoformat(),
        predictions=rows,
        files=len(files),
        bytes=sum(files),
        publish_fresh_s=round(statistics.median(fresh), 3),
        publish_again_s=round(statistics.median(again), 3),
        **{k: round(v, 1) for k, v in paint.items()},
        targets={"publish_s": 1.0, "first_paint_ms": 1000},
    )


if __name__ == "__main__":
    main()
