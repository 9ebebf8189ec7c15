"""boostloss.lightgbm against the real LightGBM: callables, train/predict, leaf renewal,
early stopping, multi-output models, bad input. (Native-parity tests: test_lightgbm_parity.py.)
"""

from __future__ import annotations

import inspect
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

lgb = pytest.importorskip("lightgbm")

import boostloss as bl  # noqa: E402
from boostloss.lightgbm._renewal import (  # noqa: E402
    assign_leaves,
    leaf_quantiles,
    unweighted_quantile,
    weighted_quantile_interpolated,
)

ENGINE = {
    "verbose": -1,
    "num_threads": 1,
    "deterministic": True,
    "force_col_wise": True,
    "seed": 3,
    "num_leaves": 15,
    "min_data_in_leaf": 10,
}


def _regression(n=600, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    y = offset + 3.0 * X[:, 0] + np.sin(2 * X[:, 1]) + rng.standard_t(3, size=n)
    return X, y


def _classes(n=600, seed=0, k=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    scores = np.column_stack([X[:, j % 4] * (1 + j) for j in range(k)])
    y = np.argmax(scores + rng.gumbel(size=scores.shape), axis=1).astype(float)
    return X, y


def _f32(values):
    return np.asarray(values, dtype=np.float32).astype(np.float64)


# ---------------------------------------------------------------------- callables
def test_objective_multiplies_dataset_weights_and_returns_float32():
    X, y = _regression(n=200)
    w = np.random.default_rng(1).uniform(0.2, 3.0, size=y.size)
    dataset = lgb.Dataset(X, y, weight=w).construct()
    preds = np.random.default_rng(2).normal(size=y.size)
    grad, hess = bl.lightgbm.objective("huber", delta=1.5)(preds, dataset)
    expected_grad, expected_hess = bl.get_loss("huber", delta=1.5).grad_hess(_f32(y), preds, _f32(w))
    assert grad.dtype == np.float32 and hess.dtype == np.float32 and grad.shape == (y.size,)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-6)
    np.testing.assert_allclose(hess, expected_hess, rtol=1e-6)
    unweighted, _ = bl.lightgbm.objective("huber", delta=1.5)(preds, lgb.Dataset(X, y).construct())
    assert not np.allclose(unweighted, grad)


def test_objective_multiclass_takes_and_returns_n_by_k():
    X, y = _classes(n=150)
    dataset = lgb.Dataset(X, y).construct()
    preds = np.asfortranarray(np.random.default_rng(0).normal(size=(y.size, 3)))  # as LightGBM
    grad, hess = bl.lightgbm.objective("softmax_cross_entropy")(preds, dataset)
    assert grad.shape == (y.size, 3) and grad.flags.f_contiguous and grad.dtype == np.float32
    expected_grad, expected_hess = bl.get_loss("softmax_cross_entropy").grad_hess(y, preds)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(hess, expected_hess, rtol=1e-6, atol=1e-7)


def test_metric_is_weighted_loss_metric():
    X, y = _regression(n=300)
    w = np.random.default_rng(3).uniform(0.5, 2.0, size=y.size)
    dataset = lgb.Dataset(X, y, weight=w).construct()
    preds = y + np.random.default_rng(4).normal(size=y.size)
    name, value, higher_better = bl.lightgbm.metric("log_cosh")(preds, dataset)
    assert name == "log_cosh" and higher_better is False
    assert value == pytest.approx(bl.get_loss("log_cosh").metric(_f32(y), preds, _f32(w)), rel=1e-12)


def test_labels_are_validated_once_per_dataset(monkeypatch):
    X, y = _regression(n=300)
    loss = bl.get_loss("huber")
    calls = []
    original = type(loss).validate_labels

    def counting(self, y_true):
        calls.append(1)
        return original(self, y_true)

    monkeypatch.setattr(type(loss), "validate_labels", counting)  # losses are immutable
    dtrain = lgb.Dataset(X, y)
    dvalid = lgb.Dataset(X[:100], y[:100], reference=dtrain)
    lgb.train(
        {**ENGINE, "objective": bl.lightgbm.objective(loss)},
        dtrain,
        20,
        valid_sets=[dvalid],
        feval=bl.lightgbm.metric(loss),
    )
    assert len(calls) == 2  # the training labels once (objective), the validation labels once


def test_sklearn_objective_takes_three_arguments_and_honours_sample_weight():
    X, y = _regression(n=400)
    w = np.random.default_rng(5).uniform(0.1, 5.0, size=y.size)
    objective = bl.lightgbm.sklearn_objective("squared_error")
    assert len(inspect.signature(objective).parameters) == 3
    settings = dict(n_estimators=20, num_leaves=15, min_child_samples=10, verbose=-1, n_jobs=1, deterministic=True)
    model = lgb.LGBMRegressor(objective=objective, **settings).fit(X, y, sample_weight=w)
    booster = lgb.train(
        {**ENGINE, "objective": bl.lightgbm.objective("squared_error")}, lgb.Dataset(X, y, weight=w), 20
    )
    np.testing.assert_allclose(model.predict(X, raw_score=True), booster.predict(X, raw_score=True), rtol=1e-6)
    unweighted = lgb.LGBMRegressor(objective=objective, **settings).fit(X, y)
    assert np.max(np.abs(unweighted.predict(X) - model.predict(X))) > 1e-2


def test_sklearn_objective_multiclass_classifier():
    X, y = _classes(n=300)
    model = lgb.LGBMClassifier(
        objective=bl.lightgbm.sklearn_objective("softmax_cross_entropy", hessian="lightgbm"),
        n_estimators=15,
        verbose=-1,
        n_jobs=1,
    ).fit(X, y.astype(int))
    raw = model.predict(X, raw_score=True)
    assert raw.shape == (y.size, 3)
    assert np.mean(np.argmax(raw, axis=1) == y) > 0.6


def test_float32_overflow_is_an_error():
    y = np.array([1.0, 2.0, 3.0])
    dataset = lgb.Dataset(np.zeros((3, 1)), y).construct()
    with pytest.raises(ValueError, match="float32"):
        bl.lightgbm.objective("poisson")(np.full(3, 100.0), dataset)


@pytest.mark.parametrize("factory", ["objective", "metric", "sklearn_objective"])
@pytest.mark.parametrize(
    ("loss", "params"), [("quantile", {"alpha": [0.1, 0.9]}), ("multilabel_logistic", {})]
)
def test_multi_output_callables_are_refused(factory, loss, params):
    with pytest.raises(ValueError, match="one LightGBM model per output"):
        getattr(bl.lightgbm, factory)(loss, **params)


def test_callables_pickle_and_deepcopy():
    import copy

    X, y = _regression(n=100)
    dataset = lgb.Dataset(X, y).construct()
    objective = bl.lightgbm.objective("pseudo_huber", delta=2.0)
    objective(y * 0.0, dataset)  # fill the cache
    for clone in (pickle.loads(pickle.dumps(objective)), copy.deepcopy(objective)):
        np.testing.assert_array_equal(clone(y * 0.0, dataset)[0], objective(y * 0.0, dataset)[0])


# ---------------------------------------------------------------------- intercept, predict
def test_train_starts_from_init_score_and_the_model_contains_it():
    X, y = _regression(n=500, offset=1000.0)
    booster = bl.lightgbm.train({**ENGINE, "learning_rate": 0.1}, lgb.Dataset(X, y), 1, loss="absolute_error")
    median = float(np.median(_f32(y)))
    assert booster.boostloss_.init_score == pytest.approx(median)
    raw = bl.lightgbm.predict(booster, X, output="raw")
    np.testing.assert_array_equal(raw, booster.predict(X, raw_score=True))  # folded into trees
    assert np.abs(np.median(raw) - median) < 2.0
    # the trap it avoids: the same objective in plain lgb.train starts from 0
    plain = lgb.train({**ENGINE, "objective": bl.lightgbm.objective("absolute_error")}, lgb.Dataset(X, y), 1)
    assert np.abs(np.median(plain.predict(X, raw_score=True)) - median) > 900


def test_predict_response_applies_the_link():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = rng.poisson(np.exp(1.0 + 0.5 * X[:, 0])).astype(float)
    booster = bl.lightgbm.train(ENGINE, lgb.Dataset(X, y), 20, loss="poisson")
    raw = bl.lightgbm.predict(booster, X, output="raw")
    np.testing.assert_allclose(bl.lightgbm.predict(booster, X), np.exp(raw))
    assert booster.boostloss_.init_score == pytest.approx(np.log(y.mean()), rel=1e-6)
    with pytest.raises(ValueError, match="output must be one of"):
        bl.lightgbm.predict(booster, X, output="probability")


def test_pickled_booster_keeps_the_loss():
    X, y = _regression(n=300)
    booster = bl.lightgbm.train(ENGINE, lgb.Dataset(X, y), 10, loss="huber", loss_params={"delta": 2.0})
    again = pickle.loads(pickle.dumps(booster))
    np.testing.assert_array_equal(bl.lightgbm.predict(again, X), bl.lightgbm.predict(booster, X))
    assert again.boostloss_.loss == bl.get_loss("huber", delta=2.0)
    reloaded = lgb.Booster(model_str=booster.model_to_string())  # the file keeps the intercept
    np.testing.assert_allclose(bl.lightgbm.predict(reloaded, X, output="raw"), bl.lightgbm.predict(booster, X, output="raw"))
    with pytest.raises(ValueError, match="pass loss="):
        bl.lightgbm.predict(reloaded, X)
    np.testing.assert_allclose(bl.lightgbm.predict(reloaded, X, loss="huber"), bl.lightgbm.predict(booster, X))


def test_init_score_helper():
    X, y = _regression(n=300)
    w = np.random.default_rng(0).uniform(0.5, 2.0, size=y.size)
    from_dataset = bl.lightgbm.init_score("squared_error", lgb.Dataset(X, y, weight=w))
    assert from_dataset == pytest.approx(np.average(y, weights=w), rel=1e-6)
    assert bl.lightgbm.init_score("squared_error", y, w) == pytest.approx(np.average(y, weights=w))
    assert bl.lightgbm.init_score("quantile", y, alpha=0.9) == pytest.approx(bl.get_loss("quantile", alpha=0.9).init_score(y))
    with pytest.raises(ValueError, match="Dataset's own weights"):
        bl.lightgbm.init_score("squared_error", lgb.Dataset(X, y), sample_weight=w)


def test_datasets_are_restored_and_reusable():
    X, y = _regression(n=400)
    dtrain = lgb.Dataset(X, y)
    dvalid = lgb.Dataset(X[:150], y[:150], reference=dtrain)
    first = bl.lightgbm.train(ENGINE, dtrain, 15, loss="huber", valid_sets=[dvalid])
    assert dtrain.get_init_score() is None and dvalid.get_init_score() is None
    second = bl.lightgbm.train(ENGINE, dtrain, 15, loss="huber", valid_sets=[dvalid])
    np.testing.assert_array_equal(first.predict(X), second.predict(X))


def test_user_init_score_is_an_offset():
    X, y = _regression(n=400, offset=50.0)
    offset = np.full(y.size, 50.0)
    dtrain = lgb.Dataset(X, y, init_score=offset, free_raw_data=False)
    booster = bl.lightgbm.train(ENGINE, dtrain, 30, loss="squared_error")
    assert booster.boostloss_.used_offset and booster.boostloss_.init_score == 0.0
    np.testing.assert_array_equal(dtrain.get_init_score(), offset)  # left as it was
    with_offset = bl.lightgbm.predict(booster, dtrain)  # a Dataset adds its own offset
    np.testing.assert_allclose(with_offset, bl.lightgbm.predict(booster, X) + 50.0)
    assert np.mean(np.abs(with_offset - y)) < 2.0


# ---------------------------------------------------------------------- multiclass
def test_multiclass_train_and_predict():
    X, y = _classes()
    booster = bl.lightgbm.train(ENGINE, lgb.Dataset(X, y), 30, loss="softmax_cross_entropy")
    proba = bl.lightgbm.predict(booster, X)
    assert proba.shape == (y.size, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.mean(np.argmax(proba, axis=1) == y) > 0.7
    assert booster.boostloss_.init_score.shape == (3,)


def test_num_class_mismatch_is_an_error():
    X, y = _classes()
    with pytest.raises(ValueError, match="num_class"):
        bl.lightgbm.train({**ENGINE, "num_class": 4}, lgb.Dataset(X, y), 5, loss="softmax_cross_entropy")
    with pytest.raises(ValueError, match=r"classes \[3\] have zero"):
        bl.lightgbm.train(ENGINE, lgb.Dataset(X, y), 5, loss="softmax_cross_entropy", loss_params={"n_classes": 4})
    with pytest.raises(ValueError, match="one output per row"):
        bl.lightgbm.train({**ENGINE, "num_class": 3}, lgb.Dataset(X, y), 5, loss="huber")
    objective = bl.lightgbm.objective("softmax_cross_entropy")
    with pytest.raises(ValueError, match=r"out of range for num_class=2.*num_class'\] = 3"):
        lgb.train({**ENGINE, "objective": objective, "num_class": 2}, lgb.Dataset(X, y), 2)
    with pytest.raises(ValueError, match=r"set params\['num_class'\] = 3"):
        lgb.train({**ENGINE, "objective": objective}, lgb.Dataset(X, y), 2)


# ---------------------------------------------------------------------- multi-output
def test_multi_quantile_one_model_per_level():
    X, y = _regression(n=500)
    levels = [0.1, 0.5, 0.9]
    dtrain = lgb.Dataset(X, y)
    dvalid = lgb.Dataset(X[:200], y[:200], reference=dtrain)
    result: dict = {}
    model = bl.lightgbm.train(
        ENGINE, dtrain, 20, loss="quantile", loss_params={"alpha": levels},
        valid_sets=[dvalid], valid_names=["valid"], evals_result=result,
    )
    assert isinstance(model, bl.lightgbm.BoostLossMultiOutputModel)
    assert len(model.boosters) == 3 and model.best_iteration == (0, 0, 0)
    predictions = bl.lightgbm.predict(model, X)
    assert predictions.shape == (y.size, 3)
    coverage = (y[:, None] <= predictions).mean(axis=0)
    assert np.all(np.diff(coverage) > 0.2)
    single = bl.lightgbm.train(ENGINE, lgb.Dataset(X, y), 20, loss="quantile", loss_params={"alpha": 0.9})
    np.testing.assert_array_equal(predictions[:, 2], bl.lightgbm.predict(single, X))
    joint = bl.get_loss("quantile", alpha=levels).metric(_f32(y[:200]), predictions[:200])
    assert result["valid"]["quantile"][-1] == pytest.approx(joint, rel=1e-9)
    assert set(result["valid"]) and "quantile[1]" in result["valid"]
    np.testing.assert_array_equal(bl.lightgbm.predict(pickle.loads(pickle.dumps(model)), X), predictions)


def test_multilabel_one_model_per_column():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 4))
    Y = np.column_stack([(X[:, 0] + rng.normal(size=500)) > 0, (X[:, 1] - X[:, 2]) > 0.3]).astype(float)
    model = bl.lightgbm.train(ENGINE, lgb.Dataset(X, Y), 20, loss="multilabel_logistic")
    proba = bl.lightgbm.predict(model, X)
    assert proba.shape == (500, 2) and np.all((proba > 0) & (proba < 1))
    column = bl.lightgbm.train(ENGINE, lgb.Dataset(X, Y[:, 1]), 20, loss="logistic")
    np.testing.assert_allclose(proba[:, 1], bl.lightgbm.predict(column, X), rtol=1e-12)
    with pytest.raises(ValueError, match=r"\(n_samples, n_labels\)"):
        bl.lightgbm.train(ENGINE, lgb.Dataset(X, Y[:, 0]), 5, loss="multilabel_logistic")


