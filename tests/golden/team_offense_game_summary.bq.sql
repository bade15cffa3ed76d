/* One row per team per game of @start..@end from the team's side, aggregated from */
/* player_game_summary (one box-score source per team-game). Possessions: FGA - OREB + TOV + 0.44 FTA; */
/* pace averages both teams' estimates per 48 minutes; win is points above the opponent's. */
WITH team AS (
  SELECT
    game_date,
    game_id,
    ANY_VALUE(season) AS season,
    team,
    ANY_VALUE(opponent) AS opponent,
    ANY_VALUE(is_home) AS is_home,
    ANY_VALUE(source) AS source,
    SUM(minutes) AS minutes,
    SUM(pts) AS pts,
    SUM(fgm) AS fgm,
    SUM(fga) AS fga,
    SUM(fg2m) AS fg2m,
    SUM(fg2a) AS fg2a,
    SUM(fg3m) AS fg3m,
    SUM(fg3a) AS fg3a,
    SUM(ftm) AS ftm,
    SUM(fta) AS fta,
    SUM(oreb) AS oreb,
    SUM(dreb) AS dreb,
    SUM(reb) AS reb,
    SUM(ast) AS ast,
    SUM(stl) AS stl,
    SUM(blk) AS blk,
    SUM(tov) AS tov,
    SUM(pf) AS pf,
    SUM(2 * paint_fgm) AS paint_pts,
    SUM(2 * mid_fgm) AS mid_pts,
    SUM(3 * three_fgm) AS three_pts
  FROM player_game_summary
  WHERE
    game_date BETWEEN @start AND @end AND played
  GROUP BY
    game_date,
    game_id,
    team
), poss AS (
  SELECT
    *,
    fga - oreb + tov + 0.44 * fta AS possessions
  FROM team
)
SELECT
  t.game_date,
  t.game_id,
  t.season,
  t.team,
  t.opponent,
  t.is_home,
  CAST(4 + GREATEST(ROUND((
    t.minutes - 240
  ) / 25), 0) AS INT64) AS periods,
  t.minutes,
  t.possessions,
  SAFE_DIVIDE(48 * (
    t.possessions + o.possessions
  ) / 2, t.minutes / 5) AS pace,
  t.pts,
  t.fgm,
  t.fga,
  t.fg2m,
  t.fg2a,
  t.fg3m,
  t.fg3a,
  t.ftm,
  t.fta,
  t.oreb,
  t.dreb,
  t.reb,
  t.ast,
  t.stl,
  t.blk,
  t.tov,
  t.pf,
  SAFE_DIVIDE(100 * t.pts, t.possessions) AS offensive_rating,
  t.paint_pts,
  t.mid_pts,
  t.three_pts,
  t.ftm AS ft_pts,
  o.pts AS opponent_pts,
  COALESCE(t.pts > o.pts, FALSE) AS win,
  t.source,
  CURRENT_TIMESTAMP() AS built_at
FROM poss AS t
LEFT JOIN poss AS o
  ON o.game_id = t.game_id AND o.team = t.opponent
