/* player_shot_zone_analysis: per player x game date D, his shot profile over his last 10 games */
/* played strictly before D (RANGE frames over the games-played count ending at 1 PRECEDING; the */
/* target rows carry NULL stats so they never count). */
WITH targets AS (
  SELECT DISTINCT
    player_id,
    game_date
  FROM upcoming_player_game_context
  WHERE
    game_date BETWEEN @start AND @end AND NOT player_id IS NULL
  QUALIFY
    ROW_NUMBER() OVER (PARTITION BY player_id, game_date ORDER BY player_lookup ASC) = 1
), timeline AS (
  SELECT
    player_id,
    game_date,
    CAST(fga AS FLOAT64) AS fga,
    CAST(fgm AS FLOAT64) AS fgm,
    CAST(fg3a AS FLOAT64) AS fg3a,
    CAST(fg3m AS FLOAT64) AS fg3m,
    CAST(fta AS FLOAT64) AS fta,
    1 AS is_game
  FROM player_game_summary
  WHERE
    played AND minutes > 0 AND NOT player_id IS NULL AND game_date <= @end
  QUALIFY
    ROW_NUMBER() OVER (PARTITION BY player_id, game_id ORDER BY player_lookup ASC) = 1
  UNION ALL
  SELECT
    player_id,
    game_date,
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
      PARTITION BY player_id
      ORDER BY game_date ASC, is_game ASC
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) + 1 - is_game AS k
  FROM timeline
), sums AS (
  SELECT
    player_id,
    game_date,
    is_game,
    COUNT(fga) OVER w AS games_in_window,
    SUM(fga) OVER w AS fga,
    SUM(fgm) OVER w AS fgm,
    SUM(fg3a) OVER w AS fg3a,
    SUM(fg3m) OVER w AS fg3m,
    SUM(fta) OVER w AS fta
  FROM keyed
  WINDOW w AS (PARTITION BY player_id ORDER BY k ASC RANGE BETWEEN 10 PRECEDING AND 1 PRECEDING)
), profile AS (
  SELECT
    player_id,
    game_date AS analysis_date,
    games_in_window,
    SAFE_DIVIDE(fga, games_in_window) AS fga_per_game,
    SAFE_DIVIDE(fga - fg3a, fga) AS share_two,
    SAFE_DIVIDE(fg3a, fga) AS share_three,
    SAFE_DIVIDE(fta, fga) AS fta_per_fga,
    SAFE_DIVIDE(fgm - fg3m, fga - fg3a) AS two_fg_pct,
    SAFE_DIVIDE(fg3m, fg3a) AS three_fg_pct
  FROM sums
  WHERE
    is_game = 0
)
SELECT
  player_id,
  analysis_date,
  games_in_window,
  fga_per_game,
  share_two,
  share_three,
  fta_per_fga,
  two_fg_pct,
  three_fg_pct,
  CASE
    WHEN share_three IS NULL
    THEN NULL
    WHEN share_three >= 0.4
    THEN 'three'
    WHEN share_two >= 0.6
    THEN 'two'
    ELSE 'balanced'
  END AS primary_zone
FROM profile
