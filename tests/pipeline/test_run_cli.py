"""The CLI of the day: schedule show/export, run --sandbox on an empty folder, gaps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nbaprops.cli import app
from nbaprops.errors import QualityGateError
from nbaprops.pipeline.schedule import SCHEDULE

runner = CliRunner()


def test_schedule_show_and_export_print_the_same_table() -> None:
    shown = runner.invoke(app, ["schedule", "show", "--json"])
    assert shown.exit_code == 0
    assert [row["step"] for row in json.loads(shown.stdout)] == [s.step for s in SCHEDULE]
    exported = runner.invoke(app, ["schedule", "export", "--service-url", "https://nbaprops-ROLE.example"])
    assert exported.exit_code == 0
    doc = json.loads(exported.stdout)
    assert {j["name"].rsplit("/", 1)[-1] for j in doc["jobs"]} == {
        f"nbaprops-{s.step}" for s in SCHEDULE if s.trigger != "event"
    }


def test_run_without_history_collects_the_day_and_names_what_could_not_be_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBAPROPS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NBAPROPS_LOG_LEVEL", "ERROR")
    result = runner.invoke(app, ["run", "--date", "2025-11-04", "--sandbox", "--json"])
    # publish has nothing to publish: a failure (main() turns it into exit 2), never a silent success
    assert isinstance(result.exception, QualityGateError)
    assert str(result.exception) == "run 2025-11-04: publish failed"
    report = json.loads(result.stdout.splitlines()[0])
    statuses = {s["occurrence"]: s["status"] for s in report["steps"]}
    assert statuses["morning-scrape"] == statuses["box-scores"] == "success"
    assert statuses["predict"] == "skipped"  # no history: no feature rows to predict with
    assert statuses["publish"] == "failed"
    gaps = runner.invoke(app, ["gaps", "--from", "2025-11-04", "--to", "2025-11-04", "--json"])
    assert gaps.exit_code == 1
    assert [g["occurrence"] for g in json.loads(gaps.stdout)["gaps"]] == ["publish"]