def test_quantile_list_through_params_objective_is_refused():
    X, y = _regression(n=100)
    with pytest.raises(ValueError, match="one LightGBM model per output"):
        lgb.train({"objective": bl.lightgbm.objective("quantile", alpha=[0.1, 0.9])}, lgb.Dataset(X, y), 2)
    with pytest.raises(ValueError, match=r"sets the objective from loss="):
        bl.lightgbm.train({"objective": "quantile", "alpha": 0.9}, lgb.Dataset(X, y), 2, loss="quantile")


# ---------------------------------------------------------------------- leaf renewal
def test_renewal_reproduces_native_l1_and_quantile():
    """Unweighted renewal is LightGBM's own RenewTreeOutput: same trees, same predictions.
    (alpha = 0.1 and 0.5: 1 - alpha has the same float32 value in both objectives.)"""
    X, y = _regression(n=800, seed=4)
    for loss, params, native in [
        ("absolute_error", {}, {"objective": "regression_l1"}),
        ("quantile", {"alpha": 0.1}, {"objective": "quantile", "alpha": 0.1}),
    ]:
        custom = bl.lightgbm.train(ENGINE, lgb.Dataset(X, y), 40, loss=loss, loss_params=params)
        start = custom.boostloss_.init_score
        reference = lgb.train({**ENGINE, **native}, lgb.Dataset(X, y, init_score=np.full(y.size, start)), 40)
        np.testing.assert_allclose(
            bl.lightgbm.predict(custom, X), reference.predict(X) + start, rtol=1e-9, atol=1e-9
        )


