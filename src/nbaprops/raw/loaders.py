"""Payload -> raw table: parse, type the rows as Arrow, write them set-based, or quarantine.

``load_batch`` (and ``load_payload``, its one-payload form) is the one way rows enter a raw table:

1. the kind's parser turns the bytes into rows (pure; ``PayloadError``/``SchemaDrift`` on bad input);
2. the rows become an Arrow table with the table's declared column types plus provenance
   (``source_file``, ``payload_sha256``, ``fetched_at``, ``loaded_at``), for time series
   ``snapshot_at``, and the columns only the fetch time can date (``LoadRule.dated_by_fetch``:
   Ball Don't Lie injury notes);
   a value that does not fit its column, a NULL in a required column or a repeated key is
   ``SchemaDrift`` too, caught before anything is written;
3. one write statement per raw table for a whole batch of payloads (``load_batch``; a single
   payload is a batch of one): MERGE by natural key, or, for time series, an INSERT of the rows
   whose key and snapshot are not stored yet. Either way a stored row gives way only to a newer
   payload's (``raw.tables.VERSION``: the later fetch), so the tables end the same whatever the
   order, batching or repetition of deliveries. The batch is one transaction: nothing is ever
   half-written.

A payload that fails step 1 or 2 is quarantined instead: one ``quarantine`` row (kind, lake path,
error type and text, first 200 bytes, hash), an alert of kind ``quarantine``, and no raw rows.
A payload that writes nothing (its rows are stored already, or newer ones are) is ``unchanged``,
and a reload keeps the first load's ``loaded_at``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Literal

import structlog

# The warehouse package must finish importing before raw.tables: its schema module collects
# RAW_TABLES, so importing raw.tables first would re-enter it half-initialised.
import nbaprops.warehouse  # noqa: F401  # isort: skip
from nbaprops.errors import ConfigError, PayloadError, SchemaDrift
from nbaprops.ops.alerts import Alerter
from nbaprops.raw.registry import Row, parse_bytes
from nbaprops.raw.tables import IGNORED_FIELDS, LOAD_RULES, PROVENANCE, VERSION, LoadRule
from nbaprops.warehouse.schema import table_spec
from nbaprops.warehouse.spec import TableSpec

if TYPE_CHECKING:
    import pyarrow as pa

    from nbaprops.lake import LakeObject
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

Status = Literal["loaded", "unchanged", "quarantined"]
FIRST_BYTES = 200
_MAX_ERROR_CHARS = 1000
_INT64 = (-(2**63), 2**63 - 1)

KIND_TABLES: dict[str, str] = {
    "nbac_schedule_api": "raw_nbac_schedule",
    "nbac_scoreboard_v2": "raw_nbac_scoreboard",
    "nbac_player_boxscore": "raw_nbac_player_boxscores",
    "nbac_player_list": "raw_nbac_player_list",
    "nbac_injury_report": "raw_nbac_injury_report",
    "nbac_play_by_play": "raw_nbac_pbp_shots",
    "bdl_games": "raw_bdl_games",
    "bdl_box_scores": "raw_bdl_box_scores",
    "bdl_injuries": "raw_bdl_injuries",
    "bdl_players": "raw_bdl_players",
    "bdl_teams": "raw_bdl_teams",
    "oddsa_events_his": "raw_oddsa_events",
    "oddsa_game_lines_his": "raw_oddsa_game_lines",
    "oddsa_player_props": "raw_oddsa_player_props",
    "espn_scoreboard_api": "raw_espn_scoreboard",
}
"""The raw table each loaded payload kind is written to (``nbac_gamebook_pdf`` is checked, not loaded)."""


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one payload's load did."""

    kind: str
    path: str
    rows_in: int
    rows_written: int
    status: Status
    error: str | None = None
    table: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedPayload:
    """One payload of a batch: its lake object, bytes, and what ``parse_payload`` made of them."""

    kind: str
    obj: LakeObject
    payload: bytes
    parsed: list[Row] | PayloadError


