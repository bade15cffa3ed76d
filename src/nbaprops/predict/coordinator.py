"""Phase 5's coordinator: select a date's players, load everything once, fan batches out, merge once.

For game date D and the prediction's as-of T (``Settings.prediction_as_of(D)`` in every caller:
live, backtest, demo), ``Coordinator.run`` does, inside one ``run_ledger`` step (``predict``):

1. **Load** the slate in a constant number of queries, whatever the number of players
   (``SLATE_QUERIES``). Per game, the context and features used are those of the latest as-of
   kind (``game_as_of``) not after T: the candidates (``upcoming_player_game_context`` of that
   kind joined to D's ``feature_store`` rows of the same kind and the current
   ``FEATURE_VERSION``; a feature row built after T is refused with ``QualityGateError``), the
   players listed OUT in ``injury_status`` at that as-of (the context omits them, but their
   exclusion is still recorded), the line of every candidate, and the last ``HISTORY_GAMES``
   games played by every candidate.
2. **Select**: a candidate is predicted unless it is ``out``, has no feature row
   (``no_features:missing``), fails the feature quality gate (``no_features:<reason>``), or
   expects too few minutes without a posted line (``low_minutes``). Every excluded player gets a
   ``prediction_exclusions`` row with its reason.
3. **Line**: per player, the highest-priority book of ``settings.odds_bookmakers`` that posted a
   ``player_points`` line at or before the as-of, at that book's latest such snapshot (the line
   closest to even money if the snapshot holds several). Props are matched on the resolved
   ``player_id``, as the context and the training rows match them: books often drop a suffix
   ("Garrett McCoy" for "Garrett McCoy Jr."), so a match on the name key would leave those
   players without a line live while training gave them one. Its book, snapshot time and prices are
   kept on the row, and the row carries its as-of. A player without one is predicted anyway and
   recommended ``NO_LINE``; there is never a placeholder line. A slate with candidates but not one
   line is degraded: alerted (``predict_no_lines``) and recorded on the ledger step.
4. **Dispatch**: the predictable rows are split into ``PlayerBatch``es of ``batch_size``, recorded
   in ``prediction_batches`` as ``dispatched`` and published on the bus topic ``predict-batches``.
   The batch handler runs the ``Worker``, keeps the result under its ``batch_id`` (a second delivery
   of the same batch replaces the first, never adds to it) and marks the batch ``completed`` or
   ``failed`` with its attempt count.
5. **Size** each system's slate at once (``size_predictions``: per-team pick limit, team, game and
   day stake caps, ``recommend.size_slate``), then **consolidate** with one ``MERGE`` into
   ``predictions``, then delete the date's rows left by earlier runs (same for
   ``prediction_exclusions``), in one transaction: re-running a day replaces its predictions. Only
   what this run computed is replaced: the players of a batch that never completed, and a system
   that failed for a completed batch's players, keep the earlier runs' rows. Batches that never
   completed fail the step after the completed ones are merged.

The batch handler is either the coordinator's own (``handle``: ``nbaprops predict``, results kept
in memory) or, in the game day (``nbaprops run`` and the services), ``BatchWorker`` of the worker
role: it predicts each batch it is sent (on the in-process bus, or pushed by Pub/Sub to ``nbaprops
serve worker``) and stages the result in ``prediction_batch_results`` keyed by ``(run_id,
batch_id)``; the coordinator, which then does not subscribe (``subscribe=False``), waits until
``prediction_batches`` shows no batch still ``dispatched`` (at most ``batch_wait_s``), reads the
staged results and consolidates. The steps above do not change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import structlog

from nbaprops.dates import now_utc
from nbaprops.errors import QualityGateError
from nbaprops.predict.recommend import PASS, SlateCaps, Thresholds, edge_adjusted_ev, size_slate
from nbaprops.predict.systems.base import HISTORY_GAMES, select_rows
from nbaprops.predict.worker import (
    BatchMeta,
    BatchResult,
    Worker,
    decode_batch,
    encode_batch,
    take_meta,
)
from nbaprops.warehouse.ledger import RunLedger

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa
    from numpy.typing import NDArray

    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.bus import Bus, Message
    from nbaprops.predict.systems.base import PlayerBatch
    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

TOPIC = "predict-batches"
SLATE_QUERIES = 4
"""Warehouse reads that load a whole slate (candidates, OUT list, lines, history): never more."""
POINTS_MARKET = "player_points"


@dataclass(frozen=True)
class CoordinatorConfig:
    """Knobs of one prediction run."""

    batch_size: int = 100
    min_minutes: float = 10.0  # expected minutes (last-10 average) below which a line is required
    history_games: int = HISTORY_GAMES

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")


@dataclass(frozen=True)
class Slate:
    """Everything phase 5 needs for one date, loaded in ``SLATE_QUERIES`` queries."""

    game_date: date
    batch: PlayerBatch  # the selected (predictable) players, one row each
    meta: BatchMeta
    candidates: int
    exclusions: list[tuple[str, int, str]]  # (game_id, player_id, reason)
    unresolved: int  # context rows without a player_id (the identity step alerts on those)
    with_line: int  # selected players with a line posted at or before the as-of


@dataclass
class PredictRun:
    """The outcome of one run for a date."""

    run_id: str
    game_date: date
    candidates: int
    predicted_players: int
    prediction_rows: int
    exclusions: dict[str, int]
    batches: int
    with_line: int = 0  # predicted players with a line posted at or before the as-of
    failed_batches: list[str] = field(default_factory=list)
    system_failures: dict[str, int] = field(default_factory=dict)
    exposure: dict[str, float] = field(default_factory=dict)  # per system: total stake, share of bankroll
    capped_picks: int = 0  # picks the per-team count limit turned into PASS, all systems together


class Coordinator:
    """Runs phase 5 for a date through a ``Bus``; owns the batch handler it subscribes."""

    def __init__(
        self,
        warehouse: Warehouse,
        bus: Bus,
        worker: Worker | None,
        *,
        alerter: Alerter,
        bookmakers: Sequence[str],
        config: CoordinatorConfig | None = None,
        caps: SlateCaps | None = None,
        subscribe: bool = True,
        batch_wait_s: float = 600.0,
        thresholds: Thresholds | None = None,
    ) -> None:
        if not bookmakers:
            raise ValueError("at least one bookmaker is needed to choose lines")
        self.warehouse = warehouse
        self.bus = bus
        self.worker = worker
        self.alerter = alerter
        self.bookmakers = tuple(bookmakers)
        self.config = config or CoordinatorConfig()
        self.caps = caps or SlateCaps()
        self._results: dict[str, dict[str, BatchResult]] = {}
        if worker is None and subscribe:
            raise ValueError("a coordinator that handles its own batches needs a worker")
        self.thresholds = worker.thresholds if worker is not None else (thresholds or Thresholds())
        self.local = subscribe
        """Batches handled here (in memory); else by a ``BatchWorker`` that stages them."""
        self.batch_wait_s = batch_wait_s
        if subscribe:
            bus.subscribe(TOPIC, self.handle)

    # --- the run --------------------------------------------------------------------------------

    def run(self, game_date: date, *, as_of: datetime, games: Collection[str] | None = None) -> PredictRun:
        """Predict ``game_date`` as of ``as_of``: nothing published after it is used.

        ``games`` (a refresh that found only these games' inputs changed) predicts only their
        players; the other games' rows stay as they are, unless sizing the whole slate again (the
        day's stake cap spans every game) changes a stake of theirs: those rows are written again
        with the new stake. What ends in ``predictions`` is what a run over every game would give.
        """
        with RunLedger(self.warehouse).step("predict", game_date=game_date) as step:
            run_id, created_at = step.run_id, now_utc()
            full = load_slate(
                self.warehouse, game_date, bookmakers=self.bookmakers, config=self.config, as_of=as_of
            )
            slate = full if games is None else only_games(full, games)
            step.rows_in = full.candidates
            if games is not None:
                step.details["games"] = sorted(games)
            if slate.candidates and not slate.with_line:
                step.details["degraded"] = "no_lines"
                self.alerter.raise_alert(
                    "predict_no_lines",
                    f"predict {game_date}: no player_points line posted at or before {as_of.isoformat()} "
                    f"for any of {slate.candidates} candidate(s); every pick is NO_LINE",
                    severity="warning",
                    count=slate.candidates,
                )
            self._results[run_id] = {}
            batches = self._dispatch(run_id, slate, created_at)
            results = self._results.pop(run_id)
            if not self.local and batches:
                self._await_batches(run_id)
                results |= staged_results(self.warehouse, run_id)
            outcome = self._consolidate(
                run_id, slate, results, created_at, _not_computed(batches, results), games=games
            )
            outcome.batches = len(batches)
            outcome.with_line = slate.with_line
            outcome.failed_batches = [b for b in batches if b not in results]
            step.rows_out = outcome.prediction_rows
            step.details.update(
                exclusions=outcome.exclusions,
                batches=outcome.batches,
                failed_batches=outcome.failed_batches,
                system_failures=outcome.system_failures,
                unresolved_players=slate.unresolved,
            )
            if outcome.failed_batches:
                raise QualityGateError(
                    f"predict {game_date}: {len(outcome.failed_batches)} of {len(batches)} batch(es) "
                    f"failed ({', '.join(outcome.failed_batches)}); the completed ones were merged, "
                    "the failed ones' players keep their earlier predictions"
                )
            if full.candidates == 0:
                step.skip(f"no scheduled players on {game_date}")
            elif games is not None and not outcome.prediction_rows:
                step.skip(f"games {sorted(games)} changed and left no row to write (their players excluded)")
            else:
                step.require_rows()
            log.info("predict.run_done", game_date=game_date, run_id=run_id, rows=outcome.prediction_rows)
            return outcome

    def _dispatch(self, run_id: str, slate: Slate, created_at: datetime) -> dict[str, list[str]]:
        """Publish the slate's batches; returns each batch id with its players' ``game|player`` keys."""
        import numpy as np
        import pyarrow as pa

        n = len(slate.batch)
        size = self.config.batch_size
        chunks = [np.arange(start, min(start + size, n)) for start in range(0, n, size)]
        batch_ids = [f"{slate.game_date.isoformat()}-{i:04d}" for i in range(len(chunks))]
        if not chunks:
            return {}
        self.warehouse.insert_arrow(
            "prediction_batches",
            pa.table(
                {
                    "run_id": [run_id] * len(chunks),
                    "batch_id": batch_ids,
                    "game_date": pa.array([slate.game_date] * len(chunks), type=pa.date32()),
                    "players": pa.array([len(c) for c in chunks], type=pa.int64()),
                    "status": ["dispatched"] * len(chunks),
                    "attempts": pa.array([0] * len(chunks), type=pa.int64()),
                    "dispatched_at": pa.array([created_at] * len(chunks), type=pa.timestamp("us", tz="UTC")),
                }
            ),
        )
        for batch_id, rows in zip(batch_ids, chunks, strict=True):
            part, part_meta = select_rows(slate.batch, rows), take_meta(slate.meta, rows)
            message = encode_batch(run_id, batch_id, part, part_meta)
            self.bus.publish(TOPIC, message, {"run_id": run_id, "batch_id": batch_id})
        if self.local:
            # Handled here: wait for a thread pool's deliveries. Handled elsewhere, the batches'
            # state in the warehouse says when they are done (``_await_batches``); a flush could
            # wait on the very step request this prediction runs under.
            self.bus.flush()
        keys = _player_keys(slate.batch.game_ids, slate.batch.player_ids)
        return {b: [keys[i] for i in rows] for b, rows in zip(batch_ids, chunks, strict=True)}

    def handle(self, message: Message) -> None:
        """The bus handler of ``predict-batches``: run the worker, keep the result, track the batch."""
        run_id, batch_id, batch, meta = decode_batch(message.data)
        if self.worker is None:  # refused in __init__: a subscribed coordinator has a worker
            raise ValueError("no worker")
        result = predict_batch(self.warehouse, self.worker, run_id, batch_id, batch=batch, meta=meta)
        # Keyed by batch: a redelivered batch replaces its earlier result instead of adding rows.
        self._results.setdefault(run_id, {})[batch_id] = result

    def _await_batches(self, run_id: str) -> None:
        """Wait (at most ``batch_wait_s``) until no batch of ``run_id`` is still ``dispatched``; the
        ones still out then count as failed batches of the run."""
        import time

        deadline = time.monotonic() + self.batch_wait_s
        while True:
            [(pending,)] = self.warehouse.query_rows(
                "SELECT count(*) FROM prediction_batches WHERE run_id = ? AND status = 'dispatched'", [run_id]
            )
            if not pending or time.monotonic() >= deadline:
                if pending:
                    log.warning("predict.batches_overdue", run_id=run_id, pending=pending)
                return
            time.sleep(0.1)

    def _consolidate(
        self,
        run_id: str,
        slate: Slate,
        results: dict[str, BatchResult],
        created_at: datetime,
        kept: _NotComputed,
        *,
        games: Collection[str] | None = None,
    ) -> PredictRun:
        """Merge the run's rows, then delete earlier runs' rows for what this run computed."""
        import pyarrow as pa

        tables = [r.predictions for r in results.values() if r.predictions.num_rows]
        predictions = pa.concat_tables(tables) if tables else None
        exposure: dict[str, float] = {}
        capped = 0
        others = None if games is None else self._other_games(slate.game_date, games, predictions)
        if others is not None:
            predictions = others if predictions is None else pa.concat_tables([predictions, others])
        if predictions is not None:
            # One order whatever order the batches came back in, the same for a run over some games
            # (which adds the other games' stored rows) as for one over all: sizing breaks ties by
            # row order, and its sums should not depend on it either.
            predictions = predictions.sort_by([(k, "ascending") for k in _ROW_ORDER])
            shrink = self.thresholds.market_shrink
            predictions, exposure, capped = size_predictions(predictions, self.caps, shrink=shrink)
            if others is not None:
                predictions = _new_or_resized(predictions, others, games or (), run_id, created_at)
                if not predictions.num_rows:
                    predictions = None
        excluded: dict[tuple[str, int], str] = {}
        worker_excluded = (e for r in results.values() for e in r.exclusions)
        for game_id, player_id, reason in [*slate.exclusions, *worker_excluded]:
            excluded.setdefault((game_id, player_id), reason)
        exclusions = pa.table(
            {
                "game_date": pa.array([slate.game_date] * len(excluded), type=pa.date32()),
                "game_id": pa.array([k[0] for k in excluded], type=pa.string()),
                "player_id": pa.array([k[1] for k in excluded], type=pa.int64()),
                "reason": pa.array(list(excluded.values()), type=pa.string()),
                "run_id": pa.array([run_id] * len(excluded), type=pa.string()),
                "recorded_at": pa.array([created_at] * len(excluded), type=pa.timestamp("us", tz="UTC")),
            }
        )
        # A player excluded now loses the earlier rows whatever happened to the batches.
        now_excluded = {f"{g}|{p}" for g, p in excluded}
        players = sorted(kept.players - now_excluded)
        systems = sorted(k for k in kept.player_systems if k.rsplit("|", 1)[0] not in now_excluded)
        with self.warehouse.transaction():
            if not self.local:
                self.warehouse.execute("DELETE FROM prediction_batch_results WHERE run_id = ?", [run_id])
            if predictions is not None:
                self.warehouse.merge_arrow("predictions", predictions)
            if games is None:
                self.warehouse.execute(_DELETE_STALE_PREDICTIONS, [slate.game_date, run_id, players, systems])
            else:
                only = sorted(games)
                self.warehouse.execute(
                    _DELETE_STALE_GAME_PREDICTIONS, [slate.game_date, run_id, players, systems, only]
                )
            if excluded:
                self.warehouse.merge_arrow("prediction_exclusions", exclusions)
            if games is None:
                self.warehouse.execute(_DELETE_STALE_EXCLUSIONS, [slate.game_date, run_id, players])
            else:
                self.warehouse.execute(
                    _DELETE_STALE_GAME_EXCLUSIONS, [slate.game_date, run_id, players, sorted(games)]
                )
        predicted = set() if predictions is None else set(predictions.column("player_id").to_pylist())
        rows = 0 if predictions is None else predictions.num_rows
        failures = Counter(f.system_id for r in results.values() for f in r.failures)
        return PredictRun(
            run_id,
            slate.game_date,
            slate.candidates,
            len(predicted),
            rows,
            dict(Counter(excluded.values())),
            batches=0,
            system_failures=dict(failures),
            exposure=exposure,
            capped_picks=capped,
        )

    def _other_games(
        self, game_date: date, games: Collection[str], computed: pa.Table | None
    ) -> pa.Table | None:
        """The latest rows of the games not predicted again, as the worker gave them before the
        slate was sized (side, stake, EV and reasons recomputed from their stored calibrated
        probabilities and prices: ``recommend`` is what the worker ran), in ``computed``'s schema."""
        import pyarrow as pa

        from nbaprops.predict.recommend import recommend

        rows = self.warehouse.query_arrow(
            "SELECT * FROM predictions WHERE game_date = ? AND NOT list_contains(?, game_id)",
            [game_date, sorted(games)],
        )
        if not rows.num_rows:
            return None
        if computed is not None:
            rows = rows.select(computed.schema.names).cast(computed.schema)
        rec = recommend(
            _floats(rows, "p_over"),
            _floats(rows, "over_price"),
            _floats(rows, "under_price"),
            p_push=_floats(rows, "p_push"),
            thresholds=self.thresholds,
        )
        replaced = {
            "expected_value": pa.array(rec.ev, type=pa.float64(), from_pandas=True),
            "recommendation": pa.array(rec.side.astype(str).tolist(), type=pa.string()),
            "stake": pa.array(rec.stake, type=pa.float64()),
            "reasons": pa.array(rec.reason.astype(str).tolist(), type=pa.string()),
        }
        for name, column in replaced.items():
            index = rows.schema.get_field_index(name)
            rows = rows.set_column(
                index, rows.schema.field(index), column.cast(rows.schema.field(index).type)
            )
        return rows


def _new_or_resized(
    sized: pa.Table, others: pa.Table, games: Collection[str], run_id: str, created_at: datetime
) -> pa.Table:
    """The rows a run over ``games`` writes, from its sized slate (which holds ``others``, the other
    games' stored rows, too): every row it predicted, and the stored rows whose stake, side or
    reasons the sizing changed, stamped with this run; the other stored rows stay as they are."""
    import numpy as np
    import pyarrow as pa

    fields = ("stake", "recommendation", "reasons")

    def keys(table: pa.Table) -> list[tuple[Any, ...]]:
        return list(
            zip(*(table.column(c).to_pylist() for c in ("game_id", "player_id", "system_id")), strict=True)
        )

    stored = dict(
        zip(keys(others), zip(*(others.column(c).to_pylist() for c in fields), strict=True), strict=True)
    )
    now = list(zip(*(sized.column(c).to_pylist() for c in fields), strict=True))
    ran = np.isin(np.asarray(sized.column("game_id").to_pylist(), dtype=object), list(games))
    moved = np.array([stored.get(key) not in (None, now[i]) for i, key in enumerate(keys(sized))], dtype=bool)
    moved &= ~ran
    for name, value in (("run_id", run_id), ("created_at", created_at)):
        index = sized.schema.get_field_index(name)
        field = sized.schema.field(index)
        column = np.asarray(sized.column(name).to_pylist(), dtype=object)
        column[moved] = value
        sized = sized.set_column(index, field, pa.array(column.tolist(), type=field.type))
    return sized.filter(pa.array(ran | moved))


def only_games(slate: Slate, games: Collection[str]) -> Slate:
    """The part of ``slate`` in ``games``: their selected players and their exclusions."""
    import numpy as np

    wanted = set(games)
    rows = np.flatnonzero(np.isin(slate.batch.game_ids, sorted(wanted)))
    batch, meta = select_rows(slate.batch, rows), take_meta(slate.meta, rows)
    exclusions = [e for e in slate.exclusions if e[0] in wanted]
    with_line = int(np.isfinite(batch.line).sum())
    return Slate(slate.game_date, batch, meta, slate.candidates, exclusions, slate.unresolved, with_line)


def predict_batch(
    warehouse: Warehouse,
    worker: Worker,
    run_id: str,
    batch_id: str,
    *,
    batch: PlayerBatch,
    meta: BatchMeta,
    keep: Callable[[BatchResult], None] | None = None,
) -> BatchResult:
    """Run ``worker`` on one batch and track it in ``prediction_batches`` (attempts, then
    ``completed`` with the systems that failed, or ``failed`` with the error, re-raised).

    ``keep`` stores the result before the batch is marked ``completed``, so a coordinator that sees
    it completed finds its result."""
    key = [run_id, batch_id]
    warehouse.execute(
        "UPDATE prediction_batches SET attempts = attempts + 1 WHERE run_id = ? AND batch_id = ?", key
    )
    try:
        result = worker.run(batch_id, batch, meta, run_id=run_id, created_at=now_utc())
    except Exception as exc:
        warehouse.execute(
            "UPDATE prediction_batches SET status = 'failed', error = ? WHERE run_id = ? AND batch_id = ?",
            [f"{type(exc).__name__}: {exc}"[:2000], *key],
        )
        raise
    if keep is not None:
        keep(result)
    failures = "; ".join(f"{f.system_id}: {f.kind}" for f in result.failures) or None
    warehouse.execute(
        "UPDATE prediction_batches SET status = 'completed', completed_at = ?, error = ? "
        "WHERE run_id = ? AND batch_id = ?",
        [now_utc(), failures, *key],
    )
    return result


def stage_result(warehouse: Warehouse, run_id: str, game_date: date, result: BatchResult) -> None:
    """Keep a batch's result in ``prediction_batch_results`` for the coordinator (a redelivered
    batch replaces its row)."""
    import json
    from dataclasses import asdict

    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, result.predictions.schema) as writer:
        writer.write_table(result.predictions)
    row = {
        "run_id": run_id,
        "batch_id": result.batch_id,
        "game_date": game_date,
        "predictions": sink.getvalue().to_pybytes(),
        "exclusions": json.dumps([list(e) for e in result.exclusions]),
        "failures": json.dumps([asdict(f) for f in result.failures]),
        "staged_at": now_utc(),
    }
    schema = pa.schema(
        [
            ("run_id", pa.string()),
            ("batch_id", pa.string()),
            ("game_date", pa.date32()),
            ("predictions", pa.binary()),
            ("exclusions", pa.string()),
            ("failures", pa.string()),
            ("staged_at", pa.timestamp("us", tz="UTC")),
        ]
    )
    warehouse.merge_arrow("prediction_batch_results", pa.Table.from_pylist([row], schema=schema))


