"""Smoothed, residual-scaled gradient/Hessian surrogates for the zero-Hessian losses.

``absolute_error`` and ``quantile`` have a Hessian that is 0 wherever it exists, so the
losses return 1 and a Newton leaf value becomes eta times the weighted mean of the signs:
at most eta per tree, whatever the scale of y. XGBoost 3.4 replaced its leaf re-fit for
``reg:absoluteerror`` / ``reg:quantileerror`` by majorize-minimize (MM, IRLS-like)
surrogates that use the standard gradient/Hessian path (dmlc/xgboost PR 12373 and 12386).
This module reproduces them for boostloss objectives; ``boostloss.xgboost.train`` uses them
with ``zero_hessian="surrogate"``.

With r = raw - y (prediction minus label), per output column j and weights w:

Absolute error (PR 12373)::

    delta = (sum_i w_i sqrt|r_i| / sum_i w_i)^2          # global residual scale
    c_i   = delta / sqrt(delta^2 + r_i^2)               # MM curvature of pseudo-Huber(delta)
    grad  = w_i r_i c_i,   hess = w_i c_i

The single-row Newton step is -r (straight to the label); rows far away get weight ~ delta/|r|
in a leaf, so a leaf value is an IRLS step towards the weighted median. delta shrinks with
the residuals as training proceeds.

Quantile level alpha (PR 12386), with fixed constants c = 0.04 and eps = 3e-4::

    S     = (sum_i w_i sqrt|r_i| / sum_i w_i)^2
    x_i   = r_i / (c S)
    grad  = w_i S / 2 * (tanh(x_i) + 1 - 2 alpha)
    hess  = w_i / (2 c) * max(tanh(x_i) / x_i, eps)     # tanh(x)/x -> 1 at x = 0

the gradient of a logistic-smoothed pinball loss and its quadratic MM majorizer. When all
residuals are 0 the scale is 0; then grad = 0 and hess = w (absolute error) or w / (2 c).
The returned arrays are float64, shaped like ``raw``; weights are multiplied in.

The scale is a mean over all training rows. On several processes (Dask) each one holds part
of the rows: ``reduce_sums`` receives the local sums [sum w sqrt|r| per column, sum w] and
must return their total over all processes (an allreduce), so every process uses the same
global scale and the trees equal single-machine training on the same bins.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "QUANTILE_SMOOTHING",
    "QUANTILE_MIN_CURVATURE",
    "absolute_error_grad_hess",
    "quantile_grad_hess",
    "residual_root_sums",
]

QUANTILE_SMOOTHING = 0.04
QUANTILE_MIN_CURVATURE = 3e-4


def residual_root_sums(abs_residual: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
    """[sum_i w_i sqrt|r_ij| for each column j, sum_i w_i]: float64, length columns + 1."""
    root = np.sqrt(abs_residual)
    if weight is None:
        numerator, total = root.sum(axis=0), float(abs_residual.shape[0])
    else:
        numerator, total = weight @ root, float(weight.sum())
    return np.append(np.atleast_1d(numerator).astype(np.float64), total)


def _residual_scale(abs_residual: np.ndarray, weight: np.ndarray | None,
                    reduce_sums=None) -> np.ndarray:
    """(weighted mean of sqrt|r|)^2 per column; shape () for 1-D input, (k,) for (n, k)."""
    sums = residual_root_sums(abs_residual, weight)
    if reduce_sums is not None:
        sums = np.asarray(reduce_sums(sums), dtype=np.float64)
    mean_root = sums[:-1] / sums[-1] if sums[-1] > 0 else np.zeros(sums.size - 1)
    scale = mean_root * mean_root
    return scale[0] if abs_residual.ndim == 1 else scale


def _weighted(grad: np.ndarray, hess: np.ndarray, weight: np.ndarray | None):
    if weight is not None:
        column = weight if grad.ndim == 1 else weight[:, None]
        grad *= column
        hess *= column
    return grad, hess


def absolute_error_grad_hess(y: np.ndarray, raw: np.ndarray, weight: np.ndarray | None,
                             reduce_sums=None):
    """MM pseudo-Huber surrogate of |y - raw| with an automatic scale (see module docstring).

    ``y`` and ``raw`` are (n,) float64; returns (grad, hess), each (n,) float64.
    """
    residual = raw - y
    abs_residual = np.abs(residual)
    delta = float(_residual_scale(abs_residual, weight, reduce_sums))
    if delta == 0.0:  # every residual is 0: nothing to fit, keep a unit curvature
        return _weighted(np.zeros_like(residual), np.ones_like(residual), weight)
    curvature = delta / np.hypot(delta, residual)  # hypot: no overflow for |r| up to 1e308
    return _weighted(residual * curvature, curvature, weight)


def quantile_grad_hess(
    y: np.ndarray, raw: np.ndarray, weight: np.ndarray | None, levels: np.ndarray,
    reduce_sums=None,
):
    """MM smoothed-pinball surrogate, one column per level (see module docstring).

    ``y`` is (n,); ``raw`` is (n,) for one level or (n, q) for q levels; returns (grad,
    hess) shaped like ``raw``.
    """
    residual = raw - (y if raw.ndim == 1 else y[:, None])
    alpha = levels[0] if raw.ndim == 1 else levels
    scale = _residual_scale(np.abs(residual), weight, reduce_sums)
    width = QUANTILE_SMOOTHING * scale
    # scale 0 means every (positively weighted) residual is 0: then x = 0 and grad = 0
    x = residual / np.where(width > 0, width, 1.0)
    tanh_x = np.tanh(x)
    nonzero = x != 0
    ratio = np.ones_like(x)
    np.divide(tanh_x, x, out=ratio, where=nonzero)  # tanh(x)/x, limit 1 at x = 0
    grad = 0.5 * scale * (tanh_x + 1.0 - 2.0 * alpha)
    hess = np.maximum(ratio, QUANTILE_MIN_CURVATURE) / (2.0 * QUANTILE_SMOOTHING)
    return _weighted(grad, hess, weight)
