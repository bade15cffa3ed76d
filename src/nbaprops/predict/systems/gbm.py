"""``gbm``: gradient-boosted trees on every contract feature (LightGBM; XGBoost selectable).

The model regresses actual points on the feature row in contract order; NULL features stay NaN and
the trees route them natively (no imputation). Training is deterministic (``deterministic=True``,
one thread, a fixed seed) so the same warehouse gives the same model file.

Fitting is time-based twice over: the trees are first grown on the earlier 80% of training dates
with the latest 20% as the early-stopping holdout, which also provides the out-of-sample residuals
for the spread (``SpreadModel``); the model is then refit on every training row with the number of
rounds the holdout chose.

The backend is ``lightgbm`` (a dependency) or ``xgboost`` when that package is importable; asking
for xgboost without it is a ``ConfigError``, never a silent switch.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from nbaprops.errors import ConfigError, PayloadError
from nbaprops.predict.systems.base import (
    Contributions,
    PlayerBatch,
    SpreadModel,
    SystemOutput,
    finish,
    finish_explained,
    holdout_mask,
)

if TYPE_CHECKING:
    from nbaprops.predict.systems.base import FloatArray

SEED = 20240
MAX_ROUNDS = 300
EARLY_STOPPING = 30
LGB_PARAMS: dict[str, Any] = {
    "objective": "regression",
    "learning_rate": 0.08,
    "max_bin": 63,
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "lambda_l2": 1.0,
    "deterministic": True,
    "force_row_wise": True,
    # One thread: on a shared 2-core machine two OpenMP threads measured 3-8x slower per fit than
    # one (they spin against each other and the rest of the pipeline); the trees are the same.
    "num_threads": 1,
    "seed": SEED,
    "verbosity": -1,
}
BACKENDS = ("lightgbm", "xgboost")


Valid = tuple["FloatArray", "FloatArray"] | None


def _train_lightgbm(x: FloatArray, y: FloatArray, rounds: int, valid: Valid) -> Any:
    import lightgbm as lgb

    train = lgb.Dataset(x, y, free_raw_data=True)
    if valid is None:
        return lgb.train(LGB_PARAMS, train, num_boost_round=rounds)
    held = lgb.Dataset(valid[0], valid[1], reference=train)
    return lgb.train(
        LGB_PARAMS,
        train,
        num_boost_round=rounds,
        valid_sets=[held],
        callbacks=[lgb.early_stopping(EARLY_STOPPING, verbose=False)],
    )


def _train_xgboost(x: FloatArray, y: FloatArray, rounds: int, valid: Valid) -> Any:
    import xgboost as xgb  # type: ignore[import-not-found, unused-ignore]

    params = {
        "eta": 0.05,
        "max_depth": 4,
        "min_child_weight": 40,
        "subsample": 1.0,
        "nthread": 1,
        "seed": SEED,
        "objective": "reg:squarederror",
    }
    train = xgb.DMatrix(x, label=y, missing=float("nan"))
    if valid is None:
        return xgb.train(params, train, num_boost_round=rounds)
    held = xgb.DMatrix(valid[0], label=valid[1], missing=float("nan"))
    return xgb.train(
        params,
        train,
        num_boost_round=rounds,
        evals=[(held, "holdout")],
        early_stopping_rounds=EARLY_STOPPING,
        verbose_eval=False,
    )


class GbmSystem:
    """Boosted trees on the contract features; spread from a time-based holdout."""

    system_id = "gbm"

    def __init__(self, backend: str = "lightgbm") -> None:
        if backend not in BACKENDS:
            raise ConfigError(f"unknown gbm backend {backend!r}; choose one of {BACKENDS}")
        if backend == "xgboost":
            try:
                import xgboost  # type: ignore[import-not-found, unused-ignore]  # noqa: F401
            except ImportError as exc:
                raise ConfigError("gbm backend 'xgboost' was asked for but xgboost is not installed") from exc
        self.backend = backend
        self.model: Any = None
        self.feature_names: tuple[str, ...] = ()
        self.spread: SpreadModel | None = None

    def _train(
        self, x: FloatArray, y: FloatArray, rounds: int, valid: tuple[FloatArray, FloatArray] | None = None
    ) -> Any:
        trainer = _train_lightgbm if self.backend == "lightgbm" else _train_xgboost
        return trainer(x, y, rounds, valid)

    def _raw_predict(self, x: FloatArray) -> FloatArray:
        import numpy as np

        if self.backend == "xgboost":
            import xgboost as xgb  # type: ignore[import-not-found, unused-ignore]

            out = self.model.predict(xgb.DMatrix(x, missing=float("nan")))
        else:
            out = self.model.predict(x)
        return np.asarray(out, dtype=np.float64)

    def shap(self, x: FloatArray) -> FloatArray:
        """TreeSHAP contributions of each row, ``(n, k + 1)``: one per feature, then the expected value."""
        import numpy as np

        if self.model is None:
            raise ValueError("gbm is not fitted")
        if self.backend == "xgboost":
            import xgboost as xgb  # type: ignore[import-not-found, unused-ignore]

            out = self.model.predict(xgb.DMatrix(x, missing=float("nan")), pred_contribs=True)
        else:
            out = self.model.predict(x, pred_contrib=True)
        contrib = np.asarray(out, dtype=np.float64)
        if contrib.shape != (x.shape[0], x.shape[1] + 1):
            raise ValueError(f"the {self.backend} backend gave contributions of shape {contrib.shape}")
        return contrib

    def fit(self, batch: PlayerBatch, *, as_of: date) -> dict[str, float]:
        """Early-stop on the latest dates, learn the spread there, refit on all rows."""
        import numpy as np

        y = batch.actual_points
        if y is None:
            raise ValueError("fit needs actual_points")
        x = batch.features
        held = holdout_mask(batch.game_dates)
        self.model = self._train(x[~held], y[~held], MAX_ROUNDS, (x[held], y[held]))
        rounds = int(getattr(self.model, "best_iteration", 0) or 0) or MAX_ROUNDS
        holdout_mean = self._raw_predict(x[held])
        self.spread = SpreadModel.fit(holdout_mean, y[held])
        self.model = self._train(x, y, rounds)
        self.feature_names = batch.feature_names
        return {
            "rows": float(len(batch)),
            "rounds": float(rounds),
            "holdout_mae": float(np.mean(np.abs(holdout_mean - y[held]))),
        }

    def predict(self, batch: PlayerBatch) -> SystemOutput:
        """Predict every row of ``batch``."""
        if self.model is None or self.spread is None:
            raise ValueError("gbm is not fitted")
        if batch.feature_names != self.feature_names:
            raise ValueError("the batch's feature order differs from the one the trees were trained on")
        return finish(batch, self._raw_predict(batch.features), self.spread)

    def predict_explained(self, batch: PlayerBatch) -> SystemOutput:
        """``predict`` with every feature's SHAP contribution against the model's expected value."""
        if self.model is None or self.spread is None:
            raise ValueError("gbm is not fitted")
        if batch.feature_names != self.feature_names:
            raise ValueError("the batch's feature order differs from the one the trees were trained on")
        contrib = self.shap(batch.features)
        why = Contributions(batch.feature_names, contrib[:, :-1], batch.features, contrib[:, -1])
        return finish_explained(batch, self._raw_predict(batch.features), self.spread, why)

    def to_bytes(self) -> bytes:
        """The trees in the backend's text format, wrapped in JSON with the spread and feature order."""
        if self.model is None or self.spread is None:
            raise ValueError("gbm is not fitted")
        if self.backend == "lightgbm":
            text = self.model.model_to_string()
        else:
            text = bytes(self.model.save_raw(raw_format="json")).decode()
        doc = {
            "system_id": self.system_id,
            "backend": self.backend,
            "features": list(self.feature_names),
            "spread": self.spread.to_dict(),
            "model": text,
        }
        return json.dumps(doc).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> GbmSystem:
        """Rebuild from ``to_bytes``; ``PayloadError`` when damaged."""
        try:
            doc = json.loads(data)
            system = cls(str(doc["backend"]))
            system.feature_names = tuple(str(n) for n in doc["features"])
            system.spread = SpreadModel.from_dict(doc["spread"])
            if system.backend == "lightgbm":
                import lightgbm as lgb

                try:
                    system.model = lgb.Booster(model_str=str(doc["model"]))
                except lgb.basic.LightGBMError as exc:
                    raise ValueError(str(exc)) from exc
            else:
                import xgboost as xgb  # type: ignore[import-not-found, unused-ignore]

                booster = xgb.Booster()
                booster.load_model(bytearray(str(doc["model"]).encode()))
                system.model = booster
        except (ValueError, KeyError, TypeError) as exc:
            raise PayloadError(f"damaged gbm model: {exc}") from exc
        return system
