"""Validation of the estimators' common boosting parameters and their engine names.

``BoostingParams.from_estimator`` checks every common parameter once per ``fit`` (sklearn
estimators store parameters untouched in ``__init__``) and raises ValueError/TypeError
naming the parameter, the value and the valid range. ``xgboost_params`` and
``lightgbm_params`` translate them to each engine's own names:

=================  =======================  ===========================================
estimator          XGBoost                  LightGBM
=================  =======================  ===========================================
learning_rate      eta                      learning_rate
max_depth          max_depth (default 6)    max_depth (default -1: no limit)
num_leaves         max_leaves (default 0)   num_leaves (default 31)
min_child_weight   min_child_weight (1)     min_sum_hessian_in_leaf (1e-3)
subsample          subsample                bagging_fraction, bagging_freq=1 if < 1
colsample          colsample_bytree         feature_fraction
reg_lambda         lambda (default 1)       lambda_l2 (default 0)
random_state       seed                     seed
n_jobs             nthread                  num_threads
=================  =======================  ===========================================

``None`` keeps the engine's own default (so a parameter left alone behaves exactly as in
``XGBRegressor``/``LGBMRegressor``). ``engine_params`` are applied last and win: a key
that is the engine's alias of one the estimator sets replaces the estimator's value
(``{"eta": 0.3}`` replaces ``learning_rate``). Keys that would change what the estimator
controls (the objective, the starting score, the number of rounds, early stopping) are
refused with a message naming the estimator parameter to use instead.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_number_param

__all__ = ["BACKENDS", "BoostingParams", "xgboost_params", "lightgbm_params"]

BACKENDS = ("xgboost", "lightgbm")

# Aliases of the engine parameters the estimator sets (engine_params may use any of them).
_XGBOOST_ALIASES: dict[str, tuple[str, ...]] = {
    "eta": ("eta", "learning_rate"),
    "max_depth": ("max_depth",),
    "max_leaves": ("max_leaves",),
    "min_child_weight": ("min_child_weight",),
    "subsample": ("subsample",),
    "colsample_bytree": ("colsample_bytree",),
    "lambda": ("lambda", "reg_lambda"),
    "seed": ("seed", "random_state"),
    "nthread": ("nthread", "n_jobs"),
    "verbosity": ("verbosity",),
}
# From LightGBM's Parameters page (docs/Parameters.rst, "aliases").
_LIGHTGBM_ALIASES: dict[str, tuple[str, ...]] = {
    "learning_rate": ("learning_rate", "shrinkage_rate", "eta"),
    "max_depth": ("max_depth",),
    "num_leaves": ("num_leaves", "num_leaf", "max_leaves", "max_leaf", "max_leaf_nodes"),
    "min_sum_hessian_in_leaf": (
        "min_sum_hessian_in_leaf", "min_sum_hessian_per_leaf", "min_sum_hessian",
        "min_hessian", "min_child_weight",
    ),
    "bagging_fraction": ("bagging_fraction", "sub_row", "subsample", "bagging"),
    "bagging_freq": ("bagging_freq", "subsample_freq"),
    "feature_fraction": ("feature_fraction", "sub_feature", "colsample_bytree"),
    "lambda_l2": ("lambda_l2", "reg_lambda", "lambda", "l2_regularization"),
    "seed": ("seed", "random_seed", "random_state"),
    "num_threads": ("num_threads", "num_thread", "nthread", "nthreads", "n_jobs"),
    "verbosity": ("verbosity", "verbose"),
}

_CONTROLLED = "set by the estimator"
_XGBOOST_RESERVED: dict[str, str] = {
    "objective": "choose the loss with loss=... and loss_params=...",
    "obj": "choose the loss with loss=... and loss_params=...",
    "num_class": "the number of classes comes from y",
    "num_target": "the number of outputs comes from the loss and y",
    "base_score": "the starting score is the loss's init_score",
    "num_boost_round": "use n_estimators=...",
    "n_estimators": "use n_estimators=...",
    "early_stopping_rounds": "use early_stopping_rounds=...",
}
_LIGHTGBM_RESERVED: dict[str, str] = {
    **{key: "choose the loss with loss=... and loss_params=..."
       for key in ("objective", "objective_type", "app", "application", "loss")},
    **{key: "the number of classes comes from y" for key in ("num_class", "num_classes")},
    "init_score": "the starting score is the loss's init_score",
    **{key: "use n_estimators=..." for key in (
        "num_iterations", "num_iteration", "n_iter", "num_tree", "num_trees", "num_round",
        "num_rounds", "nrounds", "num_boost_round", "n_estimators", "max_iter")},
    **{key: "use early_stopping_rounds=..." for key in (
        "early_stopping_round", "early_stopping_rounds", "early_stopping", "n_iter_no_change")},
}


def _optional_int(name: str, value, low: int) -> int | None:
    if value is None:
        return None
    return int(check_number_param(name, value, low=low, integer=True))


def _optional_float(name: str, value, **bounds) -> float | None:
    if value is None:
        return None
    return check_number_param(name, value, **bounds)


def _resolve_n_jobs(n_jobs) -> int | None:
    """None -> engine default; n >= 1 threads; negative: joblib's cpu_count + 1 + n."""
    if n_jobs is None:
        return None
    n_jobs = int(check_number_param("n_jobs", n_jobs, integer=True))
    if n_jobs == 0:
        raise ValueError("n_jobs must be a non-zero integer or None, got 0. Use n_jobs=1 for "
                         "one thread, n_jobs=-1 for all cores, None for the engine's default.")
    if n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return n_jobs


