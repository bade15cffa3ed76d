-- Every prediction of @start..@end beside what happened: actual points and minutes from
-- player_game_summary (no row: the player did not appear), the injury status known at the
-- prediction's as-of (injury_status of the latest as-of kind of game_as_of not after it: a note
-- published after the prediction does not explain its void), and the closing line: the last
-- snapshot taken before
-- tip from the same book as the line predicted against. When a book posts several lines for the
-- player in that snapshot, the main one is the line whose no-vig over probability is nearest 1/2.
-- Props are matched by (date, book, player_id): a player plays once per date, the props' game_id
-- may be unresolved, and their name key may lack the suffix the box score has (the identity step
-- resolves both spellings to one player_id).
WITH preds AS (
  SELECT game_date, game_id, player_id, system_id, model_version, predicted_points, q10, q90, p_over,
    line, line_book, over_price, under_price, recommendation, as_of
  FROM predictions
  WHERE game_date BETWEEN @start AND @end
),
summary AS (
  SELECT game_id, player_id, MAX(pts) AS pts, MAX(minutes) AS minutes, LOGICAL_OR(played) AS played,
    ANY_VALUE(dnp_reason) AS dnp_reason
  FROM player_game_summary
  WHERE game_date BETWEEN @start AND @end AND player_id IS NOT NULL
  GROUP BY game_id, player_id
),
kinds AS (
  SELECT p.game_id, p.as_of, a.as_of_kind
  FROM (SELECT DISTINCT game_id, as_of FROM preds) AS p
  JOIN game_as_of AS a ON a.game_id = p.game_id AND a.as_of <= p.as_of
  WHERE a.game_date BETWEEN @start AND @end
  QUALIFY ROW_NUMBER() OVER (PARTITION BY p.game_id, p.as_of ORDER BY a.as_of DESC NULLS LAST) = 1
),
known AS (
  SELECT k.game_id, k.as_of, s.player_id, s.status AS injury_status
  FROM kinds AS k
  JOIN injury_status AS s ON s.game_id = k.game_id AND s.as_of_kind = k.as_of_kind
  WHERE s.game_date BETWEEN @start AND @end
),
wanted AS (
  SELECT DISTINCT p.game_date, p.game_id, p.player_id, p.line_book
  FROM preds AS p
  WHERE p.line_book IS NOT NULL
),
closing AS (
  SELECT w.game_id, w.player_id, w.line_book, o.point AS closing_line, o.over_price AS closing_over_price,
    o.under_price AS closing_under_price
  FROM wanted AS w
  JOIN raw_oddsa_player_props AS o
    ON o.game_date = w.game_date AND o.book = w.line_book AND o.player_id = w.player_id
  WHERE o.game_date BETWEEN @start AND @end
    AND o.market = 'player_points'
    AND o.snapshot_at < o.commence_time
    AND (o.game_id IS NULL OR o.game_id = w.game_id)
  QUALIFY ROW_NUMBER() OVER (
    PARTITION BY w.game_id, w.player_id, w.line_book
    ORDER BY o.snapshot_at DESC NULLS LAST, ABS(COALESCE(o.over_no_vig, 0.5) - 0.5) ASC NULLS LAST,
      o.point ASC NULLS LAST
  ) = 1
)
SELECT p.game_date, p.game_id, p.player_id, p.system_id, p.model_version, p.predicted_points, p.q10, p.q90,
  p.p_over, p.line, p.over_price, p.under_price, p.recommendation,
  CAST(s.pts AS FLOAT64) AS actual_points, s.minutes, s.played, s.dnp_reason, i.injury_status,
  k.closing_line, k.closing_over_price, k.closing_under_price
FROM preds AS p
LEFT JOIN summary AS s ON s.game_id = p.game_id AND s.player_id = p.player_id
LEFT JOIN known AS i ON i.game_id = p.game_id AND i.player_id = p.player_id AND i.as_of = p.as_of
LEFT JOIN closing AS k ON k.game_id = p.game_id AND k.player_id = p.player_id AND k.line_book = p.line_book
ORDER BY p.game_date ASC NULLS LAST, p.system_id ASC NULLS LAST, p.game_id ASC NULLS LAST,
  p.player_id ASC NULLS LAST, p.model_version ASC NULLS LAST
