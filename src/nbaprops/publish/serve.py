"""Serve the published folder (the dashboard and its JSON) on loopback: ``nbaprops demo --serve``.

When the read API exists (``nbaprops.services.app.create_app``), it is mounted under ``/api`` of
the same server; until then the folder alone is served. Every response carries the same
``Cache-Control`` the lake gives the files on a bucket.
"""

from __future__ import annotations

import importlib
import importlib.util
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette

    from nbaprops.settings import Settings

LOOPBACK = "127.0.0.1"


def dashboard_app(folder: Path, *, max_age: int = 60, api: Any = None) -> Starlette:
    """A Starlette app serving ``folder`` (``index.html`` at ``/``), with the read API at ``/api``."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    if not (folder / "index.html").is_file():
        from nbaprops.errors import ConfigError

        raise ConfigError(f"nothing published in {folder}: run nbaprops publish (or the demo) first")

    class CacheControl:
        """Adds ``Cache-Control`` to the static files' responses."""

        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            async def send_with_header(message: Message) -> None:
                if message["type"] == "http.response.start" and not scope["path"].startswith("/api"):
                    message.setdefault("headers", [])
                    message["headers"].append((b"cache-control", f"public, max-age={max_age}".encode()))
                await send(message)

            await self.app(scope, receive, send_with_header)

    routes = [Mount("/api", app=api)] if api is not None else []
    routes.append(Mount("/", app=StaticFiles(directory=folder, html=True)))
    return Starlette(routes=routes, middleware=[Middleware(CacheControl)])


def read_api(settings: Settings) -> Any:
    """The read API (``services.app.create_app(settings, "api")``: ``/v1/…`` behind an API key from
    ``api_keys``, ``/health`` open), or None in a build without the services package."""
    if importlib.util.find_spec("nbaprops.services.app") is None:
        return None
    services_app = importlib.import_module("nbaprops.services.app")
    return services_app.create_app(settings, "api")


@dataclass
class DashboardServer:
    """A uvicorn server bound to a loopback socket; ``run()`` blocks, ``stop()`` ends it."""

    server: uvicorn.Server
    sock: socket.socket
    url: str
    api: bool

    def run(self) -> None:
        """Serve until ``stop()`` (or Ctrl-C); the socket is closed on the way out."""
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.sock.close()

    def stop(self) -> None:
        """Ask the server to finish its requests and return from ``run()``."""
        self.server.should_exit = True


def make_server(settings: Settings, folder: Path, *, port: int = 0) -> DashboardServer:
    """A server for ``folder`` on 127.0.0.1 (port 0: a free one), the read API mounted when it exists."""
    import uvicorn

    api = read_api(settings)
    app = dashboard_app(folder, max_age=settings.publish_live_max_age_s, api=api)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((LOOPBACK, port))
    except OSError as exc:
        sock.close()
        from nbaprops.errors import ConfigError

        raise ConfigError(f"cannot listen on {LOOPBACK}:{port}: {exc.strerror}") from None
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2)
    return DashboardServer(
        uvicorn.Server(config), sock, f"http://{LOOPBACK}:{sock.getsockname()[1]}/", api is not None
    )


def serve(
    settings: Settings, folder: Path, *, port: int = 0, announce: Callable[[str], None] = print
) -> None:
    """Serve ``folder`` on loopback until interrupted; ``announce`` gets the URL once bound."""
    server = make_server(settings, folder, port=port)
    api = (
        f"  read API: {server.url}api/v1/ (header X-API-Key: a key of NBAPROPS_API_KEYS)"
        if server.api
        else ""
    )
    announce(f"dashboard: {server.url}{api}  (Ctrl-C stops)")
    server.run()


def serve_published(settings: Settings, *, port: int = 0) -> None:
    """Serve the lake's ``publish/`` folder (a local lake: what the demo writes)."""
    from nbaprops.errors import ConfigError
    from nbaprops.publish.publisher import PREFIX

    if "://" in settings.resolved_lake_url:
        raise ConfigError(
            f"the lake {settings.resolved_lake_url} is not a local folder: serve its publish/ from the bucket"
        )
    serve(settings, Path(settings.resolved_lake_url) / PREFIX, port=port)
