"""Regression losses with the identity link (raw is the prediction itself).

Notation: e = y - raw (the residual). ``grad`` = d loss / d raw = -d loss / d e, and
``hess`` = d^2 loss / d raw^2 = d^2 loss / d e^2.

Robust losses (huber, smooth_l1, pseudo_huber, log_cosh, fair) have a second derivative that
vanishes, or decays towards zero, for large |e|. A Newton leaf value is -sum(g) / sum(h); with
|g| bounded but h -> 0 a leaf full of outliers would jump by e^3 (pseudo-Huber) or e^2 (fair),
and the engines' default reg_lambda=1 / min_child_weight=1 would turn tiny Hessians into
"leaf value = -sum(g)" or into no split at all. These losses therefore take a
``hessian_floor`` and return ``max(exact_hessian, hessian_floor)``: in any leaf whose rows all
sit in the floored region, the Newton step is at most max|g| / hessian_floor (= delta /
hessian_floor for Huber-type losses, 1 / hessian_floor for Log-Cosh). The default, 0.1, bounds
that step by ten times the loss's transition scale while leaving the Hessian exact where it
is larger than a tenth of its peak value (1 at e = 0 for every loss here except smooth_l1).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_levels_param, check_number_param
from ._constant import minimize_convex_scalar, weighted_mean, weighted_quantile
from .base import Loss

__all__ = [
    "SquaredError",
    "AbsoluteError",
    "Huber",
    "SmoothL1",
    "PseudoHuber",
    "LogCosh",
    "Fair",
    "Expectile",
    "Quantile",
]

DEFAULT_HESSIAN_FLOOR = 0.1


class _ConvexRegressionLoss(Loss):
    """Identity-link regression loss whose best constant is found numerically.

    The weighted mean loss of a constant is convex in that constant and minimised inside
    [min(y), max(y)], so bounded Brent on that bracket finds it.
    """

    def _init_score(self, y, weight):
        def objective(constant: float) -> float:
            return self._metric(y, np.full_like(y, constant), weight)

        if weight is not None:
            y_used = y[weight > 0]
        else:
            y_used = y
        return minimize_convex_scalar(objective, float(y_used.min()), float(y_used.max()))


class SquaredError(Loss):
    """Half squared error, the engines' own convention.

    Domain: y real. Link: identity. ``transform`` is the identity.

    loss = 1/2 * e^2,    grad = raw - y,    hess = 1 (exact, constant).

    Init score: the weighted mean of y. Equals XGBoost ``reg:squarederror`` and LightGBM
    ``regression``; twice torch's ``mse_loss`` (the one DESIGN.md exception).
    """

    name = "squared_error"
    hessian_type = "constant"

    def __init__(self):
        pass

    def _loss(self, y, raw):
        e = y - raw
        return 0.5 * e * e

    def _grad_hess(self, y, raw):
        return raw - y, np.ones_like(raw)

    def _init_score(self, y, weight):
        return weighted_mean(y, weight)


class AbsoluteError(Loss):
    """Absolute error (L1, MAE).

    Domain: y real. Link: identity.

    loss = |e|,    grad = sign(raw - y) (0 at e = 0),
    hess = 1 (surrogate: the true second derivative is 0 wherever it exists).

    The constant Hessian turns a Newton step into the mean of the leaf's signs, so each tree
    moves a leaf by at most one unit of y (times the learning rate). The engines' native L1
    instead re-fits each leaf to the weighted median of its residuals; the boostloss adapters
    do the same (see ``boostloss.lightgbm`` / ``boostloss.xgboost``). Init score: weighted
    median. Equals torch ``l1_loss``; 2 * quantile(0.5) is this loss.
    """

    name = "absolute_error"
    hessian_type = "constant"

    def __init__(self):
        pass

    def _loss(self, y, raw):
        return np.abs(y - raw)

    def _grad_hess(self, y, raw):
        return np.sign(raw - y), np.ones_like(raw)

    def _init_score(self, y, weight):
        return weighted_quantile(y, 0.5, weight)


class Huber(_ConvexRegressionLoss):
    """Huber loss = torch.nn.functional.huber_loss(delta=delta).

    Domain: y real. Link: identity. Parameters: ``delta`` > 0 (the transition point),
    ``hessian_floor`` > 0.

    loss = 1/2 e^2 if |e| <= delta else delta * (|e| - delta / 2)
    grad = -clip(e, -delta, delta)
    hess = 1 if |e| <= delta else hessian_floor   (the exact value there is 0)

    ``hessian_floor=1.0`` reproduces LightGBM's ``huber`` objective (Hessian 1 everywhere;
    LightGBM calls delta ``alpha``). The default 0.1 lets a leaf of outliers move up to
    10 * delta per tree instead of delta (see the module docstring). Init score: the Huber
    M-estimate of location (numerical minimisation).
    """

    name = "huber"
    hessian_type = "surrogate"

    def __init__(self, *, delta: float = 1.0, hessian_floor: float = DEFAULT_HESSIAN_FLOOR):
        self.delta = check_number_param("delta", delta, low=0.0, low_open=True)
        self.hessian_floor = check_number_param(
            "hessian_floor", hessian_floor, low=0.0, low_open=True
        )

    def _loss(self, y, raw):
        abs_e = np.abs(y - raw)
        delta = self.delta
        return np.where(abs_e <= delta, 0.5 * abs_e * abs_e, delta * (abs_e - 0.5 * delta))

    def _grad_hess(self, y, raw):
        e = y - raw
        grad = -np.clip(e, -self.delta, self.delta)
        hess = np.where(np.abs(e) <= self.delta, 1.0, self.hessian_floor)
        return grad, hess


class SmoothL1(_ConvexRegressionLoss):
    """Smooth L1 loss = torch.nn.functional.smooth_l1_loss(beta=beta) = huber(delta=beta) / beta.

    Domain: y real. Link: identity. Parameters: ``beta`` > 0, ``hessian_floor`` > 0 or None.

    loss = 1/2 e^2 / beta if |e| < beta else |e| - beta / 2
    grad = -clip(e, -beta, beta) / beta
    hess = 1 / beta if |e| < beta else hessian_floor   (the exact value there is 0)

    ``hessian_floor=None`` (default) means 0.1 / beta: a tenth of the quadratic zone's
    curvature, like Huber's default. Init score: numerical minimisation.
    """

    name = "smooth_l1"
    hessian_type = "surrogate"

    def __init__(self, *, beta: float = 1.0, hessian_floor: float | None = None):
        self.beta = check_number_param("beta", beta, low=0.0, low_open=True)
        if hessian_floor is not None:
            hessian_floor = check_number_param(
                "hessian_floor", hessian_floor, low=0.0, low_open=True
            )
        self.hessian_floor = hessian_floor

    @property
    def effective_hessian_floor(self) -> float:
        if self.hessian_floor is None:
            return DEFAULT_HESSIAN_FLOOR / self.beta
        return self.hessian_floor

    def _loss(self, y, raw):
        abs_e = np.abs(y - raw)
        beta = self.beta
        return np.where(abs_e < beta, 0.5 * abs_e * abs_e / beta, abs_e - 0.5 * beta)

    def _grad_hess(self, y, raw):
        e = y - raw
        grad = -np.clip(e, -self.beta, self.beta) / self.beta
        hess = np.where(np.abs(e) < self.beta, 1.0 / self.beta, self.effective_hessian_floor)
        return grad, hess


class PseudoHuber(_ConvexRegressionLoss):
    """Pseudo-Huber loss; matches XGBoost ``reg:pseudohubererror`` (huber_slope=delta).

    Domain: y real. Link: identity. Parameters: ``delta`` > 0, ``hessian_floor`` >= 0.

    With x = e / delta and h = sqrt(1 + x^2) (computed as hypot(1, x), no overflow):
    loss = delta^2 * (h - 1) = delta^2 * x^2 / (h + 1)   (second form: no cancellation at 0)
    grad = -delta * x / h
    hess = max(h^-3, hessian_floor)   (h^-3 is exact and positive, but ~ (delta/|e|)^3)

    ``hessian_floor=0`` gives the exact Hessian, XGBoost's convention (no floor), which the
    parity tests use. Init score: numerical minimisation (unlike XGBoost's one Newton step
    from 0.5, which lands far away when y is large).
    """

    name = "pseudo_huber"
    hessian_type = "surrogate"

    def __init__(self, *, delta: float = 1.0, hessian_floor: float = DEFAULT_HESSIAN_FLOOR):
        self.delta = check_number_param("delta", delta, low=0.0, low_open=True)
        self.hessian_floor = check_number_param("hessian_floor", hessian_floor, low=0.0)

    def _loss(self, y, raw):
        x = (y - raw) / self.delta
        h = np.hypot(1.0, x)
        return self.delta**2 * (x * x / (h + 1.0))

    def _grad_hess(self, y, raw):
        x = (y - raw) / self.delta
        h = np.hypot(1.0, x)
        grad = -self.delta * x / h
        hess = 1.0 / (h * h * h)
        if self.hessian_floor > 0:
            np.maximum(hess, self.hessian_floor, out=hess)
        return grad, hess


class LogCosh(_ConvexRegressionLoss):
    """Log-Cosh loss: log(cosh(e)).

    Domain: y real. Link: identity. Parameter: ``hessian_floor`` >= 0.

    With t = exp(-2|e|) (one exp, never overflows):
    loss = |e| + log1p(t) - log(2)          (cosh itself would overflow past |e| ~ 710)
    grad = -tanh(e) = -sign(e) * (1 - t) / (1 + t)
    hess = max(sech^2(e), hessian_floor),  sech^2(e) = 4t / (1 + t)^2

    sech^2 decays like 4 exp(-2|e|): below 0.1 for |e| > 1.8 and 0 in float64 past |e| ~ 354,
    so the floor (default 0.1) keeps a leaf of outliers to a step of at most 1 / hessian_floor.
    ``hessian_floor=0`` returns the exact value. Init score: numerical minimisation.
    """

    name = "log_cosh"
    hessian_type = "surrogate"

    def __init__(self, *, hessian_floor: float = DEFAULT_HESSIAN_FLOOR):
        self.hessian_floor = check_number_param("hessian_floor", hessian_floor, low=0.0)

    def _loss(self, y, raw):
        abs_e = np.abs(y - raw)
        return abs_e + np.log1p(np.exp(-2.0 * abs_e)) - np.log(2.0)

    def _grad_hess(self, y, raw):
        e = y - raw
        t = np.exp(-2.0 * np.abs(e))
        one_plus_t = 1.0 + t
        grad = -np.sign(e) * (1.0 - t) / one_plus_t
        hess = 4.0 * t / (one_plus_t * one_plus_t)
        if self.hessian_floor > 0:
            np.maximum(hess, self.hessian_floor, out=hess)
        return grad, hess


class Fair(_ConvexRegressionLoss):
    """Fair loss; matches LightGBM ``fair`` (fair_c=c) with ``hessian_floor=0``.

    Domain: y real. Link: identity. Parameters: ``c`` > 0, ``hessian_floor`` >= 0.

    loss = c^2 * (|e|/c - log(1 + |e|/c))
    grad = -c * e / (|e| + c)
    hess = max(c^2 / (|e| + c)^2, hessian_floor)   (exact value ~ (c/e)^2 for large |e|)

    Init score: numerical minimisation.
    """

    name = "fair"
    hessian_type = "surrogate"

    def __init__(self, *, c: float = 1.0, hessian_floor: float = DEFAULT_HESSIAN_FLOOR):
        self.c = check_number_param("c", c, low=0.0, low_open=True)
        self.hessian_floor = check_number_param("hessian_floor", hessian_floor, low=0.0)

    def _loss(self, y, raw):
        ratio = np.abs(y - raw) / self.c
        return self.c**2 * (ratio - np.log1p(ratio))

    def _grad_hess(self, y, raw):
        e = y - raw
        denominator = np.abs(e) + self.c
        grad = -self.c * e / denominator
        hess = (self.c / denominator) ** 2
        if self.hessian_floor > 0:
            np.maximum(hess, self.hessian_floor, out=hess)
        return grad, hess


class Expectile(_ConvexRegressionLoss):
    """Expectile (asymmetric least squares) loss.

    Domain: y real. Link: identity. Parameter: ``alpha`` in (0, 1).

    loss = |alpha - 1{e < 0}| * e^2
    grad = -2 |alpha - 1{e < 0}| * e
    hess = 2 |alpha - 1{e < 0}|   (exact, positive)

    expectile(0.5) equals squared_error. XGBoost 3.3+'s ``reg:expectileerror`` minimises half
    of this loss (same minimiser, grad/hess halved). Init score: the weighted alpha-expectile
    of y (numerical minimisation).
    """

    name = "expectile"

    def __init__(self, *, alpha: float = 0.5):
        self.alpha = check_number_param(
            "alpha", alpha, low=0.0, high=1.0, low_open=True, high_open=True
        )

    def _asymmetry(self, e):
        return np.where(e < 0, 1.0 - self.alpha, self.alpha)

    def _loss(self, y, raw):
        e = y - raw
        return self._asymmetry(e) * e * e

    def _grad_hess(self, y, raw):
        e = y - raw
        weight = 2.0 * self._asymmetry(e)
        return -weight * e, weight


class Quantile(Loss):
    """Quantile (pinball) loss for one level or several levels at once.

    Domain: y real. Link: identity. Parameter: ``alpha``: a level in (0, 1), or a list of
    distinct levels (then raw is (n, q), one column per level, and ``loss`` is the sum over
    levels).

    loss = max(alpha * e, (alpha - 1) * e)
    grad = -alpha if e > 0 else 1 - alpha    (at e = 0: 1 - alpha, as LightGBM)
    hess = 1 (surrogate: the true second derivative is 0 wherever it exists)

    As for absolute_error, the adapters re-fit leaves to the residual quantile, which the
    constant Hessian cannot do. 2 * quantile(0.5) equals absolute_error. Init score: the
    weighted alpha-quantile of y (one per level).
    """

    name = "quantile"
    hessian_type = "constant"

    def __init__(self, *, alpha: float | list[float] = 0.5):
        self._levels = check_levels_param("alpha", alpha)
        self._multi = np.ndim(alpha) > 0
        self.alpha = tuple(float(a) for a in self._levels) if self._multi else float(alpha)

    @property
    def output_kind(self) -> str:  # type: ignore[override]
        return "multi_quantile" if self._multi else "single"

    @property
    def levels(self) -> np.ndarray:
        """The quantile levels as a float64 array of shape (q,)."""
        return self._levels.copy()

    @property
    def n_outputs(self) -> int | None:
        return self._levels.size if self._multi else None

    def n_outputs_for(self, y_true) -> int:
        return self._levels.size if self._multi else 1

    def _residual_and_levels(self, y, raw):
        if self._multi:
            return y[:, None] - raw, self._levels
        return y - raw, self._levels[0]

    def _loss(self, y, raw):
        e, alpha = self._residual_and_levels(y, raw)
        values = np.maximum(alpha * e, (alpha - 1.0) * e)
        return values.sum(axis=1) if self._multi else values

    def _grad_hess(self, y, raw):
        e, alpha = self._residual_and_levels(y, raw)
        grad = (e <= 0).astype(np.float64) - alpha
        return grad, np.ones_like(grad)

    def _init_score(self, y, weight):
        scores = np.array([weighted_quantile(y, level, weight) for level in self._levels])
        return scores if self._multi else float(scores[0])
