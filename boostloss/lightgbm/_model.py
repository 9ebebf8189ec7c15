"""What ``boostloss.lightgbm.train`` returns, and how predictions are made from it.

Single-output and multiclass losses give a plain ``lightgbm.Booster``. Its intercept (the
loss's ``init_score``, used as the Dataset init_score during training) is folded into the
leaves of the first iteration's trees after training, the way native LightGBM stores
``boost_from_average``: ``booster.predict(X, raw_score=True)`` is then the full raw score, also
after ``save_model``/``model_to_string``, for SHAP values and for plain LightGBM users. The loss
itself is attached as ``booster.boostloss_`` (a ``BoostLossInfo``; survives pickling, not
``save_model``) so that ``boostloss.lightgbm.predict`` can apply ``loss.transform``.

Multi-quantile and multilabel losses give a ``BoostLossMultiOutputModel``: one booster per
output column, stacked into (n, k) predictions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..losses.base import Loss
from ._engine import dataset_init_score, require_lightgbm

__all__ = [
    "BoostLossInfo",
    "BoostLossMultiOutputModel",
    "fold_intercept",
    "features_and_offset",
    "predict_raw",
    "to_output",
    "check_output",
    "OUTPUTS",
]

OUTPUTS = ("response", "raw")

_NUM_LEAVES = re.compile(r"^num_leaves=(\d+)$", re.MULTILINE)


@dataclass(frozen=True)
class BoostLossInfo:
    """Training facts attached to a booster as ``booster.boostloss_``.

    Attributes:
        loss: the loss trained (used by ``predict(output="response")``).
        init_score: the intercept the training started from (float, or (k,) for multiclass),
            already folded into the model's first trees.
        used_offset: True if the training Dataset carried its own init_score, which is then
            the starting score and no intercept is added; offsets are never part of the
            model, add them to ``output="raw"`` yourself (or predict from a Dataset carrying
            them).
        leaf_renewal: None, or the renewal statistics for absolute_error / quantile.
    """

    loss: Loss
    init_score: Any
    used_offset: bool = False
    leaf_renewal: dict | None = None


def fold_intercept(booster, intercept) -> None:
    """Add ``intercept`` (scalar or one value per class) to every leaf of the first
    iteration's trees, so the booster's raw score includes it."""
    per_tree = np.atleast_1d(np.asarray(intercept, dtype=np.float64))
    k = booster.num_model_per_iteration()
    if per_tree.size not in (1, k):
        raise ValueError(f"intercept has {per_tree.size} values for {k} trees per iteration.")
    per_tree = np.broadcast_to(per_tree, (k,))
    if booster.num_trees() < k:
        raise RuntimeError("the trained booster has no complete first iteration to hold the intercept.")
    text = booster.model_to_string(start_iteration=0, num_iteration=1)
    counts = [int(c) for c in _NUM_LEAVES.findall(text[text.find("Tree=") :])]
    for tree, n_leaves in enumerate(counts[:k]):
        if per_tree[tree] == 0.0:
            continue
        for leaf in range(n_leaves):
            value = booster.get_leaf_output(tree, leaf) + float(per_tree[tree])
            booster.set_leaf_output(tree, leaf, value)


def features_and_offset(data):
    """(features for ``Booster.predict``, offset or None). A Dataset gives its raw data and its
    init_score (an offset, added to the raw score like XGBoost's base_margin)."""
    lgb = require_lightgbm()
    if isinstance(data, lgb.Dataset):
        features = data.data
        if features is None:
            raise ValueError(
                "this Dataset no longer holds its raw features (free_raw_data=True after "
                "construction); pass the feature matrix instead, or build the Dataset with "
                "free_raw_data=False."
            )
        return features, dataset_init_score(data)
    return data, None


def _add_offset(raw: np.ndarray, offset) -> np.ndarray:
    offset = np.asarray(offset, dtype=np.float64)
    if raw.ndim == 2 and offset.ndim == 1 and offset.size == raw.size:
        offset = offset.reshape(raw.shape, order="F")  # LightGBM stores class-major
    if offset.shape != raw.shape and offset.shape != raw.shape[:1]:
        raise ValueError(f"init_score of shape {offset.shape} does not fit raw scores {raw.shape}.")
    return raw + (offset if offset.shape == raw.shape else offset[:, None])


def predict_raw(booster, data, num_iteration: int | None) -> np.ndarray:
    """Raw scores (intercept included, offsets of a Dataset added), (n,) or (n, k)."""
    features, offset = features_and_offset(data)
    raw = np.asarray(booster.predict(features, raw_score=True, num_iteration=num_iteration))
    raw = raw.astype(np.float64, copy=False)
    return raw if offset is None else _add_offset(raw, offset)


def to_output(loss: Loss | None, raw: np.ndarray, output: str) -> np.ndarray:
    if output == "raw":
        return raw
    if loss is None:
        raise ValueError(
            "this model carries no boostloss loss (it was not trained by "
            "boostloss.lightgbm.train, or was reloaded from a model file): pass loss=... or "
            "use output='raw'."
        )
    return loss.transform(raw)


def check_output(output: str) -> None:
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}.")


class BoostLossMultiOutputModel:
    """One LightGBM booster per output column of a multi-quantile or multilabel loss.

    LightGBM trees have one output each (multiclass boosters are tied to a softmax-style
    gradient), so ``boostloss.lightgbm.train`` fits output column j with its own booster and
    the single-output loss of that column: quantile(alpha=levels[j]) for a list of levels,
    logistic on label column j for multilabel_logistic. Both losses are sums over columns,
    so this minimises the same total loss.

    Attributes:
        boosters: list of ``lightgbm.Booster``, one per output column (each with its column's
            intercept folded in and its own ``best_iteration``).
        loss: the multi-output loss.
        init_score: (k,) intercepts.
        best_iteration: tuple of each booster's best iteration (0: no early stopping), since
            each column is early-stopped on its own metric.
    """

    def __init__(self, boosters: list, loss: Loss, init_score) -> None:
        self.boosters = list(boosters)
        self.loss = loss
        self.init_score = np.asarray(init_score, dtype=np.float64)

    @property
    def n_outputs(self) -> int:
        return len(self.boosters)

    @property
    def best_iteration(self) -> tuple[int, ...]:
        return tuple(int(b.best_iteration) for b in self.boosters)

    def __repr__(self) -> str:
        return f"BoostLossMultiOutputModel(loss={self.loss!r}, n_outputs={self.n_outputs})"

    def predict(self, data, *, output: str = "response", num_iteration: int | None = None):
        """(n, k) predictions: raw scores, or ``loss.transform`` of them.

        ``num_iteration=None`` uses each booster's own best iteration (all trees when it was
        not early-stopped); an int applies to every booster.
        """
        check_output(output)
        features, offset = features_and_offset(data)
        columns = [
            np.asarray(b.predict(features, raw_score=True, num_iteration=num_iteration))
            for b in self.boosters
        ]
        raw = np.column_stack(columns).astype(np.float64, copy=False)
        if offset is not None:
            raw = _add_offset(raw, offset)
        return to_output(self.loss, raw, output)
