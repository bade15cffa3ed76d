"""The prediction worker: every enabled system on a whole batch at once, each behind its own breaker.

A batch arrives as a bus message (``encode_batch``/``decode_batch``: numeric arrays travel as
base64 little-endian bytes inside the JSON envelope, exact and NaN-safe). ``Worker.run`` then:

1. classifies rows that can never be predicted as **permanent** failures, recorded as exclusions and
   never retried: ``out`` (injury status OUT), ``no_features:missing`` (no feature row),
   ``no_history`` (no earlier game played);
2. runs each system on the remaining rows in one vectorized call. A ``TransientError`` is retried up
   to ``transient_attempts`` times; any other failure (or an output of the wrong shape, a NaN mean, a
   non-positive sd) is final for this batch. Either way the system's breaker counts it; after
   ``breaker_threshold`` consecutive failed batches the breaker opens, an alert is raised and later
   batches skip the system until the cooldown passes, while the other systems keep producing rows;
3. turns each output into prediction rows: P(over) from the system (or from its negative binomial
   when the system gave none), P(push) and the 10/50/90% quantiles (``predict.distribution``), the
   system's calibration (which reads the market's no-vig P(over) as well), and the recommendation
   with its per-pick stake and reasons (``predict.recommend``; the coordinator sizes the whole
   slate afterwards).

Models come ready-made (``SystemModel``): loading them from the registry happens once, before the
first batch, in ``load_models``, and a model that fails to load stops the worker with an alert —
there is no dummy fallback.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import structlog

from nbaprops.errors import NbaPropsError, PayloadError, TransientError
from nbaprops.ops.breaker import CircuitBreaker
from nbaprops.predict.recommend import Thresholds

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa
    from numpy.typing import NDArray

    from nbaprops.ops.alerts import Alerter
    from nbaprops.predict.calibration import Calibrator
    from nbaprops.predict.systems.base import PlayerBatch, PredictionSystem, SystemOutput
    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

BATCH_KIND = "predict_batch"
QUANTILE_LEVELS = (0.1, 0.5, 0.9)
MIN_SD = 0.5  # points; a system claiming less spread than this is not believed


@dataclass(frozen=True)
class SystemModel:
    """One enabled system with the version its rows are stamped with and its calibrator."""

    system: PredictionSystem
    model_version: str
    calibrator: Calibrator | None = None


@dataclass(frozen=True)
class BatchMeta:
    """Per-row facts that travel with a batch but are not model inputs."""

    line_book: list[str | None]
    line_snapshot_us: list[int | None]  # microseconds since the epoch, UTC
    feature_quality: list[float | None]
    out: list[bool]
    feature_version: str
    as_of_us: list[int | None]  # the prediction's as-of per row, microseconds since the epoch, UTC


@dataclass(frozen=True)
class SystemFailure:
    """A system that produced no rows for a batch, and why."""

    system_id: str
    kind: str  # transient | permanent | circuit_open
    error: str
    attempts: int


@dataclass
class BatchResult:
    """What a worker made of one batch: prediction rows, exclusions and system failures."""

    batch_id: str
    predictions: pa.Table
    exclusions: list[tuple[str, int, str]] = field(default_factory=list)  # (game_id, player_id, reason)
    failures: list[SystemFailure] = field(default_factory=list)


def load_models(loader: Callable[[], Sequence[SystemModel]], alerter: Alerter) -> list[SystemModel]:
    """Load the enabled models once; a failure raises an error alert and stops the worker (re-raised)."""
    try:
        models = list(loader())
    except Exception as exc:
        alerter.raise_alert(
            "predict.model_load_failed",
            f"prediction models failed to load, worker stopped: {type(exc).__name__}: {exc}",
            severity="error",
        )
        raise
    if not models:
        alerter.raise_alert("predict.model_load_failed", "no prediction system is enabled", severity="error")
        raise NbaPropsError("no prediction system is enabled")
    return models


def models_from_registry(
    warehouse: Warehouse, settings: Settings, as_of: date, *, alerter: Alerter
) -> list[SystemModel]:
    """The active model of every system as of ``as_of`` (components first, the ensemble last).

    Any model that fails to load raises (after its alert): the worker does not start without it.
    """
    from nbaprops.predict.registry import load_all_active
    from nbaprops.predict.train import SYSTEM_IDS

    def loader() -> list[SystemModel]:
        loaded = load_all_active(warehouse, settings, SYSTEM_IDS, as_of, alerter=alerter)
        return [SystemModel(m.system, m.model_version, m.calibrator) for m in loaded.values()]

    return load_models(loader, alerter)


class Worker:
    """Runs the enabled systems on batches; owns one circuit breaker per system."""

    def __init__(
        self,
        models: Sequence[SystemModel],
        *,
        alerter: Alerter,
        thresholds: Thresholds | None = None,
        transient_attempts: int = 3,
        breaker_threshold: int = 3,
        breaker_cooldown_s: float = 300.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        ids = [m.system.system_id for m in models]
        if len(set(ids)) != len(ids):
            raise ValueError(f"a system is enabled twice: {ids}")
        self.models = list(models)
        self.alerter = alerter
        self.thresholds = thresholds or Thresholds()
        self.transient_attempts = max(1, transient_attempts)
        extra: dict[str, Any] = {} if clock is None else {"clock": clock}
        self.breakers = {
            sid: CircuitBreaker(sid, threshold=breaker_threshold, cooldown_s=breaker_cooldown_s, **extra)
            for sid in ids
        }

    def run(
        self, batch_id: str, batch: PlayerBatch, meta: BatchMeta, *, run_id: str, created_at: datetime
    ) -> BatchResult:
        """Predict every predictable row of ``batch`` with every admitted system."""
        import numpy as np
        import pyarrow as pa

        from nbaprops.predict.systems.base import select_rows
        from nbaprops.predict.systems.ensemble import mean_key

        reasons = _permanent_reasons(batch, meta)
        keep = np.flatnonzero(reasons == "")
        exclusions = [
            (str(batch.game_ids[i]), int(batch.player_ids[i]), str(reasons[i]))
            for i in np.flatnonzero(reasons != "")
        ]
        sub = select_rows(batch, keep)
        sub_meta = take_meta(meta, keep)
        tables: list[pa.Table] = []
        failures: list[SystemFailure] = []
        done: dict[str, SystemOutput] = {}
        for model in self.models if len(sub) else []:
            output, failure = self._predict_guarded(model.system, sub, done)
            if output is None:
                if failure is not None:
                    failures.append(failure)
                continue
            done[model.system.system_id] = output
            # Later systems (the ensemble) blend the means already computed instead of re-running them.
            sub = replace(sub, extras={**sub.extras, mean_key(model.system.system_id): output.mean})
            tables.append(self._rows(model, sub, sub_meta, output, run_id=run_id, created_at=created_at))
        if len(sub) and not tables:
            # Nothing at all came out: let the bus retry when any failure may go away.
            error = "; ".join(f"{f.system_id}: {f.kind}: {f.error}" for f in failures)
            if any(f.kind == "transient" for f in failures):
                raise TransientError(f"batch {batch_id}: every system failed: {error}")
            raise NbaPropsError(f"batch {batch_id}: every system failed: {error}")
        predictions = pa.concat_tables(tables) if tables else _empty_predictions()
        log.info(
            "predict.batch_done",
            batch_id=batch_id,
            rows=predictions.num_rows,
            excluded=len(exclusions),
            failed_systems=[f.system_id for f in failures],
        )
        return BatchResult(batch_id, predictions, exclusions, failures)

    def _predict_guarded(
        self, system: PredictionSystem, batch: PlayerBatch, done: Mapping[str, SystemOutput]
    ) -> tuple[SystemOutput | None, SystemFailure | None]:
        sid = system.system_id
        breaker = self.breakers[sid]
        if not breaker.admit():
            why = f"breaker open after {breaker.failures} failures"
            return None, SystemFailure(sid, "circuit_open", why, 0)
        kind, error, attempt = "permanent", "", 0
        for attempt in range(1, self.transient_attempts + 1):  # noqa: B007 - attempt is reported below
            try:
                output = _predict(system, batch, done)
                _check_output(sid, output, len(batch))
            except TransientError as exc:
                kind, error = "transient", str(exc)
                continue
            except Exception as exc:  # noqa: BLE001 - a broken system must not take the others down
                kind, error = "permanent", f"{type(exc).__name__}: {exc}"
                break
            breaker.record_success()
            return output, None
        before = breaker.state
        state = breaker.record_failure()
        log.warning("predict.system_failed", system_id=sid, kind=kind, attempts=attempt, error=error)
        if state == "open" and before != "open":
            self.alerter.raise_alert(
                "predict.system_circuit_open",
                f"system {sid} failed {breaker.failures} batch(es) in a row; "
                "skipped until the cooldown passes",
                severity="error",
                system_id=sid,
                last_error=error[:500],
            )
        return None, SystemFailure(sid, kind, error, attempt)

    def _rows(
        self,
        model: SystemModel,
        batch: PlayerBatch,
        meta: BatchMeta,
        output: SystemOutput,
        *,
        run_id: str,
        created_at: datetime,
    ) -> pa.Table:
        import numpy as np
        import pyarrow as pa

        from nbaprops.predict.distribution import line_probabilities, points_quantiles
        from nbaprops.predict.recommend import decimal_prices, fair_probabilities, recommend

        n = len(batch)
        mean = np.clip(np.asarray(output.mean, dtype=np.float64), 0.0, None)
        sd = np.maximum(np.asarray(output.sd, dtype=np.float64), MIN_SD)
        line = batch.line
        has_line = np.isfinite(line)
        probs = line_probabilities(mean, sd, line)
        given = np.asarray(output.p_over, dtype=np.float64)
        p_raw = np.where(has_line, np.where(np.isfinite(given), given, probs.over), np.nan)
        p_raw = np.clip(p_raw, 0.0, 1.0)
        p_push = np.where(has_line, probs.push, np.nan)
        fair_over, _ = fair_probabilities(decimal_prices(batch.over_price), decimal_prices(batch.under_price))
        calibrator = model.calibrator
        p_base = calibrator.apply_base(p_raw, fair_over) if calibrator is not None else p_raw
        p_cal = calibrator.scale_edge(p_base, fair_over) if calibrator is not None else p_raw
        # Calibration maps P(over) alone; it must leave room for the push mass of whole-number lines.
        room = 1.0 - np.nan_to_num(p_push)
        p_cal = np.where(has_line, np.minimum(p_cal, room), np.nan)
        p_base = np.where(has_line, np.minimum(p_base, room), np.nan)
        quantiles = points_quantiles(mean, sd, QUANTILE_LEVELS)
        rec = recommend(p_cal, batch.over_price, batch.under_price, p_push=p_push, thresholds=self.thresholds)

        def floats(values: NDArray[np.float64]) -> pa.Array:
            return pa.array(values, type=pa.float64(), from_pandas=True)

        def ints(values: NDArray[np.float64]) -> pa.Array:
            mask = ~np.isfinite(values)
            return pa.array(np.nan_to_num(values).astype(np.int64), type=pa.int64(), mask=mask)

        columns: dict[str, pa.Array] = {
            "game_date": pa.array(batch.game_dates.astype("datetime64[D]"), type=pa.date32()),
            "game_id": pa.array(batch.game_ids.astype(str), type=pa.string()),
            "player_id": pa.array(batch.player_ids.astype(np.int64), type=pa.int64()),
            "team": pa.array(batch.teams.astype(str), type=pa.string()),
            "opponent": pa.array(batch.opponents.astype(str), type=pa.string()),
            "system_id": pa.array([model.system.system_id] * n, type=pa.string()),
            "model_version": pa.array([model.model_version] * n, type=pa.string()),
            "predicted_points": floats(mean),
            "predicted_sd": floats(sd),
            "q10": floats(quantiles[:, 0]),
            "q50": floats(quantiles[:, 1]),
            "q90": floats(quantiles[:, 2]),
            "p_over_raw": floats(p_raw),
            "p_over": floats(p_cal),
            "p_over_base": floats(p_base),
            "p_push": floats(p_push),
            "line": floats(line),
            "line_book": pa.array(meta.line_book, type=pa.string()),
            "line_snapshot_at": pa.array(meta.line_snapshot_us, type=pa.timestamp("us", tz="UTC")),
            "over_price": ints(batch.over_price),
            "under_price": ints(batch.under_price),
            "edge": floats(np.where(has_line, mean - line, np.nan)),
            "expected_value": floats(rec.ev),
            "recommendation": pa.array(rec.side.astype(str), type=pa.string()),
            "stake": floats(rec.stake),
            "reasons": pa.array(rec.reason.astype(str), type=pa.string()),
            "top_features": pa.array(
                [None] * n if output.contributions is None else output.contributions.top_json(),
                type=pa.string(),
            ),
            "feature_version": pa.array([meta.feature_version] * n, type=pa.string()),
            "feature_quality": pa.array(meta.feature_quality, type=pa.float64()),
            "as_of": pa.array(meta.as_of_us, type=pa.timestamp("us", tz="UTC")),
            "run_id": pa.array([run_id] * n, type=pa.string()),
            "created_at": pa.array([created_at] * n, type=pa.timestamp("us", tz="UTC")),
        }
        return pa.table(columns)


def _predict(system: PredictionSystem, batch: PlayerBatch, done: Mapping[str, SystemOutput]) -> SystemOutput:
    """The system's output with its contributions where it can give them: a blend of systems
    already run on this batch combines their outputs (and their contributions)."""
    from nbaprops.predict.systems.base import BlendingSystem, ExplainingSystem

    if isinstance(system, BlendingSystem) and all(c in done for c in system.components):
        return system.combine(batch, done)
    if isinstance(system, ExplainingSystem):
        return system.predict_explained(batch)
    return system.predict(batch)


def _check_output(system_id: str, output: SystemOutput, n: int) -> None:
    import numpy as np

    arrays = (np.asarray(output.mean), np.asarray(output.sd), np.asarray(output.p_over))
    if any(a.shape != (n,) for a in arrays):
        raise PayloadError(f"system {system_id} returned shapes {[a.shape for a in arrays]} for {n} rows")
    if not np.isfinite(arrays[0]).all() or not (np.nan_to_num(arrays[1], nan=-1.0) > 0).all():
        raise PayloadError(f"system {system_id} returned a non-finite mean or a non-positive sd")


def _permanent_reasons(batch: PlayerBatch, meta: BatchMeta) -> NDArray[np.str_]:
    import numpy as np

    reasons = np.full(len(batch), "", dtype=object)
    no_history = np.isnan(batch.history_points).all(axis=1)
    no_features = np.isnan(batch.features).all(axis=1)
    reasons[no_history] = "no_history"
    reasons[no_features] = "no_features:missing"
    reasons[np.asarray(meta.out, dtype=bool)] = "out"
    out: NDArray[np.str_] = reasons.astype(str)
    return out


def take_meta(meta: BatchMeta, rows: NDArray[np.intp]) -> BatchMeta:
    """The rows ``rows`` of ``meta``."""
    idx = [int(i) for i in rows]
    return BatchMeta(
        line_book=[meta.line_book[i] for i in idx],
        line_snapshot_us=[meta.line_snapshot_us[i] for i in idx],
        feature_quality=[meta.feature_quality[i] for i in idx],
        out=[meta.out[i] for i in idx],
        feature_version=meta.feature_version,
        as_of_us=[meta.as_of_us[i] for i in idx],
    )


def _empty_predictions() -> pa.Table:
    import pyarrow as pa

    from nbaprops.predict.tables import PREDICTIONS

    types = {
        "DATE": pa.date32(),
        "STRING": pa.string(),
        "INT64": pa.int64(),
        "FLOAT64": pa.float64(),
        "TIMESTAMP": pa.timestamp("us", tz="UTC"),
        "JSON": pa.string(),
    }
    return pa.table({c.name: pa.array([], type=types[c.type]) for c in PREDICTIONS.columns})


# --- the batch message ------------------------------------------------------------------------


def _pack(array: NDArray[Any]) -> dict[str, Any]:
    import numpy as np

    values = np.ascontiguousarray(array)
    return {
        "dtype": values.dtype.str,
        "shape": list(values.shape),
        "b64": base64.b64encode(values.tobytes()).decode("ascii"),
    }


def _unpack(doc: Mapping[str, Any], dtype: str) -> NDArray[Any]:
    import numpy as np

    if doc.get("dtype") != dtype:
        raise PayloadError(f"batch array has dtype {doc.get('dtype')!r}, expected {dtype!r}")
    raw = base64.b64decode(doc["b64"], validate=True)
    return np.frombuffer(raw, dtype=dtype).reshape(tuple(doc["shape"])).copy()


def encode_batch(run_id: str, batch_id: str, batch: PlayerBatch, meta: BatchMeta) -> bytes:
    """The bus message of one batch (a JSON envelope of kind ``predict_batch``)."""
    from nbaprops.pipeline.bus import encode_message

    payload = {
        "run_id": run_id,
        "batch_id": batch_id,
        "game_dates": [str(d) for d in batch.game_dates.astype("datetime64[D]")],
        "game_ids": [str(g) for g in batch.game_ids],
        "player_ids": _pack(batch.player_ids.astype("<i8")),
        "teams": [str(t) for t in batch.teams],
        "opponents": [str(t) for t in batch.opponents],
        "feature_names": list(batch.feature_names),
        **{
            name: _pack(getattr(batch, name).astype("<f8"))
            for name in ("features", "history_points", "history_minutes", "line", "over_price", "under_price")
        },
        "line_book": meta.line_book,
        "line_snapshot_us": meta.line_snapshot_us,
        "feature_quality": meta.feature_quality,
        "out": meta.out,
        "feature_version": meta.feature_version,
        "as_of_us": meta.as_of_us,
    }
    return encode_message(BATCH_KIND, payload)


def decode_batch(data: bytes) -> tuple[str, str, PlayerBatch, BatchMeta]:
    """``(run_id, batch_id, batch, meta)`` from a batch message; ``PayloadError`` if it is damaged."""
    import numpy as np

    from nbaprops.pipeline.bus import decode_message
    from nbaprops.predict.systems.base import PlayerBatch

    doc = decode_message(data, BATCH_KIND)
    try:
        batch = PlayerBatch(
            game_dates=np.array(doc["game_dates"], dtype="datetime64[D]"),
            game_ids=np.array(doc["game_ids"], dtype=str),
            player_ids=_unpack(doc["player_ids"], "<i8"),
            teams=np.array(doc["teams"], dtype=str),
            opponents=np.array(doc["opponents"], dtype=str),
            feature_names=tuple(doc["feature_names"]),
            features=_unpack(doc["features"], "<f8"),
            history_points=_unpack(doc["history_points"], "<f8"),
            history_minutes=_unpack(doc["history_minutes"], "<f8"),
            line=_unpack(doc["line"], "<f8"),
            over_price=_unpack(doc["over_price"], "<f8"),
            under_price=_unpack(doc["under_price"], "<f8"),
        )
        meta = BatchMeta(
            line_book=list(doc["line_book"]),
            line_snapshot_us=list(doc["line_snapshot_us"]),
            feature_quality=list(doc["feature_quality"]),
            out=[bool(v) for v in doc["out"]],
            feature_version=str(doc["feature_version"]),
            as_of_us=list(doc["as_of_us"]),
        )
        run_id, batch_id = str(doc["run_id"]), str(doc["batch_id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PayloadError(f"damaged batch message: {type(exc).__name__}: {exc}") from None
    n = len(batch)
    if any(len(v) != n for v in (batch.game_ids, batch.line, meta.line_book, meta.out, meta.as_of_us)):
        raise PayloadError("damaged batch message: columns differ in length")
    return run_id, batch_id, batch, meta


def game_date_of_batch(batch: PlayerBatch) -> date:
    """The single game date of a batch (a batch never mixes dates)."""
    import numpy as np

    days = np.unique(batch.game_dates.astype("datetime64[D]"))
    if days.size != 1:
        raise PayloadError(f"a batch must hold one game date, got {days.size}")
    return date.fromisoformat(str(days[0]))
