"""``nbaprops sandbox``: serve the simulated league on loopback, or export its true expectations.

This module is imported when the main CLI starts, so it imports nothing heavy at the top: the
simulator, Starlette and uvicorn load inside the commands. User errors (a port in use, bad
``--faults`` or ``--now``) print one line on stderr and exit with status 2, without a traceback.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from nbaprops.errors import ConfigError, NbaPropsError

app = typer.Typer(
    help="The offline sandbox league (a simulated season served over HTTP).", no_args_is_help=True
)

SeedOption = Annotated[
    int, typer.Option("--seed", help="Seed of the simulated league; same seed, same season.")
]
SeasonOption = Annotated[str, typer.Option("--season", help="Season to simulate, e.g. 2025-26.")]


def _fail(exc: NbaPropsError) -> typer.Exit:
    typer.echo(f"nbaprops: error: {exc}", err=True)
    return typer.Exit(2)


def parse_now(text: str | None) -> datetime:
    """``--now``: an ISO 8601 time (a bare one is UTC); absent means the real current time."""
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"--now: not an ISO 8601 time: {text!r} (e.g. 2025-11-02T15:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command("serve")
def serve(  # noqa: PLR0917  # typer maps each parameter to one option
    seed: SeedOption = 2025,
    season: SeasonOption = "2025-26",
    port: Annotated[int, typer.Option("--port", help="Loopback port to listen on.")] = 8765,
    host: Annotated[
        str, typer.Option("--host", help="Loopback address only: 127.0.0.1 or ::1.")
    ] = "127.0.0.1",
    faults: Annotated[
        str, typer.Option("--faults", help="Fault rates, e.g. 'rate_limit=0.05,server_error=0.05,hang=0.01'.")
    ] = "",
    now: Annotated[
        str | None,
        typer.Option("--now", help="Initial sandbox time (ISO 8601; UTC if no zone); default: now."),
    ] = None,
    odds_quota: Annotated[
        int, typer.Option("--odds-quota", help="Odds API credits the sandbox key starts with.")
    ] = 20_000,
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            help="default (every source answers for every game) or real-history (a past season as the "
            "real APIs serve it: gaps in play-by-play and injury PDFs, no player index, a shared name, "
            "a transliterated name, a mid-season trade).",
        ),
    ] = "default",
) -> None:
    """Serve every source (NBA.com, Ball Don't Lie, The Odds API, ESPN) for one simulated season.

    Keys come from NBAPROPS_BDL_API_KEY / NBAPROPS_ODDS_API_KEY when set, else the sandbox defaults.
    """
    try:
        from nbaprops.sandbox.faults import FaultPlan  # lazy: keeps `nbaprops --help` fast
        from nbaprops.sandbox.profiles import (
            get_profile,
            profile_season,
        )  # lazy: keeps `nbaprops --help` fast
        from nbaprops.sandbox.runner import serve as run_server  # lazy: keeps `nbaprops --help` fast
        from nbaprops.sandbox.server import (  # lazy: keeps `nbaprops --help` fast
            SANDBOX_BDL_KEY,
            SANDBOX_ODDS_KEY,
            SandboxClock,
            create_app,
        )
        from nbaprops.settings import load_settings  # lazy: keeps `nbaprops --help` fast

        chosen = get_profile(profile)
        plan = FaultPlan.parse(faults, seed=seed)
        clock = SandboxClock(parse_now(now))
        settings = load_settings()
        bdl_key = settings.bdl_api_key.get_secret_value() if settings.bdl_api_key else SANDBOX_BDL_KEY
        odds_key = settings.odds_api_key.get_secret_value() if settings.odds_api_key else SANDBOX_ODDS_KEY
        league = profile_season(chosen, seed, season)
        application = create_app(
            league,
            clock=clock,
            faults=plan,
            bdl_key=bdl_key,
            odds_key=odds_key,
            odds_quota=odds_quota,
            profile=chosen,
        )
        typer.echo(f"sandbox {season} (seed {seed}, profile {profile}) on http://{host}:{port}", err=True)
        run_server(application, host=host, port=port)
    except NbaPropsError as exc:
        raise _fail(exc) from None


@app.command("truth")
def truth(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write the true expected points to.")],
    seed: SeedOption = 2025,
    season: SeasonOption = "2025-26",
) -> None:
    """Write each player-game's true expected points (evaluation only; the pipeline never reads it)."""
    try:
        from nbaprops.sandbox.simulator import generate_season  # lazy: keeps `nbaprops --help` fast
        from nbaprops.sandbox.truth import write_truth  # lazy: keeps `nbaprops --help` fast

        rows = write_truth(generate_season(seed, season), out)
    except NbaPropsError as exc:
        raise _fail(exc) from None
    typer.echo(f"wrote {rows} rows to {out}", err=True)