def staged_results(warehouse: Warehouse, run_id: str) -> dict[str, BatchResult]:
    """The staged results of ``run_id`` by batch id."""
    import json

    import pyarrow as pa

    from nbaprops.predict.worker import SystemFailure

    found: dict[str, BatchResult] = {}
    rows = warehouse.query_rows(
        "SELECT batch_id, predictions, exclusions, failures FROM prediction_batch_results WHERE run_id = ?",
        [run_id],
    )
    for batch_id, blob, exclusions, failures in rows:
        table = pa.ipc.open_stream(pa.py_buffer(bytes(blob))).read_all()
        found[str(batch_id)] = BatchResult(
            str(batch_id),
            table,
            [(str(g), int(p), str(r)) for g, p, r in json.loads(exclusions)],
            [SystemFailure(**f) for f in json.loads(failures)],
        )
    return found


class BatchWorker:
    """The worker role's handler of ``predict-batches``: predicts each batch it is sent and stages
    the result for the coordinator that dispatched it.

    The models are those active as of the batch's game date, loaded from the registry once per
    prediction run (every batch of a run shares them; a retrain between runs is picked up).
    """

    def __init__(self, warehouse: Warehouse, settings: Settings, alerter: Alerter) -> None:
        import threading

        self.warehouse = warehouse
        self.settings = settings
        self.alerter = alerter
        self._loaded: tuple[str, Worker] | None = None
        self._lock = threading.Lock()

    def handle(self, message: Message) -> None:
        """Predict one batch and stage its result (``TransientError`` and crashes: redelivered)."""
        from nbaprops.errors import PayloadError
        from nbaprops.predict.worker import game_date_of_batch

        run_id, batch_id, batch, meta = decode_batch(message.data)
        state = self.warehouse.query_rows(
            "SELECT status FROM prediction_batches WHERE run_id = ? AND batch_id = ?", [run_id, batch_id]
        )
        if not state:
            raise PayloadError(f"batch {batch_id} of run {run_id} was never dispatched")
        if state[0][0] == "completed":  # a redelivery of a batch already staged: nothing to do
            log.info("predict.batch_duplicate", run_id=run_id, batch_id=batch_id)
            return
        day = game_date_of_batch(batch)
        worker = self._worker(run_id, day)

        def keep(result: BatchResult) -> None:
            stage_result(self.warehouse, run_id, day, result)

        predict_batch(self.warehouse, worker, run_id, batch_id, batch=batch, meta=meta, keep=keep)

    def _worker(self, run_id: str, day: date) -> Worker:
        from nbaprops.predict.recommend import Thresholds
        from nbaprops.predict.worker import models_from_registry

        with self._lock:
            if self._loaded is None or self._loaded[0] != run_id:
                models = models_from_registry(self.warehouse, self.settings, day, alerter=self.alerter)
                thresholds = Thresholds.from_settings(self.settings)
                self._loaded = (run_id, Worker(models, alerter=self.alerter, thresholds=thresholds))
            return self._loaded[1]


