"""The callables behind ``boostloss.xgboost``: objective, metric and scikit-learn objective
classes, and the zero-Hessian variants ``train`` uses (MM surrogate, per-round leaf refit).

They hold no math: labels and weights are read from the DMatrix and validated once per
DMatrix (``TargetCache``), XGBoost's float32 margins go unchanged to the loss's compiled
kernel (``float32_grad_hess``: nothing else runs per round), and grad/hess come back
float32, C-contiguous and shaped like XGBoost's ``predt``. Shapes are checked against the labels so that a wrong
``num_class`` / ``num_target`` is a ValueError naming the setting to change.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._adapter import (
    OutputBuffers,
    PreparedTarget,
    TargetCache,
    float32_grad_hess,
    guard_engine_arrays,
    prepare_target,
    wrong_route,
)
from ..links import LogLink
from ..losses.base import Loss
from ._refit import LeafRefit
from ._surrogate import absolute_error_grad_hess, quantile_grad_hess

__all__ = [
    "XGBoostObjective",
    "XGBoostMetric",
    "XGBoostSklearnObjective",
    "XGBoostSklearnMetric",
    "SurrogateObjective",
    "DistributedObjective",
    "DistributedSurrogateObjective",
    "RefitObjective",
    "RefitMetric",
    "refit_callback",
    "dmatrix_target",
    "dmatrix_fields",
    "import_xgboost",
]


def import_xgboost():
    try:
        import xgboost
    except ImportError as exc:  # pragma: no cover - exercised only without xgboost
        raise ImportError(
            "boostloss.xgboost needs the xgboost package; install it with "
            "`pip install boostloss[xgboost]`."
        ) from exc
    return xgboost


# ---------------------------------------------------------------------- data plumbing
def dmatrix_target(loss: Loss, dmatrix) -> PreparedTarget:
    """Labels and weights of a DMatrix, validated for ``loss``; anything but a DMatrix (the
    objective handed to a scikit-learn wrapper or to LightGBM) is a TypeError naming the
    callable that fits there."""
    if not isinstance(dmatrix, import_xgboost().DMatrix):
        raise wrong_route("boostloss.xgboost.objective(...) / metric(...)",
                          "(predt, xgboost.DMatrix)", dmatrix)
    labels = dmatrix.get_label()
    if labels.size == 0:
        raise ValueError(
            f"{loss.name}: the DMatrix has no labels. Build it with "
            "xgb.DMatrix(X, label=y) (and weight=w for sample weights)."
        )
    n = dmatrix.num_row()
    if loss.output_kind == "multilabel" and labels.ndim == 1 and labels.size != n:
        labels = labels.reshape(n, -1)  # older xgboost returns 2-D labels flattened
    weight = dmatrix.get_weight()
    return prepare_target(loss, labels, weight if weight.size else None)


def _float_info_view(dmatrix, field: str) -> np.ndarray:
    """A DMatrix float field (label, weight) as a read-only view of XGBoost's own buffer:
    no copy, unlike ``get_float_info``; used only to notice changes between rounds."""
    import ctypes

    from xgboost.core import _LIB, _check_call, c_str

    length = ctypes.c_uint64()
    pointer = ctypes.POINTER(ctypes.c_float)()
    _check_call(_LIB.XGDMatrixGetFloatInfo(dmatrix.handle, c_str(field), ctypes.byref(length),
                                           ctypes.byref(pointer)))
    if not length.value:
        return np.empty(0, dtype=np.float32)
    return np.ctypeslib.as_array(pointer, shape=(length.value,))


def dmatrix_fields(dmatrix) -> tuple[np.ndarray, np.ndarray]:
    """The DMatrix's current labels and weights (float32), to check a cached validation
    against: ``set_weight`` / ``set_label`` after the first round must not be missed.
    Not a DMatrix: no fields (``dmatrix_target`` then raises the wrong-API TypeError)."""
    if not isinstance(dmatrix, import_xgboost().DMatrix):
        return ()
    try:
        return _float_info_view(dmatrix, "label"), _float_info_view(dmatrix, "weight")
    except (ImportError, AttributeError):  # private API moved: copies instead
        return dmatrix.get_label(), dmatrix.get_weight()


def _as_raw(loss: Loss, predt: np.ndarray, target: PreparedTarget) -> np.ndarray:
    """XGBoost's margins as (n,) or (n, k), checked against the labels (no copy: dtype kept,
    float32 from XGBoost; the losses' fast path does the math in float64)."""
    predt = np.asarray(predt)
    n = target.n_samples
    if predt.ndim == 1 and predt.size != n and n and predt.size % n == 0:
        predt = predt.reshape(n, -1)  # older xgboost passes multi-output margins flattened
    k = 1 if predt.ndim == 1 else predt.shape[1]
    if predt.shape[0] != n:
        raise ValueError(
            f"{loss.name}: got margins for {predt.shape[0]} rows but the DMatrix has {n} labels."
        )
    if not (loss.is_multi_output or target.distribution):
        if k != 1:
            raise ValueError(
                f"{loss.name} is a single-output loss but the booster has {k} outputs per row. "
                "Remove num_class / num_target from the parameters."
            )
        return predt.reshape(n)
    needed = target.n_outputs
    if k == 1:
        multiclass = loss.output_kind == "multiclass" and not target.distribution
        setting = "num_class" if multiclass else "num_target"  # 2-D labels need num_target
        raise ValueError(
            f"{loss.name} needs {needed} outputs per row but the booster has 1. Set "
            f"params['{setting}'] = {needed} (boostloss.xgboost.train does this for you)."
        )
    if loss.output_kind == "multiclass":
        fixed = loss.n_outputs
        if fixed is not None and k != fixed:
            raise ValueError(
                f"{loss.name} is configured for {fixed} classes but the booster has "
                f"num_class={k}. Make them agree."
            )
        if needed > k:
            raise ValueError(
                f"{loss.name}: the labels contain class {needed - 1} but the booster has "
                f"num_class={k} (valid labels 0..{k - 1}). Set num_class={needed} or "
                "re-encode the labels."
            )
    elif k != needed:
        what = "quantile levels" if loss.output_kind == "multi_quantile" else "label columns"
        raise ValueError(
            f"{loss.name}: the booster has {k} outputs per row but there are {needed} "
            f"{what}. Set num_target={needed}."
        )
    return predt


