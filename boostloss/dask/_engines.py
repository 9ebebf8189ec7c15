"""Training a boostloss loss with ``xgboost.dask`` and ``lightgbm.dask``.

Both engines train data-parallel: every worker computes gradients on its own rows and the
engine sums histograms across workers, so a separable loss's objective needs no global
information. The objectives are the adapters' callables (``boostloss.xgboost.objective``,
``boostloss.lightgbm.sklearn_objective``), built on the worker that calls them (adapter
callables may hold per-dataset caches that do not pickle; ``AdapterCallable`` ships only
the loss and the factory's name).

Starting score: the distributed ``init_score`` (see ``dask._init``). XGBoost takes it as
``base_score`` (a list for multi-output losses), exactly as ``boostloss.xgboost.train`` does;
LightGBM gets it as a per-row ``init_score`` created on the workers (``constant_like``) and
the fitted booster gets it folded into its first round's leaves, exactly as
``boostloss.lightgbm.train`` leaves its boosters. Either way the booster's raw prediction
includes the init score once.

Metrics: the engines' own evaluation on Dask is per worker (XGBoost averages the workers'
values unweighted; LightGBM reports one worker). ``XGBoostGlobalMetric`` combines the
adapter's per-worker metric with XGBoost's allreduce into the weighted mean over all rows,
so XGBoost's early stopping sees the global metric. LightGBM's Python API has no allreduce:
boostloss passes it no eval sets and evaluates every round on the whole data afterwards
(``dask._eval``).
"""

from __future__ import annotations

import importlib
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..losses.base import Loss
from ._data import constant_like
from ._model import DaskBoostLossModel

__all__ = [
    "AdapterCallable",
    "XGBoostGlobalMetric",
    "DaskEvalSet",
    "train_xgboost",
    "train_lightgbm",
    "XGBOOST_RESERVED",
    "LIGHTGBM_RESERVED",
]

XGBOOST_RESERVED = {
    "objective": "pass loss=... (and loss_params=...)",
    "obj": "pass loss=... (and loss_params=...)",
    "num_class": "the number of classes comes from the labels",
    "num_target": "the number of outputs comes from the loss",
    "base_score": "the starting score is the distributed init score (or init_score=...)",
    "eval_metric": "the reported metric is the loss's metric on the whole data",
    "num_boost_round": "pass num_boost_round=...",
    "n_estimators": "pass num_boost_round=...",
    "early_stopping_rounds": "pass early_stopping_rounds=...",
}
LIGHTGBM_RESERVED = {
    **{key: "pass loss=... (and loss_params=...)"
       for key in ("objective", "objective_type", "app", "application", "loss")},
    **{key: "the number of classes comes from the labels" for key in ("num_class", "num_classes")},
    "init_score": "the starting score is the distributed init score (or init_score=...)",
    **{key: "the reported metric is the loss's metric on the whole data"
       for key in ("metric", "metrics", "metric_types")},
    **{key: "pass num_boost_round=..." for key in (
        "num_iterations", "num_iteration", "n_iter", "num_tree", "num_trees", "num_round",
        "num_rounds", "nrounds", "num_boost_round", "n_estimators", "max_iter")},
    **{key: "pass early_stopping_rounds=..." for key in (
        "early_stopping_round", "early_stopping_rounds", "early_stopping", "n_iter_no_change")},
}


@dataclass
class DaskEvalSet:
    """One evaluation data set: dask collections X, y and optional sample_weight."""

    name: str
    X: Any
    y: Any
    sample_weight: Any = None


class AdapterCallable:
    """An adapter callable (``<module>.<factory>(loss)``, module a boostloss module) built
    where it runs.

    Pickles as (module, factory, loss) only; the callable itself is created on first use
    in each worker process, so nothing the adapter caches has to travel.
    """

    def __init__(self, module: str, factory: str, loss: Loss, **options: Any):
        self.module = module
        self.factory = factory
        self.loss = loss
        self.options = options
        self._function = None

    def _get(self):
        if self._function is None:
            module = importlib.import_module(f"boostloss.{self.module}")
            self._function = getattr(module, self.factory)(self.loss, **self.options)
        return self._function

    def __getstate__(self) -> dict[str, Any]:
        return {"module": self.module, "factory": self.factory, "loss": self.loss,
                "options": self.options}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._function = None


