"""Probability targets: cross-entropy against a distribution, and KL divergence.

A probability target is one probability per row, y in [0, 1] (binary, sigmoid link), or a
row on the simplex, y of shape (n, k) (multiclass, softmax link): a teacher model's
probabilities (distillation), crowd votes, label uncertainty. With a weighted target
a_ij >= 0 per row and class (a = y, or class weights and smoothing folded in) and
p = softmax(raw), A_i = sum_j a_ij:

    cross-entropy_i = -sum_j a_ij log p_ij
    grad_ij = A_i p_ij - a_ij
    hess_ij = A_i p_ij (1 - p_ij)     (the exact diagonal)

``ProbabilityTargets`` teaches a multiclass loss to take (n, k) targets beside class ids;
``KLDivergence`` is cross-entropy minus the target entropy, for both target shapes.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_softmax, softmax, xlogy

from .._validation import as_float_array
from ..links import LogitLink, SoftmaxLink
from ._labels import distribution_labels, probability_labels
from .base import MIN_HESSIAN, Loss
from .binary import softplus

__all__ = ["KLDivergence", "ProbabilityTargets", "soft_cross_entropy", "soft_cross_entropy_grad_hess"]


def soft_cross_entropy(weighted_target: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """-sum_j a_ij log softmax(raw_i)_j, shape (n,) (log_softmax: no overflow)."""
    return -(weighted_target * log_softmax(raw, axis=1)).sum(axis=1)


def soft_cross_entropy_grad_hess(weighted_target: np.ndarray, raw: np.ndarray):
    """(A p - a, A p (1 - p)) with A the row sums of a; p from the max-shifted softmax."""
    p = softmax(raw, axis=1)
    total = weighted_target.sum(axis=1, keepdims=True)
    return total * p - weighted_target, total * p * (1.0 - p)


class ProbabilityTargets:
    """Mixin for multiclass losses: y may also be (n, k) with rows on the simplex.

    Class ids (n,) keep the loss's own path; (n, k) targets are validated here, need raw of
    the same shape and fix the class count to k (the compiled kernels have a soft-target
    softmax for them).
    """

    name: str
    n_outputs: int | None

    def validate_labels(self, y_true) -> np.ndarray:
        y = as_float_array("y_true", y_true)
        if y.ndim != 2:
            return super().validate_labels(y)  # type: ignore[misc]
        y = distribution_labels(self.name, y)
        expected = self.n_outputs
        if expected is not None and y.shape[1] != expected:
            raise ValueError(
                f"{self.name}: probability targets have {y.shape[1]} columns but the loss is "
                f"configured for {expected} classes (class_weight / n_classes)."
            )
        return y

    def n_outputs_for(self, y_true) -> int:
        if np.ndim(y_true) == 2:
            return int(np.shape(y_true)[1])
        return super().n_outputs_for(y_true)  # type: ignore[misc]

    def _check_raw_shape(self, y, raw) -> None:
        if y.ndim != 2:
            super()._check_raw_shape(y, raw)  # type: ignore[misc]
            return
        if raw.shape != y.shape:
            raise ValueError(
                f"{self.name}: raw must have the shape of the probability targets {y.shape}, "
                f"got {raw.shape}."
            )


class KLDivergence(Loss):
    """KL divergence from a probability target to the model: cross-entropy minus the
    target's entropy (0 at a perfect fit).

    Domain: y of shape (n,) in [0, 1] (binary: raw (n,), link logit, ``transform`` =
    sigmoid), or y of shape (n, k) whose rows lie on the simplex (multiclass: raw (n, k),
    link softmax, ``transform`` = softmax over a 2-D raw). The class facts (task "binary",
    one output) describe the 1-D form; the (n, k) form is told apart by the shape of y.

    Binary, with sigma = sigmoid(raw):
    loss = y log(y / sigma) + (1 - y) log((1 - y) / (1 - sigma))
         = y softplus(-raw) + (1 - y) softplus(raw) + xlogy(y, y) + xlogy(1 - y, 1 - y)
    grad = sigma - y   (as (1 - y) sigma(raw) - y sigma(-raw))
    hess = sigma (1 - sigma)   (exact)
    Multiclass, with p = softmax(raw):
    loss = sum_j y_j (log y_j - log p_j)   (= torch kl_div(log_softmax(raw), y).sum(1),
           0 log 0 = 0)
    grad_j = p_j - y_j,  hess_j = p_j (1 - p_j)   (exact diagonal)

    The gradients equal those of the soft-label cross-entropy (``logistic(soft_labels=True)``,
    ``softmax_cross_entropy`` with (n, k) targets): the entropy is a constant of the data, so
    both train the same trees; this loss reports a value that is 0 at a perfect fit.

    Init score: the link of the weighted mean target (binary: its logit; multiclass: log of
    the mean distribution minus the mean log). A mean target of exactly 0 or 1 (or a class
    with zero mean mass) has no finite best constant and raises ValueError.
    """

    name = "kl_divergence"
    task = "binary"
    has_probabilities = True
    label_domain = "(n,) in [0, 1] or (n, k) rows on the simplex"
    link = LogitLink()

    def __init__(self):
        pass

    # ---------------------------------------------------------------- shapes and labels
    def validate_labels(self, y_true) -> np.ndarray:
        y = as_float_array("y_true", y_true)
        if y.ndim == 2:
            return distribution_labels(self.name, y)
        if y.ndim != 1:
            raise ValueError(
                f"{self.name}: y_true must have shape (n_samples,) or (n_samples, n_classes), "
                f"got shape {y.shape}."
            )
        return probability_labels(self.name, y)

    def n_outputs_for(self, y_true) -> int:
        return int(np.shape(y_true)[1]) if np.ndim(y_true) == 2 else 1

    def _check_raw_shape(self, y, raw) -> None:
        if y.ndim == 1:
            super()._check_raw_shape(y, raw)
        elif raw.shape != y.shape:
            raise ValueError(
                f"{self.name}: raw must have the shape of the probability targets {y.shape}, "
                f"got {raw.shape}."
            )

    def transform(self, raw) -> np.ndarray:
        """sigmoid of a 1-D (or (n, 1)) raw, softmax over the columns of an (n, k) raw."""
        raw = as_float_array("raw", raw)
        if raw.ndim == 2 and raw.shape[1] > 1:
            return SoftmaxLink().inverse(raw)
        return self.link.inverse(raw)

    # ---------------------------------------------------------------- math
    def _weighted_loss(self, y, raw, weight):
        if y.ndim == 1:
            return super()._weighted_loss(y, raw, weight)
        values = soft_cross_entropy(y, raw) + xlogy(y, y).sum(axis=1)
        return values if weight is None else values * weight

    def _reference_grad_hess(self, y, raw, weight):
        if y.ndim == 1:
            return super()._reference_grad_hess(y, raw, weight)
        grad, hess = soft_cross_entropy_grad_hess(y, np.asarray(raw, dtype=np.float64))
        np.maximum(hess, MIN_HESSIAN, out=hess)
        if weight is not None:
            grad *= weight[:, None]
            hess *= weight[:, None]
        return grad, hess

    def _loss(self, y, raw):
        entropy_term = xlogy(y, y) + xlogy(1.0 - y, 1.0 - y)  # -H(y), 0 log 0 = 0
        return y * softplus(-raw) + (1.0 - y) * softplus(raw) + entropy_term

    def _grad_hess(self, y, raw):
        p = expit(raw)
        q = expit(-raw)
        return (1.0 - y) * p - y * q, p * q

    def _init_score(self, y, weight):
        mean = np.average(y, axis=0, weights=weight)
        if y.ndim == 1:
            if mean <= 0.0 or mean >= 1.0:
                raise ValueError(
                    f"{self.name}: the (weighted) mean target is {float(mean)!r}, so the best "
                    "constant logit is infinite. The targets need mass on both classes."
                )
            return float(np.log(mean) - np.log1p(-mean))
        if np.any(mean <= 0.0):
            missing = np.flatnonzero(mean <= 0.0).tolist()
            raise ValueError(
                f"{self.name}: classes {missing} have zero (weighted) target mass, so their "
                "best constant logit is -inf. Drop those columns or smooth the targets."
            )
        log_mean = np.log(mean)
        return log_mean - log_mean.mean()
