"""Log-link losses for counts and positive amounts: raw = log(mean), ``transform`` = exp.

Constants that do not depend on raw (log y!, log Gamma terms) are dropped, so each loss is
the negative log-likelihood up to a y-only term: gradients, Hessians and minimisers are
unaffected. Formulas are stable for |raw| up to 300, past which exp(raw) itself leaves the
float64 range. For all three the best constant is the log of the weighted mean of y.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_number_param
from ..links import LogLink
from ._constant import weighted_mean
from ._labels import nonnegative_labels, positive_labels
from .base import Loss

__all__ = ["Poisson", "Gamma", "Tweedie"]

MAX_DELTA_STEP = 88.0


class _LogLinkLoss(Loss):
    link = LogLink()

    def _init_score(self, y, weight):
        mean = weighted_mean(y, weight)
        if not mean > 0:
            raise ValueError(
                f"{self.name}: the weighted mean of y is {mean!r}; a log-link loss has no finite "
                "best constant when every (weighted) label is 0."
            )
        return float(np.log(mean))


class Poisson(_LogLinkLoss):
    """Poisson deviance (negative log-likelihood without log y!).

    Domain: y >= 0. Link: log. Parameter: ``max_delta_step`` in [0, 88] (exp(88) is near
    float32's largest value; the engines store the Hessian it multiplies in float32).

    loss = exp(raw) - y * raw   (= torch poisson_nll_loss(log_input=True, full=False))
    grad = exp(raw) - y
    hess = exp(raw + max_delta_step)

    ``max_delta_step=0`` (default) gives the exact Hessian. XGBoost's ``count:poisson``
    (max_delta_step, default 0.7) and LightGBM's ``poisson`` (poisson_max_delta_step, default
    0.7) multiply it by exp(max_delta_step) to damp steps. LightGBM: the same value
    reproduces it. XGBoost also clips every leaf value at ``max_delta_step`` (a tree
    parameter; count:poisson sets it to 0.7): ``boostloss.xgboost.train`` sets
    params["max_delta_step"] to this value unless given, which reproduces count:poisson;
    with a bare ``xgb.train(obj=...)`` set it yourself.
    """

    name = "poisson"
    label_domain = "counts or amounts >= 0"

    def __init__(self, *, max_delta_step: float = 0.0):
        self.max_delta_step = check_number_param(
            "max_delta_step", max_delta_step, low=0.0, high=MAX_DELTA_STEP
        )

    def _check_labels(self, y):
        return nonnegative_labels(self.name, y)

    def _loss(self, y, raw):
        return np.exp(raw) - y * raw

    def _grad_hess(self, y, raw):
        mean = np.exp(raw)
        hess = np.exp(raw + self.max_delta_step) if self.max_delta_step else mean.copy()
        return mean - y, hess


class Gamma(_LogLinkLoss):
    """Gamma deviance (negative log-likelihood up to y-only terms); XGBoost ``reg:gamma``,
    LightGBM ``gamma``.

    Domain: y > 0. Link: log.

    loss = y * exp(-raw) + raw
    grad = 1 - y * exp(-raw)
    hess = y * exp(-raw)   (exact, positive since y > 0)
    """

    name = "gamma"
    label_domain = "amounts > 0"

    def __init__(self):
        pass

    def _check_labels(self, y):
        return positive_labels(self.name, y)

    def _loss(self, y, raw):
        return y * np.exp(-raw) + raw

    def _grad_hess(self, y, raw):
        scaled = y * np.exp(-raw)
        return 1.0 - scaled, scaled


class Tweedie(_LogLinkLoss):
    """Tweedie deviance for power rho in (1, 2) (compound Poisson-gamma); XGBoost
    ``reg:tweedie`` (tweedie_variance_power=rho), LightGBM ``tweedie``.

    Domain: y >= 0. Link: log. Parameter: ``power`` in (1, 2).

    loss = -y * exp((1 - rho) raw) / (1 - rho) + exp((2 - rho) raw) / (2 - rho)
    grad = -y * exp((1 - rho) raw) + exp((2 - rho) raw)
    hess = -(1 - rho) * y * exp((1 - rho) raw) + (2 - rho) * exp((2 - rho) raw)  (exact, > 0)
    """

    name = "tweedie"
    label_domain = "amounts >= 0"

    def __init__(self, *, power: float = 1.5):
        self.power = check_number_param(
            "power", power, low=1.0, high=2.0, low_open=True, high_open=True
        )

    def _check_labels(self, y):
        return nonnegative_labels(self.name, y)

    def _loss(self, y, raw):
        rho = self.power
        return -y * np.exp((1.0 - rho) * raw) / (1.0 - rho) + np.exp((2.0 - rho) * raw) / (2.0 - rho)

    def _grad_hess(self, y, raw):
        rho = self.power
        first = y * np.exp((1.0 - rho) * raw)
        second = np.exp((2.0 - rho) * raw)
        return second - first, (rho - 1.0) * first + (2.0 - rho) * second
