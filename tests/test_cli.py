"""The CLI surface: every command and option documented, user errors reported in one line."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import typer.main
from typer.testing import CliRunner

from nbaprops.cli import app
from nbaprops.raw.registry import parsers

runner = CliRunner()


def _walk(command: Any, path: str = "nbaprops") -> list[tuple[str, Any]]:
    # typer ships its own copy of click, so groups are recognised by shape, not by class.
    found = [(path, command)]
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            found += _walk(sub, f"{path} {name}")
    return found


def test_every_command_and_option_has_help() -> None:
    root = typer.main.get_command(app)
    missing = []
    for path, command in _walk(root):
        if not (command.help or command.short_help):
            missing.append(path)
        for param in command.params:
            if param.param_type_name == "option" and not param.help:
                missing.append(f"{path} {param.opts[0]}")
            if param.param_type_name == "argument" and not getattr(param, "help", None):
                missing.append(f"{path} <{param.name}>")
    assert missing == []


def test_expected_commands_exist() -> None:
    paths = {path for path, _ in _walk(typer.main.get_command(app))}
    assert {
        "nbaprops demo",
        "nbaprops raw parse",
        "nbaprops sandbox serve",
        "nbaprops sandbox truth",
    } <= paths


def test_raw_parse_help_lists_every_registered_kind() -> None:
    result = runner.invoke(app, ["raw", "parse", "--help"], terminal_width=200)
    assert result.exit_code == 0
    flat = " ".join(result.output.split())
    for kind in parsers():
        assert kind in flat


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-m", "nbaprops", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_unknown_kind_is_one_line_error_without_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    payload = tmp_path / "p.json"
    payload.write_text("{}")
    result = _run("raw", "parse", "no_such_kind", str(payload))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("nbaprops: error: unknown payload kind 'no_such_kind'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_setting_is_one_line_error(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NBAPROPS_NOT_A_SETTING", "1")
    result = _run("demo", "--date", "2026-01-15")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "unknown setting(s): NBAPROPS_NOT_A_SETTING" in result.stderr
