"""Regression losses with the identity link (raw is the prediction itself).

Notation: e = y - raw (the residual). ``grad`` = d loss / d raw = -d loss / d e, and
``hess`` = d^2 loss / d raw^2 = d^2 loss / d e^2.

Robust losses (huber, pseudo_huber, log_cosh, fair, smooth_l1) have a second derivative that
vanishes, or decays towards zero, for large |e|. A Newton leaf value is -sum(g) / sum(h); with
|g| bounded but h -> 0 a leaf full of outliers would jump by e^3 (pseudo-Huber) or e^2 (fair),
and the engines' default reg_lambda=1 / min_child_weight=1 would turn tiny Hessians into
"leaf value = -sum(g)" or into no split at all. So huber, pseudo_huber, log_cosh and fair
take ``hessian=``:

- ``"irls"`` (default): the curvature of iteratively reweighted least squares, the
  majorizer psi(e) / e with psi = d loss / d e (Huber min(1, delta/|e|), pseudo-Huber
  1/sqrt(1 + (e/delta)^2), log-cosh tanh(e)/e, fair c/(|e| + c)). It equals the exact
  Hessian near e = 0, lies above it elsewhere (so the quadratic it defines majorizes the
  loss), and makes a leaf's Newton step the weighted mean of its residuals with the
  M-estimator's weights: an outlier moves a leaf by at most delta (its gradient) relative to
  its weight, whatever its size. Floored at ``hessian_floor`` (default 0: off).
- ``"exact"``: max(exact Hessian, ``hessian_floor``), default floor 0.1 (Huber: 1 inside
  delta, the floor outside). The default before issue 16; ``hessian_floor=0`` with
  pseudo_huber / fair is XGBoost's ``reg:pseudohubererror`` / LightGBM's ``fair`` exactly.

Why IRLS is the default: ``benchmarks/bench_robust_defaults.py`` (13 real regression sets,
both engines at their default learning rates, 3-fold CV, clean and with 10% gross outliers
in the training targets; RMSE / RMSE(squared_error), geometric mean over the sets):

=====================  ==============  ==============  ==============  ==============
huber (delta = 1.4826   XGBoost clean   XGBoost +outl.  LightGBM clean  LightGBM +outl.
* MAD of y)
=====================  ==============  ==============  ==============  ==============
exact, floor 0.1        0.985           0.619           1.025           0.677
exact, floor 1          0.980           0.735           1.007           0.651
irls                    0.961           0.611           1.011           0.687
=====================  ==============  ==============  ==============  ==============

pseudo_huber and fair rank the same way (irls: XGBoost 0.944 / 0.603 and 0.947 / 0.588,
LightGBM 1.007 / 0.659 and 1.010 / 0.659). floor 0.1 misses "within 2% of squared_error on
clean data" (LightGBM huber 1.025, XGBoost pseudo_huber 1.027); floor 1 and irls both meet it
and beat squared_error with outliers; irls is clearly better with XGBoost and 0.2-4% worse
with LightGBM, so it is the default. The README has the full table.
The compiled kernels (``losses/_loops.h``) implement both Hessians.
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
HESSIANS = ("irls", "exact")


def _check_hessian(hessian: str, hessian_floor: float | None, *, exact_floor_positive: bool):
    """Validate ``hessian`` and resolve ``hessian_floor`` (None: 0 for irls, 0.1 for exact)."""
    if hessian not in HESSIANS:
        raise ValueError(
            f"hessian must be 'irls' (psi(e)/e, the default) or 'exact' (the true second "
            f"derivative, floored); got {hessian!r}."
        )
    if hessian_floor is None:
        return hessian, (DEFAULT_HESSIAN_FLOOR if hessian == "exact" else 0.0)
    low_open = exact_floor_positive and hessian == "exact"
    return hessian, check_number_param("hessian_floor", hessian_floor, low=0.0, low_open=low_open)


def _floored(hess: np.ndarray, floor: float) -> np.ndarray:
    if floor > 0:
        np.maximum(hess, floor, out=hess)
    return hess

# Range of the scale parameters (huber delta, pseudo_huber delta, fair c): these losses
# square the scale (delta^2, c^2) and divide residuals by it, so for |e| up to 1e6 (the
# documented input range) every intermediate stays far inside float64 only for scales in
# [1e-100, 1e100]; 1e155 overflowed delta^2 and 1e-308 overflowed e / delta.
SCALE_LOW, SCALE_HIGH = 1e-100, 1e100
# smooth_l1's Hessian is 1 / beta (and its default floor 0.1 / beta): beta >= 1e-30 keeps it
# inside float32, the precision the engines store Hessians in.
BETA_LOW = 1e-30


def _scale_param(name: str, value) -> float:
    return check_number_param(name, value, low=SCALE_LOW, high=SCALE_HIGH)


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

    Domain: y real. Link: identity. Parameters: ``delta`` in [1e-100, 1e100] (the
    transition point; the loss uses delta^2), ``hessian`` ("irls" or "exact"), ``hessian_floor`` (>= 0 with irls; > 0 with exact;
    None: 0 with irls, 0.1 with exact).

    loss = 1/2 e^2 if |e| <= delta else delta * (|e| - delta / 2)
    grad = -clip(e, -delta, delta)
    hess (irls)  = max(min(1, delta / |e|), hessian_floor)       (psi(e)/e)
    hess (exact) = 1 if |e| <= delta else hessian_floor          (the exact value there is 0)

    Both Hessians are 1 inside delta. ``hessian="exact", hessian_floor=1.0`` (and also
    ``hessian_floor=1.0`` with irls) reproduces LightGBM's ``huber`` objective (Hessian 1
    everywhere; LightGBM calls delta ``alpha``). Why irls is the default: module docstring.
    Init score: the Huber M-estimate of location (numerical minimisation).
    """

    name = "huber"
    hessian_type = "surrogate"

    def __init__(self, *, delta: float = 1.0, hessian: str = "irls",
                 hessian_floor: float | None = None):
        self.delta = _scale_param("delta", delta)
        self.hessian, self.hessian_floor = _check_hessian(
            hessian, hessian_floor, exact_floor_positive=True
        )

    def _loss(self, y, raw):
        abs_e = np.abs(y - raw)
        delta = self.delta
        return np.where(abs_e <= delta, 0.5 * abs_e * abs_e, delta * (abs_e - 0.5 * delta))

    def _grad_hess(self, y, raw):
        e = y - raw
        grad = -np.clip(e, -self.delta, self.delta)
        abs_e = np.abs(e)
        if self.hessian == "irls":
            hess = self.delta / np.maximum(abs_e, self.delta)  # = min(1, delta / |e|)
            return grad, _floored(hess, self.hessian_floor)
        return grad, np.where(abs_e <= self.delta, 1.0, self.hessian_floor)


