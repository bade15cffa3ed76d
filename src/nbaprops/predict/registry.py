"""The model registry: model files on disk, one metadata row each in ``model_registry``.

A trained system is written as one JSON document (text only, no pickle) under
``<data_dir>/models/<system_id>/<model_version>.json`` holding the system's own serialization
(LightGBM trees in their text format inside it) and its calibrator. The row records the training
window, feature version, metrics, path and the file's sha256; the newest model per system (by
``as_of``) is the active one.

Loading verifies the sha256 and the feature version. Any failure (file missing, hash mismatch,
other feature version, damaged document, no model at all) raises an alert and then
``ModelLoadError``: the worker stops rather than predicting with a dummy.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbaprops.dates import now_utc
from nbaprops.errors import PayloadError, PermanentError

if TYPE_CHECKING:
    from nbaprops.ops.alerts import Alerter
    from nbaprops.predict.calibration import Calibrator
    from nbaprops.predict.systems.base import PredictionSystem, TrainableSystem
    from nbaprops.predict.train import TrainedModels
    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse

FILE_FORMAT = 1


class ModelLoadError(PermanentError):
    """A registered model could not be loaded (missing, tampered, wrong feature version, damaged)."""


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to predict: the system, its calibrator and its registry identity."""

    system_id: str
    model_version: str
    as_of: date
    system: PredictionSystem
    calibrator: Calibrator


def _system_class(system_id: str) -> type[TrainableSystem]:
    from nbaprops.predict.systems.ensemble import EnsembleSystem
    from nbaprops.predict.systems.gbm import GbmSystem
    from nbaprops.predict.systems.line_residual import LineResidualSystem
    from nbaprops.predict.systems.minutes_ppm import MinutesPpmSystem
    from nbaprops.predict.systems.moving_average import MovingAverageSystem
    from nbaprops.predict.systems.similarity import SimilaritySystem
    from nbaprops.predict.systems.zone_matchup import ZoneMatchupSystem

    classes: dict[str, type[TrainableSystem]] = {
        "moving_average": MovingAverageSystem,
        "zone_matchup": ZoneMatchupSystem,
        "similarity": SimilaritySystem,
        "gbm": GbmSystem,
        "line_residual": LineResidualSystem,
        "minutes_ppm": MinutesPpmSystem,
        "ensemble": EnsembleSystem,
    }
    return classes[system_id]


def models_dir(settings: Settings) -> Path:
    """Root folder of the model files."""
    return Path(settings.data_dir) / "models"


def save_models(warehouse: Warehouse, settings: Settings, trained: TrainedModels) -> list[str]:
    """Write every trained system's file and registry row; returns the model versions written."""
    import pyarrow as pa

    from nbaprops.features.contract import FEATURE_VERSION

    rows: list[dict[str, Any]] = []
    for system_id, system in trained.systems.items():
        doc = {
            "format": FILE_FORMAT,
            "system_id": system_id,
            "feature_version": FEATURE_VERSION,
            "system": system.to_bytes().decode(),
            "calibrator": trained.calibrators[system_id].to_json(),
        }
        data = json.dumps(doc, sort_keys=True).encode()
        sha = hashlib.sha256(data).hexdigest()
        version = f"{trained.as_of:%Y%m%d}-{sha[:10]}"
        path = models_dir(settings) / system_id / f"{version}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        rows.append(
            {
                "system_id": system_id,
                "model_version": version,
                "trained_at": now_utc(),
                "train_start": trained.train_start,
                "train_end": trained.train_end,
                "as_of": trained.as_of,
                "feature_version": FEATURE_VERSION,
                "rows": trained.rows,
                "metrics": json.dumps(trained.metrics.get(system_id, {}), sort_keys=True),
                "path": str(path),
                "sha256": sha,
                "active": False,
            }
        )
    with warehouse.transaction():
        warehouse.merge_arrow("model_registry", pa.Table.from_pylist(rows))
        warehouse.execute(
            "UPDATE model_registry SET active = (as_of = (SELECT MAX(as_of) FROM model_registry m "
            "WHERE m.system_id = model_registry.system_id)) "
        )
    return [r["model_version"] for r in rows]


