"""The ``nbaprops`` command line.

Each command is thin: parse options, load the settings once, call into the package, print.
User errors (bad settings, a malformed date, a port in use) end with one line on stderr and a
non-zero exit code; tracebacks are for bugs. Heavy libraries are imported inside the commands so
that ``nbaprops --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Annotated

import typer

from nbaprops.errors import NbaPropsError
from nbaprops.secrets import scrub

app = typer.Typer(
    name="nbaprops",
    help="NBA player-points props: scrape, warehouse, predict, grade, publish.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global_options(
    verbose: Annotated[
        bool,
        typer.Option(
            "-v",
            "--verbose",
            help="Print every log event on stderr too (same as NBAPROPS_LOG_STDERR=true); by default "
            "they go to <data_dir>/logs/nbaprops.jsonl and stderr shows only warnings and errors.",
        ),
    ] = False,
) -> None:
    """NBA player-points props: scrape, warehouse, predict, grade, publish."""
    if verbose:
        # Each command loads its settings itself; the environment is how an option reaches them.
        os.environ["NBAPROPS_LOG_STDERR"] = "true"


raw_app = typer.Typer(help="Phase 2: parse raw payloads into normalized rows.", no_args_is_help=True)
app.add_typer(raw_app, name="raw")


def _register_sandbox() -> None:
    from nbaprops.sandbox.cli import app as sandbox_app

    app.add_typer(
        sandbox_app, name="sandbox", help="The offline sandbox league (simulated season over HTTP)."
    )


def _kinds_help() -> str:
    from nbaprops.raw.registry import kind_names

    return "Parse one payload file and print its normalized rows as JSON lines.\n\nKinds: " + ", ".join(
        kind_names()
    )


@raw_app.command("parse", help=_kinds_help())
def raw_parse(
    kind: Annotated[
        str, typer.Argument(help="Payload kind, e.g. nbac_player_boxscore (see --help for all).")
    ],
    file: Annotated[Path, typer.Argument(help="Payload file (gzip accepted).", exists=True, dir_okay=False)],
) -> None:
    """Parse one payload file and print its normalized rows as JSON lines.

    Zero rows is an error (exit 2), not an empty success: it is what a payload of another kind
    (player props given to the game-lines parser) or an emptied answer looks like.
    """
    from nbaprops.errors import QualityGateError
    from nbaprops.raw.registry import maybe_gunzip, parser_for

    spec = parser_for(kind)
    rows = spec.parse(maybe_gunzip(file.read_bytes(), kind))
    if not rows:
        raise QualityGateError(
            f"{kind}: {file.name} parsed to 0 rows (an empty answer, or a payload of another kind?)"
        )
    out = sys.stdout
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, sort_keys=True, default=str))
        out.write("\n")


@app.command("demo")
def demo(
    date: Annotated[
        str | None,
        typer.Option("--date", help="Game date to fetch (YYYY-MM-DD); default: the sandbox's demo date."),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Where the lake and warehouse go (default: the settings')."),
    ] = None,
    serve: Annotated[
        bool, typer.Option("--serve", help="Then serve the dashboard on loopback (Ctrl-C stops).")
    ] = False,
    port: Annotated[int, typer.Option("--port", help="Port for --serve (0: a free one).")] = 0,
) -> None:
    """The main job on the sandbox league: serve it on loopback, fetch one game day from every source."""
    from nbaprops.pipeline.demo import run_demo
    from nbaprops.settings import load_settings

    overrides = {"data_dir": data_dir} if data_dir else {}
    settings = load_settings(**overrides)
    run_demo(settings, date)
    if serve:
        from nbaprops.publish.serve import serve_published

        serve_published(settings, port=port)


@app.command("version")
def version() -> None:
    """Print the installed nbaprops version."""
    from importlib.metadata import version as pkg_version

    typer.echo(pkg_version("nbaprops"))


def _register_phase_commands() -> None:
    from nbaprops.doctor import doctor
    from nbaprops.features.commands import features_show
    from nbaprops.grade.commands import grade
    from nbaprops.ops.commands import register as register_ops
    from nbaprops.pipeline.backfill import backfill
    from nbaprops.pipeline.backtest import backtest
    from nbaprops.pipeline.commands import build
    from nbaprops.pipeline.run_commands import gaps, run, schedule_app
    from nbaprops.predict.commands import predict
    from nbaprops.predict.train_command import train
    from nbaprops.publish.commands import dashboard, publish
    from nbaprops.raw.commands import ingest
    from nbaprops.services.commands import serve
    from nbaprops.sources.commands import scrape

    app.command("scrape", help="Phase 1: fetch one game date from a source (or all) into the lake.")(scrape)
    features_app = typer.Typer(help="Phase 4: the point-in-time feature store.", no_args_is_help=True)
    features_app.command("show", help="Print one game date's feature rows (csv or json).")(features_show)
    app.add_typer(features_app, name="features")
    app.command("build", help="Phases 3-4: analytics and the feature store for a date or a range.")(build)
    app.command("grade", help="Phase 5b: grade a date's predictions against the box scores.")(grade)
    app.command("backfill", help="Scrape, ingest and build a date range (resumable).")(backfill)
    app.command("backtest", help="Walk-forward: predict each day as of that morning, grade, compare.")(
        backtest
    )
    app.command("train", help="Phase 5: walk-forward training of every system as of a date; registry.")(train)
    app.command("ingest", help="Phase 2: load lake payloads (a date, or an archive folder) into raw tables.")(
        ingest
    )
    app.command("predict", help="Phase 5: predict every eligible player of a game date, all systems.")(
        predict
    )
    app.command("run", help="The whole game day per the schedule: scrape, predict, refresh, grade, publish.")(
        run
    )
    app.command("gaps", help="Scheduled steps of a date range missing from the ledger (--fix re-runs them).")(
        gaps
    )
    app.add_typer(schedule_app, name="schedule")
    app.command(
        "publish",
        help="Phase 6: a date's JSON files and the dashboard, under the lake's publish/.",
    )(publish)
    app.command("dashboard", help="Serve the published files and the dashboard on loopback.")(dashboard)
    register_ops(app)  # health, quality, report, backup, restore
    app.command("serve", help="Serve one service role over HTTP (scrapers, processors, … api).")(serve)
    app.command("doctor", help="Check the configured warehouse and lake; print what is missing.")(doctor)


_register_sandbox()
_register_phase_commands()


def _redacted_excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """Print a bug's traceback as Python would, with every remembered secret masked."""
    sys.stderr.write(scrub("".join(traceback.format_exception(kind, value, tb))))


def main() -> None:
    """Console entry point: run the app, turning our own errors into one line and exit code 2.

    Anything else is a bug and keeps its traceback, redacted like every other line we print.
    """
    sys.excepthook = _redacted_excepthook
    try:
        app()
    except NbaPropsError as exc:
        typer.echo(f"nbaprops: error: {scrub(str(exc))}", err=True)
        raise SystemExit(2) from None
