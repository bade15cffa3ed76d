"""Phase 5 for a 450-player slate with all five systems: the batch path vs the per-player path.

A synthetic slate (15 games x 30 players, 20 games of history each, three books x three snapshots
of lines) is written into an in-memory DuckDB warehouse; the five systems are fitted on synthetic
earlier games (their predict cost does not depend on how good the fit is). Then, timed:

* batch path: ``Coordinator.run`` — 4 slate queries, batches of 150 through the in-process bus, every
  system on each whole batch, calibration, recommendation, one MERGE (median of ``REPEATS`` runs);
* per-player path (the reference kept here): for each player one query each for features, history
  and line, then the worker on that single row, and the same single MERGE at the end.

The batch path is timed twice, interleaved: as it runs (each system also explains its rows: the
``top_features`` of every prediction) and with every system seen through a wrapper that only
predicts (the path before explanations), so the cost of the explanations is measured in one run.

Prints one JSON line: the timings, the ratio, and the slate size.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import emit
from nbaprops.features.contract import FEATURE_NAMES, FEATURE_VERSION
from nbaprops.logs import configure_logging
from nbaprops.ops.alerts import Alerter
from nbaprops.pipeline.bus import InProcessBus
from nbaprops.predict.coordinator import Coordinator, CoordinatorConfig
from nbaprops.predict.systems.base import HISTORY_GAMES, PlayerBatch, SpreadModel
from nbaprops.predict.systems.ensemble import EnsembleSystem
from nbaprops.predict.systems.minutes_ppm import ACTUAL_MINUTES
from nbaprops.predict.train import COMPONENT_IDS, new_system
from nbaprops.predict.worker import BatchMeta, SystemModel, Worker
from nbaprops.settings import load_settings
from nbaprops.warehouse import create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse

DAY = date(2026, 1, 15)
TIP = datetime(2026, 1, 16, 0, 30, tzinfo=UTC)
AS_OF = TIP - timedelta(hours=12)  # the slate's as-of: features, lines and injury notes known then
GAMES, PER_GAME = 15, 30
BOOKS = ("draftkings", "fanduel", "betmgm")
REPEATS = 5
rng = np.random.default_rng(7)


def _features(n: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    level = rng.gamma(3.0, 4.0, n)
    x = rng.normal(1.0, 0.3, (n, len(FEATURE_NAMES)))
    for name in ("points_avg_last_5", "points_avg_last_10", "points_avg_season", "points_avg_last_3"):
        x[:, FEATURE_NAMES.index(name)] = level + rng.normal(0, 2, n)
    x[:, FEATURE_NAMES.index("minutes_avg_last_10")] = 12 + level
    x[:, FEATURE_NAMES.index("back_to_back")] = rng.integers(0, 2, n)
    return x, level


def fill(wh: DuckDBWarehouse) -> None:
    n = GAMES * PER_GAME
    x, level = _features(n)
    pid = np.arange(1, n + 1)
    game = [f"00225{g:05d}" for g in np.arange(n) // PER_GAME]
    team = ["BOS" if i % 2 else "NYK" for i in range(n)]
    opp = ["NYK" if i % 2 else "BOS" for i in range(n)]
    built = AS_OF
    lookup = [f"player{i}" for i in pid]
    games = sorted(set(game))
    wh.insert_arrow(
        "game_as_of",
        pa.table(
            {
                "game_date": [DAY] * len(games),
                "game_id": games,
                "tip_utc": [TIP] * len(games),
                "home_team": ["BOS"] * len(games),
                "away_team": ["NYK"] * len(games),
                "as_of_kind": ["prediction"] * len(games),
                "as_of": [AS_OF] * len(games),
                "built_at": [built] * len(games),
            }
        ),
    )
    wh.insert_arrow(
        "upcoming_player_game_context",
        pa.table(
            {
                "game_date": [DAY] * n,
                "game_id": game,
                "as_of_kind": ["prediction"] * n,
                "as_of": [AS_OF] * n,
                "tip_utc": [TIP] * n,
                "player_lookup": lookup,
                "player_id": pid,
                "team": team,
                "opponent": opp,
                "is_home": [t == "BOS" for t in team],
                "built_at": [built] * n,
            }
        ),
    )
    wh.insert_arrow(
        "feature_store",
        pa.table(
            {
                "player_id": pid,
                "game_date": [DAY] * n,
                "as_of_kind": ["prediction"] * n,
                "feature_version": [FEATURE_VERSION] * n,
                "game_id": game,
                "team": team,
                "opponent": opp,
                "as_of": [built] * n,
                "quality_score": np.full(n, 0.95),
                "defaulted_required_count": np.zeros(n, dtype=np.int64),
                "predictable": [True] * n,
                "feature_sources": ["{}"] * n,
                **{name: x[:, j] for j, name in enumerate(FEATURE_NAMES)},
            }
        ),
    )
    k = HISTORY_GAMES
    days = [DAY - timedelta(days=2 * (j + 1)) for j in range(k)]
    wh.insert_arrow(
        "player_game_summary",
        pa.table(
            {
                "game_date": [d for _ in pid for d in days],
                "game_id": [f"h{j}-{p}" for p in pid for j in range(k)],
                "player_lookup": [lk for lk in lookup for _ in range(k)],
                "player_id": np.repeat(pid, k),
                "team": np.repeat(team, k),
                "opponent": np.repeat(opp, k),
                "is_home": [True] * (n * k),
                "played": [True] * (n * k),
                "minutes": np.full(n * k, 30.0),
                "pts": rng.poisson(np.repeat(level, k)),
                "source": ["nbacom"] * (n * k),
                "built_at": [built] * (n * k),
            }
        ),
    )
    snaps = [TIP - timedelta(hours=h) for h in (20, 6, 1)]
    rows = [(p, lk, b, s) for p, lk in zip(pid, lookup, strict=True) if p % 10 for b in BOOKS for s in snaps]
    m = len(rows)
    wh.insert_arrow(
        "raw_oddsa_player_props",
        pa.table(
            {
                "snapshot_at": [r[3] for r in rows],
                "event_id": ["ev"] * m,
                "commence_time": [TIP] * m,
                "game_date": [DAY] * m,
                "book": [r[2] for r in rows],
                "market": ["player_points"] * m,
                "player_lookup": [r[1] for r in rows],
                "point": np.round(level[[r[0] - 1 for r in rows]]) + 0.5,
                "over_price": np.full(m, -110),
                "under_price": np.full(m, -110),
                "over_no_vig": np.full(m, 0.5),
                "source_file": ["bench"] * m,
                "payload_sha256": ["bench"] * m,
                "fetched_at": [built] * m,
                "loaded_at": [built] * m,
            }
        ),
    )


def fitted_models() -> list[SystemModel]:
    n = 4000
    x, level = _features(n)
    days = np.array([np.datetime64(DAY - timedelta(days=1 + i % 60), "D") for i in range(n)])
    history = rng.poisson(level[:, None], (n, HISTORY_GAMES)).astype(np.float64)
    batch = PlayerBatch(
        game_dates=days,
        game_ids=np.array(["g"] * n),
        player_ids=np.arange(n, dtype=np.int64),
        teams=np.array(["BOS"] * n),
        opponents=np.array(["NYK"] * n),
        feature_names=FEATURE_NAMES,
        features=x,
        history_points=history,
        history_minutes=np.full((n, HISTORY_GAMES), 30.0),
        line=np.round(level) + 0.5,
        over_price=np.full(n, -110.0),
        under_price=np.full(n, -110.0),
        actual_points=rng.poisson(level).astype(np.float64),
        extras={ACTUAL_MINUTES: np.clip(rng.normal(30.0, 4.0, n), 0.0, 48.0)},
    )
    models = []
    for sid in COMPONENT_IDS:
        system = new_system(sid)
        system.fit(batch, as_of=DAY)
        models.append(SystemModel(system, f"bench-{sid}"))
    weights = tuple([1.0 / len(COMPONENT_IDS)] * len(COMPONENT_IDS))
    ensemble = EnsembleSystem(COMPONENT_IDS, weights, SpreadModel(20.0, 0.5, n))
    ensemble.bind({m.system.system_id: m.system for m in models})
    return [*models, SystemModel(ensemble, "bench-ensemble")]


class Unexplained:
    """A system seen without its explanations (no ``predict_explained``, no ``combine``)."""

    def __init__(self, system: Any) -> None:
        self.system_id = system.system_id
        self._system = system

    def predict(self, batch: PlayerBatch) -> Any:
        return self._system.predict(batch)


def explain_cost_ms(models: list[SystemModel]) -> dict[str, float]:
    """CPU milliseconds each system's explanation adds on one 450-row batch (``predict_explained`` and
    the top-5 JSON, minus ``predict``; the ensemble: ``combine`` with contributions minus without),
    median of ``REPEATS``: process time, so the machine's load from other jobs does not count."""
    n = GAMES * PER_GAME
    x, level = _features(n)
    batch = PlayerBatch(
        game_dates=np.full(n, np.datetime64(DAY, "D")),
        game_ids=np.array(["g"] * n),
        player_ids=np.arange(n, dtype=np.int64),
        teams=np.array(["BOS"] * n),
        opponents=np.array(["NYK"] * n),
        feature_names=FEATURE_NAMES,
        features=x,
        history_points=rng.poisson(level[:, None], (n, HISTORY_GAMES)).astype(np.float64),
        history_minutes=np.full((n, HISTORY_GAMES), 30.0),
        line=np.round(level) + 0.5,
        over_price=np.full(n, -110.0),
        under_price=np.full(n, -110.0),
    )

    def cpu_ms(call: Any) -> float:
        times = []
        for _ in range(REPEATS):
            start = time.process_time()
            call()
            times.append(time.process_time() - start)
        return 1000 * statistics.median(times)

    out: dict[str, float] = {}
    plain: dict[str, Any] = {}
    explained: dict[str, Any] = {}
    for model in models:
        system: Any = model.system
        sid = system.system_id
        if sid == "ensemble":
            with_why = cpu_ms(lambda s=system: s.combine(batch, explained).contributions.top_json())
            out[sid] = round(with_why - cpu_ms(lambda s=system: s.combine(batch, plain)), 2)
            continue
        plain[sid] = system.predict(batch)
        explained[sid] = system.predict_explained(batch)
        with_why = cpu_ms(lambda s=system: s.predict_explained(batch).contributions.top_json())
        out[sid] = round(with_why - cpu_ms(lambda s=system: s.predict(batch)), 2)
    return out


