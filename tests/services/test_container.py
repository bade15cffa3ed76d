"""The container recipe, checked without a container engine: what the Dockerfile promises, its
entry point parsed by the real CLI, and its health check run against a live service."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from service_world import Services

DOCKERFILE = Path(__file__).resolve().parents[2] / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_the_image_is_slim_311_locked_and_unprivileged() -> None:
    steps = _instructions()
    froms = [arg for op, arg in steps if op == "FROM"]
    assert froms
    assert all(f.startswith("python:3.11-slim") for f in froms)
    runs = " ".join(arg for op, arg in steps if op == "RUN")
    assert "uv sync --frozen" in runs
    users = [arg for op, arg in steps if op == "USER"]
    assert users
    assert users[-1].split(":")[0] not in ("0", "root")
    assert any(op == "HEALTHCHECK" for op, _ in steps)


def _exec_form(op: str) -> list[str]:
    [arg] = [a for o, a in _instructions() if o == op]
    value: list[str] = json.loads(arg)
    return value


def test_the_entry_point_is_nbaprops_serve_with_the_role_as_argument() -> None:
    import typer

    from nbaprops.cli import app

    command = _exec_form("ENTRYPOINT") + _exec_form("CMD")
    assert command[:2] == ["nbaprops", "serve"]
    group = typer.main.get_command(app)
    serve = group.get_command(group.make_context("nbaprops", ["serve", "--help"]), "serve")  # type: ignore[attr-defined]
    for role in ("scrapers", "processors", "coordinator", "worker", "api"):
        context = serve.make_context("serve", [*command[2:-1], role])
        assert context.params["role"] == role
        assert context.params["host"] == "0.0.0.0"  # noqa: S104 - inside the container, by design


def test_the_health_check_passes_on_a_live_service_and_fails_without_one(services: Services) -> None:
    [arg] = [a for op, a in _instructions() if op == "HEALTHCHECK"]
    check = json.loads(re.search(r"CMD (\[.*\])$", arg).group(1))  # type: ignore[union-attr]
    assert check[0] == "python"
    port = services.urls["api"].rsplit(":", 1)[1]
    env = {**os.environ, "PORT": port}
    argv = [sys.executable, *check[1:]]  # the Dockerfile's own check, with this interpreter
    ok = subprocess.run(argv, env=env, timeout=30, capture_output=True, check=False)  # noqa: S603
    assert ok.returncode == 0, ok.stderr
    env["PORT"] = "9"  # discard: nothing listens
    down = subprocess.run(argv, env=env, timeout=30, capture_output=True, check=False)  # noqa: S603
    assert down.returncode != 0
