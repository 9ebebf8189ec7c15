"""The callables LightGBM calls: objective ``(preds, train_data)``, metric ``(preds, eval_data)``
and the scikit-learn objective ``(y_true, y_pred, weight)``.

They are small proxy classes (picklable, unlike closures, so ``LGBMRegressor(objective=...)``
pickles) that turn LightGBM's signature into one call of the loss's compiled kernel
(``float32_grad_hess(loss, labels, raw, weight, order)``):

- Labels and weights are read from the Dataset and validated once per Dataset
  (``TargetsByAnchor``: re-validated only if the label or weight array is replaced).
- LightGBM >= 4 never multiplies sample weights into a custom objective; these callables do.
- ``preds`` is float64, shape (n,) or, for multiclass, (n, k) (a Fortran-ordered view of
  LightGBM's class-major buffer). grad/hess go back as float32 in the layout LightGBM copies
  without conversion: 1-D contiguous, or (n, k) Fortran-ordered (LightGBM ravels in "F" order).
- grad/hess pass the engine guard (``boostloss._adapter.guard_engine_arrays``): NaN or a
  value beyond float32 is a ValueError, a Hessian that underflowed float32 is floored.
"""

from __future__ import annotations

import warnings
import weakref
from typing import Any

import numpy as np

from .._adapter import (
    OutputBuffers,
    PreparedTarget,
    float32_grad_hess,
    prepare_target,
    wrong_route,
)
from ..links import IdentityLink
from ..losses.base import Loss
from ._engine import dataset_label, dataset_weight, require_lightgbm

__all__ = [
    "TargetsByAnchor",
    "LightGBMObjective",
    "LightGBMMetric",
    "LightGBMSklearnObjective",
    "LightGBMSklearnMetric",
    "check_engine_loss",
    "check_raw_shape",
    "engine_grad_hess",
]


def check_engine_loss(loss: Loss, what: str) -> None:
    """Refuse losses LightGBM cannot train in a single booster (multi-quantile, multilabel)."""
    if loss.output_kind in ("multi_quantile", "multilabel"):
        kind = "quantile levels" if loss.output_kind == "multi_quantile" else "label columns"
        raise ValueError(
            f"{loss!r} has several {kind}, but a LightGBM tree has one output (multiclass "
            f"boosters only support softmax-style losses), so its {what} cannot be used in "
            "lgb.train / LGBMRegressor directly. Use boostloss.lightgbm.train(params, dtrain, "
            "loss=...), which trains one LightGBM model per output column, or build one "
            "single-output loss per column (e.g. quantile with one alpha each)."
        )


class TargetsByAnchor:
    """Validated labels/weights (``PreparedTarget``) cached per anchor object.

    The anchor is the Dataset (objective/metric) or the label array (scikit-learn
    objective). An entry is reused while the label and weight objects it was built from are
    the same objects (LightGBM returns the same arrays on every call), so labels are
    validated once per Dataset, not once per boosting round.
    """

    def __init__(self, loss: Loss) -> None:
        self.loss = loss
        self._entries: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def get(self, anchor, label, weight) -> PreparedTarget:
        try:
            entry = self._entries.get(anchor)
        except TypeError:  # anchor not weak-referenceable: validate every time
            return prepare_target(self.loss, label, weight)
        if entry is not None and entry[0] is label and entry[1] is weight:
            return entry[2]
        prepared = prepare_target(self.loss, label, weight)
        self._entries[anchor] = (label, weight, prepared)
        return prepared

    def for_dataset(self, dataset) -> PreparedTarget:
        if not isinstance(dataset, require_lightgbm().Dataset):
            raise wrong_route("boostloss.lightgbm.objective(...) / metric(...)",
                              "(preds, lightgbm.Dataset)", dataset)
        return self.get(dataset, dataset_label(dataset), dataset_weight(dataset))

    # pickling / deep copies: the cache is derived state
    def __getstate__(self) -> dict[str, Any]:
        return {"loss": self.loss}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["loss"])


