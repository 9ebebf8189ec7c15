"""Binary classification losses on a logit or margin ``raw``.

Labels are all in {0, 1} or all in {-1, +1} (the same meaning); internally y is {0, 1} and
s = 2y - 1 is the label's sign. Stability idioms used throughout:

- ``log sigmoid(x) = -softplus(-x)`` with ``softplus = logaddexp(0, x)`` (no overflow),
- ``sigmoid`` from scipy's ``expit`` and ``1 - sigmoid(x)`` as ``expit(-x)`` (no cancellation),
- derivatives written in z = s * raw so that both classes share one formula.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from .._validation import check_bool_param, check_number_param
from ..links import IdentityLink, LogitLink
from ._constant import minimize_convex_scalar, minimize_scalar_global
from ._labels import binary_labels, probability_labels
from .base import Loss

__all__ = ["Logistic", "Focal", "SquaredHinge", "SmoothHinge"]

DEFAULT_HESSIAN_FLOOR = 0.1
MAX_FOCAL_GAMMA = 100.0  # see Focal: (1/2)^gamma must stay a float32 normal number


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(x)), exact for any x (logaddexp never overflows)."""
    return np.logaddexp(0.0, x)


class _BinaryLoss(Loss):
    task = "binary"
    label_domain = "all in {0, 1} or all in {-1, +1}"

    def _check_labels(self, y):
        return binary_labels(self.name, y)

    def _require_two_classes(self, y, weight):
        positive = y if weight is None else y * weight
        total = y.size if weight is None else weight.sum()
        if positive.sum() == 0 or positive.sum() == total:
            only = "negative (0)" if positive.sum() == 0 else "positive (1)"
            raise ValueError(
                f"{self.name}: every (weighted) label is {only}; the best constant logit is "
                "infinite. Binary losses need both classes in the training data."
            )


class Logistic(_BinaryLoss):
    """Binary cross-entropy on logits, with optional positive-class weight and label smoothing.

    = torch.nn.functional.binary_cross_entropy_with_logits(raw, y_s, pos_weight=pos_weight),
    with y_s = y (1 - eps) + eps / 2. Domain: y in {0, 1} or {-1, +1}; with
    ``soft_labels=True`` any y in [0, 1] (a probability target: distillation, crowd labels),
    on which the formulas below hold unchanged. Link: logit, ``transform`` = sigmoid.
    Parameters: ``pos_weight`` None or > 0, ``label_smoothing`` eps in [0, 1),
    ``soft_labels`` bool (default False: fractional labels are an error, as a guard against
    passing scores where classes were meant).

    With sigma = sigmoid(raw) and pw = pos_weight (1 if None):
    loss = pw * y_s * softplus(-raw) + (1 - y_s) * softplus(raw)
    grad = (1 - y_s) * sigma(raw) - pw * y_s * sigma(-raw)
    hess = sigma(raw) * sigma(-raw) * (pw * y_s + 1 - y_s)   (exact)

    Init score: log(sum w pw y_s / sum w (1 - y_s)), the logit of the (re-weighted) smoothed
    prevalence (the weighted mean target with soft labels). Native twins: XGBoost
    ``binary:logistic`` and LightGBM ``binary`` (eps = 0, hard labels), LightGBM
    ``cross_entropy`` or XGBoost ``binary:logistic`` on y_s (eps > 0 or soft labels;
    LightGBM ``binary`` silently binarizes soft labels).
    """

    name = "logistic"
    label_domain = "all in {0, 1} or all in {-1, +1}; in [0, 1] with soft_labels=True"
    has_probabilities = True
    link = LogitLink()

    def __init__(
        self,
        *,
        pos_weight: float | None = None,
        label_smoothing: float = 0.0,
        soft_labels: bool = False,
    ):
        if pos_weight is not None:
            pos_weight = check_number_param("pos_weight", pos_weight, low=0.0, low_open=True)
        self.pos_weight = pos_weight
        self.label_smoothing = check_number_param(
            "label_smoothing", label_smoothing, low=0.0, high=1.0, high_open=True
        )
        self.soft_labels = check_bool_param("soft_labels", soft_labels)

    def _check_labels(self, y):
        if self.soft_labels:
            return probability_labels(self.name, y)
        return binary_labels(self.name, y)

    def _smoothed(self, y):
        eps = self.label_smoothing
        return y * (1.0 - eps) + 0.5 * eps if eps else y

    @property
    def _pw(self) -> float:
        return 1.0 if self.pos_weight is None else self.pos_weight

    def _loss(self, y, raw):
        target = self._smoothed(y)
        return self._pw * target * softplus(-raw) + (1.0 - target) * softplus(raw)

    def _grad_hess(self, y, raw):
        target = self._smoothed(y)
        p = expit(raw)
        q = expit(-raw)
        positive_part = self._pw * target
        grad = (1.0 - target) * p - positive_part * q
        hess = p * q * (positive_part + 1.0 - target)
        return grad, hess

    def _init_score(self, y, weight):
        target = self._smoothed(y)
        w = np.ones_like(y) if weight is None else weight
        positive = self._pw * np.dot(w, target)
        negative = np.dot(w, 1.0 - target)
        if positive == 0 or negative == 0:
            self._require_two_classes(y, weight)
        return float(np.log(positive) - np.log(negative))


