"""train / predict / evaluate / init_score on Dask collections (the public face is
``boostloss.dask``; its docstring states the guarantees these functions keep)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..losses.base import Loss
from ..registry import resolve_loss
from ._data import check_aligned, is_dask_collection, require_dask
from ._engines import DaskEvalSet
from ._model import DaskBoostLossModel, check_output

BACKENDS = ("xgboost", "lightgbm")

LEAF_REFIT_NOTE = (
    "On Dask, absolute_error and quantile cannot re-fit every leaf to the residual quantile "
    "of its rows as the single-machine adapters do (boostloss.lightgbm.train's leaf renewal, "
    "boostloss.xgboost.train's zero_hessian='refit'): that needs all rows of a leaf in one "
    "process, lightgbm.dask has no allreduce in Python and xgboost.dask gives a custom "
    "objective no leaf hook. XGBoost trains with XGBoost 3.4's MM surrogate instead, its "
    "residual scale summed over all workers (zero_hessian='surrogate' on one machine); "
    "LightGBM with the gradient and a constant Hessian (each leaf moves by at most "
    "learning_rate per tree). Both start from the exact global quantile. Expect slower "
    "convergence than on one machine, LightGBM most (more rounds or a larger learning_rate)."
)


def _check_loss(loss: Loss, backend: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}.")
    if not loss.separable:
        raise ValueError(
            f"{loss.name} is not separable: every row's gradient depends on sums over all rows "
            "(soft TP, FP, FN; GHM's bin counts), but on Dask each worker only sees its own rows, so its "
            "gradients would be wrong. boostloss refuses it on Dask. Train it on one machine "
            "(boostloss.xgboost.train / boostloss.lightgbm.train), or use a separable loss "
            "such as 'logistic' or 'focal'."
        )


def _client(client):
    if client is not None:
        return client
    from distributed import default_client

    try:
        return default_client()
    except ValueError as exc:
        raise ValueError(
            "no Dask client: pass client=distributed.Client(...) or create one first."
        ) from exc


def _check_params(params) -> dict[str, Any]:
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of engine parameters, got {type(params).__name__}.")
    return dict(params)


def _check_collection(name: str, value) -> None:
    if not is_dask_collection(value):
        raise TypeError(
            f"{name} must be a dask collection (dask.array or dask.dataframe), got "
            f"{type(value).__name__}. For in-memory data use boostloss.xgboost / "
            "boostloss.lightgbm, or wrap it with dask.array.from_array / "
            "dask.dataframe.from_pandas."
        )


def _check_init_score(loss: Loss, value):
    value = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(value)):
        raise ValueError(f"init_score must be finite, got {value!r}.")
    if loss.is_multi_output:
        if value.ndim != 1 or value.size < 1:
            raise ValueError(f"{loss.name}: init_score must be a 1-D array with one value per "
                             f"output column, got shape {value.shape}.")
        expected = loss.n_outputs
        if expected is not None and value.size != expected:
            raise ValueError(f"{loss.name}: init_score must have {expected} values, "
                             f"got {value.size}.")
        return value
    if value.ndim != 0:
        raise ValueError(f"{loss.name}: init_score must be a number, got shape {value.shape}.")
    return float(value)


def _eval_sets(eval_set, eval_sample_weight, eval_names) -> list[DaskEvalSet]:
    if eval_set is None:
        return []
    eval_set = list(eval_set)
    weights = [None] * len(eval_set) if eval_sample_weight is None else list(eval_sample_weight)
    names = [f"valid_{i}" for i in range(len(eval_set))] if eval_names is None else list(eval_names)
    if len(weights) != len(eval_set) or len(names) != len(eval_set):
        raise ValueError(
            f"eval_sample_weight ({len(weights)}) and eval_names ({len(names)}) must have one "
            f"entry per eval_set pair ({len(eval_set)})."
        )
    sets = []
    for i, (pair, weight, name) in enumerate(zip(eval_set, weights, names, strict=True)):
        if not isinstance(pair, Sequence) or len(pair) != 2:
            raise ValueError(f"eval_set[{i}] must be an (X, y) pair of dask collections.")
        for part_name, part in (("X", pair[0]), ("y", pair[1])):
            _check_collection(f"eval_set[{i}] {part_name}", part)
        check_aligned(f"eval_set[{i}] y", pair[1], f"eval_set[{i}] X", pair[0])
        if weight is not None:
            _check_collection(f"eval_sample_weight[{i}]", weight)
        sets.append(DaskEvalSet(str(name), pair[0], pair[1], weight))
    return sets


def init_score(client, y, sample_weight=None, *, loss, loss_params: dict | None = None):
    """``loss.init_score`` of distributed labels (and weights), from every row.

    Returns a float, or a (k,) array for multi-output losses. See ``boostloss.dask._init``
    for the method and accuracy of each loss family.
    """
    from ._data import TargetParts
    from ._init import distributed_init_score

    require_dask()
    loss = resolve_loss(loss, loss_params)
    _check_collection("y", y)
    if sample_weight is not None:
        _check_collection("sample_weight", sample_weight)
    with TargetParts.from_collections(_client(client), loss, y, sample_weight) as parts:
        return distributed_init_score(parts, loss)


def train(
    client,
    params: dict[str, Any] | None,
    X,
    y,
    num_boost_round: int = 100,
    *,
    loss: str | Loss,
    loss_params: dict | None = None,
    backend: str = "xgboost",
    sample_weight=None,
    eval_set: Sequence[tuple[Any, Any]] | None = None,
    eval_sample_weight: Sequence[Any] | None = None,
    eval_names: Sequence[str] | None = None,
    early_stopping_rounds: int | None = None,
    init_score=None,
) -> DaskBoostLossModel:
    """Train ``backend`` on Dask collections with a boostloss loss.

    Args:
        client: a ``distributed.Client`` (None: the default client).
        params: engine parameters in the engine's own names (XGBoost: ``max_depth``,
            ``eta``, ...; LightGBM: ``num_leaves``, ``learning_rate``, ...). The objective,
            metric, starting score, class count and round count are set by boostloss; giving
            them here is a ValueError. LightGBM's ``time_out`` (minutes, default 120)
            bounds how long one rank waits for another: if LightGBM fails on one worker,
            the ranks on the others keep their worker busy until then (boostloss warns
            with their addresses; ``client.restart()`` frees them at once).
        X: features, dask array (n, d) or dask DataFrame; y: labels, partitioned like X
            ((n,), or (n, k) for multilabel); sample_weight: (n,) or None.
        num_boost_round: boosting rounds.
        loss, loss_params: a loss name (or alias) and its parameters, or a Loss instance.
        eval_set: (X, y) pairs of dask collections, evaluated on all their rows after
            every round into ``model.evals_result``; eval_sample_weight, eval_names: one
            per pair (names default to "valid_0", ...).
        early_stopping_rounds: stop (XGBoost) or pick the round (LightGBM) when the global
            metric on the eval sets has not improved for this many rounds (needs eval_set).
        init_score: a float / (k,) array to start from instead of the distributed
            ``loss.init_score``.

    Returns:
        DaskBoostLossModel; ``predict(model, X)`` adds the init score and applies
        ``loss.transform``.
    """
    from .._validation import check_number_param
    from ._data import TargetParts
    from ._engines import train_lightgbm, train_xgboost
    from ._eval import early_stopping_rule, metric_history
    from ._init import QUANTILE_LOSSES, distributed_init_score

    require_dask()
    loss = resolve_loss(loss, loss_params)
    _check_loss(loss, backend)
    client = _client(client)
    params = _check_params(params)
    num_boost_round = int(check_number_param("num_boost_round", num_boost_round, low=1,
                                             integer=True))
    _check_collection("X", X)
    _check_collection("y", y)
    check_aligned("y", y, "X", X)
    if sample_weight is not None:
        _check_collection("sample_weight", sample_weight)
        check_aligned("sample_weight", sample_weight, "X", X)
    evals = _eval_sets(eval_set, eval_sample_weight, eval_names)
    if early_stopping_rounds is not None:
        early_stopping_rounds = int(check_number_param(
            "early_stopping_rounds", early_stopping_rounds, low=1, integer=True))
        if not evals:
            raise ValueError("early_stopping_rounds needs at least one eval_set to watch.")

    if loss.name in QUANTILE_LOSSES:
        warnings.warn(LEAF_REFIT_NOTE, UserWarning, stacklevel=2)
    if init_score is None:
        with TargetParts.from_collections(client, loss, y, sample_weight) as parts:
            start = distributed_init_score(parts, loss)
    else:
        start = _check_init_score(loss, init_score)

    if backend == "xgboost":
        model = train_xgboost(client, params, X, y, sample_weight, loss, start,
                              num_boost_round, evals, early_stopping_rounds)
    else:
        model = train_lightgbm(client, params, X, y, sample_weight, loss, start,
                               num_boost_round)
    histories = {
        e.name: metric_history(client, model, e.X, e.y, e.sample_weight) for e in evals
    }
    model.evals_result = {name: {loss.name: values} for name, values in histories.items()}
    if early_stopping_rounds is not None and backend == "lightgbm":
        model.best_iteration = early_stopping_rule(list(histories.values()),
                                                   early_stopping_rounds)
    return model


def _predict_block(block, model: DaskBoostLossModel, output: str, iteration):
    return model.predict_local(block, output=output, iteration=iteration)


def _predict_frame(part, model: DaskBoostLossModel, output: str, iteration):
    import pandas as pd

    values = model.predict_local(part, output=output, iteration=iteration)
    if values.ndim == 1:
        return pd.Series(values, index=part.index, name="prediction")
    return pd.DataFrame(values, index=part.index,
                        columns=[f"prediction_{j}" for j in range(values.shape[1])])


def predict(model: DaskBoostLossModel, X, *, output: str = "response",
            iteration: int | None = None):
    """Predictions of a Dask-trained model, lazily, partition by partition.

    ``output="response"`` is ``loss.transform(raw)``; ``"raw"`` the raw scores (init score
    included). Shape (n,), or (n, k) for multi-output losses. ``iteration`` (0-based)
    defaults to ``model.best_iteration``. A dask array X gives a dask array; a dask
    DataFrame gives a dask Series / DataFrame with X's index; in-memory X gives numpy.
    """
    import dask

    check_output(output)
    if not isinstance(model, DaskBoostLossModel):
        raise TypeError(f"model must be a DaskBoostLossModel from boostloss.dask.train, got "
                        f"{type(model).__name__}.")
    if not is_dask_collection(X):
        return model.predict_local(X, output=output, iteration=iteration)
    model._n_rounds(iteration)  # validate now, not inside a worker
    import dask.array as da

    shared = dask.delayed(model, traverse=False)
    multi = model.loss.is_multi_output
    if isinstance(X, da.Array):
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got {X.ndim} dimensions.")
        X = X.rechunk({1: -1})
        if multi:
            return X.map_blocks(_predict_block, shared, output, iteration, dtype=np.float64,
                                chunks=(X.chunks[0], (model.n_outputs,)),
                                meta=np.empty((0, 0), dtype=np.float64))
        return X.map_blocks(_predict_block, shared, output, iteration, dtype=np.float64,
                            drop_axis=1, meta=np.empty((0,), dtype=np.float64))
    return X.map_partitions(_predict_frame, shared, output, iteration, meta=_frame_meta(X, model))


def _frame_meta(X, model: DaskBoostLossModel):
    import pandas as pd

    if model.loss.is_multi_output:
        return pd.DataFrame({f"prediction_{j}": np.zeros(0) for j in range(model.n_outputs)},
                            index=X._meta.index)
    return pd.Series(np.zeros(0), index=X._meta.index, name="prediction")


def evaluate(model: DaskBoostLossModel, X, y, sample_weight=None, *, client=None,
             iteration: int | None = None) -> float:
    """``loss.metric`` of the model over every row of (X, y): sum w*loss / sum w."""
    from ._eval import global_metric

    for name, value in (("X", X), ("y", y)):
        _check_collection(name, value)
    if sample_weight is not None:
        _check_collection("sample_weight", sample_weight)
    model._n_rounds(iteration)
    return global_metric(_client(client), model, X, y, sample_weight, iteration)


# The estimators import this module lazily (inside their methods), so no cycle at import.
