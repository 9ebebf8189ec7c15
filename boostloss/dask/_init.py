"""Init scores (best constant raw scores) from the whole distributed dataset.

A loss's ``init_score`` minimises ``sum_i w_i loss(y_i, c)`` over constants ``c``. On Dask the
rows live on several workers, so boostloss reduces them to a small *sufficient statistic*
with one pass per round over the partitions, then hands that statistic to the loss's own
``init_score`` (no loss math is repeated here). Strategies, chosen from the loss's facts:

=====================  =====================================  =============================
losses                 statistic                              accuracy
=====================  =====================================  =============================
binary, multiclass,    total weight T_v of every distinct     exact: sum_i w_i loss(y_i, c)
multilabel tasks       label value (row, for multilabel)      = sum_v T_v loss(v, c)
squared_error,         W = sum w, S = sum w y                 exact: the minimiser depends
poisson, gamma,                                               on y only through S / W
tweedie
absolute_error,        the rows around the weighted           exact (distributed selection,
quantile               alpha-quantile, plus the weight and    see ``weighted_quantiles``)
                       nearest value on either side
other identity-link    W, min y, max y; then one pass per     root of the gradient sum to
regression (huber,     evaluation of the gradient sum         ~1e-14 of the label range;
smooth_l1, ...)        sum w grad(y, c) (``brentq``)          agrees with the single-
                                                              machine Brent to its ~1e-8
=====================  =====================================  =============================

"Exact" means: the same number the single-machine ``loss.init_score`` returns on the
concatenated data, up to the order in which floating-point sums are added (partition sums
are combined on the client in partition order, so a result is reproducible). Unweighted
counts are integers and add up exactly.
"""

from __future__ import annotations

import math

import numpy as np

from ..losses.base import Loss
from ..losses.regression import _ConvexRegressionLoss
from ..registry import get_loss
from ._data import TargetParts

__all__ = ["distributed_init_score", "weighted_quantiles", "init_strategy"]

#: Losses whose best constant depends on the labels only through the weighted mean of y.
MEAN_SUFFICIENT = frozenset({"squared_error", "poisson", "gamma", "tweedie"})
#: Losses whose best constant is a weighted quantile of y (level 0.5 for absolute_error).
QUANTILE_LOSSES = frozenset({"absolute_error", "quantile"})

#: Selection stops narrowing once this many rows are left around a quantile; they are sent
#: to the client (as distinct values with their total weights).
GATHER_LIMIT = 65_536
#: Bins per narrowing round (each round shrinks the bracket's value range by this factor).
N_BINS = 1024


def init_strategy(loss: Loss) -> str:
    """Name of the strategy ``distributed_init_score`` uses for ``loss`` (see module doc)."""
    if loss.task in ("binary", "multiclass", "multilabel"):
        return "label_totals"
    if loss.name in MEAN_SUFFICIENT:
        return "weighted_mean"
    if loss.name in QUANTILE_LOSSES:
        return "weighted_quantile"
    if isinstance(loss, _ConvexRegressionLoss):
        return "scalar_minimisation"
    raise ValueError(
        f"{loss.name}: boostloss has no distributed init score for this loss. Pass "
        "init_score=<float or array> explicitly (e.g. computed on a sample)."
    )


def distributed_init_score(parts: TargetParts, loss: Loss):
    """``loss.init_score`` of the whole distributed dataset held by ``parts``."""
    strategy = init_strategy(loss)
    stats = parts.map(_range_stats)
    if sum(s[4] for s in stats) == 0:
        raise ValueError(f"{loss.name}: init_score needs at least one sample, got none.")
    value_range = _summarise_range(stats)
    if not value_range[1] > 0:
        raise ValueError("sample_weight sums to zero: at least one sample needs a positive weight.")
    if strategy == "label_totals":
        values, totals = _label_totals(parts)
        return loss.init_score(values, sample_weight=totals)
    if strategy == "weighted_mean":
        sums = np.array(parts.map(_weighted_sums))
        mean = sums[:, 1].sum() / sums[:, 0].sum()
        return loss.init_score(np.array([mean]))
    if strategy == "weighted_quantile":
        levels = loss.levels if loss.name == "quantile" else np.array([0.5])
        scores = weighted_quantiles(parts, levels, value_range=value_range)
        if loss.is_multi_output:
            return np.array(scores)
        return float(scores[0])
    return _minimise_scalar(parts, loss, value_range)


