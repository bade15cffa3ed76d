-- player_daily_cache: one row per player x game date D of the build range, from his games strictly
-- before D. Point in time by construction: every target row (player, D) is placed in the player's
-- timeline after his games before D; its windows are RANGE frames over `k` (the running count of
-- games played) that end at 1 PRECEDING, i.e. at the previous game played. Target rows carry NULL
-- stats, so they never count inside another row's frame (aggregates skip NULLs).
-- Seasons: "season" frames are partitioned by the row's season (the label every parser writes with
-- dates.season_of), so a season figure never mixes in an earlier season's games; scans that feed
-- only season figures also start at @season_start (the first day of the build start's season), a
-- constant lower bound on game_date that lets BigQuery prune partitions. "last N" frames cross
-- seasons on purpose (recent form carries over the summer).
WITH targets AS (
  SELECT player_id, game_id, game_date, season, team, opponent, is_home
  FROM upcoming_player_game_context
  WHERE game_date BETWEEN @start AND @end AND player_id IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY player_id, game_date ORDER BY player_lookup ASC NULLS FIRST) = 1
),
played AS (
  SELECT player_id, game_date, season, opponent, CAST(pts AS FLOAT64) AS pts, CAST(minutes AS FLOAT64) AS minutes,
         CAST(ftm AS FLOAT64) AS ftm, usage_rate
  FROM player_game_summary
  WHERE played AND minutes > 0 AND player_id IS NOT NULL AND game_date <= @end
  QUALIFY ROW_NUMBER() OVER (PARTITION BY player_id, game_id ORDER BY player_lookup ASC NULLS FIRST) = 1
),
timeline AS (
  SELECT player_id, game_date, season, opponent, pts, minutes, ftm, usage_rate, 1 AS is_game, FALSE AS is_target,
         CAST(NULL AS STRING) AS game_id, CAST(NULL AS STRING) AS team, CAST(NULL AS BOOL) AS is_home
  FROM played
  UNION ALL
  SELECT player_id, game_date, season, opponent, NULL, NULL, NULL, NULL, 0, TRUE, game_id, team, is_home
  FROM targets
),
keyed AS (
  SELECT *,
    -- a target sorts before a game of the same date, so its key is (games before D) + 1
    SUM(is_game) OVER (PARTITION BY player_id ORDER BY game_date ASC NULLS FIRST, is_game ASC NULLS FIRST
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) + 1 - is_game AS k
  FROM timeline
),
windowed AS (
  SELECT *,
    IF(is_game = 1, CAST(k AS FLOAT64), NULL) AS x
  FROM keyed
),
stats AS (
  SELECT player_id, game_date, game_id, team, opponent, is_home, is_target,
    COUNT(pts) OVER season AS games_played,
    MAX(IF(is_game = 1, game_date, NULL)) OVER history AS last_game_date,
    AVG(pts) OVER last3 AS points_avg_last_3,
    AVG(pts) OVER last5 AS points_avg_last_5,
    AVG(pts) OVER last10 AS points_avg_last_10,
    AVG(pts) OVER season AS points_avg_season,
    STDDEV_SAMP(pts) OVER last10 AS points_std_last_10,
    STDDEV_SAMP(pts) OVER season AS points_std_season,
    SAFE_DIVIDE(COVAR_SAMP(x, pts) OVER last10, VAR_SAMP(x) OVER last10) AS pts_slope_10g,
    SAFE_DIVIDE(SUM(pts) OVER last10, SUM(minutes) OVER last10) AS ppm_avg_last_10,
    LEAST(SAFE_DIVIDE(SUM(ftm) OVER last10, SUM(pts) OVER last10), 0.5) AS pct_free_throw,
    AVG(minutes) OVER last5 AS minutes_avg_last_5,
    AVG(minutes) OVER last10 AS minutes_avg_last_10,
    STDDEV_SAMP(minutes) OVER last10 AS minutes_std_last_10,
    AVG(minutes) OVER season AS minutes_avg_season,
    AVG(usage_rate) OVER last10 AS usage_rate_last_10
  FROM windowed
  WINDOW
    season AS (PARTITION BY player_id, season ORDER BY k ASC NULLS FIRST RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
    history AS (PARTITION BY player_id ORDER BY k ASC NULLS FIRST RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
    last3 AS (PARTITION BY player_id ORDER BY k ASC NULLS FIRST RANGE BETWEEN 3 PRECEDING AND 1 PRECEDING),
    last5 AS (PARTITION BY player_id ORDER BY k ASC NULLS FIRST RANGE BETWEEN 5 PRECEDING AND 1 PRECEDING),
    last10 AS (PARTITION BY player_id ORDER BY k ASC NULLS FIRST RANGE BETWEEN 10 PRECEDING AND 1 PRECEDING)
),
-- listed games (played or DNP) for the DNP rate, keyed the same way
listed AS (
  SELECT player_id, game_date, IF(played AND minutes > 0, 0.0, 1.0) AS dnp, 1 AS is_game
  FROM player_game_summary
  WHERE player_id IS NOT NULL AND game_date <= @end
  QUALIFY ROW_NUMBER() OVER (PARTITION BY player_id, game_id ORDER BY player_lookup ASC NULLS FIRST) = 1
  UNION ALL
  SELECT player_id, game_date, NULL, 0 FROM targets
),
listed_keyed AS (
  SELECT *,
    SUM(is_game) OVER (PARTITION BY player_id ORDER BY game_date ASC NULLS FIRST, is_game ASC NULLS FIRST
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) + 1 - is_game AS k
  FROM listed
),
dnp AS (
  SELECT player_id, game_date,
    AVG(dnp) OVER w AS dnp_rate_last_10
  FROM listed_keyed
  QUALIFY is_game = 0
  WINDOW w AS (PARTITION BY player_id ORDER BY k ASC NULLS FIRST RANGE BETWEEN 10 PRECEDING AND 1 PRECEDING)
),
vs_opponent AS (
  SELECT t.player_id, t.game_date, AVG(p.pts) AS avg_points_vs_opponent, COUNT(*) AS games_vs_opponent
  FROM targets AS t
  JOIN played AS p
    ON p.player_id = t.player_id AND p.opponent = t.opponent AND p.season IS NOT DISTINCT FROM t.season
    AND p.game_date < t.game_date AND p.game_date >= @season_start
  GROUP BY t.player_id, t.game_date
),
team_games AS (
  SELECT team, game_date, season, pace, offensive_rating AS off_rating, IF(win, 1.0, 0.0) AS win, 1 AS is_game
  FROM team_offense_game_summary
  WHERE game_date <= @end
  UNION ALL
  SELECT DISTINCT team, game_date, season, NULL, NULL, NULL, 0 FROM targets
),
team_keyed AS (
  SELECT *,
    SUM(is_game) OVER (PARTITION BY team ORDER BY game_date ASC NULLS FIRST, is_game ASC NULLS FIRST
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) + 1 - is_game AS k
  FROM team_games
),
team_context AS (
  SELECT team, game_date,
    COUNT(win) OVER season AS team_games,
    AVG(pace) OVER last10 AS team_pace,
    AVG(off_rating) OVER last10 AS team_off_rating,
    AVG(win) OVER season AS team_win_pct
  FROM team_keyed
  QUALIFY is_game = 0
  WINDOW
    season AS (PARTITION BY team, season ORDER BY k ASC NULLS FIRST RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
    last10 AS (PARTITION BY team ORDER BY k ASC NULLS FIRST RANGE BETWEEN 10 PRECEDING AND 1 PRECEDING)
)
SELECT
  s.player_id, s.game_date AS cache_date, s.game_id, s.team, s.opponent, s.is_home,
  s.games_played, s.last_game_date,
  s.points_avg_last_3, s.points_avg_last_5, s.points_avg_last_10, s.points_avg_season,
  s.points_std_last_10, s.points_std_season, s.pts_slope_10g, s.ppm_avg_last_10, s.pct_free_throw,
  s.minutes_avg_last_5, s.minutes_avg_last_10, s.minutes_std_last_10, s.minutes_avg_season,
  s.usage_rate_last_10, d.dnp_rate_last_10,
  v.avg_points_vs_opponent, COALESCE(v.games_vs_opponent, 0) AS games_vs_opponent,
  tc.team_games, tc.team_pace, tc.team_off_rating, tc.team_win_pct
FROM stats AS s
LEFT JOIN dnp AS d ON d.player_id = s.player_id AND d.game_date = s.game_date
LEFT JOIN vs_opponent AS v ON v.player_id = s.player_id AND v.game_date = s.game_date
LEFT JOIN team_context AS tc ON tc.team = s.team AND tc.game_date = s.game_date
WHERE s.is_target
