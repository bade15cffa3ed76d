"""A saved archive of the sandbox league: the payloads a daily scrape would have stored, per date.

``write_archive`` renders each game date's payloads with the same renderers the sandbox server
uses and puts them in a lake (same layout, same bytes as a scrape over HTTP would store). It is
the fast way to build a season of history for tests and benchmarks, and an archive a user can
replay with ``nbaprops ingest --from-dir``.

What a date D holds (as fetched the morning after D, except pre-tip data which is fetched before
each tip): the NBA.com player game log of D, Ball Don't Lie box scores of D, the last injury report
published at or before D's daily prediction time (``prediction_minute_et``, minutes after ET
midnight) and the last one published before D's first tip (each stored at its publication time),
The Odds API historical events at the last snapshot before the first tip, and for every game its
event odds (player points, spreads, totals, American prices) at the opening, the last pre-tip and the
last in-play snapshot (``archived_snapshots``). Optionally play-by-play. The season schedule and the
player index (rosters) are stored once, undated.

The archive deliberately holds what a prediction made at 11:00 ET must not read (the evening report
with its late ruled-outs, the closing and in-play lines): the point-in-time tests need those to be
there to prove they are ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from nbaprops.dates import et_datetime
from nbaprops.progress import track

if TYPE_CHECKING:
    from nbaprops.lake import Lake
    from nbaprops.sandbox.model import Season, SimGame

JSON = "application/json"
ODDS_PARAMS = {
    "regions": "us",
    "markets": "player_points,spreads,totals",
    "oddsFormat": "american",
    "bookmakers": "draftkings,fanduel,betmgm",
}


@dataclass(frozen=True, slots=True)
class ArchiveReport:
    """What ``write_archive`` stored."""

    dates: int
    payloads: int
    bytes: int


def _json(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def archived_snapshots(season: Season, game: SimGame) -> tuple[datetime, ...]:
    """The odds snapshots a date keeps for ``game``: opening, last pre-tip, and the last in-play one.

    The opening line (10:00 ET) is the one a morning prediction reads; the closing and in-play
    lines are published after it, so the point-in-time checks have something to refuse. The
    snapshots in between are left out: each costs as much to ingest as the rest of the date.
    """
    times = sorted(season.snapshot_times.get(game.game_id, ()))
    before = [t for t in times if t < game.tip_utc]
    after = [t for t in times if t >= game.tip_utc]
    return tuple(dict.fromkeys([*before[:1], *before[-1:], *after[-1:]]))


def write_archive(
    season: Season,
    lake: Lake,
    *,
    start: date | None = None,
    end: date | None = None,
    with_pbp: bool = False,
    with_schedule: bool = True,
    prediction_minute_et: int = 11 * 60,
) -> ArchiveReport:
    """Store every game date from ``start`` to ``end`` (default: the whole season) in ``lake``."""
    from nbaprops.dates import season_of
    from nbaprops.sandbox import (
        injury_pdf,
        render_bdl,
        render_nbacom,
        render_odds,
        render_pbp,
        render_schedule,
    )

    first, last = start or season.first_date, end or season.last_date
    days = [d for d in sorted(season.games_by_date) if first <= d <= last]
    query = render_odds.OddsQuery.parse(dict(ODDS_PARAMS))
    grid = render_odds.all_snapshot_times(season)
    payloads = stored_bytes = 0

    def put(
        source: str, endpoint: str, day: date | None, body: bytes, at: datetime, *, ctype: str = JSON
    ) -> None:
        nonlocal payloads, stored_bytes
        lake.put(
            source, endpoint, day, body, fetched_at=at, content_type=ctype, meta={"origin": "sandbox-archive"}
        )
        payloads += 1
        stored_bytes += len(body)

    if days and with_schedule:
        after = et_datetime(days[-1] + timedelta(days=1), 6)
        put("nbacom", "schedule", None, _json(render_schedule.schedule_payload(season, after)), after)
        # The season's rosters (NBA.com player index), so players who have not played yet are known.
        roster_params = {
            "Historical": "0",
            "LeagueID": "00",
            "Season": season.label,
            "SeasonType": "Regular Season",
            "TeamID": "0",
        }
        first_morning = et_datetime(days[0], 9)
        put(
            "nbacom",
            "playerindex",
            None,
            _json(render_nbacom.playerindex_payload(season, first_morning, roster_params)),
            first_morning,
        )
    for day in track(days, "archive: sandbox game days written", note=date.isoformat):
        games = season.games_by_date[day]
        morning_after = et_datetime(day + timedelta(days=1), 6)
        first_tip = min(g.tip_utc for g in games)
        params = {
            "Counter": "1000",
            "Direction": "DESC",
            "LeagueID": "00",
            "PlayerOrTeam": "P",
            "Season": season_of(day),
            "SeasonType": "Regular Season",
            "Sorter": "DATE",
            "DateFrom": day.strftime("%m/%d/%Y"),
            "DateTo": day.strftime("%m/%d/%Y"),
        }
        put(
            "nbacom",
            "leaguegamelog",
            day,
            _json(render_nbacom.leaguegamelog_payload(season, morning_after, params)),
            morning_after,
        )
        put(
            "bdl",
            "box_scores",
            day,
            _json(render_bdl.box_scores_payload(season, morning_after, day)),
            morning_after,
        )
        reports = [r for r in injury_pdf.published_reports(season, first_tip) if day in r.game_dates]
        prediction_at = et_datetime(day, prediction_minute_et // 60, prediction_minute_et % 60)
        morning = [r for r in reports if r.published_utc <= prediction_at]
        chosen = morning[-1:] + [r for r in reports[-1:] if not morning or r is not morning[-1]]
        for report in chosen:
            put(
                "nbacom",
                "injury_report",
                day,
                injury_pdf.report_pdf(season, report),
                report.published_utc,
                ctype="application/pdf",
            )
        before_tip = first_tip - timedelta(minutes=5)
        put(
            "oddsapi",
            "historical_events",
            day,
            _json(render_odds.historical_events_payload(season, before_tip, before_tip, grid)),
            before_tip,
        )
        for game in games:
            for at in archived_snapshots(season, game):
                answer = render_odds.historical_event_odds_payload(season, at, game, at, query)
                if answer is not None:
                    put("oddsapi", "historical_event_odds", day, _json(answer[0]), at)
            if with_pbp:
                pbp = render_pbp.playbyplay_payload(season, morning_after, game.game_id)
                if pbp is not None:
                    put("nbacom", "playbyplay", day, _json(pbp), morning_after)
    return ArchiveReport(len(days), payloads, stored_bytes)
