"""Drop-in ``LGBMRegressor`` / ``LGBMClassifier``: lightgbm's own scikit-learn classes, trained
on a boostloss loss by ``boostloss.lightgbm.train``.

Changing the import is the whole change for a user::

    from boostloss.lightgbm import LGBMClassifier        # instead of: from lightgbm import ...
    model = LGBMClassifier(loss="focal", loss_params={"gamma": 2.0}, n_estimators=500)
    model.fit(X, y, eval_set=[(X_valid, y_valid)], callbacks=[lgb.early_stopping(50)])
    model.predict_proba(X_valid)                         # (n, 2), rows sum to 1

``loss`` (a name, alias or Loss) and ``loss_params`` are constructor parameters beside every
LightGBM parameter. ``fit`` builds the Datasets as the parent class does (pandas with feature
names and categorical columns, class weights, eval sets, init_score offsets) and hands them to
``boostloss.lightgbm.train``, which starts from the loss's best constant (folded into the first
trees, so ``booster_.predict(X, raw_score=True)`` and a saved model file include it),
multiplies sample weights into grad/hess, renews leaves of absolute_error / quantile, trains
one booster per column for multi-quantile / multilabel losses, and reports the loss's metric
on every eval set (``lgb.early_stopping`` watches it; ``eval_metric`` adds metrics).
``predict`` is on the response scale, ``raw_score=True`` gives raw scores with the intercept.

Without ``loss`` but with an ``objective`` the estimator is exactly the parent class.

Engine behaviours relied on / worked around (lightgbm 4.7):

- ``loss`` is a LightGBM alias of ``objective``: the parent's parameter processing would take
  the boostloss ``loss`` for a LightGBM objective, so it runs on a copy of the estimator seen
  as the parent class (``_process_params``), and ``set_params`` keeps ``loss``/``loss_params``
  out of the parameters it forwards to LightGBM.
- The parent's ``fit`` calls ``lightgbm.train`` directly (no intercept for a custom objective,
  no leaf renewal, no per-column models), so ``fit`` builds the Datasets itself, with the
  parent's helpers (``_LGBMValidateData``, ``_validate_eval_set_Xy``), and sets the fitted
  attributes the parent's properties read (``_Booster``, ``_evals_result``, ...).
- ``LGBMClassifier.predict_proba`` returns raw scores for a callable objective: the
  drop-in computes probabilities and labels from the raw scores itself.
- LightGBM's scikit-learn classes have no ``save_model``/``load_model``: pickle/joblib keep
  everything; ``booster_.save_model`` keeps the trees with the intercept, and
  ``boostloss.lightgbm.predict(lgb.Booster(model_file=...), X, loss=...)`` gives the response.
"""

from __future__ import annotations

import copy
from typing import Any

import lightgbm as lgb
import numpy as np
from lightgbm.compat import (
    _LGBMCheckSampleWeight,
    _LGBMComputeSampleWeight,
    _LGBMValidateData,
    pd_DataFrame,
)
from lightgbm.sklearn import LGBMModel, _EvalFunctionWrapper, _validate_eval_set_Xy
from sklearn.utils.validation import check_is_fitted

from .._dropin import (
    LossClassifierMixin,
    LossParamsMixin,
    check_loss_params,
    classification_loss,
    encode_classes,
    encode_eval_classes,
    needs_probabilities,
    predict_classes,
    predict_proba,
    regression_loss,
)
from ..losses.base import Loss
from ._engine import find_param, param_aliases
from ._model import BoostLossMultiOutputModel

__all__ = ["LGBMRegressor", "LGBMClassifier"]

_OWN_PARAMS = ("loss", "loss_params")


def _split_eval_metric(eval_metric) -> tuple[list[str], list]:
    """(built-in metric names, fevals) from a scikit-learn ``eval_metric``."""
    metrics = [] if eval_metric is None else (
        list(eval_metric) if isinstance(eval_metric, list) else [eval_metric])
    return ([m for m in metrics if isinstance(m, str)],
            [_EvalFunctionWrapper(m) for m in metrics if callable(m)])


