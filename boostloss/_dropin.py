"""What the drop-in estimators of both engines share, engine-independent.

``boostloss.xgboost.XGBRegressor`` / ``XGBClassifier`` and ``boostloss.lightgbm.LGBMRegressor`` /
``LGBMClassifier`` subclass the engines' own scikit-learn classes; the engine side (data
containers, training through the adapter's ``train``) lives beside each engine. This module
holds what is the same for both: which loss the ``loss`` / ``loss_params`` / ``objective``
parameters mean, class labels <-> the loss's internal labels, and the prediction rules
(``predict`` = ``loss.transform(raw)`` for regressors; classes by the sign / argmax of the raw
score, probabilities where the loss has them, for classifiers). ``boostloss.sklearn`` uses the
same loss choice for ``BoostLossClassifier``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import update_wrapper
from types import MethodType

import numpy as np

from .losses.base import Loss
from .registry import LOSSES, canonical_name, resolve_loss

__all__ = [
    "CLASSIFICATION_TASKS",
    "AUTO_LOSS",
    "ClassLabels",
    "losses_for",
    "check_loss_params",
    "regression_loss",
    "classification_loss",
    "loss_class",
    "loss_task",
    "needs_probabilities",
    "check_proba",
    "LossClassifierMixin",
    "LossParamsMixin",
    "encode_classes",
    "encode_eval_classes",
    "takes_probability_targets",
    "predict_classes",
    "predict_proba",
]

CLASSIFICATION_TASKS = ("binary", "multiclass", "multilabel")
AUTO_LOSS = {"binary": "logistic", "multiclass": "softmax_cross_entropy",
             "multilabel": "multilabel_logistic"}


def losses_for(task: str) -> list[str]:
    """Canonical names of the registered losses whose ``task`` is ``task``."""
    return sorted(name for name, cls in LOSSES.items() if cls.task == task)


def loss_class(loss) -> type[Loss] | None:
    """The loss class a ``loss`` parameter names; None for None / "auto" / unknown names
    (scikit-learn reads tags before fit, where unknown names are not yet errors)."""
    if isinstance(loss, Loss):
        return type(loss)
    if isinstance(loss, str) and loss != "auto":
        try:
            return LOSSES[canonical_name(loss)]
        except ValueError:
            return None
    return None


def loss_task(loss) -> str | None:
    """The task of the loss a ``loss`` parameter names (None as in ``loss_class``)."""
    cls = loss_class(loss)
    return None if cls is None else cls.task


class needs_probabilities:
    """Method decorator: the method exists only when the loss gives probabilities.

    Like scikit-learn's ``available_if`` (``hasattr`` is False otherwise, so
    meta-estimators and scorers fall back to ``decision_function``), but the
    AttributeError carries the owner's reason (``obj._check_proba()`` raises it).
    """

    def __init__(self, method) -> None:
        self.method = method
        update_wrapper(self, method)

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.method
        obj._check_proba()
        return MethodType(self.method, obj)


def check_loss_params(owner: str, loss, loss_params, objective=None) -> None:
    """``loss_params`` is a dict or None; ``loss`` and an engine ``objective`` exclude each other."""
    if loss_params is not None and not isinstance(loss_params, dict):
        raise TypeError(
            f"{owner}: loss_params must be a dict of the loss's parameters or None, got "
            f"{loss_params!r} of type {type(loss_params).__name__}."
        )
    if loss is not None and objective is not None:
        raise ValueError(
            f"{owner}: got loss={loss!r} and objective={objective!r}; give one. loss= trains a "
            "boostloss loss (with its intercept, metric and response-scale predictions); "
            "objective= is the engine's own objective."
        )


def _build(owner: str, loss, loss_params) -> Loss:
    try:
        return resolve_loss(loss, loss_params)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{owner}: {exc}") from None


def takes_probability_targets(loss: Loss) -> bool:
    """kl_divergence and logistic(soft_labels=True): y holds probabilities, not classes, so
    the regressors fit them and ``predict`` returns probabilities."""
    return loss.name == "kl_divergence" or bool(getattr(loss, "soft_labels", False))


def regression_loss(owner: str, loss, loss_params, classifier: str) -> Loss:
    """The regression loss ``loss`` names (default squared_error), or a loss for probability
    targets; a classification loss is a ValueError naming ``classifier``, the estimator to
    use instead."""
    built = _build(owner, "squared_error" if loss is None else loss, loss_params)
    if built.task != "regression" and not takes_probability_targets(built):
        raise ValueError(
            f"{owner}: loss {built.name!r} is a {built.task} loss; use {classifier} for class "
            f"labels. Regression losses: {', '.join(losses_for('regression'))}; for probability "
            "targets kl_divergence or logistic with loss_params={'soft_labels': True}."
        )
    return built


def classification_loss(owner: str, loss, loss_params, target: str, n_classes: int,
                        regressor: str) -> Loss:
    """The loss for class labels of kind ``target`` ("binary", "multiclass", "multilabel");
    ``loss`` None or "auto" picks logistic / softmax_cross_entropy / multilabel_logistic."""
    name = AUTO_LOSS[target] if loss is None or (isinstance(loss, str) and loss == "auto") else loss
    built = _build(owner, name, loss_params)
    fitting = {task: ", ".join(losses_for(task)) for task in CLASSIFICATION_TASKS}
    if built.task not in CLASSIFICATION_TASKS:
        raise ValueError(
            f"{owner}: loss {built.name!r} is a {built.task} loss; it cannot fit class labels. "
            f"Classification losses: binary: {fitting['binary']}; multiclass: "
            f"{fitting['multiclass']}; multilabel: {fitting['multilabel']} (or loss='auto'). "
            f"For a numeric target use {regressor}."
        )
    if target == "multilabel" and built.task != "multilabel":
        raise ValueError(
            f"{owner}: y is a multilabel indicator matrix of {n_classes} labels, but loss "
            f"{built.name!r} is a {built.task} loss. Losses for multilabel y: "
            f"{fitting['multilabel']} (or loss='auto')."
        )
    if built.task == "multilabel" and target != "multilabel":
        raise ValueError(
            f"{owner}: loss {built.name!r} needs y as a 2-D 0/1 indicator matrix (n_samples, "
            f"n_labels), got {target} labels. For {target} labels use one of: "
            f"{fitting[target]} (or loss='auto')."
        )
    if target == "multiclass" and built.task == "binary":
        raise ValueError(
            f"{owner}: Only binary classification is supported by loss {built.name!r}, but y "
            f"has {n_classes} classes. Losses for multiclass y: {fitting['multiclass']} (or "
            "loss='auto')."
        )
    return built


@dataclass(frozen=True)
class ClassLabels:
    """The user's class labels (``classes``) and their codes 0..k-1 (``codes``, float64).

    ``target`` is "binary", "multiclass" or "multilabel" (then ``codes`` is the (n, k) 0/1
    matrix and ``classes`` is ``arange(k)``)."""

    classes: np.ndarray
    codes: np.ndarray
    target: str


def encode_classes(owner: str, y) -> ClassLabels:
    """Class labels of any type -> codes 0..k-1 (sorted like ``np.unique``); a 2-D 0/1
    matrix with more than one column is a multilabel target."""
    if y is None:
        raise ValueError(f"{owner} requires y to be passed, but the target y is None.")
    y = np.asarray(y.toarray() if hasattr(y, "toarray") else y)
    if y.ndim == 2 and y.shape[1] == 1:
        from sklearn.exceptions import DataConversionWarning  # the drop-ins' engines need it

        warnings.warn("A column-vector y was passed when a 1d array was expected. Please "
                      "change the shape of y to (n_samples,), for example using ravel().",
                      DataConversionWarning, stacklevel=3)
        y = y[:, 0]
    if y.ndim == 2:
        codes = y.astype(np.float64)
        return ClassLabels(np.arange(y.shape[1]), codes, "multilabel")
    if y.ndim != 1:
        raise ValueError(f"{owner}: y must be 1-D class labels, got shape {y.shape}.")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError(f"{owner}: y contains NaN or infinity; class labels must be finite.")
    if y.dtype.kind == "f" and np.any(y != np.round(y)):
        raise ValueError(
            f"{owner}: Unknown label type: y holds continuous values such as "
            f"{y[y != np.round(y)][:3].tolist()}; a classifier needs class labels. For a numeric "
            "target use a regressor."
        )
    classes, codes = np.unique(y, return_inverse=True)
    if classes.size < 2:
        raise ValueError(
            f"{owner} needs samples of at least 2 classes in the data, but the data contains "
            f"only one class: {classes.tolist()[:1]!r}."
        )
    return ClassLabels(classes, codes.astype(np.float64),
                       "binary" if classes.size == 2 else "multiclass")


def encode_eval_classes(owner: str, labels: ClassLabels, y, index: int) -> np.ndarray:
    """Codes of an evaluation set's labels, which must be among the training classes."""
    y = np.asarray(y.toarray() if hasattr(y, "toarray") else y)
    if labels.target == "multilabel":
        if y.ndim != 2 or y.shape[1] != labels.classes.size:
            raise ValueError(
                f"{owner}: eval_set[{index}]: y must be a 0/1 indicator matrix with "
                f"{labels.classes.size} columns like the training y, got shape {y.shape}."
            )
        return y.astype(np.float64)
    y = y.ravel()
    position = np.searchsorted(labels.classes, y).clip(0, labels.classes.size - 1)
    unseen = labels.classes[position] != y
    if np.any(unseen):
        raise ValueError(
            f"{owner}: eval_set[{index}]: y contains labels not seen in the training data: "
            f"{np.unique(y[unseen])[:5].tolist()}; the training classes are "
            f"{labels.classes[:10].tolist()}."
        )
    return position.astype(np.float64)