def size_predictions(
    predictions: pa.Table, caps: SlateCaps, *, shrink: float
) -> tuple[pa.Table, dict[str, float], int]:
    """Each system's slate sized at once (``recommend.size_slate``): the table, exposures, capped picks.

    The worker stakes each pick alone, batch by batch; only here is the whole slate of a system in
    one place. Picks over the per-team count limit become PASS with the reason saying so.
    """
    import numpy as np
    import pyarrow as pa

    side = np.asarray(_strings(predictions, "recommendation"), dtype=object)
    score = edge_adjusted_ev(
        side.astype(str),
        _floats(predictions, "p_over"),
        _floats(predictions, "over_price"),
        _floats(predictions, "under_price"),
        p_push=_floats(predictions, "p_push"),
        shrink=shrink,
    )
    stake = np.nan_to_num(_floats(predictions, "stake"))
    system = _strings(predictions, "system_id")
    game, team = _strings(predictions, "game_id"), _strings(predictions, "team")
    dropped = np.zeros(stake.shape, dtype=bool)
    exposure: dict[str, float] = {}
    for sid in np.unique(system).tolist():
        rows = system == sid
        stake[rows], dropped[rows] = size_slate(stake[rows], score[rows], game[rows], team[rows], caps)
        exposure[sid] = float(stake[rows].sum())
    reasons = np.asarray(_strings(predictions, "reasons"), dtype=object)
    limit = f"limit: more than {caps.max_picks_per_team} picks on this team's players in this game; "
    reasons[dropped] = np.char.add(limit, reasons[dropped].astype(str))
    side[dropped] = PASS
    replaced = {
        "stake": pa.array(stake, type=pa.float64()),
        "recommendation": pa.array(side.tolist(), type=pa.string()),
        "reasons": pa.array(reasons.tolist(), type=pa.string()),
    }
    for name, column in replaced.items():
        predictions = predictions.set_column(predictions.schema.get_field_index(name), name, column)
    return predictions, exposure, int(dropped.sum())