@pytest.mark.parametrize("constructed", [False, True])
def test_renewal_keeps_objective_and_metric_scores_consistent(constructed):
    """What the objective, the boostloss metric and user fevals see is the stored model."""
    X, y = _regression(n=600, seed=1)
    y = np.round(y)  # integer labels: many equal residuals, so leaves with equal values
    dtrain = lgb.Dataset(X[:400], y[:400], free_raw_data=False)
    dvalid = lgb.Dataset(X[400:], y[400:], reference=dtrain, free_raw_data=False)
    if constructed:
        dtrain.construct()
        dvalid.construct()
    seen = {}

    def spy(preds, data):
        seen[id(data)] = np.array(preds)
        return "spy", 0.0, False

    result: dict = {}
    booster = bl.lightgbm.train(
        ENGINE, dtrain, 30, loss="quantile", loss_params={"alpha": 0.8},
        valid_sets=[dtrain, dvalid], valid_names=["train", "valid"], evals_result=result, feval=spy,
    )
    stats = booster.boostloss_.leaf_renewal
    assert stats["renewed_trees"] == 30 and stats["tied_leaves_kept"] == 0
    assert stats["tie_predictions"] > 0  # this data does produce leaves with equal values
    loss = bl.get_loss("quantile", alpha=0.8)
    for name, rows, data in (("train", slice(0, 400), dtrain), ("valid", slice(400, 600), dvalid)):
        final = bl.lightgbm.predict(booster, X[rows], output="raw")
        np.testing.assert_allclose(seen[id(data)], final, rtol=1e-12, atol=1e-9)
        assert result[name]["quantile"][-1] == pytest.approx(loss.metric(_f32(y[rows]), final), rel=1e-12)


