"""A fake BigQuery REST endpoint on loopback, for tests and benchmarks only.

Nothing real can run BigQuery offline, so this speaks the part of its REST API that
``google-cloud-bigquery`` uses (datasets, tables, query and load jobs with multipart and
resumable uploads, query results, cancel) and executes the SQL on DuckDB: the BigQuery text the
client sends is transpiled with sqlglot (BigQuery -> DuckDB) and run with the query parameters
decoded from their REST form. Every request is recorded (method, path, query, JSON body) so tests
can assert job configurations.

Dry runs estimate bytes the way BigQuery's on-demand pricing counts them: for each table the
statement reads, the columns it names (every column for ``*``), sized per type (8 bytes for
INT64/FLOAT64/DATE/TIMESTAMP, 1 for BOOL, 2 + UTF-8 length for STRING/BYTES, the text length for
JSON), over the rows of the partitions its filters on the table's partitioning column (the
table resource's ``timePartitioning.field``) select, when they sit in the ``WHERE`` of the
query block that reads the table (or a MERGE's ``ON``) and compare it with constants (partition pruning);
billing rounds up to a MiB with a 10 MiB minimum per table read. Sessions map to DuckDB
transactions (one connection, so one session at a time).
"""

from __future__ import annotations

import base64
import email
import email.policy
import io
import json
import math
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

MIB = 2**20
_DUCK_TYPES = {
    "STRING": "VARCHAR",
    "INTEGER": "BIGINT",
    "INT64": "BIGINT",
    "FLOAT": "DOUBLE",
    "FLOAT64": "DOUBLE",
    "BOOLEAN": "BOOLEAN",
    "BOOL": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMPTZ",
    "JSON": "JSON",
    "BYTES": "BLOB",
    "NUMERIC": "DECIMAL(38, 9)",
    "DATETIME": "TIMESTAMP",
}
_FIXED_BYTES = {"INTEGER": 8, "INT64": 8, "FLOAT": 8, "FLOAT64": 8, "DATE": 8, "TIMESTAMP": 8, "DATETIME": 8}
_STATEMENT_TYPES = {
    exp.Select: "SELECT",
    exp.Union: "SELECT",
    exp.Insert: "INSERT",
    exp.Update: "UPDATE",
    exp.Delete: "DELETE",
    exp.Merge: "MERGE",
    exp.Create: "CREATE_TABLE",
    exp.Drop: "DROP_TABLE",
}


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


@dataclass
class _Table:
    fields: list[dict[str, Any]]
    resource: dict[str, Any]


@dataclass
class _Result:
    fields: list[dict[str, Any]]
    rows: list[tuple[Any, ...]]
    dml_rows: int | None = None


