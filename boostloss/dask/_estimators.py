"""scikit-learn style estimators over Dask collections: the Dask twins of BoostLoss*.

``DaskBoostLossRegressor`` / ``DaskBoostLossClassifier`` take the same boosting parameters
as ``BoostLossRegressor`` / ``BoostLossClassifier`` (mapped to engine names by
``boostloss.sklearn._params``) plus ``client``; ``fit`` takes dask collections and trains
with ``boostloss.dask.train``; ``predict`` returns dask collections (lazy). Differences:
no ``n_jobs`` (each Dask worker uses its own threads), no ``validation_fraction`` (early
stopping needs ``eval_set``: a random split of a dask collection is the caller's choice),
no progress bar, and the classifier takes 1-D class labels (for a multilabel 0/1 matrix use
``boostloss.dask.train(loss="multilabel_logistic")``).

The classifier finds the classes with one dask ``unique`` pass, encodes labels partition
by partition (``np.searchsorted`` on the sorted classes) and, like its in-memory twin,
predicts ``classes_[raw > 0]`` (binary) or the argmax (multiclass).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._dropin import loss_class as _loss_class
from ..losses.base import Loss
from ..registry import LOSSES, resolve_loss
from ..sklearn._params import BoostingParams, lightgbm_params, xgboost_params
from . import _train

__all__ = ["DaskBoostLossRegressor", "DaskBoostLossClassifier"]


def _is_frame(value) -> bool:
    import dask.dataframe as dd

    return isinstance(value, (dd.DataFrame, dd.Series))


def _encode_block(block, classes: np.ndarray):
    values = block.to_numpy() if hasattr(block, "to_numpy") else np.asarray(block)
    codes = np.searchsorted(classes, values)
    codes = np.minimum(codes, classes.size - 1)
    unseen = classes[codes] != values
    if np.any(unseen):
        raise ValueError(
            f"y contains labels not seen in the training data: {np.unique(values[unseen])[:5]}; "
            f"the training classes are {classes[:10].tolist()}."
        )
    codes = codes.astype(np.float64)
    if hasattr(block, "index"):
        import pandas as pd

        return pd.Series(codes, index=block.index, name="label")
    return codes


class _DaskBoostLossModel(BaseEstimator):
    """Parameters, fitting and prediction shared by both Dask estimators."""

    # Parameters of the in-memory estimators that do not apply on Dask (see module doc);
    # BoostingParams.from_estimator reads them.
    n_jobs = None
    validation_fraction = None

    def __sklearn_clone__(self):
        """clone() copies every parameter except the client, which is shared (a
        ``distributed.Client`` cannot be copied)."""
        params = self.get_params(deep=False)
        copied = {key: value if key == "client" else clone(value, safe=False)
                  for key, value in params.items()}
        return type(self)(**copied)

    def __getstate__(self) -> dict[str, Any]:
        """Pickles without the client (it cannot be pickled); the fitted model is kept."""
        state = dict(self.__dict__)
        state["client"] = None
        return state

    def _engine_params(self) -> tuple[str, dict[str, Any], int, int | None]:
        params = BoostingParams.from_estimator(self)
        engine = xgboost_params(params) if params.backend == "xgboost" else lightgbm_params(params)
        return params.backend, engine, params.n_estimators, params.early_stopping_rounds

    def _build_loss(self, name) -> Loss:
        if self.loss_params is not None and not isinstance(self.loss_params, dict):
            raise TypeError(f"loss_params must be a dict or None, got {self.loss_params!r}.")
        return resolve_loss(name, self.loss_params)

    def _fit_loss(self, loss: Loss, X, y, sample_weight, eval_set, eval_sample_weight):

        backend, params, rounds, early_stopping = self._engine_params()
        model = _train.train(
            self.client, params, X, y, rounds, loss=loss, backend=backend,
            sample_weight=sample_weight, eval_set=eval_set,
            eval_sample_weight=eval_sample_weight, early_stopping_rounds=early_stopping,
        )
        self.loss_ = loss
        self.model_ = model
        self.init_score_ = model.init_score
        self.best_iteration_ = model.best_iteration
        self.evals_result_ = model.evals_result
        self.n_features_in_ = int(X.shape[1]) if not _is_frame(X) else len(X.columns)
        if _is_frame(X):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def _predict(self, X, output: str):

        check_is_fitted(self, "model_")
        return _train.predict(self.model_, X, output=output)


class DaskBoostLossRegressor(RegressorMixin, _DaskBoostLossModel):
    """Gradient boosting regressor on Dask collections with a boostloss regression loss.

    Parameters are those of ``BoostLossRegressor`` (loss, loss_params, backend,
    n_estimators, learning_rate, max_depth, num_leaves, min_child_weight, subsample,
    colsample, reg_lambda, random_state, early_stopping_rounds, engine_params) plus
    ``client`` (a ``distributed.Client``; None uses the default client).

    Attributes: ``model_`` (DaskBoostLossModel), ``loss_``, ``init_score_`` (from all rows),
    ``best_iteration_``, ``evals_result_`` (global metric per round on each eval set),
    ``n_features_in_``, ``feature_names_in_`` (dask DataFrame input).
    """

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
        early_stopping_rounds: int | None = None,
        engine_params: dict | None = None,
        client=None,
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
        self.early_stopping_rounds = early_stopping_rounds
        self.engine_params = engine_params
        self.client = client

    def fit(self, X, y, sample_weight=None, eval_set=None, eval_sample_weight=None):
        """Fit on dask collections X (n, d), y (n,), sample_weight (n,) partitioned alike."""
        loss = self._build_loss(self.loss)
        if loss.task != "regression":
            regression = sorted(n for n, c in LOSSES.items() if c.task == "regression")
            raise ValueError(
                f"DaskBoostLossRegressor: loss {loss.name!r} is a {loss.task} loss. Regression "
                f"losses: {', '.join(regression)}. For class labels use DaskBoostLossClassifier."
            )
        return self._fit_loss(loss, X, y, sample_weight, eval_set, eval_sample_weight)

    def predict(self, X):
        """``loss.transform(raw)`` as a dask array (dask Series/DataFrame for DataFrame X)."""
        return self._predict(X, "response")


class DaskBoostLossClassifier(ClassifierMixin, _DaskBoostLossModel):
    """Gradient boosting classifier on Dask collections with a boostloss classification loss.

    Parameters as ``DaskBoostLossRegressor``; ``loss="auto"`` (default) is ``logistic`` for
    two classes and ``softmax_cross_entropy`` for more. y holds 1-D class labels of any
    sortable type. Attributes add ``classes_`` and ``n_classes_``.
    """

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
        early_stopping_rounds: int | None = None,
        engine_params: dict | None = None,
        client=None,
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
        self.early_stopping_rounds = early_stopping_rounds
        self.engine_params = engine_params
        self.client = client

    def _choose_loss(self, n_classes: int) -> Loss:
        name = self.loss
        if isinstance(name, str) and name == "auto":
            name = "logistic" if n_classes == 2 else "softmax_cross_entropy"
        loss = self._build_loss(name)
        wanted = "binary" if n_classes == 2 else "multiclass"
        if loss.task == "multiclass" or loss.task == wanted:
            return loss
        fitting = sorted(n for n, c in LOSSES.items() if c.task == wanted)
        raise ValueError(
            f"DaskBoostLossClassifier: loss {loss.name!r} is a {loss.task} loss but y has "
            f"{n_classes} classes. Losses for this y: {', '.join(fitting)} (or loss='auto')."
        )

    def _encode(self, y):
        if _is_frame(y):
            return y.map_partitions(_encode_block, self.classes_, meta=("label", "f8"))
        return y.map_blocks(_encode_block, self.classes_, dtype=np.float64)

    def fit(self, X, y, sample_weight=None, eval_set=None, eval_sample_weight=None):
        """Fit on dask collections X (n, d) and class labels y (n,) partitioned alike."""
        import dask.array as da


        uniques = y.unique() if _is_frame(y) else da.unique(y)
        classes = np.asarray(_train._client(self.client).compute(uniques).result())
        self.classes_ = np.sort(classes)
        self.n_classes_ = int(self.classes_.size)
        if self.n_classes_ < 2:
            raise ValueError(
                "DaskBoostLossClassifier needs samples of at least 2 classes, but y contains "
                f"only {self.classes_.tolist()}."
            )
        loss = self._choose_loss(self.n_classes_)
        encoded_evals = None if eval_set is None else [
            (X_eval, self._encode(y_eval)) for X_eval, y_eval in eval_set
        ]
        return self._fit_loss(loss, X, self._encode(y), sample_weight, encoded_evals,
                              eval_sample_weight)

    def decision_function(self, X):
        """Raw scores (init score included): (n,) for binary losses, (n, k) otherwise."""
        return self._predict(X, "raw")

    def predict(self, X):
        """Class labels: ``classes_[raw > 0]`` (binary losses) or the argmax (multiclass)."""
        raw = self._predict(X, "raw")
        classes = self.classes_
        if _is_frame(raw):
            if raw.ndim == 1:
                return raw.map_partitions(lambda s: s.gt(0).map({False: classes[0],
                                                                 True: classes[1]}),
                                          meta=(raw.name, classes.dtype))
            return raw.map_partitions(_argmax_frame, classes, meta=("prediction", classes.dtype))
        if raw.ndim == 1:
            return raw.map_blocks(lambda r: classes[(r > 0).astype(np.intp)], dtype=classes.dtype)
        return raw.map_blocks(lambda r: classes[np.argmax(r, axis=1)], drop_axis=1,
                              dtype=classes.dtype)

    def _check_proba(self) -> bool:
        loss = getattr(self, "loss_", None)
        cls = type(loss) if loss is not None else _loss_class(self.loss)
        if cls is not None and not cls.has_probabilities:
            raise AttributeError(
                f"predict_proba is not available for loss {cls.name!r}: a margin loss gives "
                "no probabilities. Use predict or decision_function."
            )
        return True

    @available_if(_check_proba)
    def predict_proba(self, X):
        """``loss.transform(raw)``: (n, 2) for binary losses (columns follow ``classes_``),
        (n, n_classes) for multiclass; a dask array (or dask DataFrame for DataFrame X)."""
        proba = self._predict(X, "response")
        if self.loss_.task != "binary":
            return proba
        if _is_frame(proba):
            import pandas as pd

            return proba.map_partitions(
                lambda s: pd.DataFrame({"prediction_0": 1.0 - s, "prediction_1": s}),
                meta={"prediction_0": "f8", "prediction_1": "f8"})
        return proba.map_blocks(lambda p: np.column_stack([1.0 - p, p]), new_axis=1,
                                chunks=(proba.chunks[0], (2,)), dtype=np.float64)


def _argmax_frame(frame, classes: np.ndarray):
    import pandas as pd

    return pd.Series(classes[np.argmax(frame.to_numpy(), axis=1)], index=frame.index,
                     name="prediction")
