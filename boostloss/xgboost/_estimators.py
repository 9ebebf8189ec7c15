"""Drop-in ``XGBRegressor`` / ``XGBClassifier``: xgboost's own scikit-learn classes, trained on a
boostloss loss by ``boostloss.xgboost.train``.

Changing the import is the whole change for a user::

    from boostloss.xgboost import XGBRegressor          # instead of: from xgboost import ...
    model = XGBRegressor(loss="poisson", n_estimators=500, learning_rate=0.05,
                         early_stopping_rounds=50)
    model.fit(X, y, eval_set=[(X_valid, y_valid)])      # early-stops on the poisson metric
    model.predict(X_test)                               # the mean, not the log-mean

``loss`` (a name, alias or Loss) and ``loss_params`` are constructor parameters beside every
XGBoost parameter. ``fit`` builds the DMatrix objects exactly as the parent class does
(QuantileDMatrix for hist, categorical and pandas handling, eval sets, base_margin) and hands
them to ``boostloss.xgboost.train``, which sets the intercept (``base_score`` = the loss's best
constant), multiplies sample weights into grad/hess, re-fits leaves of absolute_error /
quantile, and reports the loss's metric on every ``eval_set`` (the last one drives
``early_stopping_rounds``). A user ``eval_metric`` replaces that metric. ``predict`` is on the
response scale; ``output_margin=True`` gives the raw scores, intercept included. The loss, its
parameters and (classifiers) the class labels are stored as booster attributes, so
``save_model``/``load_model``, pickle and joblib give back a model that predicts identically.

Without ``loss`` but with an ``objective`` the estimator is exactly the parent class.

Engine behaviours relied on / worked around (xgboost 3.2):

- The parent's ``fit`` calls ``xgboost.train`` with an objective wrapper that cannot re-fit
  leaves or set the intercept, so ``fit`` is re-implemented from the parent's own building
  blocks (``_configure_fit``, ``_wrap_evaluation_matrices``, ``_create_dmatrix``,
  ``get_model_categories``: private names of ``xgboost.sklearn``).
- ``get_params`` inspects each class's ``__init__`` in turn, so ``loss``/``loss_params`` are
  visible to ``clone``/``GridSearchCV``; ``get_xgb_params`` would hand them to the booster, so
  they are declared wrapper parameters.
- ``XGBClassifier.fit`` insists on labels 0..k-1 and ``predict`` applies the stored
  objective's transform: the drop-in encodes labels itself and predicts from margins.
- ``load_model`` resets ``objective`` / ``base_score`` from the booster's config; the
  drop-in puts ``loss`` back from the booster's attributes instead.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xgboost as xgb
from xgboost.config import config_context
from xgboost.sklearn import XGBModel, _wrap_evaluation_matrices, get_model_categories

from .._dropin import (
    ClassLabels,
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
from . import ATTRIBUTE_PREFIX, _stored_loss, train

__all__ = ["XGBRegressor", "XGBClassifier"]

_OWN_PARAMS = {"loss", "loss_params"}


class _BoostLossXGBModel(LossParamsMixin):
    """What both drop-in classes add to XGBoost's ``XGBModel``."""

    loss: Any
    loss_params: dict | None

    def _wrapper_params(self) -> set[str]:
        return super()._wrapper_params() | _OWN_PARAMS

    def _uses_loss(self) -> bool:
        """True: train on a boostloss loss; False: the engine's own objective was given."""
        check_loss_params(type(self).__name__, self.loss, self.loss_params, self.objective)
        return not (self.loss is None and self.objective is not None)

    def _train_on_loss(self, loss: Loss, X, y, eval_set, *, sample_weight, base_margin, verbose,
                       xgb_model, sample_weight_eval_set, base_margin_eval_set,
                       feature_weights) -> None:
        """The parent's ``fit`` with ``boostloss.xgboost.train`` in place of ``xgboost.train``."""
        with config_context(verbosity=self.verbosity):
            params = self.get_xgb_params()
            model, metric, params, feature_weights = self._configure_fit(
                xgb_model, params, feature_weights
            )
            params = {key: value for key, value in params.items() if value is not None}
            model, feature_types = get_model_categories(X, model, self.feature_types)
            train_dmatrix, evals = _wrap_evaluation_matrices(
                missing=self.missing, X=X, y=y, group=None, qid=None,
                sample_weight=sample_weight, base_margin=base_margin,
                feature_weights=feature_weights, eval_set=eval_set,
                sample_weight_eval_set=sample_weight_eval_set,
                base_margin_eval_set=base_margin_eval_set, eval_group=None, eval_qid=None,
                create_dmatrix=self._create_dmatrix, enable_categorical=self.enable_categorical,
                feature_types=feature_types,
            )
            # a user eval_metric replaces the loss's metric (a callable one, or the builtins)
            custom_metric = None if self.eval_metric is None else (metric or False)
            evals_result: dict = {}
            self._Booster = train(
                params, train_dmatrix, self.get_num_boosting_rounds(), loss=loss, evals=evals,
                early_stopping_rounds=self.early_stopping_rounds, evals_result=evals_result,
                verbose_eval=verbose, xgb_model=model, callbacks=self.callbacks,
                custom_metric=custom_metric,
            )
            self._set_evaluation_result(evals_result)
        self.loss_ = loss

    def _raw(self, X, validate_features, base_margin, iteration_range) -> np.ndarray:
        raw = XGBModel.predict(self, X, output_margin=True, validate_features=validate_features,
                               base_margin=base_margin, iteration_range=iteration_range)
        raw = np.asarray(raw, dtype=np.float64)
        if raw.ndim == 2 and raw.shape[1] == 1 and not self.loss_.is_multi_output:
            raw = raw[:, 0]
        return raw

    def _trained_on_loss(self) -> bool:
        return getattr(self, "loss_", None) is not None

    def _load_model_attributes(self, config: dict) -> None:
        super()._load_model_attributes(config)
        booster = self.get_booster()
        if booster.attr(ATTRIBUTE_PREFIX + "loss") is None:
            self.loss_ = None
            return
        self.loss_ = _stored_loss(booster)
        self.loss, self.loss_params, self.objective = self.loss_.name, self.loss_.get_params(), None
        if booster.attr(ATTRIBUTE_PREFIX + "intercept") != "user":
            self.base_score = None  # the loss's init score, set again by the next fit


