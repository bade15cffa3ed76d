"""``nbaprops run``, ``nbaprops schedule show|export`` and ``nbaprops gaps``.

``open_day`` assembles a ``DayRunner`` from the settings: the warehouse, the lake, the bus and the
lock store the settings choose, an HTTP client, and the clock (the wall clock; with ``--sandbox``
the sandbox league served on loopback and its clock, so a whole day runs in seconds).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nbaprops.errors import ConfigError, QualityGateError

if TYPE_CHECKING:
    from nbaprops.pipeline.bus import Bus
    from nbaprops.pipeline.runner import DayRunner, WaitMode
    from nbaprops.settings import Settings

schedule_app = typer.Typer(
    help="The declarative daily schedule and its Cloud Scheduler export.", no_args_is_help=True
)


def open_bus(settings: Settings, *, alerter: Any = None, warehouse: Any = None) -> Bus:
    """The bus the settings choose (``bus_backend``)."""
    from nbaprops.pipeline.bus import InProcessBus

    if settings.bus_backend == "inprocess":
        return InProcessBus(alerter=alerter, max_attempts=settings.bus_max_attempts)
    from nbaprops.pipeline.pubsub import PubSubBus

    return PubSubBus.from_settings(settings, warehouse=warehouse, alerter=alerter)


@contextmanager
def open_day(
    settings: Settings,
    *,
    sandbox: bool = False,
    first: date | None = None,
    wait_mode: WaitMode = "block",
    bus: Bus | None = None,
) -> Iterator[DayRunner]:
    """A ready ``DayRunner`` (schema created), closed with everything it opened."""
    from nbaprops.http import HttpClient
    from nbaprops.lake import open_lake
    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.day_actions import DayServices
    from nbaprops.pipeline.locks import open_lock_store
    from nbaprops.pipeline.runner import Clock, DayRunner, SandboxDayClock, WallClock
    from nbaprops.secrets import open_secret_source, with_secrets
    from nbaprops.warehouse import create_schema, open_warehouse

    settings = with_secrets(settings, open_secret_source(settings))
    with ExitStack() as stack:
        warehouse = open_warehouse(settings)
        stack.callback(warehouse.close)
        create_schema(warehouse)
        alerter = Alerter(warehouse)
        source_settings = settings
        clock: Clock = WallClock()
        if sandbox:
            from nbaprops.pipeline.sandbox_session import sandbox_session
            from nbaprops.sandbox.simulator import generate_season

            season = generate_season(settings.sandbox_seed, settings.sandbox_season)
            session = stack.enter_context(
                sandbox_session(settings, day=first, season=season, odds_quota=200_000)
            )
            source_settings, clock = session.settings, SandboxDayClock(session.clock)
        http = stack.enter_context(HttpClient.from_settings(source_settings))
        services = DayServices(settings, warehouse, open_lake(settings), alerter, http, source_settings)
        if bus is None:
            bus = open_bus(settings, alerter=alerter, warehouse=warehouse)
            close = getattr(bus, "close", None)
            if close is not None:
                stack.callback(close)
        yield DayRunner(
            services,
            bus,
            open_lock_store(settings),
            clock,
            wait_mode=wait_mode,
            gate_wait_s=settings.run_gate_wait_s,
            lock_ttl_s=settings.lock_ttl_s,
        )


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} must be YYYY-MM-DD, got {text!r}") from None


def run(
    date_text: Annotated[str, typer.Option("--date", help="The game date to run (YYYY-MM-DD, US/Eastern).")],
    sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox", help="Run against the sandbox league on loopback, its clock moved step by step."
        ),
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the day's report as one JSON object.")
    ] = False,
) -> None:
    """Run the whole game day per the schedule; exit non-zero when a step failed or was blocked."""
    from nbaprops.logs import configure_logging
    from nbaprops.settings import load_settings

    settings = load_settings()
    configure_logging(settings)
    day = _day(date_text, "--date")
    with open_day(settings, sandbox=sandbox, first=day) as runner:
        report = runner.run_day(day)
    if json_out:
        typer.echo(json.dumps(report.to_dict(), sort_keys=True, default=str))
    else:
        for outcome in report.outcomes:
            note = f"  ({outcome.reason})" if outcome.reason else ""
            rows = "-" if outcome.rows is None else str(outcome.rows)
            typer.echo(f"{outcome.occurrence:<24} {outcome.status:<9} {rows:>6}{note}")
        typer.echo(f"run {day}: {report.messages} messages, {report.seconds:.1f}s")
    if not report.ok:
        stopped = [
            f"{o.occurrence} {o.status}"
            for o in report.outcomes
            if o.status not in ("success", "degraded", "skipped")
        ]
        raise QualityGateError(f"run {day}: " + ", ".join(stopped))


def gaps(
    start: Annotated[str, typer.Option("--from", help="First game date (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last game date (YYYY-MM-DD), inclusive.")],
    fix: Annotated[
        bool, typer.Option("--fix", help="Run every date with a gap again (in due order).")
    ] = False,
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="With --fix: against the sandbox league.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the gaps as JSON.")] = False,
) -> None:
    """List the scheduled steps of a date range that the ledger lacks (or that wrote no rows)."""
    from nbaprops.dates import check_date_range
    from nbaprops.logs import configure_logging
    from nbaprops.pipeline.gaps import find_gaps, fix_gaps, gaps_to_dicts
    from nbaprops.settings import load_settings

    first, last = _day(start, "--from"), _day(end, "--to")
    check_date_range(first, last)
    settings = load_settings()
    configure_logging(settings)
    with open_day(settings, sandbox=sandbox, first=first) as runner:
        found = find_gaps(runner, first, last)
        left = found
        if fix and found:
            fix_gaps(runner, found)
            left = find_gaps(runner, first, last)
    if json_out:
        typer.echo(json.dumps({"gaps": gaps_to_dicts(found), "left": gaps_to_dicts(left)}, sort_keys=True))
    else:
        for gap in found:
            typer.echo(f"{gap.game_date} {gap.occurrence:<24} {gap.status:<9} {gap.reason}")
        typer.echo(
            f"gaps {first}..{last}: {len(found)} found" + (f", {len(left)} left after --fix" if fix else "")
        )
    remaining = left if fix else found
    if remaining:
        raise SystemExit(1)


@schedule_app.command("show")
def schedule_show(
    json_out: Annotated[bool, typer.Option("--json", help="Print the table as JSON.")] = False,
) -> None:
    """Print the schedule table: step, time of day ET, dependencies, retries, required outputs (and
    what a refresh scrapes, and which role predicts a step's batches)."""
    from nbaprops.pipeline.schedule import as_rows

    rows = as_rows()
    if json_out:
        typer.echo(json.dumps(rows))
        return
    for row in rows:
        typer.echo(
            f"{row['step']:<15} {row['at_et']:<10} after={','.join(row['after']) or '-':<15} "
            f"retries={row['retries']} outputs={','.join(row['outputs']) or '-'}"
            + (f" scrape={','.join(row['scrape'])}" if row["scrape"] != ["all"] else "")
            + (f" batches->{row['fanout']}" if row["fanout"] else "")
        )


@schedule_app.command("export")
def schedule_export(
    service_url: Annotated[
        str, typer.Option("--service-url", help="Base URL of the Cloud Run services (https://…), for push.")
    ] = "https://nbaprops-ROLE-PROJECT.a.run.app",
    service_account: Annotated[
        str, typer.Option("--service-account", help="Service account that signs push and scheduler calls.")
    ] = "nbaprops-invoker@PROJECT.iam.gserviceaccount.com",
) -> None:
    """Print the schedule as Cloud Scheduler jobs, Pub/Sub topics and push subscriptions (JSON)."""
    from nbaprops.pipeline.export import export_schedule
    from nbaprops.settings import load_settings

    doc = export_schedule(load_settings(), service_url=service_url, service_account=service_account)
    typer.echo(json.dumps(doc, indent=2, sort_keys=False))
