"""Per-round leaf re-fit for the zero-Hessian losses (absolute_error, quantile) on XGBoost.

Why: the exact Hessian of |e| and of the pinball loss is 0, so the losses return 1 and a
Newton leaf value is -eta * sum(g) / (sum(h) + lambda), eta times the weighted mean of the
signs: at most eta per tree, whatever the scale of y. XGBoost's native
``reg:absoluteerror`` / ``reg:quantileerror`` (up to 3.3, ``src/objective/adaptive.cc``)
build each tree from the same gradients and then replace every leaf value by
``eta * q``, q the weighted alpha-quantile of the residuals y - raw of the training rows in
that leaf. XGBoost has no hook that lets a custom objective do this, so ``LeafRefit`` does
it from Python, with XGBoost's own quantile definitions (``common::Quantile``: linear
interpolation at position alpha * (n + 1); ``common::WeightedQuantile``: the first sorted
value whose float32 cumulative weight reaches alpha * total), in float32 as XGBoost does.

How (per boosting round t; all O(n)):

1. ``LeafRefit`` keeps float32 margins of the re-fitted model for the training set and for
   every evaluation set (started from the booster's own predictions before training). The
   objective computes grad/hess on the training margins instead of XGBoost's cache, which
   holds the original Newton leaf values.
2. Once round t's trees exist (noticed lazily by the next call of the objective, of the
   metric, or of the callback, whichever comes first), a one-round slice of the booster
   gives every row's leaf (``pred_leaf``); each leaf value becomes ``eta * q`` (float32),
   q the quantile of labels - margins of its training rows; every DMatrix's margins grow
   by the new leaf values (float32 additions, as XGBoost's prediction cache does).
3. After training the new leaf values are written into the booster (one JSON round trip),
   so the returned model predicts exactly what was trained and evaluated.

Writing leaves only at the end keeps a round O(n): loading a changed model every round
makes XGBoost rebuild its prediction caches from all trees, O(n * rounds) per round.
Consequences: callbacks that predict with the booster *during* training see the original
Newton leaf values, and so would XGBoost's built-in ``eval_metric`` (``train`` refuses it
with the refit; the boostloss metric, which early stopping uses, sees the refitted model).

Differences to native XGBoost: with ``subsample`` < 1 native uses only the rows sampled for
the tree (XGBoost does not expose the sample, so all rows are used here); leaves that no
training row reaches keep their Newton value (as native).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

__all__ = ["LeafRefit", "leaf_quantiles"]


def _group_rows_by_leaf(leaf: np.ndarray):
    """(row order, leaf ids, segment starts, segment ends): rows of leaf ids[i] are
    order[starts[i]:ends[i]]. A stable radix sort (node ids fit int16 for trees of depth
    up to 14), so O(n)."""
    key = leaf.astype(np.int16) if leaf.max(initial=0) < np.iinfo(np.int16).max else leaf
    order = np.argsort(key, kind="stable")
    counts = np.bincount(leaf)
    leaves = np.flatnonzero(counts)
    ends = np.cumsum(counts[leaves])
    return order, leaves, ends - counts[leaves], ends


def leaf_quantiles(
    leaf: np.ndarray, residual: np.ndarray, weight: np.ndarray | None, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """XGBoost's per-leaf alpha-quantile of ``residual``; returns (leaf ids, float32 values).

    ``leaf``: non-negative node ids, ``residual``: float32, ``weight``: None or (n,).
    XGBoost holds alpha as float32, so alpha is rounded to float32 first (0.9 becomes
    0.89999998, which moves alpha * (n + 1) below an integer for n = 9, 19, ...).

    Unweighted (``common::Quantile``, NIST linear interpolation): with the n sorted values
    v_0..v_{n-1} of a leaf, q = v_0 if alpha <= 1/(n+1), v_{n-1} if alpha >= n/(n+1),
    otherwise x = alpha (n + 1), k = floor(x) - 1, q = v_k + (x - 1 - k)(v_{k+1} - v_k)
    with the difference taken in float32. Weighted (``common::WeightedQuantile``, a step
    function): the first sorted value whose float32 running sum of weights reaches alpha
    times the leaf's total.
    """
    alpha = float(np.float32(alpha))
    order, leaves, starts, ends = _group_rows_by_leaf(leaf)
    grouped = residual[order]
    grouped_weight = None if weight is None else weight.astype(np.float32)[order]
    values = np.empty(leaves.size, dtype=np.float32)
    for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
        segment = grouped[start:end]
        count = end - start
        if grouped_weight is not None:
            by_value = np.argsort(segment, kind="stable")
            cumulative = np.cumsum(grouped_weight[start:end][by_value], dtype=np.float32)
            threshold = np.float32(float(cumulative[-1]) * alpha)
            index = min(int(np.searchsorted(cumulative, threshold, side="left")), count - 1)
            values[i] = segment[by_value[index]]
        elif alpha <= 1.0 / (count + 1):
            values[i] = segment.min()
        elif alpha >= count / (count + 1):
            values[i] = segment.max()
        else:
            position = alpha * (count + 1)
            k = int(np.floor(position)) - 1
            low, high = np.partition(segment, (k, k + 1))[k : k + 2]
            values[i] = float(low) + ((position - 1) - k) * float(high - low)
    return leaves, values


@dataclass
class _TreeUpdate:
    """New leaf values of one tree: node ids (scalar leaves) or leaf-vector slots."""

    round_index: int
    position: int  # tree position within its boosting round
    vector_leaf: bool  # True: ``nodes`` index ``leaf_weights``; False: ``split_conditions``
    nodes: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


def _learning_rate(booster) -> np.float32:
    config = json.loads(booster.save_config())
    return np.float32(float(config["learner"]["gradient_booster"]["tree_train_param"]["eta"]))


def _tree_leaves(tree: dict) -> tuple[np.ndarray, np.ndarray, int]:
    """(leaf value table, node -> row of the table, leaf-vector size) of one JSON tree.

    Scalar trees keep a leaf's value in ``split_conditions[node]``; vector-leaf trees
    (``multi_strategy="multi_output_tree"``) keep it in ``leaf_weights[slot * k : (slot + 1)
    * k]`` with ``slot = right_children[node]``.
    """
    size = int(tree["tree_param"].get("size_leaf_vector", "1") or 1)
    left = np.asarray(tree["left_children"])
    if size <= 1 or "leaf_weights" not in tree:
        table = np.asarray(tree["split_conditions"], dtype=np.float32)[:, None]
        return table, np.arange(left.size), 1
    table = np.asarray(tree["leaf_weights"], dtype=np.float32).reshape(-1, size)
    slot = np.where(left == -1, np.asarray(tree["right_children"]), -1)
    return table, slot, size


class LeafRefit:
    """State of the per-round leaf re-fit for one ``boostloss.xgboost.train`` call.

    Keeps, for the training set and every evaluation set, the float32 margins the re-fitted
    model gives (what XGBoost's own prediction cache would hold for a native model: the
    same float32 additions in the same order), so objective and metric see exactly the
    model that ``write_leaves`` produces.

    Parameters
    ----------
    labels : (n,) labels of the training set (float32 values).
    weight : (n,) weights or None.
    levels : (k,) quantile level of each output column (0.5 for absolute_error).
    dtrain, evals : the training DMatrix and the evaluation DMatrices.
    """

    def __init__(self, labels, weight, levels, dtrain, evals):
        self.labels = np.asarray(labels, dtype=np.float32)
        self.weight = weight
        self.levels = np.asarray(levels, dtype=np.float64)
        self.n_outputs = self.levels.size
        self.dtrain = dtrain
        self._dmatrices = {id(dtrain): dtrain}
        for dmatrix in evals:
            self._dmatrices.setdefault(id(dmatrix), dmatrix)
        self._margins: dict[int, np.ndarray] = {}
        self.booster = None
        self._next_round = 0
        self._objective_round: int | None = None
        self._updates: list[_TreeUpdate] = []
        self._trees_per_round = 1

    # ------------------------------------------------------------------ engine hooks
    def attach(self, booster) -> None:
        """Before training: start every margin from the booster as it is (base score, or
        the trees of ``xgb_model``, which stay as they are)."""
        self.booster = booster
        self._next_round = booster.num_boosted_rounds()
        for key, dmatrix in self._dmatrices.items():
            margin = booster.predict(dmatrix, output_margin=True)
            self._margins[key] = np.ascontiguousarray(margin, dtype=np.float32).reshape(
                dmatrix.num_row(), -1
            )

    def margins(self, dmatrix) -> np.ndarray:
        """(n, k) float32 margins of the re-fitted model on ``dmatrix`` (after ``sync``)."""
        margin = self._margins.get(id(dmatrix))
        if margin is None or self._dmatrices[id(dmatrix)] is not dmatrix:
            raise ValueError(
                "boostloss leaf refit: got a DMatrix that is neither the training set nor one "
                "of the evals passed to boostloss.xgboost.train, so its margins are unknown."
            )
        return margin

    def objective_called(self) -> None:
        """The objective is about to compute round ``num_boosted_rounds()``'s gradients."""
        self._objective_round = self.booster.num_boosted_rounds()

    def sync(self) -> None:
        """Re-fit every round XGBoost has built since the last call."""
        if self.booster is None:
            return
        built = self.booster.num_boosted_rounds()
        while self._next_round < built:
            if self._objective_round != self._next_round:
                raise RuntimeError(
                    f"boostloss leaf refit: round {self._next_round} was built without the "
                    "boostloss objective; do not add rounds from callbacks when the refit is on."
                )
            self._refit_round(self._next_round)
            self._next_round += 1

    def write_leaves(self, booster) -> None:
        """Write all re-fitted leaf values into ``booster`` (after training)."""
        if not self._updates:
            return
        config = booster.save_config()
        model = json.loads(booster.save_raw("json"))
        gbm = model["learner"]["gradient_booster"]["model"]
        trees = gbm["trees"]
        indptr = gbm.get("iteration_indptr")
        for update in self._updates:
            if indptr is not None:
                tree = trees[indptr[update.round_index] + update.position]
            else:  # older model formats: a fixed number of trees per round
                tree = trees[update.round_index * self._trees_per_round + update.position]
            target = tree["leaf_weights"] if update.vector_leaf else tree["split_conditions"]
            for node, value in zip(update.nodes, update.values, strict=True):
                target[node] = value
        booster.load_model(bytearray(json.dumps(model).encode()))
        booster.load_config(config)  # loading a model resets training parameters such as eta
        self._updates = []

    # ------------------------------------------------------------------ the re-fit
    def _refit_round(self, round_index: int) -> None:
        booster_round = self.booster[round_index : round_index + 1]
        model = json.loads(booster_round.save_raw("json"))["learner"]["gradient_booster"]
        model = model["model"]
        tree_info = model["tree_info"]
        self._trees_per_round = len(tree_info)
        eta = _learning_rate(self.booster)
        start = self._margins[id(self.dtrain)]
        train_leaf = booster_round.predict(self.dtrain, pred_leaf=True).reshape(start.shape[0], -1)
        # per tree of the round: the new leaf table and each leaf node's row in it
        tables = []
        for position, tree in enumerate(model["trees"]):
            table, slot, size = _tree_leaves(tree)
            columns = list(range(self.n_outputs)) if size > 1 else [int(tree_info[position])]
            nodes = train_leaf[:, position].astype(np.int64)
            update = _TreeUpdate(round_index, position, vector_leaf=size > 1)
            for j in columns:
                residual = self.labels - start[:, j]  # float32, as XGBoost
                leaves, quantiles = leaf_quantiles(nodes, residual, self.weight, self.levels[j])
                new_values = quantiles * eta  # float32 product, as XGBoost's SetLeaf
                rows = slot[leaves]
                table[rows, j if size > 1 else 0] = new_values
                for row, node, value in zip(rows, leaves, new_values, strict=True):
                    update.nodes.append(int(row * size + j if size > 1 else node))
                    update.values.append(float(value))
            self._updates.append(update)
            tables.append((position, slot, table, columns, size))
        for key, dmatrix in self._dmatrices.items():
            margin = self._margins[key]
            if dmatrix is self.dtrain:
                leaf = train_leaf
            else:
                leaf = booster_round.predict(dmatrix, pred_leaf=True).reshape(margin.shape[0], -1)
            for position, slot, table, columns, size in tables:
                rows = slot[leaf[:, position].astype(np.int64)]
                if size > 1:
                    margin += table[rows]
                else:
                    margin[:, columns[0]] += table[rows, 0]
