"""Quantile interval forecasting: multi-quantile boosting, non-crossing quantiles and
split-conformal calibration (CQR).

``QuantileIntervalRegressor`` trains one quantile model for several levels (XGBoost: one
multi-output model; LightGBM: one model per level, several in parallel) through
``boostloss.sklearn.BoostLossRegressor`` with the ``quantile`` loss, rearranges the
predicted quantiles by sorting each row, and calibrates every central interval
``[tau, 1 - tau]`` on held-out data with conformalized quantile regression. The math
(scores, conformal quantile, shifts) lives in ``boostloss.intervals._conformal``; this
module validates inputs, splits the data and owns the estimator. ``evaluate_intervals``
computes the metric table (coverage, width, interval score, pinball) from
``boostloss.metrics``.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .. import metrics
from .._validation import check_levels_param, check_number_param, check_sample_weight
from ..sklearn._compat import validate_data
from ._conformal import (
    apply_shifts,
    calibrate_pairs,
    central_pairs,
    min_calibration_samples,
    rearrange,
)

__all__ = ["QuantileIntervalRegressor", "evaluate_intervals", "interval_levels"]

_BACKENDS = ("xgboost", "lightgbm")
_CALIBRATIONS = ("conformal", None)
_LEVEL_ATOL = 1e-9


# ---------------------------------------------------------------------------
# Levels
# ---------------------------------------------------------------------------


def interval_levels(coverage: float) -> tuple[float, float]:
    """The central interval's levels ``((1 - c) / 2, 1 - (1 - c) / 2)``, rounded to 12 digits
    (so coverage=0.9 gives exactly 0.05 and 0.95, not 0.04999999999999999)."""
    lower = round((1.0 - coverage) / 2.0, 12)
    return lower, round(1.0 - lower, 12)


def _contains(levels: np.ndarray, level: float) -> int | None:
    hits = np.flatnonzero(np.abs(levels - level) <= _LEVEL_ATOL)
    return int(hits[0]) if hits.size else None


def resolve_levels(
    coverage: float, quantiles: Any, *, symmetric: bool
) -> tuple[np.ndarray, int, int, int]:
    """Validated sorted levels and the column indices of (lower, median, upper).

    ``quantiles=None`` gives ``[(1 - c)/2, 0.5, 1 - (1 - c)/2]``. Otherwise the list must
    contain both interval ends and 0.5 (``predict`` is the median); with ``symmetric=True``
    (conformal calibration) every level other than 0.5 needs its mirror level ``1 - tau``.
    """
    coverage = check_number_param(
        "coverage", coverage, low=0.0, high=1.0, low_open=True, high_open=True
    )
    lower, upper = interval_levels(coverage)
    if quantiles is None:
        levels = np.array([lower, 0.5, upper])
    else:
        levels = np.sort(check_levels_param("quantiles", quantiles))
    missing = [lvl for lvl in (lower, 0.5, upper) if _contains(levels, lvl) is None]
    if missing:
        raise ValueError(
            f"quantiles={list(np.asarray(quantiles).tolist())!r} must contain the interval ends "
            f"{lower!r} and {upper!r} of coverage={coverage!r} and the median 0.5 (predict "
            f"returns it); missing: {missing!r}. Add them, or pass quantiles=None for "
            f"[{lower!r}, 0.5, {upper!r}]."
        )
    if symmetric:
        pairs, unpaired = central_pairs(levels, atol=_LEVEL_ATOL)
        lonely = [float(levels[j]) for j in unpaired if abs(levels[j] - 0.5) > _LEVEL_ATOL]
        if lonely:
            raise ValueError(
                f"calibration='conformal' calibrates central intervals [tau, 1 - tau], so every "
                f"level needs its mirror level; {lonely!r} have none in quantiles="
                f"{levels.tolist()!r}. Add {[round(1.0 - v, 12) for v in lonely]!r}, or pass "
                "calibration=None."
            )
    return (
        levels,
        _contains(levels, lower),  # type: ignore[return-value]
        _contains(levels, 0.5),  # type: ignore[return-value]
        _contains(levels, upper),  # type: ignore[return-value]
    )


# ---------------------------------------------------------------------------
# Metric table
# ---------------------------------------------------------------------------


def evaluate_intervals(
    y_true,
    quantiles,
    levels,
    *,
    coverage: float = 0.9,
    sample_weight=None,
) -> dict[str, float]:
    """The metric table of quantile forecasts ``quantiles`` (n, q) at ``levels`` (q,).

    The interval is the pair of columns at levels ``(1 - coverage)/2`` and
    ``1 - (1 - coverage)/2`` (both must be in ``levels``). Returns a dict:

    - ``coverage``: share of ``y`` inside the interval (``metrics.coverage``);
    - ``mean_width``: mean interval width (``metrics.mean_interval_width``);
    - ``interval_score``: Winkler score with ``alpha = 1 - coverage``
      (``metrics.interval_score``; lower is better);
    - ``mean_pinball``: pinball loss averaged over samples and all levels
      (``metrics.pinball``; lower is better).

    All are sample-weighted means when ``sample_weight`` is given.
    """
    coverage = check_number_param(
        "coverage", coverage, low=0.0, high=1.0, low_open=True, high_open=True
    )
    levels = check_levels_param("levels", levels)
    quantiles = np.asarray(quantiles, dtype=np.float64)
    lower_level, upper_level = interval_levels(coverage)
    lower, upper = _contains(levels, lower_level), _contains(levels, upper_level)
    if lower is None or upper is None:
        raise ValueError(
            f"levels={levels.tolist()!r} must contain the interval ends {lower_level!r} and "
            f"{upper_level!r} of coverage={coverage!r}."
        )
    if quantiles.ndim != 2 or quantiles.shape[1] != levels.size:
        raise ValueError(
            f"quantiles must have shape (n_samples, {levels.size}), one column per level, "
            f"got {quantiles.shape}."
        )
    interval = quantiles[:, [lower, upper]]
    alpha = 1.0 - coverage
    return {
        "coverage": metrics.coverage(y_true, interval, sample_weight=sample_weight),
        "mean_width": metrics.mean_interval_width(y_true, interval, sample_weight=sample_weight),
        "interval_score": metrics.interval_score(
            y_true, interval, alpha=alpha, sample_weight=sample_weight
        ),
        "mean_pinball": metrics.pinball(
            y_true, quantiles, alpha=levels.tolist(), sample_weight=sample_weight
        ),
    }


# ---------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------


def _thread_plan(n_jobs: int | None, n_models: int) -> tuple[int, int | None]:
    """(models trained at once, threads per model) for ``n_models`` independent models.

    ``n_jobs=None`` means all cores here (``os.cpu_count()``); negative values count back
    from it as in joblib (-1: all cores). With one model (or one core) the engine gets
    ``n_jobs`` unchanged.
    """
    if n_jobs is None:
        total = os.cpu_count() or 1
    elif isinstance(n_jobs, (int, np.integer)) and not isinstance(n_jobs, bool) and n_jobs != 0:
        total = int(n_jobs) if n_jobs > 0 else max(1, (os.cpu_count() or 1) + 1 + int(n_jobs))
    else:
        raise ValueError(
            f"n_jobs must be a non-zero integer or None, got {n_jobs!r}. Use n_jobs=1 for one "
            "thread, -1 (or None) for all cores."
        )
    workers = max(1, min(n_models, total))
    if workers == 1:
        return 1, n_jobs
    return workers, max(1, total // workers)


class QuantileIntervalRegressor(RegressorMixin, BaseEstimator):
    """Prediction intervals from multi-quantile gradient boosting, calibrated by CQR.

    ``fit`` trains quantile models for ``quantiles`` (the pinball loss ``quantile`` of
    boostloss through ``BoostLossRegressor``; XGBoost: one multi-output model for all
    levels; LightGBM: one model per level, up to ``n_jobs`` of them at once) and, with
    ``calibration="conformal"``, calibrates every central interval ``[tau, 1 - tau]`` on a
    held-out part of the rows by conformalized quantile regression (Romano, Patterson &
    Candes, 2019).

    Non-crossing: ``predict_quantiles`` sorts each row of the model output (rearrangement,
    Chernozhukov et al. 2010), applies the conformal shifts and sorts again (a shift can be
    negative), so its columns are non-decreasing for every input.

    Calibration and its guarantee (``calibration="conformal"``): the rows are split into a
    proper training part, on which the quantile models are fit, and a calibration part of
    ``n = ceil(calibration_fraction * n_samples)`` rows that the models never see. For each
    central pair (lower ``lo``, upper ``hi``, miscoverage ``alpha = 2 tau``) the scores
    ``E_i = max(lo(x_i) - y_i, y_i - hi(x_i))`` on the calibration rows give
    ``Q = the ceil((n + 1)(1 - alpha))-th smallest E_i`` (the ``ceil((n+1)(1-alpha))/n``
    empirical quantile), and the interval becomes ``[lo(x) - Q, hi(x) + Q]``. If the
    calibration rows and a new row ``(x, y)`` are exchangeable (e.g. i.i.d.), then, over
    the draw of both, the finite-sample marginal guarantee holds::

        P(lo(x) - Q <= y <= hi(x) + Q) >= 1 - alpha      (and <= 1 - alpha + 1/(n + 1)
                                                           when the scores have no ties)

    It is marginal (averaged over x), not conditional on x: the quantile models make the
    width adapt to x; the conformal step fixes the average coverage. To keep every pair's
    guarantee after the final sort, scores are computed on the sorted raw quantiles and the
    shifts are made non-decreasing from inner to outer pairs (``Q_outer = max(Q_outer,
    Q_inner)``), which only widens outer intervals; then sorting can only widen a central
    interval, never narrow it (see ``boostloss.intervals._conformal``). ``predict_interval``
    is the pair for ``coverage``, so it carries the ``>= coverage`` guarantee. The median
    (``predict``) is not shifted. With ``sample_weight`` the training is weighted and the
    calibration quantile is the weighted one (weights as frequency weights, the new row
    weighted like the mean calibration row); the guarantee then is for the weighted
    population and holds exactly only for equal weights.

    Not refitted on all rows: refitting the quantile models on training + calibration rows
    after computing ``Q`` would make the calibration scores no longer exchangeable with a
    new row's score (the models would have seen the calibration rows), so the guarantee
    would be lost. The models stay fit on the training part only; the price is
    ``calibration_fraction`` of the rows not used for fitting.

    Time series (``time_ordered=True``): the rows must be in time order; the calibration
    part is the *last* ``calibration_fraction`` of them (no shuffling, no look-ahead), the
    models are fit on the earlier rows. Serially dependent data are not exchangeable, so
    the guarantee above does not formally apply; coverage holds approximately when the
    series is stationary over the calibration and forecast periods.

    ``calibration=None`` fits the models on all rows and returns their sorted output: with
    the same boosting parameters ``predict_quantiles`` equals
    ``np.sort(BoostLossRegressor(loss="quantile", loss_params={"alpha": quantiles},
    ...).fit(X, y).predict(X), axis=1)`` (on LightGBM that model is one booster per
    level too, trained one after the other).

    Parameters
    ----------
    coverage : float in (0, 1), default=0.9
        Nominal coverage of ``predict_interval``: the central interval between the levels
        ``(1 - coverage) / 2`` and ``1 - (1 - coverage) / 2`` (rounded to 12 digits).
    quantiles : sequence of float in (0, 1) or None, default=None
        The levels to model (sorted on fit). None means ``[(1 - coverage)/2, 0.5,
        1 - (1 - coverage)/2]``. Must contain both interval ends and 0.5 (``predict`` is
        the median); with ``calibration="conformal"`` every level other than 0.5 needs its
        mirror level ``1 - tau`` (each central pair is calibrated at coverage ``1 - 2 tau``,
        e.g. a fan chart of 50%, 80% and 90% intervals).
    backend : {"xgboost", "lightgbm"}, default="xgboost"
    calibration : {"conformal", None}, default="conformal"
    calibration_fraction : float in (0, 1), default=0.25
        Share of the rows held out for calibration (rounded up). The calibration part must
        hold at least ``ceil((1 - alpha) / alpha)`` rows for the smallest miscoverage
        ``alpha`` (9 for a 90% interval, 19 for 95%), or ``fit`` raises ValueError.
    time_ordered : bool, default=False
        False: random split with ``random_state``. True: the last rows calibrate.
    n_estimators, learning_rate, max_depth, num_leaves, min_child_weight, subsample, \
