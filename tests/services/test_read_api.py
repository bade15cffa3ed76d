"""The read API on a real uvicorn server: every route with good/missing/wrong keys, pages, ETags,
and a schemathesis run over its OpenAPI document (no 5xx, no answer outside the schema)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from service_world import MARKER_KEY, OTHER_KEY, Exchanges, Services, fuzz_openapi

from factories import put_rows

DAY = date(2026, 1, 20)
GRADED = date(2026, 1, 19)
WHEN = datetime(2026, 1, 20, 16, 0, tzinfo=UTC)
SYSTEMS = ("ensemble", "gbm")
PLAYERS = {201: ("Ryan Hayes", "MIL"), 202: ("Jalen Spencer", "MIA"), 203: ("Kai Hayes", "POR")}


def _prediction(player_id: int, system_id: str, day: date, rec: str, ev: float) -> dict[str, Any]:
    team = PLAYERS[player_id][1]
    return {
        "game_date": day,
        "game_id": f"00225{day:%m%d}01",
        "player_id": player_id,
        "team": team,
        "opponent": "BOS",
        "system_id": system_id,
        "model_version": "v1",
        "predicted_points": 14.5,
        "predicted_sd": 5.0,
        "q10": 8.0,
        "q50": 14.0,
        "q90": 21.0,
        "p_over": 0.58,
        "line": 13.5,
        "line_book": "draftkings",
        "line_snapshot_at": WHEN - timedelta(hours=2),
        "over_price": -110,
        "under_price": -110,
        "edge": 1.0,
        "expected_value": ev,
        "recommendation": rec,
        "stake": 0.01,
        "reasons": "minutes_trend",
        "feature_version": "f1",
        "feature_quality": 0.9,
        "as_of": WHEN,
        "run_id": "run-1",
        "created_at": WHEN,
    }


@pytest.fixture(scope="module")
def seeded(services: Services) -> Services:
    """Predictions for DAY, grades and daily performance for GRADED, players in the registry."""
    from nbaprops.warehouse import create_schema, open_warehouse

    warehouse = open_warehouse(services.settings["api"])
    try:
        create_schema(warehouse)
        predictions = [
            _prediction(pid, sid, day, rec, ev)
            for day in (DAY, GRADED)
            for sid in SYSTEMS
            for pid, rec, ev in ((201, "OVER", 0.12), (202, "UNDER", 0.08), (203, "PASS", 0.0))
        ]
        put_rows(warehouse, "predictions", predictions, when=WHEN, day=DAY)  # type: ignore[arg-type]
        put_rows(
            warehouse,  # type: ignore[arg-type]
            "player_registry",
            [
                {"player_id": p, "display_name": n, "player_lookup": n.lower(), "team": t}
                for p, (n, t) in PLAYERS.items()
            ],
            when=WHEN,
            day=DAY,
        )
        grades = [
            {
                "game_date": GRADED,
                "game_id": f"00225{GRADED:%m%d}01",
                "player_id": pid,
                "system_id": sid,
                "model_version": "v1",
                "predicted_points": 14.5,
                "actual_points": actual,
                "minutes": 31.0,
                "line": 13.5,
                "recommendation": rec,
                "result": result,
                "profit": profit,
                "clv_points": 0.5,
                "went_over": actual > 13.5,
                "graded_at": WHEN,
            }
            for sid in SYSTEMS
            for pid, rec, actual, result, profit in (
                (201, "OVER", 20.0, "WIN", 0.909),
                (202, "UNDER", 18.0, "LOSS", -1.0),
                (203, "PASS", 10.0, None, None),
            )
        ]
        put_rows(warehouse, "prediction_grades", grades, when=WHEN, day=GRADED)  # type: ignore[arg-type]
        daily = [
            {
                "game_date": GRADED - timedelta(days=d),
                "system_id": sid,
                "n": 3,
                "n_void": 0,
                "mae": 4.0 + d,
                "bias": 0.1,
                "n_picks": 2,
                "wins": 1,
                "hit_rate": 0.5,
                "roi": -0.05,
                "n_scored": 3,
                "brier": 0.24,
                "log_loss": 0.68,
                "ece": 0.03,
                "graded_at": WHEN,
            }
            for sid in SYSTEMS
            for d in range(10)
        ]
        put_rows(warehouse, "system_daily_performance", daily, when=WHEN, day=GRADED)  # type: ignore[arg-type]
    finally:
        warehouse.close()
    return services


ROUTES = [
    f"/v1/predictions/{DAY}",
    f"/v1/picks/{DAY}",
    "/v1/players/201",
    f"/v1/results/{GRADED}",
    "/v1/performance",
    "/v1/status",
]


@pytest.mark.parametrize("route", ROUTES)
def test_every_read_route_needs_a_good_key(route: str, seeded: Services, exchanges: Exchanges) -> None:
    url = seeded.urls["api"] + route
    missing = exchanges.call("GET", url)
    wrong = exchanges.call("GET", url, headers={"X-API-Key": "MARKERnotTheKey"})
    for response, reason in ((missing, "missing_api_key"), (wrong, "invalid_api_key")):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["reason"] == reason
        assert "etag" not in response.headers
    for key in (MARKER_KEY, OTHER_KEY):
        good = exchanges.call("GET", url, headers={"X-API-Key": key})
        assert good.status_code == 200, good.text
        assert good.headers["cache-control"] == "private, max-age=60"
        assert good.headers["etag"].startswith('"')


def _get(services: Services, exchanges: Exchanges, route: str, **headers: str) -> Any:
    return exchanges.call("GET", services.urls["api"] + route, headers={"X-API-Key": MARKER_KEY, **headers})


def test_predictions_of_a_date_are_paged_in_a_stable_order(seeded: Services, exchanges: Exchanges) -> None:
    whole = _get(seeded, exchanges, f"/v1/predictions/{DAY}").json()
    assert whole["page"] == {"page": 1, "page_size": 100, "total": 6, "next_page": None}
    assert [(i["player_id"], i["system_id"]) for i in whole["items"]] == [
        (p, s) for p in (201, 202, 203) for s in SYSTEMS
    ]
    assert whole["items"][0]["player_name"] == "Ryan Hayes"
    assert whole["as_of"] == "2026-01-20T16:00:00Z"
    pages = [_get(seeded, exchanges, f"/v1/predictions/{DAY}?page={n}&page_size=4").json() for n in (1, 2)]
    assert pages[0]["page"]["next_page"] == 2
    assert pages[1]["page"]["next_page"] is None
    assert pages[0]["items"] + pages[1]["items"] == whole["items"]
    one = _get(seeded, exchanges, f"/v1/predictions/{DAY}?system_id=gbm").json()
    assert {i["system_id"] for i in one["items"]} == {"gbm"}
    empty = _get(seeded, exchanges, "/v1/predictions/2026-02-01").json()
    assert empty["items"] == []
    assert empty["page"]["total"] == 0


def test_picks_are_one_systems_sides_best_ev_first(seeded: Services, exchanges: Exchanges) -> None:
    picks = _get(seeded, exchanges, f"/v1/picks/{DAY}").json()
    assert picks["system_id"] == "ensemble"
    assert [(i["player_id"], i["recommendation"]) for i in picks["items"]] == [(201, "OVER"), (202, "UNDER")]


def test_a_player_has_recent_graded_games_and_upcoming_predictions(
    seeded: Services, exchanges: Exchanges
) -> None:
    player = _get(seeded, exchanges, "/v1/players/201").json()
    assert (player["player_name"], player["team"]) == ("Ryan Hayes", "MIL")
    assert [(g["game_date"], g["result"], g["actual_points"]) for g in player["recent"]] == [
        (str(GRADED), "WIN", 20.0)
    ]
    assert [u["game_date"] for u in player["upcoming"]] == [str(DAY)]
    missing = _get(seeded, exchanges, "/v1/players/999999")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_results_carry_the_days_totals(seeded: Services, exchanges: Exchanges) -> None:
    results = _get(seeded, exchanges, f"/v1/results/{GRADED}?system_id=ensemble").json()
    assert results["totals"] == {
        "picks": 2,
        "wins": 1,
        "losses": 1,
        "pushes": 0,
        "voids": 0,
        "profit": -0.091,
    }
    assert len(results["items"]) == 3


def test_performance_covers_the_window_ending_at_the_last_graded_day(
    seeded: Services, exchanges: Exchanges
) -> None:
    week = _get(seeded, exchanges, "/v1/performance?window=7").json()
    assert (week["start"], week["end"]) == (str(GRADED - timedelta(days=6)), str(GRADED))
    ensemble = next(s for s in week["systems"] if s["system_id"] == "ensemble")
    assert (ensemble["days"], ensemble["n"], ensemble["n_picks"], ensemble["wins"]) == (7, 21, 14, 7)
    assert ensemble["mae"] == pytest.approx(7.0)  # days 0..6 back: MAE 4..10, equal N
    assert ensemble["hit_rate"] == pytest.approx(0.5)
    season = _get(seeded, exchanges, "/v1/performance?window=season").json()
    assert next(s for s in season["systems"] if s["system_id"] == "gbm")["days"] == 10
    assert _get(seeded, exchanges, "/v1/performance?window=9").status_code == 422


def test_status_reports_the_ledger(seeded: Services, exchanges: Exchanges) -> None:
    status = _get(seeded, exchanges, "/v1/status").json()
    assert status["latest_prediction_date"] == str(DAY)
    assert status["latest_graded_date"] == str(GRADED)
    assert isinstance(status["steps"], list)
    assert status["quarantined"] == 0


def test_a_current_etag_gets_304_without_a_body(seeded: Services, exchanges: Exchanges) -> None:
    first = _get(seeded, exchanges, f"/v1/picks/{DAY}")
    etag = first.headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = _get(seeded, exchanges, f"/v1/picks/{DAY}", **{"If-None-Match": header})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == "private, max-age=60"
    stale = _get(seeded, exchanges, f"/v1/picks/{DAY}", **{"If-None-Match": '"stale"'})
    assert stale.status_code == 200
    assert stale.content == first.content


@pytest.mark.parametrize(
    "route",
    [
        "/v1/predictions/2026-13-01",
        "/v1/predictions/today",
        f"/v1/predictions/{DAY}?page=0",
        f"/v1/predictions/{DAY}?page_size=501",
        f"/v1/predictions/{DAY}?system_id=DROP%20TABLE",
        "/v1/players/0",
        "/v1/players/abc",
        f"/v1/picks/{DAY}?system_id=../../etc",
    ],
)
def test_invalid_parameters_are_a_422_problem(route: str, seeded: Services, exchanges: Exchanges) -> None:
    response = _get(seeded, exchanges, route)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"]


def test_schemathesis_finds_no_server_error_and_no_schema_violation(seeded: Services) -> None:
    """Every operation of the OpenAPI document, generated inputs, each answer checked against it."""
    run = fuzz_openapi(seeded.urls["api"], max_examples=20)
    assert run.operations == 16  # /health, /health/detail, /pubsub/push, six typed routes, seven files
    assert run.calls >= 16 * 10, run.failures
    assert run.failures == []


def test_a_warehouse_not_yet_migrated_serves_predictions_with_no_top_features(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read API never alters tables: over a ``predictions`` table of an older version (no
    ``top_features`` column, no command run since the upgrade) it answers ``[]`` for them."""
    from dataclasses import replace

    from nbaprops.services.read_source import WarehouseReadSource
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import TABLES, create_schema
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    spec = TABLES["predictions"]
    old = replace(spec, columns=tuple(c for c in spec.columns if c.name != "top_features"))
    settings = load_settings(data_dir=tmp_path)
    monkeypatch.setitem(TABLES, "predictions", old)
    warehouse = DuckDBWarehouse(str(settings.resolved_warehouse_path), query_timeout_s=30)
    try:
        create_schema(warehouse)
        put_rows(
            warehouse,
            "predictions",
            [{"player_id": 201, "system_id": "gbm", "predicted_points": 14.0, "recommendation": "PASS"}],
            when=datetime(2026, 1, 20, 16, tzinfo=UTC),
            day=date(2026, 1, 20),
        )
    finally:
        warehouse.close()
    monkeypatch.undo()
    [served] = WarehouseReadSource(settings).predictions(date(2026, 1, 20), None)
    assert served.top_features == []
    assert served.predicted_points == 14.0