class FakeBigQuery:
    """The fake's state: one DuckDB database (a schema per dataset) and the recorded requests."""

    def __init__(self, project: str = "fake-project") -> None:
        self.project = project
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone = 'UTC'")
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.datasets: dict[str, dict[str, Any]] = {}
        self.tables: dict[tuple[str, str], _Table] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.results: dict[str, _Result] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        self.sessions: set[str] = set()
        self.fail_next: list[tuple[int, str]] = []  # (HTTP status, reason) answered to the next requests
        self.dry_answers: list[dict[str, Any]] = []  # the job resources answered to dry runs
        self.denied: set[str] = set()  # IAM permissions testIamPermissions answers as not granted
        self.pending_s = 0.0  # how long a finished job keeps saying "not complete" (a slow query)
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> FakeBigQuery:
        fake = self

        class Handler(_Handler):
            state = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, name="bqfake", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self.con.close()

    def reset_requests(self) -> None:
        with self.lock:
            self.requests.clear()
            self.dry_answers.clear()

    def new_dataset(self) -> str:
        """A fresh, empty dataset named ``t<n>_nbaprops`` (its settings: deploy_env ``t<n>``)."""
        with self.lock:
            env = f"t{len(self.datasets)}"
            self.create_dataset(
                {"datasetReference": {"projectId": self.project, "datasetId": f"{env}_nbaprops"}}
            )
            return env

    def settings(self, env: str, **extra: Any) -> dict[str, Any]:
        """Settings overrides that point nbaprops at this fake's dataset of ``env``."""
        return {
            "warehouse_backend": "bigquery",
            "gcp_project": self.project,
            "bq_api_endpoint": self.url,
            "deploy_env": env,
            "bq_dataset": "nbaprops",
            **extra,
        }

    def jobs_of(self, kind: str | None = None, *, dry_run: bool | None = None) -> list[dict[str, Any]]:
        """Recorded job insertions (their configuration), optionally of one kind (query, load)."""
        found = []
        for r in self.requests:
            if r.method != "POST" or not r.path.endswith("/jobs") or not isinstance(r.body, dict):
                continue
            config = r.body.get("configuration", {})
            if kind is not None and kind not in config:
                continue
            if dry_run is not None and bool(config.get("dryRun")) != dry_run:
                continue
            found.append(config)
        return found

    # --- datasets and tables -----------------------------------------------------------------

    def create_dataset(self, body: dict[str, Any]) -> tuple[int, Any]:
        name = body["datasetReference"]["datasetId"]
        with self.lock:
            if name in self.datasets:
                return 409, _error(409, f"Already Exists: Dataset {self.project}:{name}", "duplicate")
            self.con.execute(f'CREATE SCHEMA "{name}"')
            resource = {
                **body,
                "id": f"{self.project}:{name}",
                "kind": "bigquery#dataset",
                "location": body.get("location", "US"),
            }
            self.datasets[name] = resource
            return 200, resource

    def create_table(self, dataset: str, body: dict[str, Any]) -> tuple[int, Any]:
        name = body["tableReference"]["tableId"]
        with self.lock:
            if dataset not in self.datasets:
                return 404, _error(404, f"Not found: Dataset {self.project}:{dataset}", "notFound")
            if (dataset, name) in self.tables:
                return 409, _error(409, f"Already Exists: Table {self.project}:{dataset}.{name}", "duplicate")
            fields = body.get("schema", {}).get("fields", [])
            columns = ", ".join(
                f'"{f["name"]}" {_DUCK_TYPES[f["type"]]}{" NOT NULL" if f.get("mode") == "REQUIRED" else ""}'
                for f in fields
            )
            self.con.execute(f'CREATE TABLE "{dataset}"."{name}" ({columns})')
            resource = {
                **body,
                "id": f"{self.project}:{dataset}.{name}",
                "kind": "bigquery#table",
                "type": "TABLE",
            }
            self.tables[(dataset, name)] = _Table(fields, resource)
            return 200, self.table_resource(dataset, name)

    def table_resource(self, dataset: str, name: str) -> dict[str, Any]:
        table = self.tables[(dataset, name)]
        count = self.con.execute(f'SELECT count(*) FROM "{dataset}"."{name}"').fetchall()[0][0]  # noqa: S608 - the fake's own identifiers
        return {**table.resource, "numRows": str(count), "numBytes": "0"}

    def patch_table(self, dataset: str, name: str, body: dict[str, Any]) -> tuple[int, Any]:
        """tables.patch of the schema, with BigQuery's rules: fields may only be appended, NULLABLE
        (or REPEATED); an existing field keeps its name, type and mode, none is dropped."""
        with self.lock:
            table = self.tables.get((dataset, name))
            if table is None:
                return 404, _error(404, f"Not found: Table {self.project}:{dataset}.{name}", "notFound")
            if "schema" not in (body or {}):
                return 200, self.table_resource(dataset, name)
            new = body["schema"].get("fields", [])
            old = table.fields

            def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
                return (a["name"], a["type"], a.get("mode", "NULLABLE")) == (
                    b["name"],
                    b["type"],
                    b.get("mode", "NULLABLE"),
                )

            if len(new) < len(old) or not all(same(a, b) for a, b in zip(old, new, strict=False)):
                return 400, _error(400, "Provided Schema does not match Table: fields changed", "invalid")
            added = new[len(old) :]
            if any(f.get("mode", "NULLABLE") == "REQUIRED" for f in added):
                return 400, _error(400, "Cannot add required fields to an existing schema", "invalid")
            for f in added:
                column = f'"{f["name"]}" {_DUCK_TYPES[f["type"]]}'
                self.con.execute(f'ALTER TABLE "{dataset}"."{name}" ADD COLUMN {column}')
            table.fields = [*old, *added]
            table.resource = {**table.resource, "schema": {"fields": table.fields}}
            return 200, self.table_resource(dataset, name)

    def drop_table(self, dataset: str, name: str) -> tuple[int, Any]:
        with self.lock:
            if (dataset, name) not in self.tables:
                return 404, _error(404, f"Not found: Table {self.project}:{dataset}.{name}", "notFound")
            self.con.execute(f'DROP TABLE "{dataset}"."{name}"')
            del self.tables[(dataset, name)]
            return 204, None

    # --- jobs ---------------------------------------------------------------------------------

    def insert_job(self, body: dict[str, Any]) -> tuple[int, Any]:
        config = body.get("configuration", {})
        reference = dict(body.get("jobReference") or {})
        reference.setdefault("jobId", uuid.uuid4().hex)
        reference.setdefault("projectId", self.project)
        reference.setdefault("location", "US")
        if "query" in config:
            return self._query_job(reference, config)
        return 400, _error(400, "only query jobs are inserted without an upload", "invalid")

    def _query_job(self, reference: dict[str, Any], config: dict[str, Any]) -> tuple[int, Any]:
        query = config["query"]
        dataset = (query.get("defaultDataset") or {}).get("datasetId")
        text = query["query"]
        dry_run = bool(config.get("dryRun"))
        statistics: dict[str, Any] = {"creationTime": _now_ms(), "startTime": _now_ms(), "query": {}}
        with self.lock:
            try:
                params = _decode_params(query.get("queryParameters", []))
                control = _control(text)
                if control is not None:
                    self._control(control, query, statistics)
                    result = _Result([], [])
                    statement_type = "SCRIPT"
                else:
                    text, params = _named_placeholders(text, params)
                    tree = sqlglot.parse_one(text, read="bigquery")
                    statement_type = _STATEMENT_TYPES.get(type(tree), "SCRIPT")
                    estimate, tables_read, unpruned = self._estimate(tree, params, dataset)
                    billed = (
                        0 if estimate == 0 else max(math.ceil(estimate / MIB) * MIB, 10 * MIB * tables_read)
                    )
                    statistics["totalBytesProcessed"] = str(estimate)
                    statistics["query"].update(
                        {"totalBytesProcessed": str(estimate), "estimatedBytesProcessed": str(estimate)}
                    )
                    statistics["fakeUnprunedBytes"] = str(unpruned)  # the same scan without pruning
                    if dry_run:
                        answer = self._job(reference, config, statistics, state="DONE")
                        self.dry_answers.append(answer)
                        return 200, answer
                    cap = query.get("maximumBytesBilled")
                    if cap is not None and billed > int(cap):
                        return 200, self._failed(
                            reference,
                            config,
                            statistics,
                            "bytesBilledLimitExceeded",
                            f"Query exceeded limit for bytes billed: {cap}. {billed} or higher required.",
                        )
                    result = self._execute(tree, params, dataset)
                    statistics["query"].update({"totalBytesBilled": str(billed), "cacheHit": False})
                    statistics["query"]["statementType"] = statement_type
                    if result.dml_rows is not None:
                        statistics["query"]["numDmlAffectedRows"] = str(result.dml_rows)
            except (duckdb.Error, sqlglot.errors.SqlglotError, ValueError, KeyError) as exc:
                if dry_run:
                    return 400, _error(400, f"{type(exc).__name__}: {exc}", "invalidQuery")
                return 200, self._failed(reference, config, statistics, "invalidQuery", str(exc))
            self.results[reference["jobId"]] = result
            if config.get("query", {}).get("createSession") or config.get("createSession"):
                session = uuid.uuid4().hex
                self.sessions.add(session)
                statistics["sessionInfo"] = {"sessionId": session}
            statistics["endTime"] = _now_ms()
            return 200, self._job(reference, config, statistics, state="DONE")

    def _control(self, statement: str, query: dict[str, Any], statistics: dict[str, Any]) -> None:
        if statement == "BEGIN":
            self.con.execute("BEGIN TRANSACTION")
        elif statement == "COMMIT":
            self.con.execute("COMMIT")
        elif statement == "ROLLBACK":
            self.con.execute("ROLLBACK")
        elif statement == "ABORT":
            for prop in query.get("connectionProperties", []):
                self.sessions.discard(prop.get("value"))
        statistics["query"]["totalBytesProcessed"] = "0"
        statistics["query"]["totalBytesBilled"] = "0"
        statistics["totalBytesProcessed"] = "0"

    def _job(
        self, reference: dict[str, Any], config: dict[str, Any], statistics: dict[str, Any], *, state: str
    ) -> dict[str, Any]:
        resource = {
            "kind": "bigquery#job",
            "id": f"{reference['projectId']}:{reference['location']}.{reference['jobId']}",
            "jobReference": reference,
            "configuration": config,
            "status": {"state": "RUNNING" if self.pending_s and not config.get("dryRun") else state},
            "statistics": statistics,
        }
        if not config.get("dryRun"):
            self.jobs[reference["jobId"]] = resource
        return resource

    def _failed(
        self,
        reference: dict[str, Any],
        config: dict[str, Any],
        statistics: dict[str, Any],
        reason: str,
        message: str,
    ) -> dict[str, Any]:
        resource = self._job(reference, config, statistics, state="DONE")
        error = {"reason": reason, "message": message[:1000]}
        resource["status"] = {"state": "DONE", "errorResult": error, "errors": [error]}
        return resource

    def _execute(
        self, tree: exp.Expression, params: list[Any] | dict[str, Any], dataset: str | None
    ) -> _Result:
        duck = tree.sql(dialect="duckdb")
        if dataset:
            self.con.execute(f"SET schema = '{dataset}'")
        cursor = self.con.execute(duck, params or None)
        rows = cursor.fetchall()
        if isinstance(tree, exp.Insert | exp.Update | exp.Delete | exp.Merge):
            return _Result([], [], dml_rows=int(rows[0][0]) if rows else 0)
        description = cursor.description or []
        fields = [{"name": d[0], "type": _bq_type(str(d[1])), "mode": "NULLABLE"} for d in description]
        return _Result(fields, rows)

    # --- bytes estimate (see the module doc) ---------------------------------------------------

    def _estimate(
        self, tree: exp.Expression, params: list[Any] | dict[str, Any], dataset: str | None
    ) -> tuple[int, int, int]:
        """Bytes the statement reads (partition-pruned), tables read, and bytes without pruning."""
        bound = _with_literals(tree.copy(), params)
        targets = set()
        if isinstance(bound, exp.Insert):
            target = bound.this.this if isinstance(bound.this, exp.Schema) else bound.this
            if isinstance(target, exp.Table):
                targets.add(id(target))
        ctes = {c.alias_or_name for c in bound.find_all(exp.CTE)}
        total = 0
        unpruned = 0
        tables_read = 0
        for table in bound.find_all(exp.Table):
            if id(table) in targets or table.name in ctes:
                continue
            ds = table.db or dataset
            spec = self.tables.get((ds or "", table.name))
            if spec is None:
                continue
            tables_read += 1
            names = {f["name"]: f["type"] for f in spec.fields}
            alias = table.alias_or_name
            scope = table.find_ancestor(exp.Select, exp.Merge, exp.Update, exp.Delete)
            used = _columns_used(scope or bound, alias, table.name, names, star=_has_star(scope))
            if not used:
                continue
            sizes = " + ".join(_size_sql(c, names[c]) for c in sorted(used))
            partitioning = (spec.resource.get("timePartitioning") or {}).get("field")
            where = (
                _partition_filter(scope or bound, alias, table.name, partitioning)
                if partitioning in names
                else None
            )
            sql = f'SELECT coalesce({sizes}, 0) FROM "{ds}"."{table.name}"'  # noqa: S608 - the fake's own identifiers
            whole = int(self.con.execute(sql).fetchall()[0][0] or 0)
            unpruned += whole
            if not where:
                total += whole
                continue
            sql = f'SELECT coalesce({sizes}, 0) FROM "{ds}"."{table.name}" AS "{alias}" WHERE {where}'  # noqa: S608 - the fake's own identifiers
            total += int(self.con.execute(sql).fetchall()[0][0] or 0)
        return total, tables_read, unpruned

    # --- loads --------------------------------------------------------------------------------

    def load_job(self, metadata: dict[str, Any], data: bytes) -> tuple[int, Any]:
        config = metadata.get("configuration", {})
        load = config["load"]
        reference = dict(metadata.get("jobReference") or {})
        reference.setdefault("jobId", uuid.uuid4().hex)
        reference.setdefault("projectId", self.project)
        reference.setdefault("location", "US")
        destination = load["destinationTable"]
        dataset, name = destination["datasetId"], destination["tableId"]
        statistics: dict[str, Any] = {"creationTime": _now_ms(), "startTime": _now_ms(), "load": {}}
        with self.lock:
            if load.get("sourceFormat") != "PARQUET":
                return 200, self._failed(
                    reference, config, statistics, "invalid", "the fake loads Parquet only"
                )
            if (dataset, name) not in self.tables:
                if load.get("createDisposition") == "CREATE_NEVER":
                    return 200, self._failed(
                        reference, config, statistics, "notFound", f"Not found: Table {name}"
                    )
                self.create_table(dataset, {"tableReference": destination, "schema": load.get("schema", {})})
            arrow = pq.read_table(io.BytesIO(data))
            if load.get("writeDisposition") == "WRITE_TRUNCATE":
                self.con.execute(f'DELETE FROM "{dataset}"."{name}"')  # noqa: S608 - the fake's own identifiers
            self.con.register("_fake_load", arrow)
            try:
                cols = ", ".join(f'"{c}"' for c in arrow.column_names)
                self.con.execute(f'INSERT INTO "{dataset}"."{name}" ({cols}) SELECT {cols} FROM _fake_load')  # noqa: S608 - the fake's own identifiers
            except duckdb.Error as exc:
                return 200, self._failed(reference, config, statistics, "invalid", str(exc))
            finally:
                self.con.unregister("_fake_load")
            statistics["load"] = {"outputRows": str(arrow.num_rows), "inputFileBytes": str(len(data))}
            statistics["endTime"] = _now_ms()
            return 200, self._job(reference, config, statistics, state="DONE")

    # --- results ------------------------------------------------------------------------------

    def query_results(self, job_id: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        job = self.jobs.get(job_id)
        if job is None:
            return 404, _error(404, f"Not found: Job {job_id}", "notFound")
        if self.pending_s:
            wait_ms = min(int((query.get("timeoutMs") or ["1000"])[0]), int(self.pending_s * 1000))
            threading.Event().wait(wait_ms / 1000)
            return 200, {
                "kind": "bigquery#getQueryResultsResponse",
                "jobReference": job["jobReference"],
                "jobComplete": False,
            }
        with self.lock:
            result = self.results.get(job_id, _Result([], []))
            start = int((query.get("pageToken") or query.get("startIndex") or ["0"])[0])
            limit = int((query.get("maxResults") or [str(len(result.rows) or 1)])[0])
            page = result.rows[start : start + limit] if limit else []
            body: dict[str, Any] = {
                "kind": "bigquery#getQueryResultsResponse",
                "jobReference": job["jobReference"],
                "jobComplete": True,
                "schema": {"fields": result.fields},
                "totalBytesProcessed": job["statistics"].get("totalBytesProcessed", "0"),
                "cacheHit": False,
            }
            if result.fields:
                body["totalRows"] = str(len(result.rows))
                if limit:
                    body["rows"] = [_encode_row(row, result.fields) for row in page]
            if result.dml_rows is not None:
                body["numDmlAffectedRows"] = str(result.dml_rows)
            if limit and start + limit < len(result.rows):
                body["pageToken"] = str(start + limit)
            if "errorResult" in job["status"]:
                body["errors"] = job["status"]["errors"]
            return 200, body


class _Handler(BaseHTTPRequestHandler):
    state: FakeBigQuery
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        raw = self._body()
        content_type = self.headers.get("Content-Type", "")
        body: Any = None
        if raw and content_type.startswith("application/json"):
            body = json.loads(raw)
        state = self.state
        upload = parts.path.startswith("/upload/")
        metadata = None
        data = b""
        if upload and content_type.startswith("multipart/"):
            metadata, data = _multipart(content_type, raw)
            body = metadata
        state.requests.append(Recorded(method, parts.path, query, body if not upload or metadata else None))
        if state.fail_next:
            status, reason = state.fail_next.pop(0)
            self._send(status, _error(status, f"injected {reason}", reason))
            return
        status, payload, headers = self._route(
            method, path=parts.path, query=query, body=body, raw=raw, metadata=metadata, data=data
        )
        self._send(status, payload, headers)

    def _route(
        self,
        method: str,
        *,
        path: str,
        query: dict[str, list[str]],
        body: Any,
        raw: bytes,
        metadata: Any,
        data: bytes,
    ) -> tuple[int, Any, dict[str, str] | None]:
        state = self.state
        segments = [s for s in path.split("/") if s]
        if segments[:2] == ["upload", "bigquery"]:
            kind = (query.get("uploadType") or [""])[0]
            if kind == "multipart":
                status, payload = state.load_job(metadata, data)
                return status, payload, None
            if kind == "resumable":
                upload_id = (query.get("upload_id") or [None])[0]
                if upload_id is None:
                    upload_id = uuid.uuid4().hex
                    state.uploads[upload_id] = {"metadata": body, "data": bytearray()}
                    location = f"{state.url}{path}?uploadType=resumable&upload_id={upload_id}"
                    return 200, {}, {"Location": location}
                session = state.uploads[upload_id]
                session["data"].extend(raw)
                total = self.headers.get("Content-Range", "").rsplit("/", 1)[-1]
                if total != "*" and total.isdigit() and len(session["data"]) >= int(total):
                    del state.uploads[upload_id]
                    status, payload = state.load_job(session["metadata"], bytes(session["data"]))
                    return status, payload, None
                return 308, None, {"Range": f"bytes=0-{len(session['data']) - 1}"}
        if segments[:2] != ["bigquery", "v2"] or len(segments) < 4:
            return 404, _error(404, f"no route {path}", "notFound"), None
        rest = segments[4:]
        if rest == ["datasets"] and method == "POST":
            return (*state.create_dataset(body), None)
        if rest == ["datasets"] and method == "GET":
            items = [
                {"datasetReference": d["datasetReference"], "id": d["id"]} for d in state.datasets.values()
            ]
            return 200, {"kind": "bigquery#datasetList", "datasets": items}, None
        if len(rest) == 2 and rest[0] == "datasets" and method == "GET":
            found = state.datasets.get(rest[1])
            if found is None:
                return 404, _error(404, f"Not found: Dataset {state.project}:{rest[1]}", "notFound"), None
            return 200, found, None
        if len(rest) == 3 and rest[0] == "datasets" and rest[2] == "tables":
            if method == "POST":
                return (*state.create_table(rest[1], body), None)
            tables = [t.resource for (ds, _), t in state.tables.items() if ds == rest[1]]
            return 200, {"kind": "bigquery#tableList", "tables": tables, "totalItems": len(tables)}, None
        if len(rest) == 4 and rest[0] == "datasets" and rest[3].endswith(":testIamPermissions"):
            granted = [p for p in (body or {}).get("permissions", []) if p not in state.denied]
            return 200, {"permissions": granted}, None
        if len(rest) == 4 and rest[0] == "datasets" and rest[2] == "tables":
            dataset, name = rest[1], rest[3]
            if method == "DELETE":
                return (*state.drop_table(dataset, name), None)
            if method in {"PATCH", "PUT"}:
                return (*state.patch_table(dataset, name, body), None)
            with state.lock:
                if (dataset, name) not in state.tables:
                    return (
                        404,
                        _error(404, f"Not found: Table {state.project}:{dataset}.{name}", "notFound"),
                        None,
                    )
                return 200, state.table_resource(dataset, name), None
        if rest == ["jobs"] and method == "POST":
            return (*state.insert_job(body), None)
        if len(rest) == 2 and rest[0] == "jobs" and method == "GET":
            job = state.jobs.get(rest[1])
            if job is None:
                return 404, _error(404, f"Not found: Job {rest[1]}", "notFound"), None
            return 200, job, None
        if len(rest) == 3 and rest[0] == "jobs" and rest[2] == "cancel":
            job = state.jobs.get(rest[1])
            return (
                (200, {"kind": "bigquery#jobCancelResponse", "job": job}, None) if job else (404, None, None)
            )
        if len(rest) == 2 and rest[0] == "queries" and method == "GET":
            return (*state.query_results(rest[1], query), None)
        return 404, _error(404, f"no route {method} {path}", "notFound"), None

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


# --- helpers ------------------------------------------------------------------------------------


def _error(code: int, message: str, reason: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "errors": [{"reason": reason, "message": message}]}}


