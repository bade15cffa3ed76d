/* Player-games of @start..@end where NBA.com and Ball Don't Lie disagree on minutes by more than */
/* @minutes_tolerance or on points by more than @points_tolerance (players who played in either). */
WITH nbac AS (
  SELECT
    game_id,
    game_date,
    team,
    player_lookup,
    COALESCE(player_id, player_source_id) AS player_id,
    minutes,
    pts
  FROM raw_nbac_player_boxscores
  WHERE
    game_date BETWEEN @start AND @end
    AND played
    AND NOT COALESCE(player_id, player_source_id) IS NULL
), bdl AS (
  SELECT
    game_date,
    team,
    player_id,
    MAX(minutes) AS minutes,
    MAX(pts) AS pts
  FROM raw_bdl_box_scores
  WHERE
    game_date BETWEEN @start AND @end AND NOT player_id IS NULL
  GROUP BY
    game_date,
    team,
    player_id
)
SELECT
  n.game_date,
  n.game_id,
  n.player_id,
  n.player_lookup,
  n.team,
  n.minutes AS nbac_minutes,
  b.minutes AS bdl_minutes,
  n.pts AS nbac_pts,
  b.pts AS bdl_pts,
  ABS(n.minutes - b.minutes) AS minutes_diff,
  ABS(n.pts - b.pts) AS pts_diff,
  CURRENT_TIMESTAMP() AS built_at
FROM nbac AS n
JOIN bdl AS b
  ON b.game_date = n.game_date AND b.team = n.team AND b.player_id = n.player_id
WHERE
  ABS(n.minutes - b.minutes) > @minutes_tolerance
  OR ABS(n.pts - b.pts) > @points_tolerance
