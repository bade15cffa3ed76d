/* Inputs of the composite factors (features/composite.py turns them into scores), one row per */
/* player x game date D x as-of kind. Games are strictly before D: load windows are RANGE frames over */
/* the day number that end at 1 PRECEDING (the day before D); teammates out come from the injury */
/* status at the row's as_of (injury_status), their usage from their games of D's season before D */
/* (read from @season_start, the first day of the build start's season: a constant bound for */
/* partition pruning). Rest and load windows cross seasons on purpose: the previous game played is */
/* the previous game, whatever the season (days of rest are capped at 10 anyway). */
WITH targets AS (
  SELECT
    player_id,
    game_id,
    game_date,
    season,
    as_of_kind,
    team,
    opponent
  FROM upcoming_player_game_context
  WHERE
    game_date BETWEEN @start AND @end AND NOT player_id IS NULL
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY player_id, game_date, as_of_kind
      ORDER BY player_lookup ASC, game_id ASC
    ) = 1
), games AS (
  SELECT
    player_id,
    game_date,
    CAST(minutes AS FLOAT64) AS minutes
  FROM player_game_summary
  WHERE
    played AND minutes > 0 AND NOT player_id IS NULL AND game_date <= @end
  QUALIFY
    ROW_NUMBER() OVER (PARTITION BY player_id, game_id ORDER BY player_lookup ASC) = 1
), flagged AS (
  /* a back-to-back game: the player also played the day before (a property of past games only) */
  SELECT
    player_id,
    game_date,
    minutes,
    IF(
      DATE_DIFF(game_date, LAG(game_date) OVER (PARTITION BY player_id ORDER BY game_date ASC), DAY) = 1,
      1.0,
      0.0
    ) AS b2b
  FROM games
), timeline AS (
  SELECT
    player_id,
    game_date,
    minutes,
    b2b,
    1.0 AS one,
    1 AS is_game
  FROM flagged
  UNION ALL
  SELECT DISTINCT
    player_id,
    game_date,
    CAST(NULL AS FLOAT64),
    CAST(NULL AS FLOAT64),
    CAST(NULL AS FLOAT64),
    0
  FROM targets
), load AS (
  SELECT
    player_id,
    game_date,
    MAX(IF(is_game = 1, game_date, NULL)) OVER history AS last_game_date,
    COALESCE(SUM(one) OVER last7, 0) AS games_in_last_7_days,
    COALESCE(SUM(minutes) OVER last7, 0) AS minutes_load_last_7d,
    COALESCE(SUM(b2b) OVER last14, 0) AS back_to_backs_last_14
  FROM timeline
  QUALIFY
    is_game = 0
  WINDOW history AS (
    PARTITION BY player_id
    ORDER BY UNIX_DATE(game_date) ASC
    RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
  ), last7 AS (
    PARTITION BY player_id
    ORDER BY UNIX_DATE(game_date) ASC
    RANGE BETWEEN 7 PRECEDING AND 1 PRECEDING
  ), last14 AS (
    PARTITION BY player_id
    ORDER BY UNIX_DATE(game_date) ASC
    RANGE BETWEEN 14 PRECEDING AND 1 PRECEDING
  )
), team_timeline AS (
  SELECT
    team,
    game_date,
    1 AS is_game
  FROM team_offense_game_summary
  WHERE
    game_date <= @end
  UNION ALL
  SELECT DISTINCT
    team,
    game_date,
    0
  FROM targets
  UNION ALL
  SELECT DISTINCT
    opponent,
    game_date,
    0
  FROM targets
), team_rest AS (
  SELECT
    team,
    game_date,
    MAX(IF(is_game = 1, game_date, NULL)) OVER (
      PARTITION BY team
      ORDER BY UNIX_DATE(game_date) ASC
      RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ) AS last_team_game
  FROM team_timeline
  QUALIFY
    is_game = 0
), team_rest_by_date AS (
  SELECT
    team,
    game_date,
    LEAST(DATE_DIFF(game_date, ANY_VALUE(last_team_game), DAY) - 1, 10) AS days_rest
  FROM team_rest
  GROUP BY
    team,
    game_date
), out_players AS (
  SELECT
    i.game_id,
    i.as_of_kind,
    i.team,
    i.game_date,
    g.season,
    i.player_id
  FROM injury_status AS i
  JOIN (
    SELECT DISTINCT
      game_id,
      season
    FROM targets
  ) AS g
    ON g.game_id = i.game_id
  WHERE
    i.game_date BETWEEN @start AND @end AND LOWER(i.status) = 'out'
), out_usage AS (
  SELECT
    o.game_id,
    o.as_of_kind,
    o.team,
    o.player_id,
    AVG(p.usage_rate) AS usage_rate,
    AVG(p.minutes) AS minutes
  FROM out_players AS o
  JOIN player_game_summary AS p
    ON p.player_id = o.player_id
    AND p.season IS NOT DISTINCT FROM o.season
    AND p.game_date < o.game_date
    AND p.game_date >= @season_start
    AND p.played
    AND p.minutes > 0
  GROUP BY
    o.game_id,
    o.as_of_kind,
    o.team,
    o.player_id
), team_out AS (
  SELECT
    game_id,
    as_of_kind,
    team,
    SUM(usage_rate / 100 * minutes / 240) AS out_usage_load,
    COUNTIF(usage_rate >= @star_usage) AS star_teammates_out
  FROM out_usage
  GROUP BY
    game_id,
    as_of_kind,
    team
)
SELECT
  t.player_id,
  t.game_date,
  t.as_of_kind,
  t.game_id,
  t.team,
  t.opponent,
  LEAST(DATE_DIFF(t.game_date, l.last_game_date, DAY) - 1, 10) AS days_rest,
  l.games_in_last_7_days,
  l.minutes_load_last_7d,
  l.back_to_backs_last_14,
  tr.days_rest AS team_days_rest,
  orr.days_rest AS opponent_days_rest,
  d.pace AS opponent_pace,
  d.league_pace,
  z.share_two,
  z.share_three,
  d.two_pct_vs_league AS opp_two_delta,
  d.three_pct_vs_league AS opp_three_delta,
  c.usage_rate_last_10,
  COALESCE(o.out_usage_load, 0) AS out_usage_load,
  CAST(COALESCE(o.star_teammates_out, 0) AS FLOAT64) AS star_teammates_out
FROM targets AS t
LEFT JOIN load AS l
  ON l.player_id = t.player_id AND l.game_date = t.game_date
LEFT JOIN team_rest_by_date AS tr
  ON tr.team = t.team AND tr.game_date = t.game_date
LEFT JOIN team_rest_by_date AS orr
  ON orr.team = t.opponent AND orr.game_date = t.game_date
LEFT JOIN team_defense_zone_analysis AS d
  ON d.team = t.opponent AND d.analysis_date = t.game_date
LEFT JOIN player_shot_zone_analysis AS z
  ON z.player_id = t.player_id AND z.analysis_date = t.game_date
LEFT JOIN player_daily_cache AS c
  ON c.player_id = t.player_id AND c.cache_date = t.game_date
LEFT JOIN team_out AS o
  ON o.game_id = t.game_id AND o.as_of_kind = t.as_of_kind AND o.team = t.team
