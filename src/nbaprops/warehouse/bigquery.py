"""The BigQuery warehouse: every statement a bounded, labelled, cost-capped job.

* **Tables** are created from the same ``TableSpec``s as DuckDB's, through the tables API:
  partitioned by ``game_date`` (when the table has that DATE column; else by the first DATE
  column of its key) and clustered by the clusterable columns of its key (at most four).
* **Statements.** Business code writes portable SQL with ``?`` parameters; it is transpiled once
  (sqlglot, cached) from DuckDB's dialect into BigQuery's. SQL models arrive already in BigQuery
  text with ``@name`` parameters (``capabilities.dialect`` says so), which is what named
  parameters mean here. Values are always query parameters, never text.
* **Every query job** carries a client timeout, a server-side ``job_timeout_ms``, a retry with a
  deadline (transient API errors only), ``maximum_bytes_billed``, labels (environment, step, run
  id, game date) and the environment's dataset as its default dataset. A **dry run** first
  estimates the bytes the statement will scan: above ``max_bytes`` the statement is refused
  before it runs, and the estimate goes to the query log with the bytes processed, billed and
  their estimated dollars.
* **Loads** are load jobs, never streaming inserts or row-by-row DML: the Arrow batch is written
  as Parquet into a staging table (expiring after a day, dropped after use), then one ``INSERT …
  SELECT`` or one ``MERGE`` moves it into the table. A MERGE on a table partitioned by a key
  column filters the target to the batch's date range, so it reads only those partitions.
* **Transactions** are BigQuery sessions: the first statement inside ``transaction()`` opens a
  session with ``BEGIN TRANSACTION``; ``COMMIT``/``ROLLBACK TRANSACTION`` end it. Load jobs cannot
  join a session, so staging happens outside and only the DML is transactional.
"""

from __future__ import annotations

import concurrent.futures
import io
import re
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import requests
import structlog
from google.api_core import exceptions as api_exceptions
from google.auth.exceptions import DefaultCredentialsError
from google.cloud import bigquery
from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY

from nbaprops.checks import tables_check as _tables_check
from nbaprops.errors import ConfigError, WarehouseError
from nbaprops.warehouse.protocol import Capabilities, Params, canonical_json, json_spelling
from nbaprops.warehouse.querylog import QueryLog, current_context, now_utc, statement_kind, usd_for
from nbaprops.warehouse.schema import table_spec

if TYPE_CHECKING:
    import pyarrow as pa

    from nbaprops.checks import Check
    from nbaprops.settings import Settings
    from nbaprops.warehouse.spec import Column, TableSpec

log = structlog.get_logger(__name__)

_MAX_ERROR_CHARS = 500
_CLUSTERABLE = {"STRING", "INT64", "DATE", "TIMESTAMP", "BOOL"}
_MAX_CLUSTER_COLUMNS = 4
_STAGE_TTL = timedelta(days=1)
_DOCTOR_RETRY_S = 10.0
_LABEL_BAD = re.compile(r"[^a-z0-9_-]")
_NO_DRY_RUN = {"transaction", "ddl"}
_DML = {"insert", "update", "delete", "merge"}


def partition_field(spec: TableSpec) -> str | None:
    """The column a table is partitioned by: ``game_date`` when it is a DATE column, else the
    first DATE column of its key (``cache_date``, ``analysis_date``: the day a row is for)."""
    types = {c.name: c.type for c in spec.columns}
    if types.get("game_date") == "DATE":
        return "game_date"
    return next((k for k in spec.key if types[k] == "DATE"), None)


def clustering_fields(spec: TableSpec) -> list[str]:
    """The key's clusterable columns, in key order, at most four (BigQuery's limit)."""
    types = {c.name: c.type for c in spec.columns}
    return [k for k in spec.key if types[k] in _CLUSTERABLE][:_MAX_CLUSTER_COLUMNS]


def schema_fields(
    spec: TableSpec, columns: Sequence[str] | None = None, *, staging: bool = False
) -> list[Any]:
    """BigQuery schema fields of a spec (JSON columns are STRING in staging tables: Parquet has no JSON)."""
    wanted = spec.column_names if columns is None else tuple(columns)
    fields = []
    for column in spec.columns:
        if column.name not in wanted:
            continue
        kind = "STRING" if staging and column.type == "JSON" else column.type
        mode = "REQUIRED" if column.required and not staging else "NULLABLE"
        fields.append(bigquery.SchemaField(column.name, kind, mode=mode))
    return fields


