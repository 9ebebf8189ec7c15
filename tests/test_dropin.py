"""The drop-in estimators: boostloss.xgboost.XGBRegressor/XGBClassifier and
boostloss.lightgbm.LGBMRegressor/LGBMClassifier, on real XGBoost / LightGBM models.

They must train the same trees as the training helpers (``bl.xgboost.train`` /
``bl.lightgbm.train``) with the same parameters, early-stop at the same round, treat a
weight of 2 like a duplicated row, survive pickle / joblib / save_model, work in
GridSearchCV over ``loss``, and predict every loss that fits them on the right scale.
"""

from __future__ import annotations

import pickle
import subprocess
import sys

import joblib
import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

import boostloss as bl
from boostloss import lightgbm as bl_lgb
from boostloss import xgboost as bl_xgb
from boostloss.lightgbm import LGBMClassifier, LGBMRegressor
from boostloss.registry import LOSSES
from boostloss.xgboost import XGBClassifier, XGBRegressor

ENGINES = ("xgboost", "lightgbm")
FAST = {
    "xgboost": dict(n_estimators=20, learning_rate=0.3, max_depth=3, n_jobs=1),
    "lightgbm": dict(n_estimators=20, learning_rate=0.3, num_leaves=7, min_child_samples=5,
                     n_jobs=1, verbose=-1),
}
REGRESSOR = {"xgboost": XGBRegressor, "lightgbm": LGBMRegressor}
CLASSIFIER = {"xgboost": XGBClassifier, "lightgbm": LGBMClassifier}
PARENT_REGRESSOR = {"xgboost": xgb.XGBRegressor, "lightgbm": lgb.LGBMRegressor}
RAW = {"xgboost": "output_margin", "lightgbm": "raw_score"}
LOG_LINK = ("poisson", "gamma", "tweedie")