class XGBoostObjective(AdapterCallable):
    """The adapter's objective for ``xgboost.dask.train(obj=...)``: ``DistributedObjective``,
    or for absolute_error / quantile ``DistributedSurrogateObjective`` (XGBoost 3.4's MM
    surrogate with the residual scale summed over all workers)."""

    def __init__(self, loss: Loss, n_outputs: int):
        from ..xgboost import ZERO_HESSIAN_LOSSES

        factory = ("DistributedSurrogateObjective" if loss.name in ZERO_HESSIAN_LOSSES
                   else "DistributedObjective")
        super().__init__("xgboost._callables", factory, loss, n_outputs=n_outputs)

    def __call__(self, predt, dtrain):
        return self._get()(predt, dtrain)


class LightGBMObjective(AdapterCallable):
    """``boostloss.lightgbm.sklearn_objective(loss)`` for the lightgbm.dask estimators.

    Exactly three parameters, so LightGBM passes the sample weights (LightGBM >= 4 drops
    them silently for two-argument objectives).
    """

    def __init__(self, loss: Loss):
        super().__init__("lightgbm", "sklearn_objective", loss)

    def __call__(self, y_true, y_pred, weight):
        return self._get()(y_true, y_pred, weight)


class XGBoostGlobalMetric(AdapterCallable):
    """The loss's metric on all workers' rows, for ``xgboost.dask.train(custom_metric=...)``.

    Each worker evaluates the adapter's metric (``boostloss.xgboost.metric``, the weighted
    mean of the loss on its rows) and its total weight W_r; XGBoost's allreduce then gives
    sum_r m_r W_r / sum_r W_r, the weighted mean over every row, identical on all workers
    (so XGBoost's own averaging over workers leaves it unchanged and early stopping agrees
    across workers). Caveat inherited from XGBoost: custom metric values are passed through
    a "%f" string, i.e. rounded to 6 decimals, before early stopping compares them.
    """

    def __init__(self, loss: Loss):
        super().__init__("xgboost", "metric", loss)

    def __call__(self, predt, dmatrix):
        from xgboost import collective

        n_rows = dmatrix.num_row()
        if n_rows:
            _, value = self._get()(predt, dmatrix)
            weight = dmatrix.get_weight()
            total = float(np.sum(weight, dtype=np.float64)) if weight.size else float(n_rows)
        else:  # a worker without rows of this set still joins the allreduce
            value, total = 0.0, 0.0
        sums = collective.allreduce(np.array([value * total, total]), collective.Op.SUM)
        return self.loss.name, float(sums[0] / sums[1])


def _check_reserved(params: dict[str, Any], reserved: dict[str, str], engine: str) -> None:
    for key in params:
        if key in reserved:
            raise ValueError(
                f"params sets {key!r}, which boostloss.dask controls on {engine}: {reserved[key]}."
            )


def _n_outputs(loss: Loss, init_score) -> int:
    return int(np.size(init_score)) if loss.is_multi_output else 1


# --------------------------------------------------------------------------- XGBoost
def _xgboost_dmatrix(client, params, X, y, weight, reference=None):
    import xgboost.dask as dxgb

    hist = params.get("tree_method", "hist") in ("hist", "auto") and params.get(
        "booster", "gbtree") != "gblinear"
    if hist:  # the same bins as a single-machine QuantileDMatrix, without a float copy
        extra = {"max_bin": params["max_bin"]} if "max_bin" in params else {}
        return dxgb.DaskQuantileDMatrix(client, X, y, weight=weight, ref=reference, **extra)
    return dxgb.DaskDMatrix(client, X, y, weight=weight)


def xgboost_engine_params(params: dict[str, Any], loss: Loss, init_score) -> dict[str, Any]:
    """User params plus what boostloss sets: base_score = init score, outputs, no default
    metric (as ``boostloss.xgboost.train`` does on one machine)."""
    _check_reserved(params, XGBOOST_RESERVED, "XGBoost")
    engine = {"tree_method": "hist", **params, "disable_default_eval_metric": 1}
    if loss.is_multi_output:
        engine["base_score"] = [float(v) for v in np.atleast_1d(init_score)]
        key = "num_class" if loss.output_kind == "multiclass" else "num_target"
        engine[key] = int(np.size(init_score))
    else:
        engine["base_score"] = float(init_score)
    return engine


