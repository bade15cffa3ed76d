-- Every injury source merged into one status per player per scheduled game per as-of
-- (game_as_of): what a bettor could have read at that as_of.
-- Each source's latest report published at or before the as_of for the game date counts (a player
-- left off a later report is no longer listed); a player listed by several sources takes the note
-- of the first source of @injury_sources (settings.injury_sources). NBA.com's report is filed under
-- its game date; a Ball Don't Lie note is only in force on the ET date it was fetched, never
-- back-dated (the feed serves the notes of "now"), and its Day-To-Day reads as Questionable.
WITH as_ofs AS (
  SELECT game_id, game_date, as_of_kind, as_of, home_team AS team FROM game_as_of
  WHERE game_date BETWEEN @start AND @end
  UNION ALL
  SELECT game_id, game_date, as_of_kind, as_of, away_team AS team FROM game_as_of
  WHERE game_date BETWEEN @start AND @end
),
notes AS (
  SELECT 'nbacom' AS source, game_date, team, player_id, player_lookup, player_name, status, reason,
    snapshot_at AS published_at
  FROM raw_nbac_injury_report
  WHERE game_date BETWEEN @start AND @end AND player_id IS NOT NULL
  UNION ALL
  SELECT 'bdl' AS source, DATE(snapshot_at, 'America/New_York') AS game_date, team, player_id,
    player_lookup, player_name, IF(status = 'Day-To-Day', 'Questionable', status) AS status,
    description AS reason, snapshot_at AS published_at
  FROM raw_bdl_injuries
  WHERE DATE(snapshot_at, 'America/New_York') BETWEEN @start AND @end AND player_id IS NOT NULL
),
reports AS (
  -- each source's last report for the date published at or before each as_of
  SELECT a.game_id, a.as_of_kind, n.source, MAX(n.published_at) AS published_at
  FROM (SELECT DISTINCT game_id, game_date, as_of_kind, as_of FROM as_ofs) AS a
  JOIN (SELECT DISTINCT source, game_date, published_at FROM notes) AS n
    ON n.game_date = a.game_date AND n.published_at <= a.as_of
  GROUP BY a.game_id, a.as_of_kind, n.source
),
listed AS (
  SELECT a.game_id, a.game_date, a.as_of_kind, a.as_of, n.team, n.player_id, n.player_lookup, n.player_name,
    n.status, n.reason, n.source, n.published_at,
    STRPOS(CONCAT(',', @injury_sources, ','), CONCAT(',', n.source, ',')) AS listed_at
  FROM as_ofs AS a
  JOIN reports AS r ON r.game_id = a.game_id AND r.as_of_kind = a.as_of_kind
  JOIN notes AS n
    ON n.source = r.source AND n.published_at = r.published_at AND n.game_date = a.game_date
   AND n.team = a.team
)
SELECT game_date, game_id, as_of_kind, as_of, team, player_id, player_lookup, player_name, status, reason,
  source, published_at, CURRENT_TIMESTAMP() AS built_at
FROM listed
WHERE listed_at > 0
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY game_id, as_of_kind, player_id
  ORDER BY listed_at ASC NULLS LAST, published_at DESC NULLS LAST, status ASC NULLS LAST
) = 1
