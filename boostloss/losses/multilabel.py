"""Multilabel losses: y and raw are both (n, k), one independent binary task per column."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from .._validation import check_weights_param
from ..links import LogitLink
from ._labels import binary_labels
from .base import Loss
from .binary import softplus

__all__ = ["MultilabelLogistic"]


class MultilabelLogistic(Loss):
    """Sum over columns of the binary logistic loss (torch
    ``binary_cross_entropy_with_logits(raw, y, pos_weight=pos_weight, reduction="none").sum(1)``).

    Domain: y (n, k) all in {0, 1} or all in {-1, +1}; raw (n, k). Link: logit per column,
    ``transform`` = column-wise sigmoid. Parameter: ``pos_weight`` None or k numbers > 0
    (column j's positive labels count pw_j times, torch's per-label pos_weight).

    With pw_j = pos_weight[j] (1 if None):
    loss_i = sum_j pw_j y_ij softplus(-raw_ij) + (1 - y_ij) softplus(raw_ij)
    grad_ij = (1 - y_ij) sigma(raw_ij) - pw_j y_ij sigma(-raw_ij)
    hess_ij = sigma(raw_ij) sigma(-raw_ij) (pw_j y_ij + 1 - y_ij)   (exact)

    Init score: per column, log(pw_j * weighted positives / weighted negatives) (the logit
    of the prevalence when pw = 1); a column with only one class raises ValueError (its
    best constant is infinite).
    """

    name = "multilabel_logistic"
    task = "multilabel"
    output_kind = "multilabel"
    has_probabilities = True
    label_domain = "(n, k) matrix, all in {0, 1} or all in {-1, +1}"
    link = LogitLink()

    def __init__(self, *, pos_weight=None):
        self.pos_weight = check_weights_param("pos_weight", pos_weight)
        if self.pos_weight is not None and np.any(self.pos_weight <= 0):
            raise ValueError(f"pos_weight must hold numbers > 0 (one per label), got {pos_weight!r}.")

    @property
    def n_outputs(self) -> int | None:
        return None if self.pos_weight is None else int(self.pos_weight.size)

    def n_outputs_for(self, y_true) -> int:
        return int(np.shape(y_true)[1])

    def _check_labels(self, y):
        y = binary_labels(self.name, y)
        if self.pos_weight is not None and y.shape[1] != self.pos_weight.size:
            raise ValueError(
                f"{self.name}: y_true has {y.shape[1]} label columns but pos_weight has "
                f"{self.pos_weight.size} entries; give one pos_weight per label column."
            )
        return y

    def _check_raw_shape(self, y, raw):
        if raw.shape != y.shape:
            raise ValueError(
                f"{self.name}: raw must have the shape of y_true {y.shape}, got {raw.shape}."
            )

    def _positive_target(self, y):
        return y if self.pos_weight is None else y * self.pos_weight

    def _loss(self, y, raw):
        return (self._positive_target(y) * softplus(-raw) + (1.0 - y) * softplus(raw)).sum(axis=1)

    def _grad_hess(self, y, raw):
        p = expit(raw)
        q = expit(-raw)
        positive = self._positive_target(y)
        if self.pos_weight is None:
            return (1.0 - y) * p - y * q, p * q
        return (1.0 - y) * p - positive * q, p * q * (positive + 1.0 - y)

    def _init_score(self, y, weight):
        w = np.ones(y.shape[0]) if weight is None else weight
        positive = w @ self._positive_target(y)
        negative = w @ (1.0 - y)
        one_class = np.flatnonzero((positive == 0) | (negative == 0)).tolist()
        if one_class:
            raise ValueError(
                f"{self.name}: label columns {one_class} hold a single class, so their best "
                "constant logit is infinite. Drop those columns or add samples of both classes."
            )
        return np.log(positive) - np.log(negative)
