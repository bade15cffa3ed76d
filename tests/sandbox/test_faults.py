"""Fault injection: every kind is produced when queued, chance faults are deterministic, specs are checked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from test_server import BDL_KEY, D1, ODDS_KEY, SEASON, TIP1

from nbaprops.errors import ConfigError
from nbaprops.sandbox.faults import FAULT_KINDS, FaultPlan, damage
from nbaprops.sandbox.runner import serve_in_thread
from nbaprops.sandbox.server import SandboxClock, create_app

PLAN = FaultPlan(hang_s=5.0, retry_after_s=7)


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    app = create_app(
        SEASON,
        clock=SandboxClock(TIP1 + timedelta(hours=3)),
        faults=PLAN,
        bdl_key=BDL_KEY,
        odds_key=ODDS_KEY,
        odds_quota=1000,
    )
    with serve_in_thread(app) as running, httpx.Client(base_url=running.base_url, timeout=10) as c:
        yield c


def _queue(client: httpx.Client, prefix: str, kind: str, count: int = 1) -> None:
    reply = client.post("/_sandbox/faults", json={"prefix": prefix, "kind": kind, "count": count})
    assert reply.status_code == 200


def _box(client: httpx.Client) -> httpx.Response:
    return client.get("/v1/box_scores", params={"date": D1.isoformat()}, headers={"Authorization": BDL_KEY})


def test_queued_rate_limit_is_429_with_retry_after(client: httpx.Client) -> None:
    _queue(client, "/v1/", "rate_limit")
    limited = _box(client)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
    assert _box(client).status_code == 200  # one queued fault, one bad response


def test_queued_server_errors_come_as_a_burst(client: httpx.Client) -> None:
    _queue(client, "/stats/", "server_error", count=3)
    codes = [
        client.get("/stats/scoreboardv2", params={"GameDate": "10/21/2025"}).status_code for _ in range(4)
    ]
    assert codes == [502, 502, 502, 200]


def test_queued_fault_only_hits_its_prefix(client: httpx.Client) -> None:
    _queue(client, "/v4/", "server_error")
    assert _box(client).status_code == 200
    assert client.get("/_sandbox/faults").json()["queued"] == [{"prefix": "/v4/", "kind": "server_error"}]
    client.delete("/_sandbox/faults")
    assert client.get("/_sandbox/faults").json()["queued"] == []


def test_queued_hang_outlasts_the_client_timeout(client: httpx.Client) -> None:
    _queue(client, "/v1/", "hang")
    with pytest.raises(httpx.ReadTimeout):
        client.get("/v1/teams", headers={"Authorization": BDL_KEY}, timeout=0.3)


def test_truncated_and_malformed_bodies_are_not_json(client: httpx.Client) -> None:
    for kind in ("truncate", "malformed"):
        _queue(client, "/v1/", kind)
        damaged = _box(client)
        assert damaged.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(damaged.content)


def test_empty_fault_is_valid_json_with_no_rows(client: httpx.Client) -> None:
    _queue(client, "/stats/", "empty")
    body = client.get("/stats/leaguegamelog", params={"PlayerOrTeam": "P"}).json()
    assert body["resultSets"][0]["rowSet"] == []
    _queue(client, "/v1/", "empty")
    assert _box(client).json() == {"data": []}


def test_rename_fault_renames_a_field_parsers_read(client: httpx.Client) -> None:
    _queue(client, "/v1/", "rename")
    row = _box(client).json()["data"][0]["home_team"]["players"][0]
    assert "points" in row
    assert "pts" not in row
    _queue(client, "/stats/", "rename")
    headers = client.get("/stats/leaguegamelog", params={"PlayerOrTeam": "P"}).json()["resultSets"][0][
        "headers"
    ]
    assert "POINTS" in headers
    assert "PTS" not in headers


def test_chance_faults_are_deterministic_for_a_seed() -> None:
    def draws(seed: int) -> list[str | None]:
        plan = FaultPlan.parse("rate_limit=0.2,server_error=0.1,truncate=0.1", seed=seed)
        return [plan.next_fault(f"/v1/games?{i}") for i in range(200)]

    first = draws(3)
    assert first == draws(3)
    assert first != draws(4)
    assert {"rate_limit", "server_error", "truncate", None} == set(first)


def test_a_random_5xx_starts_a_burst_on_the_same_source() -> None:
    plan = FaultPlan({"server_error": 1.0}, burst=3)
    assert plan.next_fault("/v1/games") == "server_error"
    plan.rates.clear()  # from here on only the burst can fail requests
    assert plan.next_fault("/v4/sports") is None
    assert [plan.next_fault("/v1/teams") for _ in range(3)] == ["server_error", "server_error", None]


@pytest.mark.parametrize("spec", ["bogus=0.1", "hang", "hang=x", "hang=1.5", "hang=0.6,rate_limit=0.6"])
def test_bad_fault_specs_are_config_errors(spec: str) -> None:
    with pytest.raises(ConfigError):
        FaultPlan.parse(spec)


def test_damage_leaves_bodies_alone_for_status_faults() -> None:
    body = b'{"data":[{"pts":3}]}'
    for kind in FAULT_KINDS:
        if kind in {"rate_limit", "server_error", "hang"}:
            assert damage(kind, body, "application/json") == body
    assert damage("empty", b"%PDF-1.4 ...", "application/pdf") == b""
