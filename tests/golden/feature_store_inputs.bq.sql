/* Raw values of every contract feature, one row per player x game date D x as-of kind, joined from */
/* the precompute tables (all strictly before D) and the upcoming context of that as-of (snapshots */
/* published at or before its as_of). features/store.py applies defaults, per-feature source/quality */
/* and the predictability rule. */
/* Every joined table is read through a block that keeps only the range's dates, with the */
/* constant bounds in that block's WHERE: BigQuery prunes a table's partitions on a constant filter */
/* next to the table, not on a join's equality (its dry run counts every partition otherwise). */
WITH targets AS (
  SELECT
    player_id,
    game_id,
    game_date,
    as_of_kind,
    as_of,
    team,
    opponent,
    is_home,
    tip_utc,
    injury_status,
    points_line,
    opening_line,
    line_movement,
    team_spread,
    game_total
  FROM upcoming_player_game_context
  WHERE
    game_date BETWEEN @start AND @end AND NOT player_id IS NULL
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY player_id, game_date, as_of_kind
      ORDER BY player_lookup ASC, game_id ASC
    ) = 1
), book_lines AS (
  /* each book's last points line at the as_of, for the spread of lines across books */
  SELECT
    t.player_id,
    t.game_date,
    t.as_of_kind,
    p.book,
    p.point,
    ROW_NUMBER() OVER (
      PARTITION BY t.player_id, t.game_date, t.as_of_kind, p.book
      ORDER BY p.snapshot_at DESC
    ) AS rn
  FROM targets AS t
  JOIN raw_oddsa_player_props AS p
    ON p.player_id = t.player_id
    AND p.game_id = t.game_id
    AND p.market = 'player_points'
    AND p.snapshot_at <= t.as_of
  /* a game's props carry its date (game_id was matched on it): the same rows, pruned */
  WHERE
    p.game_date BETWEEN @start AND @end
), cache AS (
  SELECT
    player_id,
    cache_date,
    games_played,
    last_game_date,
    points_avg_last_5,
    points_avg_last_10,
    points_avg_season,
    points_std_last_10,
    points_std_season,
    points_avg_last_3,
    pts_slope_10g,
    ppm_avg_last_10,
    pct_free_throw,
    minutes_avg_last_10,
    minutes_std_last_10,
    minutes_avg_last_5,
    minutes_avg_season,
    usage_rate_last_10,
    dnp_rate_last_10,
    avg_points_vs_opponent,
    games_vs_opponent,
    team_pace,
    team_off_rating,
    team_win_pct
  FROM player_daily_cache
  WHERE
    cache_date BETWEEN @start AND @end
), factors AS (
  SELECT
    player_id,
    game_date,
    as_of_kind,
    usage_spike_score,
    days_rest,
    back_to_back,
    games_in_last_7_days,
    minutes_load_last_7d,
    fatigue_score,
    rest_advantage,
    pace_score,
    shot_zone_mismatch_score,
    star_teammates_out
  FROM player_composite_factors
  WHERE
    game_date BETWEEN @start AND @end
), defense AS (
  SELECT
    team,
    analysis_date,
    def_rating,
    pace
  FROM team_defense_zone_analysis
  WHERE
    analysis_date BETWEEN @start AND @end
), zones AS (
  SELECT
    player_id,
    analysis_date,
    share_two,
    share_three,
    fta_per_fga
  FROM player_shot_zone_analysis
  WHERE
    analysis_date BETWEEN @start AND @end
), absence AS (
  SELECT
    player_id,
    game_date,
    as_of_kind,
    teammates_out_minutes,
    teammates_out_usage
  FROM player_teammate_absence
  WHERE
    game_date BETWEEN @start AND @end
), matchup AS (
  SELECT
    player_id,
    game_date,
    share_paint,
    share_mid,
    share_corner3,
    share_above_break3,
    zone_points_delta
  FROM player_zone_matchup
  WHERE
    game_date BETWEEN @start AND @end
), line_spread AS (
  SELECT
    player_id,
    game_date,
    as_of_kind,
    STDDEV_POP(point) AS multi_book_line_std
  FROM book_lines
  WHERE
    rn = 1
  GROUP BY
    player_id,
    game_date,
    as_of_kind
)
SELECT
  t.player_id,
  t.game_date,
  t.as_of_kind,
  t.as_of,
  t.game_id,
  t.team,
  t.opponent,
  t.tip_utc,
  c.games_played,
  c.last_game_date,
  c.points_avg_last_5,
  c.points_avg_last_10,
  c.points_avg_season,
  c.points_std_last_10,
  c.points_avg_last_3,
  c.pts_slope_10g,
  IF(
    c.games_played >= 2,
    (
      c.points_avg_last_5 - c.points_avg_season
    ) / GREATEST(COALESCE(c.points_std_season, 0), 1),
    NULL
  ) AS pts_vs_season_zscore,
  c.ppm_avg_last_10,
  c.pct_free_throw,
  c.minutes_avg_last_10,
  c.minutes_std_last_10,
  SAFE_DIVIDE(c.minutes_avg_last_5, c.minutes_avg_season) - 1 AS minutes_change,
  c.usage_rate_last_10,
  c.dnp_rate_last_10,
  f.usage_spike_score,
  f.days_rest,
  f.back_to_back,
  f.games_in_last_7_days,
  f.minutes_load_last_7d,
  f.fatigue_score,
  f.rest_advantage,
  d.def_rating AS opponent_def_rating,
  d.pace AS opponent_pace,
  f.pace_score,
  f.shot_zone_mismatch_score,
  c.avg_points_vs_opponent,
  CAST(c.games_vs_opponent AS FLOAT64) AS games_vs_opponent,
  IF(t.is_home, 1.0, 0.0) AS home_away,
  c.team_pace,
  c.team_off_rating,
  c.team_win_pct,
  CASE LOWER(t.injury_status)
    WHEN 'available'
    THEN 0.0
    WHEN 'probable'
    THEN 1.0
    WHEN 'questionable'
    THEN 2.0
    WHEN 'doubtful'
    THEN 3.0
    WHEN 'out'
    THEN 3.0
    ELSE IF(t.injury_status IS NULL, 0.0, NULL)
  END AS injury_risk,
  f.star_teammates_out,
  z.share_two AS pct_two,
  z.share_three AS pct_three,
  z.fta_per_fga,
  t.points_line AS vegas_points_line,
  t.opening_line AS vegas_opening_line,
  t.line_movement AS vegas_line_move,
  IF(t.points_line IS NULL, 0.0, 1.0) AS has_vegas_line,
  ls.multi_book_line_std,
  t.game_total AS game_total_line,
  ABS(t.team_spread) AS spread_magnitude,
  (
    t.game_total - t.team_spread
  ) / 2 AS implied_team_total,
  ta.teammates_out_minutes,
  ta.teammates_out_usage,
  zm.share_paint AS pbp_share_paint,
  zm.share_mid AS pbp_share_mid,
  zm.share_corner3 AS pbp_share_corner3,
  zm.share_above_break3 AS pbp_share_above_break3,
  zm.zone_points_delta AS pbp_zone_points_delta
FROM targets AS t
LEFT JOIN cache AS c
  ON c.player_id = t.player_id AND c.cache_date = t.game_date
LEFT JOIN factors AS f
  ON f.player_id = t.player_id
  AND f.game_date = t.game_date
  AND f.as_of_kind = t.as_of_kind
LEFT JOIN defense AS d
  ON d.team = t.opponent AND d.analysis_date = t.game_date
LEFT JOIN zones AS z
  ON z.player_id = t.player_id AND z.analysis_date = t.game_date
LEFT JOIN line_spread AS ls
  ON ls.player_id = t.player_id
  AND ls.game_date = t.game_date
  AND ls.as_of_kind = t.as_of_kind
LEFT JOIN absence AS ta
  ON ta.player_id = t.player_id
  AND ta.game_date = t.game_date
  AND ta.as_of_kind = t.as_of_kind
LEFT JOIN matchup AS zm
  ON zm.player_id = t.player_id AND zm.game_date = t.game_date
