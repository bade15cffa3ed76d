"""The gcloud emulators (Pub/Sub, Firestore) on a free loopback port, in their own process group.

``gcloud`` starts a Java child that outlives a killed wrapper, so the whole group is stopped
(SIGTERM, then SIGKILL). Ready means the emulator's HTTP root answers ``Ok``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Literal

COMMANDS = {
    "pubsub": ["gcloud", "beta", "emulators", "pubsub", "start"],
    "firestore": ["gcloud", "emulators", "firestore", "start"],
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def emulator(kind: Literal["pubsub", "firestore"], *, ready_within_s: float = 90.0) -> Iterator[str]:
    """Start the emulator, yield its ``host:port`` once it answers, stop its process group."""
    host = f"127.0.0.1:{free_port()}"
    env = os.environ | {"CLOUDSDK_CORE_DISABLE_USAGE_REPORTING": "true"}
    command = [*COMMANDS[kind], f"--host-port={host}"]
    with process_group(
        command, env, ready=lambda: _answers(host), name=f"{kind} emulator", within_s=ready_within_s
    ):
        yield host


@contextmanager
def process_group(
    command: list[str], env: Mapping[str, str], *, ready: Callable[[], bool], name: str, within_s: float
) -> Iterator[None]:
    """Run ``command`` in its own process group until the block ends (then stop the whole group);
    the block starts once ``ready()`` holds, or ``RuntimeError`` with the output's tail."""
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            command, stdout=output, stderr=subprocess.STDOUT, env=dict(env), start_new_session=True
        )
        try:
            deadline = time.monotonic() + within_s
            while not ready():
                if process.poll() is not None or time.monotonic() > deadline:
                    output.seek(0)
                    raise RuntimeError(f"{name} did not start: {output.read()[-2000:]!r}")
                time.sleep(0.25)
            yield
        finally:
            stop_group(process)


def _answers(host: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}/", timeout=2) as answer:
            return bool(answer.read().strip() == b"Ok")
    except OSError:
        return False


def stop_group(process: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=15)
            # the wrapper is gone; give the group's java child a moment, then make sure
            time.sleep(0.2)
        except subprocess.TimeoutExpired:
            continue
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
