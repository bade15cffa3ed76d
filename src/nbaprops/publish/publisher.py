"""``publish_date``: phase 6, the JSON files of a game date (and the dashboard) written to the lake.

Under the lake's ``publish/`` prefix (a local folder by default, ``gs://…`` in production)::

    publish/tonight/{date}.json      every prediction of the date, every system
    publish/picks/{date}.json        the best picks under the caps, and every PASS with its reason
    publish/players/{id}.json        each player of the date: last games vs the line, the upcoming one
    publish/results/{date}.json      every graded pick of the date and each system's totals (once graded)
    publish/performance.json         each system over 7 / 30 days and the season, calibration, daily series
    publish/status.json              the pipeline's health (both as of the newest published date)
    publish/index.json               which dates have files (what the dashboard offers)
    publish/*.html, assets/…         the dashboard (``publish.site``), reading the files above

Every file is written atomically (``Lake.put_file``: a temporary name, then a rename; not
fsync'd, since the next publish rebuilds it from the warehouse) and carries ``Cache-Control`` where
the lake keeps metadata. A player's file is a pure function of its inputs (the date, the player's
rows, the row shown with its distribution, the max-age, the code of this module and of
``documents``): the input key of each player file written is kept in ``publish_state/players.json``
(beside ``publish/``, not served), and a player whose key is unchanged and whose file is in the lake
is neither built nor written again (a refresh re-predicts a few games; the other players' files
would come out byte for byte the same). The keys of the files about to be rewritten are dropped
from that manifest (durably) before they are written, and the new keys added after, so a failed
publish leaves no key naming a file it did not write. ``full=True`` (``nbaprops publish --full``)
rebuilds every file: after a power cut on a local lake, whose files are not fsync'd while the
manifest is, a kept file may be older than its key says.

Every document but the per-player files (the same structures as
tonight's, and the bulk of the time a check takes) is checked against its JSON Schema
(``publish/schemas/``) before anything is written, so a bad document fails the step instead of
reaching a reader; the tests check every file the demo publishes. Queries
are a constant number per date (no query per player). The step is one ``run_ledger`` row
(``publish``); a date without a single prediction is a ``QualityGateError``, not an empty success.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from nbaprops.errors import PayloadError, QualityGateError
from nbaprops.publish import documents, performance, status
from nbaprops.warehouse.ledger import RunLedger

if TYPE_CHECKING:
    import pyarrow as pa

    from nbaprops.lake import Lake
    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

STEP = "publish"
PREFIX = "publish"
SQL_DIR = Path(__file__).parent / "sql"
JSON_TYPE = "application/json"
_GRADED_SQL = "SELECT COUNT(*) FROM prediction_grades WHERE game_date = ?"
_DAILY_SQL = (
    "SELECT game_date, system_id, n, mae, bias, n_picks, hit_rate, roi, brier, ece, graded_at "
    "FROM system_daily_performance WHERE game_date = ? ORDER BY system_id ASC NULLS LAST"
)
_PMF_FLOOR = 1e-4  # probabilities below this at the tails are not published
PLAYER_KEYS = "publish_state/players.json"  # input key of each player file in the lake (not served)


@dataclass
class PublishReport:
    """What one publish run wrote (paths relative to the lake root)."""

    game_date: date
    files: list[str] = field(default_factory=list)
    predictions: int = 0
    picks: int = 0
    players: int = 0
    graded_picks: int | None = None  # None: the date is not graded yet (no results file)
    players_kept: int = 0  # player files left as they were (inputs unchanged since they were written)
    player_keys: dict[str, str] = field(default_factory=dict, repr=False)  # file -> input key

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``nbaprops publish --json``)."""
        return {
            "game_date": self.game_date.isoformat(),
            "files": len(self.files),
            "predictions": self.predictions,
            "picks": self.picks,
            "players": self.players,
            "players_kept": self.players_kept,
            "graded_picks": self.graded_picks,
        }


