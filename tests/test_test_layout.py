"""The suite's own layout: pytest imports test modules by basename (the test folders are not
packages), so two test files with one name in different folders break collection of the whole
suite. This catches it at once, naming both files."""

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_test_module_basenames_are_unique() -> None:
    by_name: defaultdict[str, list[str]] = defaultdict(list)
    for path in TESTS.rglob("test_*.py"):
        by_name[path.name].append(str(path.relative_to(TESTS)))
    clashes = {name: sorted(paths) for name, paths in by_name.items() if len(paths) > 1}
    assert clashes == {}, f"rename one of each: {clashes}"
    assert len(by_name) > 50  # the walk found the suite
