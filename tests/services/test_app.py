"""The app frame of every role: open /health, keys on everything else, problem details, limits."""

from __future__ import annotations

import time
from typing import Any

import pytest
from service_world import MARKER_KEY, OTHER_KEY, Exchanges, Keys, Services

from nbaprops.pipeline.bus import encode_message
from nbaprops.pipeline.push import encode_push
from nbaprops.services.app import create_app
from nbaprops.settings import Settings

ROLES = ("scrapers", "processors", "coordinator", "worker", "api")
OPS_ROUTES = [
    ("scrapers", "scrape", {"game_date": "2026-01-15", "source": "nope"}),
    ("processors", "ingest", {"game_date": "2026-01-15", "extra": 1}),
    ("processors", "build", {"start": "2026-01-16", "end": "2026-01-15"}),
    ("coordinator", "predict", {"game_date": "1999-01-01"}),
    ("coordinator", "grade", {"game_date": "not a date"}),
]
"""One route per step, each with a body that fails validation (so a good key runs nothing)."""


def test_a_role_outside_the_list_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        create_app(Settings(), "admin")  # type: ignore[arg-type]


@pytest.mark.parametrize("role", ROLES)
def test_health_is_open_and_says_the_role(role: str, services: Services, exchanges: Exchanges) -> None:
    response = exchanges.call("GET", f"{services.urls[role]}/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "role": role}
    assert len(response.headers["x-request-id"]) == 32


@pytest.mark.parametrize("role", ROLES)
def test_the_openapi_document_needs_a_key(role: str, services: Services, exchanges: Exchanges) -> None:
    url = f"{services.urls[role]}/openapi.json"
    assert exchanges.call("GET", url).status_code == 401
    assert exchanges.call("GET", url, headers={"X-API-Key": "wrong"}).status_code == 401
    document = exchanges.call("GET", url, headers={"X-API-Key": MARKER_KEY}).json()
    assert document["info"]["title"] == f"nbaprops {role}"
    paths = set(document["paths"])
    assert "/pubsub/push" in paths
    assert ("/v1/picks/{game_date}" in paths) == (role == "api")


@pytest.mark.parametrize(("role", "step", "invalid"), OPS_ROUTES)
def test_each_operator_route_needs_a_good_key_before_it_reads_the_body(
    role: str, step: str, invalid: dict[str, object], services: Services, exchanges: Exchanges
) -> None:
    url = f"{services.urls[role]}/v1/ops/{step}"
    missing = exchanges.call("POST", url, json=invalid)
    wrong = exchanges.call("POST", url, json=invalid, headers={"X-API-Key": MARKER_KEY[:-1] + "0"})
    garbage = exchanges.call("POST", url, content=b"{oops", headers={"Content-Type": "application/json"})
    for response in (missing, wrong, garbage):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "ApiKey"
    assert missing.json()["reason"] == "missing_api_key"
    assert wrong.json()["reason"] == "invalid_api_key"
    for key in (MARKER_KEY, OTHER_KEY):
        good = exchanges.call("POST", url, json=invalid, headers={"X-API-Key": key})
        assert good.status_code == 422, good.text
        problem = good.json()
        assert problem["title"] == "Invalid request"
        assert problem["errors"], problem
        assert '"input"' not in good.text  # the refused values are not echoed back


def test_an_operator_route_runs_the_library_step_and_ledgers_it(
    services: Services, exchanges: Exchanges
) -> None:
    response = exchanges.call(
        "POST",
        f"{services.urls['coordinator']}/v1/ops/grade",
        json={"game_date": "2026-01-14"},
        headers={"X-API-Key": MARKER_KEY},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "step": "grade",
        "status": "skipped",
        "game_date": "2026-01-14",
        "start": None,
        "end": None,
        "rows": 0,
    }
    assert ("grade", "2026-01-14", "skipped") in _ledger(services)


def test_a_role_has_only_its_own_steps(services: Services, exchanges: Exchanges) -> None:
    response = exchanges.call(
        "POST",
        f"{services.urls['scrapers']}/v1/ops/grade",
        json={"game_date": "2026-01-14"},
        headers={"X-API-Key": MARKER_KEY},
    )
    assert response.status_code == 404
    assert response.json()["title"] == "Not found"


def _step_request(
    services: Services, keys: Keys, exchanges: Exchanges, payload: dict[str, str], mid: str
) -> Any:
    url = services.push_url("coordinator")
    body = encode_message("step-request", payload)
    return exchanges.call(
        "POST",
        url,
        json=encode_push("run-predict", body, message_id=mid, role="coordinator"),
        headers={"Authorization": "Bearer " + keys.token(url)},
    )


def test_the_coordinator_handles_its_schedule_steps_and_waits_for_their_inputs(
    services: Services, keys: Keys, exchanges: Exchanges
) -> None:
    from nbaprops.services.day_handlers import role_topics

    assert role_topics("coordinator") == ["run-predict"]
    # Cloud Scheduler's request to predict a day whose morning load never ran: the day runner's
    # gate says "not ready", and the push is answered 503 so Pub/Sub asks again later.
    payload = {"step": "predict", "game_date": "2026-01-13", "trigger": "scheduler"}
    response = _step_request(services, keys, exchanges, payload, "predict-0113")
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"]
    again = _step_request(services, keys, exchanges, payload, "predict-0113")  # the redelivery is let in
    assert again.status_code == 503


def test_a_malformed_step_request_is_dead_lettered_as_an_alert(
    services: Services, keys: Keys, exchanges: Exchanges
) -> None:
    response = _step_request(
        services, keys, exchanges, {"step": "no-such-step", "game_date": "x"}, "predict-bad"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "dead_lettered"
    from nbaprops.warehouse import open_warehouse

    warehouse = open_warehouse(services.settings["coordinator"])
    try:
        rows = warehouse.query_rows("SELECT message FROM alerts WHERE kind = 'bus.dead_letter'")
    finally:
        warehouse.close()
    assert any("predict-bad" in m and "malformed" in m for (m,) in rows), rows


def _ledger(services: Services) -> set[tuple[str, str, str]]:
    from nbaprops.warehouse import open_warehouse

    warehouse = open_warehouse(services.settings["coordinator"])
    try:
        rows = warehouse.query_rows("SELECT step, CAST(game_date AS VARCHAR), status FROM run_ledger")
    finally:
        warehouse.close()
    return {(str(a), str(b), str(c)) for a, b, c in rows}


def test_a_body_over_the_cap_is_refused_with_413(services: Services, exchanges: Exchanges) -> None:
    url = f"{services.urls['coordinator']}/v1/ops/grade"
    big = b'{"game_date": "2026-01-14", "pad": "' + b"x" * 5000 + b'"}'
    declared = exchanges.call(
        "POST", url, content=big, headers={"X-API-Key": MARKER_KEY, "Content-Type": "application/json"}
    )
    assert declared.status_code == 413
    assert declared.headers["content-type"] == "application/problem+json"

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"x" * 1000

    streamed = exchanges.call(
        "POST", url, content=chunks(), headers={"X-API-Key": MARKER_KEY, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413


def test_errors_are_problem_details_with_the_request_id(services: Services, exchanges: Exchanges) -> None:
    given = "trace-abc-12345"
    response = exchanges.call(
        "GET",
        f"{services.urls['api']}/v1/nothing-here",
        headers={"X-API-Key": MARKER_KEY, "X-Request-ID": given},
    )
    assert response.status_code == 404
    assert response.headers["x-request-id"] == given
    assert response.json() == {
        "type": "about:blank",
        "title": "Not found",
        "status": 404,
        "request_id": given,
    }
    wrong_method = exchanges.call(
        "DELETE", f"{services.urls['api']}/v1/status", headers={"X-API-Key": MARKER_KEY}
    )
    assert wrong_method.status_code == 405
    assert wrong_method.json()["title"] == "Method not allowed"
    odd_id = exchanges.call("GET", f"{services.urls['api']}/health", headers={"X-Request-ID": "<script>"})
    assert odd_id.headers["x-request-id"] != "<script>"


def test_every_request_is_one_structured_event_with_its_request_id(
    services: Services, exchanges: Exchanges
) -> None:
    import json

    given = "event-check-0001"
    exchanges.call("GET", f"{services.urls['api']}/health", headers={"X-Request-ID": given})
    deadline = time.monotonic() + 5  # the event is written just after the answer is sent
    while True:
        events = [json.loads(line) for line in services.log_file.read_text().splitlines()]
        mine = [e for e in events if e.get("request_id") == given and e.get("event") == "http.request"]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert len(mine) == 1
    assert mine[0]["status"] == 200
    assert mine[0]["path"] == "/health"
    assert mine[0]["role"] == "api"


def test_a_bug_is_a_500_problem_that_tells_nothing_of_it(services: Services) -> None:
    """An unexpected exception: the body names no exception, message or path; the logs have it."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from nbaprops.services.read_source import WarehouseReadSource

    class Broken(WarehouseReadSource):
        def status(self, now: Any) -> Any:
            raise RuntimeError("secret internals at /srv/nbaprops/warehouse.duckdb")

    settings = services.settings["api"]
    app = create_app(settings, "api", read_source=Broken(settings))

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/v1/status", headers={"X-API-Key": MARKER_KEY})

    # In a thread of its own: another suite's browser may hold this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        response = pool.submit(lambda: asyncio.run(call())).result(timeout=60)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "Internal error"
    assert problem["request_id"]
    assert "RuntimeError" not in response.text
    assert "internals" not in response.text
    assert "/srv" not in response.text


@pytest.mark.parametrize("role", ["api", "coordinator"])
def test_health_detail_needs_a_key_and_says_per_source_and_phase(
    role: str, services: Services, exchanges: Exchanges
) -> None:
    url = f"{services.urls[role]}/health/detail"
    assert exchanges.call("GET", url).status_code == 401
    assert exchanges.call("GET", url, headers={"X-API-Key": "wrong"}).status_code == 401
    response = exchanges.call("GET", url, headers={"X-API-Key": MARKER_KEY})
    assert response.status_code == 200, response.text
    body = response.json()
    # The same verdict as `nbaprops health` over the service's warehouse, at the same moment.
    from nbaprops.ops.health import health_report
    from nbaprops.warehouse import open_warehouse

    settings = services.settings[role]
    with open_warehouse(settings) as warehouse:
        expected = health_report(warehouse, settings).to_dict()
    assert body["status"] == expected["status"] in {"ok", "degraded", "failing"}
    for part in ("sources", "phases", "checks"):
        assert [(c["name"], c["status"]) for c in body[part]] == [
            (c["name"], c["status"]) for c in expected[part]
        ]
    assert {c["name"] for c in body["checks"]} >= {"quality", "backup"}