def _xgboost_attributes(loss: Loss, init_score) -> dict[str, str]:
    """The booster attributes ``boostloss.xgboost.train`` writes, so that
    ``boostloss.xgboost.predict(model.booster, X)`` works on a Dask-trained booster too."""
    from .. import xgboost as bl_xgb

    attributes = {
        "loss": loss.name,
        "loss_params": json.dumps(loss.get_params(), default=bl_xgb._json_default),
        "init_score": json.dumps(np.asarray(init_score).tolist()),
        "intercept": "base_score",
        "zero_hessian": "surrogate" if loss.name in bl_xgb.ZERO_HESSIAN_LOSSES else "",
    }
    return {bl_xgb.ATTRIBUTE_PREFIX + key: value for key, value in attributes.items()}


def train_xgboost(
    client, params: dict[str, Any], X, y, sample_weight, loss: Loss, init_score,
    num_boost_round: int, evals: Sequence[DaskEvalSet], early_stopping_rounds: int | None,
) -> DaskBoostLossModel:
    """``xgboost.dask.train`` with the adapter's objective, from ``base_score = init_score``.

    Absolute_error / quantile use XGBoost 3.4's MM surrogate with a global residual scale
    (the adapter's ``zero_hessian="surrogate"``): the adapter's leaf refit needs
    every row of a leaf in one process. With early stopping, the eval sets are watched with
    ``XGBoostGlobalMetric`` (the last set decides, as in XGBoost).
    """
    import xgboost as xgb
    import xgboost.dask as dxgb

    engine_params = xgboost_engine_params(params, loss, init_score)
    dtrain = _xgboost_dmatrix(client, engine_params, X, y, sample_weight)
    watch = []
    if early_stopping_rounds is not None:
        watch = [
            (_xgboost_dmatrix(client, engine_params, e.X, e.y, e.sample_weight,
                              reference=dtrain), e.name)
            for e in evals
        ]
    output = dxgb.train(
        client, engine_params, dtrain, num_boost_round=num_boost_round, evals=watch,
        obj=XGBoostObjective(loss, _n_outputs(loss, init_score)),
        custom_metric=XGBoostGlobalMetric(loss) if watch else None,
        callbacks=[xgb.callback.EarlyStopping(rounds=early_stopping_rounds, maximize=False)]
        if watch else None,
        verbose_eval=False,
    )
    booster = output["booster"]
    booster.set_attr(**_xgboost_attributes(loss, init_score))
    rounds = booster.num_boosted_rounds()
    best = booster.attr("best_iteration")
    return DaskBoostLossModel(
        backend="xgboost", loss=loss, init_score=init_score, boosters=[booster],
        best_iteration=int(best) if best is not None else rounds - 1,
        num_boosted_rounds=rounds,
    )


# --------------------------------------------------------------------------- LightGBM
def lightgbm_engine_params(params: dict[str, Any], loss: Loss, n_outputs: int) -> dict[str, Any]:
    _check_reserved(params, LIGHTGBM_RESERVED, "LightGBM")
    engine = {"verbosity": -1, **params, "metric": "None"}
    if loss.output_kind == "multiclass":
        engine["num_class"] = n_outputs
    return engine


def _column(collection, j: int):
    import dask.array as da

    if isinstance(collection, da.Array):
        return collection[:, j]
    return collection.iloc[:, j]


def _whole_rows(X):
    """lightgbm.dask needs each row's features in one chunk (it asserts so, with a bare
    AssertionError): a dask array chunked along columns is rechunked to whole rows (the
    row partitions, and so the workers' shares, stay as they are)."""
    import dask.array as da

    if isinstance(X, da.Array) and X.ndim == 2 and len(X.chunks[1]) > 1:
        return X.rechunk({1: -1})
    return X


