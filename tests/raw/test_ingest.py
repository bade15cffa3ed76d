"""``ingest_date`` / ``ingest_from_dir`` / ``nbaprops ingest`` over a sandbox archive in a real lake."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import structlog
import typer
from fsspec.implementations.local import LocalFileSystem
from typer.testing import CliRunner

from nbaprops.dates import EASTERN
from nbaprops.errors import QualityGateError
from nbaprops.lake import FsspecLake
from nbaprops.ops.alerts import Alerter
from nbaprops.raw.commands import ingest
from nbaprops.raw.ingest import ingest_date, ingest_from_dir
from nbaprops.raw.registry import parser_for
from nbaprops.sandbox.archive import write_archive
from nbaprops.sandbox.model import Season
from nbaprops.settings import Settings, load_settings
from nbaprops.warehouse import RunLedger, create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse

DAYS = 3


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, sandbox_season: Season) -> tuple[Path, list[date]]:
    """A lake folder holding the season's first game days (schedule included), written once."""
    root = tmp_path_factory.mktemp("archive") / "lake"
    days = sorted(sandbox_season.games_by_date)[:DAYS]
    write_archive(sandbox_season, FsspecLake(LocalFileSystem(), str(root)), start=days[0], end=days[-1])
    return root, days


@pytest.fixture
def warehouse() -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(":memory:", query_timeout_s=60)
    create_schema(wh)
    yield wh
    wh.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """The command configures structlog to print to the runner's stream; undo that afterwards."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def _lake(root: Path) -> FsspecLake:
    return FsspecLake(LocalFileSystem(), str(root))


def _table_state(wh: DuckDBWarehouse) -> dict[str, list[tuple[object, ...]]]:
    tables = (
        "raw_nbac_player_boxscores",
        "raw_bdl_box_scores",
        "raw_oddsa_player_props",
        "raw_nbac_injury_report",
    )
    return {t: wh.query_rows(f"SELECT * FROM {t} ORDER BY ALL") for t in tables}  # noqa: S608


def test_a_day_loads_every_payload_filed_under_it(
    archive: tuple[Path, list[date]], warehouse: DuckDBWarehouse, settings: Settings
) -> None:
    root, days = archive
    lake = _lake(root)
    report = ingest_date(settings, days[0], warehouse=warehouse, lake=lake)
    gamelog = next(o for o in lake.list("nbacom", "leaguegamelog", days[0]))
    expected = len(parser_for("nbac_player_boxscore").parse(lake.get(gamelog.path)))
    stored = warehouse.query_rows(
        "SELECT count(*) FROM raw_nbac_player_boxscores WHERE game_date = ?", [days[0]]
    )
    assert stored == [(expected,)]
    fetched_that_day = [
        o for o in lake.list() if o.game_date is None and o.fetched_at.astimezone(EASTERN).date() == days[0]
    ]
    assert report.payloads_found == len(lake.list(game_date=days[0])) + len(fetched_that_day)
    assert report.rows_written > expected
    [entry] = RunLedger(warehouse).recent("ingest")
    assert (entry.status, entry.game_date, entry.rows_out) == ("success", days[0], report.rows_written)
    assert entry.details["counts"] == report.counts()


def test_running_the_same_ingest_again_changes_nothing(
    archive: tuple[Path, list[date]], warehouse: DuckDBWarehouse, settings: Settings
) -> None:
    root, days = archive
    first = ingest_date(settings, days[1], warehouse=warehouse, lake=_lake(root))
    before = _table_state(warehouse)
    again = ingest_date(settings, days[1], warehouse=warehouse, lake=_lake(root))
    assert again.results == []
    assert again.already_loaded == len(first.results)
    assert _table_state(warehouse) == before
    assert [e.status for e in RunLedger(warehouse).recent("ingest")] == ["skipped", "success"]


def test_replaying_a_folder_rebuilds_the_same_tables_as_daily_runs(
    archive: tuple[Path, list[date]], warehouse: DuckDBWarehouse, settings: Settings
) -> None:
    root, days = archive
    replay = ingest_from_dir(settings, root, warehouse=warehouse)
    assert replay.results[0].kind == "nbac_schedule_api"  # schedule and rosters first
    daily = DuckDBWarehouse(":memory:", query_timeout_s=60)
    create_schema(daily)
    for day in days:
        ingest_date(settings, day, warehouse=daily, lake=_lake(root))

    def without_provenance(wh: DuckDBWarehouse) -> dict[str, list[tuple[object, ...]]]:
        return {t: [row[:-1] for row in rows] for t, rows in _table_state(wh).items()}

    assert without_provenance(daily) == without_provenance(warehouse)
    assert warehouse.query_rows("SELECT count(*) FROM raw_nbac_schedule") != [(0,)]


def test_parsing_in_worker_processes_gives_the_same_tables(
    archive: tuple[Path, list[date]], warehouse: DuckDBWarehouse, settings: Settings
) -> None:
    root, _ = archive
    parallel = ingest_from_dir(settings, root, warehouse=warehouse, workers=2)
    sequential = DuckDBWarehouse(":memory:", query_timeout_s=60)
    create_schema(sequential)
    ingest_from_dir(settings, root, warehouse=sequential)
    assert len(parallel.results) > 16  # large enough to be parsed by the pool
    assert _table_state(warehouse).keys() == _table_state(sequential).keys()
    for table, rows in _table_state(sequential).items():
        assert [r[:-1] for r in _table_state(warehouse)[table]] == [r[:-1] for r in rows], table


def test_a_game_day_without_payloads_fails_the_run(
    archive: tuple[Path, list[date]], warehouse: DuckDBWarehouse, settings: Settings, sandbox_season: Season
) -> None:
    root, _ = archive
    ingest_from_dir(settings, root, warehouse=warehouse)  # loads the schedule
    later = sorted(sandbox_season.games_by_date)[DAYS + 2]
    with pytest.raises(QualityGateError, match="no payload"):
        ingest_date(settings, later, warehouse=warehouse, lake=_lake(root))
    assert RunLedger(warehouse).recent("ingest")[0].status == "failed"


def test_a_bad_payload_is_quarantined_and_the_rest_of_the_batch_still_loads(
    archive: tuple[Path, list[date]], warehouse: DuckDBWarehouse, settings: Settings, tmp_path: Path
) -> None:
    root, days = archive
    copy = tmp_path / "lake"
    shutil.copytree(root, copy)
    lake = _lake(copy)
    page = b"<html><body>502 Bad Gateway</body></html>"
    bad = lake.put("bdl", "box_scores", days[2], page, fetched_at=datetime.now(UTC), content_type="text/html")
    alerter = Alerter(warehouse)
    report = ingest_date(settings, days[2], warehouse=warehouse, lake=lake, alerter=alerter)
    quarantined = [r for r in report.results if r.status == "quarantined"]
    assert bad.path in {r.path for r in quarantined}
    assert warehouse.query_rows(
        "SELECT count(*) FROM raw_bdl_box_scores WHERE source_file = ?", [bad.path]
    ) == [(0,)]
    assert warehouse.query_rows("SELECT count(*) FROM raw_bdl_box_scores WHERE game_date = ?", [days[2]]) != [
        (0,)
    ]
    assert any(a.context["lake_path"] == bad.path for a in alerter.of_kind("quarantine"))
    status = warehouse.query_rows("SELECT status FROM loaded_payloads WHERE lake_path = ?", [bad.path])
    assert status == [("quarantined",)]
    assert report.to_dict()["counts"]["quarantined"] == len(quarantined)


def test_a_corrupt_lake_object_is_quarantined_and_everything_beside_it_loads(
    archive: tuple[Path, list[date]], warehouse: DuckDBWarehouse, settings: Settings, tmp_path: Path
) -> None:
    root, days = archive
    copy = tmp_path / "lake"
    shutil.copytree(root, copy)
    lake = _lake(copy)
    [victim, *_] = lake.list(source="bdl", endpoint="box_scores", game_date=days[1])
    (copy / victim.path).write_bytes(b"bit rot")
    alerter = Alerter(warehouse)
    report = ingest_date(settings, days[1], warehouse=warehouse, lake=lake, alerter=alerter)
    [quarantined] = [r for r in report.results if r.status == "quarantined"]
    assert quarantined.path == victim.path
    row = warehouse.query_rows("SELECT kind, error FROM quarantine WHERE lake_path = ?", [victim.path])
    assert row[0][0] == "bdl_box_scores"
    assert "corrupt" in row[0][1]
    assert any(a.context["lake_path"] == victim.path for a in alerter.of_kind("quarantine"))
    assert report.counts()["loaded"] == len(report.results) - 1
    again = ingest_date(settings, days[1], warehouse=warehouse, lake=lake, alerter=alerter)
    assert again.results == []  # the corrupt object does not block the next run either
    assert RunLedger(warehouse).recent("ingest")[0].status == "skipped"


def test_a_bad_manifest_line_is_quarantined_and_alerted_once_and_the_rest_loads(
    archive: tuple[Path, list[date]], warehouse: DuckDBWarehouse, settings: Settings, tmp_path: Path
) -> None:
    root, days = archive
    copy = tmp_path / "lake"
    shutil.copytree(root, copy)
    manifest = next(
        m
        for m in sorted(copy.glob(f"*/*/{days[1].isoformat()}/_manifest.jsonl"))
        if len(m.read_bytes().splitlines()) >= 2
    )
    lines = manifest.read_bytes().splitlines(keepends=True)
    lost = json.loads(lines[0])["path"]
    manifest.write_bytes(b'{"path": "' + lost.encode()[:20] + b"\n" + b"".join(lines[1:]))
    alerter = Alerter(warehouse)
    report = ingest_date(settings, days[1], warehouse=warehouse, lake=_lake(copy), alerter=alerter)
    where = manifest.relative_to(copy).as_posix()
    assert report.bad_manifest_lines == [f"{where}:1"]
    assert lost not in {r.path for r in report.results}
    assert "quarantined" not in report.counts()
    assert report.rows_written > 0
    row = warehouse.query_rows("SELECT kind, lake_path, error_type FROM quarantine")
    assert row == [("lake_manifest", where, "PayloadError")]
    [alert] = alerter.of_kind("quarantine")
    assert alert.context["line"] == 1
    ingest_date(settings, days[1], warehouse=warehouse, lake=_lake(copy), alerter=alerter)
    assert len(alerter.of_kind("quarantine")) == 1  # known already: recorded once, alerted once


_KILLED_WITH_A_POOL = """
import sys
from pathlib import Path
from nbaprops.raw.ingest import ingest_from_dir
from nbaprops.settings import load_settings
from nbaprops.warehouse import create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse
wh = DuckDBWarehouse(sys.argv[2], query_timeout_s=60)
create_schema(wh)
ingest_from_dir(load_settings(data_dir=sys.argv[3]), Path(sys.argv[1]), warehouse=wh, workers=2)
print("pool up", flush=True)
sys.stdin.read()  # wait to be killed
"""


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pids: set[int]) -> set[int]:
    return {p for p in pids if Path(f"/proc/{p}").exists() and "Z" not in _state(p)}


def _state(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split() or ["Z"])[0]
    except OSError:
        return "Z"


def test_parser_processes_and_their_tracker_end_when_the_ingest_is_killed(
    archive: tuple[Path, list[date]], tmp_path: Path
) -> None:
    import signal
    import subprocess
    import sys
    import time

    root, _ = archive
    argv = [sys.executable, "-c", _KILLED_WITH_A_POOL, str(root), str(tmp_path / "wh.duckdb"), str(tmp_path)]
    with subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as ingest:  # noqa: S603
        assert ingest.stdout is not None
        assert any(line.strip() == "pool up" for line in ingest.stdout)  # after the ingest's own logs
        helpers = _children(ingest.pid)
        assert len(helpers) >= 3  # two parsers and the resource tracker
        ingest.send_signal(signal.SIGKILL)
        ingest.wait(timeout=30)
    deadline = time.monotonic() + 60  # a bound on the wait, not a speed claim
    while _alive(helpers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _alive(helpers) == set()


@pytest.mark.usefixtures("restore_logging")
def test_the_command_replays_a_folder_and_prints_json(
    archive: tuple[Path, list[date]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = archive
    monkeypatch.setenv("NBAPROPS_DATA_DIR", str(tmp_path / "data"))
    app = typer.Typer()
    app.command()(ingest)
    result = CliRunner().invoke(app, ["--from-dir", str(root), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["payloads_found"] == len(_lake(root).list())
    assert summary["rows_written"] > 0
    again = CliRunner().invoke(app, ["--from-dir", str(root), "--json"])
    assert json.loads(again.output.strip().splitlines()[-1])["rows_written"] == 0


def test_the_command_wants_exactly_one_of_date_and_folder(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(ingest)
    neither = CliRunner().invoke(app, [])
    both = CliRunner().invoke(app, ["--date", "2025-10-21", "--from-dir", str(tmp_path)])
    assert "exactly one" in str(neither.exception)
    assert "exactly one" in str(both.exception)


@pytest.mark.usefixtures("restore_logging")
def test_a_malformed_date_is_a_config_error() -> None:
    app = typer.Typer()
    app.command()(ingest)
    result = CliRunner().invoke(app, ["--date", "21/10/2025"])
    assert "YYYY-MM-DD" in str(result.exception)


def test_a_day_also_loads_undated_payloads_fetched_on_another_day(
    archive: tuple[Path, list[date]], warehouse: DuckDBWarehouse, settings: Settings
) -> None:
    root, days = archive
    lake = _lake(root)
    [schedule] = lake.list("nbacom", "schedule")
    assert schedule.game_date is None
    assert schedule.fetched_at.date() > days[-1]  # fetched after the dates, as a backfill does
    report = ingest_date(settings, days[0], warehouse=warehouse, lake=lake)
    assert report.undated_earlier >= 1
    assert schedule.path in {r.path for r in report.results if r.status == "loaded"}
    assert warehouse.query_rows("SELECT count(*) FROM raw_nbac_schedule WHERE game_date = ?", [days[0]]) != [
        (0,)
    ]
    later = ingest_date(settings, days[1], warehouse=warehouse, lake=lake)
    assert schedule.path not in {r.path for r in later.results}
    assert warehouse.query_rows(
        "SELECT count(*) FROM loaded_payloads WHERE lake_path = ?", [schedule.path]
    ) == [(1,)]
