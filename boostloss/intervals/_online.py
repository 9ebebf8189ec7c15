"""Online adaptive conformal calibration for time-ordered data (pure numpy, no engine).

After ``fit``, a forecaster issues an interval for the next row, then sees the realised
target and adapts. The state here turns a stream of conformity scores into the shift that
the next interval uses; the estimator computes the scores and applies the shifts.

Conventions
-----------
* ``m`` independent *streams*, one per calibrated bound: one per central pair with a
  symmetric CQR score ``s = max(lo - y, y - hi)`` and target miscoverage ``alpha``, or
  two per pair (``symmetric=False``: ``s_lo = lo - y`` and ``s_hi = y - hi``, each with
  target ``alpha / 2``). A row's scores arrive as one row of shape ``(m,)``.
* ``thresholds()`` is the current shift ``q_t`` per stream: the row is *covered* on a
  stream iff ``s_t <= q_t`` (that is, ``lo - q_t <= y <= hi + q_t`` for the symmetric
  score), and ``err_t = 1{s_t > q_t}``.
* The score *window* is a ring buffer of the latest ``W`` scores per stream, initialised
  with the calibration scores of ``fit`` (``W`` = number of calibration rows, as MAPIE
  keeps its conformity scores; with CV+ the out-of-fold scores of all rows). ``Q_W(a)`` is the split-conformal quantile of the window at
  miscoverage ``a``: the ``k``-th smallest score, ``k = ceil((W + 1)(1 - a))`` clipped to
  ``[1, W]`` (so the threshold stays finite: the largest window score when ``a`` is too
  small, the smallest when ``a >= 1``).

Methods (each O(W) per row: independent of the length of the series, no refit)
-------------------------------------------------------------------------------
``aci``: adaptive conformal inference (Gibbs & Candes, 2021)::

    q_t = Q_W(alpha_t),   alpha_{t+1} = alpha_t + gamma (alpha - err_t)

with ``gamma = 0.01``. The average miscoverage over T steps is within
``(max(alpha_1, 1 - alpha_1) + gamma) / (gamma T)`` of ``alpha`` for any score sequence
(their Proposition 4.1; here the clipped quantile only matters once ``alpha_t`` leaves
``[1/(W+1), 1]``).

``dtaci``: dynamically-tuned ACI (Gibbs & Candes, 2024, Algorithm 1 with the deterministic
average of the experts): ``k = 8`` ACI experts with ``gamma_i`` in ``{0.001, 0.002, ...,
0.128}``, weighted by exponential weights on the pinball loss of their ``alpha_t^i``
against ``beta_t = 1 - r_t / (W + 1)`` (the largest level that covers row t, ``r_t`` the
number of window scores below ``s_t``)::

    w_i <- w_i exp(-eta l(beta_t, alpha_t^i)),  w <- (1 - sigma) w + sigma sum(w) / k,
    alpha_t = sum_i w_i alpha_t^i / sum_i w_i,   l(b, a) = alpha (b - a) - min(0, b - a)

with ``sigma = 1 / (2 I)``, ``eta = sqrt(3 / I) sqrt((log(k I) + 2) / ((1 - alpha)^2
alpha^3 + alpha^2 (1 - alpha)^3))``, ``I = 100`` (the paper's choices).

``pid``: quantile tracking with a scale-adapted learning rate, the P part of conformal PID
control (Angelopoulos, Candes & Tibshirani, 2023)::

    q_{t+1} = q_t + eta_t (err_t - alpha),   eta_t = lr * (max - min of the window)

with ``lr = 0.05``: the threshold moves on the score's own scale, so it never becomes
infinite and needs no quantile of a window; the window only sets the step's scale
(their "adaptive learning rate" uses the largest recent score; CQR scores are signed, so
the range is used). For scores bounded by ``B`` and a fixed ``eta`` the long-run
miscoverage is within ``(B + eta) / (eta T)`` of ``alpha`` (their Proposition 1).

All state is plain numpy arrays and floats: the calibrators pickle, and a restored copy
continues exactly (same floating-point operations in the same order).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["ADAPTATIONS", "make_calibrator"]

# Guards ceil((W + 1)(1 - a)) against float noise, as in _conformal.
_CEIL_TOLERANCE = 1e-9
ACI_GAMMA = 0.01
DTACI_GAMMAS = (0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128)
DTACI_INTERVAL = 100
PID_LEARNING_RATE = 0.05


class _Calibrator:
    """Window of the latest scores per stream and the row-by-row update loop."""

    def __init__(self, calibration_scores: np.ndarray, alphas: np.ndarray):
        self.window = np.array(calibration_scores, dtype=np.float64, order="C", copy=True)
        self.alphas = np.asarray(alphas, dtype=np.float64).copy()
        self.position = 0  # the ring buffer's oldest row
        self.n_updates = 0

    def _window_quantile(self, miscoverage: np.ndarray, ordered: np.ndarray | None = None
                         ) -> np.ndarray:
        """``Q_W(a)`` per stream; ``ordered`` is the column-sorted window if known."""
        size = self.window.shape[0]
        rank = np.ceil((size + 1) * (1.0 - miscoverage) - _CEIL_TOLERANCE).astype(np.int64)
        rank = np.clip(rank, 1, size)
        if ordered is None:
            ordered = np.sort(self.window, axis=0)
        return ordered[rank - 1, np.arange(self.window.shape[1])]

    def _push(self, scores: np.ndarray) -> None:
        self.window[self.position] = scores
        self.position = (self.position + 1) % self.window.shape[0]

    def thresholds(self) -> np.ndarray:
        """The current shift per stream, shape (m,)."""
        raise NotImplementedError

    def _step(self, scores: np.ndarray, threshold: np.ndarray) -> None:
        raise NotImplementedError

    def update(self, scores: np.ndarray) -> np.ndarray:
        """Feed rows of scores (n, m) in time order; returns the thresholds each row was
        judged against, (n, m) (row i covered on stream j iff scores[i, j] <= that)."""
        used = np.empty_like(scores)
        for i, row in enumerate(scores):
            used[i] = threshold = self.thresholds()
            self._step(row, threshold)
            self._push(row)
            self.n_updates += 1
        return used


class AdaptiveConformal(_Calibrator):
    """ACI: ``q_t = Q_W(alpha_t)``, ``alpha_{t+1} = alpha_t + gamma (alpha - err_t)``."""

    def __init__(self, calibration_scores, alphas, gamma: float = ACI_GAMMA):
        super().__init__(calibration_scores, alphas)
        self.gamma = gamma
        self.alpha_t = self.alphas.copy()

    def thresholds(self) -> np.ndarray:
        return self._window_quantile(self.alpha_t)

    def _step(self, scores, threshold) -> None:
        missed = (scores > threshold).astype(np.float64)
        self.alpha_t = self.alpha_t + self.gamma * (self.alphas - missed)


class DynamicallyTunedConformal(_Calibrator):
    """DtACI: exponentially weighted ACI experts with learning rates ``DTACI_GAMMAS``."""

    def __init__(self, calibration_scores, alphas, gammas=DTACI_GAMMAS,
                 interval: int = DTACI_INTERVAL):
        super().__init__(calibration_scores, alphas)
        self.gammas = np.asarray(gammas, dtype=np.float64)[:, None]  # (k, 1)
        k = self.gammas.shape[0]
        a = self.alphas
        self.eta = math.sqrt(3.0 / interval) * np.sqrt(
            (math.log(k * interval) + 2.0) / ((1 - a) ** 2 * a**3 + a**2 * (1 - a) ** 3)
        )
        self.sigma = 1.0 / (2.0 * interval)
        self.expert_alpha = np.tile(a, (k, 1))  # (k, m)
        self.weights = np.ones_like(self.expert_alpha)

    def _mixture(self) -> np.ndarray:
        return (self.weights * self.expert_alpha).sum(axis=0) / self.weights.sum(axis=0)

    def thresholds(self) -> np.ndarray:
        return self._window_quantile(self._mixture())

    def _step(self, scores, threshold) -> None:
        size = self.window.shape[0]
        below = (self.window < scores).sum(axis=0)
        beta = 1.0 - below / (size + 1.0)  # the largest level whose quantile covers the row
        diff = beta - self.expert_alpha
        pinball = self.alphas * diff - np.minimum(0.0, diff)
        weights = self.weights * np.exp(-self.eta * pinball)
        total = weights.sum(axis=0)
        weights = (1.0 - self.sigma) * weights + self.sigma * total / weights.shape[0]
        self.weights = weights / weights.sum(axis=0)  # normalised: no under/overflow
        ordered = np.sort(self.window, axis=0)
        missed = np.stack(
            [scores > self._window_quantile(row, ordered) for row in self.expert_alpha]
        )
        self.expert_alpha = self.expert_alpha + self.gammas * (self.alphas - missed)


class QuantileTracker(_Calibrator):
    """Conformal PID's P control: ``q_{t+1} = q_t + lr * range(window) * (err_t - alpha)``."""

    def __init__(self, calibration_scores, alphas, learning_rate: float = PID_LEARNING_RATE):
        super().__init__(calibration_scores, alphas)
        self.learning_rate = learning_rate
        self.q = self._window_quantile(self.alphas)

    def thresholds(self) -> np.ndarray:
        return self.q.copy()

    def _step(self, scores, threshold) -> None:
        scale = self.window.max(axis=0) - self.window.min(axis=0)
        missed = (scores > threshold).astype(np.float64)
        self.q = self.q + self.learning_rate * scale * (missed - self.alphas)


ADAPTATIONS = {
    "aci": AdaptiveConformal,
    "dtaci": DynamicallyTunedConformal,
    "pid": QuantileTracker,
}


def make_calibrator(adaptation: str, calibration_scores: np.ndarray, alphas: np.ndarray):
    """The online calibrator ``adaptation`` started from the scores of ``fit`` (n, m)."""
    return ADAPTATIONS[adaptation](calibration_scores, alphas)