class _BoostLossLGBMModel(LossParamsMixin):
    """What both drop-in classes add to LightGBM's ``LGBMModel``."""

    _engine_class: type
    loss: Any
    loss_params: dict | None

    # ------------------------------------------------------------------ parameters
    def set_params(self, **params: Any):
        for key in _OWN_PARAMS:  # not forwarded: LightGBM reads "loss" as its objective
            if key in params:
                setattr(self, key, params.pop(key))
        return super().set_params(**params)

    def _process_params(self, stage: str) -> dict[str, Any]:
        view = copy.copy(self)
        view.__class__ = self._engine_class  # get_params without loss / loss_params
        params = view._process_params(stage)
        self._objective = view._objective
        return params

    def _uses_loss(self) -> bool:
        """True: train on a boostloss loss; False: the engine's own objective was given."""
        check_loss_params(type(self).__name__, self.loss, self.loss_params, self.objective)
        return not (self.loss is None and self.objective is not None)

    # ------------------------------------------------------------------ training
    def _train_on_loss(self, loss: Loss, X, y, *, sample_weight, init_score, eval_set,
                       eval_names, eval_sample_weight, eval_init_score, eval_metric,
                       feature_name, categorical_feature, callbacks, init_model) -> None:
        """The parent's ``fit`` with ``boostloss.lightgbm.train`` in place of ``lightgbm.train``
        (labels already encoded, class weights already in the sample weights)."""
        from . import train

        if init_model is not None:
            raise ValueError(
                f"{type(self).__name__}(loss=...) does not continue training (init_model): the "
                "boostloss intercept and leaf renewal start with the first tree. Fit again."
            )
        self._objective = None
        params = self._process_params(stage="fit")
        params.pop("objective", None)
        builtin, fevals = _split_eval_metric(eval_metric)
        user_key, user_metric = find_param(self._other_params, "metric")
        for alias in param_aliases("metric"):
            params.pop(alias, None)
        chosen = [] if user_metric is None else (
            [user_metric] if isinstance(user_metric, str) else list(user_metric))
        chosen += [m for m in builtin if m not in chosen]
        if chosen:
            params["metric"] = chosen

        given = (X, y)  # an eval pair that is the training data shares its Dataset
        if isinstance(X, pd_DataFrame):
            self.n_features_in_ = X.shape[1]
        else:
            X, y = _LGBMValidateData(self, X, y, reset=True, accept_sparse=True,
                                     ensure_all_finite=False, ensure_min_samples=2,
                                     multi_output=loss.output_kind == "multilabel")
            if sample_weight is not None:
                sample_weight = _LGBMCheckSampleWeight(sample_weight, X)
        train_set = lgb.Dataset(X, label=y, weight=sample_weight, init_score=init_score,
                                categorical_feature=categorical_feature,
                                feature_name=feature_name, params=params)
        valid_sets = []
        for i, (X_valid, y_valid) in enumerate(eval_set or []):
            if X_valid is given[0] and y_valid is given[1]:
                valid_sets.append(train_set)
                continue
            valid_sets.append(lgb.Dataset(
                X_valid, label=y_valid, params=params,
                weight=None if eval_sample_weight is None else eval_sample_weight[i],
                init_score=None if eval_init_score is None else eval_init_score[i],
            ))
        evals_result: dict = {}
        try:
            model = train(params, train_set, self.n_estimators, loss=loss,
                          valid_sets=valid_sets or None, valid_names=eval_names,
                          callbacks=list(callbacks or []), evals_result=evals_result,
                          feval=fevals or None)
        except lgb.basic.LightGBMError as exc:
            if "num_features()) > (0)" not in str(exc):
                raise
            # LightGBM 4.7 aborts a custom objective when Dataset construction dropped every
            # feature (feature_pre_filter with min_data_in_leaf above what the rows allow)
            raise ValueError(
                f"{type(self).__name__}: LightGBM kept no feature it could split on "
                f"{train_set.num_data()} rows with min_child_samples="
                f"{self.min_child_samples} (min_data_in_leaf); lower min_child_samples or "
                "pass more rows."
            ) from None
        boosters = model.boosters if isinstance(model, BoostLossMultiOutputModel) else [model]
        self._boosters = boosters
        self._Booster = boosters[0]
        self._n_features = boosters[0].num_feature()
        names = boosters[0].feature_name()
        self._fitted_with_feature_names = names != [f"Column_{i}" for i in range(len(names))]
        self._evals_result = evals_result
        self._best_iteration = max(b.best_iteration for b in boosters)
        self._best_score = boosters[0].best_score
        self._objective = loss
        self.loss_ = loss
        self.fitted_ = True
        for booster in boosters:
            booster.free_dataset()

    # ------------------------------------------------------------------ prediction
    def _trained_on_loss(self) -> bool:
        return getattr(self, "loss_", None) is not None

    def _raw(self, X, start_iteration, num_iteration, validate_features, kwargs) -> np.ndarray:
        """Raw scores (intercept included): (n,), or (n, k) for multi-output losses."""
        columns = []
        for booster in self._boosters:
            view = self if len(self._boosters) == 1 else copy.copy(self)
            view._Booster = booster
            columns.append(LGBMModel.predict(
                view, X, raw_score=True, start_iteration=start_iteration,
                num_iteration=num_iteration, validate_features=validate_features, **kwargs))
        raw = columns[0] if len(columns) == 1 else np.column_stack(columns)
        return np.asarray(raw, dtype=np.float64)

    @property
    def feature_importances_(self) -> np.ndarray:
        """Importances summed over the boosters (one per output column for multi-quantile and
        multilabel losses), of ``importance_type``."""
        boosters = getattr(self, "_boosters", None)
        if boosters is None or len(boosters) == 1:
            return super().feature_importances_
        return np.sum([b.feature_importance(importance_type=self.importance_type)
                       for b in boosters], axis=0)


