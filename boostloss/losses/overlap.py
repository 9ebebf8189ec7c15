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

# The counts and parameters enter only sums and ratios (never a product of two counts or a
# square), so any finite value up to this bound works.
MAX_PARAM = 1e300


def _smooth_param(value) -> float:
    return check_number_param("smooth", value, low=0.0, high=MAX_PARAM, low_open=True)


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
        # einsum multiplies and sums in one pass: no (n,) temporaries for w * y or w * p
        if w is None:
            true_positive = float(np.dot(y, p))
            predicted, actual = float(p.sum()), float(y.sum())
        else:
            true_positive = float(np.einsum("i,i,i->", w, y, p))
            predicted, actual = float(np.dot(w, p)), float(np.dot(w, y))
        false_positive = predicted - true_positive
        false_negative = actual - true_positive
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
        # dL/dp_i = w_i (r * slope_i - a y_i) / M with r = N / M, slope_i = a y_i + alpha (1 - y_i)
        # - beta y_i: two constants, one per class. Written with the ratio r (never N * M or
        # M^2, which overflowed for weights of 1e160 or smooth = 1e155).
        a = self._true_positive_factor
        ratio = numerator / denominator
        per_positive = (ratio * (a - self._fn_weight) - a) / denominator
        per_negative = ratio * self._fp_weight / denominator
        n = y.shape[0]
        grad = p  # reused in place: p is not needed below
        np.multiply(grad, expit(-flat_raw), out=grad)  # sigmoid slope p (1 - p)
        grad *= np.where(y > 0.5, n * per_positive, n * per_negative)
        if weight is not None:
            grad *= weight
        hess = np.abs(grad)
        np.maximum(hess, MIN_HESSIAN, out=hess, where=(weight is None) or (weight > 0))
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
    ``smooth`` s in (0, 1e300] (keeps the ratio finite when there are no positives). Optimising it
    targets F1 (Dice = F1 on hard predictions). See the module docstring for grad and hess.
    """

    name = "dice"
    _true_positive_factor = 2.0
    _fp_weight = 1.0
    _fn_weight = 1.0

    def __init__(self, *, smooth: float = 1.0):
        self.smooth = _smooth_param(smooth)


class Tversky(_OverlapLoss):
    """Tversky loss: 1 - (TP + s) / (TP + alpha FP + beta FN + s).

    Domain: y in {0, 1} or {-1, +1}. Link: logit. Parameters: ``alpha`` in [0, 1e300]
    (weight of false positives), ``beta`` in [0, 1e300] (weight of false negatives), not
    both 0 (then the loss is 0 for every prediction), ``smooth`` s in (0, 1e300].
    alpha = beta = 1 is the soft IoU (Jaccard) loss; alpha = beta = 0.5 with smooth s equals
    dice with smooth 2s. See the module docstring for grad and hess.
    """

    name = "tversky"
    _true_positive_factor = 1.0

    def __init__(self, *, alpha: float = 0.5, beta: float = 0.5, smooth: float = 1.0):
        self.alpha = check_number_param("alpha", alpha, low=0.0, high=MAX_PARAM)
        self.beta = check_number_param("beta", beta, low=0.0, high=MAX_PARAM)
        if self.alpha == 0 and self.beta == 0:
            raise ValueError(
                "tversky: alpha and beta are both 0, which makes the loss 0 for every "
                "prediction (nothing to learn). Give false positives or false negatives a "
                "positive weight (alpha = beta = 0.5 is Dice, 1 is IoU)."
            )
        self.smooth = _smooth_param(smooth)

    @property
    def _fp_weight(self) -> float:  # type: ignore[override]
        return self.alpha

    @property
    def _fn_weight(self) -> float:  # type: ignore[override]
        return self.beta
