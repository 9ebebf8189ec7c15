"""Which compiled kernel runs a loss's grad/hess, with which parameters (the default path).

The engines call an objective every boosting round on every row, so its cost is paid
hundreds of times per fit. The numpy reference in ``losses/`` is the readable oracle; the
compiled kernels (C loops in ``losses/_loops.h`` and ``_row_loops.h``, vectorised, behind
``losses/_kernels.pyx``) compute the same formulas in one pass (float32 or
float64 in, float64 math, weights and the Hessian floor applied, float32 or float64 out in
the layout the engine ingests). ``tests/test_compiled.py`` holds them to the reference,
within 2 float32 ulp of what the engine receives, for every loss and parameter setting.

This module maps a loss object to its kernel: by ``loss.name`` and only for the parameters
listed in ``_KERNELS``, so a loss (or a parameter) without a kernel runs the numpy reference
instead of a kernel that would ignore it. The plan for a loss is built once and cached.

The extension is compiled when boostloss is installed (``pip install .``, setup.py) and
imported on first use, so ``import boostloss`` does not load it. Where it is missing (a
platform without a C compiler) the numpy reference runs, with one warning per process.
``use_compiled_kernels(False)`` (environment: ``BOOSTLOSS_COMPILED=0``) switches the kernels
off, e.g. to time or debug the reference. The kernels run on the calling thread only: inside
an engine callback the engine's OpenMP threads own the cores.
"""

from __future__ import annotations

import os
import warnings
import weakref
from collections.abc import Callable

import numpy as np

__all__ = [
    "available",
    "enabled_module",
    "checked_grad_hess",
    "enabled",
    "grad_hess",
    "kernel_names",
    "use_compiled_kernels",
]

_ENV_MODES = {"0": False, "1": True}


def _mode_from_environment() -> bool:
    value = os.environ.get("BOOSTLOSS_COMPILED", "1").strip().lower()
    if value not in _ENV_MODES:
        raise ValueError(
            f"BOOSTLOSS_COMPILED must be 0 or 1, got {value!r}; unset it for the default (1)."
        )
    return _ENV_MODES[value]


_STATE: dict[str, object] = {"mode": _mode_from_environment(), "module": None, "warned": False}


def _load():
    """The compiled extension module, or None if it is not built (imported once)."""
    if _STATE["module"] is None:
        try:
            from . import _kernels
        except ImportError:
            _kernels = False
        _STATE["module"] = _kernels
    return _STATE["module"] or None


def available() -> bool:
    """True if the compiled kernels were built and import."""
    return _load() is not None


def use_compiled_kernels(mode: bool = True) -> None:
    """Switch the compiled grad/hess kernels on (the default) or off (numpy reference).

    Raises ImportError for ``True`` when the extension was not built (no C compiler when
    boostloss was installed).
    """
    if not isinstance(mode, bool):
        raise TypeError(f"mode must be True or False, got {mode!r}.")
    if mode and not available():
        raise ImportError(
            "boostloss's compiled kernels are not built (boostloss/losses/_kernels); "
            "reinstall with a C compiler available: pip install --force-reinstall boostloss."
        )
    _STATE["mode"] = mode


def enabled() -> bool:
    """True if grad/hess calls run the compiled kernels (switched on and built).

    The first time they are switched on but missing, warns once that the (slower) numpy
    reference runs instead.
    """
    if not _STATE["mode"]:
        return False
    if available():
        return True
    if not _STATE["warned"]:
        _STATE["warned"] = True
        warnings.warn(
            "boostloss's compiled kernels are not built (no C compiler at install time?); "
            "using the numpy reference, which is correct but several times slower. "
            "Reinstall boostloss with a C compiler to get them.",
            RuntimeWarning,
            stacklevel=3,
        )
    return False


def enabled_module():
    """The compiled extension if grad/hess calls use it (``enabled()``), else None: for the
    other compiled helpers it holds (the LightGBM leaf renewal's)."""
    return _load() if enabled() else None


