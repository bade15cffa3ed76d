"""A real local Cloud Storage emulator (``gcp-storage-emulator`` from PyPI) for the gs:// lake tests.

Started on a free loopback port in its own process group, in memory, and stopped with its whole
group; gcsfs reaches it through ``endpoint_url`` (``NBAPROPS_GCS_ENDPOINT_URL``), without
credentials. The emulator accepts but does not enforce generation-match preconditions: the tests
that need a refused precondition check what the lake sends and how it handles the refusal.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

BUCKET = "nbaprops-lake-test"


@dataclass
class Emulator:
    """A running emulator: its base URL and process."""

    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_emulator(bucket: str = BUCKET, wait_s: float = 30.0) -> Emulator:
    """Start the emulator with ``bucket`` created; returns once it answers."""
    port = _free_port()
    env = {**os.environ, "CLOUDSDK_CORE_DISABLE_USAGE_REPORTING": "true"}
    process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell; stopped with its group
        [
            sys.executable,
            "-m",
            "gcp_storage_emulator",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--in-memory",
            "--quiet",
            "--default-bucket",
            bucket,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
    )
    emulator = Emulator(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            with urllib.request.urlopen(f"{emulator.url}/storage/v1/b/{bucket}", timeout=2) as answer:
                if answer.status == 200:
                    return emulator
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            emulator.stop()
            raise RuntimeError(f"the storage emulator did not start (exit {process.poll()})")
        time.sleep(0.1)