def load_payload(
    warehouse: Warehouse,
    *,
    kind: str,
    obj: LakeObject,
    payload: bytes,
    loaded_at: datetime,
    alerter: Alerter | None = None,
) -> LoadResult:
    """Parse ``payload`` (stored as ``obj``) and write its rows to the kind's raw table.

    Bad payloads are quarantined and alerted (via ``alerter``, or one recording to ``warehouse``);
    any other failure (a warehouse error) propagates, with nothing written for this payload.
    """
    return load_parsed(
        warehouse,
        kind=kind,
        obj=obj,
        payload=payload,
        parsed=parse_payload(kind, payload),
        loaded_at=loaded_at,
        alerter=alerter,
    )


def parse_payload(kind: str, payload: bytes) -> list[Row] | PayloadError:
    """The kind's rows, or the ``PayloadError`` that rejects the bytes (returned, so that parsing can
    run in worker processes and the verdict travel back); any other exception propagates."""
    table_of(kind)
    try:
        return _parse(kind, payload)
    except PayloadError as exc:
        return exc


def load_parsed(
    warehouse: Warehouse,
    *,
    kind: str,
    obj: LakeObject,
    payload: bytes,
    parsed: list[Row] | PayloadError,
    loaded_at: datetime,
    alerter: Alerter | None = None,
) -> LoadResult:
    """``load_payload`` for bytes already parsed by ``parse_payload`` (possibly in another process)."""
    [result] = load_batch(
        warehouse, [ParsedPayload(kind, obj, payload, parsed)], loaded_at=loaded_at, alerter=alerter
    )
    return result


def load_batch(
    warehouse: Warehouse,
    batch: Sequence[ParsedPayload],
    *,
    loaded_at: datetime,
    alerter: Alerter | None = None,
) -> list[LoadResult]:
    """Write a batch of parsed payloads in one transaction: one write statement per raw table.

    Each bad payload is quarantined on its own; the others' rows are typed one payload at a time
    (a ``SchemaDrift`` quarantines only its payload), then concatenated per table. A key repeated
    across payloads (of the batch or stored) keeps the newest payload's row; a payload none of
    whose rows is newer than what is stored is ``unchanged``. Results come back in the batch's
    order, each counting the rows that its payload wrote.
    """
    results: list[LoadResult | None] = [None] * len(batch)
    typed: dict[str, list[_Typed]] = {}
    with warehouse.transaction():
        for index, item in enumerate(batch):
            table = table_of(item.kind)
            spec, rule = table_spec(table), LOAD_RULES[table]
            # Bytes the lake could not hand over are known by the hash their manifest entry names.
            sha = hashlib.sha256(item.payload).hexdigest() if item.payload else item.obj.sha256
            try:
                if isinstance(item.parsed, PayloadError):
                    raise item.parsed
                arrow = to_arrow(spec, rule, item.parsed, obj=item.obj, sha=sha, loaded_at=loaded_at)
            except PayloadError as exc:
                _quarantine(warehouse, alerter or Alerter(warehouse), item=item, sha=sha, exc=exc)
                results[index] = LoadResult(
                    item.kind, item.obj.path, 0, 0, "quarantined", _describe(exc), table
                )
                continue
            typed.setdefault(table, []).append(_Typed(index, item, sha, arrow))
        for table, loads in typed.items():
            spec = table_spec(table)
            if LOAD_RULES[table].mode == "merge":
                written = _merge(warehouse, spec, loads)
            else:
                written = _append_new(warehouse, spec, loads)
            for load, count in zip(loads, written, strict=True):
                rows = load.arrow.num_rows
                status: Status = "loaded" if count or not rows else "unchanged"
                results[load.index] = LoadResult(
                    load.item.kind, load.item.obj.path, rows, count, status, None, table
                )
                where = {"kind": load.item.kind, "table": table, "path": load.item.obj.path}
                log.debug("raw.loaded", **where, rows_in=rows, rows_written=count)
    return [r for r in results if r is not None]