def _engine_arrays(loss: Loss, grad: np.ndarray, hess: np.ndarray) -> tuple:
    """float32 C-contiguous grad/hess (no copy when they already are) from a grad/hess that
    did not come from ``float32_grad_hess``, checked by the engine guard
    (``boostloss._adapter``) as XGBoost will receive them."""
    with np.errstate(over="ignore"):  # beyond float32 -> inf, reported by the guard
        grad = np.ascontiguousarray(grad, dtype=np.float32)
        hess = np.ascontiguousarray(hess, dtype=np.float32)
    guard_engine_arrays(loss, grad, hess)
    return grad, hess


def _weight_vector(sample_weight) -> np.ndarray | None:
    if sample_weight is None:
        return None
    weight = np.asarray(sample_weight)
    return weight if weight.size else None


class _PicklesOnlyTheLoss:
    """Pickling (the engines' scikit-learn wrappers pickle their ``objective``) keeps the
    loss and drops every cache: unpickling calls ``__init__(loss)`` afresh."""

    loss: Loss

    def __getstate__(self) -> dict[str, Any]:
        return {"loss": self.loss}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["loss"])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.loss!r})"


class _LossCallable(_PicklesOnlyTheLoss):
    """Shared state of the callables: the loss and a per-DMatrix target cache."""

    def __init__(self, loss: Loss) -> None:
        self.loss = loss
        self.__name__ = loss.name  # read by wrappers (a helpful TypeError instead of theirs)
        self._targets = TargetCache()
        self._outputs = OutputBuffers()  # grad/hess arrays reused across rounds

    def _target(self, dmatrix) -> PreparedTarget:
        return self._targets.get(
            dmatrix, lambda: dmatrix_target(self.loss, dmatrix), lambda: dmatrix_fields(dmatrix)
        )


class XGBoostObjective(_LossCallable):
    """``(predt, dtrain) -> (grad, hess)`` for ``xgb.train(obj=...)``.

    Labels and weights come from the DMatrix (validated once per DMatrix); weights are
    multiplied into grad and hess; the result is float32 shaped like ``predt``.
    """

    def __call__(self, predt: np.ndarray, dtrain) -> tuple[np.ndarray, np.ndarray]:
        target = self._target(dtrain)
        raw = _as_raw(self.loss, predt, target)
        grad, hess = self._grad_hess(target, raw, dtrain)
        shape = np.shape(predt)
        return grad.reshape(shape), hess.reshape(shape)

    def _grad_hess(self, target: PreparedTarget, raw: np.ndarray, dtrain):
        """float32 C-contiguous (grad, hess), checked against float32's range."""
        return float32_grad_hess(self.loss, target.labels, raw, target.weight,
                                 buffers=self._outputs)