class LGBMRegressor(_BoostLossLGBMModel, lgb.LGBMRegressor):
    """``lightgbm.LGBMRegressor`` trained on a boostloss loss; ``predict`` on the response scale.

    Parameters
    ----------
    loss : str, Loss or None, default None
        A regression loss name or alias (``boostloss.available_losses()``) or a Loss
        instance; None means "squared_error", unless ``objective`` is given, which then makes
        this exactly ``lightgbm.LGBMRegressor``. ``loss`` together with ``objective`` is an
        error.
    loss_params : dict or None
        The loss's parameters, e.g. ``{"alpha": 0.9}`` for quantile, ``{"alpha": [0.1, 0.9]}``
        for two quantiles (one booster per level; ``predict`` returns (n, 2)).
    **kwargs
        Every ``lightgbm.LGBMRegressor`` parameter, with its meaning.

    ``predict(X)`` is ``loss.transform(raw)`` (the mean for log-link losses);
    ``predict(X, raw_score=True)`` the raw score, intercept included.
    """

    _engine_class = lgb.LGBMRegressor

    def fit(self, X, y, sample_weight=None, init_score=None, eval_set=None, eval_names=None,
            eval_sample_weight=None, eval_init_score=None, eval_metric=None,
            feature_name="auto", categorical_feature="auto", callbacks=None, init_model=None,
            *, eval_X=None, eval_y=None) -> LGBMRegressor:
        """As ``lightgbm.LGBMRegressor.fit``, on the loss (see the class docstring)."""
        if not self._uses_loss():
            self.loss_ = None
            return super().fit(
                X, y, sample_weight=sample_weight, init_score=init_score, eval_set=eval_set,
                eval_names=eval_names, eval_sample_weight=eval_sample_weight,
                eval_init_score=eval_init_score, eval_metric=eval_metric,
                feature_name=feature_name, categorical_feature=categorical_feature,
                callbacks=callbacks, init_model=init_model, eval_X=eval_X, eval_y=eval_y)
        loss = regression_loss("LGBMRegressor", self.loss, self.loss_params, "LGBMClassifier")
        self._train_on_loss(
            loss, X, y, sample_weight=sample_weight, init_score=init_score,
            eval_set=_validate_eval_set_Xy(eval_set=eval_set, eval_X=eval_X, eval_y=eval_y),
            eval_names=eval_names, eval_sample_weight=eval_sample_weight,
            eval_init_score=eval_init_score, eval_metric=eval_metric, feature_name=feature_name,
            categorical_feature=categorical_feature, callbacks=callbacks, init_model=init_model)
        return self

    def predict(self, X, raw_score: bool = False, start_iteration: int = 0,
                num_iteration: int | None = None, pred_leaf: bool = False,
                pred_contrib: bool = False, validate_features: bool = False, **kwargs: Any):
        """``loss.transform(raw)``: (n,), or (n, q) for quantile with q levels;
        ``raw_score=True`` returns the raw score (intercept included)."""
        if not self._trained_on_loss() or pred_leaf or pred_contrib:
            return super().predict(X, raw_score=raw_score, start_iteration=start_iteration,
                                   num_iteration=num_iteration, pred_leaf=pred_leaf,
                                   pred_contrib=pred_contrib,
                                   validate_features=validate_features, **kwargs)
        raw = self._raw(X, start_iteration, num_iteration, validate_features, kwargs)
        return raw if raw_score else self.loss_.transform(raw)


