/* team_defense_zone_analysis: per team x game date D, its defence over its last 15 games strictly */
/* before D (team_defense_game_summary: what its opponents scored and shot). */
/* League figures are season-to-date: every game of D's season strictly before D (frames end the day */
/* before, partitioned by season, read from @season_start: the first day of the build start's */
/* season, a constant bound for partition pruning). The team's last 15 games cross seasons. */
WITH targets AS (
  SELECT DISTINCT
    team,
    game_date,
    season
  FROM upcoming_player_game_context
  WHERE
    game_date BETWEEN @start AND @end
  UNION DISTINCT
  SELECT DISTINCT
    opponent,
    game_date,
    season
  FROM upcoming_player_game_context
  WHERE
    game_date BETWEEN @start AND @end
), allowed AS (
  SELECT
    team,
    game_date,
    season,
    CAST(opp_pts AS FLOAT64) AS opp_points,
    CAST(possessions AS FLOAT64) AS opp_possessions,
    CAST(pace AS FLOAT64) AS pace,
    CAST(opp_fga - opp_fg3a AS FLOAT64) AS two_a,
    CAST(opp_fgm - opp_fg3m AS FLOAT64) AS two_m,
    CAST(opp_fg3a AS FLOAT64) AS three_a,
    CAST(opp_fg3m AS FLOAT64) AS three_m
  FROM team_defense_game_summary
  WHERE
    game_date <= @end
), timeline AS (
  SELECT
    team,
    game_date,
    opp_points,
    opp_possessions,
    pace,
    two_a,
    two_m,
    three_a,
    three_m,
    1 AS is_game
  FROM allowed
  UNION ALL
  SELECT
    team,
    game_date,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    0
  FROM targets
), keyed AS (
  SELECT
    *,
    SUM(is_game) OVER (
      PARTITION BY team
      ORDER BY game_date ASC, is_game ASC
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) + 1 - is_game AS k
  FROM timeline
), team_window AS (
  SELECT
    team,
    game_date,
    is_game,
    COUNT(opp_points) OVER w AS games_in_window,
    AVG(opp_points) OVER w AS opp_points_per_game,
    100 * SAFE_DIVIDE(SUM(opp_points) OVER w, SUM(opp_possessions) OVER w) AS def_rating,
    AVG(pace) OVER w AS pace,
    SAFE_DIVIDE(SUM(two_m) OVER w, SUM(two_a) OVER w) AS opp_two_fg_pct,
    SAFE_DIVIDE(SUM(three_m) OVER w, SUM(three_a) OVER w) AS opp_three_fg_pct
  FROM keyed
  WINDOW w AS (PARTITION BY team ORDER BY k ASC RANGE BETWEEN 15 PRECEDING AND 1 PRECEDING)
), league_days AS (
  SELECT
    game_date,
    season,
    SUM(two_m) AS two_m,
    SUM(two_a) AS two_a,
    SUM(three_m) AS three_m,
    SUM(three_a) AS three_a,
    SUM(pace) AS pace_sum,
    COUNT(*) AS team_games
  FROM allowed
  WHERE
    game_date >= @season_start
  GROUP BY
    game_date,
    season
  UNION ALL
  SELECT DISTINCT
    game_date,
    season,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL
  FROM targets
), league AS (
  SELECT
    game_date,
    SAFE_DIVIDE(SUM(two_m) OVER w, SUM(two_a) OVER w) AS league_two_fg_pct,
    SAFE_DIVIDE(SUM(three_m) OVER w, SUM(three_a) OVER w) AS league_three_fg_pct,
    SAFE_DIVIDE(SUM(pace_sum) OVER w, SUM(team_games) OVER w) AS league_pace
  FROM league_days
  WINDOW w AS (
    PARTITION BY season
    ORDER BY UNIX_DATE(game_date) ASC
    RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
  )
), league_by_date AS (
  SELECT
    game_date,
    ANY_VALUE(league_two_fg_pct) AS league_two_fg_pct,
    ANY_VALUE(league_three_fg_pct) AS league_three_fg_pct,
    ANY_VALUE(league_pace) AS league_pace
  FROM league
  GROUP BY
    game_date
), joined AS (
  SELECT
    t.team,
    t.game_date AS analysis_date,
    t.games_in_window,
    t.opp_points_per_game,
    t.def_rating,
    t.pace,
    t.opp_two_fg_pct,
    t.opp_three_fg_pct,
    l.league_two_fg_pct,
    l.league_three_fg_pct,
    l.league_pace,
    100 * (
      t.opp_two_fg_pct - l.league_two_fg_pct
    ) AS two_pct_vs_league,
    100 * (
      t.opp_three_fg_pct - l.league_three_fg_pct
    ) AS three_pct_vs_league
  FROM team_window AS t
  JOIN league_by_date AS l
    ON l.game_date = t.game_date
  WHERE
    t.is_game = 0
)
SELECT
  *,
  CASE
    WHEN two_pct_vs_league IS NULL OR three_pct_vs_league IS NULL
    THEN NULL
    WHEN two_pct_vs_league >= three_pct_vs_league
    THEN 'two'
    ELSE 'three'
  END AS weakest_zone
FROM joined
