"""The stats.nba.com envelope reader: result sets by name, header checks, typed fields."""

from __future__ import annotations

import gzip
import json

import pytest

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.raw import stats_envelope as env

DOC = {
    "resource": "x",
    "resultSets": [
        {"name": "A", "headers": ["ID", "NAME"], "rowSet": [[1, "one"], [2, "two"]]},
        {"name": "B", "headers": ["ID"], "rowSet": []},
    ],
}


def test_decode_json_accepts_gzip_and_plain_bytes() -> None:
    raw = json.dumps(DOC).encode()
    assert env.decode_json(raw, "k") == env.decode_json(gzip.compress(raw), "k") == DOC


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        (b"", "empty"),
        (b"<!DOCTYPE html><html>Access Denied</html>", "HTML"),
        (b'{"resultSets": [', "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not"),
        (gzip.compress(b"{}")[:-6], "gzip"),
    ],
)
def test_decode_json_turns_unreadable_bytes_into_payload_error(payload: bytes, needle: str) -> None:
    with pytest.raises(PayloadError, match=needle) as caught:
        env.decode_json(payload, "somekind")
    assert type(caught.value) is PayloadError
    assert "somekind" in str(caught.value)


def test_rows_zips_each_row_with_its_headers() -> None:
    assert env.rows(DOC, "A", ["ID", "NAME"], "k") == [{"ID": 1, "NAME": "one"}, {"ID": 2, "NAME": "two"}]
    assert env.rows(DOC, "B", ["ID"], "k") == []


def test_rows_names_a_missing_result_set_or_header() -> None:
    with pytest.raises(SchemaDrift, match="'C' not found"):
        env.rows(DOC, "C", [], "k")
    with pytest.raises(SchemaDrift, match=r"lacks header.*AGE"):
        env.rows(DOC, "A", ["ID", "AGE"], "k")


def test_rows_rejects_a_row_whose_length_differs_from_the_headers() -> None:
    bad = {"resultSets": [{"name": "A", "headers": ["ID", "NAME"], "rowSet": [[1]]}]}
    with pytest.raises(SchemaDrift, match="row 0 has 1 cells for 2 headers"):
        env.rows(bad, "A", ["ID"], "k")


def test_rows_rejects_documents_without_result_sets() -> None:
    with pytest.raises(SchemaDrift, match="resultSets"):
        env.rows({"resource": "x"}, "A", [], "k")
    with pytest.raises(SchemaDrift, match="expected an object"):
        env.rows([1, 2], "A", [], "k")


def test_typed_fields_accept_integral_floats_and_reject_wrong_types() -> None:
    row = {"I": 29.0, "S": "x", "N": None, "F": 0.5, "T": "12", "B": True, "NEG": -1}
    assert env.req_int(row, "I", "k") == 29
    assert env.opt_int(row, "N", "k") is None
    assert env.opt_float(row, "F", "k") == 0.5
    assert env.req_str(row, "S", "k") == "x"
    for key in ("T", "B"):
        with pytest.raises(SchemaDrift, match=f"field {key}"):
            env.req_int(row, key, "k")
    with pytest.raises(SchemaDrift, match="below the possible minimum"):
        env.req_int(row, "NEG", "k")
    with pytest.raises(SchemaDrift, match="is missing"):
        env.opt_str(row, "MISSING", "k")
    with pytest.raises(SchemaDrift, match="outside"):
        env.opt_float({"P": 1.5}, "P", "k")
    with pytest.raises(SchemaDrift, match="null"):
        env.req_int(row, "N", "k")
