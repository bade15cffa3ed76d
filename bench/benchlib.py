"""What every benchmark shares: the git revision and one JSON line of output."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def git_sha() -> str:
    """The checked-out commit (short), or "unknown" outside a git work tree."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH is intended
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip()


def emit(benchmark: str, **figures: Any) -> dict[str, Any]:
    """Print one JSON line: the benchmark's name, its figures, the machine and the git sha."""
    record = {
        "benchmark": benchmark,
        **figures,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "git_sha": git_sha(),
    }
    sys.stdout.write(json.dumps(record) + "\n")
    return record
