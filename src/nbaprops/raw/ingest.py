"""Lake -> raw tables: which stored payloads an ingest run loads, in what order, and its record.

``ingest_date(settings, day, …)`` loads every lake object filed under ``day`` plus the undated ones
(schedule, player index, BDL teams and active players) not loaded yet, whatever day they were
fetched: a daily run picks up the rosters scraped that morning, and a backfill of past dates the
schedule and rosters it fetched today. ``ingest_from_dir(settings, path, …)`` opens a folder
with the lake's layout (an archive, a copy of a bucket) and loads everything in it: a user can
rebuild every raw table from saved payloads.

Order is deterministic: schedule and rosters first (later checks and the identity step read them),
then by game date, fetch time and path. Each (payload, kind) handled is recorded in
``loaded_payloads``; a payload listed there is skipped, so running an ingest again changes nothing
(quarantined payloads included: fix the parser, then delete their ``loaded_payloads`` rows to
retry). Each run writes one ``run_ledger`` row (step ``ingest``) with rows in/out and counts per
status and kind in its details.

Nothing blocks a run: a lake object whose bytes no longer match their hash (or that is missing)
is quarantined like a payload that does not parse, and a manifest entry that cannot be read is
quarantined (kind ``lake_manifest``) and alerted once; everything beside them loads.

A run for a day on which the schedule has games but that finds no payload for it, or loads none
of them, fails with ``QualityGateError``: never "success, 0 rows".
"""

from __future__ import annotations

import atexit
import json
import multiprocessing
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from nbaprops.dates import EASTERN, now_utc
from nbaprops.errors import DeadlineExceeded, PayloadError, QualityGateError
from nbaprops.ops.alerts import Alerter
from nbaprops.progress import track
from nbaprops.raw.loaders import (
    KIND_TABLES,
    LoadResult,
    ParsedPayload,
    load_batch,
    parse_payload,
    record_quarantine,
)
from nbaprops.raw.registry import Row
from nbaprops.warehouse.ledger import RunLedger, StepRun

if TYPE_CHECKING:
    from nbaprops.lake import BadManifestLine, Lake, LakeObject
    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

STEP = "ingest"
MANIFEST_KIND = "lake_manifest"  # the quarantine kind of an unreadable manifest entry
BATCH = 64  # loads per transaction: one commit per batch instead of one per payload
PARSE_DEADLINE_S = 600.0  # one batch parses in about a second; ten minutes means a worker is stuck
PARALLEL_FROM = 16  # batches this large are parsed in worker processes
PARENT_POLL_S = 0.5  # how often a parser process checks that its parent is still alive
# Loaded before everything else: later checks and the identity step read schedule and rosters.
FIRST_KINDS = ("nbac_schedule_api", "bdl_teams", "nbac_player_list", "bdl_players", "bdl_games")
# Both game markets and player props arrive in one event-odds payload; each parser takes its share.
_EXTRA_KINDS = {"oddsa_player_props": ("oddsa_game_lines_his",)}


def lake_kinds() -> dict[tuple[str, str], tuple[str, ...]]:
    """Payload kinds of each lake folder (source, endpoint), from the sources' endpoint declarations."""
    from nbaprops.sources import balldontlie, espn, injury_report, nbacom, oddsapi

    kinds: dict[tuple[str, str], tuple[str, ...]] = {}
    for module in (nbacom, injury_report, balldontlie, oddsapi, espn):
        for endpoint in module.ENDPOINTS:
            kinds[(endpoint.source, endpoint.name)] = (endpoint.kind, *_EXTRA_KINDS.get(endpoint.kind, ()))
    return kinds


