-- Every graded pick (OVER or UNDER) of @game_date, every system, with what it was made against (price,
-- stake, probability, EV) and who the player is: the rows of results/{date}.json.
WITH context AS (
  SELECT game_id, player_id, ANY_VALUE(player_name) AS player_name
  FROM upcoming_player_game_context
  WHERE game_date = @game_date AND player_id IS NOT NULL
  GROUP BY game_id, player_id
)
SELECT g.game_date, g.game_id, g.player_id, c.player_name, p.team, p.opponent, g.system_id, g.model_version,
  g.recommendation, g.line, p.line_book, CASE WHEN g.recommendation = 'OVER' THEN p.over_price
  ELSE p.under_price END AS price, p.p_over, p.expected_value, p.stake, g.predicted_points, g.actual_points,
  g.minutes, g.result, g.void_reason, g.profit, g.closing_line, g.clv_points, g.clv_probability, g.graded_at
FROM prediction_grades AS g
JOIN predictions AS p
  ON p.game_date = g.game_date AND p.game_id = g.game_id AND p.player_id = g.player_id
  AND p.system_id = g.system_id AND p.model_version = g.model_version
LEFT JOIN context AS c ON c.game_id = g.game_id AND c.player_id = g.player_id
WHERE g.game_date = @game_date AND g.recommendation IN ('OVER', 'UNDER')
ORDER BY g.system_id ASC NULLS LAST, g.game_id ASC NULLS LAST, g.player_id ASC NULLS LAST