def batch_path(wh: DuckDBWarehouse, models: list[SystemModel]) -> tuple[float, int]:
    alerter = Alerter()
    coordinator = Coordinator(
        wh,
        InProcessBus(alerter=alerter),
        Worker(models, alerter=alerter),
        alerter=alerter,
        bookmakers=BOOKS,
        config=CoordinatorConfig(batch_size=150),
    )
    start = time.perf_counter()
    run = coordinator.run(DAY, as_of=AS_OF)
    return time.perf_counter() - start, run.prediction_rows


FEATURES_ONE = f"""
SELECT c.game_id, c.team, c.opponent, f.quality_score, {", ".join(f'f."{n}"' for n in FEATURE_NAMES)}
FROM upcoming_player_game_context c JOIN feature_store f
  ON f.player_id = c.player_id AND f.game_date = c.game_date AND f.feature_version = ?
WHERE c.game_date = ? AND c.player_id = ?"""  # noqa: S608 - contract names only
HISTORY_ONE = """SELECT pts, minutes FROM player_game_summary WHERE player_id = ? AND game_date < ? AND played
ORDER BY game_date DESC LIMIT ?"""
LINE_ONE = """SELECT point, book, snapshot_at, over_price, under_price FROM raw_oddsa_player_props
WHERE player_lookup = ? AND game_date = ? AND market = 'player_points' AND snapshot_at < commence_time
ORDER BY CASE book WHEN 'draftkings' THEN 0 WHEN 'fanduel' THEN 1 ELSE 2 END, snapshot_at DESC LIMIT 1"""


