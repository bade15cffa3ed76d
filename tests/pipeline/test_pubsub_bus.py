"""The bus on the Pub/Sub emulator: a whole day replayed 3x out of order gives identical tables;
poison is dead-lettered with its reason; a crashing handler is redelivered and succeeds."""

from __future__ import annotations

import os
import random
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from day_support import content_snapshot, open_runner, shared_prepared_day

from nbaprops.pipeline.bus import Message, encode_message
from nbaprops.pipeline.delivery import DeliveryLog
from nbaprops.pipeline.pubsub import DEAD_LETTER_TOPIC, PubSubBus
from nbaprops.warehouse import create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse


@pytest.fixture(scope="module")
def emulator_env(pubsub_emulator: str) -> Iterator[str]:
    previous = os.environ.get("PUBSUB_EMULATOR_HOST")
    os.environ["PUBSUB_EMULATOR_HOST"] = pubsub_emulator
    yield pubsub_emulator
    if previous is None:
        os.environ.pop("PUBSUB_EMULATOR_HOST", None)
    else:
        os.environ["PUBSUB_EMULATOR_HOST"] = previous


class RecordingBus(PubSubBus):
    """A ``PubSubBus`` that keeps a copy of every message published (the day's messages)."""

    sent: list[tuple[str, bytes, dict[str, str]]]

    def publish(self, topic: str, message: bytes, attributes: Any = None) -> str:
        if not hasattr(self, "sent"):
            self.sent = []
        self.sent.append((topic, message, dict(attributes or {})))
        return super().publish(topic, message, attributes)


def _bus(cls: type[PubSubBus], warehouse: Any, prefix: str, **kwargs: Any) -> PubSubBus:
    return cls(
        "nbaprops-test", DeliveryLog(warehouse), prefix=prefix, timeout_s=30, flush_deadline_s=300, **kwargs
    )


def _prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}-"


@pytest.fixture
def small_bus(emulator_env: str, tmp_path: Path) -> Iterator[tuple[PubSubBus, Any]]:
    with DuckDBWarehouse(str(tmp_path / "wh.duckdb"), query_timeout_s=60) as warehouse:
        create_schema(warehouse)
        bus = _bus(PubSubBus, warehouse, _prefix(), max_attempts=3, not_ready_pause_s=0.05)
        try:
            yield bus, warehouse
        finally:
            bus.close()


def test_a_poison_message_is_acked_recorded_with_its_reason_and_dead_lettered(
    small_bus: tuple[PubSubBus, Any],
) -> None:
    bus, warehouse = small_bus
    handled: list[dict[str, Any]] = []
    dead: list[Message] = []

    def handler(message: Message) -> None:
        from nbaprops.pipeline.bus import decode_message

        handled.append(decode_message(message.data, "note"))

    bus.subscribe("notes", handler)
    bus.subscribe(DEAD_LETTER_TOPIC, dead.append)
    bus.publish("notes", b"{not json", {"run_id": "r1", "game_date": "2026-01-31", "attempt": "1"})
    bus.publish("notes", encode_message("note", {"n": 1}), {"run_id": "r1"})
    bus.flush()
    rows = warehouse.query_rows(
        "SELECT status, attempts, error, run_id, game_date FROM bus_messages "
        "WHERE topic = 'notes' ORDER BY status"
    )
    assert [(r[0], r[1]) for r in rows] == [("dead_letter", 1), ("handled", 1)]
    assert rows[0][2].startswith("PayloadError: bus message is not JSON")
    assert rows[0][3] == "r1"
    assert str(rows[0][4]) == "2026-01-31"
    assert handled == [{"n": 1}]
    assert len(dead) == 1
    assert dead[0].data == b"{not json"
    assert dead[0].attributes["original_topic"] == "notes"
    assert dead[0].attributes["dead_letter_reason"].startswith("PayloadError")
    assert dead[0].attributes["event_id"].startswith("dead:")


def test_a_crashing_handler_is_redelivered_and_then_succeeds(small_bus: tuple[PubSubBus, Any]) -> None:
    bus, warehouse = small_bus
    calls: list[str] = []
    lock = threading.Lock()

    def flaky(message: Message) -> None:
        with lock:
            calls.append(message.message_id)
            if len(calls) == 1:
                raise RuntimeError("worker crashed mid-message")

    bus.subscribe("jobs", flaky)
    message_id = bus.publish("jobs", encode_message("job", {}), {"run_id": "r2"})
    bus.flush()
    assert calls == [message_id, message_id]  # the same message, delivered again
    status, attempts, error = warehouse.query_rows("SELECT status, attempts, error FROM bus_messages")[0]
    assert (status, attempts, error) == ("handled", 2, None)


def test_copies_of_one_event_are_handled_once(small_bus: tuple[PubSubBus, Any]) -> None:
    bus, warehouse = small_bus
    seen: list[str] = []
    bus.subscribe("events", lambda m: seen.append(m.message_id))
    ids = {bus.publish("events", encode_message("e", {}), {"event_id": "day/predict/r3"}) for _ in range(3)}
    bus.flush()
    assert len(ids) == 3
    assert len(seen) == 1
    assert warehouse.query_rows("SELECT status, attempts FROM bus_messages") == [("handled", 1)]


def test_a_whole_day_delivered_three_times_out_of_order_gives_identical_tables(
    emulator_env: str, tmp_path: Path
) -> None:
    prepared = shared_prepared_day()
    with open_runner(prepared, tmp_path / "first", bus=_NoBus()) as runner:
        bus = _bus(RecordingBus, runner.warehouse, _prefix())
        runner.bus = bus
        for step in runner.schedule:
            bus.subscribe(step.topic, runner.handle)
        try:
            report = runner.run_day(prepared.day)
        finally:
            bus.close()
        expected = content_snapshot(runner.warehouse)
        sent = list(bus.sent)  # type: ignore[attr-defined]
    assert report.ok
    assert len(sent) == report.messages > 8

    copies = [m for m in sent for _ in range(3)]
    random.Random(12).shuffle(copies)  # noqa: S311 - a fixed shuffle, not security
    with open_runner(prepared, tmp_path / "replay", bus=_NoBus(), wait_mode="retry") as replay:
        bus = _bus(PubSubBus, replay.warehouse, _prefix(), not_ready_pause_s=0.05)
        replay.bus = bus
        for step in replay.schedule:
            bus.subscribe(step.topic, replay.handle)
        try:
            for topic, data, attributes in copies:
                bus.publish(topic, data, attributes)
            bus.flush()
        finally:
            bus.close()
        statuses = {o.occurrence: o.status for o in replay.outcomes(prepared.day)}
        got = content_snapshot(replay.warehouse)
        counts = replay.warehouse.query_rows("SELECT status, count(*) FROM bus_messages GROUP BY status")
    assert statuses == {o.occurrence: o.status for o in report.outcomes}
    events = {attributes["event_id"] for _, _, attributes in sent}
    assert dict(counts) == {"handled": len(events)}  # every event once, whatever the copies and order
    for table, rows in expected.items():
        assert got[table] == rows, table
    assert len(expected["prediction_grades"]) > 0


class _NoBus:
    """A placeholder bus for building a runner that is subscribed by hand afterwards."""

    def subscribe(self, topic: str, handler: Any) -> None:
        return None

    def publish(self, topic: str, message: bytes, attributes: Any = None) -> str:
        raise AssertionError("the placeholder bus is replaced before use")

    def flush(self) -> None:
        return None
