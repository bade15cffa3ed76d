"""Discovery of the payload parsers in ``nbaprops.raw.parsers``, and the checks every kind shares
before its own parser looks at the bytes (gzip, size, an API's error answer)."""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from nbaprops.errors import ConfigError, PayloadError

Row = dict[str, Any]
GZIP_MAGIC = b"\x1f\x8b"
MAX_PLAIN_BYTES = 64 * 1024 * 1024
"""Largest payload after decompression. The biggest real one (NBA.com's season schedule) is ~9 MB;
a gzip bomb (194 KB that inflates to 200 MB) is refused long before it fills memory."""
_GZIP_WBITS = 16 + zlib.MAX_WBITS


@dataclass(frozen=True, slots=True)
class ParserSpec:
    """A payload kind and the pure function that parses it."""

    kind: str
    description: str
    parse: Callable[[bytes], list[Row]]


def kind_names() -> list[str]:
    """Every payload kind, without importing the parsers (module name == KIND, enforced below)."""
    from nbaprops.raw import parsers as package

    return sorted(
        info.name for info in pkgutil.iter_modules(package.__path__) if not info.name.startswith("_")
    )


@cache
def parsers() -> dict[str, ParserSpec]:
    """Every registered parser by kind. Two modules claiming one kind is a programming error."""
    from nbaprops.raw import parsers as package

    found: dict[str, ParserSpec] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        kind = getattr(module, "KIND", None)
        if kind is None:
            continue
        if kind != info.name:
            raise RuntimeError(f"parser module {info.name} declares KIND {kind!r}; they must match")
        if kind in found:
            raise RuntimeError(f"payload kind {kind!r} is registered twice")
        found[kind] = ParserSpec(kind, module.DESCRIPTION, module.parse)
    return dict(sorted(found.items()))


def parser_for(kind: str) -> ParserSpec:
    """The parser of ``kind``, or a ``ConfigError`` listing the known kinds."""
    try:
        return parsers()[kind]
    except KeyError:
        raise ConfigError(f"unknown payload kind {kind!r}; known: {', '.join(parsers())}") from None


_PARSED: OrderedDict[tuple[str, object, str], list[dict[str, Any]]] = OrderedDict()
_PARSED_LOCK = threading.Lock()
PARSED_MEMO_ROWS = 20_000
"""How many parsed rows ``parse_bytes`` keeps (the latest payloads'; a day's scrape is ~8,000): a
scrape counts a payload's rows and the ingest that follows loads the same bytes, so the second
parse (a season schedule, an injury report PDF) is a lookup."""


def parse_bytes(kind: str, payload: bytes) -> list[dict[str, Any]]:
    """The rows of a stored or fetched payload by the parser of ``kind`` (gunzipped first).

    Parsers are pure functions of the bytes, so the latest results (``PARSED_MEMO_ROWS`` rows in
    all) are kept by (kind, the parse function itself, SHA-256 of the plain bytes): a parser
    replaced in the registry (a new version, a test's planted fault) never answers from the rows of
    the one before it. Each call gets its own row dicts (their values are scalars). A rejection
    (``PayloadError``) is not kept: it is raised again by the next parse.
    """
    plain = maybe_gunzip(payload, kind)  # the lake stores what the scrape fetched gzipped
    spec = parser_for(kind)
    key = (kind, spec.parse, hashlib.sha256(plain).hexdigest())
    with _PARSED_LOCK:
        found = _PARSED.get(key)
        if found is not None:
            _PARSED.move_to_end(key)
    if found is None:
        found = spec.parse(plain)
        with _PARSED_LOCK:
            _PARSED[key] = found
            kept = sum(len(rows) for rows in _PARSED.values())
            while kept > PARSED_MEMO_ROWS and len(_PARSED) > 1:
                kept -= len(_PARSED.popitem(last=False)[1])
    return [dict(row) for row in found]


def maybe_gunzip(payload: bytes, kind: str = "payload") -> bytes:
    """The plain bytes of a payload that may be stored gzip-compressed (every member of it).

    A damaged stream (truncated, or the gzip magic followed by garbage) and one that inflates past
    ``MAX_PLAIN_BYTES`` are a ``PayloadError`` naming ``kind``: the one error every caller, the
    parser pool, ``raw parse`` and the scrape's row counts, already handles.
    """
    if payload[:2] != GZIP_MAGIC:
        return payload
    out: list[bytes] = []
    size = 0
    rest = payload
    while rest:
        inflater = zlib.decompressobj(_GZIP_WBITS)
        try:
            chunk = inflater.decompress(rest, MAX_PLAIN_BYTES - size + 1)
        except zlib.error as exc:
            raise PayloadError(f"{kind}: gzip stream is damaged ({exc})") from None
        size += len(chunk)
        if size > MAX_PLAIN_BYTES or inflater.unconsumed_tail:
            raise PayloadError(f"{kind}: gzip stream inflates past {MAX_PLAIN_BYTES} bytes; refused")
        if not inflater.eof:
            raise PayloadError(f"{kind}: gzip stream is truncated ({len(payload)} bytes end mid-stream)")
        out.append(chunk)
        rest = inflater.unused_data.lstrip(b"\x00")  # members may be padded with zeros, as gzip allows
    return b"".join(out)


_ERROR_KEYS = ("message", "Message", "error", "error_message", "detail")


def api_error_message(document: object) -> str | None:
    """The API's own message when ``document`` is an error answer, not data; else None.

    The Odds API (``{"message": …, "error_code": …}``), Ball Don't Lie (``{"error": …}``) and
    stats.nba.com (``{"Message": …}``) all answer some failures this way, sometimes with a 200. Such
    a body is small and flat: a few keys, a text message, no lists of data.
    """
    if not isinstance(document, dict) or not 0 < len(document) <= 4:
        return None
    if any(isinstance(value, list | dict) for value in document.values()):
        return None
    for key in _ERROR_KEYS:
        value = document.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:300]
    return None


def refuse_api_error(document: object, kind: str) -> None:
    """``PayloadError`` quoting the API's own message when ``document`` is an error answer.

    Without this the parser reports the missing data as schema drift, which sends the operator
    after a renamed field instead of at the key, the quota or the request the API complained about.
    """
    message = api_error_message(document)
    if message is not None:
        raise PayloadError(f"{kind}: the API answered with an error instead of data: {message!r}")
