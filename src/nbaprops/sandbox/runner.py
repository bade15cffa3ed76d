"""Start and stop the sandbox server: in a background thread (tests, the demo) or in the foreground (CLI).

The listening socket is bound here, before uvicorn starts, so a port that is already taken fails
at once with a one-line ``ConfigError`` instead of a uvicorn log line and ``sys.exit`` in a thread.
"""

from __future__ import annotations

import errno
import socket
import threading
from types import TracebackType
from typing import Any

import uvicorn

from nbaprops.errors import ConfigError

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_STARTUP_TIMEOUT_S = 15.0


def _bind(host: str, port: int) -> socket.socket:
    """A bound loopback socket; ``ConfigError`` if the host is not loopback or the port is taken."""
    if host not in _LOOPBACK:
        raise ConfigError(f"the sandbox only listens on loopback (127.0.0.1, ::1), not {host!r}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP,
    # and without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno in {errno.EADDRINUSE, errno.EACCES}:
            raise ConfigError(f"port {port} is in use") from None
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def _server(app: Any) -> Any:
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    return uvicorn.Server(config)


def _stop_hangs(app: Any) -> None:
    sandbox = getattr(getattr(app, "state", None), "sandbox", None)
    if sandbox is not None:
        sandbox.stopping.set()


class RunningServer:
    """A sandbox server running in a daemon thread; ``stop()`` (or leaving the ``with``) ends it."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        self._app = app
        self._sock = _bind(host, port)
        self.host = host
        self.port: int = self._sock.getsockname()[1]
        self._server = _server(app)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            name=f"sandbox-{self.port}",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: point every source's base-URL setting here."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> RunningServer:
        """Start serving and wait until the socket accepts requests."""
        self._thread.start()
        waited = 0.0
        while not self._server.started:
            if not self._thread.is_alive():
                raise ConfigError(f"sandbox server on port {self.port} failed to start")
            if waited > _STARTUP_TIMEOUT_S:
                self.stop()
                raise ConfigError(f"sandbox server on port {self.port} did not start in time")
            self._thread.join(0.01)
            waited += 0.01
        return self

    def stop(self) -> None:
        """Stop serving: end hanging requests, close connections, join the thread."""
        _stop_hangs(self._app)
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Run ``app`` with uvicorn in a background thread on a loopback port (0: any free port).

    Raises ``ConfigError("port N is in use")`` when the port is taken.
    """
    return RunningServer(app, host, port).start()


def serve(app: Any, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run ``app`` in the foreground until interrupted (Ctrl-C / SIGTERM)."""
    sock = _bind(host, port)
    server = _server(app)
    try:
        server.run(sockets=[sock])
    finally:
        _stop_hangs(app)
        sock.close()