@dataclass
class IngestReport:
    """What one ingest run found and did."""

    scope: str  # the ISO date, or the folder replayed
    run_id: str
    payloads_found: int = 0  # filed under the day, or undated and fetched on it (a folder: all)
    undated_earlier: int = 0  # undated payloads fetched on other days, loaded too if not yet
    already_loaded: int = 0  # loads skipped: done by earlier runs
    not_loadable: list[str] = field(default_factory=list)
    bad_manifest_lines: list[str] = field(default_factory=list)  # "manifest:line", quarantined
    results: list[LoadResult] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        """Rows parsed from this run's payloads."""
        return sum(r.rows_in for r in self.results)

    @property
    def rows_written(self) -> int:
        """Rows this run added or changed in raw tables."""
        return sum(r.rows_written for r in self.results)

    def counts(self) -> dict[str, int]:
        """Loads by status (loaded, unchanged, quarantined)."""
        return dict(Counter(r.status for r in self.results))

    def by_kind(self) -> dict[str, dict[str, int]]:
        """Per kind: payloads handled, rows in, rows written, quarantined."""
        out: dict[str, dict[str, int]] = {}
        for r in self.results:
            entry = out.setdefault(r.kind, {"payloads": 0, "rows_in": 0, "rows_written": 0, "quarantined": 0})
            entry["payloads"] += 1
            entry["rows_in"] += r.rows_in
            entry["rows_written"] += r.rows_written
            entry["quarantined"] += r.status == "quarantined"
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (``--json`` output and the ledger details)."""
        return {
            "scope": self.scope,
            "run_id": self.run_id,
            "payloads_found": self.payloads_found,
            "undated_earlier": self.undated_earlier,
            "already_loaded": self.already_loaded,
            "not_loadable": self.not_loadable,
            "bad_manifest_lines": self.bad_manifest_lines,
            "rows_in": self.rows_in,
            "rows_written": self.rows_written,
            "counts": self.counts(),
            "by_kind": self.by_kind(),
            "quarantined": [asdict(r) for r in self.results if r.status == "quarantined"],
        }


def ingest_date(
    settings: Settings,
    day: date,
    *,
    warehouse: Warehouse,
    lake: Lake,
    alerter: Alerter | None = None,
    workers: int = 1,
) -> IngestReport:
    """Load the lake's payloads for ``day`` (plus undated ones not loaded yet) into raw tables.

    ``workers`` > 1 parses large batches in that many spawned processes (the caller's main module
    must be import-safe, as ``multiprocessing`` requires).
    """
    del settings  # the warehouse, lake and alerter carry everything this step needs
    objects = lake.list(game_date=day)
    everything = lake.scan()
    undated = [o for o in everything.objects if o.game_date is None]
    objects += [o for o in undated if _et_day(o.fetched_at) == day]
    # Undated payloads fetched on other days are loaded too if they are not yet: a backfill of past
    # dates fetches the schedule and rosters today, not on the date it fills.
    earlier = [o for o in undated if _et_day(o.fetched_at) != day]
    alerter = alerter or Alerter(warehouse)
    with RunLedger(warehouse).step(STEP, game_date=day, details={"scope": day.isoformat()}) as run:
        report = _ingest(
            objects,
            day.isoformat(),
            run,
            warehouse=warehouse,
            lake=lake,
            alerter=alerter,
            workers=workers,
            earlier=earlier,
            bad_lines=everything.bad_lines,
        )
        dated = sum(1 for o in objects if o.game_date == day)
        games = _scheduled_games(warehouse, day)
        if games and not dated:
            raise QualityGateError(f"ingest {day}: {games} game(s) scheduled but the lake holds no payload")
        if games and not _anything_stored(report):
            raise QualityGateError(f"ingest {day}: {games} game(s) scheduled but no payload loaded any rows")
        if not objects and not games and not report.results:
            run.skip(f"no payloads in the lake for {day} and no games scheduled")
    return report


def ingest_from_dir(
    settings: Settings,
    path: Path | str,
    *,
    warehouse: Warehouse,
    alerter: Alerter | None = None,
    workers: int = 1,
) -> IngestReport:
    """Replay a folder or bucket prefix (``gs://…``) laid out like the lake: every payload in it,
    schedule and rosters first. Its calls are bounded and retried like the lake's own."""
    from nbaprops.lake import lake_at

    url = str(path)
    if "://" not in url and not Path(url).is_dir():
        raise QualityGateError(f"ingest --from-dir: {path} is not a folder")
    lake = lake_at(url, settings, create=False)
    listing = lake.scan()
    alerter = alerter or Alerter(warehouse)
    with RunLedger(warehouse).step(STEP, details={"scope": str(path)}) as run:
        if not listing.objects:
            raise QualityGateError(f"ingest --from-dir: no lake manifests with payloads under {path}")
        return _ingest(
            listing.objects,
            str(path),
            run,
            warehouse=warehouse,
            lake=lake,
            alerter=alerter,
            workers=workers,
            bad_lines=listing.bad_lines,
        )


def _ingest(
    objects: list[LakeObject],
    scope: str,
    run: StepRun,
    *,
    warehouse: Warehouse,
    lake: Lake,
    alerter: Alerter,
    workers: int,
    earlier: list[LakeObject] | None = None,
    bad_lines: list[BadManifestLine] | None = None,
) -> IngestReport:
    earlier = earlier or []
    report = IngestReport(
        scope=scope, run_id=run.run_id, payloads_found=len(objects), undated_earlier=len(earlier)
    )
    for line in bad_lines or []:
        _quarantine_line(warehouse, alerter, line)
        report.bad_manifest_lines.append(f"{line.manifest}:{line.line}")
    handled = warehouse.query_rows("SELECT payload_sha256, kind FROM loaded_payloads")
    done = {(sha, kind) for sha, kind in handled}
    known = lake_kinds()
    work: list[tuple[int, str, LakeObject]] = []
    for obj in [*objects, *earlier]:
        kinds = known.get((obj.source, obj.endpoint), ())
        if not kinds:
            report.not_loadable.append(obj.path)
        for kind in kinds:
            if kind not in KIND_TABLES:
                continue  # checked by its parser elsewhere, never loaded (the gamebook PDF)
            if (obj.sha256, kind) in done:
                report.already_loaded += 1
                continue
            rank = FIRST_KINDS.index(kind) if kind in FIRST_KINDS else len(FIRST_KINDS)
            work.append((rank, kind, obj))
    work.sort(key=lambda w: (w[0], w[2].game_date or date.min, w[2].fetched_at, w[2].path, w[1]))
    for batch in track(_batches(work), "ingest: payloads loaded", total=len(work), weight=len):
        _load_batch(
            batch, report, run.run_id, warehouse=warehouse, lake=lake, alerter=alerter, workers=workers
        )
    if not work and report.already_loaded:
        run.skip(f"all {report.already_loaded} payload load(s) were done by earlier runs")
    run.rows_in = report.rows_in
    run.rows_out = report.rows_written
    run.details = json.loads(json.dumps(report.to_dict(), default=str))
    log.info("ingest.finished", scope=scope, **{k: v for k, v in report.to_dict().items() if k in _SUMMARY})
    return report


_SUMMARY = ("payloads_found", "already_loaded", "rows_in", "rows_written", "counts")


def _et_day(moment: datetime) -> date:
    return moment.astimezone(EASTERN).date()


def _anything_stored(report: IngestReport) -> bool:
    """Rows written now, or the day's payloads already stored by an earlier run."""
    return bool(report.rows_written or report.already_loaded or report.counts().get("unchanged"))


def _batches(work: list[tuple[int, str, LakeObject]]) -> Iterator[list[tuple[str, LakeObject]]]:
    """Consecutive runs of at most BATCH loads; the schedule and rosters never share a batch."""
    batch: list[tuple[str, LakeObject]] = []
    for rank, kind, obj in work:
        batch.append((kind, obj))
        if len(batch) >= BATCH or rank < len(FIRST_KINDS):
            yield batch
            batch = []
    if batch:
        yield batch


def _load_batch(
    batch: list[tuple[str, LakeObject]],
    report: IngestReport,
    run_id: str,
    *,
    warehouse: Warehouse,
    lake: Lake,
    alerter: Alerter,
    workers: int,
) -> None:
    """Parse the batch (in worker processes when it is large), then write it in one transaction.

    ``load_batch`` writes one statement per raw table for the whole batch; those writes and the
    batch's ``loaded_payloads`` rows commit together: a crash loses the whole batch, which the next
    run then loads again, never half of it.
    """
    payloads: list[bytes] = []
    unreadable: dict[int, PayloadError] = {}
    for index, (_, obj) in enumerate(batch):
        try:
            payloads.append(lake.get(obj.path))
        except PayloadError as exc:  # corrupt or missing: quarantined below, never blocking the rest
            payloads.append(b"")
            unreadable[index] = exc
    readable = [i for i in range(len(batch)) if i not in unreadable]
    parsed_readable = _parse_all([batch[i][0] for i in readable], [payloads[i] for i in readable], workers)
    parsed: list[list[Row] | PayloadError] = [unreadable.get(i, []) for i in range(len(batch))]
    for i, rows in zip(readable, parsed_readable, strict=True):
        parsed[i] = rows
    loaded_at = now_utc()
    items = [
        ParsedPayload(kind, obj, payload, rows)
        for (kind, obj), payload, rows in zip(batch, payloads, parsed, strict=True)
    ]
    with warehouse.transaction():
        results = load_batch(warehouse, items, loaded_at=loaded_at, alerter=alerter)
        _record(warehouse, batch, results, run_id, loaded_at)
    report.results.extend(results)


def _parse_all(
    kinds: list[str], payloads: list[bytes], workers: int, deadline_s: float = PARSE_DEADLINE_S
) -> list[list[Row] | PayloadError]:
    """Every payload's rows (or its ``PayloadError``), in worker processes when the batch is large.

    The pool's answers are awaited for at most ``deadline_s``: a worker stuck on one payload (or
    killed from outside) must not hold the ingest forever. Past it the pool is discarded (a fresh
    one serves the next call) and ``DeadlineExceeded`` fails the step; a rerun resumes the batch.
    """
    workers = min(workers, len(os.sched_getaffinity(0)))
    if len(payloads) < PARALLEL_FROM or workers < 2:
        return [parse_payload(kind, payload) for kind, payload in zip(kinds, payloads, strict=True)]
    pool = _pool(workers)
    try:
        return list(pool.map(parse_payload, kinds, payloads, chunksize=4, timeout=deadline_s))
    except TimeoutError:
        pool.shutdown(wait=False, cancel_futures=True)
        _pool.cache_clear()
    raise DeadlineExceeded(
        f"ingest: parsing {len(payloads)} payload(s) took longer than {deadline_s:g}s; the pool was replaced"
    )


@cache
def _pool(workers: int) -> ProcessPoolExecutor:
    """Parser processes, kept for the process's life (spawned: the parent holds threads and a
    database connection, which a forked child must not inherit). Each one ends with its parent,
    even a parent killed with SIGKILL that runs no exit handler."""
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=exit_with_parent,
        initargs=(os.getpid(),),
    )
    atexit.register(pool.shutdown, wait=False, cancel_futures=True)
    return pool


