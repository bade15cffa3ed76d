"""The sandbox archive: a date range's daily payloads, rendered straight into a lake."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from nbaprops.dates import EASTERN
from nbaprops.lake import FsspecLake
from nbaprops.raw.registry import maybe_gunzip, parser_for
from nbaprops.sandbox.archive import write_archive
from nbaprops.sandbox.model import Season

KIND_OF = {
    ("nbacom", "schedule"): "nbac_schedule_api",
    ("nbacom", "playerindex"): "nbac_player_list",
    ("nbacom", "leaguegamelog"): "nbac_player_boxscore",
    ("bdl", "box_scores"): "bdl_box_scores",
    ("nbacom", "injury_report"): "nbac_injury_report",
    ("oddsapi", "historical_events"): "oddsa_events_his",
    ("oddsapi", "historical_event_odds"): "oddsa_player_props",
}


def test_archive_holds_every_kind_for_each_date_and_all_of_it_parses(
    sandbox_season: Season, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    import fsspec

    lake = FsspecLake(fsspec.filesystem("file"), str(tmp_path / "lake"))
    days = sorted(sandbox_season.games_by_date)[10:13]
    report = write_archive(sandbox_season, lake, start=days[0], end=days[-1])
    objects = lake.list()
    assert report.dates == 3
    assert report.payloads == len(objects)
    kinds = {(o.source, o.endpoint) for o in objects}
    assert kinds == set(KIND_OF)
    games = sum(len(sandbox_season.games_by_date[d]) for d in days)
    rows_by_kind: dict[str, int] = {}
    for obj in objects:
        rows = parser_for(KIND_OF[(obj.source, obj.endpoint)]).parse(maybe_gunzip(lake.get(obj.path)))
        rows_by_kind[KIND_OF[(obj.source, obj.endpoint)]] = rows_by_kind.get(
            KIND_OF[(obj.source, obj.endpoint)], 0
        ) + len(rows)
    # Box scores: every game of the three dates has NBA.com rows for players who played.
    played = sum(
        1
        for d in days
        for g in sandbox_season.games_by_date[d]
        for line in sandbox_season.box_by_game[g.game_id]
        if line.status == "played"
    )
    assert rows_by_kind["nbac_player_boxscore"] == played
    # opening, closing and one in-play snapshot per game
    assert sum(1 for o in objects if o.endpoint == "historical_event_odds") == 3 * games
    # per date, the morning report (before an 11:00 ET prediction) and the last before the first tip
    reports = [o for o in objects if o.endpoint == "injury_report"]
    assert len(reports) == 2 * len(days)
    hours = sorted({o.fetched_at.astimezone(EASTERN).strftime("%H:%M") for o in reports})
    assert hours[0] == "10:30"
    assert hours[-1] > "17:00"


def test_archived_odds_hold_pre_tip_and_in_play_snapshots(sandbox_season: Season, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import fsspec

    lake = FsspecLake(fsspec.filesystem("file"), str(tmp_path / "lake"))
    day = sorted(sandbox_season.games_by_date)[40]
    write_archive(sandbox_season, lake, start=day, end=day, with_schedule=False)
    tips = {g.odds_event_id: g.tip_utc for g in sandbox_season.games_by_date[day]}
    odds = lake.list(source="oddsapi", endpoint="historical_event_odds")
    before: dict[str, int] = {}
    after: dict[str, int] = {}
    for obj in odds:
        document = json.loads(lake.get(obj.path))
        snapshot = datetime.fromisoformat(document["timestamp"].replace("Z", "+00:00"))
        tip = tips[document["data"]["id"]]
        assert obj.fetched_at == snapshot
        assert abs(tip - snapshot) >= timedelta(minutes=5)  # never a snapshot at the tip itself
        side = before if snapshot < tip else after
        side[document["data"]["id"]] = side.get(document["data"]["id"], 0) + 1
    assert set(before) == set(after) == set(tips)
    assert set(before.values()) == {2}
    assert set(after.values()) == {1}