class _BoostLossLGBMClassifier(LossClassifierMixin, _BoostLossLGBMModel):
    """One base before lightgbm's class: its ``get_params`` looks for the parameters of the
    first or second base class only."""


class LGBMClassifier(_BoostLossLGBMClassifier, lgb.LGBMClassifier):
    """``lightgbm.LGBMClassifier`` trained on a boostloss loss, with labels of any type.

    Parameters
    ----------
    loss : str, Loss or None, default None
        A classification loss (binary: logistic, focal, squared_hinge, ...; multiclass:
        softmax_cross_entropy, softmax_focal, multiclass_hinge, ...; multilabel:
        multilabel_logistic, one booster per label) or a Loss instance; None or "auto" picks
        logistic / softmax_cross_entropy / multilabel_logistic from the labels, unless
        ``objective`` is given, which then makes this exactly ``lightgbm.LGBMClassifier``.
    loss_params : dict or None
        The loss's parameters, e.g. ``{"gamma": 2.0}`` for focal.
    **kwargs
        Every ``lightgbm.LGBMClassifier`` parameter, with its meaning (``class_weight``
        multiplies the sample weights, as in the parent).

    ``predict`` returns labels from ``classes_`` (the sign of the raw score for binary losses,
    the argmax for multiclass, a 0/1 matrix for multilabel); ``predict_proba`` is
    ``loss.transform(raw)`` as (n, n_classes) for losses with probabilities (margin losses
    raise AttributeError); ``decision_function`` and ``raw_score=True`` give raw scores,
    intercept included.
    """

    _engine_class = lgb.LGBMClassifier

    def fit(self, X, y, sample_weight=None, init_score=None, eval_set=None, eval_names=None,
            eval_sample_weight=None, eval_class_weight=None, eval_init_score=None,
            eval_metric=None, feature_name="auto", categorical_feature="auto", callbacks=None,
            init_model=None, *, eval_X=None, eval_y=None) -> LGBMClassifier:
        """As ``lightgbm.LGBMClassifier.fit``, on the loss, for labels of any type."""
        if not self._uses_loss():
            self.loss_ = None
            return super().fit(
                X, y, sample_weight=sample_weight, init_score=init_score, eval_set=eval_set,
                eval_names=eval_names, eval_sample_weight=eval_sample_weight,
                eval_class_weight=eval_class_weight, eval_init_score=eval_init_score,
                eval_metric=eval_metric, feature_name=feature_name,
                categorical_feature=categorical_feature, callbacks=callbacks,
                init_model=init_model, eval_X=eval_X, eval_y=eval_y)
        labels = encode_classes("LGBMClassifier", y)
        loss = classification_loss("LGBMClassifier", self.loss, self.loss_params, labels.target,
                                   labels.classes.size, "LGBMRegressor")
        self._classes, self._n_classes = labels.classes, int(labels.classes.size)
        self._n_classes = self._n_classes if labels.target == "multiclass" else 2
        sample_weight = self._class_weighted(self.class_weight, y, sample_weight)
        eval_set = _validate_eval_set_Xy(eval_set=eval_set, eval_X=eval_X, eval_y=eval_y)
        encoded_eval, eval_weights = None, eval_sample_weight
        if eval_set is not None:
            encoded_eval = [
                (X_eval, labels.codes) if X_eval is X and y_eval is y
                else (X_eval, encode_eval_classes("LGBMClassifier", labels, y_eval, i))
                for i, (X_eval, y_eval) in enumerate(eval_set)
            ]
            if eval_class_weight is not None:
                eval_weights = [
                    self._class_weighted(
                        eval_class_weight[i], y_eval,
                        None if eval_sample_weight is None else eval_sample_weight[i])
                    for i, (_, y_eval) in enumerate(eval_set)
                ]
        self._train_on_loss(
            loss, X, labels.codes, sample_weight=sample_weight, init_score=init_score,
            eval_set=encoded_eval, eval_names=eval_names, eval_sample_weight=eval_weights,
            eval_init_score=eval_init_score, eval_metric=eval_metric, feature_name=feature_name,
            categorical_feature=categorical_feature, callbacks=callbacks, init_model=init_model)
        self._n_classes = int(labels.classes.size)
        return self

    @staticmethod
    def _class_weighted(class_weight, y, sample_weight):
        """Sample weights times the class weights (dict keyed by the user's labels, or
        "balanced"), as the parent class does."""
        if class_weight is None:
            return sample_weight
        weights = _LGBMComputeSampleWeight(class_weight, y)
        return weights if sample_weight is None else np.multiply(sample_weight, weights)

    def predict(self, X, raw_score: bool = False, start_iteration: int = 0,
                num_iteration: int | None = None, pred_leaf: bool = False,
                pred_contrib: bool = False, validate_features: bool = False, **kwargs: Any):
        """Labels from ``classes_`` (a 0/1 matrix for multilabel); ``raw_score=True``
        returns raw scores (intercept included)."""
        if not self._trained_on_loss():
            check_is_fitted(self)  # (the parent's predict calls predict_proba first)
            return super().predict(X, raw_score=raw_score, start_iteration=start_iteration,
                                   num_iteration=num_iteration, pred_leaf=pred_leaf,
                                   pred_contrib=pred_contrib,
                                   validate_features=validate_features, **kwargs)
        if pred_leaf or pred_contrib:
            return LGBMModel.predict(self, X, start_iteration=start_iteration,
                                     num_iteration=num_iteration, pred_leaf=pred_leaf,
                                     pred_contrib=pred_contrib,
                                     validate_features=validate_features, **kwargs)
        raw = self._raw(X, start_iteration, num_iteration, validate_features, kwargs)
        return raw if raw_score else predict_classes(self.loss_, raw, self.classes_)

    @needs_probabilities
    def predict_proba(self, X, raw_score: bool = False, start_iteration: int = 0,
                      num_iteration: int | None = None, pred_leaf: bool = False,
                      pred_contrib: bool = False, validate_features: bool = False,
                      **kwargs: Any):
        """``loss.transform(raw)``: (n, 2) for binary losses (columns follow ``classes_``),
        (n, n_classes) multiclass, (n, n_labels) multilabel."""
        if not self._trained_on_loss() or pred_leaf or pred_contrib:
            return super().predict_proba(  # (the parent passes pred_leaf / pred_contrib on)
                X, raw_score=raw_score, start_iteration=start_iteration,
                num_iteration=num_iteration, pred_leaf=pred_leaf, pred_contrib=pred_contrib,
                validate_features=validate_features, **kwargs)
        raw = self._raw(X, start_iteration, num_iteration, validate_features, kwargs)
        return raw if raw_score else predict_proba("LGBMClassifier", self.loss_, raw)

    def decision_function(self, X, *, start_iteration: int = 0, num_iteration: int | None = None,
                          validate_features: bool = False, **kwargs: Any):
        """Raw scores, intercept included: (n,) for binary losses (positive means
        ``classes_[1]``), (n, k) otherwise."""
        if not self._trained_on_loss():
            return super().decision_function(X, start_iteration=start_iteration,
                                             num_iteration=num_iteration,
                                             validate_features=validate_features, **kwargs)
        return self._raw(X, start_iteration, num_iteration, validate_features, kwargs)
