"""The in-process bus: fan-out, at-least-once retries, dead letters, envelopes."""

from __future__ import annotations

import json
import threading

import pytest

from nbaprops.errors import ConfigError, PayloadError, SourceUnavailable
from nbaprops.ops.alerts import Alerter
from nbaprops.pipeline.bus import (
    SCHEMA_VERSION,
    Bus,
    InProcessBus,
    Message,
    decode_message,
    encode_message,
)
from nbaprops.warehouse import create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse


def test_in_process_bus_satisfies_the_bus_protocol() -> None:
    bus: Bus = InProcessBus()
    assert callable(bus.publish)
    assert callable(bus.subscribe)
    assert callable(bus.flush)


def test_every_subscriber_of_a_topic_receives_each_message_with_its_attributes() -> None:
    bus = InProcessBus()
    got_a: list[Message] = []
    got_b: list[Message] = []
    bus.subscribe("t", got_a.append)
    bus.subscribe("t", got_b.append)
    bus.subscribe("other", lambda m: pytest.fail("wrong topic delivered"))
    message_id = bus.publish("t", b"hello", {"batch_id": "b1"})
    assert [m.data for m in got_a] == [b"hello"] == [m.data for m in got_b]
    assert got_a[0].message_id == message_id
    assert got_a[0].attributes == {"batch_id": "b1"}
    assert got_a[0].delivery_attempt == 1


def test_publishing_to_a_topic_without_subscribers_is_refused_rather_than_lost() -> None:
    with pytest.raises(ConfigError, match="no subscriber"):
        InProcessBus().publish("nobody", b"x")


def test_transient_failure_is_redelivered_until_the_handler_succeeds() -> None:
    bus = InProcessBus(max_attempts=3)
    attempts: list[int] = []

    def flaky(message: Message) -> None:
        attempts.append(message.delivery_attempt)
        if message.delivery_attempt < 3:
            raise SourceUnavailable("try later")

    bus.subscribe("t", flaky)
    bus.publish("t", b"x")
    assert attempts == [1, 2, 3]
    assert bus.dead_letters == []


def test_message_is_dead_lettered_and_alerted_when_the_retry_budget_runs_out() -> None:
    with DuckDBWarehouse(":memory:", query_timeout_s=30) as warehouse:
        create_schema(warehouse)
        bus = InProcessBus(max_attempts=2, alerter=Alerter(warehouse))
        calls: list[int] = []

        def always_down(message: Message) -> None:
            calls.append(message.delivery_attempt)
            raise SourceUnavailable("down")

        bus.subscribe("t", always_down)
        bus.publish("t", b"x", {"batch_id": "b7"})
        assert calls == [1, 2]
        assert [(d.topic, d.attempts) for d in bus.dead_letters] == [("t", 2)]
        assert "SourceUnavailable: down" in bus.dead_letters[0].error
        rows = warehouse.query_rows("SELECT kind, severity, context FROM alerts")
        assert [(r[0], r[1]) for r in rows] == [("bus.dead_letter", "error")]
        assert json.loads(rows[0][2])["attr_batch_id"] == "b7"


def test_non_transient_failure_is_dead_lettered_without_retry() -> None:
    bus = InProcessBus(max_attempts=5)
    calls: list[int] = []

    def broken(message: Message) -> None:
        calls.append(message.delivery_attempt)
        raise PayloadError("damaged")

    bus.subscribe("t", broken)
    bus.publish("t", b"x")
    assert calls == [1]
    assert bus.dead_letters[0].attempts == 1


def test_thread_pool_bus_delivers_everything_by_the_time_flush_returns() -> None:
    bus = InProcessBus(workers=4)
    seen: list[bytes] = []
    lock = threading.Lock()

    def record(message: Message) -> None:
        with lock:
            seen.append(message.data)

    bus.subscribe("t", record)
    for i in range(50):
        bus.publish("t", str(i).encode())
    bus.flush()
    assert sorted(int(s) for s in seen) == list(range(50))
    bus.close()


def test_envelope_round_trips_and_refuses_other_kinds_and_versions() -> None:
    data = encode_message("predict_batch", {"batch_id": "b1", "n": 3})
    assert decode_message(data, "predict_batch") == {"batch_id": "b1", "n": 3}
    assert json.loads(data)["schema_version"] == SCHEMA_VERSION
    with pytest.raises(PayloadError, match="unsupported"):
        decode_message(data, "grade_day")
    future = json.dumps({"schema_version": SCHEMA_VERSION + 1, "kind": "predict_batch", "payload": {}})
    with pytest.raises(PayloadError, match="unsupported"):
        decode_message(future.encode(), "predict_batch")
    with pytest.raises(PayloadError, match="not JSON"):
        decode_message(b"{truncated", "predict_batch")


def test_envelope_refuses_nan_so_messages_stay_valid_json() -> None:
    with pytest.raises(ValueError, match="JSON"):
        encode_message("k", {"x": float("nan")})