def per_player_path(wh: DuckDBWarehouse, models: list[SystemModel]) -> tuple[float, int]:
    worker = Worker(models, alerter=Alerter())
    start = time.perf_counter()
    tables = []
    players = wh.query_rows("SELECT player_id FROM upcoming_player_game_context WHERE game_date = ?", [DAY])
    for (pid,) in players:
        feat = wh.query_rows(FEATURES_ONE, [FEATURE_VERSION, DAY, pid])[0]
        hist = wh.query_rows(HISTORY_ONE, [pid, DAY, HISTORY_GAMES])
        found = wh.query_rows(LINE_ONE, [f"player{pid}", DAY])
        points = np.full((1, HISTORY_GAMES), np.nan)
        minutes = np.full((1, HISTORY_GAMES), np.nan)
        points[0, : len(hist)] = [h[0] for h in hist]
        minutes[0, : len(hist)] = [h[1] for h in hist]
        line, book, snap, over, under = found[0] if found else (np.nan, None, None, np.nan, np.nan)
        batch = PlayerBatch(
            game_dates=np.array([np.datetime64(DAY, "D")]),
            game_ids=np.array([feat[0]]),
            player_ids=np.array([pid], dtype=np.int64),
            teams=np.array([feat[1]]),
            opponents=np.array([feat[2]]),
            feature_names=FEATURE_NAMES,
            features=np.array([feat[4:]], dtype=np.float64),
            history_points=points,
            history_minutes=minutes,
            line=np.array([line], dtype=np.float64),
            over_price=np.array([over], dtype=np.float64),
            under_price=np.array([under], dtype=np.float64),
        )
        meta = BatchMeta(
            [book],
            [None if snap is None else int(snap.timestamp() * 1e6)],
            [feat[3]],
            [False],
            FEATURE_VERSION,
            [int(AS_OF.timestamp() * 1e6)],
        )
        tables.append(worker.run(str(pid), batch, meta, run_id="per-player", created_at=TIP).predictions)
    table = pa.concat_tables(tables)
    wh.merge_arrow("predictions", table)
    return time.perf_counter() - start, table.num_rows