class Focal(_BinaryLoss):
    """Binary focal loss = torchvision.ops.sigmoid_focal_loss(raw, y, alpha, gamma, "none").

    Domain: y in {0, 1} or {-1, +1}. Link: logit, ``transform`` = sigmoid. Parameters:
    ``gamma`` in [0, 100], ``alpha`` None (no class balancing) or in [0, 1]. (At raw = 0 the
    modulator is 2^-gamma: past gamma ~ 126 the starting gradient is below float32's
    smallest normal number and nothing trains; gamma = 1e300 made gamma^2 overflow.)

    With z = s * raw, q = sigmoid(z) (the probability of the true class, torch's p_t),
    u = 1 - q = sigmoid(-z), S = softplus(-z) = -log q, and a = alpha for y = 1,
    1 - alpha for y = 0 (a = 1 when alpha is None):

    loss = a * u^gamma * S
    grad = -s * a * u^gamma * (gamma * q * S + u)
    exact d2/draw2 = a * q * u^gamma * (u * (2 gamma + 1) + gamma * S * (gamma * q - u))
    hess = a * q * u^gamma * (u * (2 gamma + 1) + gamma * S * max(gamma * q - u, 0))

    The exact second derivative turns negative for confidently wrong predictions
    (q < 1 / (1 + gamma) and S large). The surrogate drops the negative part of its last
    term: it equals the exact value wherever q >= 1 / (1 + gamma) (raw on the right side of
    -log(gamma)), stays positive everywhere, and in the wrong tail behaves like the
    logistic curvature a * (2 gamma + 1) * q, so Newton steps are no larger than the native
    logistic objective's. gamma = 0 gives the alpha-weighted logistic loss exactly.

    Init score: numerical minimisation of the mean focal loss over a constant logit.
    """

    name = "focal"
    hessian_type = "surrogate"
    has_probabilities = True
    link = LogitLink()

    def __init__(self, *, gamma: float = 2.0, alpha: float | None = 0.25):
        self.gamma = check_number_param("gamma", gamma, low=0.0, high=MAX_FOCAL_GAMMA)
        if alpha is not None:
            alpha = check_number_param("alpha", alpha, low=0.0, high=1.0)
        self.alpha = alpha

    def _pieces(self, y, raw):
        sign = 2.0 * y - 1.0
        z = sign * raw
        q = expit(z)
        u = expit(-z)
        log_term = softplus(-z)
        modulator = u**self.gamma if self.gamma != 2.0 else u * u
        if self.alpha is None:
            balance = 1.0
        else:
            balance = np.where(y > 0.5, self.alpha, 1.0 - self.alpha)
        return sign, q, u, log_term, modulator, balance

    def _loss(self, y, raw):
        _, _, _, log_term, modulator, balance = self._pieces(y, raw)
        return balance * modulator * log_term

    def _grad_hess(self, y, raw):
        sign, q, u, log_term, modulator, balance = self._pieces(y, raw)
        gamma = self.gamma
        scale = balance * modulator
        grad = -sign * scale * (gamma * q * log_term + u)
        curvature = u * (2.0 * gamma + 1.0) + gamma * log_term * np.maximum(gamma * q - u, 0.0)
        hess = scale * q * curvature
        return grad, hess

    def exact_hessian(self, y_true, raw) -> np.ndarray:
        """The true second derivative (may be negative); for tests and diagnostics."""
        y, raw, _ = self._validate(y_true, raw, None)
        _, q, u, log_term, modulator, balance = self._pieces(y, raw)
        gamma = self.gamma
        return balance * modulator * q * (
            u * (2.0 * gamma + 1.0) + gamma * log_term * (gamma * q - u)
        )

    def _init_score(self, y, weight):
        self._require_two_classes(y, weight)
        if self.alpha in (0.0, 1.0):
            raise ValueError(
                f"focal: with alpha={self.alpha} one class carries no loss, so the best "
                "constant logit is infinite. Use alpha in (0, 1) or None."
            )

        def objective(constant: float) -> float:
            return self._metric(y, np.full_like(y, constant), weight)

        # The focal loss is not convex in raw (its second derivative turns negative in the
        # wrong tail), so search a grid first; |logit| <= 40 covers prevalences to 4e-18.
        return minimize_scalar_global(objective, -40.0, 40.0)