def test_renewal_needs_raw_features():
    X, y = _regression(n=300)
    dtrain = lgb.Dataset(X, y)  # free_raw_data=True: the first training frees X
    bl.lightgbm.train(ENGINE, dtrain, 3, loss="huber")
    with pytest.raises(ValueError, match="free_raw_data=False"):
        bl.lightgbm.train(ENGINE, dtrain, 3, loss="quantile", loss_params={"alpha": 0.9})
    reusable = lgb.Dataset(X, y, free_raw_data=False)
    first = bl.lightgbm.train(ENGINE, reusable, 10, loss="quantile", loss_params={"alpha": 0.9})
    again = bl.lightgbm.train(ENGINE, reusable, 10, loss="quantile", loss_params={"alpha": 0.9})
    np.testing.assert_array_equal(bl.lightgbm.predict(first, X), bl.lightgbm.predict(again, X))


def test_renewal_without_validation_sets_is_applied_to_every_tree():
    X, y = _regression(n=400)
    booster = bl.lightgbm.train(ENGINE, lgb.Dataset(X, y), 25, loss="absolute_error")
    assert booster.boostloss_.leaf_renewal["renewed_trees"] == 25
    plain_start = booster.boostloss_.init_score
    plain = lgb.train(
        {**ENGINE, "objective": bl.lightgbm.objective("absolute_error")},
        lgb.Dataset(X, y, init_score=np.full(y.size, plain_start)),
        25,
    )
    mae = bl.get_loss("absolute_error")
    assert mae.metric(y, bl.lightgbm.predict(booster, X)) < 0.9 * mae.metric(y, plain.predict(X, raw_score=True) + plain_start)