# ----------------------------------------------------------------------------- the table
# loss name -> (parameters the kernel implements, builder(kernels, loss, k) -> run).
# run(y, raw, weight, grad, hess) calls one kernel and returns 1 if it stored a non-finite
# output, else 0; k is raw's column count.
Runner = Callable[..., None]


def _class_weight(loss, k: int) -> np.ndarray:
    weights = np.ones(k) if loss.class_weight is None else loss.class_weight
    return np.ascontiguousarray(weights, dtype=np.float64)


def _softmax_cross_entropy(kernels, loss, k: int) -> Runner:
    c = _class_weight(loss, k)
    factor = {"exact": 1.0, "xgboost": 2.0, "lightgbm": k / (k - 1.0)}[loss.hessian]
    eps = loss.label_smoothing

    def run(y, raw, weight, grad, hess):
        if y.ndim == 2:  # probability targets (n, k)
            return kernels.softmax_soft(y, raw, weight, grad, hess, c, eps, factor)
        return kernels.softmax(kernels.SOFTMAX_CROSS_ENTROPY, y, raw, weight, grad, hess, c,
                               eps, factor)

    return run


def _softmax_focal(kernels, loss, k: int) -> Runner:
    c = _class_weight(loss, k)

    def run(y, raw, weight, grad, hess):
        return kernels.softmax(kernels.SOFTMAX_FOCAL, y, raw, weight, grad, hess, c,
                               loss.gamma, 0.0)

    return run


def _kl_divergence(kernels, loss, k: int) -> Runner:
    """binary (k = 1): the logistic kernel (the same grad/hess); (n, k) targets: the
    soft-target softmax kernel without class weights or smoothing"""
    if k == 1:
        return _separable("logistic", lambda loss: 1.0, lambda loss: 0.0)(kernels, loss, k)
    ones = np.ones(k)
    return lambda y, raw, weight, grad, hess: kernels.softmax_soft(y, raw, weight, grad, hess,
                                                                   ones, 0.0, 1.0)


def _parameters(values) -> np.ndarray:
    """A kernel's parameter vector: the values, then zeros up to PARAMETER_COUNT."""
    from ._kernels import PARAMETER_COUNT

    vector = np.zeros(PARAMETER_COUNT)
    vector[: len(values)] = [float(value) for value in values]
    return vector


def _separable(kernel_name: str | Callable, *parameters: Callable) -> Callable:
    """builder for a separable kernel (``kernel_name``, or a function of the loss giving it)
    whose parameters are functions of the loss."""

    def build(kernels, loss, k: int) -> Runner:
        name = kernel_name(loss) if callable(kernel_name) else kernel_name
        kernel = kernels.SEPARABLE[name]
        values = _parameters([parameter(loss) for parameter in parameters])
        separable = kernels.separable
        return lambda y, raw, weight, grad, hess: separable(kernel, y, raw, weight, grad, hess,
                                                            values)

    return build


def _quantile(kernels, loss, k: int) -> Runner:
    """every level at once: raw (n, q), one label per row (a broadcast view, stride 0)"""
    kernel = kernels.COLUMNS["quantile"]
    levels = np.ascontiguousarray(np.stack([_parameters([level]) for level in loss.levels]))
    columns = kernels.columns

    def run(y, raw, weight, grad, hess):
        return columns(kernel, np.broadcast_to(y[:, None], raw.shape), raw, weight, grad, hess,
                       levels)

    return run


def _multilabel_logistic(kernels, loss, k: int) -> Runner:
    """the logistic kernel per column, with the column's pos_weight (1 if None)"""
    kernel = kernels.COLUMNS["logistic"]
    if loss.pos_weight is None:
        per_label = _parameters([1.0, 0.0])[None, :]  # shared by every column
    else:
        per_label = np.ascontiguousarray(
            np.stack([_parameters([weight, 0.0]) for weight in loss.pos_weight]))
    columns = kernels.columns
    return lambda y, raw, weight, grad, hess: columns(kernel, y, raw, weight, grad, hess,
                                                      per_label)