def _now_ms() -> str:
    return str(int(datetime.now(UTC).timestamp() * 1000))


def _control(text: str) -> str | None:
    words = text.strip().rstrip(";").upper().split()
    if words[:2] == ["BEGIN", "TRANSACTION"] or words == ["BEGIN"]:
        return "BEGIN"
    if words[:1] == ["COMMIT"]:
        return "COMMIT"
    if words[:1] == ["ROLLBACK"]:
        return "ROLLBACK"
    if words[:1] == ["CALL"] and "ABORT_SESSION" in text.upper():
        return "ABORT"
    return None


def _multipart(content_type: str, raw: bytes) -> tuple[dict[str, Any], bytes]:
    message = email.message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw, policy=email.policy.HTTP
    )
    parts = [p.get_payload(decode=True) for p in message.iter_parts()]  # type: ignore[attr-defined]
    return json.loads(parts[0]), bytes(parts[1])


def _decode_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind in {"INT64", "INTEGER"}:
        return int(value)
    if kind in {"FLOAT64", "FLOAT"}:
        return float(value)
    if kind in {"BOOL", "BOOLEAN"}:
        return str(value).lower() == "true"
    if kind == "DATE":
        return date.fromisoformat(value)
    if kind == "TIMESTAMP":
        return datetime.fromisoformat(str(value).replace(" UTC", "+00:00").replace("Z", "+00:00"))
    if kind == "DATETIME":
        return datetime.fromisoformat(value)
    if kind == "BYTES":
        return base64.b64decode(value)
    if kind in {"NUMERIC", "BIGNUMERIC"}:
        return Decimal(value)
    return value


