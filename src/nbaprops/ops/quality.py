"""Data-quality checks as declared rules, run per game date and written to ``quality_results``.

A rule is data: the table it watches, its kind (freshness, row count against the schedule, null
rate, value range, key uniqueness, cross-source agreement, line coverage), its severity, and one
``SELECT`` returning ``(observed, considered)`` for the date — the measured figure and how many
rows or games it was measured on. ``considered = 0`` means nothing to check that day (no games, no
lines yet): the rule passes and says so. Otherwise it passes when ``observed`` is on the right side
of its threshold.

Key uniqueness is generated for every table that has a ``game_date`` column, from its declared key.
The rest are written out below in BigQuery SQL (``@day`` is the date), compiled once per process
for the warehouse's dialect by sqlglot.

``run_checks`` writes one row per rule under a new ``check_id`` and raises a ``quality_failed``
alert per failed rule (severity of the rule); ``nbaprops quality --date D`` exits non-zero when an
``error`` rule fails. The build runs the checks on its last date (``quality`` step, phase 4): ~40
small queries, measured by ``bench/bench_quality.py``.
"""

from __future__ import annotations

import time
import uuid
import weakref
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

import structlog

from nbaprops.dates import now_utc
from nbaprops.errors import WarehouseError
from nbaprops.pipeline.steps import Step, StepContext, load_registry, register
from nbaprops.warehouse.schema import TABLES

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from nbaprops.ops.alerts import Alerter
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

RuleSeverity = Literal["error", "warning"]
CheckType = Literal["freshness", "row_count", "null_rate", "range", "unique_key", "cross_source", "coverage"]

# NBA.com's gameStatus 3 is a finished game ("final" below).


@dataclass(frozen=True)
class Rule:
    """One declared check: ``sql`` (BigQuery SQL, ``@day`` the date) returns ``(observed, considered)``."""

    name: str
    table: str
    check_type: CheckType
    severity: RuleSeverity
    sql: str
    op: Literal["<=", ">="]
    threshold: float
    what: str  # the observed figure, in words

    def passes(self, observed: float) -> bool:
        """Whether ``observed`` is on the right side of the threshold."""
        return observed <= self.threshold if self.op == "<=" else observed >= self.threshold


@dataclass(frozen=True)
class Result:
    """One rule's outcome for one date."""

    rule: str
    table_name: str
    check_type: str
    severity: str
    passed: bool
    observed: float | None
    threshold: float
    message: str


_FINAL_GAMES_WITH_ROWS = (
    "SELECT AVG(CASE WHEN t.game_id IS NULL THEN 0.0 ELSE 1.0 END), COUNT(*) "
    "FROM raw_nbac_schedule s LEFT JOIN (SELECT DISTINCT game_id FROM {table} WHERE game_date = @day) t "
    "ON t.game_id = s.game_id WHERE s.game_date = @day AND s.status = 3"
)
_LAG_DAYS = (
    "SELECT DATE_DIFF(f.last_final, t.last_date, DAY), CASE WHEN f.last_final IS NULL THEN 0 ELSE 1 END FROM "
    "(SELECT MAX(game_date) AS last_final FROM raw_nbac_schedule WHERE game_date <= @day AND status = 3) f "
    "CROSS JOIN (SELECT COALESCE(MAX(game_date), DATE '1900-01-01') AS last_date FROM {table} "
    "WHERE game_date <= @day) t"
)
"""Templates whose ``{table}`` is filled from the rule's own (declared) table by ``_sql``."""