def check_raw_shape(loss: Loss, target: PreparedTarget, raw: np.ndarray, where: str) -> None:
    """Check LightGBM's raw scores against the loss and labels; explain num_class problems."""
    n = target.n_samples
    if raw.shape[0] != n:
        raise ValueError(
            f"{loss.name}: LightGBM passed {raw.shape[0]} raw scores for {n} labels in {where}."
        )
    if loss.output_kind == "multiclass" or target.distribution:
        if raw.ndim != 2:
            raise ValueError(
                f"{loss.name} is a multiclass loss but LightGBM passed one score per row: set "
                f"params['num_class'] = {max(target.n_outputs, 2)} (the number of classes)."
            )
        k = raw.shape[1]
        expected = loss.n_outputs
        if expected is not None and k != expected:
            raise ValueError(
                f"{loss.name} was built for {expected} classes but params['num_class'] = {k}; "
                "make them agree."
            )
        # n_outputs is max(label) + 1 when the loss does not fix the class count: O(1) here
        if expected is None and target.n_outputs > k:
            largest = target.n_outputs - 1
            raise ValueError(
                f"{loss.name}: label {largest} in {where} is out of range for num_class={k} "
                f"(valid labels are 0..{k - 1}); set params['num_class'] = {largest + 1}."
            )
    elif raw.ndim != 1:
        raise ValueError(
            f"{loss.name} has one output per row but LightGBM passed scores of shape "
            f"{raw.shape}: remove 'num_class' from params (it makes LightGBM grow one tree "
            "per class)."
        )


def engine_grad_hess(loss: Loss, target: PreparedTarget, raw: np.ndarray,
                     buffers: OutputBuffers | None = None):
    """grad/hess for LightGBM: weights multiplied in, float32 in LightGBM's layout, guarded
    (``float32_grad_hess``: the compiled kernel or the numpy path, then the engine guard)."""
    # The compiled kernels run on the calling thread only (boostloss.losses._compiled), so
    # they do not fight LightGBM's OpenMP pool inside this callback.
    # float32 in LightGBM's layout (it ravels 2-D buffers in Fortran order) saves its copy
    return float32_grad_hess(loss, target.labels, raw, target.weight,
                             "F" if raw.ndim == 2 else "C", buffers)


class _LossCallable:
    """Shared state: the loss and the per-anchor target cache. Deep copies share nothing
    mutable but the (immutable) loss; ``lgb.train`` deep-copies params on every call."""

    def __init__(self, loss: Loss) -> None:
        self.loss = loss
        self._targets = TargetsByAnchor(loss)
        self._outputs = OutputBuffers()  # grad/hess arrays reused across rounds

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.loss!r})"

    def __deepcopy__(self, memo):
        return type(self)(self.loss)

    def __getstate__(self) -> dict[str, Any]:
        return {"loss": self.loss}

    def __setstate__(self, state: dict[str, Any]) -> None:
        _LossCallable.__init__(self, state["loss"])


def _refuse_missing_labels(loss: Loss, target: PreparedTarget) -> None:
    """A Dataset built without ``label=`` reaches the objective with labels of 0 (LightGBM
    fills them in and keeps no record of their absence), so all-zero training labels are
    refused: a model of them learns nothing either way."""
    if target.n_samples and not np.any(target.labels):
        raise ValueError(
            f"{loss.name}: every training label is 0. A lightgbm.Dataset built without label= "
            "looks like this (LightGBM fills in zeros): pass lgb.Dataset(X, label=y). If the "
            "labels really are all 0, there is nothing to learn."
        )


class LightGBMObjective(_LossCallable):
    """``params["objective"] = LightGBMObjective(loss)``: (preds, train_data) -> (grad, hess).

    Starts from whatever LightGBM starts from: 0, or the Dataset's init_score. For the
    loss's best constant set ``init_score`` on the Datasets (or use
    ``boostloss.lightgbm.train``, which also re-fits leaves of absolute_error / quantile).
    """

    def __init__(self, loss: Loss) -> None:
        check_engine_loss(loss, "objective")
        super().__init__(loss)
        self._checked: PreparedTarget | None = None

    def __call__(self, preds: np.ndarray, train_data):
        target = self._targets.for_dataset(train_data)
        if target is not getattr(self, "_checked", None):  # (unpickling skips __init__)
            _refuse_missing_labels(self.loss, target)
            self._checked = target
        raw = np.asarray(preds, dtype=np.float64)
        check_raw_shape(self.loss, target, raw, "the training data")
        return engine_grad_hess(self.loss, target, raw, self._outputs)


