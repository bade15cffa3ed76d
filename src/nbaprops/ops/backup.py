"""Backups of the warehouse as Parquet, and restores that prove themselves against a manifest.

A snapshot is a folder under the backup root (``backup_url``: a local folder, a lake prefix,
``gs://…``; default ``<data_dir>/backups``)::

    <root>/<snapshot_id>/manifest.json
    <root>/<snapshot_id>/tables/<table>/<partition>.parquet

Every warehouse table is exported with its declared columns, its rows sorted by every column (so the
same content always gives the same bytes), one Parquet file per month of ``game_date`` (tables
without that column are one ``all`` partition). A month, not a day: a season is ~7 files per table
instead of ~165 (a Parquet file costs a few milliseconds to write and read, whatever its size), and a
daily backup still rewrites only the current month of the tables that changed. The manifest lists,
per table, its row count and per partition the file, its rows, bytes and sha256.

**Incremental by partition:** a partition whose sha256 equals the previous snapshot's is not written
again; the manifest points at the earlier file (so snapshots are pruned oldest-first only together
with the files newer ones reference).

``restore`` opens an *empty* warehouse (refusing one with rows), creates the schema, loads every
table of the manifest after checking each file's sha256, and with ``verify`` re-exports every table
the same way and compares row counts and sha256 with the manifest, partition by partition.
``restore_from_lake`` rebuilds instead by replaying the lake (ingest of every payload, then the
build over the dates it holds): slower, but it needs no snapshot, since the lake is the raw truth.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import structlog

from nbaprops.bounded import retry_transient, with_deadline
from nbaprops.dates import now_utc
from nbaprops.errors import ConfigError, LakeError, LakeUnavailable, QualityGateError
from nbaprops.secrets import redact_url
from nbaprops.warehouse.schema import TABLES, table_spec

if TYPE_CHECKING:
    import pyarrow as pa

    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

MANIFEST = "manifest.json"
FORMAT = 1
ALL = "all"
UNDATED = "undated"


def backup_root(settings: Settings) -> str:
    """Where snapshots go: ``backup_url`` or ``<data_dir>/backups``."""
    return settings.backup_url or str(settings.data_dir / "backups")


@dataclass(frozen=True)
class PartitionFile:
    """One Parquet file of a table's partition, as the manifest records it."""

    partition: str
    path: str  # relative to the backup root (may lie in an earlier snapshot)
    rows: int
    bytes: int
    sha256: str


@dataclass
class TableEntry:
    """One table in a manifest."""

    name: str
    rows: int
    columns: list[str]
    files: list[PartitionFile] = field(default_factory=list)


@dataclass
class Snapshot:
    """What a backup wrote (or a manifest holds)."""

    snapshot_id: str
    created_at: str
    backend: str
    tables: dict[str, TableEntry]
    bytes_written: int = 0
    files_written: int = 0
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        """Rows over every table."""
        return sum(t.rows for t in self.tables.values())

    @property
    def bytes(self) -> int:
        """Bytes of every file the snapshot references."""
        return sum(f.bytes for t in self.tables.values() for f in t.files)

    def manifest(self) -> dict[str, Any]:
        """The manifest document."""
        return {
            "format": FORMAT,
            "snapshot_id": self.snapshot_id,
            "created_at": self.created_at,
            "backend": self.backend,
            "tables": {name: asdict(entry) for name, entry in sorted(self.tables.items())},
        }

    @classmethod
    def from_manifest(cls, document: dict[str, Any]) -> Snapshot:
        """Read a manifest document back (``QualityGateError`` when it is not one)."""
        if document.get("format") != FORMAT or not isinstance(document.get("tables"), dict):
            raise QualityGateError(f"not a backup manifest of format {FORMAT}")
        tables = {
            name: TableEntry(
                name=name,
                rows=int(entry["rows"]),
                columns=list(entry["columns"]),
                files=[PartitionFile(**f) for f in entry["files"]],
            )
            for name, entry in document["tables"].items()
        }
        return cls(
            str(document["snapshot_id"]), str(document["created_at"]), str(document["backend"]), tables
        )