def _rand_hie_split():
    X, y = bl.datasets.load_dataset("rand_hie", as_frame=False)
    order = np.random.default_rng(0).permutation(y.size)
    cut = int(0.7 * y.size)
    return X[order[:cut]], y[order[:cut]].astype(float), X[order[cut:]], y[order[cut:]].astype(float)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("loss", "params", "native"),
    [
        ("absolute_error", {}, {"objective": "regression_l1"}),
        ("quantile", {"alpha": 0.1}, {"objective": "quantile", "alpha": 0.1}),
        ("quantile", {"alpha": 0.5}, {"objective": "quantile", "alpha": 0.5}),
        ("quantile", {"alpha": 0.9}, {"objective": "quantile", "alpha": 0.9}),
    ],
    ids=["mae", "q0.1", "q0.5", "q0.9"],
)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_heldout_pinball_within_one_percent_of_native(loss, params, native, weighted):
    """RAND Health Insurance Experiment, doctor visits (20 190 rows, zero-inflated counts).

    Tolerance: |custom / native - 1| <= 1% (the issue's bound), on held-out data. Measured
    here: 0.000% for all four (identical models: the renewal uses LightGBM's percentile and
    tracks scores bit-exactly). The bound is not 0 because the two gradients are not
    bit-identical for every alpha: LightGBM computes 1 - alpha with alpha rounded to float32,
    the quantile loss in float64, and the 1e-8 difference can flip a near-tied split (on the
    309-row diabetes training set this moved alpha = 0.9 by up to 2.2%; see the report).
    Without renewal the same objective is 0.3% to 11% worse, so the test can fail.
    With weights (uniform in [0.5, 2]) the renewal uses a weighted form of the same
    percentile, not LightGBM's weighted one (see boostloss.lightgbm._renewal); measured gaps
    -0.28% (mae), 0.000% (0.1), -0.012% (0.5), +0.088% (0.9).
    """
    X, y, X_test, y_test = _rand_hie_split()
    rng = np.random.default_rng(1)
    w, w_test = (rng.uniform(0.5, 2.0, size=y.size), rng.uniform(0.5, 2.0, size=y_test.size)) if weighted else (None, None)
    settings = {**ENGINE, "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 20}
    the_loss = bl.get_loss(loss, **params)
    custom = bl.lightgbm.train(settings, lgb.Dataset(X, y, weight=w), 120, loss=loss, loss_params=params)
    reference = lgb.train({**settings, **native}, lgb.Dataset(X, y, weight=w), 120)
    custom_loss = the_loss.metric(y_test, bl.lightgbm.predict(custom, X_test), w_test)
    native_loss = the_loss.metric(y_test, reference.predict(X_test), w_test)
    assert abs(custom_loss / native_loss - 1.0) <= 0.01


def test_renewal_refuses_what_it_cannot_follow():
    X, y = _regression(n=200)
    for extra, match in [
        ({"boosting": "dart"}, "boosting='gbdt'"),
        ({"linear_tree": True}, "linear"),
        ({"metric": "l1"}, "built-in metrics"),
    ]:
        with pytest.raises(ValueError, match=match):
            bl.lightgbm.train({**ENGINE, **extra}, lgb.Dataset(X, y), 3, loss="absolute_error")


def test_renewal_helpers():
    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 40, 41):
        values = rng.normal(size=n)
        for level in (0.125, 0.25, 0.5, 0.75):  # exact in float32
            assert unweighted_quantile(values, level) == pytest.approx(np.quantile(values, level), abs=1e-12)
            assert weighted_quantile_interpolated(values, level, np.full(n, 3.0)) == pytest.approx(
                np.quantile(values, level), abs=1e-12
            )
    values, weight = rng.normal(size=30), rng.uniform(0.1, 2.0, size=30)
    scaled = weighted_quantile_interpolated(values, 0.3, 10 * weight)
    assert scaled == pytest.approx(weighted_quantile_interpolated(values, 0.3, weight))
    padded_values = np.append(values, 1e9)
    assert weighted_quantile_interpolated(padded_values, 0.3, np.append(weight, 0.0)) == pytest.approx(scaled)
    leaf = rng.integers(0, 4, size=200)
    residual = rng.normal(size=200)
    leaf[:5] = -1  # unknown rows are ignored
    got = leaf_quantiles(residual, leaf, 5, 0.5)
    for j in range(4):
        assert got[j] == pytest.approx(np.quantile(residual[leaf == j], 0.5))
    assert np.isnan(got[4])


