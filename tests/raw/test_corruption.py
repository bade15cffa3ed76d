"""Every registered parser, fed corrupted variants of its real capture, fails cleanly or not at all.

For each kind in ``nbaprops.raw.registry.parsers()`` the capture under tests/fixtures/real is
corrupted (truncated, bytes flipped, swapped for an HTML error page or garbage, a key deleted or
renamed, a value given the wrong type, a count made absurd) and parsed. The parse must either raise
``PayloadError`` (``SchemaDrift`` included) with a one-line message naming the kind, or return rows:

* for truncation, HTML and garbage, returning anything is a failure;
* for a byte flip, the rows must be complete: as many as the clean parse, with the same fields
  (a flipped letter in a name is undetectable, a lost row is not);
* for a deleted/renamed key, a wrong type or an absurd value, the rows must equal the clean parse
  (the parser ignored that field) — anything else means the change slipped through.

Any other exception (KeyError, TypeError, IndexError…) fails the test. Examples are budgeted per kind
so that the large schedule and play-by-play captures and the PDF are sampled sparingly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbaprops.errors import PayloadError
from nbaprops.raw.registry import maybe_gunzip, parsers

Rows = list[dict[str, Any]]
Path_ = tuple[str | int, ...]
HEAVY = {"nbac_schedule_api": 12, "nbac_play_by_play": 16, "nbac_injury_report": 10}
DEFAULT_BUDGET = 40
HTML_PAGES = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
    b"\n\n<html><body><h1>Access Denied</h1>Reference #18.d0c</body></html>",
    b"<?xml version='1.0'?><Error><Code>AccessDenied</Code></Error>",
)
# Fields that count something and can never be negative, whatever the source calls them.
COUNT_NAMES = {
    "pts",
    "points",
    "score",
    "fgm",
    "fga",
    "fg3m",
    "ftm",
    "reb",
    "ast",
    "min",
    "minutes",
    "home_team_score",
    "visitor_team_score",
    "pts_qtr1",
    "pts_qtr2",
    "pts_qtr3",
    "pts_qtr4",
}


@dataclass
class Capture:
    """One real capture, decoded once: its plain bytes, JSON tree (if any) and clean parse."""

    kind: str
    raw: bytes
    plain: bytes
    clean: Rows | None  # None: the capture itself is rejected (the damaged gamebook)
    document: Any = None
    keys: list[Path_] = field(default_factory=list)
    scalars: list[Path_] = field(default_factory=list)
    counts: list[Path_] = field(default_factory=list)


def _walk(node: Any, path: Path_, capture: Capture, headers: list[str] | None = None) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            capture.keys.append((*path, key))
            row_headers = node.get("headers") if key == "rowSet" else None
            _walk(value, (*path, key), capture, row_headers if isinstance(row_headers, list) else None)
            if (
                isinstance(value, int | float | str)
                and not isinstance(value, bool)
                and str(key).lower() in COUNT_NAMES
            ):
                capture.counts.append((*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if headers is not None and isinstance(value, list):
                for j, cell in enumerate(value):
                    capture.scalars.append((*path, i, j))
                    name = str(headers[j]).lower() if j < len(headers) else ""
                    if isinstance(cell, int | float) and not isinstance(cell, bool) and name in COUNT_NAMES:
                        capture.counts.append((*path, i, j))
            else:
                _walk(value, (*path, i), capture)
        return
    else:
        capture.scalars.append(path)


@cache
def _capture(root: Path, kind: str) -> Capture:
    (path,) = sorted((root / kind).iterdir())
    raw = path.read_bytes()
    try:
        clean: Rows | None = parsers()[kind].parse(raw)
    except PayloadError:
        clean = None
    capture = Capture(kind, raw, maybe_gunzip(raw), clean)
    if not path.name.endswith(".pdf"):
        capture.document = json.loads(capture.plain)
        _walk(capture.document, (), capture)
    return capture


def _parse(kind: str, payload: bytes) -> Rows | PayloadError:
    """The rows, or the typed error; any other exception propagates and fails the test."""
    try:
        return parsers()[kind].parse(payload)
    except PayloadError as exc:
        message = str(exc)
        assert "\n" not in message, f"{kind}: multi-line error message {message!r}"
        assert kind in message, f"{kind}: error message does not name the kind: {message!r}"
        return exc


def _locate(document: Any, path: Path_) -> tuple[Any, str | int]:
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    return parent, path[-1]


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, int | float):
        return "oops"
    if isinstance(value, str):
        return 12345
    if value is None:
        return {"unexpected": True}
    return "not-a-container"


def _absurd(value: Any) -> Any:
    if isinstance(value, str):
        return "-131" if value.strip().lstrip("-").replace(".", "", 1).isdigit() else "999999"
    return -(abs(value) + 7)


def _mutated(capture: Capture, path: Path_, change: Callable[[Any, str | int], None]) -> bytes:
    """The capture's JSON with ``change`` applied at ``path``, serialized; the cached tree is restored."""
    parent, last = _locate(capture.document, path)
    saved = dict(parent) if isinstance(parent, dict) else list(parent)
    try:
        change(parent, last)
        return json.dumps(capture.document).encode()
    finally:
        if isinstance(parent, dict):
            parent.clear()
            parent.update(saved)
        else:
            parent[:] = saved