def _decode_params(items: list[dict[str, Any]]) -> list[Any] | dict[str, Any]:
    values = []
    for item in items:
        kind = item["parameterType"]["type"]
        raw = item.get("parameterValue") or {}
        if kind == "ARRAY":
            element = item["parameterType"]["arrayType"]["type"]
            value: Any = [_decode_value(element, v.get("value")) for v in raw.get("arrayValues", [])]
        else:
            value = _decode_value(kind, raw.get("value"))
        values.append((item.get("name"), value))
    if values and all(name for name, _ in values):
        return dict(values)
    return [value for _, value in values]


def _named_placeholders(text: str, params: list[Any] | dict[str, Any]) -> tuple[str, Any]:
    """Positional ``?`` renamed ``@qp0``, ``@qp1``… in text order (sqlglot walks trees breadth-first)."""
    if not isinstance(params, list) or not params:
        return text, params
    from sqlglot.tokenizer_core import TokenType

    marks = [
        t.start for t in sqlglot.tokenize(text, read="bigquery") if t.token_type == TokenType.PLACEHOLDER
    ]
    if len(marks) != len(params):
        raise ValueError(f"{len(marks)} placeholders for {len(params)} parameters")
    for index in reversed(range(len(marks))):
        text = f"{text[: marks[index]]}@qp{index}{text[marks[index] + 1 :]}"
    return text, {f"qp{i}": value for i, value in enumerate(params)}


