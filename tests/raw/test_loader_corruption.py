"""Corrupted variants of the real captures, through ``load_payload`` into a real DuckDB.

For every loaded kind with a real capture, hypothesis (derandomized) derives corrupted payloads:
truncated bytes (plain or gzip), HTML/XML error pages, binary garbage, a deleted or renamed key, a
value of the wrong type, an absurd count. Each variant is loaded in a batch with a clean payload.

* A variant the parser rejects must be quarantined: a ``quarantine`` row for its lake path, an
  alert, and no raw row carrying its ``source_file``. Truncation, HTML and garbage must always be.
* A variant the parser accepts (it changed a field the parser does not read) must load exactly
  the clean capture's rows: never a partial set.
* Any exception other than the typed ones fails the test; the clean payload always lands.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from itertools import count
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbaprops.errors import PayloadError
from nbaprops.lake import LakeObject
from nbaprops.ops.alerts import Alerter
from nbaprops.raw.loaders import KIND_TABLES, LoadResult, load_payload
from nbaprops.raw.registry import maybe_gunzip, parser_for
from nbaprops.warehouse import create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse

BUDGET = {"nbac_schedule_api": 14, "nbac_play_by_play": 20, "nbac_injury_report": 12}
DEFAULT_BUDGET = 30
MIN_QUARANTINED = 200
CLEAN_KIND = "nbac_scoreboard_v2"
HTML_PAGES = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
    b"\n<html><body><h1>Access Denied</h1></body></html>",
    b"<?xml version='1.0'?><Error><Code>AccessDenied</Code></Error>",
)
COUNT_NAMES = {"pts", "points", "score", "fgm", "fga", "min", "minutes", "home_team_score", "reb", "ast"}
FETCHED = datetime(2025, 1, 15, 18, 0, tzinfo=UTC)
_names = count()


@dataclass
class Capture:
    kind: str
    raw: bytes
    plain: bytes
    rows: int
    document: Any = None
    keys: list[tuple[Any, ...]] = field(default_factory=list)
    counts: list[tuple[Any, ...]] = field(default_factory=list)


def _walk(node: Any, path: tuple[Any, ...], capture: Capture) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            capture.keys.append((*path, key))
            if isinstance(value, int | float) and not isinstance(value, bool) and key.lower() in COUNT_NAMES:
                capture.counts.append((*path, key))
            _walk(value, (*path, key), capture)
    elif isinstance(node, list):
        for i, value in enumerate(node[:40]):  # the first rows are enough, and keep draws small
            _walk(value, (*path, i), capture)


@cache
def _capture(root: Path, kind: str) -> Capture:
    raw = next((root / kind).glob("raw_*")).read_bytes()
    plain = maybe_gunzip(raw)
    capture = Capture(kind, raw, plain, len(parser_for(kind).parse(plain)))
    if not plain.startswith(b"%PDF"):
        capture.document = json.loads(plain)
        _walk(capture.document, (), capture)
    return capture


def _kinds(root: Path) -> list[str]:
    """Loaded kinds with a real capture (``raw_*``; other files there are not captures)."""
    return sorted(k for k in KIND_TABLES if any((root / k).glob("raw_*")))


def _mutated(document: Any, path: tuple[Any, ...], change: Callable[[Any, Any], None]) -> bytes:
    copy = json.loads(json.dumps(document))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    change(parent, path[-1])
    return json.dumps(copy).encode()


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, int | float):
        return "oops"
    if isinstance(value, str):
        return 12345
    return "not-a-container" if value is not None else {"unexpected": True}


def _rename(parent: dict[str, Any], key: str) -> None:
    items = [(f"{k}_renamed" if k == key else k, v) for k, v in parent.items()]
    parent.clear()
    parent.update(items)


def _variant(capture: Capture, data: st.DataObject) -> tuple[str, bytes]:
    """A corruption name and the corrupted bytes."""
    kinds = ["truncate", "html", "garbage"]
    if capture.document is not None:
        kinds += ["drop_key", "rename_key", "wrong_type"] + (["absurd"] if capture.counts else [])
    how = data.draw(st.sampled_from(kinds), "corruption")
    if how == "truncate":
        gz = capture.raw != capture.plain and data.draw(st.booleans(), "gzip")
        source = capture.raw if gz else capture.plain
        return how, source[: data.draw(st.integers(0, len(source.rstrip()) - 1), "cut")]
    if how == "html":
        return how, data.draw(st.sampled_from(HTML_PAGES), "page")
    if how == "garbage":
        junk = data.draw(st.binary(max_size=64), "junk")
        return how, b"not json: " + junk
    if how == "absurd":
        path = data.draw(st.sampled_from(capture.counts), "count")
        return how, _mutated(capture.document, path, lambda p, k: p.__setitem__(k, -(abs(p[k]) + 7)))
    path = data.draw(st.sampled_from(capture.keys), "key")
    if how == "drop_key":
        return how, _mutated(capture.document, path, lambda p, k: p.__delitem__(k))
    if how == "rename_key":
        return how, _mutated(capture.document, path, _rename)
    return how, _mutated(capture.document, path, lambda p, k: p.__setitem__(k, _wrong_type(p[k])))


def _obj(kind: str, payload: bytes) -> LakeObject:
    sha = hashlib.sha256(payload).hexdigest()
    return LakeObject(
        path=f"test/{kind}/undated/20250115T180000Z_{next(_names):016d}.json",
        source="test",
        endpoint=kind,
        game_date=None,
        fetched_at=FETCHED,
        sha256=sha,
        size=len(payload),
        content_type="application/json",
    )


def _load(wh: DuckDBWarehouse, alerter: Alerter, kind: str, payload: bytes) -> tuple[LoadResult, LakeObject]:
    obj = _obj(kind, payload)
    result = load_payload(wh, kind=kind, obj=obj, payload=payload, loaded_at=FETCHED, alerter=alerter)
    return result, obj


def _rows_from(wh: DuckDBWarehouse, table: str, path: str) -> int:
    return int(wh.query_rows(f"SELECT count(*) FROM {table} WHERE source_file = ?", [path])[0][0])  # noqa: S608


def _check_variant(
    wh: DuckDBWarehouse, alerter: Alerter, capture: Capture, tally: dict[str, int], data: st.DataObject
) -> None:
    """Load one corrupted variant plus a clean payload, and check what landed."""
    kind, table = capture.kind, KIND_TABLES[capture.kind]
    how, payload = _variant(capture, data)
    try:
        parser_for(kind).parse(maybe_gunzip(payload))
        rejected = False
    except (PayloadError, OSError, EOFError):
        rejected = True
    result, obj = _load(wh, alerter, kind, payload)
    if how in {"truncate", "html", "garbage"}:
        assert rejected, f"{kind}: {how} was accepted"
    if rejected:
        tally["quarantined"] += 1
        assert result.status == "quarantined"
        assert wh.query_rows("SELECT count(*) FROM quarantine WHERE lake_path = ?", [obj.path]) == [(1,)]
        assert _rows_from(wh, table, obj.path) == 0
        assert alerter.of_kind("quarantine")[-1].context["lake_path"] == obj.path
    else:
        tally["accepted"] += 1
        assert result.status in {"loaded", "unchanged"}
        assert result.rows_in == capture.rows
        assert _rows_from(wh, table, obj.path) in {0, capture.rows}
    clean = _CLEAN[0]
    clean_result, _ = _load(wh, alerter, CLEAN_KIND, clean.raw)
    assert clean_result.status in {"loaded", "unchanged"}
    assert wh.row_count(KIND_TABLES[CLEAN_KIND]) == clean.rows


_CLEAN: list[Capture] = []


def _property(
    wh: DuckDBWarehouse, alerter: Alerter, capture: Capture, tally: dict[str, int]
) -> Callable[[st.DataObject], None]:
    def check(data: st.DataObject) -> None:
        _check_variant(wh, alerter, capture, tally, data)

    return check


def test_corrupted_captures_are_quarantined_whole_and_never_half_loaded(real_fixtures: Path) -> None:
    tally = {"quarantined": 0, "accepted": 0}
    _CLEAN[:] = [_capture(real_fixtures, CLEAN_KIND)]
    for kind in _kinds(real_fixtures):
        capture = _capture(real_fixtures, kind)
        wh = DuckDBWarehouse(":memory:", query_timeout_s=60)
        create_schema(wh)
        alerter = Alerter(wh)
        run = settings(
            derandomize=True,
            max_examples=BUDGET.get(kind, DEFAULT_BUDGET),
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )(given(st.data())(_property(wh, alerter, capture, tally)))
        run()
        wh.close()
    assert tally["quarantined"] >= MIN_QUARANTINED, tally


def test_a_damaged_gzip_stream_is_quarantined(real_fixtures: Path) -> None:
    wh = DuckDBWarehouse(":memory:", query_timeout_s=30)
    create_schema(wh)
    payload = gzip.compress(b'{"meta": {}}')[:-6] + b"\x00" * 6
    result, obj = _load(wh, Alerter(wh), "nbac_schedule_api", payload)
    assert result.status == "quarantined"
    assert wh.query_rows("SELECT kind, lake_path FROM quarantine") == [("nbac_schedule_api", obj.path)]
