"""``nbaprops publish``: the files a demo publishes, checked against their schemas and the warehouse."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from nbaprops.errors import QualityGateError
from nbaprops.publish import documents
from nbaprops.publish import performance as perf_module
from nbaprops.publish.schemas import KINDS, validator_for
from nbaprops.warehouse.duckdb import DuckDBWarehouse
from published_demo import Published


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _warehouse(published: Published) -> DuckDBWarehouse:
    return DuckDBWarehouse(str(published.settings.resolved_warehouse_path), query_timeout_s=30)


def test_every_published_file_is_valid_against_its_schema(published: Published) -> None:
    files = sorted(published.folder.rglob("*.json"))
    kinds_seen = set()
    for path in files:
        document = _load(path)
        kinds_seen.add(document["kind"])
        errors = [e.message for e in validator_for(document["kind"]).iter_errors(document)]
        assert errors == [], f"{path.relative_to(published.folder)}: {errors[:3]}"
        assert document["schema_version"] == documents.SCHEMA_VERSION
        assert document["generated_at"] is not None
        assert document["as_of"] is not None
    assert kinds_seen == set(KINDS)
    names = {str(p.relative_to(published.folder)) for p in files}
    for day in (published.day, published.graded_day):
        assert {f"tonight/{day}.json", f"picks/{day}.json"} <= names
    assert f"results/{published.graded_day}.json" in names
    assert f"results/{published.day}.json" not in names, "the demo date is not graded yet"
    assert {"performance.json", "status.json", "index.json"} <= names
    assert sum(n.startswith("players/") for n in names) > 100


def test_tonight_holds_every_prediction_of_the_date(published: Published) -> None:
    tonight = _load(published.folder / "tonight" / f"{published.day}.json")
    warehouse = _warehouse(published)
    try:
        [(rows, players)] = warehouse.query_rows(
            "SELECT count(*), count(DISTINCT player_id) FROM predictions WHERE game_date = ?", [published.day]
        )
        stored = warehouse.query_rows(
            "SELECT player_id, system_id, top_features FROM predictions WHERE game_date = ? "
            "QUALIFY row_number() OVER (PARTITION BY game_id, player_id, system_id "
            "ORDER BY created_at DESC, model_version DESC) = 1",
            [published.day],
        )
    finally:
        warehouse.close()
    assert sum(len(p["systems"]) for p in tonight["predictions"]) == rows
    # Each prediction carries its system's top features, exactly as the warehouse stored them.
    shown = {
        (p["player_id"], s["system_id"]): s["top_features"]
        for p in tonight["predictions"]
        for s in p["systems"]
    }
    assert {(pid, sid): json.loads(text) for pid, sid, text in stored} == shown
    for system in tonight["systems"]:
        mine = [top for (_, sid), top in shown.items() if sid == system]
        assert sum(bool(top) for top in mine) > 0.9 * len(mine), f"{system} explains too few predictions"
    blended = {f["feature"] for (_, sid), top in shown.items() if sid == "ensemble" for f in top}
    assert {"recent_form", "similar_games"} & blended, "the ensemble's reasons come from its members"
    assert {"points_avg_last_10", "minutes_avg_last_10"} & blended
    assert len(tonight["predictions"]) == players
    assert tonight["game_date"] == published.day.isoformat()
    assert {s["system_id"] for p in tonight["predictions"] for s in p["systems"]} == set(tonight["systems"])
    assert all(p["player_name"] for p in tonight["predictions"])
    assert tonight["as_of"] == documents.iso(published.settings.prediction_as_of(published.day))


def test_picks_are_the_systems_best_by_adjusted_ev_within_the_caps(published: Published) -> None:
    picks = _load(published.folder / "picks" / f"{published.day}.json")
    settings = published.settings
    assert picks["system_id"] == settings.publish_picks_system
    assert 0 < len(picks["picks"]) <= settings.publish_max_picks
    evs = [p["adjusted_ev"] for p in picks["picks"]]
    assert evs == sorted(evs, reverse=True)
    teams: dict[str, int] = {}
    for pick in picks["picks"]:
        teams[pick["team"]] = teams.get(pick["team"], 0) + 1
        assert pick["pick"] in ("OVER", "UNDER")
    assert max(teams.values()) <= settings.publish_max_picks_per_team
    tonight = _load(published.folder / "tonight" / f"{published.day}.json")
    predicted = sum(
        1 for p in tonight["predictions"] for s in p["systems"] if s["system_id"] == picks["system_id"]
    )
    assert len(picks["picks"]) + len(picks["passes"]) == predicted, "every prediction is a pick or a pass"
    assert all(entry["reason"] for entry in picks["passes"])
    assert sum(r["count"] for r in picks["pass_reasons"]) == len(picks["passes"])


def test_results_list_every_graded_pick_with_the_days_totals(published: Published) -> None:
    results = _load(published.folder / "results" / f"{published.graded_day}.json")
    warehouse = _warehouse(published)
    try:
        [(graded,)] = warehouse.query_rows(
            "SELECT count(*) FROM prediction_grades "
            "WHERE game_date = ? AND recommendation IN ('OVER', 'UNDER')",
            [published.graded_day],
        )
        daily = warehouse.query_rows(
            "SELECT system_id, n_picks, wins FROM system_daily_performance "
            "WHERE game_date = ? ORDER BY system_id",
            [published.graded_day],
        )
    finally:
        warehouse.close()
    assert len(results["picks"]) == graded > 0
    totals = {t["system_id"]: t for t in results["totals"]}
    for system_id, n_picks, wins in daily:
        assert totals[system_id]["n_picks"] == n_picks
        assert totals[system_id]["wins"] == wins


def test_players_show_recent_games_against_the_line_and_the_upcoming_distribution(
    published: Published,
) -> None:
    tonight = _load(published.folder / "tonight" / f"{published.day}.json")
    entry = next(p for p in tonight["predictions"] if p["line"] is not None)
    player = _load(published.folder / "players" / f"{entry['player_id']}.json")
    assert 0 < len(player["recent"]) <= published.settings.publish_recent_games
    assert all(g["game_date"] < published.day.isoformat() for g in player["recent"])
    for game in player["recent"]:
        if game["played"] and game["line"] is not None:
            expected = (
                "OVER"
                if game["points"] > game["line"]
                else "UNDER"
                if game["points"] < game["line"]
                else "PUSH"
            )
            assert game["result_vs_line"] == expected
    [upcoming] = player["upcoming"]
    assert upcoming["game_id"] == entry["game_id"]
    distribution = upcoming["distribution"]
    assert distribution["system_id"] == published.settings.publish_picks_system
    assert distribution["line"] == entry["line"]["value"]
    assert sum(distribution["probability"]) == pytest.approx(1.0, abs=0.01)


def test_performance_scores_each_window_beside_the_references(published: Published) -> None:
    performance = _load(published.folder / "performance.json")
    assert performance["last_graded_date"] == published.graded_day.isoformat()
    assert [w["window"] for w in performance["windows"]] == ["7d", "30d", "season"]
    season = performance["windows"][-1]
    ids = {s["system_id"] for s in season["systems"]}
    assert {"ensemble", "book_line", "last5_avg"} <= ids
    assert all(s["n"] == season["n_rows"] for s in season["systems"]), "every system on the same rows"
    assert {c["system_id"] for c in performance["calibration"]} == ids - {"book_line", "last5_avg"}
    assert all(sum(b["n"] for b in c["bins"]) > 0 for c in performance["calibration"])
    assert {d["system_id"] for d in performance["daily"]} >= {"ensemble"}
    warehouse = _warehouse(published)
    try:
        # What the next publish compares to reuse this document instead of scoring the season again.
        assert performance["inputs"] == perf_module.inputs(warehouse, published.day)
        assert performance["inputs"]["graded_rows"] > 0
    finally:
        warehouse.close()


def test_status_reports_the_ledger_and_sources_without_its_own_step(published: Published) -> None:
    status = _load(published.folder / "status.json")
    steps = {s["step"] for s in status["steps"]}
    assert {"grade", "feature_store"} <= steps
    assert "publish" not in steps
    assert status["healthy"] is True
    assert {s["source"] for s in status["sources"]} >= {"nbacom"}
    assert status["alerts"] == [] or all(a["message"] for a in status["alerts"])
    assert isinstance(status["quarantine"], list)


def test_the_index_lists_the_published_dates(published: Published) -> None:
    index = _load(published.folder / "index.json")
    assert index["latest_date"] == published.day.isoformat()
    assert index["tonight"] == [published.day.isoformat(), published.graded_day.isoformat()]
    assert index["results"] == [published.graded_day.isoformat()]


def test_publishing_again_gives_identical_files(published: Published) -> None:
    from nbaprops.publish.publisher import publish_date

    before = _digests(published.folder)
    warehouse = _warehouse(published)
    try:
        # The demo published the graded day, then the demo date; an earlier date published last
        # must not turn performance and status back to it.
        for day in (published.day, published.graded_day):
            publish_date(warehouse, published.settings, day)
        failed = warehouse.query_rows(
            "SELECT count(*) FROM run_ledger WHERE step = 'publish' AND status <> 'success'"
        )
    finally:
        warehouse.close()
    assert _digests(published.folder) == before
    assert failed == [(0,)]
    assert not list(published.folder.rglob(".tmp-*")), "no temporary file is left behind"


def test_a_date_without_predictions_fails_and_is_recorded(published: Published) -> None:
    from nbaprops.publish.publisher import publish_date

    warehouse = _warehouse(published)
    try:
        with pytest.raises(QualityGateError, match="no predictions"):
            publish_date(warehouse, published.settings, date(2025, 7, 1))
        rows = warehouse.query_rows(
            "SELECT status FROM run_ledger WHERE step = 'publish' AND game_date = ?", [date(2025, 7, 1)]
        )
    finally:
        warehouse.close()
    assert rows == [("failed",)]
    assert not (published.folder / "tonight" / "2025-07-01.json").exists()


def _row(player_id: int, team: str, recommendation: str, **extra: Any) -> dict[str, Any]:
    return {
        "game_id": "0022500001",
        "player_id": player_id,
        "player_name": f"Player {player_id}",
        "team": team,
        "opponent": "BOS",
        "tip_utc": datetime(2025, 11, 22, tzinfo=UTC),
        "recommendation": recommendation,
        "line": 10.5,
        "line_book": "draftkings",
        "over_price": -110,
        "under_price": -110,
        "predicted_points": 12.0,
        "p_over": 0.6,
        "p_push": 0.0,
        "expected_value": 0.1,
        "stake": 0.01,
        "reasons": "p=0.60 >= 0.55 and EV=+0.10 >= 0.03",
        "created_at": datetime(2025, 11, 21, 16, 5, tzinfo=UTC),
        "as_of": datetime(2025, 11, 21, 16, tzinfo=UTC),
        **extra,
    }


def test_picks_caps_turn_the_extra_picks_into_passes_with_the_cap_as_reason() -> None:
    rows = [_row(i, "NYK" if i < 4 else "LAL", "OVER") for i in range(6)]
    rows.append(_row(9, "LAL", "PASS", reasons="edge below threshold: OVER p=0.52 < 0.55"))
    doc = documents.picks(
        date(2025, 11, 21),
        rows,
        [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.0],
        system_id="ensemble",
        max_picks=3,
        max_per_team=2,
    )
    assert [p["player_id"] for p in doc["picks"]] == [0, 1, 4]
    reasons = {p["player_id"]: p["reason"] for p in doc["passes"]}
    assert reasons[2].startswith("cap: already 2")
    assert reasons[3].startswith("cap: already 2")
    assert reasons[5].startswith("cap: the day's 3")
    assert reasons[9].startswith("edge below threshold")
    assert doc["pass_reasons"] == [
        {"reason": "cap", "count": 3},
        {"reason": "edge below threshold", "count": 1},
    ]
    assert list(validator_for("picks").iter_errors(documents.clean(doc))) == []


def test_a_day_with_nothing_graded_has_empty_lists_not_missing_keys() -> None:
    doc = documents.results(date(2025, 11, 21), [], [])
    assert doc["picks"] == []
    assert doc["totals"] == []
    assert doc["generated_at"] is None
    assert json.loads(documents.encode(doc))["totals"] == []


def test_encoding_is_canonical_and_refuses_naive_times() -> None:
    one = documents.encode({"b": 1.123456789, "a": float("nan"), "c": [date(2025, 1, 2)]})
    assert one == b'{"a":null,"b":1.1235,"c":["2025-01-02"]}\n'
    with pytest.raises(ValueError, match="time zone"):
        documents.encode({"t": datetime(2025, 1, 1)})  # noqa: DTZ001


def test_clean_rounds_floats_drops_non_finite_and_writes_times_in_iso_at_every_depth() -> None:
    import numpy as np

    moment = datetime(2025, 11, 29, 19, 30, 5, tzinfo=UTC)
    value = {
        "f": 1.234567,
        "tiny": -0.00001,
        "nan": float("nan"),
        "inf": [float("inf"), -float("inf"), 2.5],
        "when": moment,
        "day": date(2025, 11, 29),
        3: (np.float64(0.123456), np.int64(7), True, None, "x"),
        "nested": [{"a": [moment, {"b": 0.99999}]}],
    }
    assert documents.clean(value) == {
        "f": 1.2346,
        "tiny": 0.0,
        "nan": None,
        "inf": [None, None, 2.5],
        "when": "2025-11-29T19:30:05Z",
        "day": "2025-11-29",
        "3": [0.1235, 7, True, None, "x"],
        "nested": [{"a": ["2025-11-29T19:30:05Z", {"b": 1.0}]}],
    }
    assert str(documents.clean(-0.00001)) == "0.0"  # never "-0.0"
    with pytest.raises(TypeError, match="cannot publish a set"):
        documents.clean({"s": {1, 2}})


def test_top_features_of_rows_from_before_they_were_stored_are_an_empty_list() -> None:
    assert documents.top_features(None) == []  # a warehouse migrated from an older version
    stored = '[{"feature":"points_avg_last_10","contribution_points":2.125,"value":24.3},' + (
        '{"feature":"similar_games","contribution_points":-0.5,"value":null}]'
    )
    assert documents.top_features(stored) == [
        {"feature": "points_avg_last_10", "contribution_points": 2.125, "value": 24.3},
        {"feature": "similar_games", "contribution_points": -0.5, "value": None},
    ]
    with pytest.raises(TypeError, match="JSON list"):
        documents.top_features('{"feature": "x"}')


def test_a_publish_that_keeps_unchanged_player_files_equals_a_full_publish(
    published: Published, tmp_path: Path
) -> None:
    """One game re-predicted: only its players' files are built again, and the lake ends byte for
    byte where a full publish into an empty lake ends."""
    import shutil

    from nbaprops.lake import lake_at
    from nbaprops.publish.publisher import PLAYER_KEYS, publish_date

    source = published.settings.resolved_warehouse_path
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(source, copy)
    kept_lake, full_lake = tmp_path / "kept", tmp_path / "full"
    warehouse = DuckDBWarehouse(str(copy), query_timeout_s=30)
    try:
        kept = lake_at(str(kept_lake), published.settings)
        first = publish_date(warehouse, published.settings, published.day, lake=kept)
        again = publish_date(warehouse, published.settings, published.day, lake=kept)
        [(game_id,)] = warehouse.query_rows(
            "SELECT min(game_id) FROM predictions WHERE game_date = ?", [published.day]
        )
        moved = warehouse.query_rows(
            "SELECT DISTINCT player_id FROM predictions WHERE game_date = ? AND game_id = ?",
            [published.day, game_id],
        )
        warehouse.execute(
            "UPDATE predictions SET predicted_points = predicted_points + 1.5, "
            "created_at = created_at + INTERVAL 1 HOUR WHERE game_date = ? AND game_id = ?",
            [published.day, game_id],
        )
        changed = publish_date(warehouse, published.settings, published.day, lake=kept)
        full = publish_date(
            warehouse, published.settings, published.day, lake=lake_at(str(full_lake), published.settings)
        )
    finally:
        warehouse.close()
    assert first.players_kept == 0
    assert again.players_kept == again.players == first.players > 0
    assert changed.players_kept == changed.players - len(moved) > 0
    assert full.players_kept == 0
    assert sorted(changed.files) == sorted(full.files)
    assert _digests(kept_lake / "publish") == _digests(full_lake / "publish")
    assert _load(kept_lake / PLAYER_KEYS) == _load(full_lake / PLAYER_KEYS)
    moved_file = _load(kept_lake / "publish" / "players" / f"{moved[0][0]}.json")
    assert moved_file["generated_at"] is not None
    assert not list(kept_lake.rglob(".tmp-*"))


def test_a_lost_player_file_or_a_full_publish_writes_it_again(published: Published, tmp_path: Path) -> None:
    from nbaprops.lake import lake_at
    from nbaprops.publish.publisher import publish_date

    lake = lake_at(str(tmp_path), published.settings)
    warehouse = _warehouse(published)
    try:
        first = publish_date(warehouse, published.settings, published.day, lake=lake)
        before = _digests(tmp_path / "publish")
        lost = sorted((tmp_path / "publish" / "players").glob("*.json"))[0]
        lost.unlink()
        second = publish_date(warehouse, published.settings, published.day, lake=lake)
        after_loss = _digests(tmp_path / "publish")
        forced = publish_date(warehouse, published.settings, published.day, lake=lake, full=True)
    finally:
        warehouse.close()
    assert second.players_kept == first.players - 1
    assert after_loss == before
    assert forced.players_kept == 0
    assert _digests(tmp_path / "publish") == before