def _literal(value: Any) -> exp.Expression:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float | Decimal):
        return exp.Literal.number(value)
    if isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat()), "TIMESTAMP")
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    return exp.Literal.string(str(value))


def _with_literals(tree: exp.Expression, params: list[Any] | dict[str, Any]) -> exp.Expression:
    """The statement with its parameters written in as literals (for the estimate only)."""
    positional = iter(params) if isinstance(params, list) else iter(())
    for node in list(tree.find_all(exp.Placeholder, exp.Parameter)):
        if isinstance(node, exp.Parameter) and isinstance(params, dict):
            node.replace(_literal(params.get(node.name)))
        elif isinstance(node, exp.Placeholder):
            node.replace(_literal(next(positional, None)))
    return tree


def _has_star(scope: exp.Expression | None) -> bool:
    if not isinstance(scope, exp.Select):
        return False
    return any(
        isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
        for e in scope.expressions
    )


def _columns_used(
    scope: exp.Expression, alias: str, name: str, names: dict[str, str], *, star: bool
) -> set[str]:
    if star:
        return set(names)
    used = set()
    for column in scope.find_all(exp.Column):
        qualifier = column.table
        if column.name in names and qualifier in {"", alias, name}:
            used.add(column.name)
    return used


def _partition_filter(scope: exp.Expression, alias: str, name: str, field: str) -> str | None:
    """The conjunction of the scope's predicates on this table's partitioning column alone (DuckDB text)."""
    condition = scope.args.get("where") or scope.args.get("on")
    if isinstance(condition, exp.Where):
        condition = condition.this
    if condition is None:
        return None
    terms = list(condition.flatten()) if isinstance(condition, exp.And) else [condition]
    kept = []
    for term in terms:
        columns = list(term.find_all(exp.Column))
        if not columns or not isinstance(
            term, exp.Between | exp.EQ | exp.GT | exp.GTE | exp.LT | exp.LTE | exp.In
        ):
            continue
        if all(c.name == field and c.table in {"", alias, name} for c in columns):
            copy = term.copy()
            for c in copy.find_all(exp.Column):
                c.set("table", exp.to_identifier(alias))
            kept.append(copy.sql(dialect="duckdb"))
    return " AND ".join(kept) or None