def _delete(parent: Any, key: str | int) -> None:
    del parent[key]


def _rename(parent: dict[str, Any], key: str) -> None:
    # Keep the key's position so only the name differs.
    items = [(f"{k}_renamed" if k == key else k, v) for k, v in parent.items()]
    parent.clear()
    parent.update(items)


Check = Callable[[Capture, st.DataObject], None]


def _must_fail(capture: Capture, payload: bytes, what: str) -> None:
    outcome = _parse(capture.kind, payload)
    assert isinstance(outcome, PayloadError), f"{capture.kind}: {what} was accepted ({len(outcome)} rows)"


def _unchanged_or_fail(capture: Capture, payload: bytes, what: str) -> None:
    outcome = _parse(capture.kind, payload)
    if isinstance(outcome, PayloadError):
        return
    assert capture.clean is not None, f"{capture.kind}: {what} turned a rejected capture into rows"
    assert outcome == capture.clean, f"{capture.kind}: {what} changed the rows without an error"


def truncate(capture: Capture, data: st.DataObject) -> None:
    """Cut the bytes short (of the gzip stream itself, for gzip captures); it must be rejected."""
    source = (
        capture.raw if capture.raw != capture.plain and data.draw(st.booleans(), "gzip") else capture.plain
    )
    last_content = len(source.rstrip())
    cut = data.draw(st.integers(0, last_content - 1), "cut")
    _must_fail(capture, source[:cut], f"truncation at {cut}")


def flip(capture: Capture, data: st.DataObject) -> None:
    """Flip 1-3 bytes; if that still parses, no row may be lost or gain/lose fields."""
    payload = bytearray(capture.plain)
    for _ in range(data.draw(st.integers(1, 3), "flips")):
        at = data.draw(st.integers(0, len(payload) - 1), "at")
        payload[at] ^= data.draw(st.integers(1, 255), "mask")
    outcome = _parse(capture.kind, bytes(payload))
    if isinstance(outcome, PayloadError):
        return
    assert capture.clean is not None, f"{capture.kind}: a byte flip turned a rejected capture into rows"
    assert len(outcome) == len(capture.clean), f"{capture.kind}: a byte flip changed the row count"
    assert [set(r) for r in outcome] == [set(r) for r in capture.clean], f"{capture.kind}: fields changed"
    json.dumps(outcome)


def html(capture: Capture, data: st.DataObject) -> None:
    """An HTML (or XML) error page where the payload should be."""
    _must_fail(capture, data.draw(st.sampled_from(HTML_PAGES), "page"), "an HTML page")