def main() -> None:
    # Both paths log the same events; keep them at WARNING so the timing measures the work, not the console.
    configure_logging(load_settings(log_level="WARNING"))
    with DuckDBWarehouse(":memory:", query_timeout_s=300) as wh:
        create_schema(wh)
        fill(wh)
        models = fitted_models()
        plain = [SystemModel(Unexplained(m.system), m.model_version) for m in models]
        batch_path(wh, models)  # warm-up: imports, DuckDB plans
        batch_path(wh, plain)
        timings, plain_timings = [], []
        for _ in range(REPEATS):
            plain_timings.append(batch_path(wh, plain))
            timings.append(batch_path(wh, models))  # last: its rows are the ones counted below
        batch_s = statistics.median(t for t, _ in timings)
        plain_s = statistics.median(t for t, _ in plain_timings)
        explained = wh.query_rows("SELECT count(*) FROM predictions WHERE top_features IS NOT NULL")[0][0]
        explain_ms = explain_cost_ms(models)
        per_player_s, per_rows = per_player_path(wh, models)
    emit(
        "phase5_predict",
        players=GAMES * PER_GAME,
        systems=len(models),
        prediction_rows=timings[0][1],
        batch_seconds=round(batch_s, 4),
        batch_seconds_without_reasons=round(plain_s, 4),
        reasons_cost_ratio=round(batch_s / plain_s, 2),
        rows_with_top_features=explained,
        explain_cpu_ms_by_system=explain_ms,
        explain_cpu_ms_total=round(sum(explain_ms.values()), 1),
        per_player_seconds=round(per_player_s, 3),
        per_player_rows=per_rows,
        ratio=round(per_player_s / batch_s, 1),
        target_seconds=1.0,
        target_ratio=300,
        repeats=REPEATS,
    )


if __name__ == "__main__":
    main()
