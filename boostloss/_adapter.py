"""Engine-independent plumbing shared by the XGBoost and LightGBM adapters.

The adapters call a loss once per boosting round on every row, so they validate labels
and weights once per dataset (``PreparedTarget``, cached per dataset object) and then call
``float32_grad_hess`` on the engine's raw scores: the loss's compiled kernel (or its
numpy path) and the engine guard below, nothing else per round.

The engine guard (``guard_engine_arrays``): what the engines receive
------------------------------------------------------------------------
Both engines store gradients and Hessians in float32. The loss contract (finite grad,
hess > 0) must hold for *those* arrays, not only for the float64 values before the cast, so
every objective callable passes the exact arrays it hands the engine (float32, final layout)
through ``guard_engine_arrays``, whose semantics are these. The compiled kernels
(``losses/_loops.h``) apply them as they write float32: rule 4 in the store, and they
flag the values that rules 1-2 reject, so ``float32_grad_hess`` runs the guard's
reductions only on the numpy path or when that flag is set:

1. NaN in grad or hess: ValueError (the loss is undefined there, e.g. inputs far outside
   the documented range). Checked by min/max reductions, which propagate NaN.
2. A value beyond float32's range (|v| > 3.4e38, i.e. inf after the cast): ValueError
   saying it is too large for float32, never a silent inf.
3. A negative Hessian: ValueError (no loss may return one; it would be a bug).
4. A Hessian below ``FLOAT32_TINY`` (1.18e-38, the smallest positive normal float32),
   i.e. a positive value that underflowed to 0 or to a subnormal in the cast, or the 0 of a
   zero-weight row: raised to ``FLOAT32_TINY`` in place. Documented floor, not an error:
   the true value is positive and below anything float32 can hold (poisson at raw = -300,
   logistic at |raw| >= 104); a zero-weight row keeps a zero gradient, so its Hessian
   only has to be positive, and 1.18e-38 cannot move a leaf.

Cost: four reductions over float32 arrays (no temporaries); the floor runs only when the
minimum Hessian is below ``FLOAT32_TINY``.
"""

from __future__ import annotations

import importlib
import sys
import weakref
from dataclasses import dataclass

import numpy as np

from ._validation import check_sample_weight
from .losses import _compiled
from .losses.base import Loss

__all__ = [
    "PreparedTarget",
    "prepare_target",
    "guard_engine_arrays",
    "float32_grad_hess",
    "OutputBuffers",
    "TargetCache",
    "same_contents",
    "FLOAT32_MAX",
    "FLOAT32_TINY",
    "wrong_route",
    "lazy_attributes",
]

FLOAT32_MAX = float(np.finfo(np.float32).max)
FLOAT32_TINY = float(np.finfo(np.float32).tiny)


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


def _libc_memcmp():
    try:
        import ctypes
        import ctypes.util

        library = ctypes.CDLL(ctypes.util.find_library("c") or None)
        memcmp = library.memcmp
        memcmp.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
        memcmp.restype = ctypes.c_int
        return memcmp
    except Exception:  # pragma: no cover - no C library reachable: numpy comparison instead
        return None


_MEMCMP = _libc_memcmp()


def same_contents(first: np.ndarray, second: np.ndarray) -> bool:
    """Byte-for-byte equality of two arrays; memcmp when possible (no temporary, memory
    speed: ~0.05 ms for 400k float32) since it runs every boosting round."""
    if first.shape != second.shape or first.dtype != second.dtype:
        return False
    if first.size == 0:
        return True
    if (_MEMCMP is None or not first.flags.c_contiguous or not second.flags.c_contiguous):
        return bool(np.array_equal(first, second))
    return _MEMCMP(first.ctypes.data, second.ctypes.data, first.nbytes) == 0


class TargetCache:
    """Per-dataset cache of ``PreparedTarget`` keyed by the dataset object (weakly held).

    ``fields`` (optional) returns the dataset's current label and weight arrays (views are
    fine); an entry is reused only while they hold the same bytes as when it was built, so
    ``set_weight`` / ``set_label`` on a dataset between calls is noticed.
    """

    def __init__(self) -> None:
        self._entries: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._fallback: dict[int, tuple[object, tuple, PreparedTarget]] = {}

    def get(self, dataset, build, fields=None) -> PreparedTarget:
        current = tuple(fields()) if fields is not None else ()
        try:
            entry = self._entries.get(dataset)
        except TypeError:  # not weak-referenceable: keep a strong reference instead
            held = self._fallback.get(id(dataset))
            if held is None or held[0] is not dataset or not _unchanged(held[1], current):
                held = (dataset, _snapshot(current), build())
                self._fallback[id(dataset)] = held
            return held[2]
        if entry is None or not _unchanged(entry[0], current):
            entry = (_snapshot(current), build())
            self._entries[dataset] = entry
        return entry[1]

    def clear(self) -> None:
        self._entries = weakref.WeakKeyDictionary()
        self._fallback.clear()


