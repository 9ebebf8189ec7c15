"""BoostLossRegressor / BoostLossClassifier: parameters, targets, early stopping, weights,
pandas, pipelines, pickling and parity with the engines' own estimators.

sklearn's generic estimator checks live in ``test_sklearn_checks.py``. Data are the
datasets bundled with scikit-learn (diabetes, breast cancer, iris) or small seeded draws;
models are small (<= 60 rounds, one thread) so the file runs in well under a minute.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from scipy.special import expit, softmax
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import boostloss as bl
from boostloss.sklearn import BoostLossClassifier, BoostLossRegressor
from boostloss.sklearn._params import BoostingParams, lightgbm_params, xgboost_params

BACKENDS = ["xgboost", "lightgbm"]
FAST = dict(n_estimators=20, learning_rate=0.3, n_jobs=1, random_state=0)


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X, y


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X[:, :10], y


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def raw_margin(model, X):
    """Raw scores straight from the adapter the estimator trained with."""
    module = bl.xgboost if model.backend == "xgboost" else bl.lightgbm
    return module.predict(model.booster_, X, output="raw")


# --------------------------------------------------------------------------- parameters
def test_get_params_lists_every_documented_parameter():
    expected = {
        "loss", "loss_params", "backend", "n_estimators", "learning_rate", "max_depth",
        "num_leaves", "min_child_weight", "subsample", "colsample", "reg_lambda",
        "random_state", "n_jobs", "early_stopping_rounds", "validation_fraction",
        "importance_type", "verbose", "engine_params",
    }
    assert set(BoostLossRegressor().get_params()) == expected
    assert set(BoostLossClassifier().get_params()) == expected
    assert BoostLossRegressor().loss == "squared_error"
    assert BoostLossClassifier().loss == "auto"


def test_clone_copies_parameters_and_drops_the_fit(diabetes):
    X, y = diabetes
    model = BoostLossRegressor(loss="huber", loss_params={"delta": 2.0}, backend="lightgbm",
                               engine_params={"min_data_in_leaf": 5}, **FAST).fit(X, y)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert copy.loss_params is not model.loss_params  # deep-copied, not shared
    assert not hasattr(copy, "booster_")
    copy.set_params(loss="log_cosh", loss_params=None)
    assert copy.fit(X, y).loss_.name == "log_cosh"
    assert model.loss_.name == "huber"


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"backend": "catboost"}, ValueError, r"backend must be one of \['xgboost', 'lightgbm'\]"),
        ({"n_estimators": 0}, ValueError, r"n_estimators must be in \[1, inf\], got 0"),
        ({"n_estimators": 2.5}, TypeError, "n_estimators must be an integer"),
        ({"learning_rate": 0.0}, ValueError, r"learning_rate must be in \(0.0, inf\]"),
        ({"subsample": 1.5}, ValueError, r"subsample must be in \(0.0, 1.0\], got 1.5"),
        ({"colsample": 0}, ValueError, "colsample must be in"),
        ({"max_depth": 0}, ValueError, r"max_depth must be in \[1, inf\]"),
        ({"num_leaves": 1}, ValueError, r"num_leaves must be in \[2, inf\]"),
        ({"reg_lambda": -1.0}, ValueError, "reg_lambda must be in"),
        ({"n_jobs": 0}, ValueError, "n_jobs must be a non-zero integer"),
        ({"random_state": "seed"}, TypeError, "random_state must be None, an int"),
        ({"validation_fraction": 1.0}, ValueError, r"validation_fraction must be in \(0.0, 1.0\)"),
        ({"early_stopping_rounds": 0}, ValueError, "early_stopping_rounds must be in"),
        ({"importance_type": "cover"}, ValueError, r"importance_type must be one of \['gain', 'split'\]"),
        ({"engine_params": [("max_depth", 2)]}, TypeError, "engine_params must be a dict"),
        ({"engine_params": {"objective": "reg:squarederror"}}, ValueError,
         "engine_params sets 'objective'.*loss=... and loss_params"),
        ({"engine_params": {"num_boost_round": 5}}, ValueError, "use n_estimators"),
        ({"engine_params": {"base_score": 0.5}}, ValueError, "init_score"),
        ({"backend": "lightgbm", "engine_params": {"num_iterations": 5}}, ValueError,
         "use n_estimators"),
        ({"backend": "lightgbm", "engine_params": {"early_stopping_round": 5}}, ValueError,
         "use early_stopping_rounds"),
        ({"loss": "hubber"}, ValueError, "BoostLossRegressor: unknown loss 'hubber'. Valid names"),
        ({"loss": "huber", "loss_params": {"alpha": 1.0}}, ValueError,
         r"huber got unknown parameters \['alpha'\]"),
        ({"loss": "huber", "loss_params": {"delta": -1.0}}, ValueError, "delta must be in"),
        ({"loss_params": "delta=1"}, TypeError, "loss_params must be a dict"),
        ({"loss": "auto"}, ValueError, "BoostLossRegressor has no loss='auto'"),
    ],
)
def test_invalid_parameters_are_refused_at_fit(params, error, match):
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10.0)
    model = BoostLossRegressor(**params)  # __init__ stores, never validates
    with pytest.raises(error, match=match):
        model.fit(X, y)


def _boosting_params(**overrides) -> BoostingParams:
    return BoostingParams.from_estimator(BoostLossRegressor(**overrides))


def test_parameter_names_map_to_each_engine():
    p = _boosting_params(learning_rate=0.05, max_depth=3, num_leaves=7, min_child_weight=2.0,
                         subsample=0.8, colsample=0.5, reg_lambda=3.0, random_state=11,
                         n_jobs=2)
    assert xgboost_params(p) == {
        "eta": 0.05, "verbosity": 0, "max_depth": 3, "max_leaves": 7, "min_child_weight": 2.0,
        "lambda": 3.0, "seed": 11, "nthread": 2, "subsample": 0.8, "colsample_bytree": 0.5,
    }
    assert lightgbm_params(p) == {
        "learning_rate": 0.05, "verbosity": -1, "feature_pre_filter": False, "max_depth": 3,
        "num_leaves": 7, "min_sum_hessian_in_leaf": 2.0, "lambda_l2": 3.0, "seed": 11,
        "num_threads": 2, "bagging_fraction": 0.8, "bagging_freq": 1, "feature_fraction": 0.5,
    }
    # None keeps the engine default: the key is not sent at all.
    defaults = _boosting_params()
    assert set(xgboost_params(defaults)) == {"eta", "verbosity"}
    assert set(lightgbm_params(defaults)) == {"learning_rate", "verbosity", "feature_pre_filter"}


def test_engine_params_win_and_aliases_replace_the_estimator_value():
    p = _boosting_params(learning_rate=0.05, reg_lambda=2.0,
                         engine_params={"learning_rate": 0.5, "reg_lambda": 9.0, "gamma": 1.0})
    xgb_params = xgboost_params(p)
    assert "eta" not in xgb_params and xgb_params["learning_rate"] == 0.5
    assert "lambda" not in xgb_params and xgb_params["reg_lambda"] == 9.0
    assert xgb_params["gamma"] == 1.0
    p = _boosting_params(backend="lightgbm", subsample=0.5, engine_params={"subsample_freq": 3,
                                                                           "eta": 0.2})
    lgb_params = lightgbm_params(p)
    assert "bagging_freq" not in lgb_params and lgb_params["subsample_freq"] == 3
    assert "learning_rate" not in lgb_params and lgb_params["eta"] == 0.2


def test_random_state_instances_give_a_reproducible_engine_seed():
    seeds = [_boosting_params(random_state=np.random.RandomState(5)).seed for _ in range(2)]
    assert seeds[0] == seeds[1] and isinstance(seeds[0], int)
    assert _boosting_params(random_state=None).seed is None
    assert _boosting_params(n_jobs=-1).n_jobs >= 1


def _leaves_per_tree(model) -> list[int]:
    if model.backend == "xgboost":
        frame = model.booster_.trees_to_dataframe()
        return frame[frame.Feature == "Leaf"].groupby("Tree").size().tolist()
    return [tree["num_leaves"] for tree in model.booster_.dump_model()["tree_info"]]


@pytest.mark.parametrize("backend", BACKENDS)
def test_tree_size_parameters_reach_the_engine(diabetes, backend):
    X, y = diabetes
    stumps = BoostLossRegressor(backend=backend, max_depth=1, **FAST).fit(X, y)
    assert max(_leaves_per_tree(stumps)) == 2
    small = BoostLossRegressor(backend=backend, num_leaves=3, max_depth=4,
                               engine_params={"grow_policy": "lossguide"}
                               if backend == "xgboost" else None, **FAST).fit(X, y)
    assert max(_leaves_per_tree(small)) == 3
    deep = BoostLossRegressor(backend=backend, max_depth=1, engine_params={"max_depth": 3},
                              **FAST).fit(X, y)
    assert max(_leaves_per_tree(deep)) > 2  # engine_params override the estimator


# --------------------------------------------------------------------------- regressor
def test_regressor_refuses_classification_losses_and_names_the_regression_ones(cancer):
    X, y = cancer
    with pytest.raises(ValueError) as info:
        BoostLossRegressor(loss="logistic").fit(X, y)
    message = str(info.value)
    assert "'logistic' is a binary classification loss, not a regression loss" in message
    for name in ("squared_error", "huber", "quantile", "poisson", "tweedie"):
        assert name in message
    assert "BoostLossClassifier" in message


def test_regressor_reports_labels_outside_the_loss_domain():
    X, y = np.random.default_rng(0).normal(size=(30, 2)), np.linspace(-1.0, 5.0, 30)
    with pytest.raises(ValueError, match="poisson: labels must be >= 0"):
        BoostLossRegressor(loss="poisson").fit(X, y)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("loss", "loss_params"), [("poisson", None), ("gamma", None),
                                                   ("tweedie", {"power": 1.3})])
def test_regressor_predicts_the_response_transform_of_raw(diabetes, backend, loss, loss_params):
    X, y = diabetes
    model = BoostLossRegressor(loss=loss, loss_params=loss_params, backend=backend,
                               **FAST).fit(X, y)
    prediction = model.predict(X)
    assert prediction.shape == (len(y),)
    assert_allclose(prediction, np.exp(raw_margin(model, X)), rtol=1e-12)
    assert np.corrcoef(prediction, y)[0, 1] > 0.7


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("loss", "loss_params", "expected"), [
    ("quantile", {"alpha": 0.8}, lambda y, w: np.quantile(np.repeat(y, w), 0.8,
                                                          method="inverted_cdf")),
    ("poisson", None, lambda y, w: np.average(y, weights=w)),
    ("squared_error", None, lambda y, w: np.average(y, weights=w)),
])
def test_fitting_starts_from_the_weighted_init_score(diabetes, backend, loss, loss_params,
                                                      expected):
    X, y = diabetes
    weight = np.random.default_rng(1).integers(1, 4, size=len(y))
    model = BoostLossRegressor(loss=loss, loss_params=loss_params, backend=backend,
                               n_estimators=1, learning_rate=1e-12, n_jobs=1)
    prediction = model.fit(X, y, sample_weight=weight).predict(X[:5])
    start = model.loss_.init_score(y, weight)
    assert_allclose(prediction, model.loss_.transform(np.full(5, start)), rtol=1e-6)
    assert_allclose(prediction, expected(y, weight), rtol=1e-3)


@pytest.mark.parametrize("backend", BACKENDS)
def test_quantile_with_several_levels_predicts_one_column_per_level(diabetes, backend):
    X, y = diabetes
    levels = [0.1, 0.5, 0.9]
    model = BoostLossRegressor(loss="quantile", loss_params={"alpha": levels}, backend=backend,
                               **FAST).fit(X, y)
    prediction = model.predict(X)
    assert prediction.shape == (len(y), 3)
    below = (y[:, None] <= prediction).mean(axis=0)
    assert_allclose(below, levels, atol=0.1)  # in-sample coverage near each level
    assert np.mean(np.diff(prediction, axis=1) > 0) > 0.95
    assert model.feature_importances_.shape == (X.shape[1],)


# --------------------------------------------------------------------------- classifier
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("labels", [
    np.array(["benign", "malignant"]), np.array([3, 7]), np.array([-1, 1]),
    np.array([False, True]), np.array([1.0, 2.0]),
], ids=["str", "int", "signed", "bool", "float"])
def test_classes_of_any_label_type(cancer, backend, labels):
    X, y = cancer
    reference = BoostLossClassifier(loss="logistic", backend=backend, **FAST).fit(X, y)
    model = BoostLossClassifier(loss="logistic", backend=backend, **FAST).fit(X, labels[y])
    assert_array_equal(model.classes_, labels)
    assert model.n_classes_ == 2
    assert_array_equal(model.predict(X), labels[reference.predict(X)])
    assert_allclose(model.decision_function(X), reference.decision_function(X))
    assert model.predict(X).dtype == labels.dtype


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("loss", "loss_params"), [("logistic", None),
                                                   ("focal", {"gamma": 2.0}),
                                                   ("logistic", {"pos_weight": 3.0})])
def test_binary_probabilities_follow_classes_and_the_decision_function(cancer, backend, loss,
                                                                      loss_params):
    X, y = cancer
    labels = np.array(["no", "yes"])[y]
    model = BoostLossClassifier(loss=loss, loss_params=loss_params, backend=backend,
                                **FAST).fit(X, labels)
    decision = model.decision_function(X)
    proba = model.predict_proba(X)
    assert decision.shape == (len(y),) and proba.shape == (len(y), 2)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_allclose(proba[:, 1], expit(decision), rtol=1e-10)
    assert_allclose(decision, raw_margin(model, X))
    assert_array_equal(model.predict(X), model.classes_[(decision > 0).astype(int)])
    assert_allclose(model.predict_log_proba(X), np.log(proba))
    assert model.score(X, labels) > 0.9


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "softmax_focal", "auto"])
def test_multiclass_probabilities_are_the_softmax_of_the_raw_scores(iris, backend, loss):
    X, y = iris
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    model = BoostLossClassifier(loss=loss, backend=backend, **FAST).fit(X, labels)
    decision = model.decision_function(X)
    assert decision.shape == (len(y), 3)
    assert_allclose(model.predict_proba(X), softmax(decision, axis=1), rtol=1e-10)
    assert_array_equal(model.predict(X), model.classes_[decision.argmax(axis=1)])
    assert model.score(X, labels) > 0.9
    if loss == "auto":
        assert model.loss_.name == "softmax_cross_entropy"


@pytest.mark.parametrize("backend", BACKENDS)
def test_multiclass_loss_on_two_classes_gives_a_one_column_decision(cancer, backend):
    X, y = cancer
    model = BoostLossClassifier(loss="softmax_cross_entropy", backend=backend,
                                **FAST).fit(X, y)
    raw = raw_margin(model, X)
    assert raw.shape == (len(y), 2)
    decision = model.decision_function(X)
    assert_allclose(decision, raw[:, 1] - raw[:, 0])
    assert_allclose(model.predict_proba(X)[:, 1], expit(decision), rtol=1e-10)
    assert_array_equal(model.predict(X), (decision > 0).astype(int))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("loss", ["squared_hinge", "smooth_hinge"])
def test_margin_losses_predict_by_sign_and_have_no_probabilities(cancer, backend, loss):
    X, y = cancer
    labels = np.array(["benign", "malignant"])[y]
    model = BoostLossClassifier(loss=loss, backend=backend, **FAST)
    assert not hasattr(model, "predict_proba")  # known from the loss name, before fit
    model.fit(X, labels)
    assert not hasattr(model, "predict_proba") and not hasattr(model, "predict_log_proba")
    with pytest.raises(AttributeError, match=f"not available for loss '{loss}'.*margin loss"):
        model.predict_proba(X)
    margin = model.decision_function(X)
    assert_array_equal(model.predict(X), model.classes_[(margin > 0).astype(int)])
    assert model.score(X, labels) > 0.9


def test_regression_loss_in_the_classifier_is_refused_with_the_classification_losses(cancer):
    X, y = cancer
    with pytest.raises(ValueError) as info:
        BoostLossClassifier(loss="huber").fit(X, y)
    message = str(info.value)
    assert "'huber' is a regression loss; it cannot fit class labels" in message
    for name in ("logistic", "focal", "squared_hinge", "softmax_cross_entropy",
                 "softmax_focal", "multilabel_logistic", "BoostLossRegressor"):
        assert name in message


@pytest.mark.parametrize("loss", ["focal", "logistic", "squared_hinge", "dice"])
def test_binary_loss_refuses_multiclass_data_and_names_multiclass_losses(iris, loss):
    X, y = iris
    with pytest.raises(ValueError) as info:
        BoostLossClassifier(loss=loss, **FAST).fit(X, y)
    message = str(info.value)
    assert f"Only binary classification is supported by loss '{loss}'" in message
    assert "y has 3 classes" in message
    assert "softmax_cross_entropy, softmax_focal" in message


def test_one_class_is_refused(cancer):
    X, y = cancer
    with pytest.raises(ValueError, match="at least 2 classes.*only one class: 'a'"):
        BoostLossClassifier().fit(X, np.full(len(y), "a"))


def test_continuous_targets_are_refused_by_the_classifier(diabetes):
    X, y = diabetes
    with pytest.raises(ValueError, match="Unknown label type"):
        BoostLossClassifier().fit(X, y + 0.5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_multilabel_indicator_targets(backend):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] > 0.5]).astype(int)
    model = BoostLossClassifier(backend=backend, **FAST).fit(X, Y)
    assert model.loss_.name == "multilabel_logistic"
    assert_array_equal(model.classes_, [0, 1, 2])
    proba = model.predict_proba(X)
    assert proba.shape == (300, 3)
    assert_allclose(proba, expit(model.decision_function(X)), rtol=1e-10)
    assert_array_equal(model.predict(X), (proba > 0.5).astype(int))
    assert (model.predict(X) == Y).mean() > 0.9
    with pytest.raises(ValueError, match="y is a multilabel indicator matrix of 3 labels"):
        BoostLossClassifier(loss="logistic").fit(X, Y)
    with pytest.raises(ValueError, match="'multilabel_logistic' needs y as a 2-D 0/1 indicator"):
        BoostLossClassifier(loss="multilabel_logistic").fit(X, Y[:, 0])


# --------------------------------------------------------------------------- early stopping
@pytest.mark.parametrize("backend", BACKENDS)
def test_early_stopping_on_an_eval_set_uses_the_best_round(diabetes, backend):
    X, y = diabetes
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, random_state=0)
    params = dict(loss="huber", loss_params={"delta": 20.0}, backend=backend,
                  learning_rate=0.3, n_jobs=1, random_state=0)
    model = BoostLossRegressor(n_estimators=200, early_stopping_rounds=5, **params)
    model.fit(X_train, y_train, eval_set=[(X_valid, y_valid)])
    curve = np.asarray(model.evals_result_["valid_0"]["huber"])
    assert list(model.evals_result_) == ["valid_0"]
    assert model.best_iteration_ < 100  # noisy data: stops long before 200 rounds
    assert len(curve) == model.best_iteration_ + 1 + 5
    assert model.best_iteration_ == int(np.argmin(curve))
    # predict uses the best round: the same as training exactly that many rounds
    short = BoostLossRegressor(n_estimators=model.best_iteration_ + 1, **params)
    assert_allclose(model.predict(X_valid), short.fit(X_train, y_train).predict(X_valid),
                    rtol=1e-6)
    # the reported metric is the loss's metric of the returned model at the best round
    assert_allclose(curve[model.best_iteration_],
                    model.loss_.metric(y_valid, model.predict(X_valid)), rtol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_early_stopping_holds_out_a_validation_fraction(cancer, backend):
    X, y = cancer
    model = BoostLossClassifier(loss="focal", backend=backend, n_estimators=300,
                                learning_rate=0.5, early_stopping_rounds=3,
                                validation_fraction=0.25, n_jobs=1, random_state=0).fit(X, y)
    assert list(model.evals_result_) == ["validation"]
    assert len(model.evals_result_["validation"]["focal"]) < 300
    assert model.best_iteration_ < 300
    with pytest.raises(ValueError, match="needs validation data: pass fit"):
        clone(model).set_params(validation_fraction=None).fit(X, y)


@pytest.mark.parametrize("backend", BACKENDS)
def test_eval_sets_are_weighted_and_recorded_without_early_stopping(cancer, backend):
    X, y = cancer
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, random_state=1)
    weight = np.random.default_rng(2).uniform(0.2, 3.0, size=len(y_valid))
    model = BoostLossClassifier(loss="logistic", backend=backend, **FAST)
    model.fit(X_train, y_train, eval_set=[(X_train, y_train), (X_valid, y_valid)],
              eval_sample_weight=[None, weight])
    assert list(model.evals_result_) == ["valid_0", "valid_1"]
    assert model.best_iteration_ == FAST["n_estimators"] - 1
    last = model.evals_result_["valid_1"]["logistic"][-1]
    expected = model.loss_.metric(y_valid, model.decision_function(X_valid), weight)
    assert_allclose(last, expected, rtol=1e-5)
    unweighted = model.loss_.metric(y_valid, model.decision_function(X_valid))
    assert abs(last - unweighted) > 1e-4  # the weights did change the value


def test_eval_set_errors_are_clear(cancer):
    X, y = cancer
    labels = np.array(["a", "b"])[y]
    model = BoostLossClassifier(**FAST)
    with pytest.raises(ValueError, match=r"eval_set\[0\]: y contains labels not seen.*\['c'\]"):
        model.fit(X, labels, eval_set=[(X[:5], np.array(["a", "b", "c", "a", "b"]))])
    with pytest.raises(TypeError, match="eval_set must be a list of"):
        model.fit(X, labels, eval_set=(X, labels))
    with pytest.raises(ValueError, match="X has 5 features, but BoostLossClassifier is "
                                         "expecting 10 features"):
        model.fit(X, labels, eval_set=[(X[:, :5], labels)])
    with pytest.raises(ValueError, match="one entry .* per eval_set pair: got 2 for 1"):
        model.fit(X, labels, eval_set=[(X, labels)], eval_sample_weight=[None, None])


@pytest.mark.parametrize("backend", BACKENDS)
def test_verbose_shows_a_progress_bar_with_the_metric(diabetes, backend, capsys):
    X, y = diabetes
    BoostLossRegressor(loss="log_cosh", backend=backend, verbose=True, **FAST).fit(X, y)
    err = capsys.readouterr().err
    assert f"{backend} log_cosh" in err and "20/20" in err
    assert "training log_cosh=" in err  # no eval set: the bar shows the training metric
    BoostLossRegressor(loss="log_cosh", backend=backend, verbose=True, **FAST).fit(
        X, y, eval_set=[(X[:50], y[:50])])
    assert "valid_0 log_cosh=" in capsys.readouterr().err
    model = BoostLossRegressor(loss="log_cosh", backend=backend, **FAST).fit(X, y)
    assert capsys.readouterr().err == ""
    assert model.evals_result_ == {}


# --------------------------------------------------------------------------- weights
@pytest.mark.parametrize(("model", "data"), [
    (BoostLossRegressor(loss="huber", loss_params={"delta": 30.0}, **FAST), "diabetes"),
    (BoostLossRegressor(loss="poisson", **FAST), "diabetes"),
    (BoostLossClassifier(loss="focal", **FAST), "cancer"),
    (BoostLossClassifier(loss="softmax_cross_entropy", **FAST), "iris"),
], ids=["huber", "poisson", "focal", "softmax"])
def test_zero_weights_equal_dropping_the_rows_xgboost(model, data, request):
    X, y = request.getfixturevalue(data)
    keep = np.random.default_rng(0).random(len(y)) < 0.5
    weighted = clone(model).fit(X, y, sample_weight=keep.astype(float))
    dropped = clone(model).fit(X[keep], y[keep])
    method = "predict" if isinstance(model, BoostLossRegressor) else "decision_function"
    assert_allclose(getattr(weighted, method)(X), getattr(dropped, method)(X), rtol=1e-5,
                    atol=1e-5)


def test_zero_weights_equal_dropping_the_rows_lightgbm(diabetes):
    # LightGBM bins features on every row and estimates leaf counts from Hessian sums, so
    # weight-0 rows change native LightGBM too unless they add no new feature values and
    # the count limits are off (min_data_in_leaf=0, min_data_in_bin=1). Under those
    # conditions the weights must act exactly like dropping the rows.
    X, y = diabetes
    rng = np.random.default_rng(0)
    X_double = np.vstack([X, X[rng.permutation(len(y))]])
    y_double = np.concatenate([y, 3.0 * rng.permutation(y)])
    weight = np.r_[np.ones(len(y)), np.zeros(len(y))]
    model = BoostLossRegressor(loss="poisson", backend="lightgbm", n_estimators=5,
                               learning_rate=0.3, n_jobs=1,
                               engine_params={"min_data_in_leaf": 0, "min_data_in_bin": 1})
    weighted = clone(model).fit(X_double, y_double, sample_weight=weight)
    assert_allclose(weighted.predict(X), clone(model).fit(X, y).predict(X), rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_sample_weights_change_the_fit(diabetes, backend):
    X, y = diabetes
    weight = np.where(y > np.median(y), 10.0, 1.0)  # the upper half counts ten times
    plain = BoostLossRegressor(loss="log_cosh", backend=backend, **FAST).fit(X, y)
    weighted = BoostLossRegressor(loss="log_cosh", backend=backend, **FAST).fit(
        X, y, sample_weight=weight)
    assert weighted.predict(X).mean() > plain.predict(X).mean() + 10.0
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        clone(plain).fit(X, y, sample_weight=-weight)
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(442,\)"):
        clone(plain).fit(X, y, sample_weight=weight[:10])


# --------------------------------------------------------------------------- data formats
@pytest.mark.parametrize("backend", BACKENDS)
def test_pandas_input_keeps_feature_names(diabetes, backend):
    X, y = diabetes
    columns = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6[x]"]
    frame = pd.DataFrame(X, columns=columns)
    model = BoostLossRegressor(loss="huber", loss_params={"delta": 20.0}, backend=backend,
                               **FAST).fit(frame, pd.Series(y))
    assert_array_equal(model.feature_names_in_, columns)
    assert model.n_features_in_ == 10
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        assert_allclose(model.predict(frame), model.predict(frame.to_numpy()))
    importances = model.feature_importances_
    assert importances.shape == (10,) and importances.sum() == pytest.approx(1.0)
    assert columns[int(np.argmax(importances))] in ("bmi", "s5")  # diabetes' strongest
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(frame[columns[::-1]])


@pytest.mark.parametrize("backend", BACKENDS)
def test_split_importances_count_the_splits(diabetes, backend):
    X, y = diabetes
    model = BoostLossRegressor(backend=backend, importance_type="split", max_depth=1, **FAST)
    model.fit(X, y)
    splits = model.feature_importances_ * FAST["n_estimators"]  # one split per stump
    assert_allclose(splits, np.round(splits), atol=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_values_and_sparse_input(diabetes, backend):
    X, y = diabetes
    X_missing = X.copy()
    X_missing[::7, 2] = np.nan
    model = BoostLossRegressor(backend=backend, **FAST).fit(X_missing, y)
    assert np.all(np.isfinite(model.predict(X_missing)))
    X_sparse = sparse.csr_array(np.where(np.abs(X) > 0.03, X, 0.0))
    model = BoostLossRegressor(backend=backend, **FAST).fit(X_sparse, y)
    assert model.predict(X_sparse).shape == (len(y),)
    with pytest.raises(ValueError, match="Input X contains infinity"):
        model.fit(np.where(np.isnan(X_missing), np.inf, X_missing), y)


# --------------------------------------------------------------------------- composition
@pytest.mark.parametrize("backend", BACKENDS)
def test_pipeline_column_transformer_and_grid_search_over_losses(diabetes, backend):
    X, y = diabetes
    frame = pd.DataFrame(X[:, 2:6], columns=["bmi", "bp", "s1", "s2"])
    frame["sex"] = np.where(X[:, 1] > 0, "m", "f")
    pipeline = Pipeline([
        ("prepare", ColumnTransformer([
            ("numeric", StandardScaler(), ["bmi", "bp", "s1", "s2"]),
            ("category", OneHotEncoder(), ["sex"]),
        ])),
        ("model", BoostLossRegressor(backend=backend, **FAST)),
    ])
    grid = [
        {"model__loss": ["huber"], "model__loss_params": [{"delta": 5.0}, {"delta": 50.0}]},
        {"model__loss": ["log_cosh", "squared_error"], "model__loss_params": [None]},
    ]
    search = GridSearchCV(pipeline, grid, cv=3, error_score="raise").fit(frame, y)
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 4 and np.all(np.isfinite(scores)) and scores.max() > 0.2
    # the huber fits differ with delta, so loss_params did reach the loss
    assert scores[0] != scores[1]
    best = search.best_estimator_.named_steps["model"]
    assert best.loss_.name == search.best_params_["model__loss"]
    assert search.predict(frame).shape == (len(y),)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("make", [
    lambda b: BoostLossRegressor(loss="quantile", loss_params={"alpha": [0.2, 0.8]},
                                 backend=b, **FAST),
    lambda b: BoostLossClassifier(loss="softmax_focal", backend=b, **FAST),
    lambda b: BoostLossClassifier(loss="smooth_hinge", backend=b, early_stopping_rounds=3,
                                  **FAST),
], ids=["multi_quantile", "softmax_focal", "smooth_hinge"])
def test_pickle_round_trip_predicts_identically(iris, backend, make):
    X, y = iris
    model = make(backend)
    target = y.astype(float) if isinstance(model, BoostLossRegressor) else \
        (y if model.loss == "softmax_focal" else np.array(["a", "b"])[(y > 0).astype(int)])
    model.fit(X, target)
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict(X), model.predict(X))
    if hasattr(model, "decision_function"):
        assert_array_equal(restored.decision_function(X), model.decision_function(X))
    assert restored.best_iteration_ == model.best_iteration_
    assert restored.loss_ == model.loss_
    assert_array_equal(restored.feature_importances_, model.feature_importances_)


# --------------------------------------------------------------------------- parity
def _parity_tolerance(y):
    return dict(rtol=1e-5, atol=1e-6 * max(1.0, float(np.std(y))))


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_squared_error_matches_xgbregressor(diabetes, weighted):
    import xgboost as xgb

    X, y = diabetes
    weight = np.random.default_rng(3).uniform(0.5, 2.0, len(y)) if weighted else None
    common = dict(n_estimators=30, learning_rate=0.2, max_depth=4, min_child_weight=2.0,
                  reg_lambda=0.5, subsample=0.8, random_state=7, n_jobs=1)
    ours = BoostLossRegressor(loss="squared_error", backend="xgboost", colsample=0.7, **common)
    ours.fit(X, y, sample_weight=weight)
    native = xgb.XGBRegressor(objective="reg:squarederror", colsample_bytree=0.7,
                              base_score=float(np.average(y, weights=weight)),
                              tree_method="hist", **common)
    native.fit(X, y, sample_weight=weight)
    assert_allclose(ours.predict(X), native.predict(X, output_margin=True),
                    **_parity_tolerance(y))


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_squared_error_matches_lgbmregressor(diabetes, weighted):
    import lightgbm as lgb

    X, y = diabetes
    weight = np.random.default_rng(3).uniform(0.5, 2.0, len(y)) if weighted else None
    common = dict(n_estimators=30, learning_rate=0.2, max_depth=4, num_leaves=10,
                  min_child_weight=1e-3, reg_lambda=0.5, subsample=0.8, random_state=7,
                  n_jobs=1)
    # No colsample here: LightGBM itself draws different feature subsets for a custom
    # objective than for a built-in one with the same seed (its first update() re-creates
    # the tree learner, see test_lightgbm_feature_fraction_differs_for_custom_objectives).
    ours = BoostLossRegressor(loss="squared_error", backend="lightgbm", **common)
    ours.fit(X, y, sample_weight=weight)
    # LGBMRegressor bags only with subsample_freq > 0; boost_from_average (the default)
    # starts from the weighted mean of y, the loss's init score.
    native = lgb.LGBMRegressor(objective="regression", subsample_freq=1, verbose=-1, **common)
    native.fit(X, y, sample_weight=weight)
    assert_allclose(ours.predict(X), native.predict(X, raw_score=True), **_parity_tolerance(y))


def test_logistic_matches_xgbclassifier(cancer):
    import xgboost as xgb

    X, y = cancer
    common = dict(n_estimators=20, learning_rate=0.3, max_depth=3, random_state=0, n_jobs=1)
    ours = BoostLossClassifier(loss="logistic", backend="xgboost", **common).fit(X, y)
    native = xgb.XGBClassifier(objective="binary:logistic", base_score=float(y.mean()),
                               tree_method="hist", **common).fit(X, y)
    assert_allclose(ours.decision_function(X), native.predict(X, output_margin=True),
                    rtol=1e-5, atol=1e-5)
    assert_allclose(ours.predict_proba(X), native.predict_proba(X), atol=1e-6)


def test_lightgbm_feature_fraction_differs_for_custom_objectives(diabetes):
    """Documents an engine fact (not a boostloss choice): plain ``lgb.train`` with a custom
    squared-error objective and feature_fraction < 1 builds different trees than the
    built-in ``regression`` objective with the same seed, so colsample parity with
    LGBMRegressor cannot hold. Without feature sampling the two agree exactly."""
    import lightgbm as lgb

    X, y = diabetes

    def squared_error(preds, data):
        return preds - data.get_label(), np.ones_like(preds)

    def fit(objective, fraction):
        params = dict(objective=objective, feature_fraction=fraction, seed=7, num_threads=1,
                      verbosity=-1)
        start = np.full(len(y), y.mean()) if callable(objective) else None
        booster = lgb.train(params, lgb.Dataset(X, y, init_score=start), 10)
        return booster.predict(X, raw_score=True) + (y.mean() if callable(objective) else 0)

    assert_allclose(fit(squared_error, 1.0), fit("regression", 1.0), rtol=1e-6)
    assert np.abs(fit(squared_error, 0.7) - fit("regression", 0.7)).max() > 1.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_loss_instance_works_like_its_name(cancer, backend):
    X, y = cancer
    by_name = BoostLossClassifier(loss="focal", loss_params={"gamma": 1.0}, backend=backend,
                                  **FAST).fit(X, y)
    instance = bl.get_loss("focal", gamma=1.0)
    by_instance = BoostLossClassifier(loss=instance, backend=backend, **FAST)
    assert clone(by_instance).loss == instance
    by_instance.fit(X, y)
    assert by_instance.loss_ == instance
    assert_allclose(by_instance.decision_function(X), by_name.decision_function(X))
    with pytest.raises(TypeError, match="pass either a loss instance or a name with parameters"):
        BoostLossClassifier(loss=instance, loss_params={"gamma": 2.0}).fit(X, y)
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        BoostLossClassifier(loss=instance).fit(X, np.arange(len(y)) % 3)


def test_clone_keeps_a_loss_instance():
    instance = bl.get_loss("quantile", alpha=[0.1, 0.9])
    copy = clone(BoostLossRegressor(loss=instance))
    assert copy.loss == instance and copy.loss is not instance
    X, y = np.random.default_rng(0).normal(size=(60, 3)), np.random.default_rng(1).normal(size=60)
    search = GridSearchCV(BoostLossRegressor(n_estimators=5, n_jobs=1),
                          {"loss": [bl.get_loss("huber", delta=0.5), "log_cosh"]}, cv=2,
                          error_score="raise").fit(X, y)
    assert len(search.cv_results_["mean_test_score"]) == 2
