"""Engine-independent plumbing shared by the XGBoost and LightGBM adapters.

The adapters call a loss once per boosting round on every row, so they validate labels
and weights once per dataset (``PreparedTarget``, cached per dataset object) and then call
``float32_grad_hess`` on the engine's raw scores: the loss's compiled kernel (or its numpy
path) and nothing else per round. Engines exchange float32; a gradient or Hessian that does
not fit float32 is an error, never a silent inf (the kernels count such values as they
write them, so only the numpy path scans the outputs again).
"""

from __future__ import annotations

import importlib
import weakref
from dataclasses import dataclass

import numpy as np

from ._validation import check_sample_weight
from .losses import _compiled
from .losses.base import Loss

__all__ = [
    "PreparedTarget",
    "prepare_target",
    "check_float32_range",
    "float32_grad_hess",
    "TargetCache",
    "wrong_route",
    "lazy_attributes",
]

FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class PreparedTarget:
    """Validated labels (internal form) and weights (None if all ones) for one dataset.

    ``distribution``: the labels are (n, k) probability targets of a loss that otherwise
    takes one label per row (softmax_cross_entropy, kl_divergence): k raw columns.
    """

    labels: np.ndarray
    weight: np.ndarray | None
    n_outputs: int
    distribution: bool = False

    @property
    def n_samples(self) -> int:
        return int(self.labels.shape[0])


def prepare_target(loss: Loss, labels, weight=None) -> PreparedTarget:
    """Validate labels and weights for ``loss`` once; raise ValueError on bad data."""
    if labels is None or np.size(labels) == 0:
        raise ValueError(
            f"{loss.name}: the training data has no labels. Pass label=... when building "
            "the DMatrix / Dataset."
        )
    y = loss.validate_labels(labels)
    w = check_sample_weight(weight, y.shape[0]) if weight is not None and np.size(weight) else None
    if w is not None and np.all(w == 1.0):
        w = None
    distribution = y.ndim == 2 and loss.output_kind != "multilabel"
    return PreparedTarget(labels=y, weight=w, n_outputs=loss.n_outputs_for(y), distribution=distribution)


class TargetCache:
    """Per-dataset cache of ``PreparedTarget`` keyed by the dataset object (weakly held)."""

    def __init__(self) -> None:
        self._entries: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._fallback: dict[int, tuple[object, PreparedTarget]] = {}

    def get(self, dataset, build) -> PreparedTarget:
        try:
            entry = self._entries.get(dataset)
        except TypeError:  # not weak-referenceable: keep a strong reference instead
            held = self._fallback.get(id(dataset))
            if held is None or held[0] is not dataset:
                held = (dataset, build())
                self._fallback[id(dataset)] = held
            return held[1]
        if entry is None:
            entry = build()
            self._entries[dataset] = entry
        return entry

    def clear(self) -> None:
        self._entries = weakref.WeakKeyDictionary()
        self._fallback.clear()


def check_float32_range(loss: Loss, grad: np.ndarray, hess: np.ndarray) -> None:
    """Raise if grad/hess overflow float32, the precision the engines store them in."""
    if grad.size == 0:
        return
    # three reductions, no temporary; a nan propagates into them and fails the test below
    largest = max(float(np.max(grad)), -float(np.min(grad)), float(np.max(hess)))
    if not largest <= FLOAT32_MAX:
        raise ValueError(
            f"{loss.name}: gradient or Hessian of size {largest:.3g} overflows float32 (max "
            f"{FLOAT32_MAX:.3g}), which the engine stores them in. For log-link losses this "
            "means raw scores above ~88: lower the learning rate, set max_delta_step, or check "
            "the labels' scale."
        )


_RIGHT_ROUTES = {
    "xgboost": "with xgb.train use boostloss.xgboost.objective(...) / metric(...)",
    "lightgbm": "with lgb.train use boostloss.lightgbm.objective(...) / metric(...)",
    "sklearn": (
        "in the engines' scikit-learn classes use boostloss.xgboost.XGBRegressor / "
        "XGBClassifier(loss=...) or boostloss.lightgbm.LGBMRegressor / LGBMClassifier(loss=...) "
        "(or, keeping the engine's own class, objective=boostloss.<engine>.sklearn_objective(...) "
        "and eval_metric=boostloss.<engine>.sklearn_metric(...))"
    ),
}


def wrong_route(made_by: str, expects: str, got) -> TypeError:
    """The TypeError for a callable handed to the wrong API: ``made_by`` (e.g.
    "boostloss.xgboost.objective(...)") expects ``expects`` (e.g. "an xgboost.DMatrix") but
    was called with ``got``; the message names the callable that fits the caller."""
    module = type(got).__module__.split(".")[0]
    caller = module if module in ("xgboost", "lightgbm") else "sklearn"
    how = {"xgboost": "by XGBoost's training API", "lightgbm": "by LightGBM's training API",
           "sklearn": "with arrays, as a scikit-learn wrapper calls it"}[caller]
    return TypeError(
        f"{made_by} expects {expects} but was called {how} (got {type(got).__name__}): "
        f"{_RIGHT_ROUTES[caller]}."
    )


def lazy_attributes(package: str, module: str, names: tuple[str, ...]):
    """A module ``__getattr__`` for ``package`` that imports ``module`` (relative) on the
    first access to one of ``names``: the drop-in estimators' modules import their engine,
    which ``import boostloss.xgboost`` / ``boostloss.lightgbm`` must not."""

    def __getattr__(name: str):
        if name in names:
            return getattr(importlib.import_module(module, package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__


def float32_grad_hess(loss: Loss, labels: np.ndarray, raw: np.ndarray,
                      weight: np.ndarray | None, order: str = "C"):
    """The per-round call of both engines: (grad, hess) as float32 arrays shaped like raw,
    in ``order`` ("F" = LightGBM's class-major), weights multiplied in; ValueError if a value
    does not fit float32. ``labels``/``weight`` come from ``prepare_target``."""
    result = _compiled.checked_grad_hess(loss, labels, raw, weight, np.float32, order) \
        if _compiled.enabled() else None
    if result is None:  # no kernel for this loss: the numpy path, then the range scan
        grad, hess = loss._weighted_grad_hess(labels, raw, weight, np.float32, order)
        check_float32_range(loss, grad, hess)
        return grad, hess
    grad, hess, nonfinite = result
    if nonfinite:
        check_float32_range(loss, grad, hess)  # raises, with the largest value
    return grad, hess