def _overlap(a: Callable, fp_weight: Callable, fn_weight: Callable) -> Callable:
    def build(kernels, loss, k: int) -> Runner:
        values = (a(loss), fp_weight(loss), fn_weight(loss), loss.smooth)
        overlap = kernels.overlap
        return lambda y, raw, weight, grad, hess: overlap(y, raw, weight, grad, hess, *values)

    return build


def _irls(loss) -> bool:
    """hessian="irls" (psi(e)/e) rather than "exact" (robust regression losses)."""
    return loss.hessian == "irls"


def _focal_alpha(loss) -> float:
    return 0.0 if loss.alpha is None else loss.alpha


def _focal_kernel(loss) -> str:
    """gamma 0, 1, 2 by products of u = 1 - q; any other gamma through exp and log1p"""
    return "focal" if loss.gamma in (0.0, 1.0, 2.0) else "focal_power"


_KERNELS: dict[str, tuple[tuple[str, ...], Callable]] = {
    "squared_error": ((), _separable("squared_error")),
    "absolute_error": ((), _separable("absolute_error")),
    "huber": (("delta", "hessian", "hessian_floor"),
              _separable("huber", lambda loss: loss.delta, lambda loss: loss.hessian_floor,
                         _irls)),
    "smooth_l1": (("beta", "hessian_floor"),
                  _separable("smooth_l1", lambda loss: loss.beta,
                             lambda loss: loss.effective_hessian_floor)),
    "pseudo_huber": (("delta", "hessian", "hessian_floor"),
                     _separable("pseudo_huber", lambda loss: loss.delta,
                                lambda loss: loss.hessian_floor, _irls)),
    "log_cosh": (("hessian", "hessian_floor"),
                 _separable("log_cosh", lambda loss: loss.hessian_floor, _irls)),
    "fair": (("c", "hessian", "hessian_floor"),
             _separable("fair", lambda loss: loss.c, lambda loss: loss.hessian_floor, _irls)),
    "expectile": (("alpha",), _separable("expectile", lambda loss: loss.alpha)),
    "quantile": (("alpha",), _quantile),
    "poisson": (("max_delta_step",),
                _separable("poisson", lambda loss: loss.max_delta_step,
                           lambda loss: np.exp(loss.max_delta_step))),
    "gamma": ((), _separable("gamma")),
    "tweedie": (("power",), _separable("tweedie", lambda loss: loss.power)),
    "logistic": (("pos_weight", "label_smoothing", "soft_labels"),  # targets in [0, 1]: same formula
                 _separable("logistic",
                            lambda loss: 1.0 if loss.pos_weight is None else loss.pos_weight,
                            lambda loss: loss.label_smoothing)),
    # KL divergence: the gradients of the soft-label cross-entropy (soft.py)
    "kl_divergence": ((), _kl_divergence),
    "focal": (("gamma", "alpha"),
              _separable(_focal_kernel, lambda loss: loss.gamma, _focal_alpha,
                         lambda loss: loss.alpha is not None, lambda loss: loss.gamma == 2,
                         lambda loss: loss.gamma == 1, lambda loss: loss.gamma == 0)),
    "squared_hinge": (("hessian_floor",),
                      _separable("squared_hinge", lambda loss: loss.hessian_floor)),
    "smooth_hinge": (("hessian_floor",),
                     _separable("smooth_hinge", lambda loss: loss.hessian_floor)),
    "multilabel_logistic": (("pos_weight",), _multilabel_logistic),
    "softmax_cross_entropy": (("class_weight", "label_smoothing", "n_classes", "hessian"),
                              _softmax_cross_entropy),
    "softmax_focal": (("gamma", "class_weight", "n_classes"), _softmax_focal),
    "dice": (("smooth",), _overlap(lambda loss: 2.0, lambda loss: 1.0, lambda loss: 1.0)),
    "tversky": (("alpha", "beta", "smooth"),
                _overlap(lambda loss: 1.0, lambda loss: loss.alpha, lambda loss: loss.beta)),
}
# 2-D kernels: raw, grad and hess are passed as (n, k) arrays (single-level quantile: k = 1).
_TWO_D = ("quantile", "multilabel_logistic", "softmax_cross_entropy", "softmax_focal")


