"""``BoostLossRegressor`` and ``BoostLossClassifier`` (semantics: ``boostloss.sklearn``)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from .._dropin import (
    LossClassifierMixin,
    classification_loss,
    loss_class,
    loss_task,
    losses_for,
    takes_probability_targets,
)
from .._dropin import needs_probabilities as _needs_probabilities
from ..losses.base import Loss
from ._base import (
    _COMMON_PARAMS_DOC,
    _BoostLossModel,
)

# losses that also take (n, k) probability targets
_DISTRIBUTION_LOSSES = ("kl_divergence", "softmax_cross_entropy")


class BoostLossRegressor(RegressorMixin, _BoostLossModel):
    """Gradient boosting regressor trained with a boostloss regression loss.

    Parameters
    ----------
    loss : str or Loss, default="squared_error"
        A regression loss by name or alias (``bl.available_losses()``), or a loss instance:
        squared_error, absolute_error, huber, smooth_l1, pseudo_huber, log_cosh, fair,
        expectile, quantile (one level or a list: ``predict`` then returns (n, q)),
        poisson, gamma, tweedie (``predict`` returns the mean: ``exp(raw)``), ghm_regression.

        Probability targets (soft labels: distillation from a teacher, crowd votes) are a
        regression-style fit, since class labels are not what they are: ``kl_divergence``
        or ``logistic`` with ``loss_params={"soft_labels": True}`` for y (n,) in [0, 1],
        ``kl_divergence`` or ``softmax_cross_entropy`` for y (n, k) with rows on the
        simplex. ``predict`` then returns probabilities, (n,) or (n, k).
    """

    __doc__ = (__doc__ or "") + _COMMON_PARAMS_DOC
    _estimator_name = "BoostLossRegressor"

    @property
    def _y_checks(self) -> dict[str, Any]:
        cls = loss_class(self.loss)
        # (n, k) probability targets pass scikit-learn's y checks as multi-output y
        return dict(y_numeric=True, multi_output=cls is not None and cls.name in _DISTRIBUTION_LOSSES)

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
                f"{', '.join(losses_for('regression'))}."
            )
        loss = self._build_loss(self.loss)
        if loss.name == "softmax_cross_entropy":
            if np.ndim(y) != 2:
                raise ValueError(
                    "BoostLossRegressor: softmax_cross_entropy takes (n, k) probability "
                    "targets here; for class labels use BoostLossClassifier."
                )
            return loss.validate_labels(y), loss, None
        if takes_probability_targets(loss):
            return loss.validate_labels(y), loss, None
        if loss.task != "regression":
            raise ValueError(
                f"BoostLossRegressor: loss {loss.name!r} is a {loss.task} classification "
                f"loss, not a regression loss. Regression losses: "
                f"{', '.join(losses_for('regression'))}. For class labels use "
                "BoostLossClassifier; for probability targets kl_divergence or logistic "
                "with loss_params={'soft_labels': True}."
            )
        return loss.validate_labels(y), loss, None

    def _prepare_eval_target(self, y, index, loss):
        y = np.asarray(y, dtype=np.float64)
        if not (y.ndim == 2 and loss.name in _DISTRIBUTION_LOSSES):
            y = column_or_1d(y, warn=True)
        try:
            return loss.validate_labels(y)
        except ValueError as exc:
            raise ValueError(f"eval_set[{index}]: {exc}") from None

    def predict(self, X) -> np.ndarray:
        """``loss.transform(raw)``: shape (n,), or (n, q) for quantile with q levels, or
        probabilities (n,) / (n, k) for probability targets."""
        return self._predict_engine(X, "response")



class BoostLossClassifier(LossClassifierMixin, ClassifierMixin, _BoostLossModel):
    """Gradient boosting classifier trained with a boostloss classification loss.

    Parameters
    ----------
    loss : str or Loss, default="auto"
        "auto" (logistic for two classes, softmax_cross_entropy for more,
        multilabel_logistic for a 0/1 indicator matrix y), or a loss by name or alias:
        binary (logistic, focal, ghm_logistic, squared_hinge, smooth_hinge, dice, tversky,
        kl_divergence), multiclass (softmax_cross_entropy, softmax_focal, multiclass_hinge;
        also fine for two classes) or multilabel (multilabel_logistic, per-label
        ``pos_weight``). The margin losses squared_hinge, smooth_hinge and multiclass_hinge
        give no probabilities: ``predict`` uses the sign or the argmax of the margins and
        ``predict_proba`` is not available. Probability targets (soft labels) are not class
        labels: fit them with ``BoostLossRegressor`` (kl_divergence, soft-label logistic).
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
        return classification_loss("BoostLossClassifier", self.loss, self.loss_params, target,
                                   n_classes, "BoostLossRegressor")

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

    def __sklearn_tags__(self):  # (LossClassifierMixin's, defined here beside _more_tags)
        return super().__sklearn_tags__()

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        task = loss_task(self.loss)
        return {"allow_nan": True, "binary_only": task == "binary",
                "multilabel": task in (None, "multilabel")}
