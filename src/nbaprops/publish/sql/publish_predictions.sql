-- Every system's newest prediction of each player-game of @game_date (a retrain the same day adds a
-- model version; the newest row per player-game and system is the one published), beside the game
-- context known at the prediction's as-of: the player's name, tip, home or away, the injury report
-- and the teammates out. top_features is JSON text (NULL on rows written before it existed).
WITH latest AS (
  SELECT *
  FROM predictions
  WHERE game_date = @game_date
  QUALIFY ROW_NUMBER() OVER (
    PARTITION BY game_id, player_id, system_id ORDER BY created_at DESC NULLS LAST, model_version DESC NULLS LAST
  ) = 1
),
context AS (
  SELECT game_id, player_id, as_of, ANY_VALUE(player_name) AS player_name, ANY_VALUE(tip_utc) AS tip_utc,
    ANY_VALUE(is_home) AS is_home, ANY_VALUE(injury_status) AS injury_status,
    ANY_VALUE(injury_reason) AS injury_reason, ANY_VALUE(injury_report_at) AS injury_report_at,
    ANY_VALUE(teammates_out) AS teammates_out
  FROM upcoming_player_game_context
  WHERE game_date = @game_date AND player_id IS NOT NULL
  GROUP BY game_id, player_id, as_of
)
SELECT p.game_date, p.game_id, p.player_id, c.player_name, p.team, p.opponent, c.tip_utc, c.is_home,
  p.system_id, p.model_version, p.predicted_points, p.predicted_sd, p.q10, p.q50, p.q90, p.p_over, p.p_push,
  p.line, p.line_book, p.line_snapshot_at, p.over_price, p.under_price, p.edge, p.expected_value,
  p.recommendation, p.stake, p.reasons, p.top_features, p.feature_version, p.feature_quality, p.as_of,
  p.created_at,
  c.injury_status, c.injury_reason, c.injury_report_at, c.teammates_out
FROM latest AS p
LEFT JOIN context AS c ON c.game_id = p.game_id AND c.player_id = p.player_id AND c.as_of = p.as_of
ORDER BY p.game_id ASC NULLS LAST, p.team ASC NULLS LAST, p.player_id ASC NULLS LAST,
  p.system_id ASC NULLS LAST