class _MarginLoss(_BinaryLoss):
    """Margin losses: raw is a score whose sign is the prediction; no probabilities."""

    link = IdentityLink()
    hessian_type = "surrogate"

    def __init__(self, *, hessian_floor: float = DEFAULT_HESSIAN_FLOOR):
        self.hessian_floor = check_number_param(
            "hessian_floor", hessian_floor, low=0.0, low_open=True
        )

    def _init_score(self, y, weight):
        def objective(constant: float) -> float:
            return self._metric(y, np.full_like(y, constant), weight)

        # Both margin losses are convex and flat (zero) once every margin is >= 1, so a
        # minimiser always lies in [-1, 1].
        return minimize_convex_scalar(objective, -1.0, 1.0)


class SquaredHinge(_MarginLoss):
    """Squared hinge loss on the margin m = s * raw.

    Domain: y in {0, 1} or {-1, +1}. Link: identity (``transform`` returns the margin; the
    prediction is its sign). Parameter: ``hessian_floor`` > 0.

    loss = max(0, 1 - m)^2
    grad = -2 s * max(0, 1 - m)
    hess = 2 if m < 1 else hessian_floor   (the exact value there is 0: such rows have no
           gradient, the floor only keeps the Hessian positive)

    Init score: numerical minimisation over [-1, 1].
    """

    name = "squared_hinge"

    def _loss(self, y, raw):
        slack = np.maximum(0.0, 1.0 - (2.0 * y - 1.0) * raw)
        return slack * slack

    def _grad_hess(self, y, raw):
        sign = 2.0 * y - 1.0
        slack = np.maximum(0.0, 1.0 - sign * raw)
        return -2.0 * sign * slack, np.where(slack > 0, 2.0, self.hessian_floor)


class SmoothHinge(_MarginLoss):
    """Smooth hinge (Rennie & Srebro, 2005) on the margin m = s * raw.

    Domain: y in {0, 1} or {-1, +1}. Link: identity. Parameter: ``hessian_floor`` > 0.

    loss = 0 if m >= 1;  (1 - m)^2 / 2 if 0 < m < 1;  1/2 - m if m <= 0
    grad = s * dloss/dm with dloss/dm = 0, -(1 - m), -1 on the three pieces
    hess = 1 if 0 < m < 1 else hessian_floor   (the exact value is 0 on the outer pieces)

    In the linear piece a leaf of misclassified rows moves by at most 1 / hessian_floor.
    Init score: numerical minimisation over [-1, 1].
    """

    name = "smooth_hinge"

    def _loss(self, y, raw):
        margin = (2.0 * y - 1.0) * raw
        quadratic = 0.5 * (1.0 - margin) ** 2
        return np.where(margin >= 1.0, 0.0, np.where(margin > 0.0, quadratic, 0.5 - margin))

    def _grad_hess(self, y, raw):
        sign = 2.0 * y - 1.0
        margin = sign * raw
        slope = np.where(margin >= 1.0, 0.0, np.where(margin > 0.0, margin - 1.0, -1.0))
        in_quadratic = (margin > 0.0) & (margin < 1.0)
        return sign * slope, np.where(in_quadratic, 1.0, self.hessian_floor)
