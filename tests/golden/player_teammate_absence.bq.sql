/* player_teammate_absence: per player x game date D x as-of kind, what his teammates listed Out or */
/* Doubtful leave behind. The listing is the merged injury status at the row's as-of (injury_status, */
/* the same cut-off as the rest of the context), and what they leave is measured over the team's */
/* last 10 games before D: their minutes and their usage load (share of the team's possessions they */
/* used, usage% x minutes / 240), per team game. A teammate who has been out for weeks leaves */
/* nothing: his absence is already in everyone's recent averages. */
WITH targets AS (
  SELECT
    player_id,
    game_id,
    game_date,
    as_of_kind,
    team
  FROM upcoming_player_game_context
  WHERE
    game_date BETWEEN @start AND @end AND NOT player_id IS NULL
  QUALIFY
    ROW_NUMBER() OVER (
      PARTITION BY player_id, game_date, as_of_kind
      ORDER BY player_lookup ASC, game_id ASC
    ) = 1
), team_targets AS (
  SELECT DISTINCT
    game_id,
    game_date,
    team
  FROM targets
), listed_out AS (
  SELECT
    game_id,
    as_of_kind,
    team,
    player_id
  FROM injury_status
  WHERE
    game_date BETWEEN @start AND @end AND LOWER(status) IN ('out', 'doubtful')
), team_recent AS (
  SELECT
    t.game_id,
    t.team,
    g.game_date AS past_date
  FROM team_targets AS t
  JOIN team_offense_game_summary AS g
    ON g.team = t.team AND g.game_date < t.game_date
  QUALIFY
    ROW_NUMBER() OVER (PARTITION BY t.game_id, t.team ORDER BY g.game_date DESC) <= 10
), team_window AS (
  SELECT
    game_id,
    team,
    COUNT(*) AS team_games
  FROM team_recent
  GROUP BY
    game_id,
    team
), left_behind AS (
  SELECT
    o.game_id,
    o.as_of_kind,
    o.team,
    o.player_id,
    SUM(CAST(p.minutes AS FLOAT64)) AS minutes,
    SUM(CAST(p.minutes AS FLOAT64) * COALESCE(p.usage_rate, 0) / 100 / 240) AS usage_load
  FROM listed_out AS o
  JOIN team_recent AS tr
    ON tr.game_id = o.game_id AND tr.team = o.team
  JOIN player_game_summary AS p
    ON p.player_id = o.player_id
    AND p.game_date = tr.past_date
    AND p.team = o.team
    AND p.played
  GROUP BY
    o.game_id,
    o.as_of_kind,
    o.team,
    o.player_id
)
SELECT
  t.player_id,
  t.game_date,
  t.as_of_kind,
  t.game_id,
  t.team,
  COUNT(o.player_id) AS teammates_listed_out,
  COALESCE(w.team_games, 0) AS team_games_in_window,
  ROUND(COALESCE(SAFE_DIVIDE(SUM(lb.minutes), ANY_VALUE(w.team_games)), 0), 6) AS teammates_out_minutes,
  ROUND(COALESCE(SAFE_DIVIDE(SUM(lb.usage_load), ANY_VALUE(w.team_games)), 0), 6) AS teammates_out_usage
FROM targets AS t
LEFT JOIN listed_out AS o
  ON o.game_id = t.game_id
  AND o.as_of_kind = t.as_of_kind
  AND o.team = t.team
  AND o.player_id <> t.player_id
LEFT JOIN left_behind AS lb
  ON lb.game_id = o.game_id
  AND lb.as_of_kind = o.as_of_kind
  AND lb.team = o.team
  AND lb.player_id = o.player_id
LEFT JOIN team_window AS w
  ON w.game_id = t.game_id AND w.team = t.team
GROUP BY
  t.player_id,
  t.game_date,
  t.as_of_kind,
  t.game_id,
  t.team,
  w.team_games