class BackupStore:
    """A backup root on any fsspec file system; every call bounded (deadline, transient retries)."""

    def __init__(self, url: str, *, settings: Settings | None = None) -> None:
        from fsspec.core import url_to_fs

        # With settings, gs:// gets the lake's options: project, request timeout, emulator endpoint.
        from nbaprops.lake import _file_system

        try:
            self._fs, root = _file_system(url, settings) if settings is not None else url_to_fs(url)
        except ImportError as exc:
            raise ConfigError(f"backup file system not installed (install the [gcp] extra): {exc}") from None
        self.root = str(root).rstrip("/")
        self.url = redact_url(url)
        self._timeout_s = settings.lake_timeout_s if settings is not None else 60.0
        self._attempts = settings.lake_max_attempts if settings is not None else 3

    def _fs_call(self, op: str, path: str, *args: Any) -> Any:
        method = getattr(self._fs, op)

        def timed_out() -> LakeUnavailable:
            return LakeUnavailable(f"backup: {op} {path}: no answer within {self._timeout_s:g}s")

        def once() -> Any:
            try:
                return with_deadline(lambda: method(path, *args), self._timeout_s, timed_out)
            except (TimeoutError, ConnectionError) as exc:
                raise LakeUnavailable(f"backup: {op} {path}: {type(exc).__name__}") from None
            except FileNotFoundError:
                raise
            except OSError as exc:
                raise LakeError(f"backup: {op} {path}: {exc.strerror or type(exc).__name__}") from None

        return retry_transient(once, attempts=self._attempts, what=f"backup.{op}")

    def write(self, rel_path: str, payload: bytes) -> None:
        """Store ``payload`` at ``rel_path`` (parent folders created)."""
        full = f"{self.root}/{rel_path}"
        self._fs_call("makedirs", full.rsplit("/", 1)[0], True)
        self._fs_call("pipe_file", full, payload)

    def read(self, rel_path: str) -> bytes:
        """The bytes at ``rel_path``."""
        data: bytes = self._fs_call("cat_file", f"{self.root}/{rel_path}")
        return data

    def snapshot_ids(self) -> list[str]:
        """Every snapshot with a manifest, oldest first."""
        try:
            found = self._fs_call("glob", f"{self.root}/*/{MANIFEST}")
        except FileNotFoundError:
            return []
        return sorted(str(p).rstrip("/").split("/")[-2] for p in found)

    def load(self, snapshot_id: str) -> Snapshot:
        """The snapshot's manifest (``QualityGateError`` when it has none)."""
        if snapshot_id == "latest":
            ids = self.snapshot_ids()
            if not ids:
                raise QualityGateError(f"no snapshot under {self.url}")
            snapshot_id = ids[-1]
        try:
            document = json.loads(self.read(f"{snapshot_id}/{MANIFEST}"))
        except FileNotFoundError:
            raise QualityGateError(f"no snapshot {snapshot_id!r} under {self.url}") from None
        except ValueError:
            raise QualityGateError(f"snapshot {snapshot_id}: its manifest is not JSON") from None
        return Snapshot.from_manifest(document)


# --- export: a table as sorted Parquet partitions ----------------------------------------------


def _select_sql(name: str) -> str:
    spec = table_spec(name)  # the allow-list: an unknown name never reaches SQL text
    columns = ", ".join(f'"{c}"' for c in spec.column_names)
    return f"SELECT {columns} FROM {spec.name}"  # noqa: S608 - identifiers from the table's spec


def _parquet(table: pa.Table) -> bytes:
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(table.combine_chunks(), buffer, compression="zstd", row_group_size=128_000)
    return buffer.getvalue()


def export_table(warehouse: Warehouse, name: str) -> list[tuple[str, bytes, int]]:
    """``(partition, parquet bytes, rows)`` per partition of one table, deterministic for its content."""
    table = warehouse.query_arrow(_select_sql(name))
    if table.num_rows == 0:
        return []
    columns = table.column_names
    order = (["game_date"] if "game_date" in columns else []) + [c for c in columns if c != "game_date"]
    table = table.sort_by([(c, "ascending") for c in order])
    if "game_date" not in columns:
        return [(ALL, _parquet(table), table.num_rows)]
    labels = [
        d.strftime("%Y-%m") if isinstance(d, date) else UNDATED for d in table.column("game_date").to_pylist()
    ]
    parts: list[tuple[str, bytes, int]] = []
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            parts.append((labels[start], _parquet(table.slice(start, i - start)), i - start))
            start = i
    return parts