def bigquery_client(settings: Settings) -> bigquery.Client:
    """A client for the configured project and endpoint (an http:// endpoint: no credentials)."""
    if not settings.gcp_project:
        raise ConfigError("the BigQuery warehouse needs NBAPROPS_GCP_PROJECT (the [gcp] extra is installed)")
    options = {"api_endpoint": settings.bq_api_endpoint} if settings.bq_api_endpoint else None
    credentials = None
    if settings.bq_api_endpoint and settings.bq_api_endpoint.startswith("http://"):
        from google.auth.credentials import AnonymousCredentials

        credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]
    try:
        return bigquery.Client(
            project=settings.gcp_project,
            credentials=credentials,
            location=settings.bq_location,
            client_options=options,
        )
    except DefaultCredentialsError as exc:
        raise ConfigError(f"no Google credentials for BigQuery: {_short(exc)}") from None


def open_bigquery(settings: Settings) -> BigQueryWarehouse:
    """The BigQuery warehouse the settings describe (its dataset: ``settings.bq_dataset_name``)."""
    return BigQueryWarehouse(
        bigquery_client(settings),
        dataset=settings.bq_dataset_name,
        location=settings.bq_location,
        query_timeout_s=settings.query_timeout_s,
        retry_deadline_s=settings.bq_retry_deadline_s,
        max_bytes=settings.bq_max_bytes,
        usd_per_tib=settings.bq_usd_per_tib,
        labels={"app": "nbaprops", "env": settings.deploy_env},
        query_log=settings.query_log_enabled,
        query_log_batch=settings.query_log_batch,
    )