_ROW_ORDER = ("system_id", "game_id", "player_id")
_PLAYER_KEY = "game_id || '|' || CAST(player_id AS VARCHAR)"
_DELETE_STALE_PREDICTIONS = (
    "DELETE FROM predictions WHERE game_date = ? AND run_id <> ? "  # noqa: S608 - constant text
    f"AND NOT list_contains(?, {_PLAYER_KEY}) AND NOT list_contains(?, {_PLAYER_KEY} || '|' || system_id)"
)
_DELETE_STALE_EXCLUSIONS = (
    "DELETE FROM prediction_exclusions WHERE game_date = ? AND run_id <> ? "  # noqa: S608 - constant text
    f"AND NOT list_contains(?, {_PLAYER_KEY})"
)
_DELETE_STALE_GAME_PREDICTIONS = _DELETE_STALE_PREDICTIONS + " AND list_contains(?, game_id)"
_DELETE_STALE_GAME_EXCLUSIONS = _DELETE_STALE_EXCLUSIONS + " AND list_contains(?, game_id)"


@dataclass(frozen=True)
class _NotComputed:
    """What a run did not compute, so earlier runs' rows of it stay: ``game|player`` keys of the
    players in failed batches, and ``game|player|system`` keys of systems that failed a batch."""

    players: frozenset[str]
    player_systems: frozenset[str]


