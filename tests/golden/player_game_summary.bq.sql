/* One row per player per game of @start..@end, DNPs included. */
/* Box scores come from the preferred source of each team-game (@primary_box_source first, the */
/* other source otherwise: one source per team-game, never a mix). Team totals are a CTE of this */
/* same query, so usage rate cannot be computed before them. Ratios are NULL, not 0, when their */
/* denominator is 0. Starter is NULL: no loaded source says who started. Players are keyed by the */
/* registry's player_id (NBA.com rows carry their person id; other sources are resolved by the */
/* identity step, and names it could not resolve are in unresolved_names, alerted, not guessed). */
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
    TRUE AS is_home
  FROM schedule
  UNION ALL
  SELECT
    game_id,
    game_date,
    season,
    tip_utc,
    away_team AS team,
    home_team AS opponent,
    FALSE AS is_home
  FROM schedule
), box AS (
  SELECT
    'nbacom' AS source,
    game_date,
    team,
    player_lookup,
    COALESCE(player_id, player_source_id) AS player_id,
    player_name,
    played,
    minutes,
    pts,
    fgm,
    fga,
    fg3m,
    fg3a,
    ftm,
    fta,
    oreb,
    dreb,
    reb,
    ast,
    stl,
    blk,
    tov,
    pf,
    plus_minus
  FROM raw_nbac_player_boxscores
  WHERE
    game_date BETWEEN @start AND @end
    AND NOT COALESCE(player_id, player_source_id) IS NULL
  UNION ALL
  SELECT
    'bdl' AS source,
    game_date,
    team,
    player_lookup,
    player_id,
    player_name,
    played,
    minutes,
    pts,
    fgm,
    fga,
    fg3m,
    fg3a,
    ftm,
    fta,
    oreb,
    dreb,
    reb,
    ast,
    stl,
    blk,
    tov,
    pf,
    plus_minus
  FROM raw_bdl_box_scores
  WHERE
    game_date BETWEEN @start AND @end AND NOT player_id IS NULL
), team_source AS (
  SELECT
    game_date,
    team,
    source
  FROM (
    SELECT DISTINCT
      game_date,
      team,
      source
    FROM box
    WHERE
      played
  )
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY game_date, team
      ORDER BY CASE WHEN source = @primary_box_source THEN 0 ELSE 1 END NULLS LAST, source NULLS LAST
    ) = 1
), played AS (
  SELECT
    b.*
  FROM box AS b
  JOIN team_source AS s
    ON s.game_date = b.game_date AND s.team = b.team AND s.source = b.source
  WHERE
    b.played
), team_totals AS (
  SELECT
    game_date,
    team,
    SUM(minutes) AS t_minutes,
    SUM(pts) AS t_pts,
    SUM(fga) AS t_fga,
    SUM(fta) AS t_fta,
    SUM(tov) AS t_tov
  FROM played
  GROUP BY
    game_date,
    team
), injury AS (
  SELECT
    tg.game_id,
    i.team,
    i.player_lookup,
    i.player_id,
    i.player_name,
    i.status,
    i.reason
  FROM raw_nbac_injury_report AS i
  JOIN team_games AS tg
    ON tg.game_date = i.game_date AND tg.team = i.team
  /* i.game_date = tg.game_date, inside the range: the same rows, and BigQuery prunes on the bounds */
  WHERE
    i.snapshot_at < tg.tip_utc
    AND NOT i.player_id IS NULL
    AND i.game_date BETWEEN @start AND @end
  QUALIFY
    ROW_NUMBER() OVER (PARTITION BY tg.game_id, i.player_id ORDER BY i.snapshot_at DESC) = 1
), not_played AS (
  SELECT
    game_date,
    team,
    MAX(player_lookup) AS player_lookup,
    player_id,
    MAX(player_name) AS player_name,
    MIN(source) AS source
  FROM box AS b
  WHERE
    NOT COALESCE(b.played, FALSE)
    AND NOT EXISTS(
      SELECT
        1
      FROM played AS p
      WHERE
        p.game_date = b.game_date AND p.team = b.team AND p.player_id = b.player_id
    )
  GROUP BY
    game_date,
    team,
    player_id
), out_listed AS (
  SELECT
    tg.game_date,
    i.team,
    i.player_lookup,
    i.player_id,
    i.player_name,
    'nbacom_injury_report' AS source
  FROM injury AS i
  JOIN team_games AS tg
    ON tg.game_id = i.game_id AND tg.team = i.team
  WHERE
    i.status = 'Out'
    AND NOT EXISTS(
      SELECT
        1
      FROM played AS p
      WHERE
        p.game_date = tg.game_date AND p.team = i.team AND p.player_id = i.player_id
    )
    AND NOT EXISTS(
      SELECT
        1
      FROM not_played AS n
      WHERE
        n.game_date = tg.game_date AND n.team = i.team AND n.player_id = i.player_id
    )
), dnp AS (
  SELECT
    *
  FROM not_played
  UNION ALL
  SELECT
    *
  FROM out_listed
), zones AS (
  SELECT
    game_id,
    COALESCE(player_id, player_source_id) AS player_id,
    COUNTIF(zone = 'paint' AND made) AS paint_fgm,
    COUNTIF(zone = 'paint') AS paint_fga,
    COUNTIF(zone = 'mid_range' AND made) AS mid_fgm,
    COUNTIF(zone = 'mid_range') AS mid_fga,
    COUNTIF(zone = 'three' AND made) AS three_fgm,
    COUNTIF(zone = 'three') AS three_fga
  FROM raw_nbac_pbp_shots
  WHERE
    game_id IN (
      SELECT
        game_id
      FROM schedule
    )
    AND NOT COALESCE(player_id, player_source_id) IS NULL
  GROUP BY
    game_id,
    COALESCE(player_id, player_source_id)
), rows_out AS (
  SELECT
    tg.game_date,
    tg.game_id,
    tg.season,
    p.player_lookup,
    p.player_id,
    p.player_name,
    tg.team,
    tg.opponent,
    tg.is_home,
    TRUE AS played,
    CAST(NULL AS STRING) AS dnp_reason,
    p.minutes,
    p.pts,
    p.fgm,
    p.fga,
    p.fg3m,
    p.fg3a,
    p.ftm,
    p.fta,
    p.oreb,
    p.dreb,
    p.reb,
    p.ast,
    p.stl,
    p.blk,
    p.tov,
    p.pf,
    p.plus_minus,
    p.source
  FROM played AS p
  JOIN team_games AS tg
    ON tg.game_date = p.game_date AND tg.team = p.team
  UNION ALL
  SELECT
    tg.game_date,
    tg.game_id,
    tg.season,
    d.player_lookup,
    d.player_id,
    d.player_name,
    tg.team,
    tg.opponent,
    tg.is_home,
    FALSE AS played,
    CASE
      WHEN i.status IN ('Out', 'Doubtful', 'Questionable') AND NOT i.reason IS NULL
      THEN i.reason
      ELSE 'DNP - Coach\'s Decision'
    END AS dnp_reason,
    0.0 AS minutes,
    CAST(NULL AS INT64) AS pts,
    CAST(NULL AS INT64) AS fgm,
    CAST(NULL AS INT64) AS fga,
    CAST(NULL AS INT64) AS fg3m,
    CAST(NULL AS INT64) AS fg3a,
    CAST(NULL AS INT64) AS ftm,
    CAST(NULL AS INT64) AS fta,
    CAST(NULL AS INT64) AS oreb,
    CAST(NULL AS INT64) AS dreb,
    CAST(NULL AS INT64) AS reb,
    CAST(NULL AS INT64) AS ast,
    CAST(NULL AS INT64) AS stl,
    CAST(NULL AS INT64) AS blk,
    CAST(NULL AS INT64) AS tov,
    CAST(NULL AS INT64) AS pf,
    CAST(NULL AS INT64) AS plus_minus,
    d.source
  FROM dnp AS d
  JOIN team_games AS tg
    ON tg.game_date = d.game_date AND tg.team = d.team
  LEFT JOIN injury AS i
    ON i.game_id = tg.game_id AND i.player_id = d.player_id
)
SELECT
  r.game_date,
  r.game_id,
  r.season,
  r.player_lookup,
  r.player_id,
  r.player_name,
  r.team,
  r.opponent,
  r.is_home,
  r.played,
  r.dnp_reason,
  CAST(NULL AS BOOL) AS starter,
  r.minutes,
  r.pts,
  r.fgm,
  r.fga,
  r.fgm - r.fg3m AS fg2m,
  r.fga - r.fg3a AS fg2a,
  r.fg3m,
  r.fg3a,
  r.ftm,
  r.fta,
  r.oreb,
  r.dreb,
  r.reb,
  r.ast,
  r.stl,
  r.blk,
  r.tov,
  r.pf,
  r.plus_minus,
  SAFE_DIVIDE(r.pts, 2 * (
    r.fga + 0.44 * r.fta
  )) AS ts_pct,
  SAFE_DIVIDE(r.fgm + 0.5 * r.fg3m, r.fga) AS efg_pct,
  SAFE_DIVIDE(
    100 * (
      r.fga + 0.44 * r.fta + r.tov
    ) * (
      t.t_minutes / 5
    ),
    r.minutes * (
      t.t_fga + 0.44 * t.t_fta + t.t_tov
    )
  ) AS usage_rate,
  z.paint_fgm,
  z.paint_fga,
  z.mid_fgm,
  z.mid_fga,
  z.three_fgm,
  z.three_fga,
  t.t_pts AS team_pts,
  o.t_pts AS opponent_pts,
  CASE WHEN t.t_pts IS NULL OR o.t_pts IS NULL THEN NULL ELSE t.t_pts > o.t_pts END AS win,
  r.source,
  CURRENT_TIMESTAMP() AS built_at
FROM rows_out AS r
LEFT JOIN team_totals AS t
  ON t.game_date = r.game_date AND t.team = r.team
LEFT JOIN team_totals AS o
  ON o.game_date = r.game_date AND o.team = r.opponent
LEFT JOIN zones AS z
  ON z.game_id = r.game_id AND z.player_id = r.player_id AND r.played
