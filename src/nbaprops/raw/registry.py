"""Discovery of the payload parsers in ``nbaprops.raw.parsers``."""

from __future__ import annotations

import gzip
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from nbaprops.errors import ConfigError

Row = dict[str, Any]
GZIP_MAGIC = b"\x1f\x8b"


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


def maybe_gunzip(payload: bytes) -> bytes:
    """Payloads may be stored gzip-compressed; parsers always see the plain bytes."""
    return gzip.decompress(payload) if payload[:2] == GZIP_MAGIC else payload