def _not_computed(batches: dict[str, list[str]], results: dict[str, BatchResult]) -> _NotComputed:
    players = {key for batch_id, keys in batches.items() if batch_id not in results for key in keys}
    systems = {
        f"{key}|{failure.system_id}"
        for batch_id, result in results.items()
        for failure in result.failures
        for key in batches.get(batch_id, [])
    }
    return _NotComputed(frozenset(players), frozenset(systems))


def _player_keys(game_ids: Any, player_ids: Any) -> list[str]:
    return [f"{g}|{int(p)}" for g, p in zip(game_ids, player_ids, strict=True)]


# --- loading a slate ------------------------------------------------------------------------------


# Per game of the date, the as-of kind a prediction made at the bound instant uses: the latest one
# whose as_of is not after it (its first parameter is the date, its second the prediction's as-of).
_KINDS = """
SELECT game_id, as_of_kind, as_of FROM game_as_of
WHERE game_date = ? AND as_of <= CAST(? AS TIMESTAMP)
QUALIFY ROW_NUMBER() OVER (PARTITION BY game_id ORDER BY as_of DESC) = 1
"""


def _candidates_sql() -> str:
    from nbaprops.features.contract import FEATURE_NAMES

    features = ", ".join(f'f."{name}"' for name in FEATURE_NAMES)
    return f"""
SELECT c.game_id, c.player_id, c.player_lookup, c.team, c.opponent, c.injury_status, k.as_of,
       f.as_of AS feature_as_of,
       f.player_id IS NOT NULL AS has_features, f.predictable, f.unpredictable_reason,
       f.quality_score, {features}
FROM upcoming_player_game_context AS c
JOIN ({_KINDS}) AS k ON k.game_id = c.game_id AND k.as_of_kind = c.as_of_kind
LEFT JOIN feature_store AS f
  ON f.player_id = c.player_id AND f.game_date = c.game_date AND f.as_of_kind = c.as_of_kind
 AND f.feature_version = ?
WHERE c.game_date = ?
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY c.game_id, c.player_id, CASE WHEN c.player_id IS NULL THEN c.player_lookup END
  ORDER BY c.player_lookup) = 1
ORDER BY c.game_id, c.player_id
"""  # noqa: S608 - feature names come from the contract, values are bound