class XGBRegressor(_BoostLossXGBModel, xgb.XGBRegressor):
    """``xgboost.XGBRegressor`` trained on a boostloss loss; ``predict`` on the response scale.

    Parameters
    ----------
    loss : str, Loss or None, default None
        A regression loss name or alias (``boostloss.available_losses()``) or a Loss
        instance; None means "squared_error", unless ``objective`` is given, which then makes
        this exactly ``xgboost.XGBRegressor``. ``loss`` together with ``objective`` is an error.
    loss_params : dict or None
        The loss's parameters, e.g. ``{"delta": 2.0}`` for huber, ``{"alpha": [0.1, 0.9]}``
        for two quantiles (``predict`` then returns (n, 2)).
    **kwargs
        Every ``xgboost.XGBRegressor`` parameter, with its meaning. ``base_score`` given is the
        starting margin (default: the loss's best constant); ``eval_metric`` given replaces
        the loss's metric on ``eval_set``.

    ``predict(X)`` is ``loss.transform(margin)`` (the mean for log-link losses);
    ``predict(X, output_margin=True)`` the margin, intercept included.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.loss is not None or self.objective is None:  # a loss takes y of shape (n,)
            tags.target_tags.multi_output = False
        return tags

    def fit(self, X, y, *, sample_weight=None, base_margin=None, eval_set=None, verbose=True,
            xgb_model=None, sample_weight_eval_set=None, base_margin_eval_set=None,
            feature_weights=None) -> XGBRegressor:
        """As ``xgboost.XGBRegressor.fit``, on the loss (see the class docstring)."""
        fit_args = dict(sample_weight=sample_weight, base_margin=base_margin, verbose=verbose,
                        xgb_model=xgb_model, sample_weight_eval_set=sample_weight_eval_set,
                        base_margin_eval_set=base_margin_eval_set,
                        feature_weights=feature_weights)
        if not self._uses_loss():
            self.loss_ = None
            return super().fit(X, y, eval_set=eval_set, **fit_args)
        loss = regression_loss("XGBRegressor", self.loss, self.loss_params, "XGBClassifier")
        self._train_on_loss(loss, X, y, eval_set, **fit_args)
        return self

    def predict(self, X, *, output_margin: bool = False, validate_features: bool = True,
                base_margin=None, iteration_range=None) -> np.ndarray:
        """``loss.transform(margin)``: (n,), or (n, q) for quantile with q levels;
        ``output_margin=True`` returns the margin (intercept included)."""
        if not self._trained_on_loss():
            return super().predict(X, output_margin=output_margin,
                                   validate_features=validate_features,
                                   base_margin=base_margin, iteration_range=iteration_range)
        raw = self._raw(X, validate_features, base_margin, iteration_range)
        return raw if output_margin else self.loss_.transform(raw)


class _BoostLossXGBClassifier(LossClassifierMixin, _BoostLossXGBModel):
    """One base before xgboost's class: its ``get_params`` looks for the parameters of the
    first or second base class only."""


class XGBClassifier(_BoostLossXGBClassifier, xgb.XGBClassifier):
    """``xgboost.XGBClassifier`` trained on a boostloss loss, with labels of any type.

    Parameters
    ----------
    loss : str, Loss or None, default None
        A classification loss (binary: logistic, focal, squared_hinge, ...; multiclass:
        softmax_cross_entropy, softmax_focal, multiclass_hinge, ...; multilabel:
        multilabel_logistic) or a Loss instance; None or "auto" picks logistic /
        softmax_cross_entropy / multilabel_logistic from the labels, unless ``objective`` is
        given, which then makes this exactly ``xgboost.XGBClassifier``.
    loss_params : dict or None
        The loss's parameters, e.g. ``{"gamma": 2.0}`` for focal.
    **kwargs
        Every ``xgboost.XGBClassifier`` parameter, with its meaning.

    ``classes_`` are the labels as given (any type); ``predict`` returns them (the sign of the
    margin for binary losses, the argmax for multiclass, a 0/1 matrix for multilabel);
    ``predict_proba`` is ``loss.transform(margin)`` as (n, n_classes) for losses with
    probabilities (margin losses raise AttributeError); ``decision_function`` and
    ``predict(X, output_margin=True)`` give the margins, intercept included.
    """

    def fit(self, X, y, *, sample_weight=None, base_margin=None, eval_set=None, verbose=True,
            xgb_model=None, sample_weight_eval_set=None, base_margin_eval_set=None,
            feature_weights=None) -> XGBClassifier:
        """As ``xgboost.XGBClassifier.fit``, on the loss, for labels of any type."""
        fit_args = dict(sample_weight=sample_weight, base_margin=base_margin, verbose=verbose,
                        xgb_model=xgb_model, sample_weight_eval_set=sample_weight_eval_set,
                        base_margin_eval_set=base_margin_eval_set,
                        feature_weights=feature_weights)
        if not self._uses_loss():
            self.loss_, self._labels = None, None
            return super().fit(X, y, eval_set=eval_set, **fit_args)
        labels = encode_classes("XGBClassifier", y)
        loss = classification_loss("XGBClassifier", self.loss, self.loss_params, labels.target,
                                   labels.classes.size, "XGBRegressor")
        encoded_eval = None
        if eval_set is not None:  # the training pair stays the same objects (one DMatrix)
            encoded_eval = [
                (X_eval, labels.codes) if X_eval is X and y_eval is y
                else (X_eval, encode_eval_classes("XGBClassifier", labels, y_eval, i))
                for i, (X_eval, y_eval) in enumerate(eval_set)
            ]
        self._labels = labels
        self.n_classes_ = int(labels.classes.size)
        self._train_on_loss(loss, X, labels.codes, encoded_eval, **fit_args)
        self.get_booster().set_attr(**{
            ATTRIBUTE_PREFIX + "classes": json.dumps(labels.classes.tolist()),
            ATTRIBUTE_PREFIX + "target": labels.target,
        })
        return self

    def _load_model_attributes(self, config: dict) -> None:
        super()._load_model_attributes(config)
        booster = self.get_booster()
        stored = booster.attr(ATTRIBUTE_PREFIX + "classes")
        if self.loss_ is None or stored is None:
            self._labels = None
            return
        classes = np.asarray(json.loads(stored))
        self._labels = ClassLabels(classes, np.empty(0), booster.attr(ATTRIBUTE_PREFIX + "target"))
        self.n_classes_ = int(classes.size)

    @property
    def classes_(self) -> np.ndarray:
        labels = getattr(self, "_labels", None)
        return labels.classes if labels is not None else super().classes_

    def predict(self, X, *, output_margin: bool = False, validate_features: bool = True,
                base_margin=None, iteration_range=None) -> np.ndarray:
        """Class labels from ``classes_`` (a 0/1 matrix for multilabel);
        ``output_margin=True`` returns the margins (intercept included)."""
        if not self._trained_on_loss():
            return super().predict(X, output_margin=output_margin,
                                   validate_features=validate_features,
                                   base_margin=base_margin, iteration_range=iteration_range)
        raw = self._raw(X, validate_features, base_margin, iteration_range)
        return raw if output_margin else predict_classes(self.loss_, raw, self.classes_)

    @needs_probabilities
    def predict_proba(self, X, validate_features: bool = True, base_margin=None,
                      iteration_range=None) -> np.ndarray:
        """``loss.transform(margin)``: (n, 2) for binary losses (columns follow
        ``classes_``), (n, n_classes) multiclass, (n, n_labels) multilabel."""
        if not self._trained_on_loss():
            return super().predict_proba(X, validate_features=validate_features,
                                         base_margin=base_margin,
                                         iteration_range=iteration_range)
        raw = self._raw(X, validate_features, base_margin, iteration_range)
        return predict_proba("XGBClassifier", self.loss_, raw)

    def decision_function(self, X, validate_features: bool = True, base_margin=None,
                          iteration_range=None) -> np.ndarray:
        """The margins, intercept included: (n,) for binary losses (positive means
        ``classes_[1]``), (n, k) otherwise."""
        if not self._trained_on_loss():
            return super().predict(X, output_margin=True, validate_features=validate_features,
                                   base_margin=base_margin, iteration_range=iteration_range)
        return self._raw(X, validate_features, base_margin, iteration_range)
