/* One row per team per game of @start..@end from the defence's side: the opponent's line in */
/* team_offense_game_summary, seen from this team (points and shots allowed, defensive rating). */
/* The defensive rating is the opponent's offensive rating as stored, not recomputed from its */
/* stored (rounded) possessions, so the two sides always agree. */
SELECT
  d.game_date,
  d.game_id,
  d.season,
  d.team,
  d.opponent,
  d.is_home,
  d.periods,
  d.minutes,
  o.possessions,
  d.pace,
  o.pts AS opp_pts,
  o.fgm AS opp_fgm,
  o.fga AS opp_fga,
  o.fg3m AS opp_fg3m,
  o.fg3a AS opp_fg3a,
  o.ftm AS opp_ftm,
  o.fta AS opp_fta,
  o.oreb AS opp_oreb,
  o.tov AS opp_tov,
  o.offensive_rating AS defensive_rating,
  o.paint_pts AS paint_pts_allowed,
  o.mid_pts AS mid_pts_allowed,
  o.three_pts AS three_pts_allowed,
  o.ft_pts AS ft_pts_allowed,
  d.win,
  CURRENT_TIMESTAMP() AS built_at
FROM team_offense_game_summary AS d
JOIN team_offense_game_summary AS o
  ON o.game_id = d.game_id AND o.team = d.opponent
WHERE
  d.game_date BETWEEN @start AND @end