class BigQueryWarehouse:
    """``Warehouse`` over one BigQuery dataset (``{env}_{dataset}``)."""

    def __init__(
        self,
        client: bigquery.Client,
        *,
        dataset: str,
        query_timeout_s: float,
        retry_deadline_s: float,
        max_bytes: int,
        location: str | None = None,
        usd_per_tib: float = 6.25,
        labels: Mapping[str, str] | None = None,
        query_log: bool = True,
        query_log_batch: int = 500,
    ) -> None:
        if query_timeout_s <= 0 or retry_deadline_s <= 0 or max_bytes <= 0:
            raise ValueError("query_timeout_s, retry_deadline_s and max_bytes must be positive")
        self._client = client
        self._dataset = bigquery.DatasetReference(client.project, dataset)
        self._location = location
        self._timeout = query_timeout_s
        self._max_bytes = max_bytes
        self._usd_per_tib = usd_per_tib
        self._labels = {_label(k): _label(v) for k, v in (labels or {}).items()}
        self._retry_deadline = retry_deadline_s
        self._retry = bigquery.DEFAULT_RETRY.with_timeout(retry_deadline_s)
        self._job_retry = DEFAULT_JOB_RETRY.with_timeout(retry_deadline_s)
        self._api_timeout = min(query_timeout_s, retry_deadline_s)
        self._capabilities = Capabilities(
            dialect="bigquery", merge=True, transactions=True, interruptible=True
        )
        self._lock = threading.RLock()
        self._tx_depth = 0
        self._session: str | None = None
        self._log = QueryLog("bigquery", batch_rows=query_log_batch) if query_log else None
        self._log_table = False
        # Each table's schema as create_table last saw it (the tables API answers it for free), so
        # that create_schema's column check costs no extra call.
        self._schemas: dict[str, list[Any]] = {}

    @property
    def capabilities(self) -> Capabilities:
        """BigQuery: MERGE, transactions (sessions), cancellable jobs; models in BigQuery SQL."""
        return self._capabilities

    @property
    def dataset(self) -> str:
        """``project.dataset`` this warehouse reads and writes."""
        return f"{self._dataset.project}.{self._dataset.dataset_id}"

    @property
    def client(self) -> bigquery.Client:
        """The BigQuery client (for ``doctor``'s checks)."""
        return self._client

    # --- statements ---------------------------------------------------------------------------

    def execute(self, sql: str, params: Params = None) -> None:
        """Run one statement (dry run first, then the job)."""
        self._run(sql, params)

    def query_arrow(self, sql: str, params: Params = None) -> pa.Table:
        """Run one query; the result as Arrow (JSON columns as text, like DuckDB)."""
        rows, _ = self._run(sql, params)
        return _arrow(rows)

    def query_rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Run one query and fetch every row as a tuple (JSON values as text, like DuckDB)."""
        rows, _ = self._run(sql, params)
        json_columns = [i for i, f in enumerate(rows.schema) if f.field_type == "JSON"]
        out = []
        for row in rows:
            values = list(row.values())
            for i in json_columns:
                if values[i] is not None:
                    values[i] = json_spelling(values[i])  # the client hands JSON parsed
            out.append(tuple(values))
        return out

    def _run(self, sql: str, params: Params, *, dry_run: bool = True) -> tuple[Any, Any]:
        text, parameters = to_bigquery(sql, params)
        kind = statement_kind(text)
        with self._lock:
            if self._tx_depth and self._session is None and kind != "transaction":
                self._begin_session()
            started, clock = now_utc(), time.perf_counter()
            estimate: int | None = None
            job: Any = None
            rows: Any = None
            error: str | None = None
            try:
                if dry_run and kind not in _NO_DRY_RUN:
                    estimate = self._dry_run(text, parameters)
                    self._within_cap(estimate)
                job = self._client.query(
                    text,
                    job_config=self._query_config(parameters),
                    job_id_prefix=f"nbaprops_{kind}_",
                    location=self._location,
                    timeout=self._api_timeout,
                    retry=self._retry,
                    job_retry=self._job_retry if not self._session else None,
                )
                rows = self._wait(job)
            except WarehouseError as exc:
                error = str(exc)
                raise
            finally:
                if self._log is not None:
                    returned = _int(getattr(rows, "total_rows", None)) if kind == "select" else None
                    self._record(
                        kind,
                        started,
                        time.perf_counter() - clock,
                        job=job,
                        estimate=estimate,
                        error=error,
                        returned=returned,
                    )
            return rows, job

    def _dry_run(self, text: str, parameters: list[Any]) -> int:
        config = self._query_config(parameters)
        config.dry_run = True
        config.use_query_cache = False
        try:
            dry = self._client.query(
                text,
                job_config=config,
                location=self._location,
                timeout=self._api_timeout,
                retry=self._retry,
                job_retry=None,
            )
        except api_exceptions.GoogleAPIError as exc:
            raise WarehouseError(f"BigQuery refused the statement: {_short(exc)}") from None
        return int(dry.total_bytes_processed or 0)

    def _within_cap(self, estimate: int) -> None:
        """Refuse a statement whose dry run estimates more than the per-query cap."""
        if estimate > self._max_bytes:
            raise WarehouseError(
                f"query would scan {estimate:,} bytes, above the cap of {self._max_bytes:,} "
                "(NBAPROPS_BQ_MAX_BYTES); not run"
            )

    def _query_config(self, parameters: list[Any]) -> bigquery.QueryJobConfig:
        config = bigquery.QueryJobConfig(
            default_dataset=self._dataset,
            query_parameters=parameters,
            maximum_bytes_billed=self._max_bytes,
            labels=self.job_labels(),
            use_legacy_sql=False,
            priority=bigquery.QueryPriority.INTERACTIVE,
        )
        config.job_timeout_ms = int(self._timeout * 1000)
        if self._session is not None:
            config.connection_properties = [bigquery.ConnectionProperty("session_id", self._session)]
        return config

    def job_labels(self) -> dict[str, str]:
        """Labels of the next job: the configured ones plus the current step, run id and date."""
        ctx = current_context()
        labels = dict(self._labels)
        for key, value in (
            ("step", ctx.step),
            ("run_id", ctx.run_id),
            ("game_date", ctx.game_date.isoformat() if ctx.game_date else None),
        ):
            if value:
                labels[key] = _label(value)
        return labels

    def _wait(self, job: Any) -> Any:
        """The job's rows, within the query timeout; a job past it is cancelled."""
        try:
            return job.result(timeout=self._timeout, retry=self._retry)
        except concurrent.futures.TimeoutError:
            self._cancel(job)
            raise WarehouseError(f"query timed out after {self._timeout:g} s (job cancelled)") from None
        except api_exceptions.GoogleAPIError as exc:
            raise WarehouseError(f"BigQuery job failed: {_short(exc)}") from None

    def _cancel(self, job: Any) -> None:
        try:
            job.cancel(timeout=self._api_timeout, retry=self._retry)
        except api_exceptions.GoogleAPIError as exc:
            log.warning("bigquery.cancel_failed", job_id=job.job_id, error=_short(exc))

    def _record(
        self,
        kind: str,
        started: datetime,
        duration: float,
        *,
        job: Any,
        estimate: int | None,
        error: str | None,
        returned: int | None,
    ) -> None:
        processed = billed = None
        rows = returned
        if job is not None and error is None:
            processed = _int(getattr(job, "total_bytes_processed", None))
            billed = _int(getattr(job, "total_bytes_billed", None))
            if kind in _DML:
                rows = _int(getattr(job, "num_dml_affected_rows", None))
        if self._log is None:
            return
        self._log.record(
            kind=kind,
            started_at=started,
            duration_s=duration,
            rows=rows,
            bytes_estimated=estimate,
            bytes_processed=processed,
            bytes_billed=billed,
            estimated_usd=usd_for(billed, self._usd_per_tib),
            error=error,
        )
        if self._log.full and not self._tx_depth:
            self.flush_query_log()

    # --- tables -------------------------------------------------------------------------------

    def create_table(self, spec: TableSpec) -> None:
        """Create ``spec``'s table unless it exists: partitioned by game date, clustered by key."""
        table = bigquery.Table(self._dataset.table(spec.name), schema=schema_fields(spec))
        table.description = spec.description
        field = partition_field(spec)
        if field is not None:
            table.time_partitioning = bigquery.TimePartitioning(
                type_=bigquery.TimePartitioningType.DAY, field=field
            )
        cluster = clustering_fields(spec)
        if cluster:
            table.clustering_fields = cluster
        table.labels = dict(self._labels)
        # exists_ok: an existing table is answered with its current resource (a get), not changed.
        found = self._api(
            lambda: self._client.create_table(
                table, exists_ok=True, retry=self._retry, timeout=self._api_timeout
            )
        )
        self._schemas[spec.name] = list(found.schema)

    def table_columns(self, table_names: Sequence[str]) -> dict[str, dict[str, str]]:
        """Each existing named table's columns and BigQuery types (tables API; create_table's answers)."""
        found: dict[str, dict[str, str]] = {}
        for name in table_names:
            table_spec(name)
            fields = self._schemas.get(name)
            if fields is None:
                try:
                    fields = list(
                        self._client.get_table(
                            self._dataset.table(name), retry=self._retry, timeout=self._api_timeout
                        ).schema
                    )
                except api_exceptions.NotFound:
                    continue
                except api_exceptions.GoogleAPIError as exc:
                    raise WarehouseError(f"BigQuery: cannot look up {name}: {_short(exc)}") from None
                self._schemas[name] = fields
            found[name] = {f.name: f.field_type for f in fields}
        return found

    def add_columns(self, spec: TableSpec, columns: Sequence[Column]) -> None:
        """Append NULLABLE fields with one tables-API patch of the schema (no query, no bytes billed).

        BigQuery allows adding nullable columns to a table's schema in place; its rows read NULL.
        """
        table_spec(spec.name)
        if not columns:
            return
        ref = self._dataset.table(spec.name)
        table = self._api(lambda: self._client.get_table(ref, retry=self._retry, timeout=self._api_timeout))
        have = {f.name for f in table.schema}
        added = [bigquery.SchemaField(c.name, c.type, mode="NULLABLE") for c in columns if c.name not in have]
        table.schema = [*table.schema, *added]
        patched = self._api(
            lambda: self._client.update_table(table, ["schema"], retry=self._retry, timeout=self._api_timeout)
        )
        self._schemas[spec.name] = list(patched.schema)

    def table_exists(self, table_name: str) -> bool:
        """Whether the table exists in the dataset (tables API, no query)."""
        table_spec(table_name)
        try:
            self._client.get_table(
                self._dataset.table(table_name), retry=self._retry, timeout=self._api_timeout
            )
        except api_exceptions.NotFound:
            return False
        except api_exceptions.GoogleAPIError as exc:
            raise WarehouseError(f"BigQuery: cannot look up {table_name}: {_short(exc)}") from None
        return True

    def row_count(self, table_name: str) -> int:
        """Row count of a known table (a query: it sees the open transaction's own rows)."""
        table_spec(table_name)
        return int(self.query_rows(f"SELECT COUNT(*) FROM {table_name}")[0][0])  # noqa: S608 - allow-listed

    # --- Arrow loads --------------------------------------------------------------------------

    def insert_arrow(self, table_name: str, arrow_table: pa.Table) -> int:
        """Append the rows: one load job into a staging table, then one ``INSERT … SELECT``."""
        spec = table_spec(table_name)
        names = _columns(spec, arrow_table)
        if arrow_table.num_rows == 0:
            return 0
        with self._lock, self._staged(spec, arrow_table, names) as stage:
            values = ", ".join(_source_value(spec, c) for c in names)
            cols = ", ".join(f"`{c}`" for c in names)
            sql = f"INSERT INTO `{table_name}` ({cols}) SELECT {values} FROM `{stage}` AS S"  # noqa: S608 - allow-listed
            _, job = self._run(sql, {})
            return _int(job.num_dml_affected_rows) or 0

    def merge_arrow(
        self,
        table_name: str,
        arrow_table: pa.Table,
        key_columns: Sequence[str] | None = None,
        *,
        newer_by: Sequence[str] = (),
    ) -> int:
        """Upsert: one load job into a staging table, then one ``MERGE`` (see the module doc)."""
        spec = table_spec(table_name)
        names = _columns(spec, arrow_table)
        keys = list(key_columns) if key_columns is not None else list(spec.key)
        if not keys or any(k not in names for k in keys):
            raise WarehouseError(f"merge into {table_name}: key {keys} must be columns of the batch")
        if any(c not in names for c in newer_by):
            raise WarehouseError(
                f"merge into {table_name}: version {list(newer_by)} must be columns of the batch"
            )
        repeats = _repeated_keys(arrow_table, keys)
        if repeats:
            raise WarehouseError(f"merge into {table_name}: {repeats} key(s) repeat within the batch")
        if arrow_table.num_rows == 0:
            return 0
        sql, params = merge_sql(spec, names, keys, newer_by, _date_range(spec, arrow_table, keys))
        with self._lock, self._staged(spec, arrow_table, names) as stage:
            _, job = self._run(sql.replace("{stage}", stage), params)
            return _int(job.num_dml_affected_rows) or 0

    @contextmanager
    def _staged(self, spec: TableSpec, arrow_table: pa.Table, names: list[str]) -> Iterator[str]:
        """A staging table holding ``arrow_table`` (one load job); dropped on exit."""
        import pyarrow.parquet as pq

        stage = f"_stage_{spec.name}_{uuid.uuid4().hex[:12]}"
        ref = self._dataset.table(stage)
        table = bigquery.Table(ref, schema=schema_fields(spec, names, staging=True))
        table.expires = datetime.now(UTC) + _STAGE_TTL
        table.labels = {**self._labels, "staging": "true"}
        self._api(lambda: self._client.create_table(table, retry=self._retry, timeout=self._api_timeout))
        try:
            buffer = io.BytesIO()
            pq.write_table(_typed(spec, arrow_table, names), buffer, compression="zstd")
            size = buffer.tell()
            buffer.seek(0)
            config = bigquery.LoadJobConfig(
                source_format=bigquery.SourceFormat.PARQUET,
                write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
                create_disposition=bigquery.CreateDisposition.CREATE_NEVER,
                labels=self.job_labels(),
            )
            config.job_timeout_ms = int(self._timeout * 1000)
            started, clock = now_utc(), time.perf_counter()
            load = self._api(
                lambda: self._client.load_table_from_file(
                    buffer,
                    ref,
                    size=size,
                    job_config=config,
                    job_id_prefix="nbaprops_load_",
                    location=self._location,
                    timeout=self._api_timeout,
                )
            )
            self._wait(load)
            if self._log is not None:
                self._log.record(
                    kind="load",
                    started_at=started,
                    duration_s=time.perf_counter() - clock,
                    rows=_int(load.output_rows),
                    bytes_processed=0,
                    bytes_billed=0,
                    estimated_usd=0.0,
                )
            yield stage
        finally:
            self._drop(ref)

    def _drop(self, ref: Any) -> None:
        try:
            self._client.delete_table(ref, not_found_ok=True, retry=self._retry, timeout=self._api_timeout)
        except api_exceptions.GoogleAPIError as exc:
            # It expires within a day anyway; the failure is worth a line, not the load.
            log.warning("bigquery.stage_drop_failed", table=ref.table_id, error=_short(exc))

    def _api(self, call: Any) -> Any:
        try:
            return call()
        except api_exceptions.GoogleAPIError as exc:
            raise WarehouseError(f"BigQuery: {_short(exc)}") from None

    # --- the query log ------------------------------------------------------------------------

    def flush_query_log(self) -> int:
        """Write the buffered ``query_log`` rows with one load job; returns how many were written."""
        with self._lock:
            if self._log is None or not self._log.pending or self._tx_depth:
                return 0
            if not self._log_table:
                self._log_table = self.table_exists("query_log")
            batch = self._log.drain()
            if batch is None:
                return 0
            if not self._log_table:
                log.info("query_log.not_recorded", rows=batch.num_rows, reason="no query_log table")
                return 0
            import pyarrow.parquet as pq

            buffer = io.BytesIO()
            pq.write_table(batch, buffer)
            size = buffer.tell()
            buffer.seek(0)
            config = bigquery.LoadJobConfig(
                source_format=bigquery.SourceFormat.PARQUET,
                write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
                create_disposition=bigquery.CreateDisposition.CREATE_NEVER,
                labels={**self._labels, "step": "query_log"},
            )
            config.job_timeout_ms = int(self._timeout * 1000)
            job = self._api(
                lambda: self._client.load_table_from_file(
                    buffer,
                    self._dataset.table("query_log"),
                    size=size,
                    job_config=config,
                    job_id_prefix="nbaprops_querylog_",
                    location=self._location,
                    timeout=self._api_timeout,
                )
            )
            self._wait(job)
            return int(batch.num_rows)

    # --- transactions -------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A session transaction, opened at the first statement; nested blocks join the outer one."""
        with self._lock:
            if self._tx_depth:
                self._tx_depth += 1
                try:
                    yield
                finally:
                    self._tx_depth -= 1
                return
            self._tx_depth = 1
            try:
                yield
            except BaseException:
                self._end_session("ROLLBACK TRANSACTION")
                raise
            else:
                try:
                    if self._session is not None:
                        self._run("COMMIT TRANSACTION", {}, dry_run=False)
                except WarehouseError:
                    self._end_session("ROLLBACK TRANSACTION")
                    raise
                self._end_session(None)
            finally:
                self._tx_depth = 0
                self._session = None

    def _begin_session(self) -> None:
        config = self._query_config([])
        config.create_session = True
        try:
            job = self._client.query(
                "BEGIN TRANSACTION",
                job_config=config,
                job_id_prefix="nbaprops_begin_",
                location=self._location,
                timeout=self._api_timeout,
                retry=self._retry,
                job_retry=None,
            )
        except api_exceptions.GoogleAPIError as exc:
            raise WarehouseError(f"BigQuery: cannot open a session: {_short(exc)}") from None
        self._wait(job)
        info = job.session_info
        if info is None or not info.session_id:
            raise WarehouseError("BigQuery opened no session for the transaction")
        self._session = info.session_id

    def _end_session(self, statement: str | None) -> None:
        """Roll back (when asked) and end the session; failures here are logged, not raised."""
        if self._session is None:
            return
        for sql in (statement, "CALL BQ.ABORT_SESSION()"):
            if sql is None:
                continue
            try:
                self._run(sql, {}, dry_run=False)
            except WarehouseError as exc:
                log.warning("bigquery.session_end_failed", statement=sql, error=str(exc))

    def doctor(self) -> list[Check]:
        """Reach, the dataset, its tables, the permissions jobs and loads need, and the cost cap."""
        from nbaprops.checks import Check
        from nbaprops.warehouse.schema import TABLES

        retry = self._retry.with_timeout(min(_DOCTOR_RETRY_S, self._retry_deadline))
        timeout = min(self._api_timeout, _DOCTOR_RETRY_S)
        where = self._client._connection.API_BASE_URL
        try:
            dataset = self._client.get_dataset(self._dataset, retry=retry, timeout=timeout)
        except api_exceptions.NotFound:
            return [
                Check("warehouse", "reach", True, f"bigquery at {where}"),
                Check(
                    "warehouse",
                    "dataset",
                    False,
                    f"dataset {self.dataset} does not exist: create it in {self._location or 'US'} "
                    "(docs/deploy.md)",
                ),
            ]
        except api_exceptions.Forbidden:
            return [
                Check("warehouse", "reach", True, f"bigquery at {where}"),
                Check(
                    "warehouse",
                    "permissions",
                    False,
                    f"no access to dataset {self.dataset}: grant the service account "
                    "roles/bigquery.dataEditor on it",
                ),
            ]
        except (api_exceptions.GoogleAPIError, requests.exceptions.RequestException) as exc:
            return [Check("warehouse", "reach", False, f"cannot reach BigQuery at {where}: {_short(exc)}")]
        checks = [
            Check("warehouse", "reach", True, f"bigquery at {where}"),
            Check("warehouse", "dataset", True, f"dataset {self.dataset} in {dataset.location}"),
        ]
        found = {t.table_id for t in self._client.list_tables(self._dataset, retry=retry, timeout=timeout)}
        missing = sorted(set(TABLES) - found)
        checks.append(_tables_check(missing, len(TABLES)))
        try:
            self._dry_run("SELECT 1", [])
            checks.append(Check("warehouse", "permissions", True, "query jobs can be created (dry run)"))
        except WarehouseError as exc:
            checks.append(
                Check(
                    "warehouse",
                    "permissions",
                    False,
                    f"cannot create query jobs ({exc}): grant roles/bigquery.jobUser on project "
                    f"{self._dataset.project}",
                )
            )
        if "run_ledger" in found:
            wanted = ["bigquery.tables.getData", "bigquery.tables.updateData"]
            granted = self._client.test_iam_permissions(
                self._dataset.table("run_ledger"), wanted, retry=retry, timeout=timeout
            ).get("permissions", [])
            lacking = sorted(set(wanted) - set(granted))
            checks.append(
                Check(
                    "warehouse",
                    "permissions",
                    not lacking,
                    "tables readable and writable"
                    if not lacking
                    else f"lacking {', '.join(lacking)}: grant roles/bigquery.dataEditor on the dataset",
                )
            )
        checks.append(
            Check(
                "warehouse",
                "quota",
                True,
                f"each query capped at {self._max_bytes / 2**30:g} GiB scanned (dry run, "
                "maximum_bytes_billed); project quotas are set in the console (docs/deploy.md)",
            )
        )
        return checks

    def close(self) -> None:
        """Write the pending query log and close the client's HTTP session."""
        with self._lock:
            try:
                self.flush_query_log()
            except WarehouseError as exc:
                log.warning("query_log.write_failed", error=str(exc))
            self._client.close()  # type: ignore[no-untyped-call]

    def __enter__(self) -> BigQueryWarehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- SQL text ----------------------------------------------------------------------------------


