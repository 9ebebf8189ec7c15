"""The multiclass hinge (multiclass SVM) loss: the true class's score must beat every other
class's score by a margin. raw (n, k) are margins: no probabilities, the prediction is the
argmax."""

from __future__ import annotations

import numpy as np

from .._validation import check_number_param
from ..links import IdentityLink
from .multiclass import _SoftmaxLoss

__all__ = ["MulticlassHinge"]

DEFAULT_HESSIAN_FLOOR = 0.1


class MulticlassHinge(_SoftmaxLoss):
    """Multiclass hinge = torch.nn.functional.multi_margin_loss(raw, y, p=power,
    margin=margin, reduction="none").

    Domain: y in 0..k-1, raw (n, k). Link: identity (``transform`` returns the margins; the
    predicted class is their argmax). Parameters: ``margin`` > 0, ``power`` in {1, 2},
    ``hessian_floor`` > 0, ``n_classes`` (optional, k).

    With slack_ij = margin - raw_iy + raw_ij for j != y (y = y_i) and a_ij = 1{slack_ij > 0}:
    loss_i = (1 / k) sum_{j != y} max(0, slack_ij)^power
    grad_ij = power max(0, slack_ij)^(power - 1) a_ij / k  for j != y;  grad_iy = -sum_{j != y} grad_ij
    hess_ij = max(power a_ij, hessian_floor) / k  for j != y;
    hess_iy = max(power sum_{j != y} a_ij, hessian_floor) / k

    The Hessian is a documented surrogate. For power 2 it is the exact diagonal wherever it
    is positive (rows and classes inside the margin), and the floor elsewhere, where the
    exact value is 0 and the row has no gradient. For power 1 the exact second derivative
    is 0 everywhere; the surrogate is half the power-2 curvature, so a leaf of rows that
    violate the margin moves its scores by about one unit per round (times the learning
    rate), like a Newton step on a squared hinge.

    Init score: the constant scores minimising the weighted mean loss (it depends on the
    labels only through the weighted class totals): a linear program for power 1, L-BFGS
    on the smooth convex objective for power 2; centred (columns sum to 0).
    """

    name = "multiclass_hinge"
    hessian_type = "surrogate"
    has_probabilities = False
    link = IdentityLink()

    def __init__(
        self,
        *,
        margin: float = 1.0,
        power: int = 2,
        hessian_floor: float = DEFAULT_HESSIAN_FLOOR,
        n_classes: int | None = None,
    ):
        self.margin = check_number_param("margin", margin, low=0.0, low_open=True)
        power = check_number_param("power", power, low=1, high=2, integer=True)
        self.power = power
        self.hessian_floor = check_number_param(
            "hessian_floor", hessian_floor, low=0.0, low_open=True
        )
        self._init_classes(None, n_classes)

    def _slack(self, y, raw):
        """max(0, margin - raw_y + raw_j), with the true class's own entry set to 0."""
        rows = np.arange(raw.shape[0])
        slack = self.margin - raw[rows, y][:, None] + raw
        np.maximum(slack, 0.0, out=slack)
        slack[rows, y] = 0.0
        return rows, slack

    def _loss(self, y, raw):
        _, slack = self._slack(y, raw)
        powered = slack if self.power == 1 else slack * slack
        return powered.sum(axis=1) / raw.shape[1]

    def _grad_hess(self, y, raw):
        k = raw.shape[1]
        rows, slack = self._slack(y, raw)
        active = (slack > 0).astype(np.float64)
        grad = (active if self.power == 1 else 2.0 * slack) / k
        grad[rows, y] = -grad.sum(axis=1)
        curvature = self.power * active
        curvature[rows, y] = self.power * active.sum(axis=1)
        hess = np.maximum(curvature, self.hessian_floor) / k
        return grad, hess

    def _init_score(self, y, weight):
        k = self.n_outputs_for(y)
        totals = self._class_totals(y, weight, k)
        share = totals / totals.sum()
        pairs = [(t, j) for t in range(k) for j in range(k) if j != t]
        if self.power == 1:
            constant = self._linear_program(share, pairs, k)
        else:
            constant = self._smooth_minimum(share, pairs, k)
        return constant - constant.mean()

    def _linear_program(self, share, pairs, k):
        """min sum_(t, j) share_t s_tj  s.t.  s_tj >= margin - c_t + c_j,  s >= 0."""
        from scipy.optimize import linprog  # imported here: scipy.optimize is slow to import

        n_pairs = len(pairs)
        cost = np.concatenate([np.zeros(k), [share[t] for t, _ in pairs]])
        bounds = [(None, None)] * k + [(0.0, None)] * n_pairs
        constraints = np.zeros((n_pairs, k + n_pairs))
        for row, (t, j) in enumerate(pairs):
            constraints[row, t] = -1.0
            constraints[row, j] += 1.0
            constraints[row, k + row] = -1.0
        result = linprog(
            cost, A_ub=constraints, b_ub=np.full(n_pairs, -self.margin), bounds=bounds,
            method="highs",
        )
        return result.x[:k]

    def _smooth_minimum(self, share, pairs, k):
        """L-BFGS on sum_(t, j) share_t max(0, margin - c_t + c_j)^2 (convex, C1)."""
        from scipy.optimize import minimize  # imported here: scipy.optimize is slow to import

        first = np.array([t for t, _ in pairs])
        second = np.array([j for _, j in pairs])
        pair_share = share[first]

        def objective(constant):
            slack = np.maximum(0.0, self.margin - constant[first] + constant[second])
            value = np.dot(pair_share, slack * slack)
            slope = 2.0 * pair_share * slack
            grad = np.bincount(second, slope, k) - np.bincount(first, slope, k)
            return value, grad

        result = minimize(
            objective, np.zeros(k), jac=True, method="L-BFGS-B",
            options={"gtol": 1e-14, "ftol": 1e-16, "maxiter": 1000},
        )
        return result.x
