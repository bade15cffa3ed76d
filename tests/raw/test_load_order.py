"""Order never matters: the same payloads, delivered in any order, batching and repetition, give
identical raw tables (hypothesis, derandomized, into a real in-memory DuckDB).

Each kind has four payloads of the same keys: the capture at 11:00, an edit of it fetched at
19:00 and another edit fetched at the same 19:00 (a tie only the hash can break), and the
capture's own bytes again under another date's folder, fetched next morning. Two merge tables
(scoreboard, player box scores) and two time series (BDL injuries: snapshot = fetch time; Odds API
events: snapshot from the payload) cover both write paths.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbaprops.lake import LakeObject
from nbaprops.raw.loaders import KIND_TABLES, ParsedPayload, load_batch, parse_payload
from nbaprops.warehouse import create_schema, table_spec
from nbaprops.warehouse.duckdb import DuckDBWarehouse

MORNING = datetime(2025, 1, 15, 16, 0, tzinfo=UTC)  # 11:00 ET
EVENING = MORNING + timedelta(hours=8)
NEXT_DAY = MORNING + timedelta(days=1)
LOADED = datetime(2025, 1, 17, 9, 0, tzinfo=UTC)
EDITS: dict[str, tuple[bytes, bytes, bytes]] = {
    "nbac_scoreboard_v2": (b"Wells Fargo Center", b"The Wells Fargo Center", b"WFC"),
    "nbac_player_boxscore": (b'"Stephen Curry"', b'"Stephen  Curry"', b'"Steph Curry"'),
    "bdl_injuries": (b'"status":"Day-To-Day"', b'"status":"Out"', b'"status":"Questionable"'),
    "oddsa_events_his": (b'"2024-01-25T01:40:00Z"', b'"2024-01-25T01:45:00Z"', b'"2024-01-25T01:50:00Z"'),
}
TABLES = sorted({KIND_TABLES[kind] for kind in EDITS})


@dataclass(frozen=True)
class Delivery:
    kind: str
    obj: LakeObject
    payload: bytes


def _obj(kind: str, payload: bytes, fetched_at: datetime, day: date, name: str) -> LakeObject:
    sha = hashlib.sha256(payload).hexdigest()
    return LakeObject(
        path=f"test/{kind}/{day.isoformat()}/{fetched_at:%Y%m%dT%H%M%SZ}_{name}{sha[:15]}.json",
        source="test",
        endpoint=kind,
        game_date=day,
        fetched_at=fetched_at,
        sha256=sha,
        size=len(payload),
        content_type="application/json",
    )


def _deliveries(real_fixtures: Path) -> list[Delivery]:
    out = []
    for kind, (old, first, second) in EDITS.items():
        capture = next((real_fixtures / kind).glob("raw_*")).read_bytes()
        assert old in capture, kind
        versions = [
            (capture, MORNING, date(2025, 1, 15), "a"),
            (capture.replace(old, first, 1), EVENING, date(2025, 1, 15), "b"),
            (capture.replace(old, second, 1), EVENING, date(2025, 1, 15), "c"),
            (capture, NEXT_DAY, date(2025, 1, 16), "d"),
        ]
        out += [Delivery(kind, _obj(kind, p, t, d, n), p) for p, t, d, n in versions]
    return out


@pytest.fixture(scope="module")
def deliveries(real_fixtures: Path) -> list[Delivery]:
    return _deliveries(real_fixtures)


@pytest.fixture(scope="module")
def reference(deliveries: list[Delivery]) -> dict[str, list[tuple[object, ...]]]:
    """One payload per batch, oldest fetch first: the order a perfect scraper would deliver."""
    chronological = sorted(deliveries, key=lambda d: (d.obj.fetched_at, d.obj.path))
    return _tables_after([[d] for d in chronological])


def _tables_after(batches: list[list[Delivery]]) -> dict[str, list[tuple[object, ...]]]:
    with _warehouse() as wh:
        for batch in batches:
            items = [ParsedPayload(d.kind, d.obj, d.payload, parse_payload(d.kind, d.payload)) for d in batch]
            results = load_batch(wh, items, loaded_at=LOADED)
            assert all(r.status != "quarantined" for r in results)
        # query_log records the statements (ids, durations) of this run, not loaded data.
        return {table: _content(wh, table) for table in TABLES if table != "query_log"}


def _content(wh: DuckDBWarehouse, table: str) -> list[tuple[object, ...]]:
    # loaded_at is the clock of whichever load wrote a row: it says when, not what.
    columns = ", ".join(f'"{c}"' for c in table_spec(table).column_names if c != "loaded_at")
    return wh.query_rows(f"SELECT {columns} FROM {table} ORDER BY ALL")  # noqa: S608 - known table


@contextmanager
def _warehouse() -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(":memory:", query_timeout_s=30)
    create_schema(wh)
    try:
        yield wh
    finally:
        wh.close()


def _cut(order: list[Delivery], rng: random.Random) -> Iterator[list[Delivery]]:
    start = 0
    while start < len(order):
        size = rng.randint(1, 6)
        yield order[start : start + size]
        start += size


@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rng=st.randoms(use_true_random=False), repeats=st.lists(st.integers(0, 15), max_size=8))
def test_any_order_batching_or_repetition_gives_identical_tables(
    deliveries: list[Delivery],
    reference: dict[str, list[tuple[object, ...]]],
    rng: random.Random,
    repeats: list[int],
) -> None:
    order = deliveries + [deliveries[i] for i in repeats]
    rng.shuffle(order)
    assert _tables_after(list(_cut(order, rng))) == reference


def test_the_reference_keeps_the_newest_fetch_of_every_key(
    reference: dict[str, list[tuple[object, ...]]],
) -> None:
    """Guards the property above against a vacuous reference: the next-day bytes won everywhere."""
    for table, rows in reference.items():
        fetched = table_spec(table).column_names.index("fetched_at")
        times = {row[fetched] for row in rows}
        assert NEXT_DAY in times, table
        if table in {"raw_nbac_scoreboard", "raw_nbac_player_boxscores", "raw_oddsa_events"}:
            assert times == {NEXT_DAY}, table  # the same keys every time: only the newest remains