def to_bigquery(sql: str, params: Params) -> tuple[str, list[Any]]:
    """The BigQuery text of a statement and its query parameters.

    Named parameters (a mapping) mean BigQuery text with ``@name`` (the SQL models' form), run as
    given; positional ones (or none) mean portable text with ``?``, transpiled from DuckDB's
    dialect. Values become typed query parameters, never text.
    """
    if isinstance(params, Mapping):
        return sql, [_parameter(name, value) for name, value in params.items()]
    text = _transpiled(sql)
    return text, [_parameter(None, value) for value in (params or [])]


@lru_cache(maxsize=4096)
def _transpiled(sql: str) -> str:
    import sqlglot
    from sqlglot.errors import SqlglotError

    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
        if len(statements) != 1:
            raise WarehouseError("one statement per call")
        text: str = _json_values(statements[0]).sql(dialect="bigquery")
    except SqlglotError as exc:
        raise WarehouseError(f"cannot translate the statement to BigQuery SQL: {str(exc)[:300]}") from None
    return text


def _json_values(tree: Any) -> Any:
    """Wrap a parameter written into a JSON column in ``PARSE_JSON``.

    DuckDB casts text to JSON on assignment; BigQuery refuses a STRING where JSON is due. The
    table and column come from the statement (``INSERT INTO t (…) VALUES (…)``, ``UPDATE t SET
    c = ?``) and the schema says which columns are JSON.
    """
    from sqlglot import exp

    def json_columns(table: Any) -> set[str]:
        try:
            spec = table_spec(table.name)
        except WarehouseError:
            return set()
        return {c.name for c in spec.columns if c.type == "JSON"}

    def wrap(value: Any) -> None:
        if isinstance(value, exp.Placeholder):
            value.replace(exp.Anonymous(this="PARSE_JSON", expressions=[value.copy()]))

    if isinstance(tree, exp.Insert) and isinstance(tree.this, exp.Schema):
        wanted = json_columns(tree.this.this)
        names = [c.name for c in tree.this.expressions]
        values = tree.expression
        if wanted and isinstance(values, exp.Values):
            for row in values.expressions:
                for name, value in zip(names, row.expressions, strict=False):
                    if name in wanted:
                        wrap(value)
    elif isinstance(tree, exp.Update):
        wanted = json_columns(tree.this)
        for assignment in tree.expressions:
            if isinstance(assignment, exp.EQ) and assignment.this.name in wanted:
                wrap(assignment.expression)
    return tree