@dataclass(frozen=True, slots=True)
class _Typed:
    """A payload of the batch whose rows typed cleanly, waiting for its table's write."""

    index: int
    item: ParsedPayload
    sha: str
    arrow: pa.Table


def table_of(kind: str) -> str:
    """The raw table of a payload kind, or ``ConfigError`` for a kind that is not loaded."""
    try:
        return KIND_TABLES[kind]
    except KeyError:
        known = ", ".join(KIND_TABLES)
        raise ConfigError(f"payload kind {kind!r} has no raw table; loaded kinds: {known}") from None


def _parse(kind: str, payload: bytes) -> list[Row]:
    return parse_bytes(kind, payload)


# --- typing rows as Arrow ---------------------------------------------------------------------


def to_arrow(
    spec: TableSpec, rule: LoadRule, rows: Sequence[Row], *, obj: LakeObject, sha: str, loaded_at: datetime
) -> pa.Table:
    """The rows as an Arrow table of ``spec``'s column types (``SchemaDrift`` if a value does not fit).

    Columns that the identity step fills later are left out, so a MERGE never overwrites them.
    """
    import pyarrow as pa

    types = _arrow_types()
    fixed: dict[str, Any] = {
        "source_file": obj.path,
        "payload_sha256": sha,
        "fetched_at": obj.fetched_at,
        "loaded_at": loaded_at,
    }
    names = [c.name for c in spec.columns if c.name not in rule.filled_later]
    if rule.dated_by_fetch is not None:
        rows = [row | rule.dated_by_fetch(row, obj.fetched_at) for row in rows]
    arrays = []
    for column in spec.columns:
        if column.name in rule.filled_later:
            continue
        if column.name in fixed:
            values = [fixed[column.name]] * len(rows)
        elif column.name == "snapshot_at":
            values = [_snapshot(rule, row, obj) for row in rows]
        else:
            values = [row.get(column.name) for row in rows]
        converted = _convert_column(column.type, values, spec.name, column.name)
        if column.required and any(v is None for v in converted):
            raise SchemaDrift(f"{spec.name}: required column {column.name} is null in a parsed row")
        arrays.append(pa.array(converted, type=types[column.type]()))
    _check_fields(spec, rows)
    arrow = pa.Table.from_arrays(arrays, names=names)
    _check_unique_keys(spec, rows, arrow)
    return arrow


def _snapshot(rule: LoadRule, row: Row, obj: LakeObject) -> Any:
    if rule.snapshot_field is not None and row.get(rule.snapshot_field) is not None:
        return row[rule.snapshot_field]
    return obj.fetched_at


def _check_fields(spec: TableSpec, rows: Sequence[Row]) -> None:
    """A parser field with no column would be lost silently: that is a declaration bug."""
    if not rows:
        return
    unknown = set(rows[0]) - set(spec.column_names) - IGNORED_FIELDS
    if unknown:
        raise ConfigError(f"{spec.name}: parser fields {sorted(unknown)} have no column")


def _check_unique_keys(spec: TableSpec, rows: Sequence[Row], arrow: pa.Table) -> None:
    keys = arrow.select(list(spec.key)).to_pylist()
    seen = {tuple(k.values()) for k in keys}
    if len(seen) != len(keys):
        raise SchemaDrift(f"{spec.name}: {len(keys) - len(seen)} row(s) repeat the key {spec.key}")


def _timestamp(value: Any) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise TypeError("not a zoned time")
    return moment.astimezone(UTC)


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        raise TypeError("a time, not a date")
    parsed = date.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(parsed, date):
        raise TypeError("not a date")
    return parsed


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not _INT64[0] <= value <= _INT64[1]:
        raise TypeError("not a 64-bit integer")
    return value


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("not a number")
    return float(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("not a boolean")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "STRING": _str,
    "INT64": _int,
    "FLOAT64": _float,
    "BOOL": _bool,
    "DATE": _date,
    "TIMESTAMP": _timestamp,
}


