"""``QuantileIntervalRegressor``: multi-quantile boosting with conformal calibration.

This module owns the estimator: it validates parameters and data, splits the rows, trains
the quantile models (through ``boostloss.sklearn.BoostLossRegressor``) and hands clean
float64 arrays to the math in ``_conformal`` (split CQR, symmetric or not), ``_cv`` (CV+)
and ``_online`` (online adaptive calibration after ``fit``).
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

from .._validation import check_finite, check_number_param, check_sample_weight
from ..sklearn._compat import validate_data
from ._conformal import (
    apply_shifts,
    calibrate_pairs,
    central_pairs,
    min_calibration_samples,
    rearrange,
    stream_alphas,
    stream_scores,
    stream_shifts,
)
from ._cv import cv_plus_bounds, cv_plus_rank, fold_ids
from ._evaluate import evaluate_intervals
from ._levels import LEVEL_ATOL, resolve_levels
from ._online import ADAPTATIONS, make_calibrator

__all__ = ["QuantileIntervalRegressor"]

_BACKENDS = ("xgboost", "lightgbm")
_CALIBRATIONS = ("conformal", "cv+", None)


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
    levels; LightGBM: one model per level, up to ``n_jobs`` of them at once) and calibrates
    every central interval ``[tau, 1 - tau]`` by conformalized quantile regression (Romano,
    Patterson & Candes, 2019): on a held-out part (``calibration="conformal"``), out of
    fold (``"cv+"``), and optionally online after ``fit`` (``adaptation``).

    Non-crossing: ``predict_quantiles`` sorts each row of the model output (rearrangement,
    Chernozhukov et al. 2010), applies the conformal shifts and sorts again (a shift can be
    negative), so its columns are non-decreasing for every input.

    Split calibration and its guarantee (``calibration="conformal"``): the rows are split
    into a proper training part, on which the quantile models are fit, and a calibration
    part of ``n = ceil(calibration_fraction * n_samples)`` rows that the models never see.
    For each central pair (lower ``lo``, upper ``hi``, miscoverage ``alpha = 2 tau``) the
    scores ``E_i = max(lo(x_i) - y_i, y_i - hi(x_i))`` on the calibration rows give
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
    ``calibration_fraction`` of the rows not used for fitting. ``calibration="cv+"`` avoids
    that price.

    Asymmetric CQR (``symmetric=False``): the lower and upper bounds are calibrated
    separately, each at ``alpha / 2``, on the scores ``lo(x_i) - y_i`` and
    ``y_i - hi(x_i)``: ``[lo(x) - Q_lo, hi(x) + Q_hi]``. Each tail then carries its own
    ``<= alpha / 2`` guarantee (the interval ``>= 1 - alpha``), which matters for skewed
    errors where one model bound is good and the other is not; it needs about twice the
    calibration rows (``ceil((1 - alpha/2) / (alpha/2))``: 19 for a 90% interval) and is
    a little wider on symmetric errors.

    CV+ (``calibration="cv+"``, ``cv`` folds; Barber, Candes, Ramdas & Tibshirani, 2021):
    the quantile models are fit ``cv`` times, each without one fold, and every row is
    scored by the models that did not see it, so every row both fits and calibrates. A new
    row's bounds are the ``floor(alpha (n + 1))``-th smallest of ``lo_{-k(i)}(x) - E_i`` and
    largest of ``hi_{-k(i)}(x) + E_i`` over all ``n`` rows (``k(i)`` the fold of row ``i``).
    Guarantee for exchangeable rows: ``>= 1 - 2 alpha - min(2 (1 - 1/K)/(n/K + 1),
    (1 - K/n)/(K + 1))`` in theory, about ``1 - alpha`` in practice, with narrower
    intervals than split conformal on small data (the formula and the argument are in
    ``boostloss.intervals._cv``). ``predict`` is the mean of the ``cv`` fold models'
    medians. Costs ``cv`` fits and ``n`` values per new row at prediction. Folds are
    random (``random_state``) or, with ``time_ordered=True``, contiguous blocks.

    Time series (``time_ordered=True``): the rows must be in time order; the calibration
    part is the *last* ``calibration_fraction`` of them (no shuffling, no look-ahead), the
    models are fit on the earlier rows. Serially dependent data are not exchangeable, so
    the guarantee above does not formally apply, and under drift it fails (a model that
    never learns that its errors grew keeps its old width).

    Online adaptation (``adaptation``, needs ``time_ordered=True`` and calibration): after
    ``fit``, ``update(X_new, y_new)`` feeds the realised targets in time order and the shifts
    adapt, O(calibration rows) per row, no refit, deterministic (the math is in
    ``boostloss.intervals._online``). With ``calibration="conformal"`` the window of scores
    starts with the calibration rows' scores and the forecast is the (shifted) model; with
    ``"cv+"`` it starts with the out-of-fold scores of all rows (contiguous folds) and the
    forecast is the mean of the fold models, shifted (the CV+ order statistics are not used
    online). Whatever the series does, the long-run miscoverage of ``"aci"`` converges to
    ``alpha`` at rate ``1/(gamma T)`` (Gibbs & Candes, 2021); ``"dtaci"`` (ACI experts with
    learning rates 0.001-0.128, exponentially weighted) bounds the regret on every stretch
    of time with no learning rate to choose (Gibbs & Candes, 2024); ``"pid"`` is quantile
    tracking (Angelopoulos, Candes & Tibshirani, 2023).

    Which method, measured (``benchmarks/bench_intervals.py --online``, LightGBM, 90%, one
    step ahead over the second half of co2, elnino, sunspots, nile and a synthetic series
    whose noise triples and level jumps): split CQR kept as fitted covers 0.36 (synthetic),
    0.78 (elnino), 0.88 (co2); every online method is within 2 points of 0.90 on co2,
    elnino and the synthetic series except ``"pid"`` after the jump (0.88: quantile
    tracking reacts slowly to a jump), and within 0.88-0.93 on the short sunspots (149
    steps) and nile (49 steps). The CV+ base is 10-25%
    narrower than the split base (elnino 2.19-2.40 vs 2.83-2.92) and within 10% of MAPIE's
    ACI at equal coverage (co2 1.48 vs 1.54, elnino 2.19-2.40 vs 2.04, nile 523 vs 487).
    ``"dtaci"`` and ``"aci"`` are close (``"aci"`` narrower on elnino, ``"dtaci"`` on nile
    and co2 and with the better worst 200-step coverage after the jump), so
    ``calibration="cv+", adaptation="dtaci"`` is the recommended pair.
    ``bl.intervals.backtest`` runs the one-step-ahead loop.

    ``calibration=None`` fits the models on all rows and returns their sorted output: with
    the same boosting parameters ``predict_quantiles`` equals
    ``np.sort(BoostLossRegressor(loss="quantile", loss_params={"alpha": quantiles},
    ...).fit(X, y).predict(X), axis=1)`` (on LightGBM that model is one booster per
    level too, trained one after the other).

    Parameters
    ----------
    coverage : float in (0, 1), default=0.9
        Nominal coverage of ``predict_interval``: the central interval between the levels
        ``(1 - coverage) / 2`` and ``1 - (1 - coverage) / 2`` (rounded to 12 digits; the
        rounded levels must differ from 0, 0.5 and 1, about ``2e-9 <= coverage <= 1 -
        2e-12``).
    quantiles : sequence of float in (0, 1) or None, default=None
        The levels to model (sorted on fit), at least ``1e-9`` apart. None means
        ``[(1 - coverage)/2, 0.5, 1 - (1 - coverage)/2]``. Must contain both interval ends
        and 0.5 (``predict`` is the median); with calibration every level other than 0.5
        needs its mirror level ``1 - tau`` (each central pair is calibrated at coverage
        ``1 - 2 tau``, e.g. a fan chart of 50%, 80% and 90% intervals).
    backend : {"xgboost", "lightgbm"}, default="xgboost"
    calibration : {"conformal", "cv+", None}, default="conformal"
    calibration_fraction : float in (0, 1), default=0.25
        Share of the rows held out for split calibration (rounded up). The calibration part
        must hold at least ``ceil((1 - a) / a)`` rows for the smallest miscoverage ``a`` of
        a calibrated bound (``a = alpha``, or ``alpha / 2`` with ``symmetric=False``; 9 for
        a symmetric 90% interval, 19 for 95%), or ``fit`` raises ValueError. CV+ needs as
        many rows in total.
    cv : int >= 2, splitter or iterable of (train, test), default=5
        Folds of ``calibration="cv+"`` (ignored otherwise): a number of folds, a
        scikit-learn splitter (``KFold(...)``, its ``split(X, y)`` is used) or its list of
        splits. The test parts must cover every row exactly once; fold ``k``'s models are
        fit on all rows outside test part ``k``.
    symmetric : bool, default=True
        True: one shift per interval (``max`` score). False: asymmetric CQR, separate lower
        and upper shifts at ``alpha / 2`` each.
    time_ordered : bool, default=False
        False: random split (or folds) with ``random_state``. True: rows are in time
        order; the last rows calibrate (CV+: contiguous folds).
    adaptation : {None, "aci", "dtaci", "pid"}, default=None
        Online adaptive calibration through ``update`` (see above; ``"dtaci"`` is the
        recommended one); None keeps the calibration of ``fit``.
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
        of ``levels_``). With ``calibration="cv+"``: a list of ``cv`` such lists, one per
        fold (fold ``k``'s models did not see fold ``k``).
    calibration_levels_ : ndarray of shape (p,)
        Lower level ``tau`` of each central pair, innermost first (empty without
        calibration).
    calibration_shifts_ : ndarray of shape (p, 2)
        The (lower, upper) conformal shift of each pair after the inner-to-outer max (same
        order; equal columns when ``symmetric``). With ``adaptation`` it is the current
        online shift (``update`` changes it); empty for ``None`` and for ``"cv+"`` without
        adaptation (its bounds are per row).
    n_calibration_samples_ : int
        Rows used for calibration (0 without calibration; all rows with CV+).
    n_updates_ : int
        Rows fed to ``update`` since ``fit`` (only with ``adaptation``).
    n_features_in_ : int
    feature_names_in_ : ndarray of str, only when X had string column names

    References
    ----------
    Romano, Y., Patterson, E. and Candes, E. (2019). Conformalized quantile regression.
    NeurIPS 32. Chernozhukov, V., Fernandez-Val, I. and Galichon, A. (2010). Quantile and
    probability curves without crossing. Econometrica 78(3). Tibshirani, R. J. et al.
    (2019). Conformal prediction under covariate shift. NeurIPS 32. Barber, R. F., Candes,
    E. J., Ramdas, A. and Tibshirani, R. J. (2021). Predictive inference with the
    jackknife+. Ann. Statist. 49(1). Gibbs, I. and Candes, E. (2021). Adaptive conformal
    inference under distribution shift. NeurIPS 34. Gibbs, I. and Candes, E. (2024).
    Conformal inference for online prediction with arbitrary distribution shifts. JMLR 25.
    Angelopoulos, A. N., Candes, E. J. and Tibshirani, R. J. (2023). Conformal PID control
    for time series prediction. NeurIPS 36.

    Examples
    --------
    >>> from boostloss.datasets import make_heteroscedastic
    >>> X, y = make_heteroscedastic(2000, 5, random_state=0)
    >>> model = QuantileIntervalRegressor(coverage=0.9, n_estimators=50, random_state=0)
    >>> model.fit(X[:1500], y[:1500]).predict_interval(X[1500:]).shape
    (500, 2)
    >>> online = QuantileIntervalRegressor(n_estimators=50, time_ordered=True,
    ...                                    adaptation="dtaci").fit(X[:1500], y[:1500])
    >>> lo, hi = online.predict_interval(X[1500:1501])[0]
    >>> online.update(X[1500:1501], y[1500:1501]).n_updates_
    1
    """

    def __init__(
        self,
        coverage: float = 0.9,
        *,
        quantiles=None,
        backend: str = "xgboost",
        calibration: str | None = "conformal",
        calibration_fraction: float = 0.25,
        cv: int = 5,
        symmetric: bool = True,
        time_ordered: bool = False,
        adaptation: str | None = None,
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
        self.cv = cv
        self.symmetric = symmetric
        self.time_ordered = time_ordered
        self.adaptation = adaptation
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
        if not any(self.calibration is c or self.calibration == c for c in _CALIBRATIONS):
            raise ValueError(
                f"calibration must be 'conformal', 'cv+' or None, got {self.calibration!r}."
            )
        check_number_param(
            "calibration_fraction", self.calibration_fraction, low=0.0, high=1.0,
            low_open=True, high_open=True,
        )
        for name in ("symmetric", "time_ordered"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}.")
        if self.adaptation is not None:
            if not isinstance(self.adaptation, str) or self.adaptation not in ADAPTATIONS:
                raise ValueError(
                    f"adaptation must be None or one of {list(ADAPTATIONS)}, got "
                    f"{self.adaptation!r}."
                )
            if self.calibration is None or not self.time_ordered:
                raise ValueError(
                    f"adaptation={self.adaptation!r} adapts the conformal shifts online, "
                    f"starting from the calibration scores, so it needs calibration="
                    f"'conformal' or 'cv+' and time_ordered=True (got calibration="
                    f"{self.calibration!r}, time_ordered={self.time_ordered!r})."
                )
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
    def _check_enough_rows(self, n_calibration: int, n_train: int, what: str,
                           levels: np.ndarray, pairs, fix: str) -> None:
        """Raise if ``n_calibration`` rows cannot calibrate the outermost interval."""
        outer_lower, outer_upper = (float(levels[j]) for j in pairs[-1])
        smallest_alpha = float(stream_alphas(levels, pairs[-1:], self.symmetric)[0])
        needed = min_calibration_samples(smallest_alpha)
        if n_calibration < needed or n_train < 2:
            bound = "" if self.symmetric else " per bound (symmetric=False)"
            raise ValueError(
                f"too few samples for {what}: the outermost interval [{outer_lower!r}, "
                f"{outer_upper!r}] (miscoverage {smallest_alpha:.4g}{bound}) needs at least "
                f"{needed} calibration rows (ceil((n + 1)(1 - alpha)) <= n) and 2 training "
                f"rows, but {fix} gives {n_calibration} calibration and {n_train} training "
                f"rows. Pass more rows, a larger calibration_fraction, or calibration=None."
            )

    def _split(self, n_samples: int, levels: np.ndarray, pairs) -> tuple[np.ndarray, np.ndarray]:
        """(train rows, calibration rows) for split calibration; raises if too few."""
        n_calibration = math.ceil(self.calibration_fraction * n_samples)
        self._check_enough_rows(
            n_calibration, n_samples - n_calibration, "conformal calibration", levels, pairs,
            f"calibration_fraction={self.calibration_fraction!r} of n_samples={n_samples}",
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
        """Fit the quantile models and the calibration (split, CV+ or none).

        X (n, d) array-like, DataFrame or sparse; y (n,); sample_weight (n,) or None,
        used by the models' training and by the weighted conformal quantile (split
        calibration; CV+ takes no weights).
        """
        self._check_params()
        calibrated = self.calibration is not None
        levels, lower, median, upper = resolve_levels(
            self.coverage, self.quantiles, paired=calibrated,
            calibration=self.calibration or "conformal",
        )
        X, y = validate_data(self, X, y, y_numeric=True, **self._X_CHECKS)
        y = np.asarray(y, dtype=np.float64)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        pairs, _ = central_pairs(levels, atol=LEVEL_ATOL)
        self.levels_ = levels
        self.interval_index_ = (lower, upper)
        self.median_index_ = median
        self._pairs = pairs if calibrated else []
        self._calibrator = None
        self._cv_state = None
        shifts = np.empty((0, 2))

        if self.calibration == "conformal":
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
            shifts = calibrate_pairs(raw, y[calibrate], levels, pairs, w_cal,
                                     symmetric=self.symmetric)
            self.n_calibration_samples_ = int(calibrate.size)
            if self.adaptation is not None:
                self._calibrator = make_calibrator(
                    self.adaptation, stream_scores(raw, y[calibrate], pairs, self.symmetric),
                    stream_alphas(levels, pairs, self.symmetric),
                )
                self.n_updates_ = 0
        elif self.calibration == "cv+":
            self._fit_cv_plus(X, y, sample_weight, levels, pairs)
            self.n_calibration_samples_ = int(X.shape[0])
            if self._calibrator is not None:
                shifts = self.calibration_shifts_
        else:
            self.estimators_ = self._fit_models(X, y, sample_weight, levels)
            self.n_calibration_samples_ = 0

        self.calibration_levels_ = np.array([levels[lo] for lo, _ in self._pairs],
                                            dtype=np.float64)
        self.calibration_shifts_ = shifts
        return self

    def _fit_cv_plus(self, X, y, sample_weight, levels, pairs) -> None:
        if sample_weight is not None:
            raise ValueError(
                "calibration='cv+' does not take sample_weight (its out-of-fold quantile is "
                "unweighted); use calibration='conformal' for weighted calibration, or drop "
                "the weights."
            )
        n = X.shape[0]
        folds = fold_ids(n, self.cv, X, y, shuffle=not self.time_ordered,
                         rng=check_random_state(self.random_state))
        folds_count = int(folds.max()) + 1
        largest = int(np.bincount(folds).max())
        self._check_enough_rows(n, n - largest, "CV+ calibration", levels, pairs,
                                f"n_samples={n} with {folds_count} folds")
        self.estimators_ = []
        scores = np.empty((n, stream_alphas(levels, pairs, self.symmetric).size))
        for k in range(folds_count):
            held_out = folds == k
            models = self._fit_models(X[~held_out], y[~held_out], None, levels)
            self.estimators_.append(models)
            raw = rearrange(self._predict_raw(X[held_out], models))
            scores[held_out] = stream_scores(raw, y[held_out], pairs, self.symmetric)
        alphas = stream_alphas(levels, pairs, self.symmetric)
        self._cv_state = (folds, scores, [cv_plus_rank(n, a) for a in alphas])
        if self.adaptation is not None:
            # Online: the fold models' mean forecasts, shifted; the window starts with the
            # out-of-fold scores of all rows (in time order: the folds are contiguous).
            self._calibrator = make_calibrator(self.adaptation, scores, alphas)
            self.n_updates_ = 0
            self.calibration_shifts_ = stream_shifts(self._calibrator.thresholds(),
                                                     self.symmetric)

    # ------------------------------------------------------------------ online
    def update(self, X, y):
        """Feed realised targets in time order and adapt the shifts (``adaptation``).

        ``X`` (n, d) and ``y`` (n,) are the rows that come next, oldest first: one row after
        each one-step-ahead forecast, or a small batch (rows are then processed one by one,
        each judged against the shift in force when it arrives, exactly as if fed one at a
        time). O(calibration rows) per row, no refit. Returns self.
        """
        self._update(X, y)
        return self

    def _update(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """``update``; returns the sorted raw quantiles (n, q) and the per-row thresholds
        (n, m) the rows were judged against (what ``predict_quantiles`` gave before each)."""
        X = self._validate_X_predict(X)
        if self._calibrator is None:
            raise ValueError(
                "update needs online adaptation: create the model with adaptation='dtaci' "
                "(or 'aci', 'pid'), time_ordered=True and calibration='conformal', then fit."
            )
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} values.")
        check_finite("y", y)
        raw = rearrange(self._predict_raw(X))
        used = self._calibrator.update(stream_scores(raw, y, self._pairs, self.symmetric))
        self.n_updates_ += int(y.shape[0])
        self.calibration_shifts_ = stream_shifts(self._calibrator.thresholds(), self.symmetric)
        return raw, used

    # ------------------------------------------------------------------ prediction
    def _predict_raw(self, X, models=None) -> np.ndarray:
        """The models' quantiles, (n, q) in the order of ``levels_``, before any sorting.

        ``models`` defaults to ``estimators_``; with CV+ the default is the mean over the
        fold models."""
        if models is None:
            if self._cv_state is not None:
                return np.mean([self._predict_raw(X, m) for m in self.estimators_], axis=0)
            models = self.estimators_
        if len(models) == 1:
            return np.asarray(models[0].predict(X), dtype=np.float64).reshape(X.shape[0], -1)
        return np.column_stack([m.predict(X) for m in models]).astype(np.float64)

    def _predict_cv_plus(self, X) -> np.ndarray:
        folds, scores, ranks = self._cv_state
        by_fold = np.stack([rearrange(self._predict_raw(X, m)) for m in self.estimators_])
        quantiles = by_fold.mean(axis=0)  # the median column; the pairs are replaced below
        for p, (lower, upper) in enumerate(self._pairs):
            lo_stream, hi_stream = (p, p) if self.symmetric else (2 * p, 2 * p + 1)
            quantiles[:, lower], quantiles[:, upper] = cv_plus_bounds(
                by_fold[:, :, lower], by_fold[:, :, upper], folds, scores[:, lo_stream],
                scores[:, hi_stream], ranks[lo_stream], ranks[hi_stream],
            )
        # Outer bounds at least as wide as inner ones: then the sort only widens intervals.
        lowers = [lo for lo, _ in self._pairs]
        uppers = [hi for _, hi in self._pairs]
        quantiles[:, lowers] = np.minimum.accumulate(quantiles[:, lowers], axis=1)
        quantiles[:, uppers] = np.maximum.accumulate(quantiles[:, uppers], axis=1)
        return rearrange(quantiles)

    def _validate_X_predict(self, X):
        check_is_fitted(self, "estimators_")
        return validate_data(self, X, reset=False, **self._X_CHECKS)

    def predict_quantiles(self, X) -> np.ndarray:
        """Quantiles at ``levels_``, shape (n, q), each row non-decreasing (calibrated
        unless ``calibration=None``; with ``adaptation``, by the current online shifts)."""
        X = self._validate_X_predict(X)
        if self._cv_state is not None and self._calibrator is None:
            return self._predict_cv_plus(X)
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