class LightGBMMetric(_LossCallable):
    """``feval=LightGBMMetric(loss)``: (preds, eval_data) -> (loss.name, value, False).

    value = the sample-weighted mean loss (``loss.metric``) on the raw scores LightGBM holds
    for that Dataset, which include the Dataset's init_score. Lower is better.
    """

    def __init__(self, loss: Loss) -> None:
        check_engine_loss(loss, "metric")
        super().__init__(loss)

    def __call__(self, preds: np.ndarray, eval_data):
        target = self._targets.for_dataset(eval_data)
        raw = np.asarray(preds, dtype=np.float64)
        check_raw_shape(self.loss, target, raw, "the evaluation data")
        return self.loss.name, self.loss._metric(target.labels, raw, target.weight), False


class LightGBMSklearnObjective(_LossCallable):
    """``LGBMRegressor(objective=LightGBMSklearnObjective(loss))``.

    Takes exactly three arguments ``(y_true, y_pred, weight)``: LightGBM's scikit-learn wrapper
    passes the sample weights (``fit(sample_weight=...)``, class weights included) only to
    3-argument callables and silently drops them for 2-argument ones.
    """

    def __init__(self, loss: Loss) -> None:
        check_engine_loss(loss, "scikit-learn objective")
        super().__init__(loss)
        self._warned = False

    def __call__(self, y_true, y_pred, weight=None):
        # (weight has a default only so that lgb.train's 2-argument call reaches the TypeError
        # below; LightGBM's wrapper counts 3 parameters and passes the weights)
        _check_arrays("sklearn_objective", y_pred)
        if not self._warned:
            self._warned = True
            self._warn_raw_predictions()
        anchor = y_true if isinstance(y_true, np.ndarray) else None
        if anchor is None:
            target = prepare_target(self.loss, y_true, weight)
        else:
            target = self._targets.get(anchor, y_true, weight)
        raw = np.asarray(y_pred, dtype=np.float64)
        check_raw_shape(self.loss, target, raw, "y_true")
        return engine_grad_hess(self.loss, target, raw, self._outputs)


    def _warn_raw_predictions(self) -> None:
        loss = self.loss
        if loss.task == "regression" and isinstance(loss.link, IdentityLink):
            return
        warnings.warn(
            f"{loss.name}: with a custom objective LGBMRegressor.predict and "
            "LGBMClassifier.predict / predict_proba return raw scores (no link, no class "
            f"labels) and training starts from 0. boostloss.lightgbm.LGBMRegressor / "
            f"LGBMClassifier(loss={loss.name!r}) start from the loss's best constant and "
            "predict means, labels and probabilities.", UserWarning, stacklevel=2)


def _check_arrays(maker: str, y_pred) -> None:
    if not isinstance(y_pred, np.ndarray) and hasattr(y_pred, "get_label"):
        raise wrong_route(f"boostloss.lightgbm.{maker}(...)", "arrays (y_true, y_pred, weight)",
                          y_pred)


class LightGBMSklearnMetric(_LossCallable):
    """``LGBMRegressor(...).fit(..., eval_metric=LightGBMSklearnMetric(loss))``:
    ``(y_true, y_pred, weight) -> (loss.name, value, False)``.

    value = the sample-weighted mean loss on the raw scores LightGBM passes (its init_score
    included). Three parameters, so LightGBM's wrapper passes the eval sets' weights.
    """

    def __init__(self, loss: Loss) -> None:
        check_engine_loss(loss, "scikit-learn metric")
        super().__init__(loss)

    def __call__(self, y_true, y_pred, weight=None):
        _check_arrays("sklearn_metric", y_pred)
        target = prepare_target(self.loss, y_true, weight)
        raw = np.asarray(y_pred, dtype=np.float64)
        check_raw_shape(self.loss, target, raw, "y_true")
        return self.loss.name, self.loss._metric(target.labels, raw, target.weight), False
