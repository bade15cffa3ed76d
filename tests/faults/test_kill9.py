"""kill -9 at five points of each phase, then a rerun: the same tables as a clean run, no orphans.

Each phase (scrape over the loopback sandbox, ingest with its parser pool, build, predict through
the bus, grade) runs in a child
process (``crash_phase.py``) that SIGKILLs itself just before the Nth call of a warehouse or lake
method, N spread over the calls a clean run makes. A fresh process then reruns the phase. After
it: every data table (``digest.table_digests``) and the lake match the clean run, no ledger row is
left ``running`` (the killed run's rows are ``abandoned``), and no process of the killed run
survives it (parser workers, their resource tracker).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from digest import lake_digest, ledger_statuses, table_digests
from faults_world import World
from fsspec.implementations.local import LocalFileSystem
from kill_states import prepare
from outcomes import OUTPUTS, SCANNED, record

from factories import season_warehouse
from nbaprops.lake import FsspecLake

CHILD = Path(__file__).with_name("crash_phase.py")
FRACTIONS = (0.1, 0.3, 0.5, 0.7, 0.9)
DAYS = 2
TARGETS = {
    "scrape": "FsspecLake.put",
    "ingest": "DuckDBWarehouse.execute",
    "build": "DuckDBWarehouse.execute",
    "predict": "DuckDBWarehouse._timed",  # every query and statement: its few writes are merges
    "grade": "DuckDBWarehouse._timed",
}
SCORED_DAYS = 10  # predict and grade the last date of a built range long enough for features


@dataclass
class Run:
    returncode: int
    calls: int | None
    output: str


def _run(phase: str, kill_at: int, workdir: Path, env: dict[str, str], config: dict[str, Any]) -> Run:
    argv = [sys.executable, str(CHILD), phase, TARGETS[phase], str(kill_at), json.dumps(config)]
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell
        argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    calls = None
    for line in done.stdout.splitlines()[::-1]:
        if line.startswith('{"calls"'):
            calls = int(json.loads(line)["calls"])
            break
    OUTPUTS.append(done.stdout + done.stderr)
    return Run(done.returncode, calls, done.stdout[-2000:] + done.stderr[-2000:])


def _survivors(marker: str) -> set[int]:
    """Processes whose environment carries ``marker``: children of a killed run still alive."""
    found = set()
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes():
                found.add(int(environ.parent.name))
        except OSError:
            continue
    return {pid for pid in found if _state(pid) not in {"Z", ""}}


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return ""


def _wait_gone(marker: str) -> set[int]:
    deadline = time.monotonic() + 60  # a bound on the wait, not a speed claim
    while (alive := _survivors(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive


@pytest.fixture(scope="module")
def season_files() -> tuple[Path, Path]:
    built = season_warehouse(DAYS)
    return built.lake_root, built.path


@pytest.fixture(scope="module")
def scored_states(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Data folders to start predict (range built, models registered) and grade (date predicted) from."""
    built = season_warehouse(SCORED_DAYS)
    before, after = prepare(built.path, tmp_path_factory.mktemp("scored"), built.start, built.end)
    return {"predict": before, "grade": after}


def _start_state(phase: str, target: Path, season_files: tuple[Path, Path], scored: dict[str, Path]) -> None:
    SCANNED.append(target)
    if phase in scored:
        shutil.copytree(scored[phase], target)
        return
    target.mkdir(parents=True)
    if phase == "build":
        shutil.copyfile(season_files[1], target / "warehouse.duckdb")


def _outcome(phase: str, workdir: Path) -> dict[str, Any]:
    state: dict[str, Any] = {"tables": table_digests(workdir / "warehouse.duckdb")}
    if phase == "scrape":
        lake = FsspecLake(LocalFileSystem(), (workdir / "lake").as_posix())  # the real manifest reader
        state["files"] = lake_digest(workdir / "lake")
        state["listed"] = sorted((o.path, o.sha256) for o in lake.list())
    return state


@pytest.mark.parametrize("phase", list(TARGETS))
def test_kill_9_at_five_points_then_rerun_gives_the_clean_runs_tables(
    phase: str, world: World, season_files: tuple[Path, Path], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    lake_root, _ = season_files
    scored: dict[str, Path] = (
        request.getfixturevalue("scored_states") if phase in ("predict", "grade") else {}
    )
    marker = f"faultrun{uuid.uuid4().hex}"  # inherited by every process the run starts
    env = {**world.env, "FAULT_RUN_MARK": marker}

    def settings_env(workdir: Path) -> dict[str, str]:
        return {
            **env,
            "NBAPROPS_DATA_DIR": str(workdir),
            "NBAPROPS_WAREHOUSE_PATH": str(workdir / "warehouse.duckdb"),
            "NBAPROPS_LAKE_URL": str(workdir / "lake"),
        }

    config = {**world.phase_config(phase), "lake": str(lake_root)}
    if phase in scored:
        built = season_warehouse(SCORED_DAYS)
        config |= {"start": built.start.isoformat(), "end": built.end.isoformat()}
    if phase == "scrape":
        world.session.clock.set(datetime.fromisoformat(config["now"]))  # the server sees the same moment
    clean = tmp_path / "clean"
    _start_state(phase, clean, season_files, scored)
    reference = _run(phase, 0, clean, settings_env(clean), config)
    assert reference.returncode == 0, reference.output
    assert reference.calls is not None
    assert reference.calls >= len(FRACTIONS)
    expected = _outcome(phase, clean)
    points = sorted({max(1, int(reference.calls * f)) for f in FRACTIONS})
    assert len(points) == len(FRACTIONS)
    abandoned = 0
    for point in points:
        workdir = tmp_path / f"killed-{point}"
        _start_state(phase, workdir, season_files, scored)
        killed = _run(phase, point, workdir, settings_env(workdir), config)
        assert killed.returncode == -signal.SIGKILL, killed.output
        assert _wait_gone(marker) == set(), f"{phase}: processes outlived the run killed at call {point}"
        rerun = _run(phase, 0, workdir, settings_env(workdir), config)
        assert rerun.returncode == 0, rerun.output
        assert _outcome(phase, workdir) == expected, f"{phase} killed at call {point} of {reference.calls}"
        statuses = ledger_statuses(workdir / "warehouse.duckdb")
        assert "running" not in statuses
        abandoned += statuses.count("abandoned")
        record("kill -9", f"{phase} @ {TARGETS[phase]} #{point}/{reference.calls}", "rerun identical", "-")
    assert abandoned > 0, f"{phase}: no killed run left a ledger row to mark abandoned"
