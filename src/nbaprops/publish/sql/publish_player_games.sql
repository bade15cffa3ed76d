-- The last @games games (played or not) before @game_date of each player in @player_ids, with the
-- points line the player had at the daily prediction time (upcoming_player_game_context, as-of kind
-- 'prediction'; NULL when no line was posted).
WITH games AS (
  SELECT game_date, game_id, player_id, ANY_VALUE(player_name) AS player_name, ANY_VALUE(team) AS team,
    ANY_VALUE(opponent) AS opponent, LOGICAL_OR(played) AS played, MAX(pts) AS pts, MAX(minutes) AS minutes,
    ANY_VALUE(dnp_reason) AS dnp_reason
  FROM player_game_summary
  WHERE game_date < @game_date AND player_id IN UNNEST(@player_ids)
  GROUP BY game_date, game_id, player_id
  QUALIFY ROW_NUMBER() OVER (PARTITION BY player_id ORDER BY game_date DESC NULLS LAST) <= @games
),
lines AS (
  SELECT game_id, player_id, ANY_VALUE(points_line) AS line, ANY_VALUE(line_book) AS line_book
  FROM upcoming_player_game_context
  WHERE game_date < @game_date AND as_of_kind = 'prediction' AND player_id IN UNNEST(@player_ids)
  GROUP BY game_id, player_id
)
SELECT g.player_id, g.game_date, g.game_id, g.player_name, g.team, g.opponent, g.played,
  CAST(g.pts AS FLOAT64) AS points, g.minutes, g.dnp_reason, l.line, l.line_book
FROM games AS g
LEFT JOIN lines AS l ON l.game_id = g.game_id AND l.player_id = g.player_id
ORDER BY g.player_id ASC NULLS LAST, g.game_date ASC NULLS LAST
