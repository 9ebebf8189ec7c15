"""Gradient harmonizing mechanism (GHM; Li, Liu & Wang, "Gradient Harmonized Single-stage
Detector", AAAI 2019): reweight every row by the inverse density of rows with a similar
gradient norm.

Per call (one boosting round), with g_i in [0, 1] the gradient norm of row i, the unit
interval split into ``bins`` equal bins (edges j / bins, the last one 1 + 1e-6, as in the
paper's code), W = sum of the weights (N without weights), W_b the (weighted) count of bin b
and M the number of bins with W_b > 0:

    beta_i = W / (W_{b(i)} * M)        (sum_i w_i beta_i = W: beta has weighted mean 1)
    loss_i = beta_i * base_loss_i,  grad_i = beta_i * base_grad_i,  hess_i = beta_i * base_hess_i

beta is a constant of the round (the paper's stop-gradient): it is not differentiated.
Where focal loss down-weights rows by their own difficulty (and so up-weights outliers and
flipped labels), GHM down-weights crowded gradient norms: the flood of easy rows (g near 0)
and a cluster of hopelessly wrong ones (g near 1) both lose weight.

Momentum (``momentum`` m > 0): the bin counts are an exponential moving average over the
rounds of one training run, updated for non-empty bins only, as in the paper:
S_b <- m S_b + (1 - m) W_b. Unlike the paper's code, which divides by S_b itself and so
inflates beta by 1 / (1 - m^t) over the first rounds t, the average is bias-corrected
(S_b / (1 - m^t_b), t_b = the number of updates of bin b, as in Adam): the first round equals
the momentum-free weights, and a fresh run never starts with inflated steps.

Training-run state: the moving average lives in the loss object, keyed by the identity of
the validated label array the adapters hand it every round. The adapters validate labels
once per dataset (``prepare_target``), and a GHM loss copies them while validating, so every
new fit (new DMatrix / Dataset, or a new estimator ``fit``) gets a new array and starts a
fresh average; an entry is dropped when its labels are garbage collected. A round whose raw
scores are all equal also restarts the average: every fit starts from one constant (the
init score), so a second ``xgb.train`` on the same DMatrix, or a second ``fit`` of an
engine's own estimator with the same labels, starts afresh too (a fit from per-row offsets,
base_margin / init_score, is recognised by its dataset only). The state is
guarded by a lock (one object may serve concurrent fits), and pickling, copying and
``clone`` keep only the parameters. A direct call (``grad_hess``, ``loss``) is a run of one
round: it equals the momentum-free formula. ``loss.reset_state()`` forgets every average.

Batch dependence: beta depends on every row, so the losses are not separable (``separable
= False``: the numpy path sees all rows at once, and Dask, whose workers see only their own
rows, refuses them); ``batch_weighted = True`` tells the tests that ``loss(...)`` is still a
per-row value.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np
from scipy.special import expit

from .._validation import check_number_param
from ..links import IdentityLink, LogitLink
from ._constant import minimize_scalar_global
from ._labels import binary_labels
from .base import MIN_HESSIAN, Loss
from .binary import Logistic

__all__ = ["GHMLogistic", "GHMRegression", "bin_edges"]

DEFAULT_HESSIAN_FLOOR = 0.1


def bin_edges(bins: int) -> np.ndarray:
    """The paper's edges: j / bins for j = 0..bins, the last raised by 1e-6 to include g = 1."""
    edges = np.arange(bins + 1, dtype=np.float64) / bins
    edges[-1] += 1e-6
    return edges