_OUT_SQL = f"""
SELECT s.game_id, s.player_id
FROM injury_status AS s
JOIN ({_KINDS}) AS k ON k.game_id = s.game_id AND k.as_of_kind = s.as_of_kind
WHERE s.game_date = ? AND UPPER(s.status) = 'OUT'
"""  # noqa: S608 - a constant subquery, values are bound


def _lines_sql(books: int) -> str:
    placeholders = ", ".join("?" for _ in range(books))
    rank = " ".join(f"WHEN ? THEN {i}" for i in range(books))
    return f"""
SELECT c.game_id, c.player_id, p.point, p.book, p.snapshot_at, p.over_price, p.under_price
FROM upcoming_player_game_context AS c
JOIN ({_KINDS}) AS k ON k.game_id = c.game_id AND k.as_of_kind = c.as_of_kind
JOIN raw_oddsa_player_props AS p
  ON p.game_date = c.game_date AND p.player_id = c.player_id
 AND (p.game_id IS NULL OR p.game_id = c.game_id)
WHERE c.game_date = ? AND c.player_id IS NOT NULL AND p.market = ?
  AND p.snapshot_at < p.commence_time AND p.snapshot_at <= k.as_of
  AND p.book IN ({placeholders})
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY c.game_id, c.player_id
  ORDER BY CASE p.book {rank} END, p.snapshot_at DESC,
           ABS(COALESCE(p.over_no_vig, 0.5) - 0.5), p.point) = 1
"""  # noqa: S608 - only placeholders are formatted in


