"""Model registry: files + rows round-trip; tampering and feature-version drift stop loading loudly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_systems import AS_OF, make_batch

from nbaprops.ops.alerts import Alerter
from nbaprops.predict.registry import ModelLoadError, load_active, load_all_active, save_models
from nbaprops.predict.train import SYSTEM_IDS, TrainedModels, needs_retrain, train_systems
from nbaprops.settings import Settings, load_settings
from nbaprops.warehouse import create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse


@pytest.fixture(scope="module")
def trained() -> TrainedModels:
    return train_systems(make_batch(n=2000, days=40, seed=21), AS_OF)


@pytest.fixture
def stores(tmp_path: Path) -> tuple[DuckDBWarehouse, Settings]:
    warehouse = DuckDBWarehouse(":memory:", query_timeout_s=30)
    create_schema(warehouse)
    return warehouse, load_settings(data_dir=tmp_path)


def test_saved_models_load_back_and_predict_the_same(
    trained: TrainedModels, stores: tuple[DuckDBWarehouse, Settings]
) -> None:
    warehouse, settings = stores
    save_models(warehouse, settings, trained)
    loaded = load_all_active(warehouse, settings, SYSTEM_IDS, AS_OF)
    probe = make_batch(n=100, seed=22)
    for sid in SYSTEM_IDS:
        np.testing.assert_allclose(
            loaded[sid].system.predict(probe).mean,
            trained.systems[sid].predict(probe).mean,
            rtol=1e-4,
            atol=1e-4,
        )
        assert loaded[sid].calibrator.to_json() == trained.calibrators[sid].to_json()
    rows = warehouse.query_rows("SELECT COUNT(*), SUM(CAST(active AS INT)) FROM model_registry")
    assert rows == [(len(SYSTEM_IDS), len(SYSTEM_IDS))]
    assert not needs_retrain(warehouse, AS_OF)
    assert needs_retrain(warehouse, AS_OF.replace(day=8))


def test_a_tampered_file_raises_model_load_error_and_an_alert(
    trained: TrainedModels, stores: tuple[DuckDBWarehouse, Settings]
) -> None:
    warehouse, settings = stores
    save_models(warehouse, settings, trained)
    (path,) = warehouse.query_rows("SELECT path FROM model_registry WHERE system_id = 'gbm'")[0]
    Path(path).write_bytes(Path(path).read_bytes().replace(b"spread", b"spraed"))
    alerter = Alerter(warehouse)
    with pytest.raises(ModelLoadError, match="sha256"):
        load_active(warehouse, settings, "gbm", AS_OF, alerter=alerter)
    assert len(alerter.of_kind("model_load_failed")) == 1
    assert warehouse.query_rows("SELECT COUNT(*) FROM alerts WHERE kind = 'model_load_failed'") == [(1,)]


def test_another_feature_version_is_refused(
    trained: TrainedModels, stores: tuple[DuckDBWarehouse, Settings]
) -> None:
    warehouse, settings = stores
    save_models(warehouse, settings, trained)
    warehouse.execute("UPDATE model_registry SET feature_version = 'v0-old'")
    with pytest.raises(ModelLoadError, match="features"):
        load_active(warehouse, settings, "moving_average", AS_OF)


def test_no_model_before_the_date_is_an_error_not_a_dummy(stores: tuple[DuckDBWarehouse, Settings]) -> None:
    warehouse, settings = stores
    with pytest.raises(ModelLoadError, match="no gbm model"):
        load_active(warehouse, settings, "gbm", AS_OF)
    assert needs_retrain(warehouse, AS_OF)


def test_a_verified_model_file_is_decoded_once_per_process(
    trained: TrainedModels, stores: tuple[DuckDBWarehouse, Settings]
) -> None:
    warehouse, settings = stores
    save_models(warehouse, settings, trained)
    first = load_all_active(warehouse, settings, SYSTEM_IDS, AS_OF)
    again = load_all_active(warehouse, settings, SYSTEM_IDS, AS_OF)
    for sid in SYSTEM_IDS:
        if sid == "ensemble":  # bound to its components on each load: never shared
            assert again[sid].system is not first[sid].system
        else:
            assert again[sid].system is first[sid].system
    probe = make_batch(n=50, seed=23)
    np.testing.assert_array_equal(
        again["ensemble"].system.predict(probe).mean, first["ensemble"].system.predict(probe).mean
    )
    # The file is still read and verified on every load: a changed file is refused, not served.
    (path,) = warehouse.query_rows("SELECT path FROM model_registry WHERE system_id = 'similarity'")[0]
    Path(path).write_bytes(Path(path).read_bytes() + b" ")
    with pytest.raises(ModelLoadError, match="sha256"):
        load_active(warehouse, settings, "similarity", AS_OF)