def _regression(n=300, seed=0, *, positive=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    mean = np.exp(0.6 * X[:, 0] - 0.3 * X[:, 1] + 1.0)
    y = rng.gamma(2.0, mean / 2.0) if positive else 2.0 * X[:, 0] + np.sin(3 * X[:, 1]) \
        + rng.standard_t(3, size=n)
    return X, y


def _binary(n=300, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = np.where(X[:, 0] + 0.5 * X[:, 1] + 0.5 * rng.normal(size=n) > 0.3, "spam", "ham")
    return X, y


def _multiclass(n=300, seed=2):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = np.array([10, 20, 30])[np.digitize(X[:, 0] + 0.4 * rng.normal(size=n), [-0.5, 0.5])]
    return X, y


def _multilabel(n=300, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    Y = (X[:, :3] + 0.5 * rng.normal(size=(n, 3)) > 0).astype(int)
    return X, Y


def _raw(model, engine, X):
    return np.asarray(model.predict(X, **{RAW[engine]: True}), dtype=np.float64)


def _helper_predict(engine, loss, X, y, Xt, *, weight=None, rounds=20, valid=None,
                     early_stopping_rounds=None):
    """The training helper with the parameters FAST means: (predictions on Xt, model)."""
    if engine == "xgboost":
        params = {"max_depth": 3, "learning_rate": 0.3, "nthread": 1}
        dtrain = xgb.QuantileDMatrix(X, label=y, weight=weight)
        evals = [] if valid is None else [(xgb.QuantileDMatrix(*valid, ref=dtrain), "valid")]
        booster = bl_xgb.train(params, dtrain, rounds, loss=loss, evals=evals,
                               early_stopping_rounds=early_stopping_rounds)
        return bl_xgb.predict(booster, Xt, output="raw"), booster
    params = {"num_leaves": 7, "learning_rate": 0.3, "min_child_samples": 5, "num_threads": 1,
              "verbose": -1}
    valid_sets = None if valid is None else [lgb.Dataset(*valid)]
    model = bl_lgb.train(params, lgb.Dataset(X, y, weight=weight), rounds, loss=loss,
                         valid_sets=valid_sets, early_stopping_rounds=early_stopping_rounds)
    return bl_lgb.predict(model, Xt, output="raw"), model


# ---------------------------------------------------------------------- same trees as the helpers
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("loss, params", [
    ("huber", {"delta": 1.5}),
    ("poisson", {}),
    ("quantile", {"alpha": 0.8}),          # leaf re-fit / renewal
    ("quantile", {"alpha": [0.1, 0.9]}),   # multi-output (LightGBM: one booster per level)
])
def test_regressor_equals_the_training_helper(engine, loss, params):
    X, y = _regression(positive=loss == "poisson")
    model = REGRESSOR[engine](loss=loss, loss_params=params, **FAST[engine]).fit(X, y)
    expected, _ = _helper_predict(engine, bl.get_loss(loss, **params), X, y, X)
    assert_allclose(_raw(model, engine, X), expected, rtol=1e-6, atol=1e-6)
    assert_allclose(model.predict(X), model.loss_.transform(expected), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("data, loss", [(_binary, "focal"), (_multiclass, "softmax_cross_entropy")])
def test_classifier_equals_the_training_helper_on_encoded_labels(engine, data, loss):
    X, y = data()
    model = CLASSIFIER[engine](loss=loss, **FAST[engine]).fit(X, y)
    classes, codes = np.unique(y, return_inverse=True)
    assert_array_equal(model.classes_, classes)
    expected, _ = _helper_predict(engine, bl.get_loss(loss), X, codes.astype(float), X)
    assert_allclose(model.decision_function(X), expected, rtol=1e-6, atol=1e-6)
    proba = model.predict_proba(X)
    assert proba.shape == (len(y), classes.size)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert_array_equal(model.predict(X), classes[np.argmax(proba, axis=1)])


# ---------------------------------------------------------------------- early stopping
@pytest.mark.parametrize("engine", ENGINES)
def test_early_stopping_stops_where_the_helper_stops(engine):
    X, y = _regression(400, seed=4)
    Xv, yv = _regression(200, seed=5)
    fast = {**FAST[engine], "n_estimators": 300}
    if engine == "xgboost":
        model = XGBRegressor(loss="huber", early_stopping_rounds=5, **fast)
        model.fit(X, y, eval_set=[(Xv, yv)], verbose=False)
        best = model.best_iteration
        assert list(model.evals_result()["validation_0"]) == ["huber"]  # the loss's metric
    else:
        model = LGBMRegressor(loss="huber", **fast)
        model.fit(X, y, eval_X=Xv, eval_y=yv, callbacks=[lgb.early_stopping(5, verbose=False)])
        best = model.best_iteration_
        assert list(model.evals_result_["valid_0"]) == ["huber"]
    _, helper = _helper_predict(engine, "huber", X, y, X, rounds=300, valid=(Xv, yv),
                                early_stopping_rounds=5)
    assert 0 < best == helper.best_iteration < 250
    # predict uses the best iteration, as the helper does
    assert_allclose(_raw(model, engine, Xv), _helper_predict(
        engine, "huber", X, y, Xv, rounds=300, valid=(Xv, yv), early_stopping_rounds=5)[0],
        rtol=1e-6, atol=1e-6)


def test_a_user_eval_metric_replaces_the_loss_metric_on_xgboost():
    X, y = _regression()
    model = XGBRegressor(loss="huber", eval_metric="mae", **FAST["xgboost"])
    model.fit(X, y, eval_set=[(X, y)], verbose=False)
    assert list(model.evals_result()["validation_0"]) == ["mae"]
    mine = XGBRegressor(loss="huber", eval_metric=bl_xgb.sklearn_metric("fair", c=2.0),
                        **FAST["xgboost"]).fit(X, y, eval_set=[(X, y)], verbose=False)
    assert list(mine.evals_result()["validation_0"]) == ["fair"]


def test_lightgbm_eval_metric_is_added_to_the_loss_metric():
    X, y = _regression()
    model = LGBMRegressor(loss="huber", **FAST["lightgbm"])
    model.fit(X, y, eval_X=X.copy(), eval_y=y, eval_metric=["l1", bl_lgb.sklearn_metric("fair")])
    assert set(model.evals_result_["valid_0"]) == {"l1", "huber", "fair"}


# ---------------------------------------------------------------------- sample weights
@pytest.mark.parametrize("loss", ["huber", "poisson"])
def test_xgboost_weight_two_equals_a_duplicated_row(loss):
    X, y = _regression(80, seed=6, positive=True)
    weight = np.where(np.arange(80) % 3 == 0, 2.0, 1.0)
    repeat = weight.astype(int)
    fast = {**FAST["xgboost"], "n_estimators": 10}
    weighted = XGBRegressor(loss=loss, **fast).fit(X, y, sample_weight=weight)
    duplicated = XGBRegressor(loss=loss, **fast).fit(np.repeat(X, repeat, axis=0),
                                                     np.repeat(y, repeat))
    unweighted = XGBRegressor(loss=loss, **fast).fit(X, y)
    # float32 tolerance: XGBoost sums gradient statistics in float32
    assert_allclose(weighted.predict(X), duplicated.predict(X), rtol=1e-5, atol=1e-6)
    assert not np.allclose(weighted.predict(X), unweighted.predict(X), rtol=1e-3)


def test_lightgbm_weights_act_as_in_lightgbms_own_objective():
    """LightGBM itself does not treat a weight of 2 as a duplicated row (it estimates row
    counts from Hessian sums, and bins and pre-filters features by row counts; its own
    estimator checks mark check_sample_weight_equivalence as an expected failure). The
    drop-in applies weights exactly as LightGBM's native objective does."""
    X, y = _regression(200, seed=6)
    weight = np.where(np.arange(200) % 3 == 0, 2.0, 0.5)
    mine = LGBMRegressor(loss="squared_error", **FAST["lightgbm"]).fit(X, y, sample_weight=weight)
    native = lgb.LGBMRegressor(objective="regression", **FAST["lightgbm"]).fit(
        X, y, sample_weight=weight)
    unweighted = LGBMRegressor(loss="squared_error", **FAST["lightgbm"]).fit(X, y)
    assert_allclose(mine.predict(X), native.predict(X), rtol=1e-5, atol=1e-5)
    assert not np.allclose(mine.predict(X), unweighted.predict(X), rtol=1e-3)


# ---------------------------------------------------------------------- persistence
@pytest.mark.parametrize("engine", ENGINES)
def test_pickle_and_joblib_keep_loss_intercept_and_labels(engine, tmp_path):
    X, y = _regression(positive=True)
    Xc, yc = _binary()
    models = [REGRESSOR[engine](loss="poisson", **FAST[engine]).fit(X, y),
              CLASSIFIER[engine](loss="focal", **FAST[engine]).fit(Xc, yc)]
    for model, data in zip(models, (X, Xc), strict=True):
        joblib.dump(model, tmp_path / "model.joblib")
        for loaded in (pickle.loads(pickle.dumps(model)), joblib.load(tmp_path / "model.joblib")):
            assert_array_equal(loaded.predict(data), model.predict(data))
            assert_array_equal(_raw(loaded, engine, data), _raw(model, engine, data))
    assert_array_equal(np.unique(models[1].predict(Xc)), ["ham", "spam"])


@pytest.mark.parametrize("suffix", ["json", "ubj"])
def test_xgboost_save_model_load_model_keeps_the_loss(tmp_path, suffix):
    X, y = _regression(positive=True)
    model = XGBRegressor(loss="tweedie", loss_params={"power": 1.3}, **FAST["xgboost"]).fit(X, y)
    model.save_model(tmp_path / f"model.{suffix}")
    loaded = XGBRegressor()
    loaded.load_model(tmp_path / f"model.{suffix}")
    assert loaded.loss == "tweedie" and loaded.loss_params["power"] == 1.3
    assert_allclose(loaded.predict(X), model.predict(X), rtol=1e-7)
    assert np.mean(loaded.predict(X)) == pytest.approx(np.mean(y), rel=0.1)  # a mean, not a log

    Xc, yc = _binary()
    clf = XGBClassifier(loss="focal", **FAST["xgboost"]).fit(Xc, yc)
    clf.save_model(tmp_path / f"clf.{suffix}")
    loaded_clf = XGBClassifier()
    loaded_clf.load_model(tmp_path / f"clf.{suffix}")
    assert_array_equal(loaded_clf.classes_, ["ham", "spam"])
    assert_array_equal(loaded_clf.predict(Xc), clf.predict(Xc))
    assert_allclose(loaded_clf.predict_proba(Xc), clf.predict_proba(Xc), rtol=1e-7)


def test_lightgbm_model_file_holds_the_intercept(tmp_path):
    X, y = _regression(positive=True)
    model = LGBMRegressor(loss="gamma", **FAST["lightgbm"]).fit(X, y)
    model.booster_.save_model(tmp_path / "model.txt")
    booster = lgb.Booster(model_file=tmp_path / "model.txt")
    assert_allclose(booster.predict(X, raw_score=True), model.predict(X, raw_score=True),
                    rtol=1e-12)
    assert_allclose(bl_lgb.predict(booster, X, loss=model.loss_), model.predict(X), rtol=1e-12)


# ---------------------------------------------------------------------- scikit-learn
@pytest.mark.parametrize("engine", ENGINES)
def test_gridsearch_over_the_loss(engine):
    X, y = _regression(240, seed=7)
    y[::15] += 40.0  # outliers: squared error should lose on MAE
    search = GridSearchCV(
        REGRESSOR[engine](**FAST[engine]),
        {"loss": ["squared_error", "huber", "absolute_error"], "loss_params": [None]},
        cv=3, scoring="neg_mean_absolute_error",
    ).fit(X, y)
    scores = dict(zip([p["loss"] for p in search.cv_results_["params"]],
                      search.cv_results_["mean_test_score"], strict=True))
    assert search.best_estimator_.loss_.name == search.best_params_["loss"] != "squared_error"
    assert scores["squared_error"] < max(scores.values())


@pytest.mark.parametrize("engine", ENGINES)
def test_loss_params_are_estimator_params(engine):
    model = CLASSIFIER[engine](loss="focal", loss_params={"gamma": 2.0}, **FAST[engine])
    params = model.get_params()
    assert params["loss"] == "focal" and params["loss_params"] == {"gamma": 2.0}
    copy = clone(model).set_params(loss="logistic", loss_params=None)
    assert copy.get_params()["loss"] == "logistic" and model.loss == "focal"
    X, y = _binary()
    assert copy.fit(X, y).loss_.name == "logistic"


@pytest.mark.parametrize("engine", ENGINES)
def test_loss_and_objective_together_is_an_error_objective_alone_is_the_parent(engine):
    X, y = _regression()
    objective = "reg:squarederror" if engine == "xgboost" else "regression"
    with pytest.raises(ValueError, match="give one"):
        REGRESSOR[engine](loss="huber", objective=objective).fit(X, y)
    mine = REGRESSOR[engine](objective=objective, **FAST[engine]).fit(X, y)
    theirs = PARENT_REGRESSOR[engine](objective=objective, **FAST[engine]).fit(X, y)
    assert_array_equal(mine.predict(X), theirs.predict(X))


@pytest.mark.parametrize("engine", ENGINES)
def test_pandas_with_feature_names_and_categories(engine):
    X, y = _regression(positive=True)
    frame = pd.DataFrame(X, columns=["age", "income", "height", "score"])
    frame["city"] = pd.Categorical(np.array(["a", "b", "c"])[np.arange(len(y)) % 3])
    extra = {"enable_categorical": True} if engine == "xgboost" else {}
    model = REGRESSOR[engine](loss="poisson", **FAST[engine], **extra).fit(frame, y)
    assert list(model.feature_names_in_) == list(frame.columns)
    assert model.predict(frame).min() > 0


# ---------------------------------------------------------------------- every loss that fits
def _regression_losses():
    return [name for name in bl.available_losses() if LOSSES[name].task == "regression"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("loss", _regression_losses())
def test_every_regression_loss_predicts_on_the_response_scale(engine, loss):
    X, y = _regression(positive=loss in LOG_LINK)
    model = REGRESSOR[engine](loss=loss, **FAST[engine]).fit(X, y)
    raw = _raw(model, engine, X)
    assert_allclose(model.predict(X), model.loss_.transform(raw), rtol=1e-12)
    init = np.full_like(raw, model.loss_.init_score(y))
    if model.loss_.batch_weighted:  # GHM re-normalises its weights: check the base loss
        labels = model.loss_.validate_labels(y)
        assert model.loss_._loss(labels, raw).mean() < model.loss_._loss(labels, init).mean()
    else:
        assert model.loss_.metric(y, raw) < model.loss_.metric(y, init)
    if loss in LOG_LINK:  # the mean, not the log-mean
        assert np.mean(model.predict(X)) == pytest.approx(np.mean(y), rel=0.1)


def _classification_cases():
    cases = []
    for name in bl.available_losses():
        task = LOSSES[name].task
        if task in ("binary", "multiclass", "multilabel"):
            cases.append((name, {"binary": _binary, "multiclass": _multiclass,
                                 "multilabel": _multilabel}[task]))
    return cases


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("loss, data", _classification_cases(),
                         ids=[name for name, _ in _classification_cases()])
def test_every_classification_loss_predicts_labels_and_probabilities(engine, loss, data):
    X, y = data()
    model = CLASSIFIER[engine](loss=loss, **FAST[engine]).fit(X, y)
    predicted = model.predict(X)
    assert predicted.shape == np.shape(y)
    assert np.mean(predicted == y) > 0.75
    if not model.loss_.has_probabilities:
        with pytest.raises(AttributeError, match="margin loss"):
            model.predict_proba(X)
        return
    proba = model.predict_proba(X)
    if model.loss_.task == "multilabel":
        assert proba.shape == y.shape and np.all((proba > 0) & (proba < 1))
        assert_array_equal(predicted, (proba > 0.5).astype(int))
    else:
        assert proba.shape == (len(y), model.classes_.size)
        assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
        assert_array_equal(predicted, model.classes_[np.argmax(proba, axis=1)])


@pytest.mark.parametrize("engine", ENGINES)
def test_a_classification_loss_in_a_regressor_names_the_classifier(engine):
    X, y = _regression()
    with pytest.raises(ValueError, match="use (XGB|LGBM)Classifier"):
        REGRESSOR[engine](loss="focal").fit(X, y)
    Xc, yc = _multiclass()
    with pytest.raises(ValueError, match="Only binary classification"):
        CLASSIFIER[engine](loss="focal").fit(Xc, yc)


# ---------------------------------------------------------------------- the plain callables
def test_engine_callables_in_the_wrong_api_name_the_right_one():
    X, y = _regression(60)
    yb = (y > np.median(y)).astype(int)
    cases = [
        (lambda: xgb.XGBRegressor(objective=bl_xgb.objective("huber"), n_estimators=2).fit(X, y),
         "boostloss.xgboost.XGBRegressor"),
        (lambda: xgb.XGBRegressor(eval_metric=bl_xgb.metric("huber"), n_estimators=2).fit(
            X, y, eval_set=[(X, y)], verbose=False), "sklearn_metric"),
        (lambda: xgb.train({}, xgb.DMatrix(X, label=y), 2,
                           obj=bl_xgb.sklearn_objective("huber")), "boostloss.xgboost.objective"),
        (lambda: lgb.train({"objective": bl_xgb.objective("huber"), "verbose": -1},
                           lgb.Dataset(X, y), 2), "boostloss.lightgbm.objective"),
        (lambda: lgb.LGBMClassifier(objective=bl_lgb.objective("focal"), n_estimators=2,
                                    verbose=-1).fit(X, yb), "boostloss.lightgbm.LGBMRegressor"),
        (lambda: lgb.train({"objective": bl_lgb.sklearn_objective("huber"), "verbose": -1},
                           lgb.Dataset(X, y), 2), "boostloss.lightgbm.objective"),
        (lambda: xgb.train({}, xgb.DMatrix(X, label=y), 2, obj=bl_lgb.objective("huber")),
         "boostloss.xgboost.objective"),
    ]
    for run, right in cases:
        with pytest.raises(TypeError, match=right.replace(".", r"\.").replace("(", r"\(")
                           .replace(")", r"\)")):
            run()


@pytest.mark.parametrize("engine", ENGINES)
def test_sklearn_objective_and_metric_work_in_the_parent_classes(engine):
    X, y = _regression()
    if engine == "xgboost":
        model = xgb.XGBRegressor(objective=bl_xgb.sklearn_objective("huber"),
                                 eval_metric=bl_xgb.sklearn_metric("huber"),
                                 base_score=bl_xgb.init_score("huber", y), **FAST[engine])
        model.fit(X, y, eval_set=[(X, y)], verbose=False)
        reported = model.evals_result()["validation_0"]["huber"][-1]
        raw = model.predict(X, output_margin=True)
    else:
        model = lgb.LGBMRegressor(objective=bl_lgb.sklearn_objective("huber"), **FAST[engine])
        init = bl_lgb.init_score("huber", y)
        model.fit(X, y, init_score=np.full(len(y), init), eval_X=X.copy(), eval_y=y,
                  eval_init_score=[np.full(len(y), init)],
                  eval_metric=bl_lgb.sklearn_metric("huber"))
        reported = model.evals_result_["valid_0"]["huber"][-1]
        raw = model.predict(X, raw_score=True) + init
    assert reported == pytest.approx(bl.get_loss("huber").metric(y, raw), rel=1e-5)
    # the same model as the drop-in class
    assert_allclose(raw, _raw(REGRESSOR[engine](loss="huber", **FAST[engine]).fit(X, y), engine,
                              X), rtol=1e-5, atol=1e-5)


def test_init_score_and_transform_give_what_xgboost_takes_as_base_score():
    Xc, yc = _binary()
    codes = (yc == "spam").astype(int)
    loss = bl.get_loss("focal")
    init = loss.init_score(codes)
    assert isinstance(init, float) and isinstance(loss.transform(init), float)
    # binary XGBClassifier stores binary:logistic, which reads base_score as a probability
    model = xgb.XGBClassifier(objective=bl_xgb.sklearn_objective(loss), n_estimators=0,
                              base_score=loss.transform(init)).fit(Xc, codes)
    assert_allclose(model.predict(Xc, output_margin=True), init, rtol=1e-5)
    X3, y3 = _multiclass()
    classes = np.unique(y3, return_inverse=True)[1]
    start = bl_xgb.init_score("softmax_cross_entropy", classes)
    model = xgb.XGBClassifier(objective=bl_xgb.sklearn_objective("softmax_cross_entropy"),
                              n_estimators=0, base_score=start).fit(X3, classes)
    assert_allclose(model.predict(X3, output_margin=True)[0], start, rtol=1e-5)


def test_import_boostloss_imports_no_engine():
    code = ("import sys, boostloss, boostloss.xgboost, boostloss.lightgbm; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('xgboost', 'lightgbm', 'sklearn', 'dask')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("engine", ENGINES)
def test_the_parent_classes_warn_when_a_custom_objective_would_predict_raw_scores(engine):
    X, y = _regression(positive=True)
    if engine == "xgboost":
        model = xgb.XGBRegressor(objective=bl_xgb.sklearn_objective("poisson"), **FAST[engine])
        match = r"predict\(\) returns log\(mean\)"
    else:
        model = lgb.LGBMRegressor(objective=bl_lgb.sklearn_objective("poisson"), **FAST[engine])
        match = "return raw scores"
    with pytest.warns(UserWarning, match=match):
        model.fit(X, y)
    assert np.mean(model.predict(X)) < 0.5 * np.mean(y)  # what the warning is about


@pytest.mark.parametrize("engine", ENGINES)
def test_the_training_data_as_eval_set_is_evaluated_as_training_data(engine):
    X, y = _binary()
    model = CLASSIFIER[engine](loss="focal", **FAST[engine])
    if engine == "xgboost":
        model.fit(X, y, eval_set=[(X, y)], verbose=False)
        history = model.evals_result()["validation_0"]["focal"]
    else:
        model.fit(X, y, eval_X=X, eval_y=y)
        history = model.evals_result_["training"]["focal"]
    codes = (y == "spam").astype(float)
    # (XGBoost 3.4 reports custom metrics rounded to 6 decimal places: abs=5e-7)
    assert history[-1] == pytest.approx(
        model.loss_.metric(codes, model.decision_function(X)), rel=1e-5, abs=5e-7)
