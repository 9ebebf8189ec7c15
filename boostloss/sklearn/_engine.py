"""The engine side of the scikit-learn estimators: one small class per backend.

The estimators validate data and parameters and own the label encoding; a backend only
builds the engine's data containers, calls the boostloss adapter's ``train``/``predict``
(which own the init score, multi-output shapes, sample weights and the loss's metric) and
reads results back from the trained model (best iteration, feature importances).

Conventions shared by both backends:

- ``best_iteration``: 0-based index of the last round ``predict`` uses (XGBoost's
  convention; LightGBM counts from 1, so its value is shifted down by one). Without early
  stopping it is the last round trained.
- ``feature_importances``: "gain" is the total loss reduction of the splits on a feature,
  "split" the number of splits on it, both over the rounds ``predict`` uses and summed
  over outputs, then normalised to sum to 1 (all zeros when no tree split).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from ..losses.base import Loss
from ._params import BoostingParams, lightgbm_params, xgboost_params

__all__ = ["EvalData", "TrainResult", "XGBoostBackend", "LightGBMBackend", "get_backend"]

# Names both engines accept unchanged (XGBoost refuses "[", "]", "<"; LightGBM refuses JSON
# punctuation and rewrites whitespace); other names stay on the estimator only.
_SAFE_FEATURE_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")


def engine_feature_names(names: np.ndarray | None) -> list[str] | None:
    """The feature names to hand the engine, or None to let it use its own (f0, Column_0)."""
    if names is None:
        return None
    names = [str(name) for name in names]
    if len(set(names)) != len(names) or not all(_SAFE_FEATURE_NAME.match(n) for n in names):
        return None
    return names


@dataclass
class EvalData:
    """One evaluation set: validated features, internal labels, weights, and its name."""

    X: Any
    y: np.ndarray
    sample_weight: np.ndarray | None
    name: str


@dataclass
class TrainResult:
    model: Any
    evals_result: dict[str, dict[str, list[float]]]
    best_iteration: int


class _Backend:
    name: str

    def __init__(self, params: BoostingParams, feature_names: list[str] | None) -> None:
        self.params = params
        self.feature_names = feature_names

    def n_models(self, loss: Loss) -> int:
        return 1

    def fit(self, X, y, sample_weight, loss: Loss, evals: Sequence[EvalData],
            include_training: bool, callbacks: list) -> TrainResult:
        raise NotImplementedError

    def predict(self, model, X, loss: Loss, output: str) -> np.ndarray:
        raise NotImplementedError

    def feature_importances(self, model, n_features: int, importance_type: str,
                            best_iteration: int) -> np.ndarray:
        raise NotImplementedError

    def progress_callback(self, bar) -> Any:
        raise NotImplementedError


def _normalise(totals: np.ndarray) -> np.ndarray:
    total = totals.sum()
    return totals / total if total > 0 else totals


def _as_float_lists(evals_result: dict) -> dict[str, dict[str, list[float]]]:
    return {
        data: {metric: [float(v) for v in values] for metric, values in by_metric.items()}
        for data, by_metric in evals_result.items()
    }


class XGBoostBackend(_Backend):
    """Trains with ``boostloss.xgboost.train`` on (Quantile)DMatrix data."""

    name = "xgboost"

    def _engine_params(self) -> dict[str, Any]:
        return xgboost_params(self.params)

    def _uses_quantile_dmatrix(self, params: dict[str, Any]) -> bool:
        # XGBRegressor builds a QuantileDMatrix for the hist method (the default); doing
        # the same gives the same bins, hence the same trees.
        return (params.get("tree_method", "hist") in ("hist", "auto")
                and params.get("booster", "gbtree") != "gblinear")

    def _dmatrix(self, X, y=None, weight=None, reference=None, params=None):
        import xgboost as xgb

        nthread = self.params.n_jobs if self.params.n_jobs is not None else -1
        common = dict(label=y, weight=weight, missing=np.nan, nthread=nthread,
                      feature_names=self.feature_names)
        if params is not None and self._uses_quantile_dmatrix(params):
            extra = {"max_bin": params["max_bin"]} if "max_bin" in params else {}
            return xgb.QuantileDMatrix(X, ref=reference, **common, **extra)
        return xgb.DMatrix(X, **common)

    def fit(self, X, y, sample_weight, loss, evals, include_training, callbacks):
        from .. import xgboost as bl_xgb

        params = self._engine_params()
        dtrain = self._dmatrix(X, y, sample_weight, params=params)
        watch = [(dtrain, "training")] if include_training else []
        # XGBoost early-stops on the last entry of `evals`: training goes first.
        watch += [(self._dmatrix(e.X, e.y, e.sample_weight, reference=dtrain, params=params),
                   e.name) for e in evals]
        evals_result: dict = {}
        booster = bl_xgb.train(
            params, dtrain, num_boost_round=self.params.n_estimators, loss=loss,
            evals=watch, early_stopping_rounds=self.params.early_stopping_rounds if evals
            else None, evals_result=evals_result, verbose_eval=False, callbacks=callbacks,
        )
        try:
            best = int(booster.best_iteration)
        except AttributeError:  # no early stopping: every round is used
            best = booster.num_boosted_rounds() - 1
        return TrainResult(booster, _as_float_lists(evals_result), best)

    def predict(self, model, X, loss, output):
        from .. import xgboost as bl_xgb

        # numpy and CSR go to XGBoost's inplace_predict (no DMatrix copy; about 1.7x faster
        # here at 200k x 20); other sparse formats need a DMatrix.
        data = X if isinstance(X, np.ndarray) or sparse.isspmatrix_csr(X) else self._dmatrix(X)
        return bl_xgb.predict(model, data, output=output, loss=loss)

    def feature_importances(self, model, n_features, importance_type, best_iteration):
        kind = {"gain": "total_gain", "split": "weight"}[importance_type]
        used = model[: best_iteration + 1] if best_iteration + 1 < model.num_boosted_rounds() \
            else model
        scores = used.get_score(importance_type=kind)
        names = self.feature_names or [f"f{i}" for i in range(n_features)]
        totals = np.array([float(np.sum(scores.get(name, 0.0))) for name in names])
        return _normalise(totals)

    def progress_callback(self, bar):
        return bar.xgboost_callback()


class LightGBMBackend(_Backend):
    """Trains with ``boostloss.lightgbm.train`` on ``lightgbm.Dataset`` data."""

    name = "lightgbm"

    def n_models(self, loss: Loss) -> int:
        # The adapter trains one model per output column for multi-output losses other
        # than softmax (LightGBM has no multi-output trees); each one runs all rounds.
        if loss.output_kind in ("multi_quantile", "multilabel"):
            return int(loss.n_outputs or 1)
        return 1

    def _dataset(self, X, y, weight, reference=None):
        import lightgbm as lgb

        return lgb.Dataset(
            X, label=y, weight=weight, reference=reference,
            feature_name=self.feature_names if self.feature_names else "auto",
            free_raw_data=True,
        )

    def fit(self, X, y, sample_weight, loss, evals, include_training, callbacks):
        from .. import lightgbm as bl_lgb

        params = lightgbm_params(self.params)
        train_set = self._dataset(X, y, sample_weight)
        valid_sets = [train_set] if include_training else []
        valid_names = ["training"] if include_training else []
        for e in evals:
            valid_sets.append(self._dataset(e.X, e.y, e.sample_weight, reference=train_set))
            valid_names.append(e.name)
        evals_result: dict = {}
        model = bl_lgb.train(
            params, train_set, num_boost_round=self.params.n_estimators, loss=loss,
            valid_sets=valid_sets or None, valid_names=valid_names or None,
            callbacks=callbacks, early_stopping_rounds=self.params.early_stopping_rounds
            if evals else None, evals_result=evals_result,
        )
        best = self._best_iteration(model)
        return TrainResult(model, _as_float_lists(evals_result), best)

    @staticmethod
    def _boosters(model) -> list:
        return list(getattr(model, "boosters", [model]))

    def _best_iteration(self, model) -> int:
        best = getattr(model, "best_iteration", 0) or 0
        if np.ndim(best):  # one per column in the multi-output wrapper: report the largest
            best = int(np.max(best))
        if best > 0:
            return int(best) - 1
        return max(b.current_iteration() for b in self._boosters(model)) - 1

    def predict(self, model, X, loss, output):
        from .. import lightgbm as bl_lgb

        return bl_lgb.predict(model, X, output=output)

    def feature_importances(self, model, n_features, importance_type, best_iteration):
        totals = np.zeros(n_features)
        for booster in self._boosters(model):
            # iteration=None: LightGBM uses the booster's best iteration when it has one.
            totals += booster.feature_importance(importance_type=importance_type)
        return _normalise(totals)

    def progress_callback(self, bar):
        return bar.lightgbm_callback()


def get_backend(params: BoostingParams, feature_names: list[str] | None) -> _Backend:
    cls = XGBoostBackend if params.backend == "xgboost" else LightGBMBackend
    return cls(params, feature_names)