def _fail(alerter: Alerter, system_id: str, message: str) -> ModelLoadError:
    alerter.raise_alert("model_load_failed", message, severity="error", system_id=system_id)
    return ModelLoadError(message)


def load_active(
    warehouse: Warehouse, settings: Settings, system_id: str, as_of: date, *, alerter: Alerter | None = None
) -> LoadedModel:
    """The newest model of ``system_id`` trained as of ``as_of`` or earlier, verified; else alert + raise."""
    from nbaprops.features.contract import FEATURE_VERSION
    from nbaprops.ops.alerts import Alerter
    from nbaprops.predict.calibration import Calibrator

    alerter = alerter or Alerter(warehouse)
    found = warehouse.query_rows(
        "SELECT model_version, as_of, feature_version, path, sha256 FROM model_registry "
        "WHERE system_id = ? AND as_of <= ? ORDER BY as_of DESC, trained_at DESC LIMIT 1",
        [system_id, as_of],
    )
    if not found:
        raise _fail(alerter, system_id, f"no {system_id} model registered as of {as_of}")
    version, model_as_of, feature_version, path, sha = found[0]
    if feature_version != FEATURE_VERSION:
        raise _fail(
            alerter,
            system_id,
            f"{system_id} {version} was trained on features {feature_version}, "
            f"the contract is {FEATURE_VERSION}",
        )
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise _fail(alerter, system_id, f"{system_id} {version}: model file unreadable ({exc})") from exc
    if hashlib.sha256(data).hexdigest() != sha:
        message = f"{system_id} {version}: sha256 of {path} does not match the registry"
        raise _fail(alerter, system_id, message)
    with _DECODED_LOCK:
        decoded = _DECODED.get((system_id, sha))
        if decoded is not None:
            _DECODED.move_to_end((system_id, sha))
    if decoded is None:
        try:
            doc = json.loads(data)
            system = _system_class(system_id).from_bytes(str(doc["system"]).encode())
            calibrator = Calibrator.from_json(str(doc["calibrator"]))
        except (ValueError, KeyError, TypeError, PayloadError) as exc:
            raise _fail(alerter, system_id, f"{system_id} {version}: damaged model file ({exc})") from exc
        decoded = (system, calibrator)
        if system_id not in _NOT_SHARED:
            with _DECODED_LOCK:
                _DECODED[(system_id, sha)] = decoded
                while len(_DECODED) > _DECODED_MAX:
                    _DECODED.popitem(last=False)
    return LoadedModel(system_id, str(version), model_as_of, *decoded)


_DECODED: OrderedDict[tuple[str, str], tuple[Any, Any]] = OrderedDict()
"""Decoded models by (system, sha256 of the verified file): a process that predicts several times a
day (the worker role, ``nbaprops run``) decodes each model file once. The file is still read and its
hash checked on every load; only the decoding of bytes already verified is skipped."""
_DECODED_LOCK = threading.Lock()  # a service may load models from several threads
_DECODED_MAX = 32  # about four retrains of seven systems
_NOT_SHARED = frozenset({"ensemble"})  # bound to its components on each load: decoded afresh (cheap)


def load_all_active(
    warehouse: Warehouse,
    settings: Settings,
    system_ids: tuple[str, ...],
    as_of: date,
    *,
    alerter: Alerter | None = None,
) -> dict[str, LoadedModel]:
    """Every named system's model as of ``as_of``; the ensemble is bound to the loaded components."""
    from nbaprops.predict.systems.ensemble import EnsembleSystem

    loaded = {sid: load_active(warehouse, settings, sid, as_of, alerter=alerter) for sid in system_ids}
    ensemble = loaded.get("ensemble")
    if ensemble is not None and isinstance(ensemble.system, EnsembleSystem):
        parts = {sid: m.system for sid, m in loaded.items() if sid != "ensemble"}
        if all(c in parts for c in ensemble.system.components):
            ensemble.system.bind(parts)
    return loaded