def predict_classes(loss: Loss, raw: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Class labels from raw scores: ``classes[raw > 0]`` for binary losses (probability >
    0.5, or the sign of a margin), the argmax for multiclass, a 0/1 matrix (probability >
    0.5) for multilabel."""
    if loss.task == "multilabel":
        return (raw > 0).astype(np.int64)
    if raw.ndim == 1:
        return classes[(raw > 0).astype(np.intp)]
    return classes[np.argmax(raw, axis=1)]


def check_proba(owner: str, cls: type[Loss] | None) -> bool:
    """AttributeError (what scikit-learn expects of a missing method) if the loss class is a
    margin loss without probabilities; True otherwise (None: not known before fit)."""
    if cls is not None and not cls.has_probabilities:
        raise AttributeError(
            f"{owner}: predict_proba is not available for loss {cls.name!r}: it is a margin "
            "loss and gives no probabilities. Use predict (the sign of the margin) or "
            "decision_function, or choose a probabilistic loss such as 'logistic' or 'focal'."
        )
    return True


def predict_proba(owner: str, loss: Loss, raw: np.ndarray) -> np.ndarray:
    """``loss.transform(raw)`` as (n, 2) for binary losses, (n, k) otherwise (a margin loss
    raises AttributeError)."""
    check_proba(owner, type(loss))
    proba = loss.transform(raw)
    if proba.ndim == 1:
        return np.column_stack([1.0 - proba, proba])
    return proba


class LossClassifierMixin:
    """What a classifier with a ``loss`` parameter reads from it: whether ``predict_proba``
    exists (``needs_probabilities`` calls ``_check_proba``) and scikit-learn's multiclass /
    multilabel tags. With an engine ``objective`` and no ``loss`` the parent class decides."""

    def _loss_decides(self) -> bool:
        return self.loss is not None or getattr(self, "objective", None) is None

    def _check_proba(self) -> bool:
        fitted = getattr(self, "loss_", None)
        if fitted is None and not self._loss_decides():
            return True
        cls = type(fitted) if fitted is not None else loss_class(self.loss)
        return check_proba(type(self).__name__, cls)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self._loss_decides():
            task = loss_task(self.loss)
            tags.classifier_tags.multi_class = task in (None, "multiclass")
            tags.classifier_tags.multi_label = task in (None, "multilabel")
        return tags


class LossParamsMixin:
    """The constructor of a drop-in estimator: ``loss`` and ``loss_params`` beside the engine
    class's parameters (which arrive in ``**kwargs``). scikit-learn reads the parameter names
    from this signature, the engines' ``get_params`` add their own."""

    def __init__(self, *, loss: str | Loss | None = None, loss_params: dict | None = None,
                 objective=None, **kwargs) -> None:
        super().__init__(objective=objective, **kwargs)
        self.loss = loss
        self.loss_params = loss_params