def kernel_names() -> tuple[str, ...]:
    """Names of the losses that have a compiled kernel."""
    return tuple(_KERNELS)


# id(loss) -> (weak reference to it, {k: runner or None}); losses are immutable.
_PLANS: dict[int, tuple[weakref.ref, dict[int, Runner | None]]] = {}


def _runner(loss, k: int) -> Runner | None:
    key = id(loss)
    cached = _PLANS.get(key)
    if cached is None or cached[0]() is not loss:
        cached = (weakref.ref(loss, lambda _, key=key, plans=_PLANS: plans.pop(key, None)), {})
        _PLANS[key] = cached
    runners = cached[1]
    if k not in runners:
        runners[k] = _build(loss, k)
    return runners[k]


def _build(loss, k: int) -> Runner | None:
    entry = _KERNELS.get(loss.name)
    kernels = _load()
    if entry is None or kernels is None or not type(loss).__module__.startswith("boostloss."):
        return None
    handled, build = entry
    if set(loss.param_names()) - set(handled):  # a parameter the kernel does not know
        return None
    return build(kernels, loss, k)


_NO_WEIGHT = np.empty(0, dtype=np.float64)


def grad_hess(loss, y: np.ndarray, raw: np.ndarray, weight: np.ndarray | None,
              dtype=np.float64, order: str = "C"):
    """(grad, hess) from the compiled kernel of ``loss``, or None if it has none.

    ``y`` are validated labels, ``raw`` scores shaped as the loss expects ((n,), (n, 1) for
    single-output losses, (n, k)), ``weight`` None or (n,). Outputs are shaped like raw, of
    ``dtype`` (float32 or float64) in ``order`` ("C", or "F" = LightGBM's class-major).
    """
    result = checked_grad_hess(loss, y, raw, weight, dtype, order)
    return None if result is None else result[:2]


def checked_grad_hess(loss, y: np.ndarray, raw: np.ndarray, weight: np.ndarray | None,
                      dtype=np.float64, order: str = "C", buffers=None):
    """``grad_hess`` plus 1 if a stored value is not finite (beyond ``dtype``'s range, or
    NaN), else 0, flagged by the kernel as it writes them; None without a kernel.
    ``buffers`` (``boostloss._adapter.OutputBuffers``) supplies the output arrays."""
    k = raw.shape[1] if raw.ndim == 2 else 1
    run = _runner(loss, k)
    if run is None:
        return None
    if buffers is None:
        grad = np.empty(raw.shape, dtype=dtype, order=order)
        hess = np.empty(raw.shape, dtype=dtype, order=order)
    else:  # the arrays of the caller's previous round, if nothing else holds them
        grad, hess = buffers.get(raw.shape, np.dtype(dtype), order)
    if raw.dtype != np.float32:
        raw = np.asarray(raw, dtype=np.float64)  # float32 is read as is; the math is float64
    weight = _NO_WEIGHT if weight is None else np.ascontiguousarray(weight, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)  # the validated labels (softmax: class ids 0..k-1)
    if loss.name in _TWO_D or k > 1:  # (k > 1: kl_divergence's (n, k) targets)
        if raw.ndim == 1:
            raw, out_grad, out_hess = raw[:, None], grad[:, None], hess[:, None]
        else:
            out_grad, out_hess = grad, hess
        if y.ndim == 1:
            y = np.ascontiguousarray(y)
    else:  # 1-D kernels: (n,) or (n, 1) as a contiguous vector
        raw = np.ascontiguousarray(raw.reshape(-1))
        out_grad, out_hess = grad.reshape(-1), hess.reshape(-1)
        y = np.ascontiguousarray(y)
    nonfinite = run(y, raw, weight, out_grad, out_hess)
    return grad, hess, nonfinite
