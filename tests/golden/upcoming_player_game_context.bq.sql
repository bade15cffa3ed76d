/* One row per player per scheduled game of @start..@end, as known before that game's tip: */
/* history is player_game_summary strictly before the game's date; injury reports and odds */
/* snapshots strictly before tip. The pool is each team's players (their latest game in the */
/* 30 days before was for this team, or the season roster when the team has no history yet) */
/* plus anyone on the team's injury report, minus players reported Out. */
/* Line choice: books in @book_priority order, the first book's latest pre-tip snapshot; among */
/* alternate lines of one snapshot, the one priced closest to even. */
WITH schedule AS (
  SELECT
    game_id,
    game_date,
    season,
    tip_utc,
    home_team,
    away_team
  FROM raw_nbac_schedule
  WHERE
    game_date BETWEEN @start AND @end AND NOT is_nba_matchup IS FALSE
), team_games AS (
  SELECT
    game_id,
    game_date,
    season,
    tip_utc,
    home_team AS team,
    away_team AS opponent,
    TRUE AS is_home,
    home_team,
    away_team
  FROM schedule
  UNION ALL
  SELECT
    game_id,
    game_date,
    season,
    tip_utc,
    away_team AS team,
    home_team AS opponent,
    FALSE AS is_home,
    home_team,
    away_team
  FROM schedule
), history AS (
  SELECT
    tg.game_id,
    tg.game_date AS target_date,
    p.player_lookup,
    p.player_id,
    p.player_name,
    p.team,
    p.game_date,
    p.played,
    p.minutes
  FROM team_games AS tg
  JOIN player_game_summary AS p
    ON p.game_date < tg.game_date
    AND p.game_date >= DATE_SUB(tg.game_date, INTERVAL '30' DAY)
    AND (
      p.team = tg.team OR p.team = tg.opponent
    )
), latest_team AS (
  SELECT
    game_id,
    player_lookup,
    player_id,
    player_name,
    team
  FROM history
  QUALIFY
    ROW_NUMBER() OVER (PARTITION BY game_id, player_id ORDER BY game_date DESC, team NULLS LAST) = 1
), injury AS (
  SELECT
    tg.game_id,
    i.team,
    i.player_lookup,
    i.player_id,
    i.player_name,
    i.status,
    i.reason,
    i.snapshot_at
  FROM raw_nbac_injury_report AS i
  JOIN team_games AS tg
    ON tg.game_date = i.game_date AND tg.team = i.team
  WHERE
    i.snapshot_at < tg.tip_utc AND NOT i.player_id IS NULL
  QUALIFY
    ROW_NUMBER() OVER (PARTITION BY tg.game_id, i.player_id ORDER BY i.snapshot_at DESC) = 1
), roster AS (
  SELECT
    tg.game_id,
    r.player_lookup,
    COALESCE(r.player_id, r.player_source_id) AS player_id,
    r.player_name,
    r.team
  FROM team_games AS tg
  JOIN raw_nbac_player_list AS r
    ON r.team = tg.team AND r.season = tg.season
  WHERE
    NOT EXISTS(
      SELECT
        1
      FROM latest_team AS l
      WHERE
        l.game_id = tg.game_id AND l.team = tg.team
    )
), pool AS (
  SELECT
    game_id,
    MAX(player_lookup) AS player_lookup,
    player_id,
    MAX(player_name) AS player_name,
    MAX(team) AS team
  FROM (
    SELECT
      *
    FROM latest_team
    UNION ALL
    SELECT
      *
    FROM roster
    UNION ALL
    SELECT
      game_id,
      player_lookup,
      player_id,
      player_name,
      team
    FROM injury
  )
  WHERE
    NOT player_id IS NULL
  GROUP BY
    game_id,
    player_id
), props AS (
  SELECT
    tg.game_id,
    pp.player_id,
    pp.book,
    pp.point,
    pp.over_price,
    pp.under_price,
    pp.snapshot_at,
    INSTR(CONCAT(',', @book_priority, ','), CONCAT(',', pp.book, ',')) AS listed_at,
    ABS(COALESCE(pp.over_no_vig, 0.5) - 0.5) AS off_even
  FROM raw_oddsa_player_props AS pp
  JOIN schedule AS tg
    ON tg.game_date = pp.game_date
    AND tg.home_team = pp.home_team
    AND tg.away_team = pp.away_team
  WHERE
    pp.market = 'player_points'
    AND pp.snapshot_at < tg.tip_utc
    AND NOT pp.player_id IS NULL
), chosen_line AS (
  SELECT
    *
  FROM props
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY game_id, player_id
      ORDER BY CASE WHEN listed_at = 0 THEN 1 ELSE 0 END NULLS LAST, listed_at NULLS LAST, snapshot_at DESC, off_even NULLS LAST, point NULLS LAST
    ) = 1
), opening_line AS (
  SELECT
    *
  FROM props
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY game_id, player_id
      ORDER BY CASE WHEN listed_at = 0 THEN 1 ELSE 0 END NULLS LAST, listed_at NULLS LAST, snapshot_at NULLS LAST, off_even NULLS LAST, point NULLS LAST
    ) = 1
), game_lines AS (
  SELECT
    game_id,
    team,
    team_spread,
    game_total
  FROM upcoming_team_game_context
  WHERE
    game_date BETWEEN @start AND @end
), recent AS (
  SELECT
    h.game_id,
    h.player_id,
    MAX(IF(h.played, h.game_date, NULL)) AS last_played,
    COUNTIF(h.played AND h.game_date >= DATE_SUB(h.target_date, INTERVAL '7' DAY)) AS games_last_7,
    COUNTIF(h.played AND h.game_date >= DATE_SUB(h.target_date, INTERVAL '14' DAY)) AS games_last_14,
    SUM(IF(h.game_date >= DATE_SUB(h.target_date, INTERVAL '7' DAY), h.minutes, 0)) AS minutes_last_7,
    SUM(IF(h.game_date >= DATE_SUB(h.target_date, INTERVAL '14' DAY), h.minutes, 0)) AS minutes_last_14
  FROM history AS h
  GROUP BY
    h.game_id,
    h.player_id
), team_out AS (
  SELECT
    game_id,
    team,
    player_id,
    player_name
  FROM injury
  WHERE
    status = 'Out'
)
SELECT
  tg.game_date,
  tg.game_id,
  tg.season,
  tg.tip_utc,
  p.player_lookup,
  p.player_id,
  p.player_name,
  tg.team,
  tg.opponent,
  tg.is_home,
  i.status AS injury_status,
  i.reason AS injury_reason,
  i.snapshot_at AS injury_report_at,
  cl.point AS points_line,
  cl.book AS line_book,
  cl.snapshot_at AS line_snapshot_at,
  cl.over_price,
  cl.under_price,
  ol.point AS opening_line,
  ol.book AS opening_book,
  ol.snapshot_at AS opening_snapshot_at,
  cl.point - ol.point AS line_movement,
  gl.team_spread,
  gl.game_total,
  DATE_DIFF(tg.game_date, r.last_played, DAY) AS days_rest,
  DATE_DIFF(tg.game_date, r.last_played, DAY) = 1 AS back_to_back,
  COALESCE(r.games_last_7, 0) AS games_last_7,
  COALESCE(r.games_last_14, 0) AS games_last_14,
  COALESCE(r.minutes_last_7, 0.0) AS minutes_last_7,
  COALESCE(r.minutes_last_14, 0.0) AS minutes_last_14,
  (
    SELECT
      COUNT(*)
    FROM team_out AS o
    WHERE
      o.game_id = tg.game_id AND o.team = tg.team AND o.player_id <> p.player_id
  ) AS teammates_out,
  (
    SELECT
      STRING_AGG(o.player_name, ', '
      ORDER BY
        o.player_name)
    FROM team_out AS o
    WHERE
      o.game_id = tg.game_id AND o.team = tg.team AND o.player_id <> p.player_id
  ) AS teammates_out_names,
  CURRENT_TIMESTAMP() AS built_at
FROM pool AS p
JOIN team_games AS tg
  ON tg.game_id = p.game_id AND tg.team = p.team
LEFT JOIN injury AS i
  ON i.game_id = p.game_id AND i.player_id = p.player_id
LEFT JOIN chosen_line AS cl
  ON cl.game_id = p.game_id AND cl.player_id = p.player_id
LEFT JOIN opening_line AS ol
  ON ol.game_id = p.game_id AND ol.player_id = p.player_id AND ol.book = cl.book
LEFT JOIN game_lines AS gl
  ON gl.game_id = p.game_id AND gl.team = p.team
LEFT JOIN recent AS r
  ON r.game_id = p.game_id AND r.player_id = p.player_id
WHERE
  i.status IS NULL OR i.status <> 'Out'