colsample, reg_lambda, engine_params, random_state :
        As in ``BoostLossRegressor`` (same names, defaults and engine mapping).
        ``random_state`` also seeds the random calibration split.
    n_jobs : int or None, default=None
        Threads. XGBoost: passed to the engine (None: engine default). LightGBM: the
        per-level models are trained ``min(q, n_jobs)`` at a time, each with
        ``n_jobs // that`` threads (None or -1: all cores).

    Attributes
    ----------
    levels_ : ndarray of shape (q,)
        The sorted quantile levels, one per column of ``predict_quantiles``.
    interval_index_ : tuple of int
        Columns of the interval's lower and upper level.
    median_index_ : int
        Column of level 0.5.
    estimators_ : list of BoostLossRegressor
        The fitted quantile models: one (XGBoost, all levels) or q (LightGBM, in the order
        of ``levels_``).
    calibration_levels_ : ndarray of shape (p,)
        Lower level ``tau`` of each central pair, innermost first (empty without
        calibration).
    calibration_shifts_ : ndarray of shape (p,)
        The conformal shift ``Q`` of each pair after the inner-to-outer max (same order).
    n_calibration_samples_ : int
        Rows used for calibration (0 without calibration).
    n_features_in_ : int
    feature_names_in_ : ndarray of str, only when X had string column names

    References
    ----------
    Romano, Y., Patterson, E. and Candes, E. (2019). Conformalized quantile regression.
    NeurIPS 32. Chernozhukov, V., Fernandez-Val, I. and Galichon, A. (2010). Quantile and
    probability curves without crossing. Econometrica 78(3). Tibshirani, R. J. et al.
    (2019). Conformal prediction under covariate shift. NeurIPS 32.

    Examples
    --------
    >>> from boostloss.datasets import make_heteroscedastic
    >>> X, y = make_heteroscedastic(2000, 5, random_state=0)
    >>> model = QuantileIntervalRegressor(coverage=0.9, n_estimators=50, random_state=0)
    >>> model.fit(X[:1500], y[:1500]).predict_interval(X[1500:]).shape
    (500, 2)
    """

    def __init__(
        self,
        coverage: float = 0.9,
        *,
        quantiles=None,
        backend: str = "xgboost",
        calibration: str | None = "conformal",
        calibration_fraction: float = 0.25,
        time_ordered: bool = False,
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        max_depth: int | None = None,
        num_leaves: int | None = None,
        min_child_weight: float | None = None,
        subsample: float = 1.0,
        colsample: float = 1.0,
        reg_lambda: float | None = None,
        engine_params: dict | None = None,
        random_state=None,
        n_jobs: int | None = None,
    ):
        self.coverage = coverage
        self.quantiles = quantiles
        self.backend = backend
        self.calibration = calibration
        self.calibration_fraction = calibration_fraction
        self.time_ordered = time_ordered
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.num_leaves = num_leaves
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample = colsample
        self.reg_lambda = reg_lambda
        self.engine_params = engine_params
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ checks
    _X_CHECKS: dict[str, Any] = dict(
        accept_sparse=["csr", "csc"],
        dtype=[np.float64, np.float32],
        ensure_all_finite="allow-nan",  # both engines treat NaN as missing
    )

    def _check_params(self) -> None:
        if not isinstance(self.backend, str) or self.backend not in _BACKENDS:
            raise ValueError(f"backend must be one of {list(_BACKENDS)}, got {self.backend!r}.")
        if self.calibration not in _CALIBRATIONS:
            raise ValueError(
                f"calibration must be 'conformal' or None, got {self.calibration!r}."
            )
        check_number_param(
            "calibration_fraction", self.calibration_fraction, low=0.0, high=1.0,
            low_open=True, high_open=True,
        )
        if not isinstance(self.time_ordered, (bool, np.bool_)):
            raise TypeError(f"time_ordered must be True or False, got {self.time_ordered!r}.")
        _thread_plan(self.n_jobs, 1)  # validates n_jobs

    def _quantile_model(self, alpha, n_jobs):
        from ..sklearn import BoostLossRegressor

        return BoostLossRegressor(
            loss="quantile",
            loss_params={"alpha": alpha},
            backend=self.backend,
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            max_depth=self.max_depth,
            num_leaves=self.num_leaves,
            min_child_weight=self.min_child_weight,
            subsample=self.subsample,
            colsample=self.colsample,
            reg_lambda=self.reg_lambda,
            random_state=self.random_state,
            n_jobs=n_jobs,
            engine_params=self.engine_params,
        )

    # ------------------------------------------------------------------ fitting
    def _split(self, n_samples: int, levels: np.ndarray, pairs) -> tuple[np.ndarray, np.ndarray]:
        """(train rows, calibration rows) for conformal calibration; raises if too few."""
        n_calibration = math.ceil(self.calibration_fraction * n_samples)
        smallest_alpha = 2.0 * float(levels[pairs[-1][0]])  # the outermost pair
        needed = min_calibration_samples(smallest_alpha)
        if n_calibration < needed or n_samples - n_calibration < 2:
            raise ValueError(
                f"too few samples for conformal calibration: the outermost interval "
                f"[{float(levels[pairs[-1][0]])!r}, {float(levels[pairs[-1][1]])!r}] (miscoverage "
                f"{smallest_alpha:.4g}) needs at least {needed} calibration rows "
                f"(ceil((n + 1)(1 - alpha)) <= n) and 2 training rows, but "
                f"calibration_fraction={self.calibration_fraction!r} of n_samples={n_samples} "
                f"gives {n_calibration} calibration and {n_samples - n_calibration} training "
                f"rows. Pass more rows, a larger calibration_fraction, or calibration=None."
            )
        if self.time_ordered:
            order = np.arange(n_samples)
        else:
            order = check_random_state(self.random_state).permutation(n_samples)
        cut = n_samples - n_calibration
        return order[:cut], order[cut:]

    def _fit_models(self, X, y, sample_weight, levels: np.ndarray) -> list:
        if self.backend == "xgboost":
            model = self._quantile_model([float(a) for a in levels], self.n_jobs)
            return [model.fit(X, y, sample_weight=sample_weight)]
        workers, threads = _thread_plan(self.n_jobs, levels.size)
        models = [self._quantile_model(float(a), threads) for a in levels]
        if workers == 1:
            return [m.fit(X, y, sample_weight=sample_weight) for m in models]
        # LightGBM releases the GIL while it builds trees (ctypes calls), so threads overlap
        # the per-level models; each holds `threads` OpenMP threads.
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(m.fit, X, y, sample_weight=sample_weight) for m in models]
            return [f.result() for f in futures]

    def fit(self, X, y, sample_weight=None):
        """Fit the quantile models and, with ``calibration="conformal"``, the shifts.

        X (n, d) array-like, DataFrame or sparse; y (n,); sample_weight (n,) or None,
        used by the models' training and by the weighted conformal quantile.
        """
        self._check_params()
        conformal = self.calibration == "conformal"
        levels, lower, median, upper = resolve_levels(
            self.coverage, self.quantiles, symmetric=conformal
        )
        X, y = validate_data(self, X, y, y_numeric=True, **self._X_CHECKS)
        y = np.asarray(y, dtype=np.float64)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        pairs, _ = central_pairs(levels, atol=_LEVEL_ATOL)

        if conformal:
            train, calibrate = self._split(X.shape[0], levels, pairs)
            w_train = None if sample_weight is None else sample_weight[train]
            w_cal = None if sample_weight is None else sample_weight[calibrate]
            if w_cal is not None and not np.any(w_cal > 0):
                raise ValueError(
                    "the calibration rows all have zero sample_weight; use another "
                    "random_state, a larger calibration_fraction, or calibration=None."
                )
            self.estimators_ = self._fit_models(X[train], y[train], w_train, levels)
            raw = rearrange(self._predict_raw(X[calibrate]))
            shifts = calibrate_pairs(raw, y[calibrate], levels, pairs, w_cal)
            self.n_calibration_samples_ = int(calibrate.size)
        else:
            self.estimators_ = self._fit_models(X, y, sample_weight, levels)
            pairs, shifts = [], np.empty(0)
            self.n_calibration_samples_ = 0

        self.levels_ = levels
        self.interval_index_ = (lower, upper)
        self.median_index_ = median
        self._pairs = pairs
        self.calibration_levels_ = np.array([levels[lo] for lo, _ in pairs], dtype=np.float64)
        self.calibration_shifts_ = shifts
        return self

    # ------------------------------------------------------------------ prediction
    def _predict_raw(self, X) -> np.ndarray:
        """The models' quantiles, (n, q) in the order of ``levels_``, before any sorting."""
        if len(self.estimators_) == 1:
            return np.asarray(self.estimators_[0].predict(X), dtype=np.float64).reshape(
                X.shape[0], -1
            )
        return np.column_stack([m.predict(X) for m in self.estimators_]).astype(np.float64)

    def _validate_X_predict(self, X):
        check_is_fitted(self, "estimators_")
        return validate_data(self, X, reset=False, **self._X_CHECKS)

    def predict_quantiles(self, X) -> np.ndarray:
        """Quantiles at ``levels_``, shape (n, q), each row non-decreasing (calibrated
        when ``calibration="conformal"``)."""
        X = self._validate_X_predict(X)
        quantiles = rearrange(self._predict_raw(X))
        if self._pairs:
            quantiles = apply_shifts(quantiles, self._pairs, self.calibration_shifts_)
        return quantiles

    def predict_interval(self, X) -> np.ndarray:
        """The central ``coverage`` interval, shape (n, 2): columns lower <= upper."""
        return self.predict_quantiles(X)[:, list(self.interval_index_)]

    def predict(self, X) -> np.ndarray:
        """The median (level 0.5 column of ``predict_quantiles``), shape (n,)."""
        return self.predict_quantiles(X)[:, self.median_index_]

    def evaluate(self, X, y, sample_weight=None) -> dict[str, float]:
        """The metric table on (X, y): coverage, mean_width, interval_score, mean_pinball
        (see ``evaluate_intervals``). ``score`` stays scikit-learn's R^2 of the median."""
        return evaluate_intervals(
            y, self.predict_quantiles(X), self.levels_, coverage=self.coverage,
            sample_weight=sample_weight,
        )

    # ------------------------------------------------------------------ tags
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        return tags

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        return {"allow_nan": True}