def exit_with_parent(parent: int) -> None:
    """Pool initializer: watch the parent and end this worker once it is gone.

    A parent killed with SIGKILL cannot shut its pool down; its workers would wait for work
    forever, re-parented to init, and keep the resource tracker (whose pipe they hold) alive too.
    A thread polling ``getppid`` works whichever thread started the worker (``PR_SET_PDEATHSIG``
    would fire when that *thread* ends, breaking a pool built by a short-lived thread).
    """
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


def _record(
    warehouse: Warehouse,
    batch: list[tuple[str, LakeObject]],
    results: list[LoadResult],
    run_id: str,
    loaded_at: datetime,
) -> None:
    import pyarrow as pa

    columns = {
        "payload_sha256": [obj.sha256 for _, obj in batch],
        "kind": [r.kind for r in results],
        "lake_path": [obj.path for _, obj in batch],
        "raw_table": [r.table for r in results],
        "status": [r.status for r in results],
        "rows_in": [r.rows_in for r in results],
        "rows_written": [r.rows_written for r in results],
        "run_id": [run_id] * len(results),
        "loaded_at": pa.array([loaded_at] * len(results), type=pa.timestamp("us", tz="UTC")),
    }
    warehouse.insert_arrow("loaded_payloads", pa.table(columns))


