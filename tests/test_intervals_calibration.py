"""CV+ and asymmetric CQR calibration of ``QuantileIntervalRegressor``, and the level
checks of issue 12 (items 3 and 11).

Engines run for real (small models, one thread). Coverage tests average over 10 random
splits of shipped data; their tolerances were set from measurements (reported next to
each assertion) so that a correct method meets them with margin.
"""

from __future__ import annotations

import numpy as np
import pytest

from boostloss.datasets import load_dataset, make_heteroscedastic
from boostloss.intervals import QuantileIntervalRegressor, evaluate_intervals, interval_levels
from boostloss.intervals._conformal import stream_scores
from boostloss.intervals._cv import fold_ids

pytest.importorskip("sklearn")
pytest.importorskip("xgboost")
pytest.importorskip("lightgbm")

SMALL = dict(n_estimators=30, learning_rate=0.2, max_depth=3, n_jobs=1)


def small_model(**params) -> QuantileIntervalRegressor:
    return QuantileIntervalRegressor(**{**SMALL, "random_state": 0, **params})


def shipped(name: str):
    X, y = load_dataset(name, as_frame=False)
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)


def random_splits(n: int, repeats: int = 10, seed: int = 0):
    rng = np.random.default_rng(seed)
    for _ in range(repeats):
        order = rng.permutation(n)
        cut = int(0.7 * n)
        yield order[:cut], order[cut:]


def tails(model, X, y) -> tuple[float, float, float]:
    """(coverage, share below the interval, share above it)."""
    interval = model.predict_interval(X)
    below, above = np.mean(y < interval[:, 0]), np.mean(y > interval[:, 1])
    return 1.0 - below - above, below, above


# ---------------------------------------------------------------------------
# CV+
# ---------------------------------------------------------------------------


@pytest.mark.slow
def test_cv_plus_coverage_and_spread_on_diabetes():
    """442 rows, 10 random 70/30 splits. Measured: CV+ mean coverage 0.920 (worst split
    0.872), split conformal 0.902 (worst 0.842); CV+'s interval score is lower."""
    X, y = shipped("diabetes")
    plus, split = [], []
    for r, (fit, test) in enumerate(random_splits(y.size)):
        for store, calibration in ((plus, "cv+"), (split, "conformal")):
            model = small_model(calibration=calibration, random_state=r).fit(X[fit], y[fit])
            store.append(model.evaluate(X[test], y[test]))
    coverage = np.array([e["coverage"] for e in plus])
    assert coverage.mean() >= 0.89, coverage
    assert coverage.min() > min(e["coverage"] for e in split)
    assert np.mean([e["interval_score"] for e in plus]) < np.mean(
        [e["interval_score"] for e in split])


def test_cv_plus_bounds_are_the_cv_plus_order_statistics():
    """Brute force on 48 rows, 4 folds: every fold model saw exactly the other folds, the
    scores are out of fold, and the bounds are the floor(alpha (n + 1))-th smallest of
    lo_{-k(i)}(x) - E_i and largest of hi_{-k(i)}(x) + E_i."""
    X, y = make_heteroscedastic(60, 3, random_state=4)
    X_fit, y_fit, X_new = X[:48], y[:48], X[48:]
    for symmetric in (True, False):
        model = small_model(calibration="cv+", cv=4, coverage=0.8,
                            symmetric=symmetric).fit(X_fit, y_fit)
        folds, scores, ranks = model._cv_state
        assert sorted(np.bincount(folds)) == [12, 12, 12, 12]
        lows, highs = [], []
        for k in range(4):
            ref = small_model(calibration=None, coverage=0.8).fit(X_fit[folds != k],
                                                                   y_fit[folds != k])
            np.testing.assert_array_equal(model._predict_raw(X_new, model.estimators_[k]),
                                          ref._predict_raw(X_new))
            held = np.sort(ref._predict_raw(X_fit[folds == k]), axis=1)
            np.testing.assert_array_equal(
                scores[folds == k], stream_scores(held, y_fit[folds == k], [(0, 2)], symmetric))
            new = np.sort(ref._predict_raw(X_new), axis=1)
            lows.append(new[:, 0])
            highs.append(new[:, 2])
        e_lo, e_hi = (scores[:, 0], scores[:, 0]) if symmetric else (scores[:, 0], scores[:, 1])
        alpha = 0.2 if symmetric else 0.1
        r = int(np.floor(alpha * 49 + 1e-9))
        assert ranks[0] == r
        for j in range(X_new.shape[0]):
            low_values = np.sort([lows[folds[i]][j] - e_lo[i] for i in range(48)])
            high_values = np.sort([highs[folds[i]][j] + e_hi[i] for i in range(48)])
            interval = model.predict_interval(X_new[j:j + 1])[0]
            assert interval[0] == low_values[r - 1]
            assert interval[1] == high_values[48 - r]


