"""The read API over a real published demo: the files ``nbaprops publish`` wrote, served byte for
byte behind the key with ETags, and a schemathesis run over every read operation on that data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from service_world import MARKER_KEY, Exchanges, LiveServer, Services, free_socket, fuzz_openapi

from published_demo import Published, publish_demo


@pytest.fixture(scope="module")
def demo_api(
    services: Services, tmp_path_factory: pytest.TempPathFactory, sandbox_season: Any
) -> Iterator[tuple[str, Published]]:
    """An api server over the published demo's data folder (its warehouse and its lake)."""
    from nbaprops.logs import configure_logging
    from nbaprops.services.app import create_app
    from nbaprops.settings import Settings

    published = publish_demo(tmp_path_factory, sandbox_season)
    configure_logging(services.settings["api"])  # the demo logged to its own folder
    settings = Settings(data_dir=published.settings.data_dir, api_keys=MARKER_KEY)
    sock = free_socket()
    server = LiveServer(create_app(settings, "api"), sock)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", published
    server.stop()


def _files(published: Published) -> dict[str, Path]:
    day, graded = published.day.isoformat(), published.graded_day.isoformat()
    folder = published.folder
    player = sorted((folder / "players").glob("*.json"))[0]
    return {
        f"/v1/published/tonight/{day}": folder / "tonight" / f"{day}.json",
        f"/v1/published/picks/{day}": folder / "picks" / f"{day}.json",
        f"/v1/published/results/{graded}": folder / "results" / f"{graded}.json",
        f"/v1/published/players/{player.stem}": player,
        "/v1/published/performance": folder / "performance.json",
        "/v1/published/status": folder / "status.json",
        "/v1/published/index": folder / "index.json",
    }


def test_every_published_file_is_served_as_written_behind_the_key(
    demo_api: tuple[str, Published], exchanges: Exchanges
) -> None:
    base, published = demo_api
    files = _files(published)
    assert len(files) == 7
    for route, path in files.items():
        assert exchanges.call("GET", base + route).status_code == 401
        assert exchanges.call("GET", base + route, headers={"X-API-Key": "MARKERwrong"}).status_code == 401
        good = exchanges.call("GET", base + route, headers={"X-API-Key": MARKER_KEY})
        assert good.status_code == 200, route
        assert good.content == path.read_bytes(), route
        assert good.headers["content-type"] == "application/json"
        again = exchanges.call(
            "GET", base + route, headers={"X-API-Key": MARKER_KEY, "If-None-Match": good.headers["etag"]}
        )
        assert again.status_code == 304
        assert again.content == b""


def test_a_file_not_published_is_a_404_problem(demo_api: tuple[str, Published], exchanges: Exchanges) -> None:
    base, _ = demo_api
    for route in ("/v1/published/tonight/2001-01-01", "/v1/published/players/1"):
        response = exchanges.call("GET", base + route, headers={"X-API-Key": MARKER_KEY})
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


def test_the_typed_routes_read_the_demos_warehouse(
    demo_api: tuple[str, Published], exchanges: Exchanges
) -> None:
    import json

    base, published = demo_api
    day = published.day.isoformat()
    headers = {"X-API-Key": MARKER_KEY}
    tonight = json.loads((published.folder / "tonight" / f"{day}.json").read_text())
    predictions = exchanges.call("GET", f"{base}/v1/predictions/{day}?page_size=500", headers=headers).json()
    rows = sum(len(entry["systems"]) for entry in tonight["predictions"])
    assert predictions["page"]["total"] == rows > 0
    named = [i for i in predictions["items"] if i["player_name"]]
    assert len(named) == len(predictions["items"])
    # The API serves each prediction's top features as the tonight file publishes them (one model
    # version per system in the demo, so the API's rows and the file's are the same).
    published_tops = {
        (e["player_id"], s["system_id"]): s["top_features"]
        for e in tonight["predictions"]
        for s in e["systems"]
    }
    served = {(i["player_id"], i["system_id"]): i["top_features"] for i in predictions["items"]}
    assert served == {key: published_tops[key] for key in served}  # the first page (500 rows)
    assert any(served.values())
    results = exchanges.call("GET", f"{base}/v1/results/{published.graded_day}", headers=headers).json()
    assert results["page"]["total"] > 0


def test_schemathesis_over_every_read_operation_on_the_demo(demo_api: tuple[str, Published]) -> None:
    """Typed and published routes, generated inputs plus the demo's real dates and ids."""
    base, published = demo_api
    run = fuzz_openapi(base, max_examples=15, real_path={"game_date": published.day.isoformat()})
    assert run.operations == 16  # /health, /health/detail, /pubsub/push, six typed routes, seven files
    assert run.calls >= 16 * 10, run.failures
    assert run.failures == []
