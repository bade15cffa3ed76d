"""NBA.com gamebook PDFs (statsdmz): rejected unless intact, never read as an empty box score.

The only captures available are damaged: bytes were lost when they were saved, so the trailer's
``startxref`` points past the end of the file, no content stream inflates and no text can be
extracted. ``parse`` checks, in order: that the bytes are a PDF, that ``startxref`` lies inside the
file, that it opens, and that it carries text; each failure is a ``PayloadError`` saying the file
is damaged or unreadable. An intact gamebook's layout has not been seen in a real capture, so its
player lines are not guessed: an intact, readable gamebook raises ``SchemaDrift`` naming the gap
rather than returning rows nobody has verified. ``inspect`` reads what survives of a file (size,
``startxref``, the Info dictionary's creation date and producer, the page count) without parsing it.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.raw.registry import maybe_gunzip

KIND = "nbac_gamebook_pdf"
DESCRIPTION = "NBA.com gamebook PDF: integrity checks; damaged captures are rejected"
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s*%%EOF", re.DOTALL)
_CREATION = re.compile(rb"/CreationDate\s*\(D:(\d{14})")
_COUNT = re.compile(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)", re.DOTALL)
_PRODUCER = re.compile(rb"/Producer\s*\(((?:[^()\\]|\\.)*)\)", re.DOTALL)


def parse(payload: bytes) -> list[dict[str, object]]:
    """Validate a gamebook PDF; damaged or textless files raise ``PayloadError`` (see the module doc)."""
    plain = _pdf_bytes(payload)
    health = inspect(plain)
    startxref = health["startxref"]
    if startxref is None:
        raise PayloadError(f"{KIND}: PDF is damaged: no startxref trailer (truncated file?)")
    if int(str(startxref)) >= len(plain):
        raise PayloadError(
            f"{KIND}: PDF is damaged: startxref {startxref} lies beyond the end of the "
            f"{len(plain)}-byte file (bytes were lost)"
        )
    text = extract_text(plain)
    if not text.strip():
        raise PayloadError(f"{KIND}: PDF is damaged or unreadable: no text can be extracted")
    raise SchemaDrift(
        f"{KIND}: intact gamebook with {len(text)} characters of text, but no verified layout "
        "exists to read player lines from it"
    )


def inspect(payload: bytes) -> dict[str, object]:
    """What a PDF's raw bytes say about it, readable even when the file is damaged."""
    plain = _pdf_bytes(payload)
    offsets = _STARTXREF.findall(plain)
    created = _CREATION.search(plain)
    counts = [int(a or b) for a, b in _COUNT.findall(plain)]
    producer = _PRODUCER.search(plain)
    creation: str | None = None
    if created is not None:
        try:
            stamp = datetime.strptime(created.group(1).decode(), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
            creation = stamp.isoformat().replace("+00:00", "Z")
        except ValueError:
            creation = None
    return {
        "size": len(plain),
        "startxref": int(offsets[-1]) if offsets else None,
        "creation_date": creation,
        "creation_date_raw": created.group(1).decode() if created else None,
        # producers are often UTF-16 text; NUL bytes are its high halves of ASCII letters
        "producer": producer.group(1).replace(b"\x00", b"").decode("latin-1") if producer else None,
        "page_count": max(counts) if counts else None,
    }


def _pdf_bytes(payload: bytes) -> bytes:
    if not isinstance(payload, bytes | bytearray):
        raise PayloadError(f"{KIND}: payload must be bytes, got {type(payload).__name__}")
    plain = maybe_gunzip(bytes(payload), KIND)
    if not plain.lstrip().startswith(b"%PDF-"):
        raise PayloadError(f"{KIND}: not a PDF (starts with {plain[:16]!r})")
    return plain


def extract_text(payload: bytes) -> str:
    """All text pdfplumber extracts from the PDF (empty for the damaged captures)."""
    plain = _pdf_bytes(payload)
    import pdfplumber  # heavy: imported only when a PDF is actually parsed

    try:
        with pdfplumber.open(io.BytesIO(plain)) as pdf:
            return "\n".join(page.extract_text() or "" for page in pdf.pages)
    except Exception as exc:  # pdfminer raises many unrelated types on damaged files
        raise PayloadError(f"{KIND}: PDF is damaged or unreadable ({type(exc).__name__})") from exc