DECLARED: tuple[Rule, ...] = (
    Rule(
        "raw_nbac_player_boxscores.games_vs_schedule",
        "raw_nbac_player_boxscores",
        "row_count",
        "error",
        _FINAL_GAMES_WITH_ROWS,
        ">=",
        1.0,
        "share of the date's final games with NBA.com box scores",
    ),
    Rule(
        "raw_nbac_player_boxscores.players_per_game",
        "raw_nbac_player_boxscores",
        "row_count",
        "warning",
        "SELECT min(n), count(*) FROM (SELECT count(*) AS n FROM raw_nbac_player_boxscores "
        "WHERE game_date = @day GROUP BY game_id) g",
        ">=",
        16,
        "fewest players in one game's NBA.com box score",
    ),
    Rule(
        "player_game_summary.games_vs_schedule",
        "player_game_summary",
        "row_count",
        "error",
        _FINAL_GAMES_WITH_ROWS,
        ">=",
        1.0,
        "share of the date's final games in player_game_summary",
    ),
    Rule(
        "player_game_summary.freshness",
        "player_game_summary",
        "freshness",
        "warning",
        _LAG_DAYS,
        "<=",
        0,
        "days player_game_summary lags the last date with final games",
    ),
    Rule(
        "raw_oddsa_player_props.freshness",
        "raw_oddsa_player_props",
        "freshness",
        "warning",
        _LAG_DAYS,
        "<=",
        1,
        "days the player-points lines lag the last date with final games",
    ),
    Rule(
        "raw_nbac_player_boxscores.points_minutes_range",
        "raw_nbac_player_boxscores",
        "range",
        "error",
        """SELECT coalesce(sum(CASE WHEN pts < 0 OR pts > 100 OR minutes < 0 OR minutes > 70
        THEN 1 ELSE 0 END), 0), count(*) FROM raw_nbac_player_boxscores WHERE game_date = @day""",
        "<=",
        0,
        "box-score rows with points outside 0-100 or minutes outside 0-70",
    ),
    Rule(
        "raw_nbac_player_boxscores.player_id_nulls",
        "raw_nbac_player_boxscores",
        "null_rate",
        "warning",
        "SELECT avg(CASE WHEN player_id IS NULL THEN 1.0 ELSE 0.0 END), count(*) "
        "FROM raw_nbac_player_boxscores WHERE game_date = @day",
        "<=",
        0.01,
        "share of NBA.com box-score rows with no resolved player_id",
    ),
    Rule(
        "player_game_summary.points_nulls",
        "player_game_summary",
        "null_rate",
        "error",
        "SELECT avg(CASE WHEN pts IS NULL THEN 1.0 ELSE 0.0 END), count(*) "
        "FROM player_game_summary WHERE game_date = @day AND played",
        "<=",
        0,
        "share of played rows in player_game_summary without points",
    ),
    Rule(
        "feature_store.points_avg_nulls",
        "feature_store",
        "null_rate",
        "warning",
        "SELECT avg(CASE WHEN points_avg_last_10 IS NULL THEN 1.0 ELSE 0.0 END), count(*) "
        "FROM feature_store WHERE game_date = @day",
        "<=",
        0.5,
        "share of feature rows without a last-10 points average",
    ),
    Rule(
        "raw_oddsa_player_props.line_range",
        "raw_oddsa_player_props",
        "range",
        "error",
        "SELECT coalesce(sum(CASE WHEN point <= 0 OR point > 80 OR over_price_decimal <= 1 "
        "OR under_price_decimal <= 1 THEN 1 ELSE 0 END), 0), count(*) "
        "FROM raw_oddsa_player_props WHERE game_date = @day",
        "<=",
        0,
        "player-points lines outside 0-80 or with a decimal price at or below 1",
    ),
    Rule(
        "predictions.value_range",
        "predictions",
        "range",
        "error",
        "SELECT coalesce(sum(CASE WHEN p_over < 0 OR p_over > 1 OR predicted_points < 0 "
        "OR predicted_points > 90 THEN 1 ELSE 0 END), 0), count(*) FROM predictions WHERE game_date = @day",
        "<=",
        0,
        "predictions with P(over) outside 0-1 or points outside 0-90",
    ),
    Rule(
        "raw_bdl_box_scores.points_vs_nbacom",
        "raw_bdl_box_scores",
        "cross_source",
        "warning",
        """SELECT avg(CASE WHEN n.pts = b.pts THEN 0.0 ELSE 1.0 END), count(*)
        FROM raw_nbac_player_boxscores n
        JOIN raw_bdl_box_scores b ON b.game_id = n.game_id AND b.player_id = n.player_id
        WHERE n.game_date = @day AND b.played""",
        "<=",
        0.02,
        "share of players whose points differ between NBA.com and Ball Don't Lie",
    ),
    Rule(
        "raw_espn_scoreboard.final_scores_vs_nbacom",
        "raw_espn_scoreboard",
        "cross_source",
        "warning",
        """SELECT avg(CASE WHEN s.home_score = e.home_score AND s.away_score = e.away_score
        THEN 0.0 ELSE 1.0 END), count(*)
        FROM raw_nbac_schedule s JOIN raw_espn_scoreboard e ON e.game_id = s.game_id
        WHERE s.game_date = @day AND s.status = 3 AND e.completed""",
        "<=",
        0,
        "share of final games whose score differs between NBA.com and ESPN",
    ),
    Rule(
        "raw_oddsa_player_props.slate_coverage",
        "raw_oddsa_player_props",
        "coverage",
        "warning",
        "SELECT avg(CASE WHEN p.game_id IS NULL THEN 0.0 ELSE 1.0 END), count(*) FROM raw_nbac_schedule s "
        "LEFT JOIN (SELECT DISTINCT game_id FROM raw_oddsa_player_props WHERE game_date = @day) p "
        "ON p.game_id = s.game_id WHERE s.game_date = @day",
        ">=",
        0.8,
        "share of the slate's games with at least one player-points line",
    ),
)


