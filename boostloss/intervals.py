"""Quantile interval forecasting: multi-quantile boosting, non-crossing quantiles and
split-conformal calibration (CQR).

``QuantileIntervalRegressor`` trains one quantile model for several levels (XGBoost: one
multi-output model; LightGBM: one model per level, several in parallel) through
``boostloss.sklearn.BoostLossRegressor`` with the ``quantile`` loss, rearranges the
predicted quantiles by sorting each row, and calibrates every central interval
``[tau, 1 - tau]`` on held-out data with conformalized quantile regression. The math
(scores, conformal quantile, shifts) lives in ``boostloss._intervals_conformal``; this
module validates inputs, splits the data and owns the estimator. ``evaluate_intervals``
computes the metric table (coverage, width, interval score, pinball) from
``boostloss.metrics``.
"""

from __future__ import annotations

import math
import numbers
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from . import metrics
from ._intervals_conformal import (
    apply_shifts,
    calibrate_pairs,
    central_pairs,
    min_calibration_samples,
    rearrange,
)
from ._validation import check_levels_param, check_number_param, check_sample_weight

__all__ = ["QuantileIntervalRegressor", "evaluate_intervals"]

_BACKENDS = ("xgboost", "lightgbm")
_CALIBRATIONS = ("conformal", None)
_LEVEL_ATOL = 1e-9


def _import_sklearn():
    try:
        import sklearn.base as sklearn_base
    except ImportError as exc:  # pragma: no cover - scikit-learn comes with boostloss[sklearn]
        raise ImportError(
            "QuantileIntervalRegressor needs scikit-learn; install it with "
            "`pip install boostloss[sklearn]`."
        ) from exc
    return sklearn_base


_sklearn_base = _import_sklearn()


# ---------------------------------------------------------------------------
# Levels
# ---------------------------------------------------------------------------


def interval_levels(coverage: float) -> tuple[float, float]:
    """The central interval's levels ``((1 - c) / 2, 1 - (1 - c) / 2)``, rounded to 12 digits
    (so coverage=0.9 gives exactly 0.05 and 0.95, not 0.04999999999999999)."""
    lower = round((1.0 - coverage) / 2.0, 12)
    return lower, round(1.0 - lower, 12)


def _contains(levels: np.ndarray, level: float) -> int | None:
    hits = np.flatnonzero(np.abs(levels - level) <= _LEVEL_ATOL)
    return int(hits[0]) if hits.size else None


def resolve_levels(
    coverage: float, quantiles: Any, *, symmetric: bool
) -> tuple[np.ndarray, int, int, int]:
    """Validated sorted levels and the column indices of (lower, median, upper).

    ``quantiles=None`` gives ``[(1 - c)/2, 0.5, 1 - (1 - c)/2]``. Otherwise the list must
    contain both interval ends and 0.5 (``predict`` is the median); with ``symmetric=True``
    (conformal calibration) every level other than 0.5 needs its mirror level ``1 - tau``.
    """
    coverage = check_number_param(
        "coverage", coverage, low=0.0, high=1.0, low_open=True, high_open=True
    )
    lower, upper = interval_levels(coverage)
    if quantiles is None:
        levels = np.array([lower, 0.5, upper])
    else:
        levels = np.sort(check_levels_param("quantiles", quantiles))
    missing = [lvl for lvl in (lower, 0.5, upper) if _contains(levels, lvl) is None]
    if missing:
        raise ValueError(
            f"quantiles={list(np.asarray(quantiles).tolist())!r} must contain the interval ends "
            f"{lower!r} and {upper!r} of coverage={coverage!r} and the median 0.5 (predict "
            f"returns it); missing: {missing!r}. Add them, or pass quantiles=None for "
            f"[{lower!r}, 0.5, {upper!r}]."
        )
    if symmetric:
        pairs, unpaired = central_pairs(levels, atol=_LEVEL_ATOL)
        lonely = [float(levels[j]) for j in unpaired if abs(levels[j] - 0.5) > _LEVEL_ATOL]
        if lonely:
            raise ValueError(
                f"calibration='conformal' calibrates central intervals [tau, 1 - tau], so every "
                f"level needs its mirror level; {lonely!r} have none in quantiles="
                f"{levels.tolist()!r}. Add {[round(1.0 - v, 12) for v in lonely]!r}, or pass "
                "calibration=None."
            )
    return (
        levels,
        _contains(levels, lower),  # type: ignore[return-value]
        _contains(levels, 0.5),  # type: ignore[return-value]
        _contains(levels, upper),  # type: ignore[return-value]
    )


# ---------------------------------------------------------------------------
# Metric table
# ---------------------------------------------------------------------------


def evaluate_intervals(
    y_true,
    quantiles,
    levels,
    *,
    coverage: float = 0.9,
    sample_weight=None,
) -> dict[str, float]:
    """The metric table of quantile forecasts ``quantiles`` (n, q) at ``levels`` (q,).

    The interval is the pair of columns at levels ``(1 - coverage)/2`` and
    ``1 - (1 - coverage)/2`` (both must be in ``levels``). Returns a dict:

    - ``coverage``: share of ``y`` inside the interval (``metrics.coverage``);
    - ``mean_width``: mean interval width (``metrics.mean_interval_width``);
    - ``interval_score``: Winkler score with ``alpha = 1 - coverage``
      (``metrics.interval_score``; lower is better);
    - ``mean_pinball``: pinball loss averaged over samples and all levels
      (``metrics.pinball``; lower is better).

    All are sample-weighted means when ``sample_weight`` is given.
    """
    coverage = check_number_param(
        "coverage", coverage, low=0.0, high=1.0, low_open=True, high_open=True
    )
    levels = check_levels_param("levels", levels)
    quantiles = np.asarray(quantiles, dtype=np.float64)
    lower_level, upper_level = interval_levels(coverage)
    lower, upper = _contains(levels, lower_level), _contains(levels, upper_level)
    if lower is None or upper is None:
        raise ValueError(
            f"levels={levels.tolist()!r} must contain the interval ends {lower_level!r} and "
            f"{upper_level!r} of coverage={coverage!r}."
        )
    if quantiles.ndim != 2 or quantiles.shape[1] != levels.size:
        raise ValueError(
            f"quantiles must have shape (n_samples, {levels.size}), one column per level, "
            f"got {quantiles.shape}."
        )
    interval = quantiles[:, [lower, upper]]
    alpha = 1.0 - coverage
    return {
        "coverage": metrics.coverage(y_true, interval, sample_weight=sample_weight),
        "mean_width": metrics.mean_interval_width(y_true, interval, sample_weight=sample_weight),
        "interval_score": metrics.interval_score(
            y_true, interval, alpha=alpha, sample_weight=sample_weight
        ),
        "mean_pinball": metrics.pinball(
            y_true, quantiles, alpha=levels.tolist(), sample_weight=sample_weight
        ),
    }
