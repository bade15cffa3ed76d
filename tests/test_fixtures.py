"""The repository carries its own test data: the real captures are present, byte-exact, and listed."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

# Not imported from conftest: with several conftest.py files (tests/faults/ has one) the module
# named "conftest" is whichever pytest loaded last.
ROOT = Path(__file__).resolve().parents[1]
REAL_FIXTURES = ROOT / "tests" / "fixtures" / "real"


def _listed() -> dict[str, str]:
    text = (REAL_FIXTURES / "PROVENANCE.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", text, flags=re.MULTILINE))


def test_every_capture_is_listed_with_its_sha256_and_matches_it() -> None:
    listed = _listed()
    on_disk = {p.relative_to(REAL_FIXTURES).as_posix() for p in REAL_FIXTURES.rglob("*") if p.is_file()} - {
        "PROVENANCE.md"
    }
    assert on_disk, "no real captures in tests/fixtures/real"
    assert on_disk == set(listed), f"unlisted or missing captures: {on_disk ^ set(listed)}"
    for name, digest in listed.items():
        assert hashlib.sha256((REAL_FIXTURES / name).read_bytes()).hexdigest() == digest, name


def test_no_tracked_file_reads_outside_the_repository() -> None:
    """A clone has nothing beside it: no tracked code or config may point at ../shared or a parent path."""
    files = subprocess.run(
        ["git", "ls-files", "src", "tests", "bench", "Makefile", ".ci", "pyproject.toml"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.split()
    assert files, "git ls-files listed nothing"
    pattern = re.compile(r"\.\./shared|(?:parent|\.\.)\W+[\"']?shared[\"']?\W+[\"']?fixtures")
    hits = []
    for name in files:
        path = ROOT / name
        if name == "tests/test_fixtures.py" or not path.is_file() or path.suffix in {".gz", ".pdf"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        hits += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if pattern.search(line)]
    assert not hits, f"these lines read outside the repository: {hits}"