def _rows(warehouse: Warehouse, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    from nbaprops.warehouse.sqlmodel import load_model, query_model

    table: pa.Table = query_model(warehouse, load_model(SQL_DIR / f"{name}.sql"), params)
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def publish_date(
    warehouse: Warehouse, settings: Settings, day: date, *, lake: Lake | None = None, full: bool = False
) -> PublishReport:
    """Write every file of ``day`` (and the global ones, and the dashboard) under ``publish/``.

    Player files whose input key is unchanged and that are in the lake are left alone, unless
    ``full`` (see the module's docstring).
    """
    from nbaprops.lake import open_lake

    store = lake if lake is not None else open_lake(settings)
    report = PublishReport(day)
    with RunLedger(warehouse).step(STEP, game_date=day) as run:
        in_lake = _kept_player_files(store)
        known = {} if full else in_lake
        files = build_files(warehouse, settings, day, report, store, known=known)
        run.rows_in = report.predictions
        cleaned = {name: (documents.clean(document), max_age) for name, (document, max_age) in files.items()}
        validate({k: v for k, v in cleaned.items() if not k.startswith("players/")})
        rewritten = {name for name in cleaned if name in report.player_keys}
        stale = {name: key for name, key in in_lake.items() if name not in rewritten}
        if len(stale) != len(in_lake):
            _put_player_keys(store, stale)  # no key names a file while it is being rewritten
        for name, (document, max_age) in cleaned.items():
            put(store, name, documents.encode(document, cleaned=True), max_age)
        if rewritten:
            _put_player_keys(store, {**stale, **{name: report.player_keys[name] for name in rewritten}})
        index = _index(store, files)
        validate({"index.json": (index, 0)})
        put(store, "index.json", documents.encode(index), settings.publish_live_max_age_s)
        from nbaprops.publish.site import install

        kept = [name for name in report.player_keys if name not in files]
        report.files = [*files, *kept, "index.json", *install(store, settings.publish_live_max_age_s)]
        run.rows_out = len(report.files)
        run.details = report.to_dict()
    log.info("publish.finished", **report.to_dict())
    return report


def _by_player(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Rows grouped by ``player_id``, each group in the rows' order (one pass, not one per player)."""
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(int(row["player_id"]), []).append(row)
    return grouped


def _kept_player_files(store: Lake) -> dict[str, str]:
    """The input key of each player file in the lake (``{}`` when no manifest is there yet or it is
    unreadable: every player file is then built and written)."""
    try:
        keys = json.loads(store.get_file(PLAYER_KEYS))
    except PayloadError:  # the first publish into this lake (or one from before the manifest)
        return {}
    except ValueError:  # unreadable: every player file is rebuilt and the manifest written again
        log.warning("publish.player_keys_unreadable", path=PLAYER_KEYS)
        return {}
    if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
        log.warning("publish.player_keys_unreadable", path=PLAYER_KEYS)
        return {}
    present = {p.removeprefix(f"{PREFIX}/") for p in store.list_files(f"{PREFIX}/players/*.json")}
    return {name: key for name, key in keys.items() if name in present}


def _put_player_keys(store: Lake, keys: dict[str, str]) -> None:
    store.put_file(
        PLAYER_KEYS,
        (json.dumps(keys, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8"),
        content_type=JSON_TYPE,
        durable=True,  # written around the files it names: a power cut must not bring back old keys
    )


_CODE_KEY: list[str] = []


def _code_key() -> str:
    """A digest of the code that turns a player's rows into its file (this module and ``documents``)."""
    if not _CODE_KEY:
        digest = hashlib.sha256(str(documents.SCHEMA_VERSION).encode("utf-8"))
        for module in (documents.__file__, __file__):
            digest.update(Path(module).read_bytes())
        _CODE_KEY.append(digest.hexdigest())
    return _CODE_KEY[0]


def player_key(
    day: date,
    player_id: int,
    past: list[dict[str, Any]],
    upcoming: list[dict[str, Any]],
    shown: dict[str, Any] | None,
    *,
    max_age: int,
) -> str:
    """The input key of ``players/{player_id}.json``: everything its bytes and metadata depend on.

    ``repr`` of the rows (Python values from Arrow: numbers, strings, aware datetimes, dates) is
    exact and in the query's column order; two equal keys mean equal inputs, hence equal bytes.
    """
    text = repr((_code_key(), day, player_id, max_age, past, upcoming, shown))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def put(store: Lake, name: str, data: bytes, max_age: int, content_type: str = JSON_TYPE) -> None:
    """One file under ``publish/``, atomically, with its Cache-Control."""
    store.put_file(
        f"{PREFIX}/{name}",
        data,
        content_type=content_type,
        cache_control=f"public, max-age={max_age}",
        durable=False,  # every published file is rebuilt from the warehouse by the next publish
    )


def build_files(
    warehouse: Warehouse,
    settings: Settings,
    day: date,
    report: PublishReport,
    store: Lake | None = None,
    *,
    known: dict[str, str] | None = None,
) -> dict[str, tuple[dict[str, Any], int]]:
    """Every document of ``day`` by its path under ``publish/``, each with its max-age; a player
    file whose input key is ``known`` (its file in the lake was made from the same inputs) is left
    out and counted in ``report.players_kept``."""
    rows = _rows(warehouse, "publish_predictions", {"game_date": day})
    if not rows:
        raise QualityGateError(f"publish: no predictions dated {day}; predict the date first")
    dated, live = settings.publish_max_age_s, settings.publish_live_max_age_s
    report.predictions = len(rows)
    stamp = day.isoformat()
    files: dict[str, tuple[dict[str, Any], int]] = {
        f"tonight/{stamp}.json": (documents.tonight(day, rows), dated)
    }

    system = settings.publish_picks_system
    mine = [r for r in rows if r["system_id"] == system]
    chosen = documents.picks(
        day,
        mine,
        _adjusted_ev(mine, settings.stake_market_shrink),
        system_id=system,
        max_picks=settings.publish_max_picks,
        max_per_team=settings.publish_max_picks_per_team,
    )
    report.picks = len(chosen["picks"])
    files[f"picks/{stamp}.json"] = (chosen, dated)

    ids = sorted({int(r["player_id"]) for r in rows})
    recent = _rows(
        warehouse,
        "publish_player_games",
        {"game_date": day, "player_ids": ids, "games": settings.publish_recent_games},
    )
    shown = {r["player_id"]: r for r in mine} if mine else {}
    upcoming_of, past_of = _by_player(rows), _by_player(recent)
    known = known or {}
    for player_id in ids:
        upcoming, past = upcoming_of.get(player_id, []), past_of.get(player_id, [])
        chosen_row = shown.get(player_id)
        name = f"players/{player_id}.json"
        key = player_key(day, player_id, past, upcoming, chosen_row, max_age=dated)
        report.player_keys[name] = key
        if known.get(name) == key:
            report.players_kept += 1
            continue
        distributions = {chosen_row["game_id"]: distribution(chosen_row)} if chosen_row else {}
        files[name] = (
            documents.player(day, player_id, past, upcoming, distributions),
            dated,
        )
    report.players = len(ids)

    [(graded,)] = warehouse.query_rows(_GRADED_SQL, [day])
    if graded:
        picks = _rows(warehouse, "publish_results", {"game_date": day})
        keys = (
            "game_date",
            "system_id",
            "n",
            "mae",
            "bias",
            "n_picks",
            "hit_rate",
            "roi",
            "brier",
            "ece",
            "graded_at",
        )
        daily = [dict(zip(keys, r, strict=True)) for r in warehouse.query_rows(_DAILY_SQL, [day])]
        files[f"results/{stamp}.json"] = (documents.results(day, picks, daily), dated)
        report.graded_picks = len(picks)
    # The global files speak of the newest published date: publishing an earlier date again (its
    # results, after the next day's files) must not turn them back to that date.
    newest = max([day, *(_published_dates(store, "tonight") if store is not None else [])])
    files["performance.json"] = (_performance(warehouse, settings, newest, store), live)
    files["status.json"] = (status.build(warehouse, newest), live)
    return files


def _published_dates(store: Lake, folder: str) -> list[date]:
    """The dates that have a file under ``publish/{folder}/``."""
    return [date.fromisoformat(Path(p).stem) for p in store.list_files(f"{PREFIX}/{folder}/*.json")]


def _performance(warehouse: Warehouse, settings: Settings, day: date, store: Lake | None) -> dict[str, Any]:
    """``performance.json``: the one in the lake when it was computed from the same inputs (grades
    and predictions unchanged: scoring the season again would give the same document), else anew."""
    if store is not None:
        try:
            previous: dict[str, Any] = json.loads(store.get_file(f"{PREFIX}/performance.json"))
        except PayloadError:  # none published yet
            previous = {}
        except ValueError:  # unreadable: rebuilt and overwritten below
            log.warning("publish.performance_unreadable")
            previous = {}
        if previous.get("inputs") is not None and previous["inputs"] == performance.inputs(warehouse, day):
            return previous
    return performance.build(warehouse, day, pick_cap=settings.stake_max_pick)


def _adjusted_ev(rows: list[dict[str, Any]], shrink: float) -> list[float]:
    """Edge-adjusted EV of each row's side (``predict.recommend.edge_adjusted_ev``; NaN without a price)."""
    if not rows:
        return []
    from nbaprops.predict.recommend import edge_adjusted_ev

    def num(value: Any) -> float:
        return math.nan if value is None else float(value)

    values = edge_adjusted_ev(
        [r["recommendation"] for r in rows],
        [num(r["p_over"]) for r in rows],
        [num(r["over_price"]) for r in rows],
        [num(r["under_price"]) for r in rows],
        p_push=[num(r["p_push"]) for r in rows],
        shrink=shrink,
    )
    return [float(v) if math.isfinite(v) else -math.inf for v in values.tolist()]


def distribution(row: dict[str, Any]) -> dict[str, Any]:
    """The predictive distribution over whole points of one prediction (its system's mean and sd,
    read as ``predict.distribution`` reads them), tails below ``_PMF_FLOOR`` left out."""
    import numpy as np

    from nbaprops.predict.distribution import points_pmf

    mean, sd = float(row["predicted_points"]), float(row["predicted_sd"])
    top = math.ceil(mean + 6 * max(sd, math.sqrt(max(mean, 1.0)))) + 1
    pmf = np.asarray(points_pmf([mean], [sd], top), dtype=np.float64).reshape(-1)
    keep = np.flatnonzero(pmf >= _PMF_FLOOR)
    low, high = (int(keep[0]), int(keep[-1])) if keep.size else (0, 0)
    return {
        "system_id": row["system_id"],
        "points": list(range(low, high + 1)),
        "probability": [float(p) for p in pmf[low : high + 1]],
        "line": row["line"],
    }


def _index(store: Lake, files: dict[str, tuple[dict[str, Any], int]]) -> dict[str, Any]:
    """``index.json``: the dates that have files (listed from the lake, so earlier runs count too)."""
    from datetime import datetime

    def dates(folder: str) -> list[str]:
        return sorted({Path(p).stem for p in store.list_files(f"{PREFIX}/{folder}/*.json")}, reverse=True)

    stamps = [d["generated_at"] for d, _ in files.values() if d.get("generated_at")]
    try:
        previous = json.loads(store.get_file(f"{PREFIX}/index.json")).get("generated_at")
    except PayloadError:  # the first publish into this lake: no index yet
        previous = None
    if previous:
        stamps.append(previous)
    newest = max(stamps) if stamps else None
    moment = datetime.fromisoformat(newest.replace("Z", "+00:00")) if newest else None
    tonight = dates("tonight")
    return {
        **documents.head("index", generated_at=moment, as_of=moment),
        "latest_date": tonight[0] if tonight else None,
        "tonight": tonight,
        "picks": dates("picks"),
        "results": dates("results"),
    }


def validate(files: dict[str, tuple[dict[str, Any], int]]) -> None:
    """Check every (cleaned: ``documents.clean``) document against its JSON Schema; the first
    violation fails the step."""
    from nbaprops.publish.schemas import fast_validator_for, validator_for

    for name, (document, _) in files.items():
        if fast_validator_for(document["kind"]).is_valid(document):
            continue
        # The reference implementation names the first violation (and has the last word).
        errors = sorted(validator_for(document["kind"]).iter_errors(document), key=str)
        if not errors:
            raise QualityGateError(f"publish: {name}: jsonschema-rs refuses it, jsonschema accepts it")
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top)"
        raise QualityGateError(f"publish: {name} does not match its schema at {where}: {first.message[:200]}")
