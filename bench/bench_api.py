"""Read API throughput for cached GETs on loopback: `nbaprops serve api` against a bounded client.

The server is the real entry point (``nbaprops.services.commands.serve``: uvicorn, the app, JSON
logs to stderr, here sent to /dev/null) in its own process pinned to CPU 0; the client is an
asyncio loop of ``--concurrency`` keep-alive connections pinned to CPU 1 (2 cores, one each). The
warehouse holds one slate (450 players x 7 systems). After a warm-up that fills the server's
cache, each connection (a minimal keep-alive HTTP/1.1 client: httpx costs more CPU per request
than the server) sends the same authenticated GET (a 50-pick page, ~25 KB) for ``--seconds``:
once as plain GETs (200 with the cached body) and once with ``If-None-Match`` (304, no body).
Prints one JSON line: requests/s, p50/p99 latency per mode, errors, and the server's CPU time per
request (from /proc), which says what one core serves whatever else the machine is running.

    .venv/bin/python bench/bench_api.py [--seconds 10] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import emit

KEY = "bench-api-key-0123456789abcdef"
DAY = date(2026, 1, 20)
SYSTEMS = ("ensemble", "gbm", "line_residual", "minutes_ppm", "moving_average", "similarity", "zone_matchup")
PLAYERS = 450


def _pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > cpu:
        os.sched_setaffinity(0, {cpu})


def _seed(data_dir: Path) -> None:
    """One slate of predictions, through the warehouse protocol."""
    import pyarrow as pa

    from nbaprops.settings import Settings
    from nbaprops.warehouse import create_schema, open_warehouse

    when = datetime(2026, 1, 20, 16, tzinfo=UTC)
    rows: list[dict[str, Any]] = []
    for i in range(PLAYERS):
        for j, system in enumerate(SYSTEMS):
            side = ("OVER", "UNDER", "PASS")[(i + j) % 3]
            rows.append(
                {
                    "game_date": DAY,
                    "game_id": f"0022500{i // 30:03d}",
                    "player_id": 1_000 + i,
                    "team": "BOS",
                    "opponent": "NYK",
                    "system_id": system,
                    "model_version": "v1",
                    "predicted_points": 10.0 + (i % 25),
                    "predicted_sd": 5.0,
                    "p_over": 0.5 + ((i * 7 + j) % 20) / 100,
                    "line": 9.5 + (i % 25),
                    "line_book": "draftkings",
                    "line_snapshot_at": when - timedelta(hours=2),
                    "over_price": -110,
                    "under_price": -110,
                    "edge": 0.5,
                    "expected_value": ((i * 13 + j) % 17) / 100,
                    "recommendation": side,
                    "stake": 0.01,
                    "reasons": "minutes_trend,usage",
                    "feature_version": "f1",
                    "feature_quality": 0.95,
                    "as_of": when,
                    "run_id": "bench",
                    "created_at": when,
                }
            )
    warehouse = open_warehouse(Settings(data_dir=data_dir))
    try:
        create_schema(warehouse)
        warehouse.insert_arrow("predictions", pa.Table.from_pylist(rows))
    finally:
        warehouse.close()


def _serve(data_dir: str, port: int) -> None:
    """The child: the real ``nbaprops serve api`` on CPU 0, its stderr to /dev/null."""
    _pin(0)
    os.environ.update({"NBAPROPS_DATA_DIR": data_dir, "NBAPROPS_API_KEYS": KEY})
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    from nbaprops.services.commands import serve

    serve("api", port=port, host="127.0.0.1")


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a process so far (Linux /proc; 0 elsewhere)."""
    stat = Path(f"/proc/{pid}/stat")
    if pid is None or not stat.exists():
        return 0.0
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _connection(
    port: int, request: bytes, deadline: float, expected: int, latencies: list[float]
) -> int:
    """One keep-alive HTTP/1.1 connection sending ``request`` until ``deadline``; returns errors.

    A minimal client (pre-built request bytes, status line and Content-Length parsed, body read):
    httpx spends ~1.8 ms of CPU per request, more than the server, so it would measure itself.
    """
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout=10)
    errors = 0
    try:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await asyncio.wait_for(reader.readexactly(length), timeout=10)
            latencies.append(time.perf_counter() - began)
            errors += status != expected
    finally:
        writer.close()
    return errors


async def _load(port: int, path: str, seconds: float, concurrency: int, etag: str | None) -> dict[str, Any]:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", f"X-API-Key: {KEY}"]
    if etag:
        lines.append(f"If-None-Match: {etag}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    latencies: list[float] = []
    began = time.perf_counter()
    deadline = began + seconds
    errors = await asyncio.gather(
        *(_connection(port, request, deadline, 304 if etag else 200, latencies) for _ in range(concurrency))
    )
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "errors": sum(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nbaprops-bench-api-") as tmp:
        _seed(Path(tmp))
        port = _free_port()
        server = multiprocessing.get_context("spawn").Process(target=_serve, args=(tmp, port), daemon=True)
        server.start()
        _pin(1)
        path = f"/v1/picks/{DAY.isoformat()}?system_id=ensemble&page_size=50"
        url = f"http://127.0.0.1:{port}{path}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    first = httpx.get(url, headers={"X-API-Key": KEY}, timeout=10)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or not server.is_alive():
                        raise
                    time.sleep(0.2)
            first.raise_for_status()
            body_bytes = len(first.content)
            runs = {}
            for mode, etag in (("cached_200", None), ("not_modified_304", first.headers["etag"])):
                cpu_before, client_before = _cpu_seconds(server.pid), time.process_time()
                runs[mode] = asyncio.run(_load(port, path, args.seconds, args.concurrency, etag))
                cpu = _cpu_seconds(server.pid) - cpu_before
                client_ms = (time.process_time() - client_before) * 1000 / max(runs[mode]["requests"], 1)
                # The server's own cost, whatever else the machine runs: CPU ms per request, and the
                # rate one core would serve at that cost.
                runs[mode]["server_cpu_ms_per_request"] = round(
                    cpu * 1000 / max(runs[mode]["requests"], 1), 3
                )
                runs[mode]["requests_per_server_cpu_s"] = (
                    round(runs[mode]["requests"] / cpu, 1) if cpu else None
                )
                runs[mode]["client_cpu_ms_per_request"] = round(client_ms, 3)
                # On two idle cores (server on one, client on the other) the slower side sets the rate.
                slowest = max(cpu * 1000 / max(runs[mode]["requests"], 1), client_ms)
                runs[mode]["idle_two_core_estimate_per_s"] = round(1000 / slowest, 1) if slowest else None
        finally:
            server.terminate()
            server.join(timeout=10)
    emit(
        "api_cached_get",
        route="/v1/picks/{date}?page_size=50",
        body_bytes=body_bytes,
        concurrency=args.concurrency,
        seconds=args.seconds,
        **runs,
        target={"requests_per_s": 1000, "p99_ms": 50},
        load_average=round(os.getloadavg()[0], 2),
    )


if __name__ == "__main__":
    main()
