"""The whole pipeline on BigQuery (the fake endpoint) gives DuckDB's rows: ``train``, then ``run``.

From one history (two weeks of the sandbox season built, ``day_support.shared_prepared_day``),
each warehouse runs the same two commands through the CLI, chosen by settings only:
``nbaprops train --as-of D`` (training reads, model files, the registry) and ``nbaprops run
--date D --sandbox`` (scrape, load, build, predict through the coordinator and the worker, the
refreshes, box scores, grade, publish, the health check). Then every table and every published
file must hold the same values on both: JSON compared as values, floats rounded, and the columns
that name a run or the wall-clock moment of a write left out (``bigquery_day``). ``make
test-gcp`` runs the same comparison against a real project (tests_gcp/).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from bigquery_day import Side, differing_tables, outcomes, published_files, run_both

from bqfake import FakeBigQuery


@pytest.fixture(scope="module")
def days(
    bigquery_fake: FakeBigQuery, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Side, Side]]:
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.upper().startswith("NBAPROPS_")]:
            mp.delenv(key)
        settings = bigquery_fake.settings(bigquery_fake.new_dataset(), query_timeout_s=120)
        yield run_both(settings, tmp_path_factory.mktemp("bqday"))


def test_train_on_bigquery_registers_the_same_models_as_on_duckdb(days: tuple[Side, Side]) -> None:
    duck, bq = days
    assert bq.train == duck.train
    assert duck.train["rows"] > 0
    assert duck.train["models"]


def test_the_day_on_bigquery_runs_the_same_steps_with_the_same_rows(days: tuple[Side, Side]) -> None:
    duck, bq = days
    assert outcomes(bq) == outcomes(duck)
    assert {s[1] for s in outcomes(duck)} <= {"success", "degraded", "skipped"}
    assert {"predict", "grade", "publish"} <= {s[0] for s in outcomes(duck)}


def test_every_table_holds_the_same_rows_after_the_day(days: tuple[Side, Side]) -> None:
    duck, bq = days
    differ, compared = differing_tables(duck, bq)
    assert differ == []
    assert compared >= 30
    on_duck = duck.warehouse()
    try:
        for table in ("predictions", "prediction_grades", "prediction_history", "model_registry"):
            assert on_duck.row_count(table) > 0, table
    finally:
        on_duck.close()


def test_the_published_files_are_the_same(days: tuple[Side, Side]) -> None:
    duck, bq = days
    expected = published_files(duck)
    assert len(expected) > 3
    assert published_files(bq) == expected