def merge_sql(
    spec: TableSpec,
    names: Sequence[str],
    keys: Sequence[str],
    newer_by: Sequence[str],
    date_range: tuple[date, date] | None,
) -> tuple[str, dict[str, Any]]:
    """The MERGE of a staging table (``{stage}``) into ``spec``'s table, and its parameters.

    Keys a column cannot be NULL in compare with ``=``; nullable ones with ``IS NOT DISTINCT
    FROM``. With a date range, the target is filtered to it in the ON clause, which is how
    BigQuery prunes a MERGE's target partitions.
    """
    required = {c.name for c in spec.columns if c.required}
    on = [f"T.`{k}` = S.`{k}`" if k in required else f"T.`{k}` IS NOT DISTINCT FROM S.`{k}`" for k in keys]
    params: dict[str, Any] = {}
    field = partition_field(spec)
    if date_range is not None and field is not None:
        on.append(f"T.`{field}` BETWEEN @first_date AND @last_date")
        params = {"first_date": date_range[0], "last_date": date_range[1]}
    updates = ", ".join(f"`{c}` = {_source_value(spec, c)}" for c in names if c not in keys)
    newer = f" AND {_greater(newer_by)}" if newer_by else ""
    matched = f"WHEN MATCHED{newer} THEN UPDATE SET {updates}\n" if updates else ""
    cols = ", ".join(f"`{c}`" for c in names)
    values = ", ".join(_source_value(spec, c) for c in names)
    sql = (
        f"MERGE `{spec.name}` AS T\nUSING `{{stage}}` AS S\nON {' AND '.join(on)}\n{matched}"  # noqa: S608 - allow-listed
        f"WHEN NOT MATCHED THEN INSERT ({cols}) VALUES ({values})"
    )
    return sql, params


