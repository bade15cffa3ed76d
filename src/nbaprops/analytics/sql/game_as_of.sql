-- The as-ofs a scheduled game of @start..@end is built for: one row per game per as-of kind.
-- 'prediction': the daily prediction time (@prediction_minute_et minutes after midnight ET of the
-- game date, settings.prediction_time_et), or one second before tip when the game tips earlier.
-- 'pretip': one second before tip. Every snapshot (odds, injury note) a context or feature row
-- uses was published at or before its as_of; history is games strictly before the game date.
WITH schedule AS (
  SELECT game_id, game_date, season, tip_utc, home_team, away_team
  FROM raw_nbac_schedule
  WHERE game_date BETWEEN @start AND @end AND is_nba_matchup IS NOT FALSE
),
daily AS (
  SELECT *,
    TIMESTAMP(DATETIME_ADD(DATETIME(game_date), INTERVAL @prediction_minute_et MINUTE), 'America/New_York')
      AS prediction_at,
    TIMESTAMP_SUB(tip_utc, INTERVAL 1 SECOND) AS pretip_at
  FROM schedule
)
SELECT game_date, game_id, season, tip_utc, home_team, away_team, 'prediction' AS as_of_kind,
  IF(pretip_at IS NOT NULL AND pretip_at < prediction_at, pretip_at, prediction_at) AS as_of,
  CURRENT_TIMESTAMP() AS built_at
FROM daily
UNION ALL
SELECT game_date, game_id, season, tip_utc, home_team, away_team, 'pretip' AS as_of_kind,
  pretip_at AS as_of, CURRENT_TIMESTAMP() AS built_at
FROM daily
WHERE pretip_at IS NOT NULL
