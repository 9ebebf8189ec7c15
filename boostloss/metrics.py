"""Metric-only functions: evaluation on the response scale, not training objectives.

Every function takes ``y_true``, predictions and an optional ``sample_weight`` (weighted
mean over samples) and returns a float. Interval metrics take the interval either as two
arrays ``lower, upper`` or as one (n, 2) array ``lower`` with ``upper=None``.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_levels_param, check_number_param, check_sample_weight

__all__ = [
    "rmse",
    "mae",
    "mean_bias_error",
    "pinball",
    "coverage",
    "mean_interval_width",
    "interval_score",
]


def _average(values: np.ndarray, weight: np.ndarray | None) -> float:
    if weight is None:
        return float(np.mean(values))
    return float(np.dot(weight, values) / weight.sum())


def _pair(y_true, y_pred, sample_weight):
    y = as_float_array("y_true", y_true)
    pred = as_float_array("y_pred", y_pred)
    if y.ndim != 1:
        raise ValueError(f"y_true must have shape (n_samples,), got {y.shape}.")
    if pred.shape != y.shape:
        raise ValueError(f"y_pred must have shape {y.shape} like y_true, got {pred.shape}.")
    if y.size == 0:
        raise ValueError("metrics need at least one sample, got none.")
    return y, pred, check_sample_weight(sample_weight, y.size)


def rmse(y_true, y_pred, sample_weight=None) -> float:
    """Root mean squared error: sqrt(mean w (y - pred)^2)."""
    y, pred, weight = _pair(y_true, y_pred, sample_weight)
    return float(np.sqrt(_average((y - pred) ** 2, weight)))


def mae(y_true, y_pred, sample_weight=None) -> float:
    """Mean absolute error: mean w |y - pred|."""
    y, pred, weight = _pair(y_true, y_pred, sample_weight)
    return _average(np.abs(y - pred), weight)


def mean_bias_error(y_true, y_pred, sample_weight=None) -> float:
    """Mean bias: mean w (pred - y). Positive means the model over-predicts on average."""
    y, pred, weight = _pair(y_true, y_pred, sample_weight)
    return _average(pred - y, weight)


def pinball(y_true, y_pred, alpha=0.5, sample_weight=None) -> float:
    """Mean pinball (quantile) loss, averaged over samples and over levels.

    ``y_pred`` is (n,) for one level ``alpha`` or (n, q) for a list of q levels; the value
    per sample and level is max(alpha (y - pred), (alpha - 1) (y - pred)).
    """
    levels = check_levels_param("alpha", alpha)
    y = as_float_array("y_true", y_true)
    pred = as_float_array("y_pred", y_pred)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"y_true must have shape (n_samples,) with n >= 1, got {y.shape}.")
    if np.ndim(alpha) == 0:
        if pred.shape != y.shape:
            raise ValueError(f"y_pred must have shape {y.shape} for one level, got {pred.shape}.")
        pred = pred[:, None]
    elif pred.shape != (y.size, levels.size):
        raise ValueError(
            f"y_pred must have shape ({y.size}, {levels.size}) for {levels.size} levels, "
            f"got {pred.shape}."
        )
    weight = check_sample_weight(sample_weight, y.size)
    residual = y[:, None] - pred
    per_sample = np.maximum(levels * residual, (levels - 1.0) * residual).mean(axis=1)
    return _average(per_sample, weight)


def _interval(y_true, lower, upper, sample_weight):
    y = as_float_array("y_true", y_true)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"y_true must have shape (n_samples,) with n >= 1, got {y.shape}.")
    if upper is None:
        bounds = as_float_array("interval", lower)
        if bounds.shape != (y.size, 2):
            raise ValueError(
                f"an interval passed as one array must have shape ({y.size}, 2), got {bounds.shape}."
            )
        low, high = bounds[:, 0], bounds[:, 1]
    else:
        low, high = as_float_array("lower", lower), as_float_array("upper", upper)
        for name, bound in (("lower", low), ("upper", high)):
            if bound.shape != y.shape:
                raise ValueError(f"{name} must have shape {y.shape} like y_true, got {bound.shape}.")
    if np.any(low > high):
        count = int(np.count_nonzero(low > high))
        raise ValueError(f"{count} intervals have lower > upper; sort the bounds first.")
    return y, low, high, check_sample_weight(sample_weight, y.size)


def coverage(y_true, lower, upper=None, sample_weight=None) -> float:
    """Empirical coverage: the (weighted) share of y inside [lower, upper]."""
    y, low, high, weight = _interval(y_true, lower, upper, sample_weight)
    return _average(((y >= low) & (y <= high)).astype(np.float64), weight)


def mean_interval_width(y_true, lower, upper=None, sample_weight=None) -> float:
    """Mean width upper - lower (``y_true`` is only used for its length and the weights)."""
    _, low, high, weight = _interval(y_true, lower, upper, sample_weight)
    return _average(high - low, weight)


def interval_score(y_true, lower, upper=None, *, alpha=0.1, sample_weight=None) -> float:
    """Interval (Winkler) score of central (1 - alpha) intervals; lower is better.

    (upper - lower) + (2 / alpha) (lower - y) 1{y < lower} + (2 / alpha) (y - upper) 1{y > upper}
    (Gneiting & Raftery, 2007, eq. 43). It is a proper scoring rule for the alpha/2 and
    1 - alpha/2 quantiles: wide intervals and misses both cost.
    """
    alpha = check_number_param("alpha", alpha, low=0.0, high=1.0, low_open=True, high_open=True)
    y, low, high, weight = _interval(y_true, lower, upper, sample_weight)
    penalty = (2.0 / alpha) * (np.maximum(low - y, 0.0) + np.maximum(y - high, 0.0))
    return _average(high - low + penalty, weight)