_HISTORY_SQL = """
SELECT h.player_id, h.pts, h.minutes,
       ROW_NUMBER() OVER (PARTITION BY h.player_id ORDER BY h.game_date DESC, h.game_id DESC) AS rn
FROM player_game_summary AS h
WHERE h.player_id IN (
    SELECT player_id FROM upcoming_player_game_context WHERE game_date = ? AND player_id IS NOT NULL)
  AND h.game_date < ? AND h.played AND h.pts IS NOT NULL
QUALIFY rn <= ?
"""


def load_slate(
    warehouse: Warehouse,
    game_date: date,
    *,
    as_of: datetime,
    bookmakers: Sequence[str],
    config: CoordinatorConfig | None = None,
) -> Slate:
    """Load and select a date's players as of ``as_of`` in ``SLATE_QUERIES`` warehouse reads.

    Raises ``QualityGateError`` when a feature row was built for a later as-of than ``as_of``.
    """
    import numpy as np

    from nbaprops.features.contract import FEATURE_NAMES, FEATURE_VERSION

    cfg = config or CoordinatorConfig()
    books = list(bookmakers)
    kinds = [game_date, as_of]
    cand = warehouse.query_arrow(_candidates_sql(), [*kinds, FEATURE_VERSION, game_date])
    _refuse_later_features(cand, game_date, as_of)
    out_rows = warehouse.query_rows(_OUT_SQL, [*kinds, game_date])
    lines = warehouse.query_arrow(_lines_sql(len(books)), [*kinds, game_date, POINTS_MARKET, *books, *books])
    history = warehouse.query_arrow(_HISTORY_SQL, [game_date, game_date, cfg.history_games])

    resolved = _bools(cand.column("player_id").is_valid())
    unresolved = int((~resolved).sum())
    cand = cand.filter(resolved) if unresolved else cand
    n = cand.num_rows
    game_ids = _strings(cand, "game_id")
    player_ids = cand.column("player_id").to_numpy().astype(np.int64)
    features = (
        np.column_stack([_floats(cand, name) for name in FEATURE_NAMES])
        if n
        else np.empty((0, len(FEATURE_NAMES)))
    )

    line, over, under, book, snap = _attach_lines(lines, game_ids, player_ids)
    has_line = np.isfinite(line)
    minutes = features[:, FEATURE_NAMES.index("minutes_avg_last_10")]
    status = np.char.upper(_strings(cand, "injury_status"))
    has_features = _bools(cand.column("has_features"))
    predictable = _bools(cand.column("predictable"))
    why = _strings(cand, "unpredictable_reason")

    reasons = np.full(n, "", dtype=object)
    low = ~has_line & ~(np.nan_to_num(minutes, nan=0.0) >= cfg.min_minutes)
    reasons[low] = "low_minutes"
    gate = has_features & ~predictable
    reasons[gate] = np.char.add("no_features:", np.where(why[gate] == "", "unpredictable", why[gate]))
    reasons[~has_features] = "no_features:missing"
    reasons[status == "OUT"] = "out"
    exclusions = [
        (str(game_ids[i]), int(player_ids[i]), str(reasons[i])) for i in np.flatnonzero(reasons != "")
    ]
    seen = {(g, p) for g, p in zip(game_ids.tolist(), player_ids.tolist(), strict=True)}
    exclusions += [(str(g), int(p), "out") for g, p in out_rows if (str(g), int(p)) not in seen]
    keep = np.flatnonzero(reasons == "")

    batch = _player_batch(
        game_date, cand, keep, features, history, history_games=cfg.history_games, prices=(line, over, under)
    )
    quality = cand.column("quality_score").to_pylist()
    as_of_us = _micros(cand.column("as_of"))
    meta = BatchMeta(
        line_book=[book[i] for i in keep],
        line_snapshot_us=[snap[i] for i in keep],
        feature_quality=[quality[i] for i in keep],
        out=[False] * len(keep),
        feature_version=FEATURE_VERSION,
        as_of_us=[as_of_us[i] for i in keep],
    )
    log.info(
        "predict.slate_loaded",
        game_date=game_date,
        candidates=n,
        selected=len(keep),
        excluded=len(exclusions),
        with_line=int(has_line[keep].sum()),
        unresolved=unresolved,
    )
    return Slate(game_date, batch, meta, n, exclusions, unresolved, int(has_line[keep].sum()))