def _arrow_types() -> dict[str, Callable[[], pa.DataType]]:
    import pyarrow as pa

    return {
        "STRING": pa.string,
        "INT64": pa.int64,
        "FLOAT64": pa.float64,
        "BOOL": pa.bool_,
        "DATE": pa.date32,
        "TIMESTAMP": lambda: pa.timestamp("us", tz="UTC"),
    }


def _convert_column(type_name: str, values: list[Any], table: str, column: str) -> list[Any]:
    """A column's values converted in one pass; the value-by-value pass only names a failure."""
    convert = _CONVERTERS[type_name]
    try:
        return [None if v is None else convert(v) for v in values]
    except (ValueError, TypeError, OverflowError):
        return [_convert(type_name, v, table, column) for v in values]


def _convert(type_name: str, value: Any, table: str, column: str) -> Any:
    if value is None:
        return None
    try:
        return _CONVERTERS[type_name](value)
    except (ValueError, TypeError, OverflowError):
        raise SchemaDrift(f"{table}.{column}: {value!r:.40} is not a valid {type_name}") from None


# --- writing ----------------------------------------------------------------------------------


def _merge(warehouse: Warehouse, spec: TableSpec, loads: list[_Typed]) -> list[int]:
    """One MERGE of the batch's rows for ``spec``; rows written per payload.

    Rows are replaced only by newer ones (``VERSION``), so the table ends the same whatever order
    the payloads come in. A payload's count is the rows that carry its lake path after the write
    and did not before (0 when everything it holds is stored already or superseded).
    """
    import pyarrow as pa

    paths = sorted({load.item.obj.path for load in loads if load.arrow.num_rows})
    if not paths:
        return [0] * len(loads)
    before = _rows_per_path(warehouse, spec, paths)
    arrow = pa.concat_tables([load.arrow for load in sorted(loads, key=_version_of)])
    # Within the batch too, the newest payload's row wins a repeated key.
    arrow = arrow.take(_last_of_each_key(arrow, spec.key))
    warehouse.merge_arrow(spec.name, arrow, newer_by=VERSION)
    after = _rows_per_path(warehouse, spec, paths)
    written: list[int] = []
    counted: set[str] = set()
    for load in loads:
        path = load.item.obj.path
        written.append(0 if path in counted else max(0, after.get(path, 0) - before.get(path, 0)))
        counted.add(path)
    return written


def _rows_per_path(warehouse: Warehouse, spec: TableSpec, paths: list[str]) -> dict[str, int]:
    counts = warehouse.query_rows(
        f"SELECT source_file, count(*) FROM {spec.name} "  # noqa: S608 - allow-listed name
        "WHERE list_contains(?, source_file) GROUP BY source_file",
        [paths],
    )
    return {path: int(count) for path, count in counts}


