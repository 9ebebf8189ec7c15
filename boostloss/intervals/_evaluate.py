"""The metric table of quantile forecasts: coverage, width, interval score, pinball."""

from __future__ import annotations

import numpy as np

from .. import metrics
from .._validation import check_levels_param
from ._levels import check_distinct_levels, contains, interval_levels

__all__ = ["evaluate_intervals"]


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
    lower_level, upper_level = interval_levels(coverage)
    levels = check_levels_param("levels", levels)
    check_distinct_levels("levels", levels)
    quantiles = np.asarray(quantiles, dtype=np.float64)
    lower, upper = contains(levels, lower_level), contains(levels, upper_level)
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
