"""Held-out scores of ``boostloss compare``, per task.

Each ``Metric`` maps a ``FoldPrediction`` (the labels and what a fitted model says about one
held-out fold) to a float, NaN where it does not apply (log loss and Brier score for margin
losses, which give no probabilities; pinball loss for non-quantile losses). ``direction``
says which way is better: +1 higher, -1 lower, 0 closer to zero (the mean bias).

- regression: RMSE, MAE, mean bias (mean of prediction - y), R2; with a quantile loss in the
  run also the pinball loss at its level and the share of y at or below the prediction
  (best when closest to the level: ``toward_level``).
- binary: log loss, Brier score, ROC AUC, average precision (the last two on the
  probability, or on the margin for margin losses), F1 of the predicted class.
- multiclass: log loss, accuracy, macro-averaged F1.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Metric", "FoldPrediction", "METRICS", "DEFAULT_RANK", "metrics_for"]


@dataclass(frozen=True)
class Metric:
    """A held-out score. ``direction``: +1 higher is better, -1 lower, 0 closest to 0."""

    key: str
    title: str
    direction: int
    compute: Callable[[Any], float]
    toward_level: bool = False  # best when closest to the row's quantile level

    def badness(self, mean: float, level: float | None = None) -> float:
        """Lower is better: mean, -mean, |mean| or |mean - level| by ``direction``."""
        if self.toward_level and level is not None:
            return abs(mean - level)
        if self.direction > 0:
            return -mean
        if self.direction < 0:
            return mean
        return abs(mean)


@dataclass
class FoldPrediction:
    """What a fitted model says about one held-out fold."""

    y: np.ndarray
    prediction: np.ndarray  # regression: response; classification: predicted class
    probability: np.ndarray | None = None  # binary (n,) of class 1, multiclass (n, k)
    score: np.ndarray | None = None  # binary ranking score (probability or margin)
    quantile_level: float | None = None


def _r2(p: FoldPrediction) -> float:
    from sklearn.metrics import r2_score

    return float(r2_score(p.y, p.prediction))


def _pinball(p: FoldPrediction) -> float:
    if p.quantile_level is None:
        return math.nan
    from ..metrics import pinball

    return pinball(p.y, p.prediction, alpha=p.quantile_level)


def _below(p: FoldPrediction) -> float:
    if p.quantile_level is None:
        return math.nan
    return float(np.mean(p.y <= p.prediction))


def _needs_probability(function: Callable[[FoldPrediction], float]) -> Callable[[FoldPrediction], float]:
    def compute(p: FoldPrediction) -> float:
        return math.nan if p.probability is None else function(p)

    return compute


def _binary_log_loss(p: FoldPrediction) -> float:
    from sklearn.metrics import log_loss

    return float(log_loss(p.y, p.probability, labels=[0, 1]))


def _brier(p: FoldPrediction) -> float:
    return float(np.mean((p.probability - p.y) ** 2))


def _roc_auc(p: FoldPrediction) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(p.y, p.score))


def _average_precision(p: FoldPrediction) -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(p.y, p.score))


def _f1(p: FoldPrediction) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(p.y, p.prediction, zero_division=0.0))


def _multiclass_log_loss(p: FoldPrediction) -> float:
    from sklearn.metrics import log_loss

    return float(log_loss(p.y, p.probability, labels=np.arange(p.probability.shape[1])))


def _accuracy(p: FoldPrediction) -> float:
    return float(np.mean(p.y == p.prediction))


def _macro_f1(p: FoldPrediction) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(p.y, p.prediction, average="macro", zero_division=0.0))


def _rmse(p: FoldPrediction) -> float:
    from ..metrics import rmse

    return rmse(p.y, p.prediction)


def _mae(p: FoldPrediction) -> float:
    from ..metrics import mae

    return mae(p.y, p.prediction)


def _bias(p: FoldPrediction) -> float:
    from ..metrics import mean_bias_error

    return mean_bias_error(p.y, p.prediction)


METRICS: dict[str, list[Metric]] = {
    "regression": [
        Metric("rmse", "RMSE", -1, _rmse),
        Metric("mae", "MAE", -1, _mae),
        Metric("bias", "mean bias", 0, _bias),
        Metric("r2", "R2", +1, _r2),
        Metric("pinball", "pinball", -1, _pinball),
        Metric("below", "share y<=pred", 0, _below, toward_level=True),
    ],
    "binary": [
        Metric("log_loss", "log loss", -1, _needs_probability(_binary_log_loss)),
        Metric("brier", "Brier", -1, _needs_probability(_brier)),
        Metric("roc_auc", "ROC AUC", +1, _roc_auc),
        Metric("average_precision", "avg precision", +1, _average_precision),
        Metric("f1", "F1", +1, _f1),
    ],
    "multiclass": [
        Metric("log_loss", "log loss", -1, _needs_probability(_multiclass_log_loss)),
        Metric("accuracy", "accuracy", +1, _accuracy),
        Metric("macro_f1", "macro F1", +1, _macro_f1),
    ],
}
DEFAULT_RANK = {"regression": "rmse", "binary": "log_loss", "multiclass": "log_loss"}
QUANTILE_ONLY = ("pinball", "below")


def metrics_for(task: str, loss_names: list[str]) -> list[Metric]:
    """The task's metrics; the pinball and share columns only when a quantile loss runs."""
    has_quantile = "quantile" in loss_names
    return [m for m in METRICS[task] if has_quantile or m.key not in QUANTILE_ONLY]
