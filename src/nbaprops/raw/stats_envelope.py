"""The envelopes NBA.com wraps its JSON in, read strictly.

stats.nba.com answers ``{resource, parameters, resultSets: [{name, headers, rowSet}]}`` where each
row is a positional array; a renamed or reordered header would silently shift every value, so the
headers of a result set are checked against the list the parser expects before any row is zipped.
``decode_json`` is the first step of every NBA.com JSON parser: gzip, HTML error pages, truncation
and non-JSON bytes all become ``PayloadError`` here, at the boundary.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.raw.registry import maybe_gunzip, refuse_api_error

_HTML_STARTS = (b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")


def decode_json(payload: bytes, kind: str) -> Any:
    """The JSON document in ``payload`` (gzip accepted), or ``PayloadError`` naming ``kind``."""
    if not isinstance(payload, bytes | bytearray):
        raise PayloadError(f"{kind}: payload must be bytes, got {type(payload).__name__}")
    plain = maybe_gunzip(bytes(payload), kind)
    head = plain[:256].lstrip().lower()
    if not head:
        raise PayloadError(f"{kind}: empty payload")
    if head.startswith(_HTML_STARTS):
        raise PayloadError(f"{kind}: got an HTML/XML page instead of JSON")
    try:
        document = json.loads(plain)
    except UnicodeDecodeError:
        raise PayloadError(f"{kind}: payload is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise PayloadError(f"{kind}: not valid JSON ({exc.msg} at byte {exc.pos})") from None
    except RecursionError:
        raise PayloadError(f"{kind}: JSON nested too deeply") from None
    refuse_api_error(document, kind)
    return document


def require_object(value: object, kind: str, where: str) -> dict[str, Any]:
    """``value`` as a JSON object, or ``SchemaDrift`` saying that ``where`` is not one."""
    if not isinstance(value, dict):
        raise SchemaDrift(f"{kind}: {where} is {type(value).__name__}, expected an object")
    return value


def require_keys(obj: Mapping[str, Any], keys: Sequence[str], kind: str, where: str) -> None:
    """Raise ``SchemaDrift`` naming the first of ``keys`` that ``obj`` lacks."""
    missing = [key for key in keys if key not in obj]
    if missing:
        raise SchemaDrift(f"{kind}: {where} lacks expected field(s) {', '.join(missing)}")


def result_set(document: object, name: str, kind: str) -> dict[str, Any]:
    """The result set called ``name`` from a stats.nba.com document."""
    root = require_object(document, kind, "the document")
    sets = root.get("resultSets")
    if sets is None and isinstance(root.get("resultSet"), dict):
        sets = [root["resultSet"]]  # a few endpoints answer with one singular resultSet
    if not isinstance(sets, list):
        raise SchemaDrift(f"{kind}: 'resultSets' is missing or not a list")
    for candidate in sets:
        if isinstance(candidate, dict) and candidate.get("name") == name:
            return candidate
    names = [c.get("name") for c in sets if isinstance(c, dict)]
    raise SchemaDrift(f"{kind}: result set {name!r} not found (have {names})")


def rows(document: object, name: str, expected: Sequence[str], kind: str) -> list[dict[str, Any]]:
    """The rows of result set ``name`` as dicts keyed by header, after checking the headers.

    Every expected header must be present; extra headers are tolerated (NBA.com appends columns
    from time to time) but a missing or renamed one is ``SchemaDrift`` naming it. Each row must
    have exactly as many cells as there are headers.
    """
    found = result_set(document, name, kind)
    headers = found.get("headers")
    if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
        raise SchemaDrift(f"{kind}: result set {name!r} has no list of string headers")
    missing = [h for h in expected if h not in headers]
    if missing:
        raise SchemaDrift(f"{kind}: result set {name!r} lacks header(s) {', '.join(missing)}")
    if len(set(headers)) != len(headers):
        raise SchemaDrift(f"{kind}: result set {name!r} repeats a header")
    row_set = found.get("rowSet")
    if not isinstance(row_set, list):
        raise SchemaDrift(f"{kind}: result set {name!r} has no rowSet list")
    zipped: list[dict[str, Any]] = []
    for index, row in enumerate(row_set):
        if not isinstance(row, list) or len(row) != len(headers):
            raise SchemaDrift(
                f"{kind}: {name} row {index} has {len(row) if isinstance(row, list) else 'no'} cells "
                f"for {len(headers)} headers"
            )
        zipped.append(dict(zip(headers, row, strict=True)))
    return zipped


def req_int(row: Mapping[str, Any], key: str, kind: str, *, minimum: int | None = 0) -> int:
    """``row[key]`` as an int (integral floats such as 29.0 accepted), at least ``minimum``."""
    value = opt_int(row, key, kind, minimum=minimum)
    if value is None:
        raise SchemaDrift(f"{kind}: field {key} is null, expected an integer")
    return value


def opt_int(row: Mapping[str, Any], key: str, kind: str, *, minimum: int | None = 0) -> int | None:
    """``row[key]`` as an int or None; strings, booleans and fractions are drift."""
    if key not in row:
        raise SchemaDrift(f"{kind}: field {key} is missing")
    value = row[key]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaDrift(f"{kind}: field {key} is {type(value).__name__} {value!r}, expected an integer")
    if isinstance(value, float) and not value.is_integer():
        raise SchemaDrift(f"{kind}: field {key} is {value!r}, expected a whole number")
    number = int(value)
    if minimum is not None and number < minimum:
        raise SchemaDrift(f"{kind}: field {key} is {number}, below the possible minimum {minimum}")
    return number


def opt_float(
    row: Mapping[str, Any], key: str, kind: str, *, low: float = 0.0, high: float = 1.0
) -> float | None:
    """``row[key]`` as a float within [low, high] or None (a shooting percentage by default)."""
    if key not in row:
        raise SchemaDrift(f"{kind}: field {key} is missing")
    value = row[key]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaDrift(f"{kind}: field {key} is {type(value).__name__} {value!r}, expected a number")
    number = float(value)
    if not low <= number <= high:
        raise SchemaDrift(f"{kind}: field {key} is {number}, outside [{low}, {high}]")
    return number


def req_str(row: Mapping[str, Any], key: str, kind: str) -> str:
    """``row[key]`` as a non-empty string."""
    value = opt_str(row, key, kind)
    if not value:
        raise SchemaDrift(f"{kind}: field {key} is empty or null, expected text")
    return value


def opt_str(row: Mapping[str, Any], key: str, kind: str) -> str | None:
    """``row[key]`` as a string or None; numbers and containers are drift."""
    if key not in row:
        raise SchemaDrift(f"{kind}: field {key} is missing")
    value = row[key]
    if value is None or isinstance(value, str):
        return value
    raise SchemaDrift(f"{kind}: field {key} is {type(value).__name__} {value!r}, expected text")
