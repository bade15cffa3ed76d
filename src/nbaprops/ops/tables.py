"""Tables of the operations package: alert deliveries, data-quality results, backups."""

from __future__ import annotations

from nbaprops.warehouse.spec import Column, TableSpec

ALERT_DELIVERIES = TableSpec(
    name="alert_deliveries",
    description=(
        "One row per attempt to hand an alert to a channel: sent, failed (with the error), or held back "
        "(deduplicated within the window, rate-limited). The dedup window and rate limit read it."
    ),
    key=("alert_id", "channel", "attempted_at"),
    columns=(
        Column("alert_id", "STRING", required=True),
        Column("alert_key", "STRING", required=True),  # what dedup compares: kind + step/date/subject
        Column("channel", "STRING", required=True),  # log | email | slack | sentry
        Column("attempted_at", "TIMESTAMP", required=True),
        Column("status", "STRING", required=True),  # sent | failed | deduplicated | rate_limited
        Column("via", "STRING"),  # 'route' or 'fallback:<channel that failed>'
        Column("error", "STRING"),
    ),
)

QUALITY_RESULTS = TableSpec(
    name="quality_results",
    description=(
        "The latest verdict of every data-quality rule for every game date checked: the table and rule, "
        "its severity, whether it passed, the observed value against its threshold, a one-line message, "
        "and the check run that wrote it (a re-check of a date replaces its rows)."
    ),
    key=("game_date", "rule"),
    columns=(
        Column("game_date", "DATE", required=True),
        Column("rule", "STRING", required=True),  # e.g. raw_nbac_player_boxscores.points_minutes_range
        Column("table_name", "STRING", required=True),
        Column("check_type", "STRING", required=True),  # freshness | row_count | null_rate | range | …
        Column("severity", "STRING", required=True),  # error | warning
        Column("passed", "BOOL", required=True),
        Column("observed", "FLOAT64"),
        Column("threshold", "FLOAT64"),
        Column("message", "STRING", required=True),
        Column("run_id", "STRING", required=True),  # the check run (one id per `nbaprops quality` or build)
        Column("recorded_at", "TIMESTAMP", required=True),
    ),
)

BACKUPS = TableSpec(
    name="backups",
    description="Every backup written (and each restore verification): where, how much, and when verified.",
    key=("snapshot_id",),
    columns=(
        Column("snapshot_id", "STRING", required=True),
        Column("created_at", "TIMESTAMP", required=True),
        Column("url", "STRING", required=True),  # the snapshot's folder (credentials never included)
        Column("tables", "INT64", required=True),
        Column("rows", "INT64", required=True),
        Column("bytes", "INT64", required=True),
        Column("files_written", "INT64", required=True),  # the rest were reused from the previous snapshot
        Column("seconds", "FLOAT64", required=True),
        Column("verified_at", "TIMESTAMP"),  # set by a verify pass (backup --verify or restore --verify)
    ),
)

OPS_TABLES: tuple[TableSpec, ...] = (ALERT_DELIVERIES, QUALITY_RESULTS, BACKUPS)