class XGBoostMetric(_LossCallable):
    """``(predt, dmatrix) -> (loss.name, value)`` for ``xgb.train(custom_metric=...)``.

    value = the sample-weighted mean of the loss (``loss.metric``) on the margins, which
    include the DMatrix base_margin / the model's base_score. Lower is better.
    """

    def __call__(self, predt: np.ndarray, dmatrix, sample_weight=None) -> tuple[str, float]:
        # (sample_weight only so that a scikit-learn wrapper's call reaches the TypeError
        # naming boostloss.xgboost.sklearn_metric)
        target = self._target(dmatrix)
        raw = self._raw(_as_raw(self.loss, predt, target).astype(np.float64), dmatrix)
        return self.loss.name, float(self.loss._metric(target.labels, raw, target.weight))

    def _raw(self, raw: np.ndarray, dmatrix) -> np.ndarray:
        return raw


class XGBoostSklearnObjective(_PicklesOnlyTheLoss):
    """``(y_true, y_pred, sample_weight=None) -> (grad, hess)`` for ``XGBRegressor(objective=)``.

    XGBoost's scikit-learn wrapper passes fresh label/weight arrays every round, so the last
    validated pair is kept and reused while the arrays are equal. Weights are honoured.
    """

    def __init__(self, loss: Loss) -> None:
        self.loss = loss
        self._last: tuple[np.ndarray, np.ndarray | None, PreparedTarget] | None = None
        self._outputs = OutputBuffers()

    def __call__(self, y_true, y_pred, sample_weight=None) -> tuple[np.ndarray, np.ndarray]:
        if not isinstance(y_pred, np.ndarray) and hasattr(y_pred, "get_label"):
            raise wrong_route("boostloss.xgboost.sklearn_objective(...)",
                              "arrays (y_true, y_pred, sample_weight)", y_pred)
        predt = np.asarray(y_pred)
        labels = np.asarray(y_true)
        if self.loss.output_kind == "multilabel" and labels.ndim == 1 and predt.ndim == 2:
            if labels.size == predt.size:
                labels = labels.reshape(predt.shape)
        target = self._target(labels, _weight_vector(sample_weight))
        raw = _as_raw(self.loss, predt, target)
        grad, hess = float32_grad_hess(self.loss, target.labels, raw, target.weight,
                                       buffers=self._outputs)
        return grad.reshape(predt.shape), hess.reshape(predt.shape)

    def _target(self, labels: np.ndarray, weight: np.ndarray | None) -> PreparedTarget:
        last = self._last
        if (
            last is not None
            and np.array_equal(last[0], labels)
            and ((weight is None and last[1] is None) or (
                weight is not None and last[1] is not None and np.array_equal(last[1], weight)
            ))
        ):
            return last[2]
        target = prepare_target(self.loss, labels, weight)
        if self._last is None and isinstance(self.loss.link, LogLink):
            warnings.warn(
                f"{self.loss.name} has a log link, which XGBRegressor does not know: with this "
                "objective its predict() returns log(mean). boostloss.xgboost.XGBRegressor("
                f"loss={self.loss.name!r}) predicts the mean (or apply loss.transform to "
                "predict(X, output_margin=True)).", UserWarning, stacklevel=2)
        self._last = (labels.copy(), None if weight is None else weight.copy(), target)
        return target


class XGBoostSklearnMetric(_PicklesOnlyTheLoss):
    """``(y_true, y_score, sample_weight=None) -> value`` for the scikit-learn wrappers'
    ``eval_metric=`` (``xgb.XGBRegressor(eval_metric=sklearn_metric("huber"))``).

    value = the sample-weighted mean loss on the margins XGBoost passes (its base_score
    included); ``__name__`` is ``loss.name``, which XGBoost reports and early-stops on
    (minimised). Labels are validated on every call.
    """

    def __init__(self, loss: Loss) -> None:
        self.loss = loss
        self.__name__ = loss.name

    def __call__(self, y_true, y_score, sample_weight=None) -> float:
        if not isinstance(y_score, np.ndarray) and hasattr(y_score, "get_label"):
            raise wrong_route("boostloss.xgboost.sklearn_metric(...)",
                              "arrays (y_true, y_score, sample_weight)", y_score)
        labels = np.asarray(y_true)
        predt = np.asarray(y_score)
        if self.loss.output_kind == "multilabel" and labels.ndim == 1 and predt.ndim == 2:
            labels = labels.reshape(predt.shape)
        target = prepare_target(self.loss, labels, _weight_vector(sample_weight))
        raw = _as_raw(self.loss, predt, target).astype(np.float64)
        return float(self.loss._metric(target.labels, raw, target.weight))


