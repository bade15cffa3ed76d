-- One row per team per scheduled game of @start..@end per as-of (game_as_of), as known at that
-- as_of: spread and total from the first book of @book_priority that has them, its latest snapshot
-- published at or before the as_of; rest and recent load from the schedule's earlier games;
-- players reported Out in the injury status at the as_of (injury_status).
WITH schedule AS (
  SELECT game_id, game_date, season, tip_utc, home_team, away_team
  FROM raw_nbac_schedule
  WHERE is_nba_matchup IS NOT FALSE
),
team_games AS (
  SELECT game_id, game_date, season, tip_utc, home_team AS team, away_team AS opponent, TRUE AS is_home,
    home_team, away_team
  FROM schedule
  UNION ALL
  SELECT game_id, game_date, season, tip_utc, away_team AS team, home_team AS opponent, FALSE AS is_home,
    home_team, away_team
  FROM schedule
),
targets AS (
  SELECT t.*, a.as_of_kind, a.as_of
  FROM team_games AS t
  JOIN game_as_of AS a ON a.game_id = t.game_id
  WHERE t.game_date BETWEEN @start AND @end AND a.game_date BETWEEN @start AND @end
),
lines AS (
  SELECT t.game_id, t.team, t.as_of_kind, gl.book, gl.snapshot_at, gl.market, gl.point, gl.side,
    gl.team AS line_team, STRPOS(CONCAT(',', @book_priority, ','), CONCAT(',', gl.book, ',')) AS listed_at
  FROM raw_oddsa_game_lines AS gl
  JOIN targets AS t
    ON t.game_date = gl.game_date AND t.home_team = gl.home_team AND t.away_team = gl.away_team
  -- gl.game_date = t.game_date, so the range bounds keep the same rows and let BigQuery prune
  WHERE gl.snapshot_at <= t.as_of AND gl.market IN ('spreads', 'totals')
    AND gl.game_date BETWEEN @start AND @end
),
latest AS (
  SELECT game_id, team, as_of_kind, book, snapshot_at
  FROM (SELECT DISTINCT game_id, team, as_of_kind, book, snapshot_at, listed_at FROM lines)
  QUALIFY ROW_NUMBER() OVER (
    PARTITION BY game_id, team, as_of_kind
    ORDER BY CASE WHEN listed_at = 0 THEN 1 ELSE 0 END NULLS LAST, listed_at NULLS LAST,
      snapshot_at DESC NULLS LAST
  ) = 1
),
chosen AS (
  SELECT l.game_id, l.team, l.as_of_kind, ANY_VALUE(l.book) AS book, ANY_VALUE(l.snapshot_at) AS snapshot_at,
    MAX(IF(l.market = 'spreads' AND l.line_team = l.team, l.point, NULL)) AS team_spread,
    MAX(IF(l.market = 'totals' AND l.side = 'over', l.point, NULL)) AS game_total
  FROM lines AS l
  JOIN latest AS x
    ON x.game_id = l.game_id AND x.team = l.team AND x.as_of_kind = l.as_of_kind AND x.book = l.book
   AND x.snapshot_at = l.snapshot_at
  GROUP BY l.game_id, l.team, l.as_of_kind
),
earlier AS (
  SELECT t.game_id, t.team,
    MAX(e.game_date) AS last_game,
    COUNTIF(e.game_date >= DATE_SUB(t.game_date, INTERVAL 7 DAY)) AS games_last_7,
    COUNTIF(e.game_date >= DATE_SUB(t.game_date, INTERVAL 14 DAY)) AS games_last_14
  FROM (SELECT DISTINCT game_id, team, game_date FROM targets) AS t
  JOIN team_games AS e
    ON e.team = t.team AND e.game_date < t.game_date AND e.game_date >= DATE_SUB(t.game_date, INTERVAL 30 DAY)
  GROUP BY t.game_id, t.team
),
outs AS (
  SELECT game_id, team, as_of_kind, COUNT(*) AS players_out
  FROM injury_status
  WHERE game_date BETWEEN @start AND @end AND status = 'Out'
  GROUP BY game_id, team, as_of_kind
)
SELECT
  t.game_date, t.game_id, t.as_of_kind, t.as_of, t.season, t.tip_utc, t.team, t.opponent, t.is_home,
  c.team_spread, c.game_total, c.book AS lines_book, c.snapshot_at AS lines_snapshot_at,
  DATE_DIFF(t.game_date, e.last_game, DAY) AS days_rest,
  DATE_DIFF(t.game_date, e.last_game, DAY) = 1 AS back_to_back,
  COALESCE(e.games_last_7, 0) AS games_last_7, COALESCE(e.games_last_14, 0) AS games_last_14,
  COALESCE(o.players_out, 0) AS players_out,
  CURRENT_TIMESTAMP() AS built_at
FROM targets AS t
LEFT JOIN chosen AS c ON c.game_id = t.game_id AND c.team = t.team AND c.as_of_kind = t.as_of_kind
LEFT JOIN earlier AS e ON e.game_id = t.game_id AND e.team = t.team
LEFT JOIN outs AS o ON o.game_id = t.game_id AND o.team = t.team AND o.as_of_kind = t.as_of_kind