def _sha(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


# --- backup ----------------------------------------------------------------------------------


def backup(warehouse: Warehouse, store: BackupStore, *, backend: str = "duckdb") -> Snapshot:
    """Write a snapshot of every table; partitions unchanged since the previous snapshot are reused."""
    started = time.perf_counter()
    created = now_utc()
    snapshot_id = created.strftime("%Y%m%dT%H%M%S%fZ")
    previous = _previous_files(store)
    snapshot = Snapshot(snapshot_id, created.isoformat(), backend, {})
    for name, spec in TABLES.items():
        if not warehouse.table_exists(name):
            continue
        entry = TableEntry(name, 0, list(spec.column_names))
        for partition, payload, rows in export_table(warehouse, name):
            digest = _sha(payload)
            reused = previous.get((name, partition))
            if reused is not None and reused.sha256 == digest:
                entry.files.append(reused)
            else:
                path = f"{snapshot_id}/tables/{name}/{partition}.parquet"
                store.write(path, payload)
                snapshot.bytes_written += len(payload)
                snapshot.files_written += 1
                entry.files.append(PartitionFile(partition, path, rows, len(payload), digest))
            entry.rows += rows
        snapshot.tables[name] = entry
    # The manifest last: a snapshot without one is invisible, never half-read.
    store.write(f"{snapshot_id}/{MANIFEST}", json.dumps(snapshot.manifest(), indent=1).encode())
    snapshot.seconds = round(time.perf_counter() - started, 3)
    _record(warehouse, snapshot, store.url)
    log.info(
        "backup.written",
        snapshot_id=snapshot_id,
        tables=len(snapshot.tables),
        rows=snapshot.rows,
        files_written=snapshot.files_written,
        bytes_written=snapshot.bytes_written,
        seconds=snapshot.seconds,
    )
    return snapshot


def _previous_files(store: BackupStore) -> dict[tuple[str, str], PartitionFile]:
    ids = store.snapshot_ids()
    if not ids:
        return {}
    last = store.load(ids[-1])
    return {(t.name, f.partition): f for t in last.tables.values() for f in t.files}


def _record(warehouse: Warehouse, snapshot: Snapshot, url: str) -> None:
    warehouse.execute(
        "INSERT INTO backups (snapshot_id, created_at, url, tables, rows, bytes, files_written, seconds) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            snapshot.snapshot_id,
            now_utc(),
            f"{url.rstrip('/')}/{snapshot.snapshot_id}",
            len(snapshot.tables),
            snapshot.rows,
            snapshot.bytes,
            snapshot.files_written,
            snapshot.seconds,
        ],
    )


def verify_files(store: BackupStore, snapshot: Snapshot) -> list[str]:
    """Problems found re-reading every file of the snapshot against its sha256 (empty: all good)."""
    problems = []
    for entry in snapshot.tables.values():
        for f in entry.files:
            try:
                payload = store.read(f.path)
            except FileNotFoundError:
                problems.append(f"{entry.name}/{f.partition}: file {f.path} is missing")
                continue
            if _sha(payload) != f.sha256:
                problems.append(f"{entry.name}/{f.partition}: sha256 differs from the manifest")
    return problems


def mark_verified(warehouse: Warehouse, snapshot_id: str) -> None:
    """Record that a snapshot was verified (its files, or a restore from it)."""
    warehouse.execute("UPDATE backups SET verified_at = ? WHERE snapshot_id = ?", [now_utc(), snapshot_id])