# ---------------------------------------------------------------------- zero-Hessian losses
class SurrogateObjective(XGBoostObjective):
    """absolute_error / quantile with XGBoost 3.4's smoothed MM surrogate grad/hess."""

    _reduce_sums = None  # one process holds every row: the local sums are the totals

    def _grad_hess(self, target, raw, dtrain):
        if self.loss.name == "absolute_error":
            grad, hess = absolute_error_grad_hess(target.labels, raw, target.weight,
                                                  self._reduce_sums)
        else:
            grad, hess = quantile_grad_hess(target.labels, raw, target.weight, self.loss.levels,
                                            self._reduce_sums)
        return _engine_arrays(self.loss, grad, hess)


# ---------------------------------------------------------------------- distributed (Dask)
def _allreduce_sum(values: np.ndarray) -> np.ndarray:
    from xgboost import collective

    return collective.allreduce(np.ascontiguousarray(values, dtype=np.float64),
                                collective.Op.SUM)


class _Distributed:
    """What the objective of one ``xgboost.dask.train`` worker adds. A worker that holds no
    training rows (every partition sits elsewhere, or it holds only evaluation rows) still
    runs every round of the collective; it contributes an empty gradient, not an error. It
    needs the model's number of outputs for that (XGBoost hands it predictions of shape
    (0,)), and it must still join every collective call the other workers make."""

    def __init__(self, loss: Loss, n_outputs: int = 1) -> None:
        super().__init__(loss)
        self.n_outputs = int(n_outputs)

    def __getstate__(self) -> dict[str, Any]:
        return {"loss": self.loss, "n_outputs": self.n_outputs}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["loss"], state["n_outputs"])

    def __call__(self, predt: np.ndarray, dtrain) -> tuple[np.ndarray, np.ndarray]:
        if dtrain.num_row() > 0:
            return super().__call__(predt, dtrain)
        self._join_collectives_without_rows()
        shape = (0,) if self.n_outputs == 1 else (0, self.n_outputs)
        empty = np.zeros(shape, dtype=np.float32)
        return empty, empty

    def _join_collectives_without_rows(self) -> None:
        """The collective calls a worker with rows makes in its gradient (none by default)."""


class DistributedObjective(_Distributed, XGBoostObjective):
    """The loss's objective on one worker of ``xgboost.dask.train``."""


class DistributedSurrogateObjective(_Distributed, SurrogateObjective):
    """``SurrogateObjective`` on one worker of ``xgboost.dask.train``: the residual scale's
    sums are added up over all workers with XGBoost's allreduce, so every worker uses the
    global scale (the single-machine value); a worker without rows adds zeros."""

    _reduce_sums = staticmethod(_allreduce_sum)

    def _join_collectives_without_rows(self) -> None:
        _allreduce_sum(np.zeros(self.n_outputs + 1))


def _refit_raw(refit: LeafRefit, dmatrix, raw: np.ndarray) -> np.ndarray:
    """The re-fitted model's margins on ``dmatrix``, shaped and typed like ``raw``."""
    refit.sync()
    return refit.margins(dmatrix).reshape(raw.shape).astype(raw.dtype, copy=False)


class RefitObjective(XGBoostObjective):
    """The loss's grad/hess on the re-fitted model's margins (XGBoost's cache holds the
    original leaf values; see ``boostloss.xgboost._refit``)."""

    def __init__(self, loss: Loss, refit: LeafRefit) -> None:
        super().__init__(loss)
        self.refit = refit

    def _grad_hess(self, target, raw, dtrain):
        raw = _refit_raw(self.refit, dtrain, raw)
        self.refit.objective_called()
        return super()._grad_hess(target, raw, dtrain)


class RefitMetric(XGBoostMetric):
    """The boostloss metric on the re-fitted model's margins."""

    def __init__(self, loss: Loss, refit: LeafRefit) -> None:
        super().__init__(loss)
        self.refit = refit

    def _raw(self, raw, dmatrix):
        return _refit_raw(self.refit, dmatrix, raw)


def refit_callback(refit: LeafRefit):
    xgb = import_xgboost()

    class LeafRefitCallback(xgb.callback.TrainingCallback):
        """Attaches the re-fit to the booster and writes the new leaves after training."""

        def before_training(self, model):
            refit.attach(model)
            return model

        def after_iteration(self, model, epoch, evals_log) -> bool:
            refit.sync()
            return False

        def after_training(self, model):
            refit.sync()
            refit.write_leaves(model)
            return model

    return LeafRefitCallback()
