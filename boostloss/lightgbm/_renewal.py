"""Leaf renewal for zero-Hessian losses (absolute_error, quantile) on LightGBM.

Native ``regression_l1`` / ``quantile`` grow each tree from a constant Hessian, then re-fit
every leaf to the weighted alpha-quantile of the residuals y - score of its rows
(``RenewTreeOutput``), then shrink by the learning rate. A custom objective gets no renewal:
its leaves keep the Newton step -sum(g)/sum(h), i.e. at most one unit of y per tree, which
makes MAE/quantile models converge far more slowly. ``LeafRenewal`` does the same re-fit from
Python after every boosting round::

    new_leaf_value[j] = shrinkage * q_alpha({ y_i - score_i : row i in leaf j }, weights w_i)

where score is the (corrected) raw score before the tree, and writes the new values with
``Booster.set_leaf_output``. q_alpha is LightGBM's own percentile (``unweighted_quantile``: the
sorted residuals linearly interpolated at position alpha * (n - 1)), so that without weights the
renewed leaves are the native ones; with weights, the same interpolation on cumulative weight
(``weighted_quantile_interpolated``). This is deliberately not the loss core's
``weighted_quantile`` (the exact pinball minimiser used for ``init_score``): on leaves of a
few dozen rows the two differ by up to one order statistic at alpha = 0.1 / 0.9, which moved
held-out pinball loss by up to 4.6% (either direction) against native LightGBM on the
diabetes data; the native convention reproduces native models.

Keeping scores consistent. ``set_leaf_output`` changes the model but not LightGBM's cached
training/validation scores, which are what the next objective call and every metric receive.
``LeafRenewal`` therefore keeps, per Dataset, a correction vector added to LightGBM's cached
scores: after renewing tree t it adds ``new_value - old_value`` of each row's leaf. The
objective and the metrics always see ``cached + correction`` = the scores of the model
actually stored.

Finding each row's leaf without re-predicting. After tree t, LightGBM's cached score of every
row moved by exactly the old value of its leaf (up to one rounding of the addition), so the
row's leaf is the one whose old value matches that difference. This costs one subtraction and
a binary search per row instead of a tree traversal (``predict(pred_leaf=True)`` on the raw
features costs about as much as growing the tree). Leaves whose old values coincide (within the
rounding tolerance) cannot be told apart this way, and they are common (every pure leaf of a
quantile loss has the same Newton step): their rows are assigned with
``predict(pred_leaf=True)`` on the raw features. The training helper therefore requires every
Dataset to hold its raw features; without them those leaves would keep their Newton values
(counted in ``stats['tied_leaves_kept']``).

Differences from native LightGBM, by construction: with bagging (bagging_fraction < 1 or
GOSS), native renewal uses only the in-bag rows of a leaf; LightGBM does not expose the bag,
so the quantile here uses all training rows of the leaf. dart and rf boosting rewrite cached
scores in ways that cannot be tracked and are refused by the training helper.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .._adapter import PreparedTarget
from ..losses._compiled import enabled_module
from ._engine import find_param

__all__ = [
    "leaf_quantiles",
    "unweighted_quantile",
    "weighted_quantile_interpolated",
    "assign_leaves",
    "LeafRenewal",
    "renewal_level",
]

_EPS = float(np.finfo(np.float64).eps)


def renewal_level(loss) -> float | None:
    """The quantile level whose leaves are renewed (0.5 for absolute_error), else None."""
    if loss.name == "absolute_error":
        return 0.5
    if loss.name == "quantile" and loss.output_kind == "single":
        return float(loss.levels[0])
    return None


def unweighted_quantile(values: np.ndarray, level: float) -> float:
    """LightGBM's ``PercentileFun``: the sorted values linearly interpolated at 0-based
    position level * (n - 1) (numpy's ``method="linear"``).

    LightGBM works from the top: float_pos = (1 - level) * (n - 1) with ``level`` rounded to
    float32 (its quantile objective stores alpha as float32), and interpolates between the
    floor(float_pos)-th and next largest values. Repeating that arithmetic makes renewed
    leaves equal to native ones to the last bit (checked against lightgbm 4.7 leaves for
    alpha in {0.1, 0.33, 0.5, 0.77, 0.9}). O(n): two order statistics by partition.
    """
    n = values.size
    if n <= 1:
        return float(values[0])
    float_pos = (1.0 - float(np.float32(level))) * (n - 1)
    pos = int(float_pos) + 1
    if pos >= n:
        return float(values.min())
    bias = float_pos - (pos - 1)
    pair = np.partition(values, (n - pos - 1, n - pos))
    upper, lower = float(pair[n - pos]), float(pair[n - pos - 1])  # pos-th, (pos+1)-th largest
    return upper - (upper - lower) * bias


def weighted_quantile_interpolated(values: np.ndarray, level: float, weight: np.ndarray) -> float:
    """``unweighted_quantile`` generalised to sample weights.

    Sorted value k sits at position S_k = the total weight of the values before it, and the
    target position level * S_last is interpolated linearly between neighbours. With equal
    weights (of any size) S_k is proportional to k and this is ``unweighted_quantile``; the
    result does not depend on the weights' scale; zero weights are ignored. (LightGBM's own
    weighted percentile is not reproduced: it changes formula when a leaf row's weight
    crosses 1.) Returns NaN when no value has positive weight.
    """
    keep = weight > 0
    if not np.all(keep):
        values, weight = values[keep], weight[keep]
    if values.size <= 1:
        return float(values[0]) if values.size else float("nan")
    order = np.argsort(values, kind="stable")
    ordered, ordered_weight = values[order], weight[order]
    before = np.cumsum(ordered_weight) - ordered_weight
    target = float(level) * float(before[-1])
    k = int(np.searchsorted(before, target, side="right")) - 1
    if k >= ordered.size - 1:
        return float(ordered[-1])
    k = max(k, 0)
    fraction = (target - before[k]) / ordered_weight[k]
    return float(ordered[k] + fraction * (ordered[k + 1] - ordered[k]))


def leaf_quantiles(
    residual: np.ndarray,
    leaf: np.ndarray,
    n_leaves: int,
    level: float,
    weight: np.ndarray | None = None,
) -> np.ndarray:
    """Weighted ``level``-quantile of ``residual`` within each leaf, shape (n_leaves,).

    Rows with ``leaf < 0`` are ignored. Leaves with no rows (or zero total weight) get NaN.
    Rows are grouped with one stable integer sort (radix sort for < 32768 leaves), then each
    leaf's quantile is a partition (unweighted) or a sort (weighted). Without weights the
    compiled twin (``losses/_leaf_stats.h``: counting sort, quickselect) runs when the
    compiled kernels are on; it gives the same values.
    """
    compiled = enabled_module() if weight is None else None
    if compiled is not None:  # the same percentiles by counting sort and quickselect, in C
        values = np.empty(n_leaves)
        compiled.leaf_percentiles(np.ascontiguousarray(residual, dtype=np.float64),
                                  np.ascontiguousarray(leaf, dtype=np.int64), n_leaves,
                                  float(level), values)
        return values
    values = np.full(n_leaves, np.nan)
    keep = leaf >= 0
    if not np.all(keep):
        residual, leaf = residual[keep], leaf[keep]
        weight = None if weight is None else weight[keep]
    if leaf.size == 0:
        return values
    key_dtype = np.int16 if n_leaves < 2**15 else np.int32
    order = np.argsort(leaf.astype(key_dtype, copy=False), kind="stable")
    counts = np.bincount(leaf, minlength=n_leaves)
    ends = np.cumsum(counts)
    sorted_residual = residual[order]
    sorted_weight = None if weight is None else weight[order]
    for j in np.flatnonzero(counts):
        start, end = ends[j] - counts[j], ends[j]
        segment = sorted_residual[start:end]
        if sorted_weight is None:
            values[j] = unweighted_quantile(segment, level)
        else:
            values[j] = weighted_quantile_interpolated(segment, level, sorted_weight[start:end])
    return values


def assign_leaves(
    delta: np.ndarray, leaf_values: np.ndarray, scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's leaf from the change of its cached score, ``delta`` = old leaf value.

    Args:
        delta: (n,) cached score after the tree minus before it.
        leaf_values: (L,) the tree's leaf values when it was added to the cached scores.
        scale: max |score| involved; the addition rounds by at most ~eps * scale.

    Returns:
        (leaf, tied_leaves): leaf (n,) int64 with -1 for rows whose value is shared by several
        leaves (ties within tolerance); tied_leaves (L,) bool.

    The compiled twin (``losses/_leaf_stats.h``, a branch-free binary search per row) runs
    when the compiled kernels are on; it gives the same leaves.

    Raises:
        RuntimeError if a row matches no leaf (the cached scores moved by something other
        than this tree: a configuration the renewal cannot follow).
    """
    tolerance = 8.0 * _EPS * max(scale, 1e-300)
    order = np.argsort(leaf_values, kind="stable")
    sorted_values = leaf_values[order]
    gaps = np.diff(sorted_values)
    # group values closer than 2 * tolerance: their rows cannot be told apart
    new_group = np.concatenate(([True], gaps > 2.0 * tolerance))
    group_of_sorted = np.cumsum(new_group) - 1
    group_size = np.bincount(group_of_sorted)
    tied_sorted = group_size[group_of_sorted] > 1
    tied_leaves = np.zeros(leaf_values.size, dtype=bool)
    tied_leaves[order] = tied_sorted

    compiled = enabled_module()
    if compiled is not None:  # the same search, one pass in C
        leaf = np.empty(delta.shape[0], dtype=np.int64)
        unmatched, worst = compiled.assign_leaves(
            np.ascontiguousarray(delta, dtype=np.float64), np.ascontiguousarray(sorted_values),
            order.astype(np.int64), tied_sorted.astype(np.int64), tolerance, leaf)
        if unmatched:
            _lost_track(int(unmatched), worst, delta)
        return leaf, tied_leaves

    position = np.searchsorted(sorted_values, delta)
    right = np.minimum(position, sorted_values.size - 1)
    left = np.maximum(position - 1, 0)
    use_left = np.abs(delta - sorted_values[left]) <= np.abs(delta - sorted_values[right])
    nearest = np.where(use_left, left, right)
    distance = np.abs(delta - sorted_values[nearest])
    unmatched = ~(distance <= tolerance)
    if np.any(unmatched):
        _lost_track(int(unmatched.sum()), int(np.argmax(np.where(unmatched, distance, -1.0))),
                    delta)
    leaf = order[nearest].astype(np.int64)
    leaf[tied_sorted[nearest]] = -1
    return leaf, tied_leaves


