"""boostloss objectives through ``boostloss.xgboost.train`` equal XGBoost's native objectives.

Same data, same parameters, 50 rounds, one thread, both models started from the same margin:
the custom model from ``loss.init_score`` (``train`` sets it as the margin ``base_score``),
the native model from ``base_score = loss.transform(that margin)`` because native
single-output and multilabel objectives read ``base_score`` on the response scale
(``multi:softprob`` and ``reg:quantileerror`` read it as a margin, so they get the margin).
Compared on raw margins with ``assert_allclose(custom, native, rtol=1e-5,
atol=1e-6 * max(1, std(y)))``: a pure relative test would fail correct code whose margins
sit near 0.

Conventions the losses reproduce through documented options: pseudo_huber with
``hessian="exact", hessian_floor=0`` (XGBoost uses the exact Hessian), Poisson with ``max_delta_step=0``
(XGBoost multiplies the Hessian by exp(max_delta_step)), softmax with ``hessian="xgboost"``
(XGBoost's diagonal 2 p (1 - p)). absolute_error and quantile use the default
``zero_hessian="native"``: the installed XGBoost's own algorithm, the leaf refit up to
XGBoost 3.3 and the MM surrogate from 3.4 on (both checked here: 3.2 and 3.4.1).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

xgb = pytest.importorskip("xgboost")

import boostloss as bl  # noqa: E402
from boostloss import xgboost as bl_xgb  # noqa: E402

from .parity_data import parity_labels  # noqa: E402

N_ROUNDS = 50
ENGINE = {"nthread": 1, "tree_method": "hist", "max_depth": 4, "eta": 0.3, "seed": 3}


def _features(rng, n=800, d=6):
    return rng.normal(size=(n, d)).astype(np.float32)




# id: (loss name, loss params, native params, label kind, native base_score reads a margin)
CASES = {
    "squared_error": ("squared_error", {}, {"objective": "reg:squarederror"}, "real", False),
    "logistic": ("logistic", {}, {"objective": "binary:logistic"}, "binary", False),
    # soft labels: XGBoost's binary:logistic trains on probabilities as they are
    "soft_logistic": (
        "logistic", {"soft_labels": True}, {"objective": "binary:logistic"}, "probability", False,
    ),
    "kl_divergence": ("kl_divergence", {}, {"objective": "binary:logistic"}, "probability", False),
    "pseudo_huber": (
        "pseudo_huber", {"delta": 1.5, "hessian": "exact", "hessian_floor": 0.0},
        {"objective": "reg:pseudohubererror", "huber_slope": 1.5}, "real", False,
    ),
    "gamma": ("gamma", {}, {"objective": "reg:gamma"}, "positive", False),
    "tweedie": (
        "tweedie", {"power": 1.3},
        {"objective": "reg:tweedie", "tweedie_variance_power": 1.3}, "tweedie", False,
    ),
    "poisson": (
        "poisson", {}, {"objective": "count:poisson", "max_delta_step": 0.0}, "counts", False,
    ),
    "softmax": (
        "softmax_cross_entropy", {"hessian": "xgboost"},
        {"objective": "multi:softprob", "num_class": 3}, "classes", True,
    ),
    "absolute_error": (
        "absolute_error", {}, {"objective": "reg:absoluteerror"}, "real", False,
    ),
    "quantile": (
        "quantile", {"alpha": 0.25},
        {"objective": "reg:quantileerror", "quantile_alpha": 0.25}, "real", True,
    ),
    "multi_quantile": (
        "quantile", {"alpha": [0.1, 0.5, 0.9]},
        {"objective": "reg:quantileerror", "quantile_alpha": [0.1, 0.5, 0.9]}, "real", True,
    ),
    "multilabel": ("multilabel_logistic", {}, {"objective": "binary:logistic"}, "multilabel", False),
}
MULTI_OUTPUT = ("softmax", "multi_quantile", "multilabel")


def _fit_both(case_id, weighted, extra_params=None, seed=0):
    name, loss_params, native_params, kind, native_base_is_margin = CASES[case_id]
    rng = np.random.default_rng(seed)
    X = _features(rng)
    y = parity_labels(kind, X, rng)
    weight = rng.uniform(0.2, 3.0, size=X.shape[0]) if weighted else None
    dtrain = xgb.DMatrix(X, label=y, weight=weight)
    loss = bl.get_loss(name, **loss_params)
    params = {**ENGINE, **(extra_params or {})}
    custom = bl_xgb.train(params, dtrain, N_ROUNDS, loss=loss)

    init = bl_xgb.init_score(loss, dtrain)
    base = np.atleast_1d(init) if native_base_is_margin else loss.transform(np.atleast_1d(init))
    native_base = float(base[0]) if np.ndim(init) == 0 else [float(v) for v in base]
    native = xgb.train({**params, **native_params, "base_score": native_base}, dtrain, N_ROUNDS)
    custom_raw = bl_xgb.predict(custom, dtrain, output="raw")
    native_raw = np.asarray(native.predict(dtrain, output_margin=True), dtype=np.float64)
    return y, custom_raw, native_raw, loss


def _assert_parity(y, custom_raw, native_raw):
    assert custom_raw.shape == native_raw.shape
    assert_allclose(custom_raw, native_raw, rtol=1e-5, atol=1e-6 * max(1.0, float(np.std(y))))


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case_id", list(CASES))
def test_custom_equals_native(case_id, weighted):
    y, custom_raw, native_raw, loss = _fit_both(case_id, weighted)
    _assert_parity(y, custom_raw, native_raw)
    # the models really learned something (parity of two constant models proves nothing)
    init = np.broadcast_to(bl_xgb.init_score(loss, y), custom_raw.shape)
    assert loss.metric(y, custom_raw) < 0.98 * loss.metric(y, init)


@pytest.mark.parametrize("case_id", MULTI_OUTPUT)
def test_multi_output_tree_strategy_equals_native(case_id):
    """Vector-leaf trees (multi_strategy="multi_output_tree") agree too, refit included."""
    y, custom_raw, native_raw, loss = _fit_both(
        case_id, weighted=True, extra_params={"multi_strategy": "multi_output_tree"}
    )
    assert custom_raw.ndim == 2 and custom_raw.shape[1] == 3
    _assert_parity(y, custom_raw, native_raw)


def test_plain_xgb_train_with_adapter_callables_equals_native():
    """The manual way (module docstring): objective + metric + base_score = init_score."""
    rng = np.random.default_rng(1)
    X = _features(rng)
    y = parity_labels("counts", X, rng)
    weight = rng.uniform(0.5, 2.0, size=y.size)
    dtrain = xgb.DMatrix(X, label=y, weight=weight)
    params = {**ENGINE, "base_score": bl_xgb.init_score("poisson", dtrain)}
    history: dict = {}
    custom = xgb.train(
        params, dtrain, N_ROUNDS, obj=bl_xgb.objective("poisson"),
        custom_metric=bl_xgb.metric("poisson"), evals=[(dtrain, "train")],
        evals_result=history, verbose_eval=False,
    )
    native = xgb.train(
        {**ENGINE, "objective": "count:poisson", "max_delta_step": 0.0,
         "base_score": float(np.exp(params["base_score"]))},
        dtrain, N_ROUNDS,
    )
    custom_raw = custom.predict(dtrain, output_margin=True)
    _assert_parity(y, custom_raw, native.predict(dtrain, output_margin=True))
    # the reported metric is the weighted mean Poisson loss of the margins
    expected = bl.get_loss("poisson").metric(y, custom_raw.astype(np.float64), weight)
    assert history["train"]["poisson"][-1] == pytest.approx(expected, rel=1e-6)


def test_sklearn_wrapper_objective_equals_native_with_weights():
    """XGBRegressor(objective=sklearn_objective(...)) honours sample weights."""
    rng = np.random.default_rng(2)
    X = _features(rng)
    y = parity_labels("positive", X, rng)
    weight = rng.uniform(0.2, 3.0, size=y.size)
    init = bl_xgb.init_score("gamma", y, sample_weight=weight)
    common = dict(n_estimators=N_ROUNDS, max_depth=4, learning_rate=0.3, n_jobs=1,
                  tree_method="hist", random_state=3)
    custom = xgb.XGBRegressor(objective=bl_xgb.sklearn_objective("gamma"), base_score=init,
                              **common).fit(X, y, sample_weight=weight)
    native = xgb.XGBRegressor(objective="reg:gamma", base_score=float(np.exp(init)),
                              **common).fit(X, y, sample_weight=weight)
    _assert_parity(y, custom.predict(X, output_margin=True), native.predict(X, output_margin=True))
    unweighted = xgb.XGBRegressor(objective=bl_xgb.sklearn_objective("gamma"),
                                  base_score=init, **common).fit(X, y)
    assert not np.allclose(custom.predict(X), unweighted.predict(X), rtol=1e-3)


@pytest.mark.parametrize("dataset", ["breast_cancer", "wine"])
def test_xgb_classifier_objective_equals_native(dataset):
    """XGBClassifier stores binary:logistic / multi:softprob for a custom objective, so its
    base_score is a probability (binary) or margins (multiclass), as documented."""
    from boostloss import datasets

    X, y = datasets.load_dataset(dataset, as_frame=False)
    binary = dataset == "breast_cancer"
    loss = bl.get_loss("logistic") if binary else bl.get_loss("softmax_cross_entropy",
                                                              hessian="xgboost")
    init = bl_xgb.init_score(loss, y)
    base = float(loss.transform(np.array([init]))[0]) if binary else [float(v) for v in init]
    common = dict(n_estimators=N_ROUNDS, max_depth=3, learning_rate=0.3, n_jobs=1,
                  tree_method="hist", random_state=3, base_score=base)
    custom = xgb.XGBClassifier(objective=bl_xgb.sklearn_objective(loss), **common).fit(X, y)
    native = xgb.XGBClassifier(objective="binary:logistic" if binary else "multi:softprob",
                               **common).fit(X, y)
    _assert_parity(y, custom.predict(X, output_margin=True), native.predict(X, output_margin=True))


@pytest.mark.skipif(bl_xgb._xgboost_version() < (3, 3),
                    reason="reg:expectileerror needs XGBoost >= 3.3 (this is older)")
@pytest.mark.parametrize("alpha", [0.2, 0.5, 0.9])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_expectile_equals_native_expectile(alpha, weighted):
    """XGBoost 3.3+'s reg:expectileerror minimises half of boostloss's expectile, so its
    grad and hess are halved: with reg_lambda = min_child_weight = 0 the Newton leaf
    -G/H is unchanged and the trees are the same (checked with XGBoost 3.4.1)."""
    rng = np.random.default_rng(1)
    X = _features(rng)
    y = parity_labels("real", X, rng)
    weight = rng.uniform(0.2, 3.0, size=X.shape[0]) if weighted else None
    dtrain = xgb.DMatrix(X, label=y, weight=weight)
    loss = bl.get_loss("expectile", alpha=alpha)
    params = {**ENGINE, "reg_lambda": 0.0, "min_child_weight": 0.0}
    custom = bl_xgb.train(params, dtrain, N_ROUNDS, loss=loss)
    native = xgb.train({**params, "objective": "reg:expectileerror", "expectile_alpha": alpha,
                        "base_score": bl_xgb.init_score(loss, dtrain)}, dtrain, N_ROUNDS)
    _assert_parity(y, bl_xgb.predict(custom, dtrain, output="raw"),
                   np.asarray(native.predict(dtrain, output_margin=True), dtype=np.float64))