class SmoothL1(_ConvexRegressionLoss):
    """Smooth L1 loss = torch.nn.functional.smooth_l1_loss(beta=beta) = huber(delta=beta) / beta.

    Domain: y real. Link: identity. Parameters: ``beta`` >= 1e-30 (the Hessian 1 / beta must
    fit the engines' float32), ``hessian_floor`` > 0 or None.

    loss = 1/2 e^2 / beta if |e| < beta else |e| - beta / 2
    grad = -clip(e, -beta, beta) / beta
    hess = 1 / beta if |e| < beta else hessian_floor   (the exact value there is 0)

    ``hessian_floor=None`` (default) means 0.1 / beta: a tenth of the quadratic zone's
    curvature, like Huber's default. Init score: numerical minimisation.
    """

    name = "smooth_l1"
    hessian_type = "surrogate"

    def __init__(self, *, beta: float = 1.0, hessian_floor: float | None = None):
        self.beta = check_number_param("beta", beta, low=BETA_LOW)
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

    Domain: y real. Link: identity. Parameters: ``delta`` in [1e-100, 1e100] (the loss
    uses delta^2 and e / delta), ``hessian`` ("irls" or "exact"), ``hessian_floor`` >= 0 (None: 0 with irls, 0.1 with exact).

    With x = e / delta and h = sqrt(1 + x^2) (computed as hypot(1, x), no overflow):
    loss = delta^2 * (h - 1) = delta^2 * x^2 / (h + 1)   (second form: no cancellation at 0)
    grad = -delta * x / h
    hess (irls)  = max(1 / h, hessian_floor)      (psi(e)/e; ~ delta/|e| for large |e|)
    hess (exact) = max(h^-3, hessian_floor)       (h^-3 is exact and positive, but ~ (delta/|e|)^3)

    ``hessian="exact", hessian_floor=0`` gives XGBoost's convention (the exact Hessian, no
    floor), which the parity tests use. Init score: numerical minimisation (unlike XGBoost's
    one Newton step from 0.5, which lands far away when y is large).
    """

    name = "pseudo_huber"
    hessian_type = "surrogate"

    def __init__(self, *, delta: float = 1.0, hessian: str = "irls",
                 hessian_floor: float | None = None):
        self.delta = _scale_param("delta", delta)
        self.hessian, self.hessian_floor = _check_hessian(
            hessian, hessian_floor, exact_floor_positive=False
        )

    def _loss(self, y, raw):
        x = (y - raw) / self.delta
        h = np.hypot(1.0, x)
        return self.delta**2 * (x * x / (h + 1.0))

    def _grad_hess(self, y, raw):
        x = (y - raw) / self.delta
        h = np.hypot(1.0, x)
        grad = -self.delta * x / h
        hess = 1.0 / h if self.hessian == "irls" else 1.0 / (h * h * h)
        return grad, _floored(hess, self.hessian_floor)


class LogCosh(_ConvexRegressionLoss):
    """Log-Cosh loss: log(cosh(e)).

    Domain: y real. Link: identity. Parameters: ``hessian`` ("irls" or "exact"),
    ``hessian_floor`` >= 0 (None: 0 with irls, 0.1 with exact).

    With t = exp(-2|e|) (one exp, never overflows):
    loss = |e| + log1p(t) - log(2)          (cosh itself would overflow past |e| ~ 710)
    grad = -tanh(e) = -sign(e) * (1 - t) / (1 + t)
    hess (irls)  = max(tanh(|e|) / |e|, hessian_floor)   (psi(e)/e, 1 at e = 0, ~ 1/|e|;
                   computed as -expm1(-2|e|) / ((1 + t) |e|), no cancellation near 0)
    hess (exact) = max(sech^2(e), hessian_floor),  sech^2(e) = 4t / (1 + t)^2

    sech^2 decays like 4 exp(-2|e|): below 0.1 for |e| > 1.8 and 0 in float64 past |e| ~ 354.
    log_cosh has no scale parameter: on a target spread over much more than 1 its gradient
    is +-1 on almost every row and no Hessian choice makes it fit well (standardise y, or
    use huber / pseudo_huber, whose delta is in y's units). Init score: numerical minimisation.
    """

    name = "log_cosh"
    hessian_type = "surrogate"

    def __init__(self, *, hessian: str = "irls", hessian_floor: float | None = None):
        self.hessian, self.hessian_floor = _check_hessian(
            hessian, hessian_floor, exact_floor_positive=False
        )

    def _loss(self, y, raw):
        abs_e = np.abs(y - raw)
        return abs_e + np.log1p(np.exp(-2.0 * abs_e)) - np.log(2.0)

    def _grad_hess(self, y, raw):
        e = y - raw
        abs_e = np.abs(e)
        t = np.exp(-2.0 * abs_e)
        one_plus_t = 1.0 + t
        grad = -np.sign(e) * (1.0 - t) / one_plus_t
        if self.hessian == "irls":
            nonzero = abs_e > 0
            safe = np.where(nonzero, abs_e, 1.0)
            hess = np.where(nonzero, -np.expm1(-2.0 * abs_e) / (one_plus_t * safe), 1.0)
        else:
            hess = 4.0 * t / (one_plus_t * one_plus_t)
        return grad, _floored(hess, self.hessian_floor)


class Fair(_ConvexRegressionLoss):
    """Fair loss; matches LightGBM ``fair`` (fair_c=c) with ``hessian="exact", hessian_floor=0``.

    Domain: y real. Link: identity. Parameters: ``c`` in [1e-100, 1e100] (the loss uses
    c^2 and |e| / c), ``hessian`` ("irls" or "exact"),
    ``hessian_floor`` >= 0 (None: 0 with irls, 0.1 with exact).

    loss = c^2 * (|e|/c - log(1 + |e|/c))
    grad = -c * e / (|e| + c)
    hess (irls)  = max(c / (|e| + c), hessian_floor)       (psi(e)/e; ~ c/|e| for large |e|)
    hess (exact) = max(c^2 / (|e| + c)^2, hessian_floor)   (exact value ~ (c/e)^2 for large |e|)

    Init score: numerical minimisation.
    """

    name = "fair"
    hessian_type = "surrogate"

    def __init__(self, *, c: float = 1.0, hessian: str = "irls",
                 hessian_floor: float | None = None):
        self.c = _scale_param("c", c)
        self.hessian, self.hessian_floor = _check_hessian(
            hessian, hessian_floor, exact_floor_positive=False
        )

    def _loss(self, y, raw):
        ratio = np.abs(y - raw) / self.c
        return self.c**2 * (ratio - np.log1p(ratio))

    def _grad_hess(self, y, raw):
        e = y - raw
        denominator = np.abs(e) + self.c
        grad = -self.c * e / denominator
        weight = self.c / denominator
        hess = weight if self.hessian == "irls" else weight * weight
        return grad, _floored(hess, self.hessian_floor)


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
