"""``nbaprops serve ROLE``: one service role on uvicorn (loopback unless told otherwise)."""

from __future__ import annotations

from typing import Annotated

import typer

from nbaprops.errors import ConfigError

ROLE_HELP = "scrapers | processors | coordinator | worker | api"


def serve(
    role: Annotated[str, typer.Argument(help=ROLE_HELP, metavar="ROLE")],
    port: Annotated[
        int, typer.Option("--port", envvar="PORT", min=1, max=65535, help="TCP port (Cloud Run sets PORT).")
    ] = 8080,
    host: Annotated[
        str,
        typer.Option("--host", help="Interface to bind: loopback by default; 0.0.0.0 in a container."),
    ] = "127.0.0.1",
) -> None:
    """Serve one role's FastAPI app: /health open, every other route behind a credential.

    Logs are JSON lines on stderr (what Cloud Run collects) and in the data folder's log file.
    """
    from nbaprops.services.steps import ROLES

    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    import uvicorn

    from nbaprops.logs import configure_logging
    from nbaprops.services.app import create_app
    from nbaprops.settings import load_settings

    settings = load_settings()
    configure_logging(settings.model_copy(update={"log_json": True}))
    app = create_app(settings, role)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=30,
    )
