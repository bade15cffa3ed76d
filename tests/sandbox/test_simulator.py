"""The simulated season keeps the league's rules and lands inside the real NBA's realism bands."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from nbaprops.dates import EASTERN, game_date_of
from nbaprops.identity import player_lookup
from nbaprops.sandbox.books import IN_PLAY_AFTER
from nbaprops.sandbox.model import Season
from nbaprops.sandbox.realism import closing_lines, realism_report
from nbaprops.sandbox.simulator import generate_season
from nbaprops.sandbox.truth import write_truth

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def season() -> Season:
    return generate_season(2025, "2025-26")


@pytest.fixture(scope="module")
def report(season: Season) -> dict[str, float]:
    return realism_report(season)


def test_same_seed_gives_identical_season_and_other_seed_differs(season: Season) -> None:
    again = generate_season(2025, "2025-26")
    assert again.games == season.games
    assert again.box == season.box
    assert again.prop_lines == season.prop_lines
    assert again.injury_reports == season.injury_reports
    other = generate_season(2026, "2025-26")
    assert other.games != season.games


def test_every_team_plays_82_games_41_at_home_never_twice_a_day(season: Season) -> None:
    games = Counter[str]()
    home = Counter[str]()
    per_day: dict[date, list[str]] = defaultdict(list)
    for g in season.games:
        games[g.home] += 1
        games[g.away] += 1
        home[g.home] += 1
        per_day[g.game_date] += [g.home, g.away]
    assert len(season.games) == 1230
    assert set(games.values()) == {82}
    assert set(home.values()) == {41}
    assert all(len(teams) == len(set(teams)) for teams in per_day.values())
    assert max(len(t) // 2 for t in per_day.values()) <= 15


def test_no_three_games_in_three_days_and_back_to_backs_in_range(season: Season) -> None:
    dates: dict[str, list[date]] = defaultdict(list)
    for g in season.games:
        dates[g.home].append(g.game_date)
        dates[g.away].append(g.game_date)
    for ds in dates.values():
        assert all((c - a).days > 2 for a, c in zip(ds, ds[2:], strict=False))
        b2b = sum(1 for a, b in itertools.pairwise(ds) if (b - a).days == 1)
        assert 7 <= b2b <= 16


def test_calendar_runs_late_october_to_mid_april_with_dark_days(season: Season) -> None:
    assert season.first_date == date(2025, 10, 21)
    assert date(2026, 4, 8) <= season.last_date <= date(2026, 4, 15)
    played = set(season.games_by_date)
    assert date(2025, 11, 27) not in played  # Thanksgiving
    assert date(2025, 12, 24) not in played
    assert date(2025, 12, 25) in played
    all_star = [date(2026, 2, 12) + timedelta(days=k) for k in range(6)]
    assert not played & set(all_star)


def test_game_ids_follow_date_order_and_tips_are_eastern_evenings(season: Season) -> None:
    ids = [g.game_id for g in season.games]
    assert ids == sorted(ids)
    assert ids[0] == "0022500001"
    assert all(len(i) == 10 for i in ids)
    assert [g.tip_utc for g in season.games] == sorted(g.tip_utc for g in season.games)
    assert all(game_date_of(g.tip_utc) == g.game_date for g in season.games)
    assert any(g.tip_utc.date() != g.game_date for g in season.games)  # crosses UTC midnight
    assert any(g.tip_utc.astimezone(EASTERN).hour < 17 for g in season.games)  # afternoon games
    assert all(len(g.odds_event_id) == 32 and int(g.odds_event_id, 16) >= 0 for g in season.games)
    assert len({g.espn_id for g in season.games}) == 1230


def test_team_points_equal_player_points_and_periods(season: Season) -> None:
    for g in season.games:
        lines = season.box_by_game[g.game_id]
        home = sum(r.pts for r in lines if r.is_home)
        away = sum(r.pts for r in lines if not r.is_home)
        assert (home, away) == (g.home_score, g.away_score)
        assert len(g.home_periods) == len(g.away_periods) >= 4


def test_ties_go_to_overtime_and_overtime_is_rare(season: Season, report: dict[str, float]) -> None:
    for g in season.games:
        assert g.home_score != g.away_score
        if g.periods > 4:
            assert sum(g.home_periods[:4]) == sum(g.away_periods[:4])
    assert 0.03 <= report["overtime_share"] <= 0.08


def test_seconds_starters_and_plus_minus_per_team(season: Season) -> None:
    for g in season.games[:400]:
        for is_home in (True, False):
            lines = [r for r in season.box_by_game[g.game_id] if r.is_home == is_home]
            assert sum(r.seconds for r in lines) == 14400 + 1500 * (g.periods - 4)
            assert sum(r.starter for r in lines) == 5
            margin = (g.home_score - g.away_score) * (1 if is_home else -1)
            assert sum(r.plus_minus for r in lines) == 5 * margin
            assert all(r.seconds == 0 for r in lines if r.status != "played")


def test_realism_bands_match_the_real_league(report: dict[str, float]) -> None:
    assert 10.0 <= report["pts_mean"] <= 11.5
    assert 7.5 <= report["pts_sd"] <= 8.8
    assert 0.06 <= report["zero_pts_share"] <= 0.10
    assert 0.015 <= report["pts30_share"] <= 0.035
    assert 112 <= report["team_pts_mean"] <= 116
    assert 11 <= report["team_pts_sd"] <= 13.5
    assert 21.5 <= report["minutes_mean"] <= 25
    assert 0.25 <= report["not_played_share"] <= 0.35
    assert 0.53 <= report["home_win_share"] <= 0.60
    assert 420 <= report["players"] <= 510


def test_closing_line_is_as_good_as_the_real_market(report: dict[str, float]) -> None:
    assert 4.3 <= report["line_mae"] <= 5.2
    assert abs(report["line_bias"]) <= 0.5
    assert 0.45 <= report["line_over_share"] <= 0.52


def test_prop_lines_are_half_points_posted_before_tip_and_in_play(season: Season) -> None:
    tips = {g.game_id: g.tip_utc for g in season.games}
    books = set()
    for line in season.prop_lines[::7]:
        assert line.point % 1 == 0.5
        assert line.over_price <= -100 or line.over_price >= 100
        books.add(line.book)
    assert {"draftkings", "fanduel", "betmgm"} <= books
    for gid, times in season.snapshot_times.items():
        assert len([t for t in times if t < tips[gid]]) >= 3
        assert [t - tips[gid] for t in times if t >= tips[gid]] == list(IN_PLAY_AFTER)


def test_in_play_lines_lean_toward_the_result(season: Season) -> None:
    """In-play lines know part of the game: they sit nearer the final points than the pre-tip line."""
    tips = {g.game_id: g.tip_utc for g in season.games}
    points = {(r.game_id, r.player_id): r.pts for r in season.box if r.status == "played"}
    closing = closing_lines(season)
    late = [ln for ln in season.prop_lines if ln.snapshot_utc == tips[ln.game_id] + IN_PLAY_AFTER[-1]]
    pairs = [(ln, closing[(ln.game_id, ln.player_id)]) for ln in late if ln.book == "draftkings"]
    assert len(pairs) > 10_000
    assert all((ln.game_id, ln.player_id) in points for ln, _ in pairs)  # no line for who sat
    live_err = sum(abs(points[(ln.game_id, ln.player_id)] - ln.point) for ln, _ in pairs) / len(pairs)
    pre_err = sum(abs(points[(ln.game_id, ln.player_id)] - pre.point) for ln, pre in pairs) / len(pairs)
    assert live_err < 0.6 * pre_err
    totals = [gl.total for gl in season.game_lines]
    assert 205 <= sum(totals) / len(totals) <= 240


def test_player_out_on_last_report_before_tip_did_not_play(season: Season) -> None:
    tips = {g.game_id: g.tip_utc for g in season.games}
    played = {(r.game_id, r.player_id) for r in season.box if r.status == "played"}
    last: dict[tuple[str, int], str] = {}
    times = [r.published_utc for r in season.injury_reports]
    assert times == sorted(times)
    for rep in season.injury_reports:
        for e in rep.entries:
            if rep.published_utc < tips[e.game_id]:
                last[(e.game_id, e.player_id)] = e.status
    outs = [k for k, s in last.items() if s == "Out"]
    assert outs
    assert not [k for k in outs if k in played]
    late = [k for k, s in last.items() if s in ("Questionable", "Probable") and k not in played]
    assert late  # late scratches exist
    assert any(rep.not_submitted for rep in season.injury_reports)


def test_names_in_season_are_unique_and_include_hard_cases(season: Season) -> None:
    keys = [player_lookup(p.display_name) for p in season.players]
    assert len(keys) == len(set(keys))
    assert any("'" in p.display_name for p in season.players)
    assert any(p.bdl_name != p.display_name for p in season.players)
    assert 0.1 <= sum(p.draft_year is None for p in season.players) / len(season.players) <= 0.3


def test_truth_file_has_one_row_per_roster_player_game(season: Season, tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    rows = write_truth(season, path)
    assert rows == len(season.box)
    text = path.read_text(encoding="utf-8").splitlines()
    assert text[0] == "game_id,game_date,player_id,player_name,team,expected_pts,status"
    assert len(text) == rows + 1


def test_books_post_no_line_for_a_player_listed_out_before_the_snapshot(season: Season) -> None:
    tips = {g.game_id: g.tip_utc for g in season.games}
    reports_by_date = defaultdict(list)
    for rep in season.injury_reports:
        reports_by_date[rep.game_dates[0]].append(rep)
    checked = 0
    for g in season.games[::5]:
        for line in season.props_by_game[g.game_id]:
            seen = [r for r in reports_by_date[g.game_date] if line.snapshot_utc >= r.published_utc]
            seen = [r for r in seen if r.published_utc < tips[g.game_id]]
            if not seen:
                continue
            status = {e.player_id: e.status for e in seen[-1].entries if e.game_id == g.game_id}
            assert status.get(line.player_id) not in ("Out", "Doubtful")
            checked += 1
    assert checked > 1000


def test_statuses_evolve_through_the_day(season: Season) -> None:
    first: dict[tuple[str, int], str] = {}
    changed = Counter[tuple[str, str]]()
    for rep in season.injury_reports:
        for e in rep.entries:
            key = (e.game_id, e.player_id)
            if key in first and first[key] != e.status:
                changed[(first[key], e.status)] += 1
                first[key] = e.status
            first.setdefault(key, e.status)
    assert changed[("Questionable", "Out")] > 50
    assert changed[("Questionable", "Available")] + changed[("Questionable", "Probable")] > 50
    reasons = {e.reason for rep in season.injury_reports for e in rep.entries}
    assert {"G League - Two-Way", "Rest", "Personal Reasons"} <= reasons
    assert any(r.startswith("Injury/Illness - ") and "; " in r for r in reasons)