def _refuse_later_features(cand: pa.Table, game_date: date, as_of: datetime) -> None:
    """A feature row built for an as-of after the prediction's would leak: refuse the whole slate."""
    import pyarrow as pa
    import pyarrow.compute as pc

    bound = pa.scalar(as_of, type=pa.timestamp("us", tz="UTC"))
    built = cand.column("feature_as_of").cast(pa.timestamp("us", tz="UTC"))
    later = pc.fill_null(pc.greater(built, bound), False)
    count = pc.sum(later).as_py() or 0
    if count:
        first = cand.filter(later).slice(0, 1).to_pylist()[0]
        raise QualityGateError(
            f"predict {game_date}: {count} feature row(s) built as of a time after the prediction's "
            f"as-of {as_of.isoformat()} (e.g. player {first['player_id']} as of "
            f"{first['feature_as_of'].isoformat()}); rebuild the features for this as-of"
        )


def _micros(column: Any) -> list[int | None]:
    """Microseconds since the epoch (UTC) of a timestamp column, ``None`` where null."""
    import pyarrow as pa

    values: list[int | None] = column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_pylist()
    return values


def _attach_lines(
    lines: pa.Table, game_ids: NDArray[np.str_], player_ids: NDArray[np.int64]
) -> tuple[Any, ...]:
    """``(line, over, under, book, snapshot_us)`` aligned with the candidates (NaN/None: no line)."""
    import numpy as np

    n = len(player_ids)
    line, over, under = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    book: list[str | None] = [None] * n
    snap: list[int | None] = [None] * n
    row_of = {key: i for i, key in enumerate(zip(game_ids.tolist(), player_ids.tolist(), strict=True))}
    micros = _micros(lines.column("snapshot_at"))
    for found, us in zip(lines.to_pylist(), micros, strict=True):
        i = row_of.get((found["game_id"], found["player_id"]))
        if i is not None:
            line[i], book[i], snap[i] = found["point"], found["book"], us
            over[i] = np.nan if found["over_price"] is None else found["over_price"]
            under[i] = np.nan if found["under_price"] is None else found["under_price"]
    return line, over, under, book, snap


def _player_batch(
    game_date: date,
    cand: pa.Table,
    keep: NDArray[np.intp],
    features: NDArray[np.float64],
    history: pa.Table,
    *,
    history_games: int,
    prices: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
) -> PlayerBatch:
    import numpy as np

    line, over, under = prices

    from nbaprops.features.contract import FEATURE_NAMES
    from nbaprops.predict.systems.base import PlayerBatch

    player_ids = cand.column("player_id").to_numpy().astype(np.int64)[keep]
    m = len(keep)
    points = np.full((m, history_games), np.nan)
    minutes = np.full((m, history_games), np.nan)
    if m and history.num_rows:
        # Scatter each history row to (its player's row, its recency rank) in one vectorized step.
        h_player = history.column("player_id").to_numpy().astype(np.int64)
        h_rank = history.column("rn").to_numpy().astype(np.int64) - 1
        sorter = np.argsort(player_ids, kind="stable")
        pos = np.searchsorted(player_ids, h_player, sorter=sorter)
        pos = np.clip(pos, 0, m - 1)
        rows = sorter[pos]
        hit = player_ids[rows] == h_player
        points[rows[hit], h_rank[hit]] = _floats(history, "pts")[hit]
        minutes[rows[hit], h_rank[hit]] = _floats(history, "minutes")[hit]
    return PlayerBatch(
        game_dates=np.full(m, np.datetime64(game_date.isoformat(), "D")),
        game_ids=_strings(cand, "game_id")[keep],
        player_ids=player_ids,
        teams=_strings(cand, "team")[keep],
        opponents=_strings(cand, "opponent")[keep],
        feature_names=FEATURE_NAMES,
        features=features[keep],
        history_points=points,
        history_minutes=minutes,
        line=line[keep],
        over_price=over[keep],
        under_price=under[keep],
    )


def _floats(table: pa.Table, name: str) -> NDArray[np.float64]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    column = table.column(name).cast(pa.float64())
    out: NDArray[np.float64] = np.asarray(pc.fill_null(column, np.nan).to_numpy(), dtype=np.float64)
    return out


def _strings(table: pa.Table, name: str) -> NDArray[np.str_]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    column = pc.fill_null(table.column(name).cast(pa.string()), "")
    if not table.num_rows:
        return np.array([], dtype=str)
    out: NDArray[np.str_] = np.asarray(column.to_pylist(), dtype=str)
    return out


def _bools(column: Any) -> NDArray[np.bool_]:
    import numpy as np
    import pyarrow.compute as pc

    out: NDArray[np.bool_] = np.asarray(pc.fill_null(column, False).to_pylist(), dtype=bool)
    return out