# --- restore ---------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    """What a restore loaded and, with ``verify``, what it checked."""

    snapshot_id: str
    tables: int
    rows: int
    bytes_read: int
    seconds: float
    skipped_tables: list[str]
    verified: bool
    problems: list[str]

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-able data."""
        return asdict(self)


WRITTEN_BY_EVERY_COMMAND = frozenset({"query_log"})
"""Tables any command fills as it runs (its own statements): rows there do not make a warehouse
occupied, so an operator who ran ``health`` or ``doctor`` on the new warehouse can still restore."""


def restore(
    warehouse: Warehouse, store: BackupStore, snapshot_id: str, *, verify: bool = False
) -> RestoreReport:
    """Load a snapshot into an empty warehouse; with ``verify``, compare every table with the manifest.

    ``QualityGateError`` when the warehouse holds rows, a file is missing or corrupt, or (verify) a
    restored table differs from the manifest.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from nbaprops.warehouse import create_schema

    started = time.perf_counter()
    snapshot = store.load(snapshot_id)
    create_schema(warehouse)
    occupied = [name for name in TABLES if name not in WRITTEN_BY_EVERY_COMMAND and warehouse.row_count(name)]
    if occupied:
        shown = ", ".join(occupied[:5])
        raise QualityGateError(
            f"restore needs an empty warehouse; {len(occupied)} table(s) hold rows ({shown})"
        )
    skipped, bytes_read, rows = [], 0, 0
    for name, entry in sorted(snapshot.tables.items()):
        if name not in TABLES:
            skipped.append(name)
            log.warning("restore.unknown_table", table=name, snapshot_id=snapshot.snapshot_id)
            continue
        parts = []
        for f in entry.files:
            payload = store.read(f.path)
            if _sha(payload) != f.sha256:
                raise QualityGateError(f"restore {snapshot.snapshot_id}: {f.path} does not match its sha256")
            bytes_read += len(payload)
            parts.append(pq.read_table(io.BytesIO(payload)))
        if parts:
            known = [c for c in parts[0].column_names if c in TABLES[name].column_names]
            rows += warehouse.insert_arrow(name, pa.concat_tables(parts).select(known))
    problems = compare(warehouse, snapshot) if verify else []
    report = RestoreReport(
        snapshot.snapshot_id,
        len(snapshot.tables) - len(skipped),
        rows,
        bytes_read,
        round(time.perf_counter() - started, 3),
        skipped,
        verify,
        problems,
    )
    if problems:
        count = len(problems)
        raise QualityGateError(
            f"restore {snapshot.snapshot_id}: {count} table(s) differ from the manifest: {problems[0]}"
        )
    if verify:
        if not warehouse.query_rows("SELECT 1 FROM backups WHERE snapshot_id = ?", [snapshot.snapshot_id]):
            # The snapshot was taken before its own `backups` row existed: record it from the manifest.
            _record(warehouse, snapshot, store.url)
        mark_verified(warehouse, snapshot.snapshot_id)
    log.info("restore.done", **{k: v for k, v in report.to_dict().items() if k != "problems"})
    return report


def compare(warehouse: Warehouse, snapshot: Snapshot) -> list[str]:
    """Each table of the snapshot re-exported from ``warehouse`` and compared, partition by partition."""
    problems = []
    for name, entry in sorted(snapshot.tables.items()):
        if name not in TABLES:
            continue
        expected = {f.partition: (f.rows, f.sha256) for f in entry.files}
        actual = {p: (rows, _sha(payload)) for p, payload, rows in export_table(warehouse, name)}
        if name in WRITTEN_BY_EVERY_COMMAND:
            # Also holds the statements run since (the restore's own): every snapshot row must be
            # there (each file's sha256 was checked as it loaded), more rows are expected.
            rows_there = sum(r for r, _ in actual.values())
            if rows_there < entry.rows:
                problems.append(
                    f"{name}: {rows_there} row(s) restored, fewer than the manifest's {entry.rows}"
                )
            continue
        if expected != actual:
            rows_there = sum(r for r, _ in actual.values())
            problems.append(f"{name}: {rows_there} row(s) restored, manifest {entry.rows}; content differs")
    return problems


def restore_from_lake(settings: Settings, warehouse: Warehouse) -> dict[str, Any]:
    """Rebuild the warehouse by replaying the lake (a folder or a bucket): ingest every payload, then
    build from its first to its last dated payload."""
    from nbaprops.lake import open_lake
    from nbaprops.pipeline.build import build_range
    from nbaprops.raw.ingest import ingest_from_dir
    from nbaprops.warehouse import create_schema

    url = settings.resolved_lake_url
    started = time.perf_counter()
    create_schema(warehouse)
    days = sorted({o.game_date for o in open_lake(settings).list() if o.game_date is not None})
    if not days:
        raise QualityGateError(f"restore --from-lake: the lake at {redact_url(url)} holds no dated payloads")
    ingested = ingest_from_dir(settings, url, warehouse=warehouse)
    built = build_range(warehouse, days[0], days[-1], settings=settings)
    return {
        "first_date": days[0].isoformat(),
        "last_date": days[-1].isoformat(),
        "rows_ingested": ingested.rows_written,
        "build": built.to_dict().get("decision"),
        "seconds": round(time.perf_counter() - started, 3),
    }
