"""What the two estimators share: parameter and data validation, the fit loop over the
engine adapters, prediction of raw scores (the public face and its semantics are in
``boostloss.sklearn``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from .._validation import check_fits_float32, check_sample_weight
from ..losses.base import Loss
from ..registry import resolve_loss
from ._compat import validate_data
from ._engine import EvalData, engine_feature_names, get_backend
from ._params import BoostingParams
from ._progress import ProgressBar

_IMPORTANCE_TYPES = ("gain", "split")

def _sparse_matrix(X):
    """scipy sparse arrays as sparse matrices: LightGBM only recognises ``csr_matrix`` and
    ``csc_matrix`` (an ``csr_array`` would be converted with a warning). No data is copied.
    Features beyond float32's range are refused (both engines hold features in float32;
    XGBoost would fail with a C++ stack trace, LightGBM bin an inf)."""
    if sparse.issparse(X) and not isinstance(X, sparse.spmatrix):
        X = sparse.csr_matrix(X) if X.format == "csr" else sparse.csc_matrix(X)
    values = X.data if sparse.issparse(X) else X
    if values.size:
        # fmax/fmin skip NaN (missing values) and need no temporary
        largest = max(float(np.fmax.reduce(values, axis=None)),
                      -float(np.fmin.reduce(values, axis=None)))
        if largest > _FLOAT32_MAX:
            raise ValueError(
                f"X holds a value of magnitude {largest:.3g}, beyond float32's range (3.4e38), "
                "the precision both engines store features in. Rescale that feature (or mark "
                "the value missing with NaN)."
            )
    return X


_FLOAT32_MAX = float(np.finfo(np.float32).max)


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
        if sample_weight is not None:
            check_fits_float32("sample weights", sample_weight)
        check_fits_float32("labels", np.asarray(y, dtype=np.float64))
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
