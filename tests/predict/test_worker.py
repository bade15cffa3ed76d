"""The prediction worker: vectorized systems, breakers, failure classes, rows, batch messages."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from nbaprops.errors import NbaPropsError, PayloadError, SourceUnavailable, TransientError
from nbaprops.features.contract import FEATURE_NAMES, FEATURE_VERSION
from nbaprops.ops.alerts import Alerter
from nbaprops.predict.calibration import Calibrator
from nbaprops.predict.systems.base import HISTORY_GAMES, PlayerBatch, SpreadModel, SystemOutput
from nbaprops.predict.systems.ensemble import EnsembleSystem, mean_key
from nbaprops.predict.systems.moving_average import MovingAverageSystem
from nbaprops.predict.worker import BatchMeta, SystemModel, Worker, decode_batch, encode_batch, load_models

NOW = datetime(2025, 11, 1, 15, 0, tzinfo=UTC)


def make_batch(n: int, *, lines: list[float] | None = None) -> tuple[PlayerBatch, BatchMeta]:
    rng = np.random.default_rng(n)
    features = np.full((n, len(FEATURE_NAMES)), 1.0)
    features[:, FEATURE_NAMES.index("points_avg_last_10")] = rng.uniform(5, 30, n)
    features[:, FEATURE_NAMES.index("points_avg_season")] = rng.uniform(5, 30, n)
    features[:, FEATURE_NAMES.index("back_to_back")] = 0.0
    history = rng.uniform(0, 35, (n, HISTORY_GAMES)).round()
    line = np.asarray(lines if lines is not None else [15.5] * n, dtype=np.float64)
    has = np.isfinite(line)
    batch = PlayerBatch(
        game_dates=np.full(n, np.datetime64("2025-11-01", "D")),
        game_ids=np.array([f"00225000{i % 3:02d}" for i in range(n)]),
        player_ids=np.arange(1000, 1000 + n, dtype=np.int64),
        teams=np.array(["BOS"] * n),
        opponents=np.array(["NYK"] * n),
        feature_names=FEATURE_NAMES,
        features=features,
        history_points=history,
        history_minutes=np.full((n, HISTORY_GAMES), 30.0),
        line=line,
        over_price=np.where(has, -110.0, np.nan),
        under_price=np.where(has, -110.0, np.nan),
    )
    meta = BatchMeta(
        line_book=["draftkings" if h else None for h in has],
        line_snapshot_us=[1_761_990_000_000_000 if h else None for h in has],
        feature_quality=[0.9] * n,
        out=[False] * n,
        feature_version=FEATURE_VERSION,
        as_of_us=[1_761_994_800_000_000] * n,
    )
    return batch, meta


class LastTenSystem:
    """Predicts the last-10 average feature; records every batch it sees."""

    def __init__(
        self, system_id: str = "last_ten", fail: Callable[[int], BaseException | None] | None = None
    ) -> None:
        self.system_id = system_id
        self.calls = 0
        self.seen: list[PlayerBatch] = []
        self._fail = fail

    def predict(self, batch: PlayerBatch) -> SystemOutput:
        self.calls += 1
        self.seen.append(batch)
        if self._fail is not None and (error := self._fail(self.calls)) is not None:
            raise error
        mean = batch.column("points_avg_last_10").copy()
        return SystemOutput(mean=mean, sd=np.full(len(batch), 6.0), p_over=np.full(len(batch), np.nan))


def run(worker: Worker, batch: PlayerBatch, meta: BatchMeta, batch_id: str = "b0") -> Any:
    return worker.run(batch_id, batch, meta, run_id="r1", created_at=NOW)


def test_every_system_predicts_the_whole_batch_in_one_call() -> None:
    a, b = LastTenSystem("a"), LastTenSystem("b")
    worker = Worker([SystemModel(a, "v1"), SystemModel(b, "v2")], alerter=Alerter())
    batch, meta = make_batch(40)
    result = run(worker, batch, meta)
    assert (a.calls, b.calls) == (1, 1)
    assert len(a.seen[0]) == 40
    table = result.predictions
    assert table.num_rows == 80
    assert sorted(set(table.column("system_id").to_pylist())) == ["a", "b"]
    assert set(table.column("model_version").to_pylist()) == {"v1", "v2"}
    assert set(table.column("feature_version").to_pylist()) == {FEATURE_VERSION}
    assert set(table.column("top_features").to_pylist()) == {None}  # systems that cannot say why


def test_failing_system_opens_its_breaker_while_the_others_keep_producing_rows() -> None:
    alerter = Alerter()
    broken = LastTenSystem("broken", fail=lambda _: ValueError("model exploded"))
    healthy = LastTenSystem("healthy")
    worker = Worker(
        [SystemModel(broken, "v1"), SystemModel(healthy, "v1")], alerter=alerter, breaker_threshold=2
    )
    batch, meta = make_batch(10)
    kinds = []
    for i in range(5):
        result = run(worker, batch, meta, f"b{i}")
        assert set(result.predictions.column("system_id").to_pylist()) == {"healthy"}
        assert result.predictions.num_rows == 10
        kinds.append(result.failures[0].kind)
    assert broken.calls == 2  # the open breaker stops calling it
    assert healthy.calls == 5
    assert kinds == ["permanent", "permanent", "circuit_open", "circuit_open", "circuit_open"]
    assert worker.breakers["broken"].state == "open"
    assert [a.context["system_id"] for a in alerter.of_kind("predict.system_circuit_open")] == ["broken"]


def test_open_breaker_half_opens_after_cooldown_and_closes_on_success() -> None:
    now = [0.0]
    flaky = LastTenSystem("flaky", fail=lambda call: ValueError("bad") if call <= 2 else None)
    worker = Worker(
        [SystemModel(flaky, "v1"), SystemModel(LastTenSystem("ok"), "v1")],
        alerter=Alerter(),
        breaker_threshold=2,
        breaker_cooldown_s=60.0,
        clock=lambda: now[0],
    )
    batch, meta = make_batch(5)
    run(worker, batch, meta)
    run(worker, batch, meta)
    assert run(worker, batch, meta).failures[0].kind == "circuit_open"
    now[0] = 61.0
    result = run(worker, batch, meta)
    assert result.failures == []
    assert worker.breakers["flaky"].state == "closed"


def test_transient_failure_is_retried_within_budget() -> None:
    flaky = LastTenSystem("flaky", fail=lambda call: SourceUnavailable("blip") if call < 3 else None)
    worker = Worker([SystemModel(flaky, "v1")], alerter=Alerter(), transient_attempts=3)
    batch, meta = make_batch(4)
    result = run(worker, batch, meta)
    assert flaky.calls == 3
    assert result.predictions.num_rows == 4
    assert result.failures == []


def test_batch_where_every_system_failed_transiently_raises_transient_for_the_bus_to_retry() -> None:
    down = LastTenSystem("down", fail=lambda _: SourceUnavailable("blip"))
    worker = Worker([SystemModel(down, "v1")], alerter=Alerter(), transient_attempts=2)
    batch, meta = make_batch(3)
    with pytest.raises(TransientError, match="every system failed"):
        run(worker, batch, meta)
    assert down.calls == 2


def test_out_no_features_and_no_history_are_excluded_and_never_reach_a_system() -> None:
    system = LastTenSystem()
    worker = Worker([SystemModel(system, "v1")], alerter=Alerter())
    batch, meta = make_batch(5)
    batch.features[1, :] = np.nan
    batch.history_points[2, :] = np.nan
    meta.out[3] = True
    result = run(worker, batch, meta)
    ids = batch.player_ids
    assert sorted(result.exclusions) == sorted(
        [
            (str(batch.game_ids[1]), int(ids[1]), "no_features:missing"),
            (str(batch.game_ids[2]), int(ids[2]), "no_history"),
            (str(batch.game_ids[3]), int(ids[3]), "out"),
        ]
    )
    assert system.calls == 1
    assert sorted(system.seen[0].player_ids.tolist()) == [int(ids[0]), int(ids[4])]
    assert result.predictions.num_rows == 2


def test_rows_without_a_line_are_no_line_with_null_line_and_probabilities() -> None:
    worker = Worker([SystemModel(LastTenSystem(), "v1")], alerter=Alerter())
    batch, meta = make_batch(3, lines=[12.5, float("nan"), 20.0])
    rows = run(worker, batch, meta).predictions.to_pylist()
    assert rows[1]["recommendation"] == "NO_LINE"
    assert rows[1]["line"] is None
    assert rows[1]["p_over"] is None
    assert rows[1]["line_book"] is None
    assert rows[1]["over_price"] is None
    assert rows[1]["stake"] == 0.0
    assert rows[0]["recommendation"] in {"OVER", "UNDER", "PASS"}
    assert rows[0]["p_push"] == 0.0  # half-point line
    assert 0.0 < rows[2]["p_push"] < 0.2  # whole-number line can push
    assert rows[0]["line_book"] == "draftkings"
    assert rows[0]["line_snapshot_at"] == datetime.fromtimestamp(1_761_990_000, tz=UTC)
    for row in rows:
        assert row["q10"] <= row["q50"] <= row["q90"]
        assert row["predicted_sd"] > 0


def test_calibration_and_recommendation_are_applied_per_system() -> None:
    # A calibrator sure of the over whatever it is told: logit 10 -> 0.99995, clipped to 0.99.
    bounds = (-10.0, 10.0)
    sure = Calibrator("sure", (10.0, 0.0, 0.0), bounds, bounds, n_samples=500, is_identity=False, reason="t")
    worker = Worker([SystemModel(LastTenSystem("sure"), "v1", sure)], alerter=Alerter())
    batch, meta = make_batch(2, lines=[10.5, 30.0])
    rows = run(worker, batch, meta).predictions.to_pylist()
    assert rows[0]["p_over"] == pytest.approx(0.99)
    assert rows[0]["p_over_raw"] != pytest.approx(0.99)
    assert rows[0]["recommendation"] == "OVER"
    assert 0 < rows[0]["stake"] <= 0.02
    # a whole-number line keeps room for its push mass
    assert rows[1]["p_over"] + rows[1]["p_push"] <= 1.0 + 1e-12
    assert rows[0]["expected_value"] > 0.03


def test_a_prediction_keeps_the_base_claim_beside_the_edge_scaled_one() -> None:
    # Base map: logit 0.4 whatever it is told (P 0.599); edge scale 0.5 halves its edge over the
    # market's no-vig P (even at -110/-110): logit 0.2, P 0.550. The base claim is stored for the
    # next retrain's scale, which must be fitted on what was claimed before any scaling.
    bounds = (-10.0, 10.0)
    base = Calibrator("half", (0.4, 0.0, 0.0), bounds, bounds, n_samples=500, is_identity=False, reason="t")
    halved = replace(base, edge_scale=0.5, edge_scale_pairs=3_000)
    worker = Worker([SystemModel(LastTenSystem("half"), "v1", halved)], alerter=Alerter())
    batch, meta = make_batch(2, lines=[10.5, float("nan")])
    rows = run(worker, batch, meta).predictions.to_pylist()
    assert rows[0]["p_over_base"] == pytest.approx(1 / (1 + math.exp(-0.4)))
    assert rows[0]["p_over"] == pytest.approx(1 / (1 + math.exp(-0.2)))
    assert rows[1]["p_over_base"] is None  # no line, no claim


def test_ensemble_blends_component_means_computed_earlier_in_the_batch() -> None:
    spread = SpreadModel(20.0, 0.5, 100)
    ma = MovingAverageSystem(spread)
    ensemble = EnsembleSystem(components=("moving_average",), weights=(1.0,), spread=spread)
    worker = Worker([SystemModel(ma, "ma1"), SystemModel(ensemble, "en1")], alerter=Alerter())
    batch, meta = make_batch(6)
    table = run(worker, batch, meta).predictions
    by_system = {
        s: table.filter(table.column("system_id").to_numpy(zero_copy_only=False) == s)
        for s in ("moving_average", "ensemble")
    }
    np.testing.assert_allclose(
        by_system["ensemble"].column("predicted_points").to_numpy(),
        by_system["moving_average"].column("predicted_points").to_numpy(),
    )
    assert mean_key("moving_average") not in batch.extras  # the caller's batch is left untouched
    # Each row says why (its system's top contributions); a blend of one member at weight 1 gives
    # that member's reasons.
    tops = {s: t.column("top_features").to_pylist() for s, t in by_system.items()}
    assert tops["ensemble"] == tops["moving_average"]
    means = by_system["ensemble"].column("predicted_points").to_pylist()
    for text, mean in zip(tops["ensemble"], means, strict=True):
        top = json.loads(text)
        assert [t["feature"] for t in top][:1] == ["recent_form"]
        assert set(top[0]) == {"feature", "contribution_points", "value"}
        assert mean > 0


def test_wrong_output_shape_is_a_system_failure_not_a_crash() -> None:
    class Short:
        system_id = "short"

        def predict(self, batch: PlayerBatch) -> SystemOutput:
            one = np.ones(1)
            return SystemOutput(one, one, one)

    worker = Worker([SystemModel(Short(), "v1"), SystemModel(LastTenSystem(), "v1")], alerter=Alerter())
    batch, meta = make_batch(4)
    result = run(worker, batch, meta)
    assert [(f.system_id, f.kind) for f in result.failures] == [("short", "permanent")]
    assert "shapes" in result.failures[0].error
    assert result.predictions.num_rows == 4


def test_model_that_fails_to_load_stops_the_worker_with_an_alert() -> None:
    alerter = Alerter()

    def loader() -> list[SystemModel]:
        raise PayloadError("gbm model file sha256 mismatch")

    with pytest.raises(PayloadError, match="sha256"):
        load_models(loader, alerter)
    [alert] = alerter.of_kind("predict.model_load_failed")
    assert alert.severity == "error"
    assert "sha256" in alert.message
    with pytest.raises(NbaPropsError, match="no prediction system"):
        load_models(list, alerter)


def test_batch_message_round_trips_exactly_including_nan() -> None:
    batch, meta = make_batch(7, lines=[10.5, float("nan"), 3.0, 8.5, float("nan"), 1.5, 22.0])
    batch.features[0, 3] = np.nan
    run_id, batch_id, back, back_meta = decode_batch(encode_batch("r9", "b3", batch, meta))
    assert (run_id, batch_id) == ("r9", "b3")
    for name in ("features", "history_points", "history_minutes", "line", "over_price", "under_price"):
        np.testing.assert_array_equal(getattr(back, name), getattr(batch, name))
    np.testing.assert_array_equal(back.player_ids, batch.player_ids)
    np.testing.assert_array_equal(back.game_dates, batch.game_dates)
    assert back.feature_names == FEATURE_NAMES
    assert back_meta == meta


def test_damaged_batch_message_is_a_payload_error() -> None:
    from nbaprops.pipeline.bus import encode_message

    with pytest.raises(PayloadError, match="damaged"):
        decode_batch(encode_message("predict_batch", {"run_id": "r", "batch_id": "b"}))