def _append_new(warehouse: Warehouse, spec: TableSpec, loads: list[_Typed]) -> list[int]:
    """Insert the rows whose key (snapshot included) is not stored; replace older stored ones.

    Snapshots make keys of new payloads new, so this is mostly an INSERT; a payload that repeats
    a stored snapshot only replaces its rows when it is newer (``VERSION``), as a merge would,
    without a MERGE scanning the whole time series.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    ordered = sorted(range(len(loads)), key=lambda i: _version_of(loads[i]))
    arrow = pa.concat_tables([loads[i].arrow for i in ordered])
    owner = [i for i in ordered for _ in range(loads[i].arrow.num_rows)]
    if arrow.num_rows == 0:
        return [0] * len(loads)
    snapshots = arrow.column("snapshot_at")
    columns = ", ".join(f'"{c}"' for c in (*spec.key, *VERSION))
    existing = warehouse.query_arrow(
        f"SELECT {columns} FROM {spec.name} WHERE snapshot_at BETWEEN ? AND ?",  # noqa: S608 - allow-listed
        [pc.min(snapshots).as_py(), pc.max(snapshots).as_py()],
    )
    stored = dict(zip(_key_strings(existing, spec.key), _versions(existing), strict=True))
    latest: dict[tuple[str | None, ...], int] = {}
    for row, (key, version) in enumerate(zip(_key_strings(arrow, spec.key), _versions(arrow), strict=True)):
        if key not in stored or version > stored[key]:
            latest[key] = row  # rows come oldest payload first: the newest one wins
    new = sorted(row for key, row in latest.items() if key not in stored)
    newer = sorted(row for key, row in latest.items() if key in stored)
    if new:
        warehouse.insert_arrow(spec.name, arrow.take(pa.array(new, type=pa.int64())))
    if newer:
        warehouse.merge_arrow(spec.name, arrow.take(pa.array(newer, type=pa.int64())), newer_by=VERSION)
    written = [0] * len(loads)
    for row in latest.values():
        written[owner[row]] += 1
    return written


def _version_of(load: _Typed) -> tuple[datetime, str, str]:
    return (load.item.obj.fetched_at.astimezone(UTC), load.sha, load.item.obj.path)


def _versions(table: pa.Table) -> list[tuple[datetime, str, str]]:
    import pyarrow as pa
    import pyarrow.compute as pc

    fetched = pc.cast(table.column("fetched_at"), pa.timestamp("us", tz="UTC")).to_pylist()
    return list(
        zip(
            fetched,
            table.column("payload_sha256").to_pylist(),
            table.column("source_file").to_pylist(),
            strict=True,
        )
    )


def _last_of_each_key(arrow: pa.Table, key: Sequence[str]) -> list[int]:
    """Row indices keeping, for each key, its last row (in the table's order)."""
    last: dict[tuple[str | None, ...], int] = {}
    for row, value in enumerate(_key_strings(arrow, key)):
        last[value] = row
    return sorted(last.values())


def _key_strings(table: pa.Table, key: Sequence[str]) -> list[tuple[str | None, ...]]:
    """Key tuples in one canonical text form, so stored and new rows compare (NULL equals NULL)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for name in key:
        column = table.column(name)
        if pa.types.is_timestamp(column.type):
            column = pc.cast(column, pa.timestamp("us", tz="UTC"))
        columns.append(pc.cast(column, pa.string()).to_pylist())
    return list(zip(*columns, strict=True))


def _quarantine(
    warehouse: Warehouse, alerter: Alerter, *, item: ParsedPayload, sha: str, exc: PayloadError
) -> None:
    kind, obj, payload = item.kind, item.obj, item.payload
    error_type, text = type(exc).__name__, _describe(exc)
    record_quarantine(
        warehouse, kind=kind, lake_path=obj.path, sha=sha, first_bytes=payload[:FIRST_BYTES], exc=exc
    )
    log.warning("raw.quarantined", kind=kind, path=obj.path, error_type=error_type, error=text)
    alerter.raise_alert(
        "quarantine",
        f"{kind} payload {obj.path} quarantined: {error_type}",
        severity="error",
        kind_of_payload=kind,
        lake_path=obj.path,
        error_type=error_type,
        error=text,
        payload_sha256=sha,
    )


def record_quarantine(
    warehouse: Warehouse, *, kind: str, lake_path: str, sha: str, first_bytes: bytes, exc: PayloadError
) -> bool:
    """Add a ``quarantine`` row, once per (hash, kind); returns whether it is new."""
    first_bytes = first_bytes[:FIRST_BYTES]
    known = warehouse.query_rows(
        "SELECT count(*) FROM quarantine WHERE payload_sha256 = ? AND kind = ?", [sha, kind]
    )
    if known[0][0]:
        return False
    warehouse.execute(
        "INSERT INTO quarantine (quarantined_at, kind, lake_path, error_type, error, first_bytes, "
        "payload_sha256) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [datetime.now(UTC), kind, lake_path, type(exc).__name__, _describe(exc), first_bytes, sha],
    )
    return True


def _describe(exc: BaseException) -> str:
    return str(exc)[:_MAX_ERROR_CHARS]


__all__ = [
    "KIND_TABLES",
    "PROVENANCE",
    "LoadResult",
    "ParsedPayload",
    "load_batch",
    "load_parsed",
    "load_payload",
    "parse_payload",
    "record_quarantine",
    "table_of",
    "to_arrow",
]