def _size_sql(column: str, kind: str) -> str:
    quoted = f'"{column}"'
    if kind in _FIXED_BYTES:
        return f"{_FIXED_BYTES[kind]} * count({quoted})"
    if kind in {"BOOL", "BOOLEAN"}:
        return f"count({quoted})"
    if kind == "BYTES":
        return f"coalesce(sum(2 + octet_length({quoted})), 0)"
    if kind == "JSON":
        return f"coalesce(sum(strlen(CAST({quoted} AS VARCHAR))), 0)"
    return f"coalesce(sum(2 + strlen({quoted})), 0)"


def _bq_type(duck: str) -> str:
    duck = duck.upper()
    if duck in {"BIGINT", "INTEGER", "HUGEINT", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER"}:
        return "INTEGER"
    if duck in {"DOUBLE", "FLOAT", "REAL"}:
        return "FLOAT"
    if duck.startswith("DECIMAL"):
        return "NUMERIC"
    if duck == "BOOLEAN":
        return "BOOLEAN"
    if duck == "DATE":
        return "DATE"
    if duck.startswith("TIMESTAMP WITH") or duck == "TIMESTAMPTZ":
        return "TIMESTAMP"
    if duck.startswith("TIMESTAMP"):
        return "DATETIME"
    if duck == "BLOB":
        return "BYTES"
    if duck == "JSON":
        return "JSON"
    return "STRING"


def _encode_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "TIMESTAMP":
        return str(int(value.timestamp() * 1_000_000) if isinstance(value, datetime) else value)
    if kind == "DATETIME":
        return value.isoformat()
    if kind == "BOOLEAN":
        return "true" if value else "false"
    if kind == "BYTES":
        return base64.b64encode(value).decode()
    if kind == "FLOAT":
        return (
            repr(float(value))
            if math.isfinite(value)
            else ("NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity"))
        )
    if kind == "JSON":
        return value if isinstance(value, str) else json.dumps(value)
    return str(value)


