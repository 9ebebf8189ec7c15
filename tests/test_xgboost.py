"""boostloss.xgboost: the adapter's contract on real XGBoost models.

Parity with XGBoost's native objectives lives in test_xgboost_parity.py. Here: the callables'
shapes, dtypes, weights and caching; the intercept; predict (best iteration, shapes,
response scale, save/load); multi-output; early stopping on the boostloss metric; the
zero-Hessian losses against native on real data; stability with gross outliers; bad input.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose

xgb = pytest.importorskip("xgboost")

import boostloss as bl  # noqa: E402
from boostloss import datasets  # noqa: E402
from boostloss import xgboost as bl_xgb  # noqa: E402

from .loss_cases import SETTINGS, build, make_data, setting_id  # noqa: E402

ENGINE = {"nthread": 1, "tree_method": "hist", "max_depth": 3, "eta": 0.3, "seed": 0}


def _regression(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5)).astype(np.float32)
    y = 20.0 + 3.0 * X[:, 0] + np.sin(2 * X[:, 1]) + rng.standard_t(4, size=n)
    return X, y


def _split(X, y, seed=0, train_fraction=0.75):
    order = np.random.default_rng(seed).permutation(len(y))
    cut = int(train_fraction * len(y))
    return X[order[:cut]], y[order[:cut]], X[order[cut:]], y[order[cut:]]


# ---------------------------------------------------------------------- import and callables
def test_import_does_not_import_xgboost():
    code = "import sys, boostloss.xgboost; assert 'xgboost' not in sys.modules, 'imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(_repo_root()))


def _repo_root():
    from pathlib import Path

    return Path(bl.__file__).resolve().parent.parent


def test_objective_returns_float32_shaped_like_predt_with_weights_multiplied():
    X, y = _regression(200)
    weight = np.linspace(0.5, 2.0, y.size)
    dtrain = xgb.DMatrix(X, label=y, weight=weight)
    predt = np.full(y.size, 19.0, dtype=np.float32)
    grad, hess = bl_xgb.objective("huber", delta=1.5)(predt, dtrain)
    assert grad.dtype == np.float32 and hess.dtype == np.float32
    assert grad.shape == hess.shape == predt.shape
    assert grad.flags.c_contiguous and hess.flags.c_contiguous
    expected_g, expected_h = bl.get_loss("huber", delta=1.5).grad_hess(
        y.astype(np.float32), predt, weight
    )
    assert_allclose(grad, expected_g, rtol=1e-6)
    assert_allclose(hess, expected_h, rtol=1e-6)
    assert not np.allclose(hess, hess[0])  # the weights are really in


def test_objective_multiclass_shapes_and_label_cache():
    X, y = datasets.load_dataset("wine", as_frame=False)
    dtrain = xgb.DMatrix(X, label=y)
    objective = bl_xgb.objective("softmax_cross_entropy")
    predt = np.zeros((y.size, 3), dtype=np.float32)
    grad, hess = objective(predt, dtrain)
    assert grad.shape == hess.shape == (y.size, 3) and grad.dtype == np.float32
    assert_allclose(grad.sum(axis=1), 0.0, atol=1e-6)  # softmax gradients sum to 0 per row
    # labels are validated once per DMatrix and reused
    assert objective._target(dtrain) is objective._target(dtrain)
    assert objective._target(xgb.DMatrix(X, label=y)) is not objective._target(dtrain)


def test_metric_is_weighted_mean_loss_and_includes_base_margin():
    X, y = _regression(300)
    weight = np.linspace(0.1, 3.0, y.size)
    margin = np.full(y.size, 2.0)
    dmatrix = xgb.DMatrix(X, label=y, weight=weight, base_margin=margin)
    booster = xgb.train({**ENGINE, "base_score": 0.0}, dmatrix, 5,
                        obj=bl_xgb.objective("log_cosh"))
    predt = booster.predict(dmatrix, output_margin=True)
    name, value = bl_xgb.metric("log_cosh")(predt, dmatrix)
    assert name == "log_cosh"
    y32 = y.astype(np.float32)  # XGBoost stores labels and weights in float32
    expected = bl.get_loss("log_cosh").metric(y32, predt, weight.astype(np.float32))
    assert value == pytest.approx(expected, rel=1e-9)
    without_margin = booster.predict(xgb.DMatrix(X), output_margin=True)
    assert_allclose(predt - without_margin, 2.0, rtol=1e-5)  # predt carries the base margin


def test_callables_pickle():
    X, y = _regression(100)
    dtrain = xgb.DMatrix(X, label=y)
    for callable_ in (bl_xgb.objective("fair", c=2.0), bl_xgb.metric("fair", c=2.0),
                      bl_xgb.sklearn_objective("fair", c=2.0)):
        if not isinstance(callable_, bl_xgb.XGBoostSklearnObjective):
            callable_(np.zeros(y.size, np.float32), dtrain)  # fill the cache first
        clone = pickle.loads(pickle.dumps(callable_))
        assert clone.loss == bl.get_loss("fair", c=2.0)
    model = xgb.XGBRegressor(objective=bl_xgb.sklearn_objective("fair"), n_estimators=3,
                             n_jobs=1).fit(X, y)
    assert_allclose(pickle.loads(pickle.dumps(model)).predict(X), model.predict(X))


def test_sklearn_objective_multilabel_and_weights():
    X, Y = datasets.make_multilabel(300, 4, 3, random_state=0)
    weight = np.linspace(0.5, 1.5, X.shape[0])
    objective = bl_xgb.sklearn_objective("multilabel_logistic")
    predt = np.zeros(Y.shape, dtype=np.float32)
    grad, hess = objective(Y.ravel(), predt, sample_weight=weight)  # labels may come flat
    expected_g, expected_h = bl.get_loss("multilabel_logistic").grad_hess(Y, predt, weight)
    assert grad.shape == Y.shape
    assert_allclose(grad, expected_g, rtol=1e-6)
    assert_allclose(hess, expected_h, rtol=1e-6)
    grad_unweighted, _ = objective(Y, predt)
    assert not np.allclose(grad, grad_unweighted)


@pytest.mark.parametrize("setting", SETTINGS, ids=[setting_id(s) for s in SETTINGS])
def test_every_loss_trains_and_predicts(setting):
    """Every registered loss (the generic suite's settings) through train and predict."""
    loss = build(setting)
    rng = np.random.default_rng(0)
    y, _ = make_data(loss, 300, rng)
    X = rng.normal(size=(300, 4)).astype(np.float32)
    dtrain = xgb.DMatrix(X, label=y)
    history: dict = {}
    booster = bl_xgb.train(ENGINE, dtrain, 10, loss=loss, evals=[(dtrain, "train")],
                           evals_result=history)
    raw = bl_xgb.predict(booster, X, output="raw")
    multi = loss.is_multi_output or y.ndim == 2  # (n, k) probability targets too
    expected_shape = (300, loss.n_outputs_for(y)) if multi else (300,)
    assert raw.shape == expected_shape and np.all(np.isfinite(raw))
    response = bl_xgb.predict(booster, dtrain)
    assert_allclose(response, loss.transform(raw))
    curve = history["train"][loss.name]
    init = np.broadcast_to(bl_xgb.init_score(loss, y), raw.shape)
    assert curve[-1] == pytest.approx(loss.metric(y, raw), rel=1e-5)
    if loss.batch_weighted:  # GHM's metric re-normalises beta every round: check the base loss
        labels = loss.validate_labels(y)
        assert loss._loss(labels, raw).mean() < loss._loss(labels, init).mean()
    else:
        assert curve[-1] < loss.metric(y, init)


# ---------------------------------------------------------------------- intercept and predict
def test_init_score_from_dmatrix_or_labels():
    X, y = _regression(200)
    weight = np.linspace(0.1, 1.0, y.size)
    dtrain = xgb.DMatrix(X, label=y, weight=weight)
    from_dmatrix = bl_xgb.init_score("quantile", dtrain, alpha=0.8)
    # the DMatrix holds float32 labels
    from_labels = bl_xgb.init_score("quantile", y.astype(np.float32), weight, alpha=0.8)
    assert isinstance(from_dmatrix, float) and from_dmatrix == pytest.approx(from_labels)
    assert from_dmatrix != pytest.approx(bl_xgb.init_score("quantile", y, alpha=0.8))
    levels = bl_xgb.init_score("quantile", y, alpha=[0.1, 0.9])
    # a list of Python floats: what XGBoost takes as base_score (numpy scalars are not)
    assert isinstance(levels, list) and all(type(v) is float for v in levels)
    assert len(levels) == 2 and levels[0] < levels[1]


def test_train_starts_from_init_score_and_stores_the_loss():
    X, y = _regression(300)
    dtrain = xgb.DMatrix(X, label=y)
    booster = bl_xgb.train(ENGINE, dtrain, 0, loss="pseudo_huber", loss_params={"delta": 2.0})
    init = bl_xgb.init_score("pseudo_huber", dtrain, delta=2.0)
    assert_allclose(bl_xgb.predict(booster, X, output="raw"), init, rtol=1e-6)
    # plain XGBoost sees the intercept too (it is the model's base_score)
    assert_allclose(booster.predict(dtrain, output_margin=True), init, rtol=1e-6)
    assert booster.attr("boostloss_loss") == "pseudo_huber"
    assert json.loads(booster.attr("boostloss_loss_params"))["delta"] == 2.0
    assert json.loads(booster.attr("boostloss_init_score")) == pytest.approx(init)


def test_predict_response_raw_shapes_inputs_and_save_load(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = datasets.load_dataset("rand_hie", as_frame=False)
    X, y = X[:2000], y[:2000]
    dtrain = xgb.DMatrix(X, label=y)
    booster = bl_xgb.train(ENGINE, dtrain, 20, loss="poisson")
    raw = bl_xgb.predict(booster, dtrain, output="raw")
    assert raw.shape == (2000,) and raw.dtype == np.float64
    assert_allclose(bl_xgb.predict(booster, dtrain), np.exp(raw))
    assert_allclose(bl_xgb.predict(booster, X, output="raw"), raw, rtol=1e-6)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    assert_allclose(bl_xgb.predict(booster, frame, output="raw"), raw, rtol=1e-6)
    path = tmp_path / "model.json"
    booster.save_model(path)
    loaded = xgb.Booster(model_file=path)
    assert_allclose(bl_xgb.predict(loaded, X), bl_xgb.predict(booster, X))
    assert_allclose(bl_xgb.predict(pickle.loads(pickle.dumps(booster)), X),
                    bl_xgb.predict(booster, X))


def test_multi_output_training_and_predict_shapes():
    X, y = datasets.load_dataset("wine", as_frame=False)
    booster = bl_xgb.train(ENGINE, xgb.DMatrix(X, label=y), 10, loss="softmax_cross_entropy")
    proba = bl_xgb.predict(booster, X)
    assert proba.shape == (y.size, 3)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert np.mean(proba.argmax(axis=1) == y) > 0.95

    Xr, yr = _regression(500)
    booster = bl_xgb.train(ENGINE, xgb.DMatrix(Xr, label=yr), 30, loss="quantile",
                           loss_params={"alpha": [0.1, 0.5, 0.9]})
    quantiles = bl_xgb.predict(booster, Xr)
    assert quantiles.shape == (500, 3)
    coverage = (yr[:, None] <= quantiles).mean(axis=0)
    assert_allclose(coverage, [0.1, 0.5, 0.9], atol=0.06)

    Xm, Y = datasets.make_multilabel(400, 5, 3, random_state=1)
    booster = bl_xgb.train(ENGINE, xgb.DMatrix(Xm, label=Y), 10, loss="multilabel_logistic")
    proba = bl_xgb.predict(booster, Xm)
    assert proba.shape == Y.shape and np.all((proba > 0) & (proba < 1))


def test_user_base_margin_is_the_whole_start():
    X, y = _regression(300)
    margin = np.full(y.size, 20.0)
    dtrain = xgb.DMatrix(X, label=y, base_margin=margin)
    booster = bl_xgb.train(ENGINE, dtrain, 0, loss="squared_error")
    assert_allclose(bl_xgb.predict(booster, dtrain, output="raw"), 20.0)
    assert_allclose(bl_xgb.predict(booster, X, output="raw"), 0.0)  # no margin: trees only
    with pytest.raises(ValueError, match="base_margin"):
        bl_xgb.train(ENGINE, dtrain, 1, loss="squared_error",
                     evals=[(xgb.DMatrix(X, label=y), "valid")])


def test_base_margin_intercept_for_xgboost_without_vector_base_score(monkeypatch):
    """XGBoost < 3.1 has no vector base_score: the intercept goes into base_margin."""
    monkeypatch.setattr(bl_xgb, "_xgboost_version", lambda: (3, 0))
    X, y = datasets.load_dataset("wine", as_frame=False)
    dtrain, dvalid = xgb.DMatrix(X, label=y), xgb.DMatrix(X, label=y)
    history: dict = {}
    booster = bl_xgb.train(ENGINE, dtrain, 5, loss="softmax_cross_entropy",
                           evals=[(dvalid, "valid")], evals_result=history)
    assert booster.attr("boostloss_intercept") == "base_margin"
    raw = bl_xgb.predict(booster, X, output="raw")
    assert_allclose(raw, bl_xgb.predict(booster, dvalid, output="raw"), rtol=1e-6, atol=1e-6)
    metric = bl.get_loss("softmax_cross_entropy").metric(y, raw)
    assert history["valid"]["softmax_cross_entropy"][-1] == pytest.approx(metric, rel=1e-5)


# ---------------------------------------------------------------------- early stopping
def test_early_stopping_on_boostloss_metric_and_predict_uses_best_iteration():
    X, y = _regression(800, seed=3)
    Xtr, ytr, Xva, yva = _split(X, y)
    dtrain, dvalid = xgb.DMatrix(Xtr, label=ytr), xgb.DMatrix(Xva, label=yva)
    history: dict = {}
    booster = bl_xgb.train({**ENGINE, "eta": 0.5, "max_depth": 6}, dtrain, 300, loss="huber",
                           evals=[(dtrain, "train"), (dvalid, "valid")],
                           early_stopping_rounds=10, evals_result=history)
    assert list(history["valid"]) == ["huber"]  # XGBoost's default metric is off
    curve = history["valid"]["huber"]
    best = booster.best_iteration
    assert best == int(np.argmin(curve)) and len(curve) == best + 11 < 300
    loss = bl.get_loss("huber")
    best_raw = bl_xgb.predict(booster, dvalid, output="raw")
    assert loss.metric(yva, best_raw) == pytest.approx(curve[best], rel=1e-5)
    full = bl_xgb.predict(booster, dvalid, output="raw", iteration_range=(0, len(curve)))
    assert loss.metric(yva, full) == pytest.approx(curve[-1], rel=1e-5)
    assert loss.metric(yva, full) > loss.metric(yva, best_raw)


# ---------------------------------------------------------------------- zero-Hessian losses
PINBALL_CASES = [
    ("absolute_error", {}, {"objective": "reg:absoluteerror"}),
    ("quantile", {"alpha": 0.1}, {"objective": "reg:quantileerror", "quantile_alpha": 0.1}),
    ("quantile", {"alpha": 0.5}, {"objective": "reg:quantileerror", "quantile_alpha": 0.5}),
    ("quantile", {"alpha": 0.9}, {"objective": "reg:quantileerror", "quantile_alpha": 0.9}),
]


def _real_split(name):
    X, y = datasets.load_dataset(name, as_frame=False)
    return _split(X.astype(np.float32), y.astype(np.float64), seed=1)


@pytest.fixture(scope="module")
def rand_hie_split():
    return _real_split("rand_hie")


# the plain constant Hessian is more than 1% worse than native here (measured, split 1):
# RAND HIE q0.5 +2.7%, q0.9 +7.6% (MAE +0.8%, q0.1 +0.4%); diabetes +9% to +30% for all four
CONSTANT_FAILS = {("rand_hie", "q0.5"), ("rand_hie", "q0.9"), ("diabetes", "mae"),
                  ("diabetes", "q0.1"), ("diabetes", "q0.5"), ("diabetes", "q0.9")}


@pytest.mark.parametrize("dataset", ["rand_hie", "diabetes"])
@pytest.mark.parametrize("case", PINBALL_CASES, ids=["mae", "q0.1", "q0.5", "q0.9"])
def test_zero_hessian_losses_match_native_on_held_out_data(dataset, case, request):
    """Held-out pinball loss within 1% of XGBoost's native objective, on real data
    (RAND HIE: 15k training rows of doctor-visit counts; diabetes: 331 rows).

    Tolerance: the default ``zero_hessian="native"`` is the installed XGBoost's own
    algorithm: the refit re-implements XGBoost <= 3.3's native leaf update (same trees, same
    float32 quantiles, same float32 margins), the surrogate XGBoost 3.4's; the only source
    of difference is the float32 rounding of the gradient, which could flip a near-tied
    split. Measured gaps are 0.00% for all eight cases (and on 3 other splits) with XGBoost
    3.2; with 3.4.1 the models are equal too. 1% is the issue's
    bar; where the constant-Hessian objective is more than 1% worse (CONSTANT_FAILS) the
    test checks that too, so it can fail. Measured on RAND HIE for the MM surrogate:
    +1.2% (MAE), +1.0%, +1.7%, +2.6% (q0.1, q0.5, q0.9).
    """
    name, loss_params, native_params = case
    case_id = request.node.callspec.id.split("-")[0]
    Xtr, ytr, Xte, yte = _real_split(dataset)
    loss = bl.get_loss(name, **loss_params)
    dtrain = xgb.DMatrix(Xtr, label=ytr)
    params = {**ENGINE, "max_depth": 4, "eta": 0.1}
    native = xgb.train({**params, **native_params,
                        "base_score": bl_xgb.init_score(loss, dtrain)}, dtrain, 100)
    native_loss = loss.metric(yte, native.predict(xgb.DMatrix(Xte), output_margin=True))
    default = bl_xgb.train(params, dtrain, 100, loss=loss)
    default_loss = loss.metric(yte, bl_xgb.predict(default, Xte, output="raw"))
    assert default_loss <= 1.01 * native_loss, (default_loss, native_loss)
    # CONSTANT_FAILS was measured against XGBoost 3.2's native refit; XGBoost 3.4's native
    # surrogate is a little weaker on RAND HIE q0.5, so there the margin is not 1%
    if (dataset, case_id) in CONSTANT_FAILS and bl_xgb.native_zero_hessian() == "refit":
        constant = bl_xgb.train(params, dtrain, 100, loss=loss, zero_hessian="constant")
        constant_loss = loss.metric(yte, bl_xgb.predict(constant, Xte, output="raw"))
        assert constant_loss > 1.01 * native_loss, (constant_loss, native_loss)


def _xgboost_quantile_reference(values, weights, alpha):
    """XGBoost's common::Quantile / WeightedQuantile (src/common/stats.h), written plainly."""
    alpha = float(np.float32(alpha))  # XGBoost stores quantile_alpha as float32
    order = np.argsort(values, kind="stable")
    v, n = values[order], values.size
    if weights is not None:
        cdf = np.cumsum(weights.astype(np.float32)[order], dtype=np.float32)
        threshold = np.float32(float(cdf[-1]) * alpha)
        return v[min(int(np.searchsorted(cdf, threshold, side="left")), n - 1)]
    if alpha <= 1 / (n + 1):
        return v[0]
    if alpha >= n / (n + 1):
        return v[-1]
    x = alpha * (n + 1)
    k = int(np.floor(x)) - 1
    return np.float32(float(v[k]) + ((x - 1) - k) * float(v[k + 1] - v[k]))


@pytest.mark.parametrize("weighted", [False, True])
def test_leaf_quantiles_follow_xgboost_definitions(weighted):
    from boostloss.xgboost._refit import leaf_quantiles

    rng = np.random.default_rng(5)
    for _ in range(50):
        n = int(rng.integers(1, 200))
        leaf = rng.integers(0, 12, size=n) * 2 + 1  # sparse node ids, like a real tree
        residual = rng.normal(size=n).astype(np.float32)
        residual[rng.random(n) < 0.3] = 0.5  # ties
        weight = rng.integers(0, 4, size=n).astype(float) if weighted else None
        for alpha in (0.1, 0.25, 0.5, 0.9):
            leaves, values = leaf_quantiles(leaf, residual, weight, alpha)
            assert_allclose(leaves, np.unique(leaf))
            for node, value in zip(leaves, values, strict=True):
                rows = leaf == node
                expected = _xgboost_quantile_reference(
                    residual[rows], None if weight is None else weight[rows], alpha)
                assert value == expected


def test_refit_metric_and_early_stopping_see_the_refitted_model():
    X, y = datasets.load_dataset("diabetes", as_frame=False)
    Xtr, ytr, Xva, yva = _split(X, y, seed=2)
    weight = np.linspace(0.5, 2.0, ytr.size)
    dtrain = xgb.DMatrix(Xtr, label=ytr, weight=weight)
    dvalid = xgb.DMatrix(Xva, label=yva)
    history: dict = {}
    booster = bl_xgb.train(ENGINE, dtrain, 200, loss="quantile", loss_params={"alpha": 0.7},
                           evals=[(dtrain, "train"), (dvalid, "valid")],
                           early_stopping_rounds=15, evals_result=history,
                           zero_hessian="refit")
    loss = bl.get_loss("quantile", alpha=0.7)
    for name, data, labels, w in (("train", dtrain, ytr, weight), ("valid", dvalid, yva, None)):
        curve = history[name]["quantile"]
        for rounds in (1, len(curve) // 2, len(curve)):
            raw = bl_xgb.predict(booster, data, output="raw", iteration_range=(0, rounds))
            assert loss.metric(labels, raw, w) == pytest.approx(curve[rounds - 1], rel=1e-5)
    assert booster.best_iteration == int(np.argmin(history["valid"]["quantile"]))


def test_refit_continues_training_and_works_with_quantile_dmatrix():
    X, y = _regression(600, seed=4)
    dtrain = xgb.DMatrix(X, label=y)
    straight = bl_xgb.train(ENGINE, dtrain, 30, loss="absolute_error", zero_hessian="refit")
    first = bl_xgb.train(ENGINE, dtrain, 15, loss="absolute_error", zero_hessian="refit")
    continued = bl_xgb.train(ENGINE, dtrain, 15, loss="absolute_error", xgb_model=first,
                             zero_hessian="refit")
    assert continued.num_boosted_rounds() == 30
    assert_allclose(bl_xgb.predict(continued, X), bl_xgb.predict(straight, X), rtol=1e-5)
    assert continued.attr("boostloss_intercept") == "base_score"  # kept from the first model

    qdm = xgb.QuantileDMatrix(X, label=y)
    native = xgb.train({**ENGINE, "objective": "reg:absoluteerror",
                        "base_score": bl_xgb.init_score("absolute_error", qdm)}, qdm, 30)
    custom = bl_xgb.train(ENGINE, qdm, 30, loss="absolute_error")  # "native" strategy
    assert custom.attr("boostloss_zero_hessian") == bl_xgb.native_zero_hessian()
    assert_allclose(bl_xgb.predict(custom, X), native.predict(xgb.DMatrix(X), output_margin=True),
                    rtol=1e-5, atol=1e-6 * np.std(y))


def test_surrogate_option_beats_the_constant_hessian(rand_hie_split):
    Xtr, ytr, Xte, yte = rand_hie_split
    loss = bl.get_loss("quantile", alpha=0.9)
    dtrain = xgb.DMatrix(Xtr, label=ytr)
    params = {**ENGINE, "max_depth": 4, "eta": 0.1}
    scores = {}
    for strategy in ("surrogate", "constant"):
        booster = bl_xgb.train(params, dtrain, 100, loss=loss, zero_hessian=strategy)
        assert booster.attr("boostloss_zero_hessian") == strategy
        scores[strategy] = loss.metric(yte, bl_xgb.predict(booster, Xte))
    assert scores["surrogate"] < scores["constant"]


@pytest.mark.parametrize("levels", [None, [0.1, 0.5, 0.9]], ids=["absolute_error", "quantile"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_surrogate_scale_reduced_over_row_shards_equals_the_whole_data(levels, weighted):
    """What a Dask worker computes: its rows' surrogate with the residual-scale sums of all
    shards (the allreduce) equals the surrogate of the whole data on those rows."""
    from boostloss.xgboost._surrogate import (
        absolute_error_grad_hess,
        quantile_grad_hess,
        residual_root_sums,
    )

    rng = np.random.default_rng(4)
    n = 500
    y = rng.standard_t(3, n) * 5
    raw = rng.normal(size=n) if levels is None else rng.normal(size=(n, len(levels)))
    w = rng.uniform(0.2, 3.0, n) if weighted else None
    residual = np.abs(raw - (y if raw.ndim == 1 else y[:, None]))

    def surrogate(rows, reduce_sums=None):
        weight = None if w is None else w[rows]
        if levels is None:
            return absolute_error_grad_hess(y[rows], raw[rows], weight, reduce_sums)
        return quantile_grad_hess(y[rows], raw[rows], weight, np.asarray(levels), reduce_sums)

    whole = surrogate(slice(None))
    totals = residual_root_sums(residual, w)
    for rows in (slice(0, 180), slice(180, None)):
        shard = surrogate(rows, reduce_sums=lambda local: totals)
        alone = surrogate(rows)
        for got, expected, local in zip(shard, whole, alone, strict=True):
            assert_allclose(got, expected[rows], rtol=1e-12, atol=1e-12)
            assert not np.allclose(local, expected[rows])  # the shard's own scale differs


# ---------------------------------------------------------------------- stability
def _outlier_data(seed=0):
    rng = np.random.default_rng(seed)
    n = 2000
    X = rng.normal(size=(n, 5)).astype(np.float32)
    truth = 10.0 + 3.0 * X[:, 0] + 2.0 * np.sin(2.0 * X[:, 1])
    clean = truth + 0.5 * rng.standard_normal(n)
    dirty = clean.copy()
    rows = rng.choice(1500, size=75, replace=False)  # 5% of the training rows
    dirty[rows] += rng.choice([-1.0, 1.0], size=75) * rng.uniform(1e3, 1e4, size=75)
    return X, truth, clean, dirty


@pytest.mark.parametrize("name", ["huber", "pseudo_huber", "log_cosh"])
def test_robust_losses_train_stably_on_gross_outliers(name):
    X, truth, clean, dirty = _outlier_data()
    params = {**ENGINE, "max_depth": 4, "eta": 0.1}
    reference = bl_xgb.train(params, xgb.DMatrix(X[:1500], label=clean[:1500]), 200,
                             loss="squared_error")
    reference_error = np.mean(np.abs(bl_xgb.predict(reference, X[1500:]) - truth[1500:]))
    booster = bl_xgb.train(params, xgb.DMatrix(X[:1500], label=dirty[:1500]), 200, loss=name)
    prediction = bl_xgb.predict(booster, X[1500:])
    assert np.all(np.isfinite(prediction))
    error = np.mean(np.abs(prediction - truth[1500:]))
    assert error < 1.5 * reference_error  # measured: 0.30 vs 0.23 (squared error: 338)


def test_pseudo_huber_floor_keeps_a_bad_start_stable():
    """From a start 90 units (= 90 delta) off, the exact Hessian ~ 1e-6 makes Newton steps
    of ~1e6 x the gradient: training oscillates and ends far away. The default floor
    (0.1) bounds every step by delta / 0.1: the held-out loss only falls (measured: 87.8 ->
    0.18, largest rise 3e-4; without the floor 50.6 -> 93.2 and a final error 94 vs 0.30)."""
    X, truth, clean, dirty = _outlier_data()
    params = {**ENGINE, "max_depth": 4, "eta": 0.1, "min_child_weight": 0.0,
              "base_score": 100.0}  # y ~ 10
    dtrain = xgb.DMatrix(X[:1500], label=dirty[:1500])
    dtest = xgb.DMatrix(X[1500:], label=clean[1500:])
    errors = {}
    for floor in (0.1, 0.0):
        history: dict = {}
        booster = bl_xgb.train(params, dtrain, 200, loss="pseudo_huber",
                               loss_params={"hessian": "exact", "hessian_floor": floor},
                               evals=[(dtest, "test")], evals_result=history)
        curve = np.asarray(history["test"]["pseudo_huber"])
        errors[floor] = np.mean(np.abs(bl_xgb.predict(booster, X[1500:]) - truth[1500:]))
        rise = np.max(np.diff(curve))
        if floor > 0:
            assert rise <= 1e-4 * curve[0]  # descends (up to noise near the optimum)
        else:
            assert rise > 0.1 * curve[0]  # overshoots: the held-out loss goes up
    assert errors[0.1] < 0.5 and errors[0.0] > 10 * errors[0.1]


# ---------------------------------------------------------------------- bad input
def test_dmatrix_without_labels():
    X, _ = _regression(50)
    unlabeled = xgb.DMatrix(X)
    with pytest.raises(ValueError, match="no labels"):
        bl_xgb.objective("huber")(np.zeros(50, np.float32), unlabeled)
    with pytest.raises(ValueError, match="no labels"):
        bl_xgb.metric("huber")(np.zeros(50, np.float32), unlabeled)
    with pytest.raises(ValueError, match="no labels"):
        bl_xgb.train(ENGINE, unlabeled, 1, loss="huber")


def test_wrong_number_of_classes():
    X, y = datasets.load_dataset("wine", as_frame=False)  # classes 0, 1, 2
    dtrain = xgb.DMatrix(X, label=y)
    with pytest.raises(ValueError, match="num_class"):
        bl_xgb.train({**ENGINE, "num_class": 2}, dtrain, 1, loss="softmax_cross_entropy")
    objective = bl_xgb.objective("softmax_cross_entropy")
    with pytest.raises(ValueError, match="num_class=2"):
        objective(np.zeros((y.size, 2), np.float32), dtrain)
    with pytest.raises(ValueError, match="num_class"):
        objective(np.zeros(y.size, np.float32), dtrain)  # num_class forgotten
    with pytest.raises(ValueError, match="4 classes"):
        bl_xgb.objective("softmax_cross_entropy", n_classes=4)(
            np.zeros((y.size, 3), np.float32), dtrain)
    with pytest.raises(ValueError, match="num_class"):
        xgb.train({**ENGINE, "num_class": 2}, dtrain, 1, obj=objective)


def test_wrong_number_of_outputs_for_other_losses():
    X, y = _regression(100)
    dtrain = xgb.DMatrix(X, label=y)
    with pytest.raises(ValueError, match="single-output"):
        bl_xgb.train({**ENGINE, "num_target": 2}, dtrain, 1, loss="huber")
    with pytest.raises(ValueError, match="num_target"):
        bl_xgb.train({**ENGINE, "num_target": 2}, dtrain, 1, loss="quantile",
                     loss_params={"alpha": [0.1, 0.5, 0.9]})
    with pytest.raises(ValueError, match="3 quantile levels"):
        bl_xgb.objective("quantile", alpha=[0.1, 0.5, 0.9])(np.zeros((100, 2), np.float32), dtrain)


def test_nan_labels_and_negative_weights():
    # XGBoost itself refuses NaN labels and negative weights in a DMatrix; the adapter
    # refuses them where it takes arrays.
    y = np.array([1.0, np.nan, 3.0])
    with pytest.raises(ValueError, match="NaN"):
        bl_xgb.init_score("huber", y)
    with pytest.raises(ValueError, match="NaN"):
        bl_xgb.sklearn_objective("huber")(y, np.zeros(3, np.float32))
    good = np.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="non-negative"):
        bl_xgb.init_score("huber", good, np.array([1.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match="non-negative"):
        bl_xgb.sklearn_objective("huber")(good, np.zeros(3, np.float32),
                                          sample_weight=np.array([1.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match="sample_weight"):
        bl_xgb.init_score("huber", xgb.DMatrix(np.zeros((3, 1)), label=good), np.ones(3))


def test_gradient_beyond_float32_is_an_error():
    X, y = datasets.load_dataset("rand_hie", as_frame=False)
    dtrain = xgb.DMatrix(X[:100], label=y[:100])
    objective = bl_xgb.objective("poisson")
    objective(np.full(100, 80.0, np.float32), dtrain)  # exp(80) still fits float32
    with pytest.raises(ValueError, match="float32"):
        objective(np.full(100, 100.0, np.float32), dtrain)


def test_bad_train_and_predict_arguments():
    X, y = _regression(100)
    dtrain = xgb.DMatrix(X, label=y)
    with pytest.raises(ValueError, match="objective"):
        bl_xgb.train({**ENGINE, "objective": "reg:squarederror"}, dtrain, 1, loss="huber")
    with pytest.raises(TypeError, match="obj"):
        bl_xgb.train(ENGINE, dtrain, 1, loss="huber", obj=bl_xgb.objective("huber"))
    with pytest.raises(TypeError, match="DMatrix"):
        bl_xgb.train(ENGINE, X, 1, loss="huber")
    with pytest.raises(ValueError, match="zero_hessian"):
        bl_xgb.train(ENGINE, dtrain, 1, loss="absolute_error", zero_hessian="exact")
    with pytest.raises(ValueError, match="dart"):
        bl_xgb.train({**ENGINE, "booster": "dart"}, dtrain, 1, loss="absolute_error",
                     zero_hessian="refit")
    with pytest.raises(ValueError, match="eval_metric"):
        bl_xgb.train({**ENGINE, "eval_metric": "mae"}, dtrain, 1, loss="quantile",
                     zero_hessian="refit")
    with pytest.raises(ValueError, match="unknown loss"):
        bl_xgb.train(ENGINE, dtrain, 1, loss="hubber")
    plain = xgb.train(ENGINE, dtrain, 1)
    with pytest.raises(ValueError, match="loss="):
        bl_xgb.predict(plain, X)
    assert bl_xgb.predict(plain, X, loss="squared_error").shape == (100,)
    booster = bl_xgb.train(ENGINE, dtrain, 1, loss="huber")
    with pytest.raises(ValueError, match="output"):
        bl_xgb.predict(booster, X, output="probability")