def _resolve_seed(random_state) -> int | None:
    """An int seed for the engine: None keeps the engine default, a RandomState draws one."""
    if random_state is None:
        return None
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(np.iinfo(np.int32).max))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if not 0 <= int(random_state) <= np.iinfo(np.uint32).max:
            raise ValueError(
                f"random_state must be in [0, 2**32 - 1], got {random_state!r}."
            )
        return int(random_state)
    raise TypeError(
        "random_state must be None, an int, or a numpy RandomState/Generator, got "
        f"{random_state!r} of type {type(random_state).__name__}."
    )


@dataclass(frozen=True)
class BoostingParams:
    """The estimator's common parameters after validation (None = the engine default)."""

    backend: str
    n_estimators: int
    learning_rate: float
    max_depth: int | None
    num_leaves: int | None
    min_child_weight: float | None
    subsample: float
    colsample: float
    reg_lambda: float | None
    seed: int | None
    n_jobs: int | None
    early_stopping_rounds: int | None
    validation_fraction: float | None
    engine_params: dict[str, Any]

    @classmethod
    def from_estimator(cls, estimator) -> BoostingParams:
        backend = estimator.backend
        if not isinstance(backend, str) or backend not in BACKENDS:
            raise ValueError(
                f"backend must be one of {list(BACKENDS)}, got {backend!r}."
            )
        engine_params = estimator.engine_params
        if engine_params is None:
            engine_params = {}
        if not isinstance(engine_params, Mapping):
            raise TypeError(
                "engine_params must be a dict of engine parameters or None, got "
                f"{engine_params!r} of type {type(engine_params).__name__}."
            )
        reserved = _XGBOOST_RESERVED if backend == "xgboost" else _LIGHTGBM_RESERVED
        for key in engine_params:
            if key in reserved:
                raise ValueError(
                    f"engine_params sets {key!r}, which is {_CONTROLLED}: {reserved[key]}."
                )
        validation_fraction = estimator.validation_fraction
        if validation_fraction is not None:
            validation_fraction = check_number_param(
                "validation_fraction", validation_fraction, low=0.0, high=1.0,
                low_open=True, high_open=True,
            )
        return cls(
            backend=backend,
            n_estimators=int(check_number_param("n_estimators", estimator.n_estimators,
                                                low=1, integer=True)),
            learning_rate=check_number_param("learning_rate", estimator.learning_rate,
                                             low=0.0, low_open=True),
            max_depth=_optional_int("max_depth", estimator.max_depth, low=1),
            num_leaves=_optional_int("num_leaves", estimator.num_leaves, low=2),
            min_child_weight=_optional_float("min_child_weight", estimator.min_child_weight,
                                             low=0.0),
            subsample=check_number_param("subsample", estimator.subsample, low=0.0, high=1.0,
                                         low_open=True),
            colsample=check_number_param("colsample", estimator.colsample, low=0.0, high=1.0,
                                         low_open=True),
            reg_lambda=_optional_float("reg_lambda", estimator.reg_lambda, low=0.0),
            seed=_resolve_seed(estimator.random_state),
            n_jobs=_resolve_n_jobs(estimator.n_jobs),
            early_stopping_rounds=_optional_int("early_stopping_rounds",
                                                estimator.early_stopping_rounds, low=1),
            validation_fraction=validation_fraction,
            engine_params=dict(engine_params),
        )


