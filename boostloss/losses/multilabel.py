"""Multilabel losses: y and raw are both (n, k), one independent binary task per column."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ..links import LogitLink
from ._labels import binary_labels
from .base import Loss
from .binary import softplus

__all__ = ["MultilabelLogistic"]


class MultilabelLogistic(Loss):
    """Sum over columns of the binary logistic loss (torch
    ``binary_cross_entropy_with_logits(raw, y, reduction="none").sum(1)``).

    Domain: y (n, k) all in {0, 1} or all in {-1, +1}; raw (n, k). Link: logit per column,
    ``transform`` = column-wise sigmoid.

    loss_i = sum_j softplus(raw_ij) - y_ij * raw_ij
           = sum_j y_ij softplus(-raw_ij) + (1 - y_ij) softplus(raw_ij)
    grad_ij = sigmoid(raw_ij) - y_ij   (computed as (1-y) sigma(raw) - y sigma(-raw))
    hess_ij = sigmoid(raw_ij) * sigmoid(-raw_ij)   (exact)

    Init score: per column, the logit of the weighted prevalence; a column with only one
    class raises ValueError (its best constant is infinite).
    """

    name = "multilabel_logistic"
    task = "multilabel"
    output_kind = "multilabel"
    has_probabilities = True
    label_domain = "(n, k) matrix, all in {0, 1} or all in {-1, +1}"
    link = LogitLink()

    def __init__(self):
        pass

    def n_outputs_for(self, y_true) -> int:
        return int(np.shape(y_true)[1])

    def _check_labels(self, y):
        return binary_labels(self.name, y)

    def _check_raw_shape(self, y, raw):
        if raw.shape != y.shape:
            raise ValueError(
                f"{self.name}: raw must have the shape of y_true {y.shape}, got {raw.shape}."
            )

    def _loss(self, y, raw):
        return (y * softplus(-raw) + (1.0 - y) * softplus(raw)).sum(axis=1)

    def _grad_hess(self, y, raw):
        p = expit(raw)
        q = expit(-raw)
        return (1.0 - y) * p - y * q, p * q

    def _init_score(self, y, weight):
        w = np.ones(y.shape[0]) if weight is None else weight
        positive = w @ y
        negative = w @ (1.0 - y)
        one_class = np.flatnonzero((positive == 0) | (negative == 0)).tolist()
        if one_class:
            raise ValueError(
                f"{self.name}: label columns {one_class} hold a single class, so their best "
                "constant logit is infinite. Drop those columns or add samples of both classes."
            )
        return np.log(positive) - np.log(negative)
