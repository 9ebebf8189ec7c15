"""boostloss objectives through ``boostloss.lightgbm.train`` equal LightGBM's native objectives.

Same data, same parameters, 50 rounds, both models started from the same margin (the native
Dataset gets the custom model's init score as init_score, since LightGBM's predict() never
adds it back). Compared on raw margins with
``assert_allclose(custom, native, rtol=1e-5, atol=1e-6 * max(1, std(y)))`` (a pure relative
test would fail correct code whose margins sit near 0).

Settings that must agree between the two paths: ``deterministic``/``force_col_wise`` and one
thread (bit-stable histograms), and the native conventions the losses reproduce through
documented options: fair and huber Hessians (``hessian_floor``), LightGBM's Poisson Hessian
factor exp(poisson_max_delta_step) (``max_delta_step``), the multiclass Hessian factor
k / (k - 1) (``hessian="lightgbm"``).
"""

from __future__ import annotations

import numpy as np
import pytest

lgb = pytest.importorskip("lightgbm")

import boostloss as bl  # noqa: E402

from .parity_data import parity_labels  # noqa: E402

N_ROUNDS = 50
ENGINE = {
    "verbose": -1,
    "num_threads": 1,
    "deterministic": True,
    "force_col_wise": True,
    "seed": 7,
    "learning_rate": 0.1,
    "num_leaves": 15,
    "min_data_in_leaf": 10,
}


def _features(rng, n=1500, d=6):
    return rng.normal(size=(n, d))




CASES = [
    # id, loss, loss params, native params, label kind
    ("squared_error", "squared_error", {}, {"objective": "regression"}, "real"),
    ("logistic", "logistic", {}, {"objective": "binary"}, "binary"),
    # soft labels: LightGBM's cross_entropy (its binary objective binarizes them)
    ("soft_logistic", "logistic", {"soft_labels": True}, {"objective": "cross_entropy"}, "probability"),
    ("kl_divergence", "kl_divergence", {}, {"objective": "cross_entropy"}, "probability"),
    ("fair", "fair", {"c": 1.5, "hessian": "exact", "hessian_floor": 0.0},
     {"objective": "fair", "fair_c": 1.5}, "real"),
    ("gamma", "gamma", {}, {"objective": "gamma"}, "positive"),
    ("tweedie", "tweedie", {"power": 1.3}, {"objective": "tweedie", "tweedie_variance_power": 1.3}, "tweedie"),
    (
        "poisson",
        "poisson",
        {"max_delta_step": 0.7},
        {"objective": "poisson", "poisson_max_delta_step": 0.7},
        "counts",
    ),
    ("huber", "huber", {"delta": 2.0, "hessian_floor": 1.0}, {"objective": "huber", "alpha": 2.0}, "real"),
    (
        "softmax",
        "softmax_cross_entropy",
        {"hessian": "lightgbm"},
        {"objective": "multiclass", "num_class": 3},
        "classes",
    ),
]


def _fit_both(loss, loss_params, native, kind, weighted):
    rng = np.random.default_rng(11)
    X = _features(rng)
    y = parity_labels(kind, X, rng)
    w = rng.uniform(0.3, 3.0, size=y.size) if weighted else None
    custom = bl.lightgbm.train(
        ENGINE, lgb.Dataset(X, y, weight=w), N_ROUNDS, loss=loss, loss_params=loss_params
    )
    start = np.asarray(custom.boostloss_.init_score, dtype=np.float64)
    init = np.tile(start, (y.size, 1)) if start.ndim else np.full(y.size, float(start))
    native_booster = lgb.train(
        {**ENGINE, **native}, lgb.Dataset(X, y, weight=w, init_score=init), N_ROUNDS
    )
    custom_raw = bl.lightgbm.predict(custom, X, output="raw")
    native_raw = native_booster.predict(X, raw_score=True) + init
    return y, custom_raw, native_raw, custom


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(("loss", "loss_params", "native", "kind"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_custom_equals_native(loss, loss_params, native, kind, weighted):
    y, custom_raw, native_raw, custom = _fit_both(loss, loss_params, native, kind, weighted)
    assert custom.num_trees() == N_ROUNDS * (3 if kind == "classes" else 1)
    assert custom_raw.shape == native_raw.shape
    np.testing.assert_allclose(custom_raw, native_raw, rtol=1e-5, atol=1e-6 * max(1.0, np.std(y)))
    # and the model learnt something: the margins moved away from the constant start
    start = np.asarray(custom.boostloss_.init_score)
    assert np.std(custom_raw - start) > 1e-2


def test_default_conventions_differ_from_native():
    """The documented defaults are not LightGBM's conventions (so the options above matter):
    huber's default floor 0.1 and the exact multiclass Hessian change the models."""
    y, custom_raw, native_raw, _ = _fit_both("huber", {"delta": 2.0}, {"objective": "huber", "alpha": 2.0}, "real", False)
    assert np.max(np.abs(custom_raw - native_raw)) > 1e-3
    y, custom_raw, native_raw, _ = _fit_both(
        "softmax_cross_entropy", {}, {"objective": "multiclass", "num_class": 3}, "classes", False
    )
    assert np.max(np.abs(custom_raw - native_raw)) > 1e-3


def test_plain_objective_with_init_score_equals_native():
    """The documented manual route (objective(...) in params, init_score on the Dataset)
    gives the native model too; predict() must then add the init score itself."""
    rng = np.random.default_rng(3)
    X = _features(rng, n=800)
    y = parity_labels("real", X, rng)
    w = rng.uniform(0.5, 2.0, size=y.size)
    start = bl.lightgbm.init_score("squared_error", lgb.Dataset(X, y, weight=w))
    init = np.full(y.size, start)
    plain = lgb.train(
        {**ENGINE, "objective": bl.lightgbm.objective("squared_error")},
        lgb.Dataset(X, y, weight=w, init_score=init),
        N_ROUNDS,
    )
    native = lgb.train({**ENGINE, "objective": "regression"}, lgb.Dataset(X, y, weight=w, init_score=init), N_ROUNDS)
    np.testing.assert_allclose(
        plain.predict(X, raw_score=True), native.predict(X, raw_score=True), rtol=1e-5, atol=1e-6 * np.std(y)
    )
    assert start == pytest.approx(np.average(y, weights=w), rel=1e-6)