def _unique_key_rule(table: str) -> Rule:
    spec = TABLES[table]  # only declared tables: identifiers come from their specs
    keys = ", ".join(spec.key)
    inner = f"SELECT COUNT(*) AS n FROM {spec.name} WHERE game_date = @day GROUP BY {keys}"  # noqa: S608
    sql = f"SELECT COALESCE(SUM(n - 1), 0), COUNT(*) FROM ({inner}) g"  # noqa: S608 - identifiers from the spec
    return Rule(
        f"{table}.unique_key", table, "unique_key", "error", sql, "<=", 0, f"rows repeating a key ({keys})"
    )


def rules() -> tuple[Rule, ...]:
    """Every rule: the declared ones and a key-uniqueness rule per table with a ``game_date``."""
    dated = [name for name, spec in TABLES.items() if "game_date" in spec.column_names and spec.key]
    return (*DECLARED, *(_unique_key_rule(t) for t in dated))


def evaluate(warehouse: Warehouse, day: date, rule: Rule) -> Result:
    """Run one rule for ``day``."""
    observed_raw, considered = warehouse.query_rows(_sql(rule, warehouse.capabilities.dialect), {"day": day})[
        0
    ]
    return _verdict(rule, day, observed_raw, considered)


def evaluate_all(warehouse: Warehouse, day: date, chosen: Sequence[Rule]) -> list[Result]:
    """Run ``chosen`` for ``day`` in one statement (one job on BigQuery instead of one per rule).

    Should the statement fail, each rule runs alone so that the error is the failing rule's own.
    """
    if not chosen:
        return []
    try:
        rows = warehouse.query_rows(_batch_sql(tuple(chosen), warehouse.capabilities.dialect), {"day": day})
    except WarehouseError:
        for rule in chosen:
            evaluate(warehouse, day, rule)  # raises the failing rule's error
        raise
    found = {int(index): (observed, considered) for index, observed, considered in rows}
    if sorted(found) != list(range(len(chosen))):
        raise WarehouseError(f"quality: {len(chosen)} rules sent, verdicts came back for {sorted(found)}")
    return [_verdict(rule, day, *found[i]) for i, rule in enumerate(chosen)]


def _verdict(rule: Rule, day: date, observed_raw: Any, considered: Any) -> Result:
    if not considered or observed_raw is None:
        message = f"{rule.what}: nothing to check on {day}"
        return Result(
            rule.name, rule.table, rule.check_type, rule.severity, True, None, rule.threshold, message
        )
    observed = float(observed_raw)
    passed = rule.passes(observed)
    verdict = "ok" if passed else f"FAILED ({rule.severity})"
    message = f"{rule.what}: {observed:g} (want {rule.op} {rule.threshold:g}, over {considered}) {verdict}"
    return Result(
        rule.name, rule.table, rule.check_type, rule.severity, passed, observed, rule.threshold, message
    )


@dataclass
class QualityReport:
    """One check run: its id, the date, every result, and how long it took."""

    check_id: str
    game_date: date
    results: list[Result]
    seconds: float

    @property
    def failed_errors(self) -> list[Result]:
        """Failed rules of severity ``error`` (they make ``nbaprops quality`` exit non-zero)."""
        return [r for r in self.results if not r.passed and r.severity == "error"]

    @property
    def failed_warnings(self) -> list[Result]:
        """Failed rules of severity ``warning``."""
        return [r for r in self.results if not r.passed and r.severity == "warning"]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return {
            "check_id": self.check_id,
            "game_date": self.game_date.isoformat(),
            "seconds": self.seconds,
            "errors": len(self.failed_errors),
            "warnings": len(self.failed_warnings),
            "results": [asdict(r) for r in self.results],
        }


def run_checks(
    warehouse: Warehouse,
    day: date,
    alerter: Alerter | None = None,
    *,
    alert_warnings: bool = True,
    not_built: Collection[str] = (),
) -> QualityReport:
    """Evaluate every rule for ``day``, write ``quality_results`` (replacing the date's earlier
    verdicts of the rules evaluated), and alert each failed rule (the warnings too unless
    ``alert_warnings`` is false). Rules on a table of ``not_built`` (tables the calling build does
    not write, e.g. the box-score summaries in a pre-game refresh) are left to the builds that do:
    their earlier verdicts stand."""
    import pyarrow as pa

    started = time.perf_counter()
    check_id = uuid.uuid4().hex
    checked_at = now_utc()
    present = _present_tables(warehouse)
    chosen = [rule for rule in rules() if _tables_of(rule) <= present and rule.table not in not_built]
    results = evaluate_all(warehouse, day, chosen)
    rows = [{"game_date": day, **asdict(r), "run_id": check_id, "recorded_at": checked_at} for r in results]
    schema = pa.schema(
        [
            ("game_date", pa.date32()),
            ("rule", pa.string()),
            ("table_name", pa.string()),
            ("check_type", pa.string()),
            ("severity", pa.string()),
            ("passed", pa.bool_()),
            ("observed", pa.float64()),
            ("threshold", pa.float64()),
            ("message", pa.string()),
            ("run_id", pa.string()),
            ("recorded_at", pa.timestamp("us", tz="UTC")),
        ]
    )
    warehouse.merge_arrow("quality_results", pa.Table.from_pylist(rows, schema))
    report = QualityReport(check_id, day, results, round(time.perf_counter() - started, 4))
    if alerter is not None:
        for failed in report.failed_errors + (report.failed_warnings if alert_warnings else []):
            alerter.raise_alert(
                "quality_failed",
                f"data-quality rule {failed.rule} failed for {day}: {failed.message}",
                severity=failed.severity,  # type: ignore[arg-type]  # error | warning
                rule=failed.rule,
                table=failed.table_name,
                game_date=day.isoformat(),
                check_id=check_id,
            )
    log.info(
        "quality.checked",
        game_date=day.isoformat(),
        rules=len(results),
        errors=len(report.failed_errors),
        warnings=len(report.failed_warnings),
        seconds=report.seconds,
    )
    return report


