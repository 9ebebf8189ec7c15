"""Pure-numpy core of quantile interval forecasting: level bookkeeping, rearrangement and
split-conformal calibration (conformalized quantile regression, CQR).

No engine and no estimator here: ``boostloss.intervals`` validates inputs and calls these
functions on clean float64 arrays.

Conventions
-----------
* ``levels`` is a sorted float64 array of shape (q,) in (0, 1); quantile predictions are
  (n, q) arrays whose column j estimates the ``levels[j]`` conditional quantile.
* A *central pair* is two levels ``tau < 0.5`` and ``1 - tau``; it forms the central
  interval of nominal coverage ``1 - 2 tau`` (miscoverage ``alpha = 2 tau``).
* Rearrangement is sorting each row (Chernozhukov, Fernandez-Val & Galichon, 2010):
  sorted quantile curves are never further (in any L_p norm) from the true, monotone
  curve than the unsorted ones.

Conformalized quantile regression (Romano, Patterson & Candes, 2019)
--------------------------------------------------------------------
For one central pair with fitted bounds ``lo(x), hi(x)`` and a calibration set
``(x_i, y_i), i = 1..n`` that the model never saw, the conformity scores are::

    E_i = max(lo(x_i) - y_i, y_i - hi(x_i))

(negative when y_i lies strictly inside), and the calibrated interval is::

    [lo(x) - Q, hi(x) + Q],   Q = the k-th smallest E_i,   k = ceil((n + 1)(1 - alpha)),

i.e. Q is the ``ceil((n + 1)(1 - alpha)) / n`` empirical quantile of the scores. If the
calibration and test points are exchangeable, then marginally

    1 - alpha <= P(y in interval) <= 1 - alpha + 1 / (n + 1)

(the upper bound needs scores without ties). ``Q`` can be negative: the interval then
shrinks. ``k <= n`` requires ``n >= (1 - alpha) / alpha``; with fewer calibration samples
no finite ``Q`` gives the guarantee and ``conformal_quantile`` returns ``inf``.

Asymmetric CQR (Romano et al. 2019, Sec. 6)
-------------------------------------------
The lower and upper bounds are calibrated separately, each at ``alpha / 2``, on the signed
scores ``lo(x_i) - y_i`` and ``y_i - hi(x_i)``; the interval is ``[lo(x) - Q_lo, hi(x) +
Q_hi]`` and each tail misses with probability ``<= alpha / 2``. Both cases are written as
score *streams* (``stream_scores``, ``stream_alphas``): one per pair (symmetric) or two
per pair; shifts are ``(p, 2)`` arrays of (lower, upper) shifts.

Several central pairs and monotone columns
------------------------------------------
Each pair is calibrated at its own coverage. To keep every pair's guarantee after the
final sort, :func:`calibrate_pairs` (1) scores on the *sorted* raw quantiles, so the raw
pairs are nested, and (2) makes the shifts non-decreasing from the innermost pair
outwards (``Q_outer = max(Q_outer, Q_inner)``, per bound), which only widens outer
intervals. Then
every shifted lower bound has all lower bounds of outer levels at or below it, so after
sorting a row the value in its column can only move down (upper bounds: only up): the
sort widens every central interval and never narrows one, and each pair keeps its
``>= 1 - alpha`` guarantee. The median (if present) is not shifted.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "central_pairs",
    "conformal_quantile",
    "cqr_scores",
    "calibrate_pairs",
    "apply_shifts",
    "stream_alphas",
    "stream_scores",
    "stream_shifts",
    "min_calibration_samples",
    "rearrange",
]

# Guards ceil((n + 1)(1 - alpha)) against float noise: (1 - 0.9) * 100 is 10.000000000000002.
_CEIL_TOLERANCE = 1e-9


def rearrange(quantiles: np.ndarray) -> np.ndarray:
    """Sort every row: monotone quantile columns (a new array)."""
    return np.sort(quantiles, axis=1)


def central_pairs(levels: np.ndarray, *, atol: float = 1e-9) -> tuple[list[tuple[int, int]], list[int]]:
    """Split sorted ``levels`` into central pairs and unpaired levels.

    Returns ``(pairs, unpaired)``: ``pairs`` lists ``(lower_index, upper_index)`` with
    ``levels[upper] == 1 - levels[lower]`` (within ``atol``), from the innermost pair to
    the outermost; ``unpaired`` lists the remaining indices (e.g. the median 0.5).
    """
    q = levels.size
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for lower in range(q):
        if levels[lower] >= 0.5 - atol:
            break
        mirror = np.flatnonzero(np.abs(levels - (1.0 - levels[lower])) <= atol)
        if mirror.size:
            upper = int(mirror[0])
            pairs.append((lower, upper))
            used.update((lower, upper))
    pairs.reverse()  # innermost first
    unpaired = [j for j in range(q) if j not in used]
    return pairs, unpaired


def min_calibration_samples(alpha: float) -> int:
    """Smallest n with ``ceil((n + 1)(1 - alpha)) <= n``: fewer gives an infinite ``Q``."""
    n = max(1, math.ceil((1.0 - alpha) / alpha - _CEIL_TOLERANCE))
    while _rank(n, alpha) > n:  # float guard; at most one extra step
        n += 1
    return n


def _rank(n: int, alpha: float) -> int:
    """k = ceil((n + 1)(1 - alpha)), the order statistic CQR uses."""
    return math.ceil((n + 1) * (1.0 - alpha) - _CEIL_TOLERANCE)


def cqr_scores(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """CQR conformity scores ``max(lower - y, y - upper)``, shape (n,)."""
    return np.maximum(lower - y, y - upper)


def conformal_quantile(
    scores: np.ndarray, alpha: float, sample_weight: np.ndarray | None = None
) -> float:
    """The split-conformal quantile of ``scores`` for miscoverage ``alpha``.

    Unweighted: the k-th smallest score, ``k = ceil((n + 1)(1 - alpha))``; ``inf`` if
    ``k > n``. Weighted (weights as frequency weights, Tibshirani et al. 2019 with the test
    point's weight set to the mean calibration weight ``w_bar``): the smallest sorted score
    ``s_(k)`` whose cumulative weight reaches ``(1 - alpha)(W + w_bar)``, ``W`` the total
    calibration weight; with equal weights this is exactly the unweighted rule.
    """
    n = scores.size
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    if sample_weight is None:
        k = _rank(n, alpha)
        return float(sorted_scores[k - 1]) if k <= n else math.inf
    weight = sample_weight[order]
    total = weight.sum()
    mean_weight = total / n
    # In units of the mean weight this is (n + 1)(1 - alpha) - tolerance, as in _rank.
    target = (1.0 - alpha) * (total + mean_weight) - _CEIL_TOLERANCE * mean_weight
    cumulative = np.cumsum(weight)
    k = int(np.searchsorted(cumulative, target, side="left"))
    return float(sorted_scores[k]) if k < n else math.inf


def stream_alphas(levels: np.ndarray, pairs: list[tuple[int, int]], symmetric: bool
                  ) -> np.ndarray:
    """Target miscoverage of every score stream, shape (m,).

    Symmetric: one stream per pair (innermost first), ``alpha = 2 tau``. Asymmetric: two
    streams per pair, lower then upper, each ``alpha / 2 = tau``.
    """
    alphas = np.array([2.0 * levels[lower] for lower, _ in pairs])
    return alphas if symmetric else np.repeat(alphas / 2.0, 2)


def stream_scores(sorted_quantiles: np.ndarray, y: np.ndarray,
                  pairs: list[tuple[int, int]], symmetric: bool) -> np.ndarray:
    """Conformity scores of every row on every stream, shape (n, m).

    Symmetric: ``max(lo - y, y - hi)`` per pair. Asymmetric: ``lo - y`` and ``y - hi`` per
    pair (the lower bound misses iff ``lo - y > Q_lo``, the upper iff ``y - hi > Q_hi``).
    """
    columns = []
    for lower, upper in pairs:
        below, above = sorted_quantiles[:, lower] - y, y - sorted_quantiles[:, upper]
        columns += [np.maximum(below, above)] if symmetric else [below, above]
    return np.column_stack(columns) if columns else np.empty((y.size, 0))


def stream_shifts(thresholds: np.ndarray, symmetric: bool) -> np.ndarray:
    """Per-stream thresholds (..., m) -> shifts (..., p, 2) of (lower, upper) bounds, made
    non-decreasing from inner to outer pairs (keeps every guarantee under the sort)."""
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if symmetric:
        shifts = np.repeat(thresholds[..., None], 2, axis=-1)
    else:
        shifts = thresholds.reshape(*thresholds.shape[:-1], -1, 2)
    return np.maximum.accumulate(shifts, axis=-2) if shifts.shape[-2] else shifts


def calibrate_pairs(
    sorted_quantiles: np.ndarray,
    y: np.ndarray,
    levels: np.ndarray,
    pairs: list[tuple[int, int]],
    sample_weight: np.ndarray | None = None,
    *,
    symmetric: bool = True,
) -> np.ndarray:
    """CQR shifts for every central pair, non-decreasing from inner to outer pairs.

    ``sorted_quantiles`` is the rearranged (row-sorted) model output on the calibration
    set, (n, q). Returns ``shifts`` of shape (len(pairs), 2): the (lower, upper) shift of
    each pair in the order of ``pairs`` (innermost first), equal columns when
    ``symmetric``; ``inf`` where the calibration set is too small for that pair.
    Asymmetric CQR calibrates each bound at ``alpha / 2`` (Romano et al. 2019, Sec. 6):
    ``P(y < lo - Q_lo) <= alpha/2`` and ``P(y > hi + Q_hi) <= alpha/2``, so the interval
    covers with probability ``>= 1 - alpha`` and each tail is controlled on its own.
    """
    scores = stream_scores(sorted_quantiles, y, pairs, symmetric)
    alphas = stream_alphas(levels, pairs, symmetric)
    thresholds = np.array([
        conformal_quantile(scores[:, j], alphas[j], sample_weight) for j in range(alphas.size)
    ])
    return stream_shifts(thresholds, symmetric)


def apply_shifts(
    sorted_quantiles: np.ndarray, pairs: list[tuple[int, int]], shifts: np.ndarray
) -> np.ndarray:
    """Widen (or narrow, for a negative shift) every central pair, then sort each row.

    ``shifts`` is (p, 2) for all rows, or (n, p, 2) with one set of shifts per row.
    """
    shifted = sorted_quantiles.copy()
    for p, (lower, upper) in enumerate(pairs):
        shifted[:, lower] -= shifts[..., p, 0]
        shifted[:, upper] += shifts[..., p, 1]
    return rearrange(shifted)
