"""Gamebook PDFs: the damaged capture is rejected as damaged, never read as an empty box score."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.raw.parsers.nbac_gamebook_pdf import extract_text, inspect, parse


@pytest.fixture(scope="module")
def raw(real_fixtures: Path) -> bytes:
    return (real_fixtures / "nbac_gamebook_pdf" / "raw_0173bcd1.pdf").read_bytes()


def test_fact1_startxref_points_beyond_the_end_of_the_file(raw: bytes) -> None:
    health = inspect(raw)
    assert health["size"] == len(raw) == 17543
    assert health["startxref"] == 26658


def test_fact2_no_text_and_a_clear_damaged_error(raw: bytes) -> None:
    assert extract_text(raw) == ""
    with pytest.raises(PayloadError, match=r"nbac_gamebook_pdf: PDF is damaged: startxref 26658 lies beyond"):
        parse(raw)


def test_fact2_repairing_the_pointer_still_finds_no_text(raw: bytes) -> None:
    """Even with a plausible startxref, nothing inflates: the file is rejected, not read as empty."""
    patched = raw.replace(b"startxref\n26658", b"startxref\n17000")
    assert len(patched) == len(raw)
    with pytest.raises(PayloadError, match="damaged or unreadable"):
        parse(patched)


def test_fact3_the_info_dictionary_survives(raw: bytes) -> None:
    health = inspect(raw)
    assert health["creation_date_raw"] == "20240411014045"
    assert health["creation_date"] == "2024-04-11T01:40:45Z"
    assert health["page_count"] == 1
    assert health["producer"] == "Qt 4.8.7"


def test_non_pdf_and_truncated_bytes_are_payload_errors(raw: bytes) -> None:
    with pytest.raises(PayloadError, match="not a PDF"):
        parse(b"<html>gone</html>")
    with pytest.raises(PayloadError, match="no startxref"):
        parse(raw[:9000])


def test_an_intact_readable_pdf_is_not_guessed_into_rows(real_fixtures: Path) -> None:
    intact = (real_fixtures / "nbac_injury_report" / "raw_f4391904.pdf").read_bytes()
    with pytest.raises(SchemaDrift, match="no verified layout"):
        parse(intact)