def test_assign_leaves_finds_rows_and_flags_ties():
    values = np.array([0.5, -0.25, 0.5, 1.0])
    leaf = np.array([0, 1, 2, 3, 3, 1])
    before = np.array([10.0, -3.0, 7.0, 0.0, 1e3, 2.0])
    delta = (before + values[leaf]) - before
    found, tied = assign_leaves(delta, values, scale=1e3 + 1.0)
    np.testing.assert_array_equal(tied, [True, False, True, False])
    np.testing.assert_array_equal(found, [-1, 1, -1, 3, 3, 1])
    with pytest.raises(RuntimeError, match="matches no leaf"):
        assign_leaves(np.array([0.7]), values, scale=1.0)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
def test_renewal_helpers_compiled_equal_numpy(compiled, monkeypatch):
    """The compiled twins (losses/_leaf_stats.h) give the numpy versions' leaves and
    percentiles bit for bit: duplicates, ties, empty leaves, unknown rows, > 64 leaves
    (binary search), levels at both ends, and the rows that match no leaf."""
    from boostloss.losses import _compiled

    if compiled and not _compiled.available():
        pytest.fail("the compiled extension is not built")

    def run(function, *args, **kwargs):
        monkeypatch.setitem(_compiled._STATE, "mode", compiled)
        return function(*args, **kwargs)

    rng = np.random.default_rng(5)
    for n_leaves, n in [(1, 10), (3, 1), (31, 5000), (64, 3000), (65, 3000), (300, 20000)]:
        values = np.round(rng.normal(size=n_leaves), 1)  # rounded: tied leaf values
        values[-1] = 0.1 + 0.2  # a value whose sums round
        leaf = rng.integers(0, n_leaves, n)
        before = rng.normal(0, 50, n)
        delta = (before + values[leaf]) - before
        got_leaf, got_tied = run(assign_leaves, delta, values, 60.0)
        monkeypatch.setitem(_compiled._STATE, "mode", False)
        want_leaf, want_tied = assign_leaves(delta, values, 60.0)
        np.testing.assert_array_equal(got_leaf, want_leaf)
        np.testing.assert_array_equal(got_tied, want_tied)
        residual = np.round(rng.standard_t(2, n), 2)  # many duplicates
        known = leaf.copy()
        known[: n // 10] = -1
        for level in (1e-9, 0.1, 0.5, 0.77, 0.9, 1.0):
            got = run(leaf_quantiles, residual, known, n_leaves + 2, level)
            monkeypatch.setitem(_compiled._STATE, "mode", False)
            want = leaf_quantiles(residual, known, n_leaves + 2, level)
            np.testing.assert_array_equal(got, want)  # NaN for the two empty leaves
    for bad in (np.array([0.7, 0.5, np.nan]), np.array([0.5, 9.0, 0.25])):
        with pytest.raises(RuntimeError, match=r"2 rows|1 rows"):
            run(assign_leaves, bad, np.array([0.5, 0.25, 1.0]), 1.0)


# ---------------------------------------------------------------------- early stopping
def test_early_stopping_watches_the_boostloss_metric():
    X, y = _regression(n=600, seed=2)
    dtrain = lgb.Dataset(X[:300], y[:300])
    dvalid = lgb.Dataset(X[300:], y[300:], reference=dtrain)
    result: dict = {}
    booster = bl.lightgbm.train(
        {**ENGINE, "learning_rate": 0.3, "metric": "l2", "num_leaves": 31, "min_data_in_leaf": 3},
        dtrain, 400, loss="huber", valid_sets=[dtrain, dvalid], valid_names=["train", "valid"],
        early_stopping_rounds=5, evals_result=result,
    )
    curve = result["valid"]["huber"]
    assert 0 < booster.best_iteration < 400 and len(curve) == booster.best_iteration + 5
    assert booster.best_iteration == int(np.argmin(curve)) + 1
    assert "l2" in result["valid"]  # reported, but not what stopped the training
    raw = bl.lightgbm.predict(booster, X[300:], output="raw")
    assert bl.get_loss("huber").metric(_f32(y[300:]), raw) == pytest.approx(min(curve), rel=1e-9)


def test_early_stopping_with_renewal_and_from_params():
    X, y = _regression(n=600, seed=3)
    dtrain = lgb.Dataset(X[:300], y[:300])
    dvalid = lgb.Dataset(X[300:], y[300:], reference=dtrain)
    result: dict = {}
    booster = bl.lightgbm.train(
        {**ENGINE, "learning_rate": 0.5, "min_data_in_leaf": 3, "early_stopping_round": 4},
        dtrain, 300, loss="quantile", loss_params={"alpha": 0.7}, valid_sets=[dvalid], evals_result=result,
    )
    curve = result["valid_0"]["quantile"]
    assert booster.best_iteration == int(np.argmin(curve)) + 1 < 300
    loss = bl.get_loss("quantile", alpha=0.7)
    assert loss.metric(_f32(y[300:]), bl.lightgbm.predict(booster, X[300:])) == pytest.approx(min(curve), rel=1e-9)


def test_early_stopping_needs_a_validation_set():
    X, y = _regression(n=100)
    dtrain = lgb.Dataset(X, y)
    with pytest.raises(ValueError, match="needs a validation set"):
        bl.lightgbm.train(ENGINE, dtrain, 5, loss="huber", valid_sets=[dtrain], early_stopping_rounds=2)
    with pytest.raises(ValueError, match="positive integer"):
        bl.lightgbm.train(ENGINE, dtrain, 5, loss="huber", valid_sets=[lgb.Dataset(X, y)], early_stopping_rounds=0)


# ---------------------------------------------------------------------- bad input
def test_bad_input_is_a_clear_error():
    X, y = _regression(n=100)
    with pytest.raises(ValueError, match="no labels"):
        bl.lightgbm.train(ENGINE, lgb.Dataset(X), 2, loss="huber")
    y_nan = y.copy()
    y_nan[3] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        bl.lightgbm.train(ENGINE, lgb.Dataset(X, y_nan), 2, loss="huber")
    with pytest.raises(ValueError, match="non-negative"):
        bl.lightgbm.train(ENGINE, lgb.Dataset(X, y, weight=np.r_[-1.0, np.ones(99)]), 2, loss="huber")
    with pytest.raises(ValueError, match="labels must be >= 0"):
        bl.lightgbm.train(ENGINE, lgb.Dataset(X, y - 100), 2, loss="poisson")
    with pytest.raises(TypeError, match="lightgbm.Dataset"):
        bl.lightgbm.train(ENGINE, X, 2, loss="huber")
    with pytest.raises(ValueError, match="init_model"):
        bl.lightgbm.train(ENGINE, lgb.Dataset(X, y), 2, loss="huber", init_model="model.txt")
    with pytest.raises(ValueError, match="unknown loss"):
        bl.lightgbm.train(ENGINE, lgb.Dataset(X, y), 2, loss="hubber")
    with pytest.raises(ValueError, match="valid_names has 2 names"):
        bl.lightgbm.train(ENGINE, lgb.Dataset(X, y), 2, loss="huber", valid_sets=[lgb.Dataset(X, y)], valid_names=["a", "b"])
    with pytest.raises(TypeError, match="Booster"):
        bl.lightgbm.predict(object(), X)


# ---------------------------------------------------------------------- stability
@pytest.mark.parametrize("loss", ["huber", "pseudo_huber", "log_cosh"])
def test_robust_losses_survive_gross_outliers(loss):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(800, 4))
    clean = 10.0 + 2.0 * X[:, 0] + X[:, 1]
    y = clean + 0.3 * rng.normal(size=800)
    outliers = rng.choice(800, size=40, replace=False)
    y[outliers] += rng.choice([-1.0, 1.0], size=40) * 1e6
    booster = bl.lightgbm.train({**ENGINE, "learning_rate": 0.1}, lgb.Dataset(X, y), 100, loss=loss)
    predictions = bl.lightgbm.predict(booster, X)
    assert np.all(np.isfinite(predictions))
    assert np.max(np.abs(predictions - clean)) < 50.0  # never dragged towards +-1e6
    inliers = np.setdiff1d(np.arange(800), outliers)
    assert np.median(np.abs(predictions[inliers] - clean[inliers])) < 0.5


# ---------------------------------------------------------------------- packaging
def test_importable_without_lightgbm():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["lightgbm"] = None
        import numpy as np
        import boostloss.lightgbm as adapter
        adapter.objective("huber")
        try:
            adapter.train({}, None, loss="huber")
        except ImportError as error:
            assert "pip install boostloss[lightgbm]" in str(error), error
        else:
            raise AssertionError("no ImportError")
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(__import__("pathlib").Path(bl.__file__).parents[1]))