def test_cv_plus_folds():
    rng = np.random.default_rng(0)
    assert fold_ids(10, 3, None, None, shuffle=False, rng=rng).tolist() == [
        0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    shuffled = fold_ids(10, 3, None, None, shuffle=True, rng=rng)
    assert sorted(np.bincount(shuffled)) == [3, 3, 4]
    from sklearn.model_selection import KFold

    X, y = make_heteroscedastic(100, 2, random_state=0)
    given = small_model(calibration="cv+", cv=KFold(4)).fit(X, y)
    contiguous = small_model(calibration="cv+", cv=4, time_ordered=True).fit(X, y)
    np.testing.assert_array_equal(given.predict_interval(X[:5]),
                                  contiguous.predict_interval(X[:5]))
    listed = small_model(calibration="cv+", cv=list(KFold(4).split(X))).fit(X, y)
    np.testing.assert_array_equal(listed.predict_interval(X[:5]),
                                  contiguous.predict_interval(X[:5]))


@pytest.mark.parametrize(
    "cv, match",
    [
        (1, "2 <= cv"),
        (60, "2 <= cv"),
        ([(np.arange(50), np.arange(50))], "cover each of the 100 rows exactly once"),
        ([(None, np.arange(60)), (None, np.arange(40, 100))], "exactly once"),
        ("five", "cv must be an integer"),
    ],
)
def test_bad_cv(cv, match):
    X, y = make_heteroscedastic(100, 2, random_state=0)
    with pytest.raises(ValueError, match=match):
        small_model(calibration="cv+", cv=cv).fit(X, y)


def test_cv_plus_refuses_weights_and_too_few_rows():
    X, y = make_heteroscedastic(100, 2, random_state=0)
    with pytest.raises(ValueError, match="does not take sample_weight"):
        small_model(calibration="cv+").fit(X, y, sample_weight=np.ones(100))
    with pytest.raises(ValueError, match="needs at least 9 calibration rows"):
        small_model(calibration="cv+", cv=2).fit(X[:8], y[:8])
    small_model(calibration="cv+", cv=3).fit(X[:9], y[:9])  # 9 rows: enough for 90%


# ---------------------------------------------------------------------------
# Asymmetric CQR
# ---------------------------------------------------------------------------


@pytest.mark.slow
def test_asymmetric_cqr_controls_each_tail_on_skewed_counts():
    """rand_hie doctor visits (31% zeros, long right tail), 2,000-row subsets, 500
    calibration rows. Measured over 10 splits: asymmetric tails 0.0xx below / 0.0xx above;
    symmetric CQR puts nearly all misses above."""
    X_all, y_all = shipped("rand_hie")
    rng = np.random.default_rng(0)
    asym, sym = [], []
    for r in range(10):
        rows = rng.choice(y_all.size, 3000, replace=False)
        fit, test = rows[:2000], rows[2000:]
        for store, symmetric in ((asym, False), (sym, True)):
            model = small_model(symmetric=symmetric, random_state=r)
            store.append(tails(model.fit(X_all[fit], y_all[fit]), X_all[test], y_all[test]))
    asym, sym = np.array(asym), np.array(sym)
    assert asym[:, 0].mean() >= 0.89
    assert np.all(asym[:, 1:].mean(axis=0) <= 0.06), asym.mean(axis=0)
    assert abs(asym[:, 1].mean() - asym[:, 2].mean()) < abs(sym[:, 1].mean() - sym[:, 2].mean())


def test_asymmetric_shifts_are_each_bounds_conformal_quantile():
    X, y = make_heteroscedastic(400, 3, random_state=2)
    y = y + np.where(y > 0, 3.0 * y, 0.0)  # a heavy right tail
    model = small_model(symmetric=False, time_ordered=True).fit(X, y)
    raw = np.sort(model._predict_raw(X[300:]), axis=1)
    k = int(np.ceil(101 * 0.95))
    lower, upper = model.calibration_shifts_[0]
    assert lower == np.sort(raw[:, 0] - y[300:])[k - 1]
    assert upper == np.sort(y[300:] - raw[:, 2])[k - 1]
    assert lower != upper
    with pytest.raises(ValueError, match=r"per bound \(symmetric=False\)\) needs at least 19 calibration rows"):
        small_model(symmetric=False).fit(X[:60], y[:60])  # 15 rows: enough only if symmetric
    small_model(symmetric=True).fit(X[:60], y[:60])


def test_symmetric_must_be_a_bool():
    X, y = make_heteroscedastic(100, 2, random_state=0)
    with pytest.raises(TypeError, match="symmetric must be True or False"):
        small_model(symmetric="no").fit(X, y)


# ---------------------------------------------------------------------------
# issue 12 items 3 and 11: levels that round or nearly coincide
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("coverage, near", [(1 - 1e-13, "1"), (1e-13, "0")])
def test_coverage_whose_levels_round_to_0_1_or_the_median_is_a_value_error(coverage, near):
    """Was ZeroDivisionError (1 - 1e-13: levels round to 0 and 1) and IndexError (1e-13:
    both ends round to 0.5)."""
    X, y = make_heteroscedastic(100, 2, random_state=0)
    match = f"coverage={coverage!r} is too close to {near}"
    for calibration in ("conformal", "cv+", None):
        with pytest.raises(ValueError, match=match):
            small_model(coverage=coverage, calibration=calibration).fit(X, y)
    with pytest.raises(ValueError, match=match):
        interval_levels(coverage)
    with pytest.raises(ValueError, match=match):
        evaluate_intervals(y, np.zeros((100, 3)), [0.05, 0.5, 0.95], coverage=coverage)
    # The extremes that still round to distinct levels are accepted.
    assert interval_levels(1 - 2e-12) == (1e-12, 1 - 1e-12)
    assert interval_levels(2.1e-9)[0] < 0.5 - 1e-9


def test_near_duplicate_levels_are_a_value_error():
    """Was accepted, and the 0.95 column was shifted twice (+15% width)."""
    X, y = make_heteroscedastic(200, 2, random_state=0)
    levels = [0.05, 0.05 + 1e-12, 0.5, 0.95]
    for calibration in ("conformal", "cv+", None):
        with pytest.raises(ValueError, match=r"levels 0.05 and 0.050000000001, closer than 1e-09"):
            small_model(quantiles=levels, calibration=calibration).fit(X, y)
    with pytest.raises(ValueError, match="closer than 1e-09"):
        evaluate_intervals(y, np.zeros((200, 4)), levels)
    small_model(quantiles=[0.05, 0.05 + 2e-9, 0.5, 0.95 - 2e-9, 0.95]).fit(X, y)