# --------------------------------------------------------------------- per-partition kernels
def _positive(labels, weight):
    """The rows that count (weight > 0) and their weights (None: all ones)."""
    if weight is None:
        return labels, None
    keep = weight > 0
    return labels[keep], weight[keep]


def _range_stats(labels, weight):
    """(rows with weight > 0, their weight sum, min y, max y, all rows) of one partition;
    min/max only for 1-D labels."""
    n_rows = int(labels.shape[0])
    values, w = _positive(labels, weight)
    if values.shape[0] == 0:
        return 0, 0.0, math.inf, -math.inf, n_rows
    total = float(values.shape[0]) if w is None else float(w.sum())
    if values.ndim != 1:
        return int(values.shape[0]), total, math.nan, math.nan, n_rows
    return int(values.size), total, float(values.min()), float(values.max()), n_rows


def _weighted_sums(labels, weight):
    if weight is None:
        return float(labels.shape[0]), float(labels.sum())
    return float(weight.sum()), float(np.dot(weight, labels))


def _label_totals_part(labels, weight):
    if labels.shape[0] == 0:
        return labels, np.zeros(0)
    axis = 0 if labels.ndim == 2 else None
    values, inverse = np.unique(labels, axis=axis, return_inverse=True)
    totals = np.bincount(inverse.ravel(), weights=weight, minlength=values.shape[0])
    return values, totals.astype(np.float64)


def _global_range(parts: TargetParts):
    """(rows with weight > 0, their total weight, min y, max y) over all partitions."""
    return _summarise_range(parts.map(_range_stats))


def _summarise_range(stats):
    count = sum(s[0] for s in stats)
    total = math.fsum(s[1] for s in stats) if count else 0.0
    low = min((s[2] for s in stats), default=math.inf)
    high = max((s[3] for s in stats), default=-math.inf)
    return count, total, low, high


def _label_totals(parts: TargetParts):
    """Distinct label values (rows) of the whole dataset and the total weight of each."""
    pieces = [p for p in parts.map(_label_totals_part) if p[0].shape[0]]
    values = np.concatenate([p[0] for p in pieces])
    totals = np.concatenate([p[1] for p in pieces])
    axis = 0 if values.ndim == 2 else None
    distinct, inverse = np.unique(values, axis=axis, return_inverse=True)
    return distinct, np.bincount(inverse.ravel(), weights=totals, minlength=distinct.shape[0])


# --------------------------------------------------------------------- weighted quantiles
def _cut_points(low: float, high: float, n_bins: int) -> np.ndarray:
    """Strictly increasing cut points strictly inside (low, high), without overflow."""
    t = np.arange(1, n_bins) / n_bins
    cuts = low * (1.0 - t) + high * t  # no (high - low), which can overflow
    cuts = np.unique(cuts[(cuts > low) & (cuts < high)])
    return cuts


def _bracket_histograms(labels, weight, *, brackets):
    """Per bracket (low, high, cuts): weight, row count, smallest and largest value per bin
    (low, c1], (c1, c2], ..., (c_m, high]."""
    values, w = _positive(labels, weight)
    out = []
    for low, high, cuts in brackets:
        inside = (values > low) & (values <= high)
        chosen = values[inside]
        bins = np.searchsorted(cuts, chosen, side="left")
        size = cuts.size + 1
        counts = np.bincount(bins, minlength=size).astype(np.float64)
        weights = counts if w is None else np.bincount(bins, weights=w[inside], minlength=size)
        smallest = np.full(size, math.inf)
        largest = np.full(size, -math.inf)
        np.minimum.at(smallest, bins, chosen)
        np.maximum.at(largest, bins, chosen)
        out.append((weights, counts, smallest, largest))
    return out


