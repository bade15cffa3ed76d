"""The BigQuery warehouse's jobs, as the fake REST endpoint records them.

The contract itself (round trips, MERGE semantics, transactions) runs on both backends in
test_duckdb.py; here: every job's configuration (timeouts, bytes cap, labels, dispositions,
parameters bound, never formatted), tables partitioned and clustered, the MERGE text, the dry
run's refusal above the cap, retries of transient API errors, cancellation past the timeout, and
the query log's bytes and dollars.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from bqfake import FakeBigQuery
from nbaprops.errors import WarehouseError
from nbaprops.settings import load_settings
from nbaprops.warehouse import RunLedger, create_schema, open_warehouse, table_spec
from nbaprops.warehouse.bigquery import BigQueryWarehouse, merge_sql, to_bigquery
from nbaprops.warehouse.querylog import TIB

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
DAYS = [date(2025, 1, 1) + timedelta(days=i) for i in range(10)]


def _open(fake: FakeBigQuery, **extra: Any) -> BigQueryWarehouse:
    settings = fake.settings(fake.new_dataset(), **{"query_timeout_s": 30, **extra})
    wh = open_warehouse(load_settings(**settings))
    assert isinstance(wh, BigQueryWarehouse)
    create_schema(wh)
    return wh


@pytest.fixture
def wh(bigquery_fake: FakeBigQuery) -> Iterator[BigQueryWarehouse]:
    warehouse = _open(bigquery_fake)
    bigquery_fake.reset_requests()
    yield warehouse
    warehouse.close()
    bigquery_fake.pending_s = 0.0
    bigquery_fake.fail_next.clear()


def _schedule(days: list[date], per_day: int = 3) -> pa.Table:
    rows = [
        {
            "game_id": f"002240{d:%m%d}{i}",
            "game_date": d,
            "season": "2024-25",
            "home_team": "BOS",
            "source_file": "f",
            "payload_sha256": "p",
            "fetched_at": NOW,
            "loaded_at": NOW,
        }
        for d in days
        for i in range(per_day)
    ]
    return pa.Table.from_pylist(rows)


def _quarantine(shas: list[str], errors: list[str]) -> pa.Table:
    return pa.table(
        {
            "quarantined_at": pa.array([NOW] * len(shas), pa.timestamp("us", tz="UTC")),
            "kind": ["nbac_schedule_api"] * len(shas),
            "error_type": ["SchemaDrift"] * len(shas),
            "error": errors,
            "payload_sha256": shas,
        }
    )


def test_tables_are_partitioned_by_game_date_and_clustered_by_key(bigquery_fake: FakeBigQuery) -> None:
    wh = _open(bigquery_fake)
    wh.close()
    created = {
        r.body["tableReference"]["tableId"]: r.body
        for r in bigquery_fake.requests
        if r.method == "POST" and r.path.endswith("/tables")
    }
    schedule = created["raw_nbac_schedule"]
    assert schedule["timePartitioning"] == {"type": "DAY", "field": "game_date"}
    assert schedule["clustering"] == {"fields": ["game_id"]}
    fields = {f["name"]: f for f in schedule["schema"]["fields"]}
    assert fields["game_id"] == {"name": "game_id", "type": "STRING", "mode": "REQUIRED"}
    assert "timePartitioning" not in created["quarantine"]  # no game_date column
    # No game_date: partitioned by the day its rows are for, the key's DATE column.
    assert created["player_daily_cache"]["timePartitioning"] == {"type": "DAY", "field": "cache_date"}
    assert created["quarantine"]["clustering"] == {"fields": ["payload_sha256", "kind"]}


def test_every_query_job_is_bounded_capped_labelled_and_dry_run_first(
    wh: BigQueryWarehouse, bigquery_fake: FakeBigQuery
) -> None:
    ledger = RunLedger(wh)
    with ledger.step("ingest", game_date=date(2025, 1, 15)) as run:
        run.rows_out = wh.merge_arrow("raw_nbac_schedule", _schedule(DAYS[:2]))
        wh.query_rows("SELECT count(*) FROM raw_nbac_schedule WHERE game_date = ?", [DAYS[0]])
    real = bigquery_fake.jobs_of("query", dry_run=False)
    dry = [c["query"]["query"] for c in bigquery_fake.jobs_of("query", dry_run=True)]
    assert real
    for config in real:
        query = config["query"]
        assert config["jobTimeoutMs"] == "30000"
        assert query["maximumBytesBilled"] == str(10 * 2**30)
        assert query["useLegacySql"] is False
        assert query["defaultDataset"]["datasetId"].endswith("_nbaprops")
        assert config["labels"]["app"] == "nbaprops"
        assert config["labels"]["env"].startswith("t")
        text = query["query"]
        if not text.startswith(
            ("BEGIN", "COMMIT", "ROLLBACK", "CALL", "INSERT INTO run_ledger", "UPDATE run_ledger")
        ):
            assert text in dry, f"no dry run before {text[:60]}"
    in_step = [c for c in real if c["labels"].get("step") == "ingest"]
    assert len(in_step) >= 2
    assert all(c["labels"]["game_date"] == "2025-01-15" and len(c["labels"]["run_id"]) == 32 for c in in_step)


def test_values_travel_as_typed_parameters_never_in_the_text(
    wh: BigQueryWarehouse, bigquery_fake: FakeBigQuery
) -> None:
    hostile = "x'); DROP TABLE quarantine; --"
    wh.execute(
        "INSERT INTO quarantine (quarantined_at, kind, error_type, error, payload_sha256) "
        "VALUES (?, ?, ?, ?, ?)",
        [NOW, "k", "E", hostile, "s"],
    )
    [config] = [
        c for c in bigquery_fake.jobs_of("query", dry_run=False) if "quarantine" in c["query"]["query"]
    ]
    query = config["query"]
    assert hostile not in query["query"]
    assert "?" in query["query"]
    types = [p["parameterType"]["type"] for p in query["queryParameters"]]
    assert types == ["TIMESTAMP", "STRING", "STRING", "STRING", "STRING"]
    assert query["queryParameters"][3]["parameterValue"]["value"] == hostile
    assert wh.query_rows("SELECT error FROM quarantine") == [(hostile,)]


def test_loads_are_parquet_load_jobs_into_staging_then_one_merge(
    wh: BigQueryWarehouse, bigquery_fake: FakeBigQuery
) -> None:
    assert wh.merge_arrow("raw_nbac_schedule", _schedule(DAYS[:3])) == 9
    loads = bigquery_fake.jobs_of("load")
    assert len(loads) == 1
    load = loads[0]["load"]
    assert load["sourceFormat"] == "PARQUET"
    assert load["writeDisposition"] == "WRITE_TRUNCATE"
    assert load["createDisposition"] == "CREATE_NEVER"
    assert load["destinationTable"]["tableId"].startswith("_stage_raw_nbac_schedule_")
    assert loads[0]["jobTimeoutMs"] == "30000"
    merges = [
        c["query"]
        for c in bigquery_fake.jobs_of("query", dry_run=False)
        if c["query"]["query"].startswith("MERGE")
    ]
    assert len(merges) == 1
    text = merges[0]["query"]
    assert text.startswith("MERGE `raw_nbac_schedule` AS T\nUSING `_stage_raw_nbac_schedule_")
    assert "ON T.`game_id` = S.`game_id`\n" in text
    assert (
        "WHEN NOT MATCHED THEN INSERT (`game_id`, `game_date`, `season`, `home_team`, `source_file`" in text
    )
    # game_date is not in this table's key, so the target is not filtered by date.
    assert "BETWEEN" not in text
    paths = [r.path for r in bigquery_fake.requests]
    assert not any(p.endswith("/insertAll") for p in paths), "streaming inserts used"
    staged = [p for p in paths if "/tables/_stage_" in p]
    assert any(r.method == "DELETE" and "/tables/_stage_" in r.path for r in bigquery_fake.requests), staged
    assert wh.row_count("raw_nbac_schedule") == 9


def test_merge_text_filters_the_target_to_the_batch_dates_when_the_date_is_a_key() -> None:
    spec = table_spec("raw_nbac_injury_report")
    names = list(spec.column_names)
    sql, params = merge_sql(spec, names, list(spec.key), ("snapshot_at",), (DAYS[0], DAYS[2]))
    assert "T.`game_date` BETWEEN @first_date AND @last_date" in sql
    assert params == {"first_date": DAYS[0], "last_date": DAYS[2]}
    assert "WHEN MATCHED AND S.`snapshot_at` > T.`snapshot_at` THEN UPDATE SET" in sql
    _, parameters = to_bigquery(sql.replace("{stage}", "_stage_x"), params)
    assert [(p.name, p.type_, p.value) for p in parameters] == [
        ("first_date", "DATE", DAYS[0]),
        ("last_date", "DATE", DAYS[2]),
    ]


def test_json_written_from_text_is_parsed_for_bigquery() -> None:
    text, _ = to_bigquery("UPDATE run_ledger SET status = ?, details = ? WHERE run_id = ?", ["a", "{}", "r"])
    assert text == "UPDATE run_ledger SET status = ?, details = PARSE_JSON(?) WHERE run_id = ?"


def test_a_query_above_the_cap_is_refused_by_its_dry_run_and_logged(bigquery_fake: FakeBigQuery) -> None:
    loader = _open(bigquery_fake)
    loader.merge_arrow("raw_nbac_schedule", _schedule(DAYS[:2]))
    loader.close()
    env = loader.dataset.split(".")[1].removesuffix("_nbaprops")
    wh = open_warehouse(load_settings(**bigquery_fake.settings(env, bq_max_bytes=100)))
    bigquery_fake.reset_requests()
    with pytest.raises(WarehouseError, match="above the cap of 100"):
        wh.query_rows("SELECT game_id, season, home_team FROM raw_nbac_schedule")
    assert bigquery_fake.jobs_of("query", dry_run=True)
    assert not bigquery_fake.jobs_of("query", dry_run=False)
    wh.close()
    [logged] = bigquery_fake.con.execute(
        f'SELECT statement_kind, bytes_estimated, error FROM "{wh.dataset.split(".")[1]}".query_log '  # noqa: S608
        "WHERE error IS NOT NULL"
    ).fetchall()
    assert logged[0] == "select"
    assert logged[1] > 100  # the refused statement's estimate is kept
    assert "above the cap" in logged[2]


def test_dry_runs_prune_partitions_by_game_date(wh: BigQueryWarehouse, bigquery_fake: FakeBigQuery) -> None:
    wh.merge_arrow("raw_nbac_schedule", _schedule(DAYS, per_day=5))
    bigquery_fake.reset_requests()
    wh.query_rows("SELECT game_id, home_team FROM raw_nbac_schedule")
    wh.query_rows("SELECT game_id, home_team FROM raw_nbac_schedule WHERE game_date = ?", [DAYS[3]])
    whole, one_day = (int(c["query"]["totalBytesProcessed"]) for c in _dry_stats(bigquery_fake))
    # Columns read, per row: game_id 2 + 11 bytes, home_team 2 + 3, and the filter's game_date 8.
    assert whole == 50 * (13 + 5)
    assert one_day == 5 * (13 + 5 + 8)


def test_dry_runs_prune_on_the_tables_own_partitioning_column_where_the_table_is_read(
    wh: BigQueryWarehouse, bigquery_fake: FakeBigQuery
) -> None:
    wh.merge_arrow("raw_nbac_schedule", _schedule(DAYS[:1], per_day=1))
    cache = pa.table(
        {
            "player_id": pa.array([p for _ in DAYS for p in range(4)], pa.int64()),
            "cache_date": pa.array([d for d in DAYS for _ in range(4)], pa.date32()),
            "games_played": pa.array([1] * 4 * len(DAYS), pa.int64()),
        }
    )
    wh.merge_arrow("player_daily_cache", cache)
    bigquery_fake.reset_requests()
    day = DAYS[0]
    # A constant filter beside the join's equality, in the ON clause: the whole table is read.
    wh.query_rows(
        "SELECT s.game_id, c.games_played FROM raw_nbac_schedule AS s LEFT JOIN player_daily_cache AS c "
        "ON c.cache_date = s.game_date AND c.cache_date = ?",
        [day],
    )
    # The same filter in the WHERE of the block that reads the table: one partition.
    wh.query_rows(
        "SELECT s.game_id, c.games_played FROM raw_nbac_schedule AS s LEFT JOIN "
        "(SELECT cache_date, games_played FROM player_daily_cache WHERE cache_date = ?) AS c "
        "ON c.cache_date = s.game_date",
        [day],
    )
    on_clause, in_where = (int(c["query"]["totalBytesProcessed"]) for c in _dry_stats(bigquery_fake))
    schedule = 1 * (2 + 11 + 8)  # game_id and game_date of the schedule's one row
    assert on_clause == schedule + 40 * (8 + 8)  # cache_date and games_played of every row
    assert in_where == schedule + 4 * (8 + 8)
    assert wh.query_rows(
        "SELECT COUNT(*) FROM player_daily_cache WHERE cache_date BETWEEN ? AND ?", [DAYS[1], DAYS[2]]
    ) == [(8,)]


def _dry_stats(fake: FakeBigQuery) -> list[dict[str, Any]]:
    """The statistics the fake answered to each dry run, in order."""
    return [job["statistics"] for job in fake.dry_answers]


def test_query_log_records_bytes_billed_and_dollars(bigquery_fake: FakeBigQuery) -> None:
    wh = _open(bigquery_fake, query_log_batch=1000, bq_usd_per_tib=6.25)
    wh.merge_arrow("raw_nbac_schedule", _schedule(DAYS))
    ledger = RunLedger(wh)
    with ledger.step("build", game_date=DAYS[4]):
        wh.query_rows(
            "SELECT game_id FROM raw_nbac_schedule WHERE game_date BETWEEN ? AND ?", [DAYS[0], DAYS[4]]
        )
    dataset = wh.dataset.split(".")[1]
    before = len(bigquery_fake.jobs_of("load"))
    wh.close()
    assert len(bigquery_fake.jobs_of("load")) == before + 1  # the whole log in one load job
    columns = "statement_kind, step, game_date, run_id, rows, bytes_estimated, bytes_processed, bytes_billed"
    rows = bigquery_fake.con.execute(
        f'SELECT {columns}, estimated_usd, backend FROM "{dataset}".query_log WHERE step = ?',  # noqa: S608
        ["build"],
    ).fetchall()
    [select] = [r for r in rows if r[0] == "select"]
    assert select[1:3] == ("build", DAYS[4])
    assert len(select[3]) == 32
    assert select[4] == 15
    assert select[5] == select[6] == 15 * (13 + 8)  # game_id and the filter's game_date
    assert select[7] == 10 * 2**20
    assert select[8] == pytest.approx(10 * 2**20 / TIB * 6.25)
    assert select[9] == "bigquery"
    logged = f'SELECT statement_kind FROM "{dataset}".query_log'  # noqa: S608 - the test's dataset
    kinds = {r[0] for r in bigquery_fake.con.execute(logged).fetchall()}
    assert {"load", "merge", "select", "insert", "update"} <= kinds


def test_transient_api_errors_are_retried(wh: BigQueryWarehouse, bigquery_fake: FakeBigQuery) -> None:
    bigquery_fake.fail_next.extend([(503, "backendError"), (500, "internalError")])
    assert wh.query_rows("SELECT 40 + 2") == [(42,)]
    inserts = [r for r in bigquery_fake.requests if r.method == "POST" and r.path.endswith("/jobs")]
    assert len(inserts) >= 3  # two refused attempts, then the dry run and the job


def test_a_job_past_the_query_timeout_is_cancelled(bigquery_fake: FakeBigQuery) -> None:
    wh = _open(bigquery_fake, query_timeout_s=0.5)
    bigquery_fake.reset_requests()
    bigquery_fake.pending_s = 5.0
    try:
        with pytest.raises(WarehouseError, match=r"timed out after 0\.5 s \(job cancelled\)"):
            wh.query_rows("SELECT 1")
    finally:
        bigquery_fake.pending_s = 0.0
    assert any(r.path.endswith("/cancel") for r in bigquery_fake.requests)
    wh.close()


def test_a_transaction_is_a_session(wh: BigQueryWarehouse, bigquery_fake: FakeBigQuery) -> None:
    with wh.transaction():
        wh.insert_arrow("quarantine", _quarantine(["s1"], ["a"]))
    configs = bigquery_fake.jobs_of("query", dry_run=False)
    begin = next(c for c in configs if c["query"]["query"] == "BEGIN TRANSACTION")
    assert begin["query"]["createSession"] is True
    later = [c for c in configs if c is not begin]
    assert later
    assert all(c["query"]["connectionProperties"][0]["key"] == "session_id" for c in later)
    assert [c["query"]["query"] for c in later][-2:] == ["COMMIT TRANSACTION", "CALL BQ.ABORT_SESSION()"]
    assert wh.row_count("quarantine") == 1


def test_json_columns_read_back_as_text_like_duckdb(wh: BigQueryWarehouse) -> None:
    ledger = RunLedger(wh)
    with ledger.step("ingest", details={"source": "sandbox", "n": 2}):
        pass
    [entry] = ledger.recent()
    assert entry.details == {"source": "sandbox", "n": 2}
    [(text,)] = wh.query_rows("SELECT details FROM run_ledger")
    assert json.loads(text) == {"source": "sandbox", "n": 2}


def test_maximum_bytes_billed_stops_a_job_whose_dry_run_underestimated(
    bigquery_fake: FakeBigQuery, monkeypatch: pytest.MonkeyPatch
) -> None:
    loader = _open(bigquery_fake)
    loader.merge_arrow("raw_nbac_schedule", _schedule(DAYS))
    loader.close()
    env = loader.dataset.split(".")[1].removesuffix("_nbaprops")
    wh = open_warehouse(load_settings(**bigquery_fake.settings(env, bq_max_bytes=5 * 2**20)))
    assert isinstance(wh, BigQueryWarehouse)
    monkeypatch.setattr(wh, "_dry_run", lambda text, parameters: 0)  # an estimate that is wrong
    with pytest.raises(
        WarehouseError, match=r"bytesBilledLimitExceeded|Query exceeded limit for bytes billed"
    ):
        wh.query_rows("SELECT game_id, season FROM raw_nbac_schedule")
    [config] = bigquery_fake.jobs_of("query", dry_run=False)[-1:]
    assert config["query"]["maximumBytesBilled"] == str(5 * 2**20)
    wh.close()


def test_labels_are_valid_bigquery_labels(wh: BigQueryWarehouse) -> None:
    from nbaprops.warehouse.querylog import query_context

    with query_context("RUN.1", "Morning Load/ODDS", date(2025, 1, 15)):
        labels = wh.job_labels()
    assert labels["step"] == "morning_load_odds"
    assert labels["run_id"] == "run_1"
    assert labels["game_date"] == "2025-01-15"
    assert all(len(v) <= 63 for v in labels.values())


def test_positional_parameters_bind_in_text_order_through_ctes_and_subqueries(wh: BigQueryWarehouse) -> None:
    rows = wh.query_rows(
        "WITH a AS (SELECT CAST(? AS DATE) AS d) SELECT d, ? AS tag FROM a "
        "WHERE d < ? AND ? IN (SELECT ? UNION ALL SELECT 'z')",
        [DAYS[0], "x", DAYS[1], "y", "y"],
    )
    assert rows == [(DAYS[0], "x")]