def _snapshot(arrays: tuple) -> tuple:
    return tuple(np.array(a, copy=True) for a in arrays)


def _unchanged(snapshot: tuple, current: tuple) -> bool:
    return len(snapshot) == len(current) and all(
        same_contents(old, np.asarray(new)) for old, new in zip(snapshot, current, strict=True)
    )


def guard_engine_arrays(loss: Loss, grad: np.ndarray, hess: np.ndarray) -> None:
    """Enforce the engine guard (module docstring) on the arrays handed to the engine.

    Raises ValueError for NaN, values beyond float32's range and negative Hessians; raises
    Hessians below ``FLOAT32_TINY`` to it, in place (``hess`` must be writable).
    """
    if grad.size == 0:
        return
    with np.errstate(invalid="ignore"):
        grad_low, grad_high = float(np.min(grad)), float(np.max(grad))
        hess_low, hess_high = float(np.min(hess)), float(np.max(hess))
    if np.isnan(grad_low + grad_high + hess_low + hess_high):
        which = "gradient" if np.isnan(grad_low + grad_high) else "Hessian"
        raise ValueError(
            f"{loss.name}: the {which} is NaN for some rows, so the loss is undefined at those "
            "raw scores and labels (they lie outside its documented range). Check the labels' "
            "scale, lower the learning rate, or set max_delta_step."
        )
    largest = max(-grad_low, grad_high, hess_high)
    if not largest <= FLOAT32_MAX:
        raise ValueError(
            f"{loss.name}: a gradient or Hessian is too large for float32 (beyond "
            f"{FLOAT32_MAX:.3g}), the precision the engine stores them in. For log-link losses "
            "this means raw scores above ~88: lower the learning rate, set max_delta_step, or "
            "check the labels' scale."
        )
    if hess_low < FLOAT32_TINY:
        if hess_low < 0:
            raise ValueError(
                f"{loss.name}: negative Hessian {hess_low:.3g}; the loss contract forbids it "
                "(please report this as a bug with the inputs)."
            )
        np.maximum(hess, np.float32(FLOAT32_TINY), out=hess)


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


class OutputBuffers:
    """The grad/hess arrays of an objective callable's last round, reused for the next round
    when nothing else holds them.

    An engine copies (XGBoost) or reads (LightGBM) the returned arrays before it asks for the
    next round and keeps no reference to them, so a fresh pair of arrays every round would
    only cost page faults (about 1 ms per round at 1M rows, more than the kernel itself).
    A pair is reused only while this object holds the sole reference to each array (and to
    nothing derived from them: a view holds its base): if the caller kept the previous
    result, it gets new arrays and the kept ones stay as they were. CPython only (reference
    counts); elsewhere every call allocates.
    """

    _REUSABLE = sys.implementation.name == "cpython"

    def __init__(self) -> None:
        self._pair: tuple[np.ndarray, np.ndarray] | None = None

    def get(self, shape: tuple, dtype, order: str) -> tuple[np.ndarray, np.ndarray]:
        pair = self._pair
        if pair is not None and self._REUSABLE:
            grad, hess = pair
            # references: the tuple, the local name and getrefcount's argument
            if (grad.shape == shape and grad.dtype == dtype
                    and (grad.flags.f_contiguous if order == "F" else grad.flags.c_contiguous)
                    and sys.getrefcount(grad) == 3 and sys.getrefcount(hess) == 3):
                return grad, hess
        pair = (np.empty(shape, dtype=dtype, order=order), np.empty(shape, dtype=dtype, order=order))
        self._pair = pair if self._REUSABLE else None
        return pair

    def __getstate__(self):  # pickles and deep-copies empty
        return {}

    def __setstate__(self, state) -> None:
        self._pair = None


def float32_grad_hess(loss: Loss, labels: np.ndarray, raw: np.ndarray,
                      weight: np.ndarray | None, order: str = "C",
                      buffers: OutputBuffers | None = None):
    """The per-round call of both engines: (grad, hess) as float32 arrays shaped like raw,
    in ``order`` ("F" = LightGBM's class-major), weights multiplied in, through the engine
    guard (module docstring). ``labels``/``weight`` come from ``prepare_target``; the
    compiled path writes into ``buffers`` (the callable's ``OutputBuffers``) when given."""
    result = _compiled.checked_grad_hess(loss, labels, raw, weight, np.float32, order, buffers) \
        if _compiled.enabled() else None
    if result is None:  # no kernel for this loss: the numpy path, then the guard's reductions
        with np.errstate(over="ignore"):  # beyond float32 -> inf, reported by the guard
            grad, hess = loss._weighted_grad_hess(labels, raw, weight, np.float32, order)
        guard_engine_arrays(loss, grad, hess)
        return grad, hess
    grad, hess, nonfinite = result  # the kernel floored hess at FLOAT32_TINY as it stored it
    if nonfinite:
        guard_engine_arrays(loss, grad, hess)  # raises, naming NaN or the float32 overflow
    return grad, hess
