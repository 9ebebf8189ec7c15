"""Metrics on the whole distributed data: per round, or for a finished model.

The engines' evaluation on Dask is per worker. Here every partition computes, next to its
rows, the weighted *sum* of the loss and its total weight; the client adds them in partition
order: metric = sum_i w_i loss_i / sum_i w_i over all rows, the same number
``loss.metric`` gives on the concatenated data (up to summation order).

Per-round history: a partition predicts every row's leaf in every tree once
(``pred_leaf``), looks the leaf values up in tables made once on the client, and sums them
round by round (``DaskBoostLossModel.cumulative_raw``), in row blocks that bound the
memory to ~16 MB per block. T rounds thus cost one leaf prediction plus T loss evaluations,
not T predictions (which cost 15-20 ms each in either engine whatever the rows). Without
leaf tables (XGBoost dart, vector leaves) it falls back to one prediction per round.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ._data import _prepare_part, check_aligned, row_partitions
from ._model import DaskBoostLossModel

__all__ = ["metric_history", "global_metric", "early_stopping_rule"]


def _loss_sum(model: DaskBoostLossModel, labels, weight, raw) -> float:
    value = model.loss._metric(labels, raw, weight)
    total = labels.shape[0] if weight is None else float(weight.sum())
    return value * total if total else 0.0


BLOCK_VALUES = 2_000_000  # float64 values of per-round raw scores held at once (16 MB)


def _history_part(model: DaskBoostLossModel, X, labels, weight, index: int, n_rounds: int,
                  tables):
    y, w = _prepare_part(model.loss, labels, weight, index)
    sums = np.zeros(n_rounds)
    if y.shape[0] == 0:
        return sums, 0.0
    total = float(y.shape[0]) if w is None else float(w.sum())
    if tables is None:  # one prediction per round
        raw = model.rounds_sum(X, 0, 0)
        for t in range(n_rounds):
            raw += model.rounds_sum(X, t, t + 1)
            sums[t] = _loss_sum(model, y, w, raw)
        return sums, total
    block = max(256, BLOCK_VALUES // (n_rounds * model.n_outputs))
    for start in range(0, y.shape[0], block):
        rows = slice(start, start + block)
        X_block = X.iloc[rows] if hasattr(X, "iloc") else X[rows]
        raw = model.cumulative_raw(X_block, n_rounds, tables)
        y_block, w_block = y[rows], None if w is None else w[rows]
        for t in range(n_rounds):
            sums[t] += _loss_sum(model, y_block, w_block, raw[t])
    return sums, total


def _metric_part(model: DaskBoostLossModel, X, labels, weight, index: int, iteration):
    y, w = _prepare_part(model.loss, labels, weight, index)
    if y.shape[0] == 0:
        return 0.0, 0.0
    raw = model.raw_local(X, iteration)
    total = float(y.shape[0]) if w is None else float(w.sum())
    return _loss_sum(model, y, w, raw), total


def _partition_tasks(function, model, X, y, sample_weight, *args):
    import dask

    check_aligned("X", X, "y", y)
    x_parts = row_partitions("X", X)
    y_parts = row_partitions("y", y)
    if sample_weight is None:
        w_parts: list = [None] * len(y_parts)
    else:
        check_aligned("sample_weight", sample_weight, "y", y)
        w_parts = row_partitions("sample_weight", sample_weight)
    shared_model = dask.delayed(model, traverse=False)
    return [
        dask.delayed(function, pure=True)(shared_model, xp, yp, wp, i, *args)
        for i, (xp, yp, wp) in enumerate(zip(x_parts, y_parts, w_parts, strict=True))
    ]


def _check_total(total: float) -> None:
    if not total > 0:
        raise ValueError("sample_weight sums to zero (or the data set is empty): the weighted "
                         "mean of the loss is undefined.")


def metric_history(client, model: DaskBoostLossModel, X, y, sample_weight=None,
                   n_rounds: int | None = None) -> list[float]:
    """Global weighted-mean loss after each of the first ``n_rounds`` rounds."""
    import dask

    n_rounds = model.num_boosted_rounds if n_rounds is None else n_rounds
    tables = dask.delayed(model.leaf_tables(), traverse=False)
    tasks = _partition_tasks(_history_part, model, X, y, sample_weight, n_rounds, tables)
    results = client.gather(client.compute(tasks))
    total = math.fsum(r[1] for r in results)
    _check_total(total)
    sums = np.array([r[0] for r in results])
    return [math.fsum(sums[:, t]) / total for t in range(n_rounds)]


def global_metric(client, model: DaskBoostLossModel, X, y, sample_weight=None,
                  iteration: int | None = None) -> float:
    """Weighted-mean loss of ``model`` (rounds 0..iteration) over every row."""
    tasks = _partition_tasks(_metric_part, model, X, y, sample_weight, iteration)
    results = client.gather(client.compute(tasks))
    total = math.fsum(r[1] for r in results)
    _check_total(total)
    return math.fsum(r[0] for r in results) / total


def early_stopping_rule(histories: Sequence[Sequence[float]], rounds: int) -> int:
    """LightGBM's early-stopping rule replayed on complete histories; returns the best round.

    For each eval set in order, a round improves when its value is strictly below that
    set's best so far; training stops at the first round where some set has gone ``rounds``
    rounds without improving, and the best round is that set's best. Without a stop, the
    best round of the first eval set is returned (LightGBM's best_iteration).
    """
    n_rounds = min(len(h) for h in histories)
    best_value = [math.inf] * len(histories)
    best_round = [0] * len(histories)
    for t in range(n_rounds):
        for i, history in enumerate(histories):
            if history[t] < best_value[i]:
                best_value[i], best_round[i] = history[t], t
            elif t - best_round[i] >= rounds:
                return best_round[i]
    return best_round[0]
