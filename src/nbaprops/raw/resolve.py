"""The identity step: fill ``player_id`` and ``game_id`` on the raw tables, set-based.

``resolve_identities`` runs after loads and does a constant number of statements whatever the
number of rows or players (no per-row queries):

1. upsert ``player_registry`` from NBA.com's player index and box scores (their player id *is* the
   registry id) and set ``player_id`` on those two tables;
2. read the distinct unresolved player references of every other raw table with player rows in one
   query, match them in Python (``players.resolve_names``), MERGE the matches into
   ``player_source_ids`` and set ``player_id`` with one ``UPDATE … FROM`` per table;
3. record the names that stayed unresolved in ``unresolved_names`` and raise one alert listing them;
4. set ``game_id`` on rows of sources without NBA.com game ids by (game_date, home, away) against
   the NBA.com schedule and scoreboard; record and alert the games that match nothing.

With ``dates`` (the build step passes its range), steps 2-4 read and fill only the rows of raw
tables with a ``game_date`` in that range (tables without one are read whole), and the open lists
(``unresolved_names``, ``unmatched_games``) are renewed for those dates only: a daily build then
reads a day's partitions, not the whole history. Without ``dates`` (after an ingest, or to sweep
everything) every row is read.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import structlog

from nbaprops.dates import now_utc, season_start_of
from nbaprops.identity import player_lookup
from nbaprops.raw.players import Match, RegistryPlayer, SourceName, resolve_names
from nbaprops.warehouse.schema import table_spec

if TYPE_CHECKING:
    from nbaprops.ops.alerts import Alerter
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

REGISTRY_TABLES = ("raw_nbac_player_boxscores", "raw_nbac_player_list")
"""Raw tables whose ``player_source_id`` is the NBA.com PERSON_ID, i.e. the registry id."""
_ALERT_LIST_LIMIT = 50


@dataclass(frozen=True, slots=True)
class PlayerTable:
    """A raw table with player rows and how its player key reads in SQL (``{t}`` is the alias)."""

    table: str
    source: str
    key_sql: str
    team_sql: str
    teams_sql: str
    date_sql: str = "MAX({t}game_date)"


def _id_table(table: str, source: str, date_sql: str = "MAX({t}game_date)") -> PlayerTable:
    return PlayerTable(
        table,
        source,
        key_sql="CAST({t}player_source_id AS STRING)",
        team_sql="CASE WHEN COUNT(DISTINCT {t}team) = 1 THEN MAX({t}team) END",
        teams_sql="STRING_AGG(DISTINCT {t}team, ',')",
        date_sql=date_sql,
    )


PLAYER_TABLES: tuple[PlayerTable, ...] = (
    # BDL's players list first: for one BDL id its spelling is BDL's canonical one.
    _id_table("raw_bdl_players", "bdl", date_sql="CAST(NULL AS DATE)"),
    _id_table("raw_bdl_box_scores", "bdl"),
    _id_table("raw_bdl_injuries", "bdl", date_sql="CAST(NULL AS DATE)"),
    _id_table("raw_nbac_pbp_shots", "nbacom", date_sql="CAST(NULL AS DATE)"),
    # No player ids: the name and its team (or both game teams) are the key.
    PlayerTable(
        "raw_nbac_injury_report",
        "nbacom",
        key_sql="'name:' || {t}player_lookup || '@' || COALESCE({t}team, '')",
        team_sql="MAX({t}team)",
        teams_sql="MAX({t}team)",
    ),
    PlayerTable(
        "raw_oddsa_player_props",
        "oddsapi",
        key_sql=(
            "'name:' || {t}player_lookup || '@' || COALESCE(LEAST({t}home_team, {t}away_team), '') "
            "|| '-' || COALESCE(GREATEST({t}home_team, {t}away_team), '')"
        ),
        team_sql="CAST(NULL AS STRING)",
        # The key holds both venues of a pair (A at B, B at A): the pair, not MAX(home)/MAX(away),
        # which would give "B,B" and send a player to the namesake on the other team.
        teams_sql=(
            "MAX(LEAST({t}home_team, {t}away_team)) || ',' || MAX(GREATEST({t}home_team, {t}away_team))"
        ),
    ),
)

GAME_TABLES: tuple[tuple[str, str, str], ...] = (
    ("raw_bdl_games", "home_team", "visitor_team"),
    ("raw_bdl_box_scores", "home_team", "visitor_team"),
    ("raw_espn_scoreboard", "home_team", "away_team"),
    ("raw_oddsa_events", "home_team", "away_team"),
    ("raw_oddsa_game_lines", "home_team", "away_team"),
    ("raw_oddsa_player_props", "home_team", "away_team"),
    ("raw_nbac_injury_report", "home_team", "away_team"),
)
"""(table, home column, away column) of every raw table whose ``game_id`` is filled by matching."""

# One NBA.com game per (date, home, away); a pair that two game ids share is left unmatched.
_SCHEDULE = """(
  SELECT game_date, home_team, away_team, MIN(game_id) AS game_id
  FROM (
    SELECT game_id, game_date, home_team, away_team FROM raw_nbac_schedule
    UNION ALL
    SELECT game_id, game_date, home_team, away_team FROM raw_nbac_scoreboard
  ) AS g
  GROUP BY game_date, home_team, away_team
  HAVING COUNT(DISTINCT game_id) = 1
)"""


@dataclass
class ResolveReport:
    """What one identity run did: players matched per method, rows filled, what stayed open."""

    registry_players: int = 0
    names: int = 0
    methods: dict[str, int] = field(default_factory=dict)
    player_rows_filled: dict[str, int] = field(default_factory=dict)
    player_rows_unresolved: int = 0
    unresolved: list[Match] = field(default_factory=list)
    game_rows_filled: dict[str, int] = field(default_factory=dict)
    unmatched_games: list[tuple[str, date | None, str | None, str | None]] = field(default_factory=list)

    @property
    def resolution_rate(self) -> float:
        """Share of distinct names resolved this run (1.0 when there was nothing to resolve)."""
        return 1.0 if not self.names else round(1 - len(self.unresolved) / self.names, 4)


def resolve_identities(
    warehouse: Warehouse, alerter: Alerter, *, dates: tuple[date, date] | None = None
) -> ResolveReport:
    """Fill ``player_id``/``game_id`` across the raw tables (of ``dates`` only, when given: see the
    module doc); record and alert what cannot be filled."""
    for name in (*REGISTRY_TABLES, *(p.table for p in PLAYER_TABLES), *(g[0] for g in GAME_TABLES)):
        table_spec(name)  # every identifier below comes from the schema allow-list
    now = now_utc()
    report = ResolveReport()
    with warehouse.transaction():
        registry = _upsert_registry(warehouse)
        report.registry_players = len({p.player_id for p in registry})
        _resolve_players(warehouse, registry, now, report, dates)
        _match_games(warehouse, now, report, dates)
    _alert(alerter, report)
    log.info(
        "identity.resolved",
        registry_players=report.registry_players,
        names=report.names,
        methods=report.methods,
        unresolved=len(report.unresolved),
        unmatched_games=len(report.unmatched_games),
    )
    return report


# --- 1. registry ------------------------------------------------------------------------------


def _upsert_registry(warehouse: Warehouse) -> list[RegistryPlayer]:
    """Upsert ``player_registry`` from the NBA.com tables; return every known (id, name, teams)."""
    rows = warehouse.query_rows(
        "SELECT player_source_id, player_name, team, MIN(game_date), MAX(game_date), "
        "CAST(NULL AS STRING), 'raw_nbac_player_boxscores' FROM raw_nbac_player_boxscores "
        "WHERE player_name IS NOT NULL GROUP BY player_source_id, player_name, team "
        "UNION ALL "
        "SELECT player_source_id, player_name, team, CAST(NULL AS DATE), CAST(NULL AS DATE), "
        "MAX(season), 'raw_nbac_player_list' FROM raw_nbac_player_list "
        "WHERE player_name IS NOT NULL GROUP BY player_source_id, player_name, team "
        "UNION ALL "
        "SELECT player_id, display_name, team, first_seen, last_seen, CAST(NULL AS STRING), source "
        "FROM player_registry"
    )
    by_player: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        by_player[int(row[0])].append(row)
    registry: list[RegistryPlayer] = []
    upserts: list[dict[str, Any]] = []
    for player_id, seen in by_player.items():
        teams = frozenset(str(r[2]) for r in seen if r[2])
        registry.extend(RegistryPlayer(player_id, str(name), teams) for name in {r[1] for r in seen})
        latest = max(seen, key=_recency)
        firsts = [r[3] for r in seen if r[3] is not None]
        lasts = [r[4] for r in seen if r[4] is not None]
        upserts.append(
            {
                "player_id": player_id,
                "display_name": latest[1],
                "player_lookup": player_lookup(str(latest[1])),
                "team": latest[2],
                "first_seen": min(firsts) if firsts else None,
                "last_seen": max(lasts) if lasts else None,
                "source": latest[6],
            }
        )
    if upserts:
        warehouse.merge_arrow("player_registry", _arrow("player_registry", upserts))
    for table in REGISTRY_TABLES:
        warehouse.execute(
            f"UPDATE {table} SET player_id = player_source_id WHERE player_id IS NULL"  # noqa: S608 - allow-listed
        )
    return registry


def _recency(row: tuple[Any, ...]) -> tuple[date, int]:
    """Which row's name and team are current: the latest box score, or a newer season's roster.

    A roster row counts as of its season's opening (1 October), so an off-season roster for the
    next season beats last season's box scores while a mid-season trade in the box scores beats
    the season's roster. Ties go to box scores, then to the stored registry row.
    """
    rank = {"raw_nbac_player_boxscores": 2, "raw_nbac_player_list": 1}.get(str(row[6]), 0)
    if row[5] is not None:
        return date(season_start_of(str(row[5])), 10, 1), rank
    return row[4] or date.min, rank


# --- 2/3. players -----------------------------------------------------------------------------


def _dated(table: str, dates: tuple[date, date] | None, alias: str = "") -> tuple[str, list[Any]]:
    """`` AND game_date BETWEEN ? AND ?`` and its values when ``table`` is dated and a range given."""
    if dates is None or "game_date" not in table_spec(table).column_names:
        return "", []
    return f" AND {alias}game_date BETWEEN ? AND ?", [dates[0], dates[1]]


def _distinct_names_sql(dates: tuple[date, date] | None = None) -> tuple[str, list[Any]]:
    """One query over every player table (identifiers allow-listed; the labels are bound values)."""
    parts = []
    params: list[Any] = []
    for spec in PLAYER_TABLES:
        f = {"t": ""}
        in_range, bounds = _dated(spec.table, dates)
        params += [spec.table, spec.source, *bounds]
        parts.append(
            "SELECT CAST(? AS VARCHAR) AS raw_table, CAST(? AS VARCHAR) AS source, "  # noqa: S608 - allow-listed
            f"{spec.key_sql.format(**f)} AS source_player_id, MAX(player_name) AS player_name, "
            f"{spec.team_sql.format(**f)} AS team, {spec.teams_sql.format(**f)} AS teams, "
            f"{spec.date_sql.format(**f)} AS game_date, COUNT(*) AS n "
            f"FROM {spec.table} WHERE player_id IS NULL AND player_name IS NOT NULL "
            f"AND player_lookup IS NOT NULL{in_range} GROUP BY {spec.key_sql.format(**f)}"
        )
    return " UNION ALL ".join(parts), params


def _resolve_players(
    warehouse: Warehouse,
    registry: Sequence[RegistryPlayer],
    now: datetime,
    report: ResolveReport,
    dates: tuple[date, date] | None,
) -> None:
    refs = warehouse.query_rows(*_distinct_names_sql(dates))
    stored = warehouse.query_rows("SELECT source, source_player_id, player_id FROM player_source_ids")
    known = {(str(s), str(k)): int(p) for s, k, p in stored}
    names = [
        SourceName(
            source=str(r[1]),
            source_player_id=str(r[2]),
            name=str(r[3]),
            team=r[4],
            game_date=r[6],
            game_teams=tuple(t for t in str(r[5] or "").split(",") if t),
        )
        for r in refs
    ]
    matches = resolve_names(registry, names, known_ids=known)
    # One decision per (source, key): a key seen in two tables (a BDL id in the players list and in
    # box scores) takes its first resolved match, which the UPDATEs then apply to both tables.
    decided: dict[tuple[str, str], Match] = {}
    for match in matches:
        key = (match.name.source, str(match.name.source_player_id))
        if key not in decided or (decided[key].player_id is None and match.player_id is not None):
            decided[key] = match
    report.names = len(decided)
    report.methods = dict(Counter(m.method for m in decided.values()))
    report.unresolved = [m for m in decided.values() if m.player_id is None]

    new_ids = [
        {
            "source": key[0],
            "source_player_id": key[1],
            "player_id": match.player_id,
            "method": match.method,
            "resolved_at": now,
        }
        for key, match in decided.items()
        if match.player_id is not None and key not in known
    ]
    if new_ids:
        warehouse.merge_arrow("player_source_ids", _arrow("player_source_ids", new_ids))

    unfilled = _null_counts(warehouse, [(p.table, "player_id", "TRUE") for p in PLAYER_TABLES], dates)
    for spec in PLAYER_TABLES:
        if not unfilled.get(spec.table):
            continue  # every row in range has its player_id: nothing to set
        in_range, bounds = _dated(spec.table, dates, "t.")
        warehouse.execute(
            f"UPDATE {spec.table} AS t SET player_id = s.player_id FROM player_source_ids AS s "  # noqa: S608
            f"WHERE t.player_id IS NULL AND s.source = ? "
            f"AND s.source_player_id = {spec.key_sql.format(t='t.')}{in_range}",
            [spec.source, *bounds],
        )
    checks = [(p.table, "player_id", "player_name IS NOT NULL") for p in PLAYER_TABLES]
    after = _null_counts(warehouse, checks, dates)
    totals: Counter[str] = Counter()
    for r in refs:
        totals[str(r[0])] += int(r[7])
    report.player_rows_filled = {t: totals[t] - after.get(t, 0) for t in totals}
    report.player_rows_unresolved = sum(after.values())
    still_open = [
        (ref, decided[(name.source, str(name.source_player_id))])
        for ref, name in zip(refs, names, strict=True)
        if decided[(name.source, str(name.source_player_id))].player_id is None
    ]
    _record_unresolved(warehouse, still_open, now, dates)


def _record_unresolved(
    warehouse: Warehouse,
    still_open: Sequence[tuple[tuple[Any, ...], Match]],
    now: datetime,
    dates: tuple[date, date] | None,
) -> None:
    """Upsert one ``unresolved_names`` row per (source, lookup, team); drop rows now resolved."""
    first_seen = {
        (str(s), str(lk), t): f
        for s, lk, t, f in warehouse.query_rows(
            "SELECT source, player_lookup, team, first_seen_at FROM unresolved_names"
        )
    }
    grouped: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    for ref, match in still_open:
        name = match.name
        key = (name.source, player_lookup(name.name), name.team)
        row = grouped.setdefault(
            key,
            {
                "source": key[0],
                "player_name": name.name,
                "player_lookup": key[1],
                "team": key[2],
                "game_date": None,
                "first_seen_at": first_seen.get(key, now),
                "last_seen_at": now,
                "occurrences": 0,
                "context": {"reason": match.reason, "candidates": list(match.candidates), "tables": []},
            },
        )
        row["occurrences"] += int(ref[7])
        day = ref[6]
        if day is not None and (row["game_date"] is None or day > row["game_date"]):
            row["game_date"] = day
        context = row["context"]
        context["tables"] = sorted({*context["tables"], str(ref[0])})
        if name.game_teams and not name.team:
            context["game_teams"] = list(name.game_teams)
        if not str(name.source_player_id).startswith("name:"):
            context["source_player_id"] = name.source_player_id
    rows = [{**r, "context": json.dumps(r["context"], sort_keys=True)} for r in grouped.values()]
    if rows:
        warehouse.merge_arrow("unresolved_names", _arrow("unresolved_names", rows))
    # Every unresolved reference of the dates read was read above, so a row of those dates (or of
    # the undated tables, read whole: no game_date) that this run did not touch has resolved.
    if dates is None:
        warehouse.execute("DELETE FROM unresolved_names WHERE last_seen_at < ?", [now])
    else:
        warehouse.execute(
            "DELETE FROM unresolved_names WHERE last_seen_at < ? "
            "AND (game_date IS NULL OR game_date BETWEEN ? AND ?)",
            [now, dates[0], dates[1]],
        )


# --- 4. games ---------------------------------------------------------------------------------


def _match_games(
    warehouse: Warehouse, now: datetime, report: ResolveReport, dates: tuple[date, date] | None
) -> None:
    checks = [(table, "game_id", "TRUE") for table, _, _ in GAME_TABLES]
    before = _null_counts(warehouse, checks, dates)
    for table, home, away in GAME_TABLES:
        if not before.get(table):
            continue  # every row in range has its game_id: nothing to match
        in_range, bounds = _dated(table, dates, "t.")
        warehouse.execute(
            f"UPDATE {table} AS t SET game_id = s.game_id FROM {_SCHEDULE} AS s "  # noqa: S608 - allow-listed
            f"WHERE t.game_id IS NULL AND t.game_date = s.game_date "
            f"AND t.{home} = s.home_team AND t.{away} = s.away_team{in_range}",
            bounds,
        )
    parts, params = [], []
    for table, home, away in GAME_TABLES:
        in_range, bounds = _dated(table, dates)
        parts.append(
            f"SELECT CAST(? AS VARCHAR), game_date, {home}, {away}, COUNT(*) FROM {table} "  # noqa: S608
            f"WHERE game_id IS NULL{in_range} GROUP BY game_date, {home}, {away}"
        )
        params += [table, *bounds]
    open_games = warehouse.query_rows(" UNION ALL ".join(parts), params)
    after: Counter[str] = Counter()
    for row in open_games:
        after[str(row[0])] += int(row[4])
    report.game_rows_filled = {t: before.get(t, 0) - after[t] for t in before}
    report.unmatched_games = [(str(r[0]), r[1], r[2], r[3]) for r in open_games]
    first_seen = {
        (str(t), d, h, a): f
        for t, d, h, a, f in warehouse.query_rows(
            "SELECT raw_table, game_date, home_team, away_team, first_seen_at FROM unmatched_games"
        )
    }
    rows = [
        {
            "raw_table": str(r[0]),
            "game_date": r[1],
            "home_team": r[2],
            "away_team": r[3],
            "first_seen_at": first_seen.get((str(r[0]), r[1], r[2], r[3]), now),
            "last_seen_at": now,
            "occurrences": int(r[4]),
        }
        for r in open_games
    ]
    if rows:
        warehouse.merge_arrow("unmatched_games", _arrow("unmatched_games", rows))
    if dates is None:
        warehouse.execute("DELETE FROM unmatched_games WHERE last_seen_at < ?", [now])
    else:  # the open games of other dates were not read: they stay as they were
        warehouse.execute(
            "DELETE FROM unmatched_games WHERE last_seen_at < ? AND game_date BETWEEN ? AND ?",
            [now, dates[0], dates[1]],
        )


# --- helpers ----------------------------------------------------------------------------------


def _null_counts(
    warehouse: Warehouse, checks: Sequence[tuple[str, str, str]], dates: tuple[date, date] | None = None
) -> dict[str, int]:
    """Rows per table (of ``dates``, when dated) whose ``column`` is NULL and that satisfy ``where``."""
    parts, params = [], []
    for table, column, where in checks:
        in_range, bounds = _dated(table, dates)
        parts.append(
            f"SELECT CAST(? AS VARCHAR), COUNT(*) FROM {table} WHERE {column} IS NULL AND {where}{in_range}"  # noqa: S608
        )
        params += [table, *bounds]
    return {str(t): int(n) for t, n in warehouse.query_rows(" UNION ALL ".join(parts), params)}


def _arrow(table: str, rows: Sequence[dict[str, Any]]) -> Any:
    """Rows as an Arrow table typed by the table's declared columns."""
    import pyarrow as pa

    types = {
        "STRING": pa.string(),
        "INT64": pa.int64(),
        "DATE": pa.date32(),
        "TIMESTAMP": pa.timestamp("us", tz="UTC"),
        "JSON": pa.string(),
    }
    spec = table_spec(table)
    return pa.Table.from_arrays(
        [pa.array([r[c.name] for r in rows], type=types[c.type]) for c in spec.columns],
        names=list(spec.column_names),
    )


def _alert(alerter: Alerter, report: ResolveReport) -> None:
    if report.unresolved:
        listed = [
            f"{m.name.name} ({m.name.source}, {m.name.team or '/'.join(m.name.game_teams) or '?'}"
            f"{', ambiguous' if m.reason == 'ambiguous' else ''})"
            for m in report.unresolved[:_ALERT_LIST_LIMIT]
        ]
        more = len(report.unresolved) - len(listed)
        alerter.raise_alert(
            "unresolved_names",
            f"{len(report.unresolved)} player name(s) match no single registry player: "
            + "; ".join(listed)
            + (f"; and {more} more" if more > 0 else ""),
            names=listed,
            count=len(report.unresolved),
            rows=report.player_rows_unresolved,
        )
    if report.unmatched_games:
        listed = [
            f"{table}: {day} {away}@{home}"
            for table, day, home, away in report.unmatched_games[:_ALERT_LIST_LIMIT]
        ]
        alerter.raise_alert(
            "unmatched_games",
            f"{len(report.unmatched_games)} game(s) match no NBA.com schedule game: " + "; ".join(listed),
            games=listed,
            count=len(report.unmatched_games),
        )
