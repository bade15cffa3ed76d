"""Damaged bytes get a typed error from every parser, never a crash, and never a silent zero.

A truncated gzip, the gzip magic followed by garbage, a gzip bomb and an API's error answer are
all ``PayloadError``; ``raw parse`` turns them, and a parse that yields no rows, into one line on
stderr with exit code 2.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.raw.registry import MAX_PLAIN_BYTES, maybe_gunzip, parsers

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
BODY = json.dumps({"data": [{"id": n, "name": "x" * 40} for n in range(200)]}).encode()
DAMAGED = {
    "truncated": gzip.compress(BODY)[:-40],
    "magic_then_garbage": b"\x1f\x8b" + b"\x08\x00garbage, not deflate" * 20,
    "only_the_magic": b"\x1f\x8b",
}


def _bomb() -> bytes:
    """A small gzip that inflates past the cap (built in pieces so the test itself stays small)."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1 << 20)
    parts = [squeeze.compress(block) for _ in range(MAX_PLAIN_BYTES // len(block) + 2)]
    return b"".join([*parts, squeeze.flush()])


@pytest.mark.parametrize("kind", sorted(parsers()))
@pytest.mark.parametrize("damage", sorted(DAMAGED))
def test_every_kind_rejects_a_damaged_gzip_with_a_payload_error(kind: str, damage: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parsers()[kind].parse(DAMAGED[damage])
    assert kind in str(caught.value)
    assert "gzip" in str(caught.value)


def test_a_gzip_bomb_is_refused_before_it_fills_memory() -> None:
    bomb = _bomb()
    assert len(bomb) < 200_000
    with pytest.raises(PayloadError, match="inflates past"):
        maybe_gunzip(bomb, "bdl_games")


def test_concatenated_gzip_members_all_come_back() -> None:
    assert maybe_gunzip(gzip.compress(b"ab") + gzip.compress(b"cd")) == b"abcd"


@pytest.mark.parametrize(
    ("kind", "body", "said"),
    [
        (
            "oddsa_player_props",
            {"message": "Invalid API key", "error_code": "INVALID_KEY"},
            "Invalid API key",
        ),
        ("bdl_games", {"error": "Unauthorized"}, "Unauthorized"),
        ("nbac_schedule_api", {"Message": "An error has occurred."}, "An error has occurred."),
    ],
)
def test_an_api_error_answer_is_reported_with_its_own_message_not_as_drift(
    kind: str, body: dict[str, str], said: str
) -> None:
    with pytest.raises(PayloadError) as caught:
        parsers()[kind].parse(json.dumps(body).encode())
    assert not isinstance(caught.value, SchemaDrift)
    assert f"the API answered with an error instead of data: {said!r}" in str(caught.value)


def _raw_parse(kind: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed argv, no shell
        [sys.executable, "-m", "nbaprops", "raw", "parse", kind, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_raw_parse_of_a_damaged_gzip_is_one_line_and_exit_2(tmp_path: Path) -> None:
    payload = tmp_path / "box.json.gz"
    payload.write_bytes(DAMAGED["magic_then_garbage"])
    result = _raw_parse("bdl_box_scores", payload)
    assert result.returncode == 2
    assert result.stderr.startswith("nbaprops: error: bdl_box_scores: gzip stream is damaged")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("kind", "other"),
    [("oddsa_game_lines_his", "oddsa_player_props"), ("oddsa_player_props", "oddsa_game_lines_his")],
)
def test_raw_parse_giving_zero_rows_says_so_and_fails(kind: str, other: str) -> None:
    sample = next(p for p in sorted((REAL / other).iterdir()) if p.suffix == ".json")
    result = _raw_parse(kind, sample)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"nbaprops: error: {kind}: {sample.name} parsed to 0 rows "
        "(an empty answer, or a payload of another kind?)"
    )