def _greater(columns: Sequence[str]) -> str:
    """``(S.a, S.b) > (T.a, T.b)`` spelled out (BigQuery has no row comparison)."""
    first, rest = columns[0], columns[1:]
    if not rest:
        return f"S.`{first}` > T.`{first}`"
    return f"(S.`{first}` > T.`{first}` OR (S.`{first}` = T.`{first}` AND {_greater(rest)}))"


def _source_value(spec: TableSpec, column: str) -> str:
    json_columns = {c.name for c in spec.columns if c.type == "JSON"}
    return f"PARSE_JSON(S.`{column}`)" if column in json_columns else f"S.`{column}`"


# --- Arrow helpers -----------------------------------------------------------------------------


def _columns(spec: TableSpec, arrow_table: pa.Table) -> list[str]:
    unknown = [c for c in arrow_table.column_names if c not in spec.column_names]
    if unknown:
        raise WarehouseError(f"table {spec.name} has no column(s) {unknown}")
    return list(arrow_table.column_names)


def _arrow_type(kind: str) -> Any:
    import pyarrow as pa

    return {
        "STRING": pa.string(),
        "JSON": pa.string(),
        "INT64": pa.int64(),
        "FLOAT64": pa.float64(),
        "BOOL": pa.bool_(),
        "DATE": pa.date32(),
        "TIMESTAMP": pa.timestamp("us", tz="UTC"),
        "BYTES": pa.binary(),
    }[kind]


