/* One row per player per scheduled game of @start..@end per as-of (game_as_of), as known at that */
/* as_of: history is player_game_summary strictly before the game's date; injury notes are the */
/* merged injury_status at the as_of; odds snapshots were published at or before the as_of. */
/* The pool is each team's players (the team of the player's latest game anywhere in the 30 days */
/* before, so a traded player is on his new team from his first game there; the season roster when */
/* the team has no history yet) plus anyone on the team's injury list, minus players listed Out. */
/* Line choice: books in @book_priority order, the first book's latest snapshot at or before the */
/* as_of; among alternate lines of one snapshot, the one priced closest to even. With no listed book, */
/* another book's line stands in (a feature input) with line_listed false: live prediction bets only */
/* listed books, so training does not take such a line as the one that would have been bet. */
WITH targets AS (
  SELECT
    game_id,
    game_date,
    season,
    tip_utc,
    team,
    opponent,
    is_home,
    as_of_kind,
    as_of,
    team_spread,
    game_total
  FROM upcoming_team_game_context
  WHERE
    game_date BETWEEN @start AND @end
), target_dates AS (
  SELECT DISTINCT
    game_date
  FROM targets
), history AS (
  /* every player's games in the 30 days before each target date, whatever his team then */
  SELECT
    d.game_date AS target_date,
    p.player_lookup,
    p.player_id,
    p.player_name,
    p.team,
    p.game_date,
    p.played,
    p.minutes
  FROM target_dates AS d
  JOIN player_game_summary AS p
    ON p.game_date < d.game_date
    AND p.game_date >= DATE_SUB(d.game_date, INTERVAL '30' DAY)
  /* the join's window with constant ends (the same rows): BigQuery prunes partitions on these */
  WHERE
    NOT p.player_id IS NULL
    AND p.game_date >= DATE_SUB(@start, INTERVAL '30' DAY)
    AND p.game_date < @end
), last_team AS (
  SELECT
    target_date,
    player_lookup,
    player_id,
    player_name,
    team
  FROM history
  QUALIFY
    ROW_NUMBER() OVER (PARTITION BY target_date, player_id ORDER BY game_date DESC, team NULLS LAST) = 1
), latest_team AS (
  SELECT
    t.game_id,
    t.as_of_kind,
    l.player_lookup,
    l.player_id,
    l.player_name,
    l.team
  FROM targets AS t
  JOIN last_team AS l
    ON l.target_date = t.game_date AND l.team = t.team
), injury AS (
  SELECT
    game_id,
    as_of_kind,
    team,
    player_lookup,
    player_id,
    player_name,
    status,
    reason,
    published_at
  FROM injury_status
  WHERE
    game_date BETWEEN @start AND @end
), roster AS (
  SELECT
    t.game_id,
    t.as_of_kind,
    r.player_lookup,
    COALESCE(r.player_id, r.player_source_id) AS player_id,
    r.player_name,
    r.team
  FROM targets AS t
  JOIN raw_nbac_player_list AS r
    ON r.team = t.team AND r.season = t.season
  WHERE
    NOT EXISTS(
      SELECT
        1
      FROM latest_team AS l
      WHERE
        l.game_id = t.game_id AND l.team = t.team
    )
), pool AS (
  SELECT
    game_id,
    as_of_kind,
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
      as_of_kind,
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
    as_of_kind,
    player_id
), props AS (
  SELECT
    t.game_id,
    t.as_of_kind,
    pp.player_id,
    pp.book,
    pp.point,
    pp.over_price,
    pp.under_price,
    pp.snapshot_at,
    INSTR(CONCAT(',', @book_priority, ','), CONCAT(',', pp.book, ',')) AS listed_at,
    ABS(COALESCE(pp.over_no_vig, 0.5) - 0.5) AS off_even
  FROM raw_oddsa_player_props AS pp
  JOIN game_as_of AS t
    ON t.game_date = pp.game_date
    AND t.home_team = pp.home_team
    AND t.away_team = pp.away_team
  WHERE
    t.game_date BETWEEN @start AND @end
    AND pp.market = 'player_points'
    AND pp.snapshot_at <= t.as_of
    AND NOT pp.player_id IS NULL
    AND pp.game_date BETWEEN @start AND @end
), chosen_line AS (
  SELECT
    *
  FROM props
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY game_id, as_of_kind, player_id
      ORDER BY CASE WHEN listed_at = 0 THEN 1 ELSE 0 END NULLS LAST, listed_at NULLS LAST, snapshot_at DESC, off_even NULLS LAST, point NULLS LAST
    ) = 1
), opening_line AS (
  SELECT
    *
  FROM props
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY game_id, as_of_kind, player_id
      ORDER BY CASE WHEN listed_at = 0 THEN 1 ELSE 0 END NULLS LAST, listed_at NULLS LAST, snapshot_at NULLS LAST, off_even NULLS LAST, point NULLS LAST
    ) = 1
), recent AS (
  SELECT
    h.target_date,
    h.player_id,
    MAX(IF(h.played, h.game_date, NULL)) AS last_played,
    COUNTIF(h.played AND h.game_date >= DATE_SUB(h.target_date, INTERVAL '7' DAY)) AS games_last_7,
    COUNTIF(h.played AND h.game_date >= DATE_SUB(h.target_date, INTERVAL '14' DAY)) AS games_last_14,
    SUM(IF(h.game_date >= DATE_SUB(h.target_date, INTERVAL '7' DAY), h.minutes, 0)) AS minutes_last_7,
    SUM(IF(h.game_date >= DATE_SUB(h.target_date, INTERVAL '14' DAY), h.minutes, 0)) AS minutes_last_14
  FROM history AS h
  GROUP BY
    h.target_date,
    h.player_id
), team_out AS (
  SELECT
    game_id,
    as_of_kind,
    team,
    player_id,
    player_name
  FROM injury
  WHERE
    status = 'Out'
)
SELECT
  t.game_date,
  t.game_id,
  t.as_of_kind,
  t.as_of,
  t.season,
  t.tip_utc,
  p.player_lookup,
  p.player_id,
  p.player_name,
  t.team,
  t.opponent,
  t.is_home,
  i.status AS injury_status,
  i.reason AS injury_reason,
  i.published_at AS injury_report_at,
  cl.point AS points_line,
  cl.book AS line_book,
  cl.listed_at > 0 AS line_listed,
  cl.snapshot_at AS line_snapshot_at,
  cl.over_price,
  cl.under_price,
  ol.point AS opening_line,
  ol.book AS opening_book,
  ol.snapshot_at AS opening_snapshot_at,
  cl.point - ol.point AS line_movement,
  t.team_spread,
  t.game_total,
  DATE_DIFF(t.game_date, r.last_played, DAY) AS days_rest,
  DATE_DIFF(t.game_date, r.last_played, DAY) = 1 AS back_to_back,
  COALESCE(r.games_last_7, 0) AS games_last_7,
  COALESCE(r.games_last_14, 0) AS games_last_14,
  COALESCE(r.minutes_last_7, 0.0) AS minutes_last_7,
  COALESCE(r.minutes_last_14, 0.0) AS minutes_last_14,
  (
    SELECT
      COUNT(*)
    FROM team_out AS o
    WHERE
      o.game_id = t.game_id
      AND o.as_of_kind = t.as_of_kind
      AND o.team = t.team
      AND o.player_id <> p.player_id
  ) AS teammates_out,
  (
    SELECT
      STRING_AGG(o.player_name, ', '
      ORDER BY
        o.player_name)
    FROM team_out AS o
    WHERE
      o.game_id = t.game_id
      AND o.as_of_kind = t.as_of_kind
      AND o.team = t.team
      AND o.player_id <> p.player_id
  ) AS teammates_out_names,
  CURRENT_TIMESTAMP() AS built_at
FROM pool AS p
JOIN targets AS t
  ON t.game_id = p.game_id AND t.as_of_kind = p.as_of_kind AND t.team = p.team
LEFT JOIN injury AS i
  ON i.game_id = p.game_id
  AND i.as_of_kind = p.as_of_kind
  AND i.player_id = p.player_id
LEFT JOIN chosen_line AS cl
  ON cl.game_id = p.game_id
  AND cl.as_of_kind = p.as_of_kind
  AND cl.player_id = p.player_id
LEFT JOIN opening_line AS ol
  ON ol.game_id = p.game_id
  AND ol.as_of_kind = p.as_of_kind
  AND ol.player_id = p.player_id
  AND ol.book = cl.book
LEFT JOIN recent AS r
  ON r.target_date = t.game_date AND r.player_id = p.player_id
WHERE
  i.status IS NULL OR i.status <> 'Out'