class _MovingCounts:
    """Bias-corrected moving average of bin counts per training run (see the module doc).

    Kept in its corrected form A_t = S_t / (1 - m^t), updated as
    A_t = A_(t-1) + (1 - m) / (1 - m^t) * (W_t - A_(t-1)).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[int, tuple[weakref.ref, np.ndarray, np.ndarray]] = {}

    def update(
        self, run_key: np.ndarray, counts: np.ndarray, momentum: float, restart: bool = False
    ) -> np.ndarray:
        """Fold this round's counts into the run's average (a fresh one if ``restart`` or
        the run is new); return the corrected average."""
        key = id(run_key)
        with self._lock:
            entry = self._runs.get(key)
            if restart or entry is None or entry[0]() is not run_key:
                runs = self._runs
                reference = weakref.ref(run_key, lambda _ref, key=key: runs.pop(key, None))
                entry = (reference, np.zeros(counts.size), np.zeros(counts.size))
                self._runs[key] = entry
            _, average, updates = entry
            filled = counts > 0
            updates[filled] += 1
            # S_t / (1 - m^t) in its incremental form: exact for constant counts
            rate = (1.0 - momentum) / (1.0 - momentum ** updates[filled])
            average[filled] += rate * (counts[filled] - average[filled])
            return average.copy()

    def clear(self) -> None:
        with self._lock:
            self._runs.clear()


class _GHMLoss(Loss):
    """Shared GHM machinery; subclasses give the base loss and the gradient norm."""

    separable = False
    batch_weighted = True

    bins: int
    momentum: float

    def _init_ghm(self, bins, momentum) -> None:
        self.bins = check_number_param("bins", bins, low=1, integer=True)
        self.momentum = check_number_param("momentum", momentum, low=0.0, high=1.0, high_open=True)
        self._edges = bin_edges(self.bins)
        self._moving = _MovingCounts()

    # pickling and copies keep the parameters only: the moving average belongs to a run
    def __getstate__(self) -> dict:
        return self.get_params()

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def reset_state(self) -> None:
        """Forget the moving averages of every run (momentum > 0 only)."""
        self._moving.clear()

    def _check_labels(self, y):
        return np.array(self._check_domain(y), dtype=np.float64)  # a copy: one run per array

    # ---------------------------------------------------------------- weights
    def _gradient_norm(self, y, raw) -> np.ndarray:
        raise NotImplementedError

    def _norm_grad_hess(self, y, raw):
        """(g, base grad, base hess); subclasses share their intermediate arrays here."""
        return self._gradient_norm(y, raw), *self._grad_hess(y, raw)

    def bin_index(self, g: np.ndarray) -> np.ndarray:
        """The bin of each g: edges[b] <= g < edges[b + 1], the paper's comparisons.

        floor(g * bins) is that bin up to rounding at the edges, so it is corrected by one
        comparison on each side (about 3x faster than a search over the edges). A NaN g
        (a NaN raw score on the engines' path) is put in bin 0: its row's gradient is NaN
        anyway, which the engine guard reports as a ValueError.
        """
        scaled = g * self.bins
        if np.isnan(scaled).any():  # NaN -> intp is undefined (numpy gives INT_MIN)
            scaled = np.where(np.isnan(scaled), 0.0, scaled)
        index = np.minimum(scaled.astype(np.intp), self.bins - 1)
        index -= g < self._edges[index]
        index += g >= self._edges[index + 1]
        return index

    def harmonizing_weights(self, y, raw, weight=None, *, run_key=None, norm=None) -> np.ndarray:
        """beta per row (before the sample weights). With ``run_key`` (the adapters' label
        array) and momentum > 0, the bin counts are the run's moving average. ``norm``: the
        gradient norms, if already computed."""
        g = self._gradient_norm(y, raw) if norm is None else norm
        index = self.bin_index(g)
        counts = np.bincount(index, weights=weight, minlength=self.bins)
        total = float(y.shape[0]) if weight is None else float(weight.sum())
        filled = int(np.count_nonzero(counts > 0))
        density = counts
        if self.momentum > 0 and run_key is not None:
            # every fit starts from one constant score: its first round restarts the average
            restart = bool(raw.size) and bool(np.all(raw == raw.flat[0]))
            density = self._moving.update(run_key, counts, self.momentum, restart)
        per_bin = np.zeros(self.bins)
        np.divide(total, density * max(filled, 1), out=per_bin, where=density > 0)
        return per_bin[index]  # rows of zero-weight-only bins get 0 (their weight is 0)

    # ---------------------------------------------------------------- contract
    def _weighted_loss(self, y, raw, weight):
        raw = raw if raw.ndim == 1 else raw[:, 0]
        values = self.harmonizing_weights(y, raw, weight) * self._loss(y, raw)
        return values if weight is None else values * weight

    def _metric(self, y, raw, weight) -> float:
        values = self._weighted_loss(y, raw, weight)  # weights enter beta too
        return float(values.mean() if weight is None else values.sum() / weight.sum())

    def _reference_grad_hess(self, y, raw, weight):
        raw = np.asarray(raw, dtype=np.float64)
        column = raw.ndim == 2
        flat = raw[:, 0] if column else raw
        norm, grad, hess = self._norm_grad_hess(y, flat)
        beta = self.harmonizing_weights(y, flat, weight, run_key=y, norm=norm)
        scale = beta if weight is None else beta * weight
        grad *= scale
        hess *= scale
        # rows whose beta is 0 have zero weight: their hess is 0 like any zero-weight row
        np.maximum(hess, MIN_HESSIAN * (scale > 0), out=hess)
        if column:
            return grad[:, None], hess[:, None]
        return grad, hess

    def _constant_minimum(self, y, weight, low, high) -> float:
        def objective(constant: float) -> float:
            return self._metric(y, np.full(y.shape[0], constant), weight)

        # beta jumps where a gradient norm crosses a bin edge: search a grid, then refine
        return minimize_scalar_global(objective, low, high, n_grid=401)


class GHMLogistic(_GHMLoss):
    """GHM-C: the logistic loss reweighted by gradient density (see the module docstring).

    Domain: y in {0, 1} or {-1, +1}. Link: logit, ``transform`` = sigmoid. Parameters:
    ``bins`` integer >= 1 (the paper uses 10 and 30), ``momentum`` in [0, 1) (0.75 in the
    paper).

    g = |sigmoid(raw) - y| (the norm of the logistic gradient);
    loss = beta * BCE = beta * (y softplus(-raw) + (1 - y) softplus(raw))
    grad = beta * (sigmoid(raw) - y),  hess = beta * sigmoid(raw) sigmoid(-raw)
    (beta constant; the Hessian is the exact one of the reweighted loss).

    Eval metric: the weighted mean of beta * BCE with beta from the evaluated rows' own
    gradient density and no momentum. It is the quantity the paper minimises per batch and
    a pure function of (y, raw, w), so training and validation sets are scored alike; but
    beta is re-normalised every round, so it is not monotone in fit quality across rounds:
    for early stopping, watch ``logistic`` (or AUC) beside it.

    Init score: the constant logit minimising that metric (a grid search, then Brent). With
    both classes present and an even number of bins it is 0: at a constant, positives and
    negatives fall into different bins, each class then carries weight W / 2, and the
    balanced loss is smallest at logit 0. One-class labels raise ValueError.
    """

    name = "ghm_logistic"
    task = "binary"
    has_probabilities = True
    label_domain = "all in {0, 1} or all in {-1, +1}"
    link = LogitLink()

    def __init__(self, *, bins: int = 10, momentum: float = 0.0):
        self._init_ghm(bins, momentum)
        self._logistic = Logistic()

    def _check_domain(self, y):
        return binary_labels(self.name, y)

    def _gradient_norm(self, y, raw):
        return np.abs(expit(raw) - y)

    def _norm_grad_hess(self, y, raw):
        p = expit(raw)
        q = expit(-raw)  # 1 - p without cancellation
        norm = np.where(y > 0.5, q, p)  # |p - y| for y in {0, 1}
        return norm, (1.0 - y) * p - y * q, p * q

    def _loss(self, y, raw):
        return self._logistic._loss(y, raw)

    def _grad_hess(self, y, raw):
        return self._logistic._grad_hess(y, raw)

    def _init_score(self, y, weight):
        positive = float(y.sum() if weight is None else np.dot(weight, y))
        total = float(y.size if weight is None else weight.sum())
        if positive == 0.0 or positive == total:
            self._logistic._require_two_classes(y, weight)
        return self._constant_minimum(y, weight, -40.0, 40.0)


class GHMRegression(_GHMLoss):
    """GHM-R: the paper's authentic smooth L1 reweighted by gradient density.

    Domain: y real. Link: identity. Parameters: ``mu`` > 0 (0.02 in the paper; the width of
    the quadratic zone, in units of y), ``bins`` integer >= 1, ``momentum`` in [0, 1),
    ``hessian_floor`` >= 0.

    With e = y - raw and s = sqrt(e^2 + mu^2) (hypot: no overflow):
    ASL1 = s - mu (computed as e^2 / (s + mu): no cancellation near 0)
    g = |e| / s in [0, 1);  loss = beta * ASL1;  grad = -beta * e / s
    hess = beta * max(mu^2 / s^3, hessian_floor)

    The exact second derivative mu^2 / s^3 is 1 / mu at e = 0 and falls like mu^2 / |e|^3:
    a leaf of rows far from their targets would take a Newton step of |e|^3 / mu^2. The
    floor (default 0.1) bounds such a step by 1 / hessian_floor per round (times the
    learning rate), as for ``pseudo_huber``; ``hessian_floor=0`` gives the exact value.
    Like absolute error, ASL1 is in units of y (its gradient is at most 1), so on a target
    spread over hundreds of units both mu and the floor need choosing with the scale of y
    in mind (the paper's mu = 0.02 is for normalised box offsets): a small floor lets a
    leaf move far, but Hessians below XGBoost's min_child_weight stop splits.

    Eval metric: the weighted mean of beta * ASL1 with beta from the evaluated rows' own
    density, no momentum (see ``ghm_logistic`` for why it is not monotone across rounds).
    Init score: the constant minimising that metric, searched on [min y, max y].
    """

    name = "ghm_regression"
    task = "regression"
    hessian_type = "surrogate"
    link = IdentityLink()

    def __init__(
        self,
        *,
        mu: float = 0.02,
        bins: int = 10,
        momentum: float = 0.0,
        hessian_floor: float = DEFAULT_HESSIAN_FLOOR,
    ):
        self.mu = check_number_param("mu", mu, low=0.0, low_open=True)
        self._init_ghm(bins, momentum)
        self.hessian_floor = check_number_param("hessian_floor", hessian_floor, low=0.0)

    def _check_domain(self, y):
        return y

    def _gradient_norm(self, y, raw):
        e = y - raw
        return np.abs(e) / np.hypot(e, self.mu)

    def _loss(self, y, raw):
        e = y - raw
        return e * e / (np.hypot(e, self.mu) + self.mu)

    def _grad_hess(self, y, raw):
        e = y - raw
        s = np.hypot(e, self.mu)
        grad = -e / s
        hess = (self.mu / s) ** 2 / s
        if self.hessian_floor > 0:
            np.maximum(hess, self.hessian_floor, out=hess)
        return grad, hess

    def _init_score(self, y, weight):
        low, high = float(y.min()), float(y.max())
        if not high > low:
            return low
        return self._constant_minimum(y, weight, low, high)
