"""The objective, metrics and callbacks ``boostloss.lightgbm.train`` hands to ``lgb.train``.

They share one validated target per Dataset and, for absolute_error / quantile, the
``LeafRenewal`` tracker, so the objective, the boostloss metric, user fevals and early
stopping all see the raw scores of the model actually stored. Callback order: renewal
attach/sync run before any user callback (order -1e6); early stopping uses LightGBM's own
slot (30, after ``record_evaluation`` at 20).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._adapter import OutputBuffers, PreparedTarget
from ..losses.base import Loss
from ._callables import check_raw_shape, engine_grad_hess
from ._engine import require_lightgbm
from ._renewal import LeafRenewal

__all__ = [
    "TrainingObjective",
    "TrainingMetric",
    "CorrectedFeval",
    "RenewalAttach",
    "RenewalSync",
    "BoostLossEarlyStopping",
]

_FIRST = -(10**6)  # callback order: before every user callback


class TrainingObjective:
    """The objective used inside ``train``: fixed validated target, renewal-corrected scores."""

    def __init__(self, loss: Loss, target: PreparedTarget, renewal: LeafRenewal | None) -> None:
        self.loss, self.target, self.renewal = loss, target, renewal
        self._checked = False
        self._outputs = OutputBuffers()  # grad/hess arrays reused across rounds

    def __deepcopy__(self, memo):  # lgb.train deep-copies params: keep this very object
        return self

    def __call__(self, preds, train_data):
        raw = np.asarray(preds, dtype=np.float64)
        if self.renewal is not None:
            self.renewal.sync()
            raw = self.renewal.scores(train_data, raw)
        if not self._checked:
            check_raw_shape(self.loss, self.target, raw, "the training data")
            self._checked = True
        return engine_grad_hess(self.loss, self.target, raw, self._outputs)


class TrainingMetric:
    """feval inside ``train``: the loss's metric on (renewal-corrected) scores."""

    def __init__(self, loss: Loss, targets: dict[int, tuple[Any, PreparedTarget]], renewal) -> None:
        self.loss, self.targets, self.renewal = loss, targets, renewal

    def __call__(self, preds, eval_data):
        entry = self.targets.get(id(eval_data))
        if entry is None or entry[0] is not eval_data:
            raise RuntimeError("boostloss metric called on a Dataset that train() did not prepare.")
        target = entry[1]
        raw = np.asarray(preds, dtype=np.float64)
        if self.renewal is not None:
            self.renewal.sync()
            raw = self.renewal.scores(eval_data, raw)
        return self.loss.name, self.loss._metric(target.labels, raw, target.weight), False


class CorrectedFeval:
    """A user feval, given the renewal-corrected scores instead of LightGBM's stale cache."""

    def __init__(self, feval, renewal: LeafRenewal) -> None:
        self.feval, self.renewal = feval, renewal

    def __call__(self, preds, eval_data):
        self.renewal.sync()
        return self.feval(self.renewal.scores(eval_data, preds).copy(), eval_data)


class RenewalAttach:
    def __init__(self, renewal: LeafRenewal) -> None:
        self.renewal = renewal
        self.before_iteration = True
        self.order = _FIRST

    def __call__(self, env) -> None:
        self.renewal.attach(env.model)


class RenewalSync:
    def __init__(self, renewal: LeafRenewal) -> None:
        self.renewal = renewal
        self.before_iteration = False
        self.order = _FIRST

    def __call__(self, env) -> None:
        self.renewal.sync()


class BoostLossEarlyStopping:
    """Early stopping on the boostloss metric only (minimised), LightGBM's semantics.

    Every validation set (the training set excluded) is watched; training stops when one of
    them has not improved for ``rounds`` rounds, and ``best_iteration`` is that set's best.
    At the last round the first set's best is reported, as ``lightgbm.early_stopping`` does.
    """

    def __init__(self, rounds: int, metric_name: str, train_name: str, min_delta: float = 0.0):
        self.rounds, self.metric_name, self.train_name = rounds, metric_name, train_name
        self.min_delta = min_delta
        self.before_iteration = False
        self.order = 30
        self._best: dict[str, tuple[float, int, list]] = {}

    def __call__(self, env) -> None:
        lgb = require_lightgbm()
        if env.iteration == env.begin_iteration:
            self._best = {}
        results = [
            r for r in env.evaluation_result_list if r[1] == self.metric_name and r[0] != self.train_name
        ]
        if not results:
            raise ValueError(
                "early stopping needs at least one validation set other than the training data."
            )
        for dataset_name, _, value, *_ in results:
            best_value, best_iteration, best_list = self._best.get(dataset_name, (np.inf, -1, []))
            if value < best_value - self.min_delta:
                self._best[dataset_name] = (value, env.iteration, list(env.evaluation_result_list))
            elif env.iteration - best_iteration >= self.rounds:
                raise lgb.callback.EarlyStopException(best_iteration, best_list)
        if env.iteration == env.end_iteration - 1:
            _, best_iteration, best_list = self._best[results[0][0]]
            raise lgb.callback.EarlyStopException(best_iteration, best_list)
