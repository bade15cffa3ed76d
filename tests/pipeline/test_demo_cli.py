"""The installed ``nbaprops demo`` as a user runs it: tables and a line per stage, the events in a file.

The console script runs in a child process on the shortest stretch the demo accepts (two backtest
days), its output piped as in ``make demo > out.txt``: no progress display then, but the same words.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from nbaprops.pipeline.demo import WARMUP_DAYS
from nbaprops.sandbox.model import Season

# What a structlog console line, a JSON log line or a stdlib "LEVEL logger message" line starts with.
LOG_LINE = re.compile(
    r"^(\S+ )?\[\s*(debug|info|warning|error|critical)\s*\]|^\{\"|^(DEBUG|INFO|WARNING|ERROR) ", re.M
)


def test_the_console_script_prints_stages_and_tables_and_logs_to_a_file(
    sandbox_season: Season, tmp_path: Path
) -> None:
    day = sorted(sandbox_season.games_by_date)[WARMUP_DAYS + 2]
    data_dir = tmp_path / "demo"
    script = Path(sys.executable).parent / "nbaprops"
    assert script.is_file(), "the package is installed with its console script"
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [str(script), "demo", "--date", day.isoformat(), "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    assert not LOG_LINE.search(done.stdout), done.stdout[:2000]
    assert not LOG_LINE.search(done.stderr), done.stderr[:2000]
    stages = [line.split(":")[0] for line in done.stderr.splitlines()]
    assert stages == ["✓ history", "✓ live", "✓ backtest", "✓ predict", "✓ publish"], done.stderr
    out = done.stdout
    assert out.splitlines()[0].startswith(f"nbaprops demo → {data_dir}")
    for title in (f"live scrape of {day}", "backtest ", f"top recommendations for {day}"):
        assert title in out
    assert re.search(r"│ book_line\s+│\s+\d+ │", out), "the backtest table has rows"
    assert f"logs       {data_dir / 'logs' / 'nbaprops.jsonl'}" in out
    # Not on PATH here: the next commands name the venv's script, so they work as printed.
    assert f"NBAPROPS_DATA_DIR={data_dir} {script} predict --date {day} --json" in out

    lines = (data_dir / "logs" / "nbaprops.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    assert {"step.started", "step.finished", "demo.stage", "backtest.finished"} <= {
        e["event"] for e in events
    }
    assert "datetime.date(" not in "".join(lines), "dates are ISO text in the log"
    stage_seconds = [e for e in events if e["event"] == "demo.stage"]
    assert [e["stage"] for e in stage_seconds] == [
        "history",
        "demo_date_live",
        "backtest",
        "predict",
        "publish",
    ]