def _merge(params: dict[str, Any], engine_params: Mapping[str, Any],
           aliases: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    """``params`` updated with ``engine_params``; an alias in engine_params replaces ours."""
    merged = dict(params)
    for key in engine_params:
        for canonical, names in aliases.items():
            if key in names and key != canonical:
                merged.pop(canonical, None)
    merged.update(engine_params)
    return merged


def xgboost_params(p: BoostingParams) -> dict[str, Any]:
    """Booster parameters for ``xgboost.train`` (see the module docstring for the map)."""
    params: dict[str, Any] = {"eta": p.learning_rate, "verbosity": 0}
    optional = {
        "max_depth": p.max_depth,
        "max_leaves": p.num_leaves,
        "min_child_weight": p.min_child_weight,
        "lambda": p.reg_lambda,
        "seed": p.seed,
        "nthread": p.n_jobs,
    }
    params.update({key: value for key, value in optional.items() if value is not None})
    if p.subsample != 1.0:
        params["subsample"] = p.subsample
    if p.colsample != 1.0:
        params["colsample_bytree"] = p.colsample
    return _merge(params, p.engine_params, _XGBOOST_ALIASES)


def lightgbm_params(p: BoostingParams) -> dict[str, Any]:
    """Parameters for ``lightgbm.train`` (see the module docstring for the map)."""
    # feature_pre_filter=False: LightGBM's custom-objective path re-initialises the tree
    # learner (Booster.update -> reset_parameter({"objective": "none"})), which aborts with
    # "Check failed: (train_data->num_features()) > (0)" when the Dataset pre-filtered every
    # feature (fewer than 2 * min_data_in_leaf rows; LightGBM issue #5667). Unfiltered
    # features that cannot be split change no tree, so results stay those of LightGBM.
    params: dict[str, Any] = {"learning_rate": p.learning_rate, "verbosity": -1,
                              "feature_pre_filter": False}
    optional = {
        "max_depth": p.max_depth,
        "num_leaves": p.num_leaves,
        "min_sum_hessian_in_leaf": p.min_child_weight,
        "lambda_l2": p.reg_lambda,
        "seed": p.seed,
        "num_threads": p.n_jobs,
    }
    params.update({key: value for key, value in optional.items() if value is not None})
    if p.subsample != 1.0:
        # LightGBM only bags when bagging_freq > 0 (LGBMRegressor's subsample_freq=0 default
        # silently ignores subsample); here subsample < 1 always means "bag every round".
        params["bagging_fraction"] = p.subsample
        params["bagging_freq"] = 1
    if p.colsample != 1.0:
        params["feature_fraction"] = p.colsample
    return _merge(params, p.engine_params, _LIGHTGBM_ALIASES)
