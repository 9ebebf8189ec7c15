"""GHM, probability targets, multiclass hinge and per-label pos_weight through the engines
and the scikit-learn estimators (real XGBoost / LightGBM models)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

import boostloss as bl  # noqa: E402
from boostloss import lightgbm as bl_lgb  # noqa: E402
from boostloss import xgboost as bl_xgb  # noqa: E402

XGB = {"nthread": 1, "tree_method": "hist", "max_depth": 3, "eta": 0.3, "seed": 0}
LGB = {"verbose": -1, "num_threads": 1, "deterministic": True, "force_col_wise": True,
       "num_leaves": 7, "min_data_in_leaf": 5}


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    scores = np.column_stack([X[:, 0], X[:, 1], 0.5 * X[:, 2]])
    targets = np.exp(scores)
    targets /= targets.sum(axis=1, keepdims=True)
    return X, targets, 1.0 / (1.0 + np.exp(-2 * X[:, 0]))


@pytest.mark.parametrize("engine", ["xgboost", "lightgbm"])
def test_ghm_momentum_state_is_reset_by_every_fit(engine):
    """Two fits with one loss object (momentum on) give the same model: a fit is a run."""
    X, _, soft = _data()
    y = (np.random.default_rng(2).random(soft.size) < soft).astype(float)
    loss = bl.get_loss("ghm_logistic", bins=30, momentum=0.75)
    if engine == "xgboost":
        fits = [bl_xgb.train(XGB, xgb.DMatrix(X, label=y), 15, loss=loss) for _ in range(2)]
        raws = [bl_xgb.predict(model, X, output="raw") for model in fits]
        plain = bl_xgb.train(XGB, xgb.DMatrix(X, label=y), 15, loss="ghm_logistic", loss_params={"bins": 30})
        other = bl_xgb.predict(plain, X, output="raw")
    else:
        fits = [bl_lgb.train(LGB, lgb.Dataset(X, label=y), 15, loss=loss) for _ in range(2)]
        raws = [bl_lgb.predict(model, X, output="raw") for model in fits]
        plain = bl_lgb.train(LGB, lgb.Dataset(X, label=y), 15, loss="ghm_logistic", loss_params={"bins": 30})
        other = bl_lgb.predict(plain, X, output="raw")
    assert_allclose(raws[0], raws[1], rtol=0)
    assert not np.allclose(raws[0], other)  # momentum changes the model after round 1
    if engine == "xgboost":  # the same DMatrix and objective for two xgb.train runs
        dtrain = xgb.DMatrix(X, label=y)
        objective = bl_xgb.objective(loss)
        again = [xgb.train(XGB, dtrain, 15, obj=objective).predict(dtrain, output_margin=True)
                 for _ in range(2)]
        assert_allclose(again[0], again[1], rtol=0)
    sklearn_objective = bl_xgb.sklearn_objective(loss)  # XGBoost's own estimator, refitted
    fitted = [xgb.XGBClassifier(objective=sklearn_objective, n_estimators=15, n_jobs=1,
                                max_depth=3).fit(X, y).predict(X, output_margin=True)
              for _ in range(2)]
    assert_allclose(fitted[0], fitted[1], rtol=0)


def test_xgboost_probability_targets_kl_and_cross_entropy_grow_the_same_trees():
    """KL divergence = cross-entropy minus a constant of the data: identical gradients."""
    X, targets, _ = _data()
    dtrain = xgb.DMatrix(X, label=targets)
    kl = bl_xgb.train(XGB, dtrain, 20, loss="kl_divergence")
    ce = bl_xgb.train(XGB, xgb.DMatrix(X, label=targets), 20, loss="softmax_cross_entropy")
    raw_kl = bl_xgb.predict(kl, X, output="raw")
    assert raw_kl.shape == (400, 3)
    assert_allclose(raw_kl, bl_xgb.predict(ce, X, output="raw"), rtol=1e-6, atol=1e-6)
    proba = bl_xgb.predict(kl, X)
    assert_allclose(proba.sum(axis=1), 1.0)
    loss = bl.get_loss("kl_divergence")
    assert loss.metric(targets, raw_kl) < 0.3 * loss.metric(targets, np.zeros_like(raw_kl) + loss.init_score(targets))


def test_lightgbm_probability_targets_train_one_multiclass_booster():
    """(n, k) targets on LightGBM: copies of the Datasets, the targets held by boostloss;
    KL and cross-entropy grow the same trees; weights and validation sets are honoured."""
    X, targets, _ = _data()
    weight = np.linspace(0.5, 2.0, 400)
    results: dict = {}
    train = lgb.Dataset(X[:300], label=targets[:300], weight=weight[:300])
    valid = lgb.Dataset(X[300:], label=targets[300:])
    kl = bl_lgb.train(LGB, train, 30, loss="kl_divergence", valid_sets=[valid], valid_names=["valid"],
                      evals_result=results)
    raw = bl_lgb.predict(kl, X, output="raw")
    assert raw.shape == (400, 3)
    loss = bl.get_loss("kl_divergence")
    assert results["valid"]["kl_divergence"][-1] == pytest.approx(loss.metric(targets[300:], raw[300:]), rel=1e-5)
    assert results["valid"]["kl_divergence"][-1] < 0.2 * results["valid"]["kl_divergence"][0]
    ce = bl_lgb.train(LGB, lgb.Dataset(X[:300], label=targets[:300], weight=weight[:300]), 30,
                      loss="softmax_cross_entropy")
    assert_allclose(raw, bl_lgb.predict(ce, X, output="raw"), rtol=1e-6, atol=1e-9)
    unweighted = bl_lgb.train(LGB, lgb.Dataset(X[:300], label=targets[:300]), 30, loss="kl_divergence")
    assert not np.allclose(raw, bl_lgb.predict(unweighted, X, output="raw"))
    model = bl.BoostLossRegressor("kl_divergence", backend="lightgbm", n_estimators=30, n_jobs=1)
    assert model.fit(X, targets).predict(X).shape == (400, 3)


@pytest.mark.parametrize("backend", ["xgboost", "lightgbm"])
def test_regressor_fits_soft_labels_and_predicts_probabilities(backend):
    X, targets, soft = _data()
    train, test = slice(0, 300), slice(300, None)
    for loss, params in (("kl_divergence", None), ("logistic", {"soft_labels": True})):
        model = bl.BoostLossRegressor(loss, loss_params=params, backend=backend, n_estimators=60, n_jobs=1,
                                      learning_rate=0.2).fit(X[train], soft[train])
        proba = model.predict(X[test])
        assert proba.shape == (100,) and np.all((proba > 0) & (proba < 1))
        assert np.mean(np.abs(proba - soft[test])) < 0.1
    if backend == "xgboost":
        model = bl.BoostLossRegressor("kl_divergence", n_estimators=60, learning_rate=0.2, n_jobs=1)
        model.fit(X[train], targets[train], eval_set=[(X[test], targets[test])])
        proba = model.predict(X[test])
        assert proba.shape == (100, 3) and np.mean(np.abs(proba - targets[test])) < 0.1
    with pytest.raises(ValueError, match="BoostLossClassifier"):
        bl.BoostLossRegressor("softmax_cross_entropy", backend=backend, n_jobs=1).fit(X, np.argmax(targets, axis=1))


@pytest.mark.parametrize("backend", ["xgboost", "lightgbm"])
def test_classifier_with_ghm_and_multiclass_hinge(backend):
    X, targets, _ = _data()
    classes = np.array(["a", "b", "c"])[np.argmax(targets, axis=1)]
    hinge = bl.BoostLossClassifier("multiclass_hinge", backend=backend, n_estimators=40, n_jobs=1).fit(X, classes)
    assert np.mean(hinge.predict(X) == classes) > 0.9
    assert hinge.decision_function(X).shape == (400, 3)
    with pytest.raises(AttributeError, match="margin loss"):
        hinge.predict_proba(X)
    binary = classes == "a"
    ghm = bl.BoostLossClassifier("ghm_logistic", backend=backend, n_estimators=40, n_jobs=1).fit(X, binary)
    assert np.mean(ghm.predict(X) == binary) > 0.9
    assert ghm.predict_proba(X).shape == (400, 2)


def test_lightgbm_one_model_per_label_keeps_each_labels_pos_weight():
    X, _, soft = _data()
    rng = np.random.default_rng(1)
    Y = np.column_stack([soft > 0.5, rng.random(400) < 0.2]).astype(float)
    model = bl_lgb.train(LGB, lgb.Dataset(X, label=Y), 10, loss="multilabel_logistic",
                         loss_params={"pos_weight": [1.0, 5.0]})
    raw = bl_lgb.predict(model, X, output="raw")
    column = bl_lgb.train(LGB, lgb.Dataset(X, label=Y[:, 1]), 10, loss="logistic",
                          loss_params={"pos_weight": 5.0})
    assert_allclose(raw[:, 1], bl_lgb.predict(column, X, output="raw"), rtol=1e-6, atol=1e-9)
    assert raw[:, 1].mean() > bl_lgb.predict(
        bl_lgb.train(LGB, lgb.Dataset(X, label=Y[:, 1]), 10, loss="logistic"), X, output="raw"
    ).mean()


@pytest.mark.parametrize("engine", ["xgboost", "lightgbm"])
def test_drop_in_estimators_take_the_new_losses(engine):
    """The engines' own classes (boostloss.xgboost.XGBRegressor, ...): soft labels through
    the regressor (probabilities out), GHM and the multiclass hinge through the classifier."""
    module = bl_xgb if engine == "xgboost" else bl_lgb
    regressor = module.XGBRegressor if engine == "xgboost" else module.LGBMRegressor
    classifier = module.XGBClassifier if engine == "xgboost" else module.LGBMClassifier
    X, targets, soft = _data()
    model = regressor(loss="kl_divergence", n_estimators=40, n_jobs=1).fit(X, soft)
    proba = model.predict(X)
    assert np.all((proba > 0) & (proba < 1)) and np.mean(np.abs(proba - soft)) < 0.1
    classes = np.argmax(targets, axis=1)
    hinge = classifier(loss="multiclass_hinge", n_estimators=30, n_jobs=1).fit(X, classes)
    assert np.mean(hinge.predict(X) == classes) > 0.9 and not hasattr(hinge, "predict_proba")
    ghm = classifier(loss="ghm_logistic", n_estimators=30, n_jobs=1).fit(X, classes == 0)
    assert ghm.predict_proba(X).shape == (400, 2)
    with pytest.raises(ValueError, match="soft_labels"):
        regressor(loss="focal", n_jobs=1).fit(X, soft)