def _bracket_rows(labels, weight, *, brackets):
    """Per bracket (low, high): distinct values inside with their total weights, the weight
    and largest value at or below ``low``, the weight and smallest value above ``high``."""
    values, w = _positive(labels, weight)
    w = np.ones(values.shape[0]) if w is None else w
    out = []
    for low, high in brackets:
        below, above = values <= low, values > high
        inside = ~(below | above)
        distinct, inverse = np.unique(values[inside], return_inverse=True)
        totals = np.bincount(inverse, weights=w[inside], minlength=distinct.size)
        out.append(
            (
                distinct,
                totals,
                float(w[below].sum()),
                float(values[below].max()) if below.any() else -math.inf,
                float(w[above].sum()),
                float(values[above].min()) if above.any() else math.inf,
            )
        )
    return out


def weighted_quantiles(
    parts: TargetParts, levels, *, gather_limit: int = GATHER_LIMIT, n_bins: int = N_BINS,
    value_range=None,
) -> list[float]:
    """Exact weighted quantiles of 1-D distributed labels, one per level.

    Same definition as the single-machine init score (``losses._constant.weighted_quantile``:
    the smallest value whose cumulative weight reaches level * W, the midpoint of it and the
    next value when the cumulative weight hits the target exactly; zero weights ignored).

    Distributed selection: keep a bracket (low, high] known to hold the answer. Each round is
    one pass over the partitions computing, on ``n_bins`` equal-width bins between the
    smallest and largest value in the bracket, the weight, row count, smallest and largest
    value of every bin; the bracket becomes the bin where the cumulative weight crosses the
    target, shrunk to the values it holds. Once at most ``gather_limit`` rows remain in it, or
    they all share one value (ties), a last pass returns them as distinct values with their
    total weights, plus the total weight and nearest value on each side of the bracket. On
    that small summary the single-machine rule gives the same answer as on the full data,
    because it sees the same cumulative weights around the target. The only possible
    difference: a cumulative weight that equals the target to within floating-point
    rounding, summed in another order. Each round divides the bracket's value range by
    ``n_bins`` (1024): a handful of rounds for real data.
    """
    levels = np.atleast_1d(np.asarray(levels, dtype=np.float64))
    count, total, low, high = _global_range(parts) if value_range is None else value_range
    if count == 0:
        raise ValueError("weighted quantile of an empty dataset (or all weights zero).")
    # Per level: the bracket (low, high], its row count, the smallest and largest value in
    # it, the target cumulative weight and the weight at or below ``low``.
    brackets = [
        {"low": float(np.nextafter(low, -math.inf)), "high": high, "count": float(count),
         "min": low, "max": high, "target": float(level * total), "below": 0.0}
        for level in levels
    ]

    def active(b) -> bool:  # more rows than we gather, and more than one distinct value
        return b["count"] > gather_limit and b["min"] < b["max"]

    while any(active(b) for b in brackets):
        todo = [b for b in brackets if active(b)]
        cuts = [_cut_points(b["min"], b["max"], n_bins) for b in todo]
        spec = [(b["low"], b["high"], c) for b, c in zip(todo, cuts, strict=True)]
        results = parts.map(_bracket_histograms, brackets=spec)
        for j, b in enumerate(todo):
            weights = np.sum([r[j][0] for r in results], axis=0)
            counts = np.sum([r[j][1] for r in results], axis=0)
            smallest = np.min([r[j][2] for r in results], axis=0)
            largest = np.max([r[j][3] for r in results], axis=0)
            cumulative = b["below"] + np.cumsum(weights)
            k = int(np.searchsorted(cumulative, b["target"], side="left"))
            k = min(k, int(np.flatnonzero(counts)[-1]))  # rounding: stay on a non-empty bin
            while counts[k] == 0:  # an empty bin cannot hold the answer: take the next one
                k += 1
            # The new bracket is the chosen bin, shrunk to the values it holds.
            b["below"] += float(np.sum(weights[:k])) if k else 0.0
            b["low"] = float(np.nextafter(smallest[k], -math.inf))
            b["high"] = float(largest[k])
            b["min"], b["max"], b["count"] = float(smallest[k]), float(largest[k]), counts[k]

    rows = parts.map(_bracket_rows, brackets=[(b["low"], b["high"]) for b in brackets])
    scores = []
    for j, level in enumerate(levels):
        values, weights = _summary(r[j] for r in rows)
        level_loss = get_loss("quantile", alpha=float(level))
        scores.append(float(level_loss.init_score(values, sample_weight=weights)))
    return scores