_compiled: dict[tuple[str, str], str] = {}
_FLOAT_TYPE = {"bigquery": "FLOAT64", "duckdb": "DOUBLE"}


def _sql(rule: Rule, dialect: str) -> str:
    """The rule's text for the warehouse's dialect (sqlglot from BigQuery, once per process), its
    two values named ``observed`` and ``considered`` (the rules leave them unnamed)."""
    cached = _compiled.get((rule.name, dialect))
    if cached is None:
        import sqlglot
        from sqlglot import exp

        spec = TABLES[rule.table]  # the template's {table}: a declared table only
        tree = sqlglot.parse_one(rule.sql.replace("{table}", spec.name), read="bigquery")
        observed, considered = tree.expressions  # a rule selects exactly (observed, considered)
        tree.set("expressions", [exp.alias_(observed, "observed"), exp.alias_(considered, "considered")])
        cached = tree.sql(dialect=dialect)
        _compiled[(rule.name, dialect)] = cached
    return cached


def _batch_sql(chosen: tuple[Rule, ...], dialect: str) -> str:
    """Every rule of ``chosen`` as one ``UNION ALL`` of ``(rule_index, observed, considered)``,
    ``observed`` cast to a float (the rules' numeric types differ); each rule compiled once."""
    head = "SELECT {index} AS rule_index, CAST(observed AS {float}) AS observed, considered FROM "
    return " UNION ALL ".join(
        head.format(index=index, float=_FLOAT_TYPE.get(dialect, "DOUBLE"))
        + f"({_sql(rule, dialect)}) AS rule_{index}"
        for index, rule in enumerate(chosen)
    )


_PRESENT: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def _present_tables(warehouse: Warehouse) -> set[str]:
    """The tables some rule reads that exist: looked up once per warehouse each (a table, once
    created, stays; one missing is looked up again next time)."""
    needed = set().union(*(_tables_of(rule) for rule in rules())) & set(TABLES)
    try:
        known = _PRESENT.setdefault(warehouse, set())
    except TypeError:  # a warehouse that cannot be weakly referenced: looked up every time
        known = set()
    known |= {name for name in needed - known if warehouse.table_exists(name)}
    return known & needed


def _tables_of(rule: Rule) -> set[str]:
    """Tables a rule reads (the schedule for the schedule-relative ones)."""
    found = {rule.table}
    for name in (
        "raw_nbac_schedule",
        "raw_nbac_player_boxscores",
        "raw_bdl_box_scores",
        "raw_espn_scoreboard",
    ):
        if name in rule.sql:
            found.add(name)
    return found


def _run_step(ctx: StepContext) -> int:
    """The build's quality step: the rules for the build's last date; only error rules alert here.

    A build of some steps only (a pre-game refresh) checks no rule on a table another build step
    writes and this build does not: a game over before the refresh has its raw box scores (the
    gate wants them) but not yet its summaries, which come with the post-game build."""
    not_built: set[str] = set()
    if ctx.steps is not None:
        registry = load_registry()
        for rule in rules():
            producer = registry.producer_of(rule.table)
            if producer is not None and registry.get(producer).run is not None and producer not in ctx.steps:
                not_built.add(rule.table)
    report = run_checks(ctx.warehouse, ctx.end, ctx.alerter, alert_warnings=False, not_built=not_built)
    return len(report.results)


register(
    Step(
        "quality",
        4,
        ("raw_nbac_player_boxscores", "raw_oddsa_player_props", "player_game_summary", "feature_store"),
        ("quality_results",),
        _run_step,
        "never",
        "data-quality rules for the build's last date (ops/quality.py); error rules alert",
    )
)
