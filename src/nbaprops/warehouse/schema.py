"""Every warehouse table, collected from the modules that declare them.

``TABLES`` is also the allow-list of identifiers: a table name that is not a key here never
reaches SQL text. A phase adds tables by declaring ``TableSpec``s in its own module and listing
them here.

Column types use BigQuery's names (the production engine); ``TableSpec.ddl("duckdb")`` maps them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from nbaprops.errors import WarehouseError
from nbaprops.warehouse.spec import Column, Dialect, TableSpec

if TYPE_CHECKING:
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

__all__ = ["TABLES", "Column", "Dialect", "TableSpec", "create_schema", "table_spec"]

RUN_LEDGER = TableSpec(
    name="run_ledger",
    description="One row per pipeline step execution: when, outcome, rows in and out.",
    key=("run_id",),
    columns=(
        Column("run_id", "STRING", required=True),
        Column("step", "STRING", required=True),
        Column("game_date", "DATE"),
        Column("started_at", "TIMESTAMP", required=True),
        Column("finished_at", "TIMESTAMP"),
        Column(
            "status", "STRING", required=True
        ),  # running | success | degraded | blocked | failed | skipped | abandoned
        Column("rows_in", "INT64"),
        Column("rows_out", "INT64"),
        Column("error", "STRING"),
        Column("details", "JSON"),
        Column("owner", "STRING"),  # host:pid:start of the process running the step
    ),
)

QUARANTINE = TableSpec(
    name="quarantine",
    description="Payloads that could not be parsed or loaded, kept for inspection and replay.",
    key=("payload_sha256", "kind"),
    columns=(
        Column("quarantined_at", "TIMESTAMP", required=True),
        Column("kind", "STRING", required=True),
        Column("lake_path", "STRING"),
        Column("error_type", "STRING", required=True),
        Column("error", "STRING"),
        Column("first_bytes", "BYTES"),
        Column("payload_sha256", "STRING", required=True),
    ),
)

ALERTS = TableSpec(
    name="alerts",
    description="Every alert raised by the pipeline (also sent to the configured channels).",
    key=("alert_id",),
    columns=(
        Column("alert_id", "STRING", required=True),
        Column("raised_at", "TIMESTAMP", required=True),
        Column("kind", "STRING", required=True),  # e.g. source_fallback, unresolved_names, quarantine
        Column("severity", "STRING", required=True),  # info | warning | error
        Column("message", "STRING", required=True),
        Column("context", "JSON"),
    ),
)

QUERY_LOG = TableSpec(
    name="query_log",
    description=(
        "One row per warehouse statement a step ran: how long, how many rows, and on BigQuery the bytes "
        "its dry run estimated, the bytes processed and billed, and the estimated dollars."
    ),
    key=("query_id",),
    columns=(
        Column("query_id", "STRING", required=True),
        Column("run_id", "STRING"),  # the run_ledger row of the step, when one is open
        Column("step", "STRING"),
        Column("game_date", "DATE"),
        Column("backend", "STRING", required=True),  # duckdb | bigquery
        Column("statement_kind", "STRING"),  # select | merge | insert | delete | ddl | load | other
        Column("started_at", "TIMESTAMP", required=True),
        Column("duration_s", "FLOAT64"),
        Column("rows", "INT64"),  # rows returned or affected
        Column("bytes_estimated", "INT64"),  # the dry run's estimate (BigQuery)
        Column("bytes_processed", "INT64"),
        Column("bytes_billed", "INT64"),
        Column("estimated_usd", "FLOAT64"),
        Column("error", "STRING"),
    ),
)


def _collect() -> dict[str, TableSpec]:
    from nbaprops.analytics.tables import ANALYTICS_TABLES
    from nbaprops.features.tables import FEATURES_TABLES
    from nbaprops.grade.tables import GRADE_TABLES
    from nbaprops.ops.tables import OPS_TABLES
    from nbaprops.pipeline.tables import PIPELINE_TABLES
    from nbaprops.predict.tables import PREDICT_TABLES
    from nbaprops.raw.identity_tables import IDENTITY_TABLES
    from nbaprops.raw.tables import RAW_TABLES
    from nbaprops.sources.tables import SOURCE_TABLES

    specs = (
        RUN_LEDGER,
        QUARANTINE,
        ALERTS,
        QUERY_LOG,
        *RAW_TABLES,
        *IDENTITY_TABLES,
        *SOURCE_TABLES,
        *ANALYTICS_TABLES,
        *FEATURES_TABLES,
        *PREDICT_TABLES,
        *GRADE_TABLES,
        *PIPELINE_TABLES,
        *OPS_TABLES,
    )
    tables: dict[str, TableSpec] = {}
    for spec in specs:
        if spec.name in tables:
            raise ValueError(f"table {spec.name} is declared twice")
        tables[spec.name] = spec
    return tables


TABLES: dict[str, TableSpec] = _collect()


def table_spec(table_name: str) -> TableSpec:
    """The spec of a known table; any other name is refused before it can reach SQL text."""
    try:
        return TABLES[table_name]
    except KeyError:
        raise WarehouseError(f"unknown table {table_name!r}: not in the schema allow-list") from None


def create_schema(warehouse: Warehouse) -> None:
    """Create every table that does not exist yet and add the declared columns an old one lacks.

    Running it again changes nothing. The one migration there is: a column a ``TableSpec`` gained
    after a warehouse was created is added to the existing table, nullable (its old rows read
    NULL), so a warehouse of an older version keeps working with its rows. Nothing is ever dropped
    or retyped: a column whose stored type differs from the declared one raises ``SchemaMismatch``.

    Every entry point calls this first, so it also closes the ledger rows of steps whose process
    died mid-run (``ledger.abandon_dead_runs``): a killed run shows as ``abandoned`` at the next
    start.
    """
    from nbaprops.warehouse.ledger import abandon_dead_runs

    with warehouse.transaction():
        for spec in TABLES.values():
            warehouse.create_table(spec)
        existing = warehouse.table_columns(list(TABLES))
        for name, spec in TABLES.items():
            if name not in existing:
                raise WarehouseError(f"table {name} is missing right after it was created")
            missing = spec.columns_to_add(existing[name])
            if missing:
                warehouse.add_columns(spec, missing)
                log.info("warehouse.columns_added", table=name, columns=[c.name for c in missing])
        abandon_dead_runs(warehouse)