def _summary(per_part):
    """Merge per-partition bracket summaries into (values, weights) for the exact rule."""
    per_part = list(per_part)
    distinct = np.concatenate([p[0] for p in per_part])
    totals = np.concatenate([p[1] for p in per_part])
    values, inverse = np.unique(distinct, return_inverse=True)
    weights = np.bincount(inverse, weights=totals, minlength=values.size)
    below_weight = math.fsum(p[2] for p in per_part)
    above_weight = math.fsum(p[4] for p in per_part)
    parts_values, parts_weights = [values], [weights]
    if below_weight > 0:
        parts_values.insert(0, [max(p[3] for p in per_part)])
        parts_weights.insert(0, [below_weight])
    if above_weight > 0:
        parts_values.append([min(p[5] for p in per_part)])
        parts_weights.append([above_weight])
    return np.concatenate(parts_values), np.concatenate(parts_weights)


# --------------------------------------------------------------------- numerical minimisation
def _gradient_sum(labels, weight, *, loss: Loss, constant: float) -> float:
    """sum_i w_i d loss(y_i, c) / d c over one partition (the loss's exact gradient)."""
    if labels.shape[0] == 0:
        return 0.0
    grad, _ = loss._weighted_grad_hess(labels, np.full(labels.shape[0], constant), weight)
    return float(np.sum(grad, dtype=np.float64))


def _minimise_scalar(parts: TargetParts, loss: Loss, value_range) -> float:
    """The root of the global gradient sum on [min y, max y], one pass per evaluation.

    For these losses (convex, identity link, exact gradient; only the Hessian may be a
    surrogate) G(c) = sum_i w_i d loss(y_i, c) / dc is continuous and non-decreasing, with
    G(min y) <= 0 <= G(max y), so its root is the minimiser of the weighted mean loss.
    ``scipy.optimize.brentq`` finds it to ~1e-14 of the label range in typically 10-20
    passes. The single-machine ``init_score`` minimises the loss *values* with bounded
    Brent, whose resolution is ~1e-8 of the range (a float64 objective is flat to rounding
    near its minimum), so the two agree to that resolution; the documented bound is 1e-6
    of the label range.
    """
    from scipy.optimize import brentq

    _, _, low, high = value_range
    if not high > low:
        return float(low)
    known: dict[float, float] = {}  # brentq re-evaluates the end points: one pass each

    def slope(constant: float) -> float:
        constant = float(constant)
        if constant not in known:
            known[constant] = math.fsum(parts.map(_gradient_sum, loss=loss, constant=constant))
        return known[constant]

    if slope(low) >= 0:
        return float(low)
    if slope(high) <= 0:
        return float(high)
    scale = max(1.0, high - low)
    return float(brentq(slope, low, high, xtol=1e-14 * scale, rtol=4 * np.finfo(float).eps,
                        maxiter=200))