def _quarantine_line(warehouse: Warehouse, alerter: Alerter, line: BadManifestLine) -> None:
    """Quarantine an unreadable manifest entry; alert the first time it is seen."""
    import hashlib

    where = f"{line.manifest}:{line.line}"
    error = PayloadError(f"manifest entry {where} is unreadable ({line.reason}); its payload is not loaded")
    sha = hashlib.sha256(where.encode() + b"\n" + line.text).hexdigest()
    new = record_quarantine(
        warehouse, kind=MANIFEST_KIND, lake_path=line.manifest, sha=sha, first_bytes=line.text, exc=error
    )
    if new:
        alerter.raise_alert(
            "quarantine",
            f"lake manifest entry {where} quarantined: {line.reason}",
            severity="error",
            kind_of_payload=MANIFEST_KIND,
            lake_path=line.manifest,
            line=line.line,
            error=str(error),
        )


def _scheduled_games(warehouse: Warehouse, day: date) -> int:
    """Games of ``day`` by whichever schedule table lists the most: one missing source is not "no games".

    Every table that lists a date's games counts (NBA.com's schedule and scoreboard, Ball Don't
    Lie's games, ESPN's scoreboard): a date whose NBA.com schedule is missing or emptied but that
    another source served still has its games due.
    """
    rows = warehouse.query_rows(
        "SELECT greatest("
        "(SELECT count(*) FROM raw_nbac_schedule WHERE game_date = ? AND is_nba_matchup IS NOT FALSE), "
        "(SELECT count(*) FROM raw_nbac_scoreboard WHERE game_date = ?), "
        "(SELECT count(*) FROM raw_bdl_games WHERE game_date = ?), "
        "(SELECT count(*) FROM raw_espn_scoreboard WHERE game_date = ?))",
        [day, day, day, day],
    )
    return int(rows[0][0])