def _largest_magnitude(values: np.ndarray) -> float:
    """max |v| without an |v| temporary (max and -min: two reads, no allocation)"""
    if values.size == 0:
        return 0.0
    return max(float(values.max()), -float(values.min()))


def _lost_track(count: int, worst: int, delta: np.ndarray):
    raise RuntimeError(
        f"leaf renewal lost track of LightGBM's cached scores: {count} rows moved by an "
        f"amount that matches no leaf of the new tree (row {worst}: {delta[worst]!r}). This "
        "happens when something other than one new tree changes the scores (dart/rf "
        "boosting, refit, rollback); use boosting='gbdt'."
    )


_NUM_LEAVES = re.compile(r"^num_leaves=(\d+)$", re.MULTILINE)


def _tree_num_leaves(booster, iteration: int) -> int:
    """Number of leaves of the single-output tree built at ``iteration``."""
    text = booster.model_to_string(start_iteration=iteration, num_iteration=1)
    found = _NUM_LEAVES.search(text, text.find("Tree="))
    return int(found.group(1))


def _take_rows(features, rows: np.ndarray):
    if hasattr(features, "iloc"):
        return features.iloc[rows]
    return features[rows]


class LeafRenewal:
    """Re-fits the leaves of each new tree and tracks every Dataset's true raw scores.

    Lifecycle inside ``lgb.train``: ``attach(booster)`` before the first round (a
    before-iteration callback), ``sync()`` after every round (called by the training metric,
    the training objective and an after-iteration callback, whichever runs first; it is
    idempotent), ``scores(dataset, preds)`` wherever LightGBM's cached scores would be used.

    The tracked scores start as LightGBM's cached scores (the init scores) and receive
    ``score += leaf_value[leaf of row]`` per tree, the very operation LightGBM's score updater
    performs, with the renewed values: without weights they are bit-identical to a native
    ``regression_l1``/``quantile`` run (exact zero residuals matter: the gradient's sign at
    e = 0 decides which side a row pushes).

    Args:
        level: quantile level (0.5 for absolute error).
        target: validated training labels and weights.
        train_set: the training Dataset.
        valid_sets: the other Datasets LightGBM evaluates (training set excluded).
        features: raw feature matrices by ``id(dataset)`` (None where not available); only
            needed to resolve leaves with tied values.
    """

    def __init__(
        self,
        level: float,
        target: PreparedTarget,
        train_set,
        valid_sets: list,
        features: dict[int, Any],
    ) -> None:
        self.level = level
        self.target = target
        self.train_set = train_set
        self.valid_sets = list(valid_sets)
        self._features = features
        self.booster = None
        self._cached: dict[int, np.ndarray] = {}  # LightGBM's cache at the last sync
        self._scores: dict[int, np.ndarray] = {}  # the stored model's scores
        self._synced_trees = 0
        self._cached_scale: float | None = None
        self._next_cached_scale: float | None = None
        self.stats = {"renewed_trees": 0, "tied_leaves_kept": 0, "tie_predictions": 0}

    # ------------------------------------------------------------------ engine state
    def _fetch_cached(self) -> dict[int, np.ndarray]:
        """Copies of LightGBM's cached raw scores of every Dataset (public eval API)."""
        found: dict[int, np.ndarray] = {}

        def collect(preds, data):
            found[id(data)] = np.array(preds, dtype=np.float64, copy=True)
            return "boostloss_collect", 0.0, False

        self.booster.eval_train(collect)
        if self.valid_sets:
            self.booster.eval_valid(collect)
        return found

    def attach(self, booster) -> None:
        if self.booster is booster:
            return
        self.booster = booster
        self._cached = self._fetch_cached()
        self._cached_scale = None  # max |score| of self._cached, once measured
        self._scores = {key: value.copy() for key, value in self._cached.items()}
        self._synced_trees = booster.num_trees()

    def scores(self, dataset, preds: np.ndarray) -> np.ndarray:
        """The raw scores of the stored model for ``dataset`` (call ``sync()`` first).

        ``preds`` (LightGBM's cache) is returned for Datasets renewal does not track. The
        returned array belongs to the tracker: do not modify it.
        """
        tracked = self._scores.get(id(dataset))
        if tracked is None:
            return np.asarray(preds, dtype=np.float64)
        return tracked

    # ------------------------------------------------------------------ renewal
    def sync(self) -> None:
        """Renew the newest tree if it has not been renewed yet."""
        booster = self.booster
        if booster is None:
            return
        n_trees = booster.num_trees()
        if n_trees == self._synced_trees:
            return
        if n_trees != self._synced_trees + 1:
            raise RuntimeError(
                f"leaf renewal expected one new tree, found {n_trees - self._synced_trees}; "
                "boostloss.lightgbm.train must see every boosting round (do not call "
                "booster.update() from callbacks)."
            )
        tree = n_trees - 1
        now = self._fetch_cached()
        self._next_cached_scale = None  # measured by _score_scale if the tree is renewed
        n_leaves = _tree_num_leaves(booster, tree)
        if n_leaves > 1:
            self._renew(tree, n_leaves, now)
        else:  # a constant tree: whatever LightGBM added (0 for custom objectives)
            for key, value in now.items():
                self._scores[key] += value - self._cached[key]
        self._cached = now
        self._cached_scale = self._next_cached_scale
        self._synced_trees = n_trees

    def _shrinkage(self) -> float:
        _, rate = find_param(getattr(self.booster, "params", {}) or {}, "learning_rate")
        return 0.1 if rate is None else float(rate)

    def _score_scale(self, now: dict[int, np.ndarray]) -> float:
        """Largest |cached score| before or after the tree, over every Dataset: one
        tolerance for all, so every Dataset sees the same groups of tied leaves. (The
        scale of the scores before the tree was measured, as ``now``, one round earlier.)"""
        after = float(max(_largest_magnitude(a) for a in now.values()))
        before = self._cached_scale
        if before is None:
            before = float(max(_largest_magnitude(a) for a in self._cached.values()))
        self._next_cached_scale = after
        return max(before, after)

    def _leaves_of(self, key: int, now, old_values: np.ndarray, scale: float):
        return assign_leaves(now[key] - self._cached[key], old_values, scale)

    def _can_predict_ties(self) -> bool:
        datasets = [self.train_set, *self.valid_sets]
        return all(self._features.get(id(ds)) is not None for ds in datasets)

    def _predict_threads(self) -> dict[str, Any]:
        """The training's num_threads for predict(): LightGBM applies a predict call's thread
        count (default: all cores) to the whole process, which would slow every later
        boosting round of a training that asked for fewer threads."""
        _, threads = find_param(getattr(self.booster, "params", {}) or {}, "num_threads")
        return {} if threads is None else {"num_threads": threads}

    def _predict_tied(self, dataset, tree: int, leaf: np.ndarray) -> None:
        rows = np.flatnonzero(leaf < 0)
        if rows.size:
            features = _take_rows(self._features[id(dataset)], rows)
            found = self.booster.predict(
                features,
                start_iteration=tree,
                num_iteration=1,
                pred_leaf=True,
                **self._predict_threads(),
            )
            leaf[rows] = np.asarray(found).reshape(-1)
            self.stats["tie_predictions"] += int(rows.size)

    def _add_tree(self, key: int, leaf: np.ndarray, values: np.ndarray, now) -> None:
        """scores += values[leaf]; rows of unresolved tied leaves (leaf -1, whose values were
        not changed) get LightGBM's own increment."""
        scores = self._scores[key]
        known = leaf >= 0
        if np.all(known):
            scores += values[leaf]
            return
        scores[known] += values[leaf[known]]
        unknown = ~known
        scores[unknown] += now[key][unknown] - self._cached[key][unknown]

    def _renew(self, tree: int, n_leaves: int, now) -> None:
        booster = self.booster
        old_values = np.array([booster.get_leaf_output(tree, j) for j in range(n_leaves)])
        train_key = id(self.train_set)
        scale = self._score_scale(now)
        leaf, tied = self._leaves_of(train_key, now, old_values, scale)
        resolve_ties = bool(np.any(tied)) and self._can_predict_ties()
        if resolve_ties:
            self._predict_tied(self.train_set, tree, leaf)
            tied = np.zeros_like(tied)
        self.stats["tied_leaves_kept"] += int(tied.sum())

        residual = self.target.labels - self._scores[train_key]
        quantiles = leaf_quantiles(residual, leaf, n_leaves, self.level, self.target.weight)
        renew = ~tied & np.isfinite(quantiles)
        new_values = old_values.copy()
        new_values[renew] = quantiles[renew] * self._shrinkage()  # as Tree::Shrinkage does
        for j in np.flatnonzero(renew):
            booster.set_leaf_output(tree, int(j), float(new_values[j]))

        self._add_tree(train_key, leaf, new_values, now)
        for dataset in self.valid_sets:
            key = id(dataset)
            valid_leaf, _ = self._leaves_of(key, now, old_values, scale)
            if resolve_ties:
                self._predict_tied(dataset, tree, valid_leaf)
            self._add_tree(key, valid_leaf, new_values, now)
        self.stats["renewed_trees"] += 1
