"""Best constant predictions (init scores) shared by several losses.

Each helper returns the constant ``c`` minimising a weighted sum over samples; the losses
map it through their link where needed. Weights are ``None`` (all ones) or validated arrays.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["weighted_mean", "weighted_quantile", "minimize_convex_scalar", "minimize_scalar_global"]


def weighted_mean(values: np.ndarray, weight: np.ndarray | None) -> float:
    """sum(w * v) / sum(w); the plain mean when ``weight`` is None.

    If the sums overflow (values or weights near 1e308) although the mean is finite, the
    values and weights are first divided by powers of two (exact) near their maxima.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if weight is None:
            mean = float(np.mean(values))
        else:
            mean = float(np.dot(weight, values) / weight.sum())
    if np.isfinite(mean) or not np.all(np.isfinite(values)):
        return mean
    value_exponent = int(np.frexp(np.max(np.abs(values)))[1])
    scaled = np.ldexp(values, -value_exponent)
    if weight is None:
        return float(np.ldexp(np.mean(scaled), value_exponent))
    scaled_weight = np.ldexp(weight, -int(np.frexp(np.max(weight))[1]))
    return float(np.ldexp(np.dot(scaled_weight, scaled) / scaled_weight.sum(), value_exponent))


def weighted_quantile(values: np.ndarray, level: float, weight: np.ndarray | None) -> float:
    """A minimiser of the weighted pinball loss sum w_i * max(level*e_i, (level-1)*e_i).

    That is the smallest sorted value whose cumulative weight reaches ``level * sum(w)``.
    When the cumulative weight hits that target exactly, every point between the two
    neighbouring values is a minimiser and the midpoint is returned (so the unweighted
    median of an even-sized sample equals ``numpy.median``).
    """
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    if weight is None:
        cumulative = np.arange(1, values.size + 1, dtype=np.float64)
    else:
        sorted_weight = weight[order]
        keep = sorted_weight > 0  # zero-weight samples cannot be the quantile
        sorted_values, cumulative = sorted_values[keep], np.cumsum(sorted_weight[keep])
    target = level * cumulative[-1]
    index = int(np.searchsorted(cumulative, target, side="left"))
    index = min(index, sorted_values.size - 1)
    exact_hit = np.isclose(cumulative[index], target, rtol=1e-12, atol=0.0)
    if exact_hit and index + 1 < sorted_values.size:
        return float(0.5 * (sorted_values[index] + sorted_values[index + 1]))
    return float(sorted_values[index])


def minimize_convex_scalar(objective: Callable[[float], float], low: float, high: float) -> float:
    """Minimise a convex function of one variable on [low, high] to near machine precision.

    Bounded Brent (scipy) with an absolute tolerance scaled to the bracket, which is tight
    enough that the result agrees with any other minimiser to ~1e-9 of the data range.
    """
    from scipy.optimize import minimize_scalar  # imported here: it costs ~0.3 s at import

    if not high > low:
        return float(low)
    tolerance = 1e-12 * max(1.0, high - low, abs(low), abs(high))
    result = minimize_scalar(
        objective, bounds=(low, high), method="bounded", options={"xatol": tolerance, "maxiter": 500}
    )
    return float(result.x)


def minimize_scalar_global(
    objective: Callable[[float], float], low: float, high: float, n_grid: int = 161
) -> float:
    """Minimise a possibly non-convex function of one variable on [low, high].

    Evaluates a uniform grid, then refines with bounded Brent between the best grid point's
    neighbours, so a local dip elsewhere cannot trap the search.
    """
    grid = np.linspace(low, high, n_grid)
    values = np.array([objective(float(x)) for x in grid])
    best = int(np.argmin(values))
    left, right = grid[max(best - 1, 0)], grid[min(best + 1, n_grid - 1)]
    return minimize_convex_scalar(objective, float(left), float(right))