def _encode_row(row: tuple[Any, ...], fields: list[dict[str, Any]]) -> dict[str, Any]:
    return {"f": [{"v": _encode_value(v, f["type"])} for v, f in zip(row, fields, strict=True)]}


@dataclass
class FakeBigQueryHandle:
    """A started fake and the settings that point nbaprops at it."""

    fake: FakeBigQuery
    overrides: dict[str, Any] = field(default_factory=dict)


def start_fake(dataset: str = "test_nbaprops", project: str = "fake-project") -> FakeBigQueryHandle:
    """Start a fake with the dataset created; returns it with the matching settings overrides."""
    fake = FakeBigQuery(project).start()
    fake.create_dataset({"datasetReference": {"projectId": project, "datasetId": dataset}})
    env, _, name = dataset.partition("_")
    overrides = {
        "warehouse_backend": "bigquery",
        "gcp_project": project,
        "bq_api_endpoint": fake.url,
        "deploy_env": env,
        "bq_dataset": name,
    }
    return FakeBigQueryHandle(fake, overrides)


def arrow_of(rows: list[dict[str, Any]]) -> pa.Table:
    """Convenience for tests: an Arrow table from row dicts."""
    return pa.Table.from_pylist(rows)


def open_backend(backend: str, request: Any) -> Any:
    """A fresh warehouse with its schema for the contract tests: ``duckdb`` (MERGE),
    ``duckdb-delete-insert`` (no MERGE) in memory, or ``bigquery`` on a new dataset of the
    session's fake (the ``bigquery_fake`` fixture)."""
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import create_schema, open_warehouse
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    if backend == "bigquery":
        fake = request.getfixturevalue("bigquery_fake")
        warehouse = open_warehouse(load_settings(**fake.settings(fake.new_dataset(), query_timeout_s=30)))
    else:
        warehouse = DuckDBWarehouse(":memory:", query_timeout_s=30, use_merge=backend == "duckdb")
    create_schema(warehouse)
    return warehouse
