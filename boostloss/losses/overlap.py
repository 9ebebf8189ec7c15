"""Set-overlap losses (Dice, Tversky) for binary labels: non-separable batch losses.

With p = sigmoid(raw) and sample weights w (ones if None), the soft confusion counts are
TP = sum w p y, FP = sum w p (1 - y), FN = sum w (1 - p) y. Both losses have the form

    L = 1 - N / M,   N = a TP + s,   M = a TP + alpha FP + beta FN + s

(Dice: a = 2, alpha = beta = 1, since 2 TP + FP + FN = sum w p + sum w y; Tversky: a = 1).
The value depends on every row, so ``loss(...)`` returns the batch value L for every
sample, ``metric`` is L, and ``grad_hess`` returns the gradient of ``sum(loss(...)) = n L``
(n times the batch gradient: the engines' per-sample-sum scale). Sample weights enter
through the counts and are not multiplied in a second time.

Gradient:  dL/dp_i = w_i [N (a y_i + alpha (1 - y_i) - beta y_i) - a y_i M] / M^2
           grad_i = n * dL/dp_i * p_i (1 - p_i)
Hessian surrogate: hess_i = n * |dL/dp_i| * p_i (1 - p_i) (= |grad_i|). The exact diagonal
changes sign and vanishes near the optimum; with this choice a Newton leaf value
-sum(g)/sum(h) is a weighted average of +-1, so every tree moves a leaf by at most one logit
(times the learning rate), whatever the batch size.

Init score: the logit of the weighted prevalence (the batch loss of a constant is monotone
in it, so there is no interior minimiser; the prevalence is the natural start).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from .._validation import check_number_param
from ..links import LogitLink
from ._constant import weighted_mean
from .base import MIN_HESSIAN
from .binary import _BinaryLoss

__all__ = ["Dice", "Tversky"]


class _OverlapLoss(_BinaryLoss):
    separable = False
    hessian_type = "surrogate"
    has_probabilities = True
    link = LogitLink()

    smooth: float
    _true_positive_factor: float
    _fp_weight: float
    _fn_weight: float

    def _numerator_denominator(self, y, p, w):
        wy = y if w is None else w * y
        wp = p if w is None else w * p
        true_positive = float(np.dot(wy, p))
        false_positive = float(wp.sum()) - true_positive
        false_negative = float(wy.sum()) - true_positive
        a = self._true_positive_factor
        numerator = a * true_positive + self.smooth
        denominator = (
            a * true_positive
            + self._fp_weight * false_positive
            + self._fn_weight * false_negative
            + self.smooth
        )
        return numerator, denominator

    def batch_value(self, y, p, w) -> float:
        numerator, denominator = self._numerator_denominator(y, p, w)
        return 1.0 - numerator / denominator

    def _weighted_loss(self, y, raw, weight):
        raw = raw if raw.ndim == 1 else raw[:, 0]
        return np.full(y.shape[0], self.batch_value(y, expit(raw), weight))

    def _metric(self, y, raw, weight):
        raw = raw if raw.ndim == 1 else raw[:, 0]
        return self.batch_value(y, expit(raw), weight)

    def _reference_grad_hess(self, y, raw, weight):
        raw = np.asarray(raw, dtype=np.float64)
        column = raw.ndim == 2
        flat_raw = raw[:, 0] if column else raw
        p = expit(flat_raw)
        numerator, denominator = self._numerator_denominator(y, p, weight)
        a = self._true_positive_factor
        denominator_slope = a * y + self._fp_weight * (1.0 - y) - self._fn_weight * y
        d_loss_d_p = (numerator * denominator_slope - a * y * denominator) / denominator**2
        n = y.shape[0]
        sigmoid_slope = p * expit(-flat_raw)
        grad = n * d_loss_d_p * sigmoid_slope
        hess = np.maximum(n * np.abs(d_loss_d_p) * sigmoid_slope, MIN_HESSIAN)
        if weight is not None:
            grad *= weight
            hess *= weight
        if column:
            return grad[:, None], hess[:, None]
        return grad, hess

    def _init_score(self, y, weight):
        self._require_two_classes(y, weight)
        prevalence = weighted_mean(y, weight)
        return float(np.log(prevalence) - np.log1p(-prevalence))


class Dice(_OverlapLoss):
    """Soft Dice loss: 1 - (2 sum w p y + s) / (sum w p + sum w y + s).

    Domain: y in {0, 1} or {-1, +1}. Link: logit (``transform`` = sigmoid). Parameter:
    ``smooth`` s > 0 (keeps the ratio finite when there are no positives). Optimising it
    targets F1 (Dice = F1 on hard predictions). See the module docstring for grad and hess.
    """

    name = "dice"
    _true_positive_factor = 2.0
    _fp_weight = 1.0
    _fn_weight = 1.0

    def __init__(self, *, smooth: float = 1.0):
        self.smooth = check_number_param("smooth", smooth, low=0.0, low_open=True)


class Tversky(_OverlapLoss):
    """Tversky loss: 1 - (TP + s) / (TP + alpha FP + beta FN + s).

    Domain: y in {0, 1} or {-1, +1}. Link: logit. Parameters: ``alpha`` >= 0 (weight of
    false positives), ``beta`` >= 0 (weight of false negatives), ``smooth`` s > 0.
    alpha = beta = 1 is the soft IoU (Jaccard) loss; alpha = beta = 0.5 with smooth s equals
    dice with smooth 2s. See the module docstring for grad and hess.
    """

    name = "tversky"
    _true_positive_factor = 1.0

    def __init__(self, *, alpha: float = 0.5, beta: float = 0.5, smooth: float = 1.0):
        self.alpha = check_number_param("alpha", alpha, low=0.0)
        self.beta = check_number_param("beta", beta, low=0.0)
        self.smooth = check_number_param("smooth", smooth, low=0.0, low_open=True)

    @property
    def _fp_weight(self) -> float:  # type: ignore[override]
        return self.alpha

    @property
    def _fn_weight(self) -> float:  # type: ignore[override]
        return self.beta