def train_lightgbm(
    client, params: dict[str, Any], X, y, sample_weight, loss: Loss, init_score,
    num_boost_round: int,
) -> DaskBoostLossModel:
    """``lightgbm.dask.DaskLGBMRegressor`` with the adapter's objective.

    The regressor (not the classifier) is used for every loss: ``DaskLGBMClassifier``
    label-encodes y on each worker separately, which breaks when a worker lacks a class.
    Multiclass losses set ``num_class``. Multi-quantile and multilabel losses train one
    model per output column (LightGBM has no multi-output trees), as the single-machine
    adapter does: column j uses quantile(alpha=levels[j]) / logistic on y[:, j].
    """
    from ..registry import get_loss

    X = _whole_rows(X)
    n_outputs = _n_outputs(loss, init_score)
    if loss.output_kind in ("multi_quantile", "multilabel"):
        boosters = []
        for j in range(n_outputs):
            if loss.output_kind == "multi_quantile":
                column_loss, column_y = get_loss("quantile", alpha=float(loss.levels[j])), y
            else:
                column_loss, column_y = get_loss("logistic"), _column(y, j)
            boosters.append(_fit_lightgbm(client, params, X, column_y, sample_weight,
                                          column_loss, float(init_score[j]), num_boost_round))
    else:
        boosters = [_fit_lightgbm(client, params, X, y, sample_weight, loss, init_score,
                                  num_boost_round, n_outputs)]
    return DaskBoostLossModel(
        backend="lightgbm", loss=loss, init_score=init_score, boosters=boosters,
        best_iteration=num_boost_round - 1, num_boosted_rounds=num_boost_round,
    )


def _fit_lightgbm(client, params, X, y, sample_weight, loss, init_score, num_boost_round,
                  n_outputs: int = 1):
    """One ``DaskLGBMRegressor`` fit from a per-row init_score; the intercept is then folded
    into the first round's leaves and the loss attached, as ``boostloss.lightgbm.train``
    leaves its boosters (so ``boostloss.lightgbm.predict(booster, X)`` works)."""
    import lightgbm as lgb

    from ..lightgbm._model import BoostLossInfo, fold_intercept

    engine_params = lightgbm_engine_params(params, loss, n_outputs)
    model = lgb.DaskLGBMRegressor(
        client=client, objective=LightGBMObjective(loss), n_estimators=num_boost_round,
        **engine_params,
    )
    try:
        with warnings.catch_warnings():
            # LGBMRegressor always carries n_jobs, which lightgbm.dask replaces by the
            # workers' threads and warns about even when nobody set it.
            warnings.filterwarnings("ignore", message="Parameter n_jobs will be ignored")
            model.fit(X, y, sample_weight=sample_weight,
                      init_score=constant_like(y, init_score))
    except Exception:
        _warn_about_waiting_ranks(client, engine_params)
        raise
    booster = model.booster_
    fold_intercept(booster, init_score)
    booster.boostloss_ = BoostLossInfo(loss=loss, init_score=init_score)
    return booster


def busy_workers(client, wait_seconds: float = 2.0) -> list[str]:
    """Workers whose task threads are all occupied: a trivial probe task sent to each has
    not run within ``wait_seconds``."""
    from distributed import TimeoutError as DaskTimeoutError
    from distributed import wait

    probes = {address: client.submit(int, 1, workers=[address], pure=False)
              for address in client.scheduler_info()["workers"]}
    try:
        wait(list(probes.values()), timeout=wait_seconds)
    except DaskTimeoutError:
        pass
    busy = [address for address, probe in probes.items() if not probe.done()]
    client.cancel(list(probes.values()))
    return busy


def _warn_about_waiting_ranks(client, engine_params: dict[str, Any]) -> None:
    """After a failed lightgbm.dask fit: name the workers whose LightGBM rank still waits
    for a peer that failed. LightGBM's network has no cancel; such a rank holds its
    worker's thread until a socket operation times out (``time_out`` minutes, LightGBM's
    default 120), so every later task on that worker would wait without a word."""
    busy = busy_workers(client)
    if busy:
        minutes = engine_params.get("time_out", 120)
        warnings.warn(
            f"LightGBM failed on the cluster while its ranks on {busy} still wait for their "
            f"peers. LightGBM's network cannot be cancelled: those workers stay busy for up "
            f"to time_out={minutes} minutes (LightGBM's socket timeout, params['time_out']) "
            "and every task sent to them waits. client.restart() frees them now; a smaller "
            "params['time_out'] bounds the wait.",
            RuntimeWarning, stacklevel=4,
        )
