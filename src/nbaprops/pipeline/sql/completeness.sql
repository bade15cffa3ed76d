-- Per date of the build range: games the schedule expects (NBA.com's schedule; for a date it does
-- not list, Ball Don't Lie's games; for a date neither lists, ESPN's scoreboard), how many are
-- final, and the minutes each team-game's box score adds up to (NBA.com's box score first, Ball
-- Don't Lie's otherwise).
-- Teams are matched by (game_date, team), so a Ball Don't Lie game without a resolved game_id
-- still counts.
WITH nbac_schedule AS (
  SELECT game_date, game_id, home_team, away_team, status = 3 AS is_final, tip_utc
  FROM raw_nbac_schedule
  WHERE game_date BETWEEN @start AND @end AND is_nba_matchup IS NOT FALSE
),
bdl_schedule AS (
  SELECT game_date, COALESCE(game_id, source_game_id) AS game_id, home_team, visitor_team AS away_team,
    COALESCE(is_final, FALSE) AS is_final, tip_utc
  FROM raw_bdl_games
  WHERE game_date BETWEEN @start AND @end
    AND game_date NOT IN (SELECT game_date FROM nbac_schedule)
),
espn_schedule AS (
  SELECT game_date, COALESCE(game_id, source_game_id) AS game_id, home_team, away_team,
    COALESCE(completed, FALSE) AS is_final, tip_utc
  FROM raw_espn_scoreboard
  WHERE game_date BETWEEN @start AND @end
    AND game_date NOT IN (SELECT game_date FROM nbac_schedule)
    AND game_date NOT IN (SELECT game_date FROM bdl_schedule)
),
games AS (
  SELECT *, 'nbacom' AS schedule_source FROM nbac_schedule
  UNION ALL
  SELECT *, 'bdl' AS schedule_source FROM bdl_schedule
  UNION ALL
  SELECT *, 'espn' AS schedule_source FROM espn_schedule
),
team_games AS (
  SELECT game_date, game_id, home_team AS team,
    is_final OR tip_utc < TIMESTAMP_SUB(@now, INTERVAL 4 HOUR) AS played
  FROM games
  UNION ALL
  SELECT game_date, game_id, away_team AS team,
    is_final OR tip_utc < TIMESTAMP_SUB(@now, INTERVAL 4 HOUR) AS played
  FROM games
),
nbac_minutes AS (
  SELECT game_date, team, SUM(COALESCE(minutes, 0)) AS minutes
  FROM raw_nbac_player_boxscores
  WHERE game_date BETWEEN @start AND @end
  GROUP BY game_date, team
),
bdl_minutes AS (
  SELECT game_date, team, SUM(COALESCE(minutes, 0)) AS minutes
  FROM raw_bdl_box_scores
  WHERE game_date BETWEEN @start AND @end
  GROUP BY game_date, team
)
SELECT
  tg.game_date,
  tg.game_id,
  tg.team,
  tg.played,
  CASE WHEN n.team IS NOT NULL THEN 'nbacom' WHEN b.team IS NOT NULL THEN 'bdl' END AS box_source,
  COALESCE(n.minutes, b.minutes) AS minutes,
  (SELECT ANY_VALUE(schedule_source) FROM games AS g WHERE g.game_date = tg.game_date) AS schedule_source
FROM team_games AS tg
LEFT JOIN nbac_minutes AS n ON n.game_date = tg.game_date AND n.team = tg.team
LEFT JOIN bdl_minutes AS b ON b.game_date = tg.game_date AND b.team = tg.team
ORDER BY tg.game_date NULLS LAST, tg.game_id NULLS LAST, tg.team NULLS LAST