def garbage(capture: Capture, data: st.DataObject) -> None:
    """Bytes that are neither JSON nor PDF."""
    junk = data.draw(
        st.binary(min_size=0, max_size=64).filter(lambda b: not b.strip().startswith(b"%PDF")), "junk"
    )
    if junk.strip()[:1] in {b"[", b"{"} or junk.strip().lstrip(b"-").isdigit():
        junk = b"not json: " + junk
    _must_fail(capture, junk, f"garbage {junk[:20]!r}")


def drop_key(capture: Capture, data: st.DataObject) -> None:
    """Delete or rename one key anywhere in the JSON tree."""
    path = capture.keys[data.draw(st.integers(0, len(capture.keys) - 1), "key")]
    rename = data.draw(st.booleans(), "rename")
    payload = _mutated(capture, path, _rename if rename else _delete)  # type: ignore[arg-type]
    _unchanged_or_fail(capture, payload, f"{'renaming' if rename else 'deleting'} {path}")


def wrong_type(capture: Capture, data: st.DataObject) -> None:
    """Give one scalar (or container) a value of another JSON type."""
    pool = capture.scalars + capture.keys
    path = pool[data.draw(st.integers(0, len(pool) - 1), "value")]

    def change(parent: Any, key: str | int) -> None:
        parent[key] = _wrong_type(parent[key])

    _unchanged_or_fail(capture, _mutated(capture, path, change), f"a wrong type at {path}")


def absurd(capture: Capture, data: st.DataObject) -> None:
    """Make a count negative (points, minutes, scores)."""
    path = capture.counts[data.draw(st.integers(0, len(capture.counts) - 1), "count")]

    def change(parent: Any, key: str | int) -> None:
        parent[key] = _absurd(parent[key])

    _unchanged_or_fail(capture, _mutated(capture, path, change), f"an absurd value at {path}")


def _checks(capture: Capture) -> list[Check]:
    checks: list[Check] = [truncate, flip, html, garbage]
    if capture.document is not None:
        checks += [drop_key, wrong_type]
        if capture.counts:
            checks.append(absurd)
    return checks


# Kinds with no real capture in tests/fixtures/real: their parsers are tested on sandbox payloads
# (tests/raw/test_bdl_games.py and friends). A new kind must either bring a capture or be listed here.
NO_REAL_CAPTURE = frozenset({"bdl_games", "bdl_players", "bdl_teams"})


def _kinds() -> Iterator[str]:
    yield from (kind for kind in parsers() if kind not in NO_REAL_CAPTURE)


def test_every_kind_has_a_capture_or_is_declared_without_one(real_fixtures: Path) -> None:
    with_capture = {kind for kind in parsers() if (real_fixtures / kind).is_dir()}
    assert with_capture | NO_REAL_CAPTURE == set(parsers())
    assert not with_capture & NO_REAL_CAPTURE


def test_every_capture_round_trips_through_json_serialization(real_fixtures: Path) -> None:
    """The tree mutations re-serialize the JSON; untouched, that must not change any parse."""
    for kind in _kinds():
        capture = _capture(real_fixtures, kind)
        if capture.document is not None:
            assert parsers()[kind].parse(json.dumps(capture.document).encode()) == capture.clean, kind


def test_at_least_200_corrupted_variants_are_tried() -> None:
    assert sum(HEAVY.get(kind, DEFAULT_BUDGET) for kind in _kinds()) >= 200


@pytest.mark.parametrize("kind", list(_kinds()))
def test_corrupted_captures_fail_cleanly_or_parse_completely(real_fixtures: Path, kind: str) -> None:
    capture = _capture(real_fixtures, kind)
    checks = _checks(capture)

    @settings(
        derandomize=True,
        max_examples=HEAVY.get(kind, DEFAULT_BUDGET),
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )
    @given(st.data())
    def corrupted(data: st.DataObject) -> None:
        check = data.draw(st.sampled_from(checks), "corruption")
        check(capture, data)

    corrupted()