def _typed(spec: TableSpec, arrow_table: pa.Table, names: Sequence[str]) -> pa.Table:
    """The batch cast to the spec's types, so the Parquet file matches the staging schema."""
    import pyarrow as pa

    types = {c.name: c.type for c in spec.columns}
    arrays = []
    for name in names:
        column = arrow_table.column(name)
        target = _arrow_type(types[name])
        if pa.types.is_null(column.type):
            column = pa.nulls(len(column), type=target)
        elif column.type != target:
            try:
                column = column.cast(target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise WarehouseError(
                    f"table {spec.name}: column {name} is not {types[name]}: {exc}"
                ) from None
        arrays.append(column)
    return pa.Table.from_arrays(arrays, names=list(names))


def _repeated_keys(arrow_table: pa.Table, keys: Sequence[str]) -> int:
    if arrow_table.num_rows == 0:
        return 0
    counts = arrow_table.select(list(keys)).group_by(list(keys)).aggregate([([], "count_all")])
    return sum(1 for n in counts.column("count_all").to_pylist() if n > 1)


def _date_range(spec: TableSpec, arrow_table: pa.Table, keys: Sequence[str]) -> tuple[date, date] | None:
    """The batch's game-date range, when the table is partitioned by a key column with no NULLs."""
    import pyarrow.compute as pc

    field = partition_field(spec)
    if field is None or field not in keys or arrow_table.num_rows == 0:
        return None
    column = arrow_table.column(field)
    if column.null_count:
        return None
    bounds = pc.min_max(column).as_py()
    low, high = bounds["min"], bounds["max"]
    if isinstance(low, datetime) or not isinstance(low, date) or not isinstance(high, date):
        return None
    return low, high


def _arrow(rows: Any) -> pa.Table:
    """A result's rows as Arrow (REST pages; JSON columns as text)."""
    import pyarrow as pa

    table = rows.to_arrow(create_bqstorage_client=False)
    for index, field in enumerate(rows.schema):
        if field.field_type == "JSON":
            values = [None if v is None else canonical_json(v) for v in table.column(index).to_pylist()]
            table = table.set_column(index, field.name, pa.array(values, pa.string()))
    return table


# --- parameters and small helpers ---------------------------------------------------------------


def _parameter(name: str | None, value: Any) -> Any:
    """A typed query parameter (NULL is typed STRING: BigQuery coerces it in comparisons)."""
    if isinstance(value, list | tuple):
        kinds = {_scalar_type(v) for v in value if v is not None}
        kind = kinds.pop() if len(kinds) == 1 else "STRING"
        return bigquery.ArrayQueryParameter(name, kind, list(value))
    return bigquery.ScalarQueryParameter(name, _scalar_type(value), value)


def _scalar_type(value: Any) -> str:
    if value is None or isinstance(value, str):
        return "STRING"
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, int):
        return "INT64"
    if isinstance(value, float):
        return "FLOAT64"
    if isinstance(value, Decimal):
        return "NUMERIC"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return "DATETIME"
        return "TIMESTAMP"
    if isinstance(value, date):
        return "DATE"
    if isinstance(value, bytes):
        return "BYTES"
    raise WarehouseError(f"cannot bind a {type(value).__name__} as a BigQuery parameter")


def _label(value: str) -> str:
    """A valid label key or value: lower case, letters/digits/_/-, at most 63 characters."""
    return _LABEL_BAD.sub("_", str(value).lower())[:63]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _short(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc)
    text = str(message).strip().splitlines()[0] if str(message).strip() else type(exc).__name__
    return text[:_MAX_ERROR_CHARS]
