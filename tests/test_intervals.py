"""Tests for ``boostloss.intervals`` (QuantileIntervalRegressor, evaluate_intervals) and the
conformal core ``boostloss.intervals._conformal``.

Engines run for real (small data, few rounds, one thread: the test machine has 2 cores).
The statistical test averages coverage over several seeds with thousands of test rows, so
its tolerance (+/- 3 points) is many standard errors wide.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import boostloss as bl
from boostloss import metrics
from boostloss.datasets import make_heteroscedastic
from boostloss.intervals import QuantileIntervalRegressor, evaluate_intervals, interval_levels
from boostloss.intervals._conformal import (
    apply_shifts,
    calibrate_pairs,
    central_pairs,
    conformal_quantile,
    cqr_scores,
    min_calibration_samples,
    rearrange,
)

pytest.importorskip("sklearn")
xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

BACKENDS = ["xgboost", "lightgbm"]
FAN = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]
SMALL = dict(n_estimators=30, learning_rate=0.2, max_depth=3, n_jobs=1)


def small_model(**params) -> QuantileIntervalRegressor:
    return QuantileIntervalRegressor(**{**SMALL, "random_state": 0, **params})


@pytest.fixture(scope="module")
def data():
    X, y = make_heteroscedastic(800, 4, random_state=0)
    return X, y


@pytest.fixture(scope="module", params=BACKENDS)
def fitted_fan(request, data):
    X, y = data
    return small_model(backend=request.param, quantiles=FAN).fit(X, y)


# ---------------------------------------------------------------------------
# Conformal core (pure numpy)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.5, 0.2, 0.1, 0.05, 0.01, 0.3])
def test_min_calibration_samples_is_the_smallest_finite_n(alpha):
    n = min_calibration_samples(alpha)
    scores = np.arange(float(n))
    assert math.isfinite(conformal_quantile(scores, alpha))
    assert math.isinf(conformal_quantile(scores[:-1], alpha)) if n > 1 else True
    assert n == math.ceil((1 - alpha) / alpha - 1e-9)


@pytest.mark.parametrize("n", [9, 10, 19, 99, 100, 1000])
@pytest.mark.parametrize("alpha", [0.1, 0.05, 0.2, 0.5])
def test_conformal_quantile_is_the_ceil_rank_order_statistic(n, alpha):
    scores = np.random.default_rng(n).normal(size=n)
    k = math.ceil((n + 1) * (1 - alpha) - 1e-9)
    expected = np.sort(scores)[k - 1] if k <= n else math.inf
    assert conformal_quantile(scores, alpha) == expected
    # Equal weights (any scale) give exactly the unweighted rule.
    assert conformal_quantile(scores, alpha, np.full(n, 3.7)) == expected
    # Integer weights act as repeated rows in the calibration set.
    weight = np.random.default_rng(1).integers(0, 4, size=n).astype(float)
    weight[0] = 1.0
    repeated = np.repeat(scores, weight.astype(int))
    m = repeated.size
    k_rep = math.ceil(((1 - alpha) * (m + m / n)) - 1e-9)
    if k_rep <= m:
        assert conformal_quantile(scores, alpha, weight) == np.sort(repeated)[k_rep - 1]


def test_conformal_quantile_float_guard():
    # (n + 1)(1 - alpha) = 90 exactly in real numbers; float gives 90.00000000000001.
    scores = np.arange(99.0)
    assert conformal_quantile(scores, 0.1) == 89.0  # the 90th smallest


def test_split_conformal_coverage_is_exact_on_exchangeable_scores():
    """P(score_test <= Q) = k / (n + 1) for continuous exchangeable scores (the theorem)."""
    rng = np.random.default_rng(0)
    n, alpha, trials = 19, 0.1, 40000
    scores = rng.standard_t(3, size=(trials, n + 1))
    k = math.ceil((n + 1) * (1 - alpha))
    q = np.sort(scores[:, :n], axis=1)[:, k - 1]
    covered = np.mean(scores[:, n] <= q)
    assert covered == pytest.approx(k / (n + 1), abs=4 * math.sqrt(0.1 * 0.9 / trials))
    assert covered >= 1 - alpha - 4 * math.sqrt(0.1 * 0.9 / trials)


def test_central_pairs():
    pairs, unpaired = central_pairs(np.array(FAN))
    assert pairs == [(2, 4), (1, 5), (0, 6)]
    assert unpaired == [3]
    pairs, unpaired = central_pairs(np.array([0.1, 0.5, 0.8, 0.9]))
    assert pairs == [(0, 3)] and unpaired == [1, 2]


def test_cqr_scores_sign():
    y = np.array([0.0, 5.0, -5.0])
    scores = cqr_scores(y, np.full(3, -1.0), np.full(3, 2.0))
    np.testing.assert_array_equal(scores, [-1.0, 3.0, 4.0])


quantile_rows = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 30), st.just(len(FAN))),
    elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=200, deadline=None)
@given(
    raw=quantile_rows,
    shifts=hnp.arrays(np.float64, (3, 2), elements=st.floats(-1e6, 1e6, allow_nan=False)),
)
def test_shifted_quantiles_never_cross_and_only_widen(raw, shifts):
    """Any raw output (crossing or not) and any (lower, upper) shifts, negative and
    asymmetric included: sorted columns; with shifts non-decreasing outwards (per bound)
    every central interval contains its shifted pair."""
    pairs, _ = central_pairs(np.array(FAN))
    out = apply_shifts(rearrange(raw), pairs, shifts)
    assert np.all(np.diff(out, axis=1) >= 0)
    nested = np.maximum.accumulate(shifts, axis=0)
    out = apply_shifts(rearrange(raw), pairs, nested)
    base = rearrange(raw)
    for (lo, hi), (shift_lo, shift_hi) in zip(pairs, nested, strict=True):
        assert np.all(out[:, lo] <= base[:, lo] - shift_lo)
        assert np.all(out[:, hi] >= base[:, hi] + shift_hi)


def test_calibrate_pairs_makes_shifts_nondecreasing_outwards():
    rng = np.random.default_rng(3)
    y = rng.normal(size=500)
    levels = np.array(FAN)
    pairs, _ = central_pairs(levels)
    # Inner pair far too wide, outer pairs too narrow: raw inner shift < outer shifts would
    # be natural; make the inner one need a large shift instead.
    raw = np.column_stack([np.full(500, v) for v in (-0.5, -0.4, -0.1, 0.0, 0.1, 0.4, 0.5)])
    shifts = calibrate_pairs(raw, y, levels, pairs)
    assert shifts.shape == (3, 2) and np.all(shifts[:, 0] == shifts[:, 1])
    assert np.all(np.diff(shifts, axis=0) >= 0)
    # The innermost pair's shift is its own conformal quantile (nothing inside it).
    own = conformal_quantile(cqr_scores(y, raw[:, 2], raw[:, 4]), 0.5)
    assert shifts[0, 0] == own
    # Asymmetric: each bound at alpha / 2 on its own signed score, nested per bound.
    asym = calibrate_pairs(raw, y, levels, pairs, symmetric=False)
    assert np.all(np.diff(asym, axis=0) >= 0)
    assert asym[0, 0] == conformal_quantile(raw[:, 2] - y, 0.25)
    assert asym[0, 1] == conformal_quantile(y - raw[:, 4], 0.25)


# ---------------------------------------------------------------------------
# Estimator: no crossing
# ---------------------------------------------------------------------------


def adversarial_inputs(n_features: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {
        "gaussian": rng.normal(size=(300, n_features)),
        "huge": rng.choice([-1e6, 1e6], size=(50, n_features)),
        "tiny": rng.normal(scale=1e-12, size=(50, n_features)),
        "constant": np.ones((20, n_features)),
        "nan": np.where(rng.random((100, n_features)) < 0.5, np.nan,
                        rng.normal(size=(100, n_features))),
    }


def test_no_crossing_on_any_input(fitted_fan):
    for name, X in adversarial_inputs(fitted_fan.n_features_in_).items():
        q = fitted_fan.predict_quantiles(X)
        assert q.shape == (X.shape[0], len(FAN)), name
        assert np.all(np.isfinite(q)), name
        assert np.all(np.diff(q, axis=1) >= 0), name
        interval = fitted_fan.predict_interval(X)
        np.testing.assert_array_equal(interval, q[:, [0, 6]])
        np.testing.assert_array_equal(fitted_fan.predict(X), q[:, 3])


@pytest.mark.parametrize("shifts", [[-5.0, -5.0, -5.0], [-50.0, 0.0, 3.0], [2.0, -1.0, -40.0],
                                    [1e6, -1e6, 0.0], [[3.0, -60.0], [-2.0, 1.0], [0.0, 1e6]]])
def test_no_crossing_after_adversarial_shifts(fitted_fan, shifts):
    """Negative (interval-collapsing) and non-monotone shifts set by hand still give
    sorted columns: the final sort does not rely on the shifts being sensible."""
    X = adversarial_inputs(fitted_fan.n_features_in_)["gaussian"]
    model = pickle.loads(pickle.dumps(fitted_fan))
    shifts = np.array(shifts, dtype=np.float64)
    model.calibration_shifts_ = shifts if shifts.ndim == 2 else np.column_stack([shifts] * 2)
    q = model.predict_quantiles(X)
    assert np.all(np.diff(q, axis=1) >= 0)


finite_or_nan = st.one_of(st.floats(-1e9, 1e9), st.just(np.nan))


@settings(max_examples=40, deadline=None)
@given(X=hnp.arrays(np.float64, st.tuples(st.integers(1, 20), st.just(4)),
                    elements=finite_or_nan))
def test_no_crossing_hypothesis(fitted_fan, X):
    q = fitted_fan.predict_quantiles(X)
    assert np.all(np.isfinite(q))
    assert np.all(np.diff(q, axis=1) >= 0)


# ---------------------------------------------------------------------------
# Estimator: calibrated coverage
# ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_calibrated_coverage_on_heteroscedastic_data(backend):
    """Average held-out coverage of calibrated 90% intervals over 4 seeds is 0.90 +/- 0.03.

    Per seed: 1600 rows (400 calibration), 3000 test rows. Standard error of the average:
    about sqrt(0.09 / 12000 + 0.09 / 1600) = 0.0025, so 3 points is > 10 standard errors;
    the expected value lies in [0.90, 0.90 + 1/401]. The uncalibrated model is measured
    too, to show what calibration corrects (no assertion on it: it depends on the engine).
    """
    covered, raw_covered = [], []
    for seed in range(4):
        X, y = make_heteroscedastic(1600, 4, random_state=100 + seed)
        X_test, y_test = make_heteroscedastic(3000, 4, random_state=200 + seed)
        model = small_model(backend=backend, random_state=seed).fit(X, y)
        assert model.n_calibration_samples_ == 400
        interval = model.predict_interval(X_test)
        covered.append(metrics.coverage(y_test, interval))
        # The width adapts to the noise scale 0.25 + 0.75 |x_0| (not a constant band).
        width = interval[:, 1] - interval[:, 0]
        assert np.corrcoef(width, np.abs(X_test[:, 0]))[0, 1] > 0.5
        raw = np.sort(model._predict_raw(X_test), axis=1)
        raw_covered.append(metrics.coverage(y_test, raw[:, [0, 2]]))
    assert abs(np.mean(covered) - 0.9) <= 0.03, (covered, raw_covered)
    assert min(covered) >= 0.85, covered


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_time_ordered_split_uses_the_last_rows_and_the_cqr_quantile(backend):
    X, y = make_heteroscedastic(400, 4, random_state=11)
    model = small_model(backend=backend, time_ordered=True, calibration_fraction=0.3).fit(X, y)
    cut = 400 - 120
    assert model.n_calibration_samples_ == 120
    # The quantile models saw only the first `cut` rows ...
    reference = small_model(backend=backend, calibration=None).fit(X[:cut], y[:cut])
    np.testing.assert_array_equal(model._predict_raw(X), reference._predict_raw(X))
    # ... and the shift is the CQR quantile of the last rows' scores.
    raw = np.sort(model._predict_raw(X[cut:]), axis=1)
    scores = cqr_scores(y[cut:], raw[:, 0], raw[:, 2])
    k = math.ceil(121 * 0.9)
    assert model.calibration_shifts_.tolist() == [[np.sort(scores)[k - 1]] * 2]
    assert model.calibration_levels_.tolist() == [0.05]


# ---------------------------------------------------------------------------
# Estimator: calibration=None reproduces the raw quantile model
# ---------------------------------------------------------------------------


UNCALIBRATED = dict(n_estimators=20, learning_rate=0.2, max_depth=3, n_jobs=1, random_state=0)


@pytest.fixture(scope="module", params=BACKENDS)
def uncalibrated(request, data):
    X, y = data
    return QuantileIntervalRegressor(calibration=None, quantiles=FAN, backend=request.param,
                                     **UNCALIBRATED).fit(X, y)


def test_uncalibrated_reproduces_boostloss_regressor(uncalibrated, data):
    """Both engines: the list form of BoostLossRegressor; LightGBM also one model per level."""
    X, y = data
    backend = uncalibrated.backend
    reference = bl.BoostLossRegressor(loss="quantile", loss_params={"alpha": FAN},
                                      backend=backend, **UNCALIBRATED).fit(X, y)
    expected = reference.predict(X)
    assert expected.shape == (X.shape[0], len(FAN))
    np.testing.assert_allclose(uncalibrated.predict_quantiles(X), np.sort(expected, axis=1),
                               rtol=1e-6, atol=1e-6)
    assert uncalibrated.n_calibration_samples_ == 0
    assert uncalibrated.calibration_shifts_.size == 0
    if backend == "lightgbm":
        per_level = np.column_stack([
            bl.BoostLossRegressor(loss="quantile", loss_params={"alpha": level},
                                  backend=backend, **UNCALIBRATED).fit(X, y).predict(X)
            for level in FAN
        ])
        np.testing.assert_allclose(per_level, expected, rtol=1e-6, atol=1e-6)


def test_uncalibrated_lightgbm_reproduces_the_adapter(data):
    X, y = data
    model = QuantileIntervalRegressor(calibration=None, backend="lightgbm",
                                      **UNCALIBRATED).fit(X, y)
    params = {"learning_rate": 0.2, "max_depth": 3, "num_threads": 1, "seed": 0,
              "verbosity": -1, "feature_pre_filter": False}
    columns = []
    for level in (0.05, 0.5, 0.95):
        booster = bl.lightgbm.train(params, lgb.Dataset(X, label=y, free_raw_data=False), 20,
                                    loss="quantile", loss_params={"alpha": level})
        columns.append(bl.lightgbm.predict(booster, X))
    np.testing.assert_allclose(model.predict_quantiles(X), np.sort(np.column_stack(columns), axis=1),
                               rtol=1e-6, atol=1e-6)


def test_uncalibrated_xgboost_reproduces_the_adapter(data):
    X, y = data
    levels = [0.05, 0.5, 0.95]
    model = QuantileIntervalRegressor(calibration=None, backend="xgboost", n_estimators=20,
                                      learning_rate=0.2, max_depth=3, n_jobs=1).fit(X, y)
    params = {"eta": 0.2, "max_depth": 3, "nthread": 1}
    booster = bl.xgboost.train(params, xgb.QuantileDMatrix(X, label=y), 20, loss="quantile",
                               loss_params={"alpha": levels})
    expected = bl.xgboost.predict(booster, X)
    np.testing.assert_allclose(model.predict_quantiles(X), np.sort(expected, axis=1),
                               rtol=1e-6, atol=1e-6)


def test_lightgbm_parallel_levels_equal_serial(data):
    X, y = data
    serial = small_model(backend="lightgbm", n_jobs=1).fit(X, y)
    parallel = small_model(backend="lightgbm", n_jobs=2).fit(X, y)
    assert len(parallel.estimators_) == 3
    assert [m.n_jobs for m in parallel.estimators_] == [1, 1, 1]
    np.testing.assert_allclose(parallel.predict_quantiles(X), serial.predict_quantiles(X),
                               rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------------
# Bad inputs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("coverage", [0.0, 1.0, 1.5, -0.1, float("nan")])
def test_bad_coverage(coverage, data):
    X, y = data
    with pytest.raises(ValueError, match="coverage"):
        small_model(coverage=coverage).fit(X, y)


@pytest.mark.parametrize(
    "quantiles, calibration, match",
    [
        ([0.1, 0.5, 0.9], "conformal", "interval ends 0.05 and 0.95"),
        ([0.05, 0.5], None, "missing: \\[0.95\\]"),
        ([0.05, 0.95], None, "median 0.5"),
        ([0.05, 0.5, 0.8, 0.95], "conformal", "mirror level"),
        ([0.05, 0.5, 0.95, 1.2], None, "quantiles\\[3\\]"),
        ([0.05, 0.5, 0.5, 0.95], None, "repeat"),
    ],
)
def test_bad_quantiles(quantiles, calibration, match, data):
    X, y = data
    with pytest.raises(ValueError, match=match):
        small_model(quantiles=quantiles, calibration=calibration).fit(X, y)


def test_unpaired_levels_are_fine_without_calibration(data):
    X, y = data
    model = small_model(quantiles=[0.05, 0.5, 0.8, 0.95], calibration=None).fit(X[:200], y[:200])
    assert model.predict_quantiles(X[:5]).shape == (5, 4)


def test_too_few_samples_for_calibration(data):
    X, y = data
    # 30 rows * 0.25 -> 8 calibration rows < 9 needed for a 90% interval.
    with pytest.raises(ValueError, match="needs at least 9 calibration rows"):
        small_model().fit(X[:30], y[:30])
    # 95% needs 19: 60 rows * 0.25 = 15.
    with pytest.raises(ValueError, match="at least 19"):
        small_model(coverage=0.95).fit(X[:60], y[:60])
    small_model(calibration_fraction=0.3).fit(X[:30], y[:30])  # 9 rows: enough


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(backend="catboost"), ValueError, "backend"),
        (dict(calibration="jackknife"), ValueError, "calibration"),
        (dict(calibration_fraction=0.0), ValueError, "calibration_fraction"),
        (dict(calibration_fraction=1.0), ValueError, "calibration_fraction"),
        (dict(time_ordered="yes"), TypeError, "time_ordered"),
        (dict(n_jobs=0), ValueError, "n_jobs"),
        (dict(n_estimators=0), ValueError, "n_estimators"),
    ],
)
def test_bad_parameters(params, error, match, data):
    X, y = data
    with pytest.raises(error, match=match):
        small_model(**params).fit(X[:100], y[:100])


def test_bad_data(data):
    X, y = data
    with pytest.raises(ValueError):
        small_model().fit(X[:100], np.full(100, np.nan))
    with pytest.raises(ValueError, match="sample_weight"):
        small_model().fit(X[:100], y[:100], sample_weight=np.ones(99))
    model = small_model(calibration=None).fit(X[:100], y[:100])
    with pytest.raises(ValueError, match="features"):
        model.predict_quantiles(X[:5, :3])


# ---------------------------------------------------------------------------
# scikit-learn behaviour, weights, pandas
# ---------------------------------------------------------------------------


def test_clone_params_and_pickle(data):
    from sklearn.base import clone

    X, y = data
    levels = [0.1, 0.25, 0.5, 0.75, 0.9]
    model = small_model(backend="lightgbm", coverage=0.8, quantiles=levels, n_estimators=10,
                        engine_params={"min_data_in_leaf": 5})
    params = model.get_params()
    assert params["quantiles"] == levels and params["backend"] == "lightgbm"
    copy = clone(model).set_params(coverage=0.5, quantiles=None)
    assert copy.get_params()["coverage"] == 0.5 and model.coverage == 0.8
    model.fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_quantiles(X), model.predict_quantiles(X))
    assert copy.fit(X, y).predict_interval(X[:3]).shape == (3, 2)
    assert copy.levels_.tolist() == [0.25, 0.5, 0.75]


def test_sample_weight_is_used(data):
    X, y = data
    weight = np.where(X[:, 1] > 0, 5.0, 0.2)
    plain = small_model().fit(X, y)
    weighted = small_model().fit(X, y, sample_weight=weight)
    assert not np.allclose(plain.predict_quantiles(X), weighted.predict_quantiles(X))
    assert plain.calibration_shifts_[0, 0] != weighted.calibration_shifts_[0, 0]


def test_pandas_feature_names_and_grid_search(data):
    pd = pytest.importorskip("pandas")
    from sklearn.model_selection import GridSearchCV

    X, y = data
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    model = small_model(n_estimators=10).fit(frame, y)
    assert list(model.feature_names_in_) == list(frame.columns)
    plain = small_model(n_estimators=10).fit(X, y)
    np.testing.assert_array_equal(model.predict_quantiles(frame), plain.predict_quantiles(X))
    search = GridSearchCV(small_model(n_estimators=10), {"max_depth": [2, 3]}, cv=2).fit(X, y)
    assert search.best_params_["max_depth"] in (2, 3)


def test_evaluate_matches_metrics(fitted_fan, data):
    X, y = data
    table = fitted_fan.evaluate(X, y)
    q = fitted_fan.predict_quantiles(X)
    assert table == {
        "coverage": metrics.coverage(y, q[:, 0], q[:, 6]),
        "mean_width": metrics.mean_interval_width(y, q[:, 0], q[:, 6]),
        "interval_score": metrics.interval_score(y, q[:, 0], q[:, 6], alpha=0.1),
        "mean_pinball": metrics.pinball(y, q, alpha=FAN),
    }
    with pytest.raises(ValueError, match="interval ends"):
        evaluate_intervals(y, q, FAN, coverage=0.7)
    with pytest.raises(ValueError, match="shape"):
        evaluate_intervals(y, q[:, :3], FAN)


def test_interval_levels_are_rounded():
    assert interval_levels(0.9) == (0.05, 0.95)
    assert interval_levels(0.8) == (0.1, 0.9)
    assert interval_levels(0.5) == (0.25, 0.75)


# ---------------------------------------------------------------------------
# scikit-learn's estimator checks
# ---------------------------------------------------------------------------

_SPLIT_WEIGHTS = (
    "a random calibration split of weighted rows is not the split of repeated rows, so "
    "weights equal repetitions only for the quantile models (calibration=None passes)"
)


def _estimator_checks():
    from sklearn.utils.estimator_checks import check_estimator

    fast = dict(n_estimators=10, learning_rate=0.5, n_jobs=1, random_state=0)
    configs = [
        (QuantileIntervalRegressor(calibration=None, **fast), {}),
        # coverage 0.5 needs 1 calibration row: the checks' datasets have 10-30 rows.
        (QuantileIntervalRegressor(coverage=0.5, calibration_fraction=0.5, **fast), {
            "check_sample_weight_equivalence_on_dense_data": _SPLIT_WEIGHTS,
            "check_sample_weight_equivalence_on_sparse_data": _SPLIT_WEIGHTS,
        }),
    ]
    return check_estimator, configs


@pytest.mark.slow
@pytest.mark.parametrize("config", [0, 1], ids=["uncalibrated", "conformal"])
def test_sklearn_estimator_checks(config):
    check_estimator, configs = _estimator_checks()
    estimator, expected = configs[config]
    results = check_estimator(estimator, on_fail=None, expected_failed_checks=expected)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results
              if r["status"] == "failed"]
    assert not failed, failed
    assert sum(r["status"] == "passed" for r in results) > 40
