"""Cold-start cost: `import nbaprops` and `nbaprops --help` (target <= 0.5 s each)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchlib import emit

VENV_BIN = Path(sys.executable).parent


def _median_seconds(argv: list[str], runs: int = 5) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, timeout=60)  # noqa: S603 - fixed argv
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    bare = _median_seconds([sys.executable, "-c", "pass"])
    imported = _median_seconds([sys.executable, "-c", "import nbaprops.cli"])
    helped = _median_seconds([str(VENV_BIN / "nbaprops"), "--help"])
    emit(
        "import_and_help",
        interpreter_start_s=round(bare, 3),
        import_cli_s=round(imported, 3),
        help_s=round(helped, 3),
        import_cli_net_s=round(imported - bare, 3),
        target_s=0.5,
    )


if __name__ == "__main__":
    main()
