"""scikit-learn estimators that train XGBoost or LightGBM with any boostloss loss, by name.

>>> import boostloss as bl
>>> model = bl.BoostLossRegressor(loss="huber", loss_params={"delta": 1.0}, backend="lightgbm")
>>> clf = bl.BoostLossClassifier(loss="focal", loss_params={"gamma": 2.0}, backend="xgboost")

Layering: this module validates data and parameters (with scikit-learn's own helpers) and
owns everything label-related (``classes_``, which losses fit which targets, turning raw
scores into classes); ``_sklearn_params`` maps the common parameters to engine names;
``_sklearn_engine`` builds the engine's data and calls the adapters
``boostloss.xgboost.train/predict`` and ``boostloss.lightgbm.train/predict``, which own the
init score, multi-output shapes, sample weights and the loss's metric.

Semantics:

- Training starts from ``loss.init_score`` (weighted) and runs ``n_estimators`` rounds.
- ``BoostLossRegressor.predict`` is ``loss.transform(raw)``: shape (n,), or (n, q) for
  ``quantile`` with a list of levels.
- ``BoostLossClassifier`` encodes labels of any type with ``LabelEncoder``. Binary losses
  (labels 0/1 internally, positive class ``classes_[1]``) predict ``classes_[raw > 0]``
  (for logit-link losses: probability > 0.5; for margin losses: the sign of the margin);
  multiclass losses predict the argmax. ``decision_function`` returns raw scores: (n,) for
  two classes (a multiclass loss on two classes gives raw[:, 1] - raw[:, 0], the log-odds
  of ``classes_[1]``), (n, k) otherwise. ``predict_proba`` is ``loss.transform(raw)``,
  (n, 2) for binary losses, and does not exist for margin losses.
  ``loss="auto"`` (the default) is ``logistic`` for two classes, ``softmax_cross_entropy``
  for more, and ``multilabel_logistic`` for a 2-D 0/1 indicator ``y`` (multilabel:
  ``classes_`` is ``arange(n_labels)``, ``predict`` returns the 0/1 matrix).
- Early stopping: with ``early_stopping_rounds`` set, training stops once the loss's
  metric on the validation data has not improved for that many rounds, and ``predict``
  uses the best round. The validation data are ``fit(..., eval_set=[(X, y), ...])`` or,
  without an eval_set, a ``validation_fraction`` of the training rows (stratified for
  classifiers) held out with ``random_state``. With several eval sets each engine's own
  rule applies (XGBoost watches the last one, LightGBM stops when any one stalls).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import update_wrapper
from types import MethodType
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ._sklearn_compat import validate_data
from ._sklearn_engine import EvalData, engine_feature_names, get_backend
from ._sklearn_params import BoostingParams
from ._sklearn_progress import ProgressBar
from ._validation import check_sample_weight
from .losses.base import Loss
from .registry import LOSSES, canonical_name, resolve_loss

__all__ = ["BoostLossRegressor", "BoostLossClassifier"]

_IMPORTANCE_TYPES = ("gain", "split")
_CLASSIFICATION_TASKS = ("binary", "multiclass", "multilabel")
_AUTO_LOSS = {"binary": "logistic", "multiclass": "softmax_cross_entropy",
              "multilabel": "multilabel_logistic"}


def _losses_for(task: str) -> list[str]:
    """Canonical names of the registered losses whose ``task`` is ``task``."""
    return sorted(name for name, cls in LOSSES.items() if cls.task == task)


def _loss_class(loss) -> type[Loss] | None:
    """The loss class a ``loss`` parameter names, or None ("auto" or not resolvable)."""
    if isinstance(loss, Loss):
        return type(loss)
    if isinstance(loss, str) and loss != "auto":
        try:
            return LOSSES[canonical_name(loss)]
        except ValueError:
            return None
    return None


def _sparse_matrix(X):
    """scipy sparse arrays as sparse matrices: LightGBM only recognises ``csr_matrix`` and
    ``csc_matrix`` (an ``csr_array`` would be converted with a warning). No data is copied."""
    if sparse.issparse(X) and not isinstance(X, sparse.spmatrix):
        return sparse.csr_matrix(X) if X.format == "csr" else sparse.csc_matrix(X)
    return X


class _needs_probabilities:
    """Method decorator: the method exists only when the loss gives probabilities.

    Like scikit-learn's ``available_if`` (``hasattr`` is False otherwise, so
    meta-estimators and scorers fall back to ``decision_function``), but the
    AttributeError carries the owner's reason instead of a generic message.
    """

    def __init__(self, method) -> None:
        self.method = method
        update_wrapper(self, method)

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.method
        obj._check_proba()
        return MethodType(self.method, obj)


class _BoostLossModel(BaseEstimator):
    """Parameters, data validation, training and attributes shared by both estimators."""

    _estimator_name = "BoostLossModel"

    # ------------------------------------------------------------------ checks
    def _check_own_params(self) -> None:
        if self.importance_type not in _IMPORTANCE_TYPES:
            raise ValueError(
                f"importance_type must be one of {list(_IMPORTANCE_TYPES)}, got "
                f"{self.importance_type!r}."
            )
        if self.loss_params is not None and not isinstance(self.loss_params, dict):
            raise TypeError(
                "loss_params must be a dict of the loss's parameters or None, got "
                f"{self.loss_params!r} of type {type(self.loss_params).__name__}."
            )
        if not isinstance(self.verbose, (bool, int, np.integer)):
            raise TypeError(f"verbose must be a bool, got {self.verbose!r}.")

    def _build_loss(self, name: str | Loss) -> Loss:
        try:
            return resolve_loss(name, self.loss_params)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{self._estimator_name}: {exc}") from None

    _X_CHECKS: dict[str, Any] = dict(
        accept_sparse=["csr", "csc"],
        dtype=[np.float64, np.float32],
        ensure_all_finite="allow-nan",  # both engines treat NaN as missing
    )

    def _validate_X_predict(self, X):
        check_is_fitted(self, "booster_")
        return _sparse_matrix(validate_data(self, X, reset=False, **self._X_CHECKS))

    # ------------------------------------------------------------------ hooks
    def _prepare_target(self, y) -> tuple[np.ndarray, Loss, np.ndarray | None]:
        """Validate y, build the loss, set label attributes; return (labels, loss, strata)."""
        raise NotImplementedError

    def _prepare_eval_target(self, y, index: int, loss: Loss) -> np.ndarray:
        raise NotImplementedError

    # ------------------------------------------------------------------ fitting
    def _eval_sets(self, eval_set, eval_sample_weight, loss: Loss) -> list[EvalData]:
        if eval_set is None:
            if eval_sample_weight is not None:
                raise ValueError("eval_sample_weight was given without eval_set.")
            return []
        if isinstance(eval_set, tuple) or not isinstance(eval_set, Sequence):
            raise TypeError(
                "eval_set must be a list of (X, y) pairs, e.g. eval_set=[(X_valid, y_valid)], "
                f"got {type(eval_set).__name__}."
            )
        if eval_sample_weight is not None and len(eval_sample_weight) != len(eval_set):
            raise ValueError(
                f"eval_sample_weight must hold one entry (an array or None) per eval_set "
                f"pair: got {len(eval_sample_weight)} for {len(eval_set)} pairs."
            )
        evals = []
        for i, pair in enumerate(eval_set):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"eval_set[{i}] must be an (X, y) pair, got {type(pair).__name__}.")
            X_eval = _sparse_matrix(validate_data(self, pair[0], reset=False, **self._X_CHECKS))
            y_eval = self._prepare_eval_target(pair[1], i, loss)
            if y_eval.shape[0] != X_eval.shape[0]:
                raise ValueError(
                    f"eval_set[{i}]: X has {X_eval.shape[0]} rows but y has {y_eval.shape[0]}."
                )
            weight = None if eval_sample_weight is None else eval_sample_weight[i]
            weight = check_sample_weight(weight, X_eval.shape[0])
            evals.append(EvalData(X_eval, y_eval, weight, f"valid_{i}"))
        return evals

    def _fit(self, X, y, sample_weight, eval_set, eval_sample_weight):
        params = BoostingParams.from_estimator(self)
        self._check_own_params()
        X, y = validate_data(self, X, y, **self._X_CHECKS, **self._y_checks)
        X = _sparse_matrix(X)
        y, loss, strata = self._prepare_target(y)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        evals = self._eval_sets(eval_set, eval_sample_weight, loss)

        if params.early_stopping_rounds is not None and not evals:
            if params.validation_fraction is None:
                raise ValueError(
                    f"early_stopping_rounds={params.early_stopping_rounds} needs validation "
                    "data: pass fit(..., eval_set=[(X_valid, y_valid)]) or set "
                    "validation_fraction (e.g. 0.1) to hold out part of the training rows."
                )
            X, y, sample_weight, held_out = self._hold_out(X, y, sample_weight, strata, params)
            evals = [held_out]

        backend = get_backend(params, engine_feature_names(getattr(self, "feature_names_in_",
                                                                    None)))
        bar = None
        if self.verbose:
            bar = ProgressBar(params.n_estimators * backend.n_models(loss),
                              f"{params.backend} {loss.name}")
        try:
            result = backend.fit(
                X, y, sample_weight, loss, evals, include_training=bool(self.verbose)
                and not evals, callbacks=[backend.progress_callback(bar)] if bar else None,
            )
        finally:
            if bar is not None:
                bar.close()

        self.loss_ = loss
        self.booster_ = result.model
        self.evals_result_ = result.evals_result
        self.best_iteration_ = result.best_iteration
        self._engine = backend
        return self

    def _hold_out(self, X, y, sample_weight, strata, params: BoostingParams):
        """Split off ``validation_fraction`` of the rows as the early-stopping set."""
        arrays = [X, y] if sample_weight is None else [X, y, sample_weight]
        try:
            parts = train_test_split(*arrays, test_size=params.validation_fraction,
                                     random_state=params.seed, stratify=strata)
        except ValueError as exc:
            raise ValueError(
                f"could not hold out validation_fraction={params.validation_fraction} of "
                f"{X.shape[0]} rows for early stopping: {exc} Pass eval_set=... instead."
            ) from None
        X_train, X_valid, y_train, y_valid = parts[:4]
        w_train, w_valid = (parts[4], parts[5]) if sample_weight is not None else (None, None)
        if w_train is not None and (not np.any(w_train > 0) or not np.any(w_valid > 0)):
            raise ValueError("after holding out validation_fraction, the training or the "
                             "validation part has only zero sample weights; pass eval_set=...")
        return X_train, y_train, w_train, EvalData(X_valid, y_valid, w_valid, "validation")

    # ------------------------------------------------------------------ prediction
    def _predict_engine(self, X, output: str) -> np.ndarray:
        X = self._validate_X_predict(X)
        return self._engine.predict(self.booster_, X, self.loss_, output)

    @property
    def feature_importances_(self) -> np.ndarray:
        """Normalised importances, shape (n_features_in_,): total split gain
        (``importance_type="gain"``) or number of splits ("split") per feature, over the
        rounds ``predict`` uses and all outputs; they sum to 1 (all zeros without splits)."""
        check_is_fitted(self, "booster_")
        if self.importance_type not in _IMPORTANCE_TYPES:
            raise ValueError(
                f"importance_type must be one of {list(_IMPORTANCE_TYPES)}, got "
                f"{self.importance_type!r}."
            )
        return self._engine.feature_importances(
            self.booster_, self.n_features_in_, self.importance_type, self.best_iteration_
        )

    # ------------------------------------------------------------------ tags
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        return tags

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        return {"allow_nan": True}


_COMMON_PARAMS_DOC = """
    loss_params : dict or None
        Keyword parameters of the loss, e.g. ``{"delta": 1.0}`` for huber.
    backend : {"xgboost", "lightgbm"}
        The engine.
    n_estimators : int, default=100
        Boosting rounds (the maximum with early stopping).
    learning_rate : float, default=0.1
        Shrinkage (XGBoost ``eta``).
    max_depth, num_leaves : int or None
        Tree size limits; None keeps the engine default (XGBoost: depth 6, no leaf limit;
        LightGBM: no depth limit, 31 leaves). ``num_leaves`` is XGBoost's ``max_leaves``.
    min_child_weight : float or None
        Minimum sum of Hessians in a leaf (LightGBM ``min_sum_hessian_in_leaf``); None keeps
        the engine default (XGBoost 1, LightGBM 1e-3).
    subsample : float in (0, 1], default=1.0
        Row fraction sampled every round (LightGBM: bagging with ``bagging_freq=1``).
    colsample : float in (0, 1], default=1.0
        Feature fraction per tree (``colsample_bytree`` / ``feature_fraction``).
    reg_lambda : float or None
        L2 penalty on leaf values; None keeps the engine default (XGBoost 1, LightGBM 0).
    random_state : int, RandomState, Generator or None
        Seed of the engine's sampling and of the validation split; None keeps the engine's
        default seed (the split then uses numpy's global RNG).
    n_jobs : int or None
        Threads; -1 uses all cores; None keeps the engine default.
    early_stopping_rounds : int or None
        Stop when the loss's metric on the validation data has not improved for this many
        rounds; None trains all rounds.
    validation_fraction : float in (0, 1) or None, default=0.1
        Rows held out for early stopping when ``fit`` gets no ``eval_set``.
    importance_type : {"gain", "split"}, default="gain"
        What ``feature_importances_`` counts.
    verbose : bool, default=False
        Show a tqdm progress bar with the current metric (on the eval sets, or on the
        training data when there are none).
    engine_params : dict or None
        Any other engine parameter, applied last (an engine alias of a parameter above
        replaces it). The objective, starting score, number of rounds and early stopping
        are the estimator's and are refused here.

    Attributes
    ----------
    loss_ : Loss
        The loss built from ``loss`` and ``loss_params``.
    booster_ : xgboost.Booster, lightgbm.Booster or the adapter's multi-output model
        The trained model, as returned by the adapter's ``train``.
    best_iteration_ : int
        0-based index of the last round ``predict`` uses.
    evals_result_ : dict
        ``{data_name: {loss_name: [value per round]}}`` for the eval sets ("valid_0", ...),
        the held-out split ("validation") and, with ``verbose``, the training data.
    feature_importances_ : ndarray of shape (n_features_in_,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str, only when X had string column names
"""


class BoostLossRegressor(RegressorMixin, _BoostLossModel):
    """Gradient boosting regressor trained with a boostloss regression loss.

    Parameters
    ----------
    loss : str or Loss, default="squared_error"
        A regression loss by name or alias (``bl.available_losses()``), or a loss instance:
        squared_error, absolute_error, huber, smooth_l1, pseudo_huber, log_cosh, fair,
        expectile, quantile (one level or a list: ``predict`` then returns (n, q)),
        poisson, gamma, tweedie (``predict`` returns the mean: ``exp(raw)``).
    """

    __doc__ = (__doc__ or "") + _COMMON_PARAMS_DOC
    _estimator_name = "BoostLossRegressor"
    _y_checks: dict[str, Any] = dict(y_numeric=True, multi_output=False)

    def __init__(
        self,
        loss: str | Loss = "squared_error",
        *,
        loss_params: dict | None = None,
        backend: str = "xgboost",
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        max_depth: int | None = None,
        num_leaves: int | None = None,
        min_child_weight: float | None = None,
        subsample: float = 1.0,
        colsample: float = 1.0,
        reg_lambda: float | None = None,
        random_state=None,
        n_jobs: int | None = None,
        early_stopping_rounds: int | None = None,
        validation_fraction: float | None = 0.1,
        importance_type: str = "gain",
        verbose: bool = False,
        engine_params: dict | None = None,
    ):
        self.loss = loss
        self.loss_params = loss_params
        self.backend = backend
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.num_leaves = num_leaves
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample = colsample
        self.reg_lambda = reg_lambda
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.importance_type = importance_type
        self.verbose = verbose
        self.engine_params = engine_params

    def fit(self, X, y, sample_weight=None, eval_set=None, eval_sample_weight=None):
        """Fit on X (n, d) and y (n,); sample_weight (n,) multiplies each row's loss.

        eval_set: list of (X, y) pairs evaluated every round (early stopping watches them
        when ``early_stopping_rounds`` is set); eval_sample_weight: one array or None each.
        """
        return self._fit(X, y, sample_weight, eval_set, eval_sample_weight)

    def _prepare_target(self, y):
        if isinstance(self.loss, str) and self.loss == "auto":
            raise ValueError(
                "BoostLossRegressor has no loss='auto'; name a regression loss: "
                f"{', '.join(_losses_for('regression'))}."
            )
        loss = self._build_loss(self.loss)
        if loss.task != "regression":
            raise ValueError(
                f"BoostLossRegressor: loss {loss.name!r} is a {loss.task} classification "
                f"loss, not a regression loss. Regression losses: "
                f"{', '.join(_losses_for('regression'))}. For class labels use "
                "BoostLossClassifier."
            )
        return loss.validate_labels(y), loss, None

    def _prepare_eval_target(self, y, index, loss):
        y = column_or_1d(np.asarray(y, dtype=np.float64), warn=True)
        try:
            return loss.validate_labels(y)
        except ValueError as exc:
            raise ValueError(f"eval_set[{index}]: {exc}") from None

    def predict(self, X) -> np.ndarray:
        """``loss.transform(raw)``: shape (n,), or (n, q) for quantile with q levels."""
        return self._predict_engine(X, "response")



class BoostLossClassifier(ClassifierMixin, _BoostLossModel):
    """Gradient boosting classifier trained with a boostloss classification loss.

    Parameters
    ----------
    loss : str or Loss, default="auto"
        "auto" (logistic for two classes, softmax_cross_entropy for more,
        multilabel_logistic for a 0/1 indicator matrix y), or a loss by name or alias:
        binary (logistic, focal, squared_hinge, smooth_hinge, dice, tversky), multiclass
        (softmax_cross_entropy, softmax_focal; also fine for two classes) or multilabel
        (multilabel_logistic). The margin losses squared_hinge and smooth_hinge give no
        probabilities: ``predict`` uses the sign of the margin and ``predict_proba`` is not
        available.
    """

    __doc__ = (__doc__ or "") + _COMMON_PARAMS_DOC + """
    classes_ : ndarray of shape (n_classes,)
        The labels seen in ``fit`` (sorted); ``arange(n_labels)`` for multilabel y.
    n_classes_ : int
"""
    _estimator_name = "BoostLossClassifier"
    _y_checks: dict[str, Any] = dict(multi_output=True, y_numeric=False)

    def __init__(
        self,
        loss: str | Loss = "auto",
        *,
        loss_params: dict | None = None,
        backend: str = "xgboost",
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        max_depth: int | None = None,
        num_leaves: int | None = None,
        min_child_weight: float | None = None,
        subsample: float = 1.0,
        colsample: float = 1.0,
        reg_lambda: float | None = None,
        random_state=None,
        n_jobs: int | None = None,
        early_stopping_rounds: int | None = None,
        validation_fraction: float | None = 0.1,
        importance_type: str = "gain",
        verbose: bool = False,
        engine_params: dict | None = None,
    ):
        self.loss = loss
        self.loss_params = loss_params
        self.backend = backend
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.num_leaves = num_leaves
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample = colsample
        self.reg_lambda = reg_lambda
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.importance_type = importance_type
        self.verbose = verbose
        self.engine_params = engine_params

    def fit(self, X, y, sample_weight=None, eval_set=None, eval_sample_weight=None):
        """Fit on X (n, d) and labels y (n,) of any type, or a 0/1 indicator (n, k) for a
        multilabel loss; sample_weight (n,) multiplies each row's loss.

        eval_set: list of (X, y) pairs evaluated every round (early stopping watches them
        when ``early_stopping_rounds`` is set); their labels must be among the training
        classes. eval_sample_weight: one array or None per pair.
        """
        return self._fit(X, y, sample_weight, eval_set, eval_sample_weight)

    # ------------------------------------------------------------------ targets
    def _choose_loss(self, target: str, n_classes: int) -> Loss:
        """Build the loss for a ``target`` kind ("binary", "multiclass", "multilabel")."""
        name = _AUTO_LOSS[target] if isinstance(self.loss, str) and self.loss == "auto" \
            else self.loss
        loss = self._build_loss(name)
        fitting = {task: ", ".join(_losses_for(task)) for task in _CLASSIFICATION_TASKS}
        if loss.task not in _CLASSIFICATION_TASKS:
            raise ValueError(
                f"BoostLossClassifier: loss {loss.name!r} is a {loss.task} loss; it cannot "
                f"fit class labels. Classification losses: binary: {fitting['binary']}; "
                f"multiclass: {fitting['multiclass']}; multilabel: {fitting['multilabel']} "
                "(or loss='auto'). For a numeric target use BoostLossRegressor."
            )
        if target == "multilabel" and loss.task != "multilabel":
            raise ValueError(
                f"BoostLossClassifier: y is a multilabel indicator matrix of {n_classes} "
                f"labels, but loss {loss.name!r} is a {loss.task} loss. Losses for "
                f"multilabel y: {fitting['multilabel']} (or loss='auto')."
            )
        if loss.task == "multilabel" and target != "multilabel":
            raise ValueError(
                f"BoostLossClassifier: loss {loss.name!r} needs y as a 2-D 0/1 indicator "
                f"matrix (n_samples, n_labels), got {target} labels. For {target} labels "
                f"use one of: {fitting[target]} (or loss='auto')."
            )
        if target == "multiclass" and loss.task == "binary":
            raise ValueError(
                f"BoostLossClassifier: Only binary classification is supported by loss "
                f"{loss.name!r}, but y has {n_classes} classes. Losses for multiclass y: "
                f"{fitting['multiclass']} (or loss='auto')."
            )
        return loss

    def _prepare_target(self, y):
        if sparse.issparse(y):
            y = y.toarray()
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. Please change "
                "the shape of y to (n_samples,), for example using ravel().",
                DataConversionWarning, stacklevel=4,
            )
            y = y[:, 0]
        check_classification_targets(y)
        target = type_of_target(y, input_name="y")
        if target == "multilabel-indicator":
            labels = y.astype(np.float64)
            self._label_encoder = None
            self.classes_ = np.arange(labels.shape[1])
            self.n_classes_ = labels.shape[1]
            loss = self._choose_loss("multilabel", self.n_classes_)
            return loss.validate_labels(labels), loss, None
        if y.ndim != 1:
            raise ValueError(
                f"BoostLossClassifier: y must be 1-D class labels or a 2-D 0/1 multilabel "
                f"indicator matrix, got {target} y of shape {y.shape}."
            )
        encoder = LabelEncoder().fit(y)
        self._label_encoder = encoder
        self.classes_ = encoder.classes_
        self.n_classes_ = len(self.classes_)
        if self.n_classes_ < 2:
            raise ValueError(
                "BoostLossClassifier needs samples of at least 2 classes in the data, but "
                f"the data contains only one class: {self.classes_.tolist()[0]!r}."
            )
        codes = encoder.transform(y)
        loss = self._choose_loss("binary" if self.n_classes_ == 2 else "multiclass",
                                 self.n_classes_)
        labels = loss.validate_labels(codes.astype(np.float64))
        return labels, loss, codes

    def _prepare_eval_target(self, y, index, loss):
        if self._label_encoder is None:  # multilabel
            labels = np.asarray(y.toarray() if sparse.issparse(y) else y, dtype=np.float64)
            if labels.ndim != 2 or labels.shape[1] != self.n_classes_:
                raise ValueError(
                    f"eval_set[{index}]: y must be a 0/1 indicator matrix with "
                    f"{self.n_classes_} columns like the training y, got shape {labels.shape}."
                )
            return labels
        y = column_or_1d(y, warn=True)
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if unseen.size:
            raise ValueError(
                f"eval_set[{index}]: y contains labels not seen in the training data: "
                f"{unseen[:5].tolist()}; the training classes are {self.classes_[:10].tolist()}."
            )
        return self._label_encoder.transform(y).astype(np.float64)

    # ------------------------------------------------------------------ prediction
    def predict(self, X) -> np.ndarray:
        """Class labels: ``classes_[raw > 0]`` for binary losses, the argmax of the raw
        scores for multiclass losses, a 0/1 matrix (probability > 0.5) for multilabel."""
        raw = self._predict_engine(X, "raw")
        if self.loss_.task == "multilabel":
            return (self.loss_.transform(raw) > 0.5).astype(np.int64)
        if raw.ndim == 1:
            return self.classes_[(raw > 0).astype(np.intp)]
        return self.classes_[np.argmax(raw, axis=1)]

    def decision_function(self, X) -> np.ndarray:
        """Raw scores (margins/logits, init score included): (n,) for two classes (positive
        means ``classes_[1]``), (n, n_classes) for more, (n, n_labels) for multilabel."""
        raw = self._predict_engine(X, "raw")
        if raw.ndim == 2 and self.loss_.task == "multiclass" and raw.shape[1] == 2:
            return raw[:, 1] - raw[:, 0]
        return raw

    def _check_proba(self) -> bool:
        fitted = getattr(self, "loss_", None)
        cls = type(fitted) if fitted is not None else _loss_class(self.loss)
        if cls is not None and not cls.has_probabilities:
            raise AttributeError(
                f"predict_proba is not available for loss {cls.name!r}: it is a margin loss "
                "and gives no probabilities. Use predict (the sign of the margin) or "
                "decision_function, or choose a probabilistic loss such as 'logistic' or "
                "'focal'."
            )
        return True

    @_needs_probabilities
    def predict_proba(self, X) -> np.ndarray:
        """``loss.transform(raw)``: (n, 2) for binary losses (columns follow ``classes_``),
        (n, n_classes) for multiclass, (n, n_labels) per-label probabilities for
        multilabel."""
        proba = self._predict_engine(X, "response")
        if self.loss_.task == "binary":
            return np.column_stack([1.0 - proba, proba])
        return proba

    @_needs_probabilities
    def predict_log_proba(self, X) -> np.ndarray:
        """log of ``predict_proba``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        cls = _loss_class(self.loss)
        task = None if cls is None else cls.task
        tags.classifier_tags.multi_class = task in (None, "multiclass")
        tags.classifier_tags.multi_label = task in (None, "multilabel")
        return tags

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        cls = _loss_class(self.loss)
        task = None if cls is None else cls.task
        return {"allow_nan": True, "binary_only": task == "binary",
                "multilabel": task in (None, "multilabel")}
