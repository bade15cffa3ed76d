/* player_zone_matchup: per player x game date D, his play-by-play shot mix against the opponent's */
/* play-by-play zone defence, all from games strictly before D. Zones: paint, mid-range, corner */
/* three (NBA.com's "Left/Right Corner 3" area; without an area, a three shorter than the 23.75 ft */
/* arc) and above-the-break three. The player's mix is over his last 10 games with play-by-play; the */
/* opponent's FG% allowed per zone over its last 15 such games (both windows cross seasons: recent */
/* form), against the league's season-to-date FG% in that zone (D's season only, from @season_start: */
/* the first day of the build start's season, a constant bound for partition pruning). */
/* zone_points_delta = FGA per game x sum over zones of share x shot value x */
/* (opponent FG% allowed - league FG%): the points per game the opponent's zone defence is worth */
/* against his mix. Every target (player x D, whatever the as-of kind: nothing here depends on it) */
/* gets a row; its values are NULL where no play-by-play is loaded (zone_matchup then falls back to */
/* the box score's 2PT/3PT split). */
WITH targets AS (
  SELECT
    player_id,
    game_id,
    game_date,
    season,
    team,
    opponent
  FROM upcoming_player_game_context
  WHERE
    game_date BETWEEN @start AND @end AND NOT player_id IS NULL
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY player_id, game_date
      ORDER BY player_lookup ASC, game_id ASC, as_of_kind ASC
    ) = 1
), games AS (
  SELECT
    game_id,
    game_date,
    season,
    home_team,
    away_team
  FROM raw_nbac_schedule
  WHERE
    game_date <= @end AND NOT is_nba_matchup IS FALSE
), shots AS (
  SELECT
    g.game_id,
    g.game_date,
    g.season,
    COALESCE(s.player_id, s.player_source_id) AS player_id,
    IF(s.team = g.home_team, g.away_team, g.home_team) AS defence,
    CASE
      WHEN s.action_type = '3pt'
      AND (
        s.area LIKE '%Corner 3%' OR (
          s.area IS NULL AND s.shot_distance < 23.75
        )
      )
      THEN 'corner3'
      WHEN s.action_type = '3pt'
      THEN 'above_break3'
      ELSE s.zone
    END AS zone,
    IF(s.made, 1, 0) AS made
  FROM raw_nbac_pbp_shots AS s
  JOIN games AS g
    ON g.game_id = s.game_id
  WHERE
    s.action_type IN ('2pt', '3pt') AND s.team IN (g.home_team, g.away_team)
), player_games AS (
  SELECT
    player_id,
    game_id,
    game_date,
    COUNT(*) AS fga,
    COUNTIF(zone = 'paint') AS paint_a,
    COUNTIF(zone = 'mid_range') AS mid_a,
    COUNTIF(zone = 'corner3') AS corner3_a,
    COUNTIF(zone = 'above_break3') AS above_break3_a
  FROM shots
  WHERE
    NOT player_id IS NULL
  GROUP BY
    player_id,
    game_id,
    game_date
), player_window AS (
  SELECT
    t.player_id,
    t.game_date,
    COUNT(*) AS games_in_window,
    SUM(pg.fga) AS fga,
    SUM(pg.paint_a) AS paint_a,
    SUM(pg.mid_a) AS mid_a,
    SUM(pg.corner3_a) AS corner3_a,
    SUM(pg.above_break3_a) AS above_break3_a
  FROM (
    SELECT
      t.player_id,
      t.game_date,
      pg.game_id
    FROM targets AS t
    JOIN player_games AS pg
      ON pg.player_id = t.player_id AND pg.game_date < t.game_date
    QUALIFY
      ROW_NUMBER() OVER (
        PARTITION BY t.player_id, t.game_date
        ORDER BY pg.game_date DESC, pg.game_id NULLS LAST
      ) <= 10
  ) AS t
  JOIN player_games AS pg
    ON pg.player_id = t.player_id AND pg.game_id = t.game_id
  GROUP BY
    t.player_id,
    t.game_date
), defence_games AS (
  SELECT
    defence AS team,
    game_id,
    game_date,
    season,
    COUNTIF(zone = 'paint') AS paint_a,
    SUM(IF(zone = 'paint', made, 0)) AS paint_m,
    COUNTIF(zone = 'mid_range') AS mid_a,
    SUM(IF(zone = 'mid_range', made, 0)) AS mid_m,
    COUNTIF(zone = 'corner3') AS corner3_a,
    SUM(IF(zone = 'corner3', made, 0)) AS corner3_m,
    COUNTIF(zone = 'above_break3') AS above_break3_a,
    SUM(IF(zone = 'above_break3', made, 0)) AS above_break3_m
  FROM shots
  GROUP BY
    defence,
    game_id,
    game_date,
    season
), opponent_targets AS (
  SELECT DISTINCT
    opponent AS team,
    game_date
  FROM targets
), defence_window AS (
  SELECT
    o.team,
    o.game_date,
    SAFE_DIVIDE(SUM(d.paint_m), SUM(d.paint_a)) AS paint_pct,
    SAFE_DIVIDE(SUM(d.mid_m), SUM(d.mid_a)) AS mid_pct,
    SAFE_DIVIDE(SUM(d.corner3_m), SUM(d.corner3_a)) AS corner3_pct,
    SAFE_DIVIDE(SUM(d.above_break3_m), SUM(d.above_break3_a)) AS above_break3_pct
  FROM (
    SELECT
      o.team,
      o.game_date,
      d.game_id
    FROM opponent_targets AS o
    JOIN defence_games AS d
      ON d.team = o.team AND d.game_date < o.game_date
    QUALIFY
      ROW_NUMBER() OVER (PARTITION BY o.team, o.game_date ORDER BY d.game_date DESC, d.game_id NULLS LAST) <= 15
  ) AS o
  JOIN defence_games AS d
    ON d.team = o.team AND d.game_id = o.game_id
  GROUP BY
    o.team,
    o.game_date
), league AS (
  SELECT
    t.game_date,
    SAFE_DIVIDE(SUM(d.paint_m), SUM(d.paint_a)) AS paint_pct,
    SAFE_DIVIDE(SUM(d.mid_m), SUM(d.mid_a)) AS mid_pct,
    SAFE_DIVIDE(SUM(d.corner3_m), SUM(d.corner3_a)) AS corner3_pct,
    SAFE_DIVIDE(SUM(d.above_break3_m), SUM(d.above_break3_a)) AS above_break3_pct
  FROM (
    SELECT DISTINCT
      game_date,
      season
    FROM targets
  ) AS t
  JOIN defence_games AS d
    ON d.season IS NOT DISTINCT FROM t.season
    AND d.game_date < t.game_date
    AND d.game_date >= @season_start
  GROUP BY
    t.game_date
), joined AS (
  SELECT
    t.player_id,
    t.game_date,
    t.game_id,
    t.team,
    t.opponent,
    COALESCE(p.games_in_window, 0) AS games_in_window,
    SAFE_DIVIDE(p.fga, p.games_in_window) AS fga_per_game,
    SAFE_DIVIDE(p.paint_a, p.fga) AS share_paint,
    SAFE_DIVIDE(p.mid_a, p.fga) AS share_mid,
    SAFE_DIVIDE(p.corner3_a, p.fga) AS share_corner3,
    SAFE_DIVIDE(p.above_break3_a, p.fga) AS share_above_break3,
    d.paint_pct - l.paint_pct AS opp_paint_vs_league,
    d.mid_pct - l.mid_pct AS opp_mid_vs_league,
    d.corner3_pct - l.corner3_pct AS opp_corner3_vs_league,
    d.above_break3_pct - l.above_break3_pct AS opp_above_break3_vs_league
  FROM targets AS t
  LEFT JOIN player_window AS p
    ON p.player_id = t.player_id AND p.game_date = t.game_date
  LEFT JOIN defence_window AS d
    ON d.team = t.opponent AND d.game_date = t.game_date
  LEFT JOIN league AS l
    ON l.game_date = t.game_date
)
SELECT
  player_id,
  game_date,
  game_id,
  team,
  opponent,
  games_in_window,
  ROUND(fga_per_game, 6) AS fga_per_game,
  ROUND(share_paint, 6) AS share_paint,
  ROUND(share_mid, 6) AS share_mid,
  ROUND(share_corner3, 6) AS share_corner3,
  ROUND(share_above_break3, 6) AS share_above_break3,
  ROUND(opp_paint_vs_league, 6) AS opp_paint_vs_league,
  ROUND(opp_mid_vs_league, 6) AS opp_mid_vs_league,
  ROUND(opp_corner3_vs_league, 6) AS opp_corner3_vs_league,
  ROUND(opp_above_break3_vs_league, 6) AS opp_above_break3_vs_league,
  ROUND(
    IF(
      opp_paint_vs_league IS NULL,
      NULL,
      fga_per_game * (
        share_paint * 2 * COALESCE(opp_paint_vs_league, 0) + share_mid * 2 * COALESCE(opp_mid_vs_league, 0) + share_corner3 * 3 * COALESCE(opp_corner3_vs_league, 0) + share_above_break3 * 3 * COALESCE(opp_above_break3_vs_league, 0)
      )
    ),
    6
  ) AS zone_points_delta
FROM joined
