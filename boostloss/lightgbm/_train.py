"""``boostloss.lightgbm.train``: lgb.train with a boostloss loss, done right.

What it adds to ``lgb.train(params={"objective": objective(loss)})``:

1. Intercept. LightGBM starts a custom objective from 0 (boost_from_average is ignored). Here
   every Dataset (training and validation) gets init_score = loss.init_score(y_train, w_train)
   for the duration of the call; the intercept is then folded into the first trees
   (``fold_intercept``) and the Datasets are put back as they were. A Dataset that already
   carries an init_score is treated as an offset: the training set's offset is its starting
   score and no intercept is added; a validation offset is added to the intercept.
2. Labels and weights validated once, before training (NaN labels, out-of-domain labels,
   negative weights raise ValueError), with the float32 rounding LightGBM applies.
3. Metric: the boostloss metric is the feval on every validation set (lower is better), and
   early stopping (``early_stopping_rounds``) watches only it, never the training set.
   Built-in LightGBM metrics are off unless params["metric"] asks for them.
4. absolute_error / quantile: leaves re-fit to residual quantiles (``LeafRenewal``), with the
   scores the objective and all metrics see kept equal to the stored model's.
5. Multiclass: num_class is taken from the labels (or checked against them).

Multi-quantile and multilabel losses are trained as one booster per output column
(``boostloss.lightgbm._per_output``); the callables and callbacks used inside ``lgb.train``
live in ``boostloss.lightgbm._callbacks``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .._adapter import PreparedTarget, prepare_target
from ..losses.base import Loss
from ._callbacks import (
    BoostLossEarlyStopping,
    CorrectedFeval,
    RenewalAttach,
    RenewalSync,
    TrainingMetric,
    TrainingObjective,
)
from ._engine import (
    dataset_init_score,
    dataset_label,
    dataset_weight,
    engine_float32,
    find_param,
    forget_failed_construction,
    is_constructed,
    pop_param,
    require_lightgbm,
)
from ._model import BoostLossInfo, fold_intercept
from ._renewal import LeafRenewal, renewal_level

__all__ = ["train_booster", "prepare_call", "features_of", "dataset_target", "metric_is_off"]

_RENEWAL_BOOSTING = ("gbdt", "gbrt", "goss")


# ---------------------------------------------------------------------- argument handling
def _as_list(valid_sets) -> list:
    if valid_sets is None:
        return []
    lgb = require_lightgbm()
    if isinstance(valid_sets, lgb.Dataset):
        return [valid_sets]
    return list(valid_sets)


def _names(valid_sets: list, valid_names) -> list[str] | None:
    if valid_names is None:
        return None
    names = [valid_names] if isinstance(valid_names, str) else list(valid_names)
    if len(names) != len(valid_sets):
        raise ValueError(
            f"valid_names has {len(names)} names for {len(valid_sets)} valid_sets; give one "
            "name per validation Dataset."
        )
    return names


def _train_name(train_set, valid_sets: list, names: list[str] | None) -> str:
    for i, dataset in enumerate(valid_sets):
        if dataset is train_set and names is not None:
            return names[i]
    return "training"


def metric_is_off(value) -> bool:
    if value is None:
        return True
    values = [value] if isinstance(value, str) else list(value)
    return all(str(v).strip().lower() in ("", "none", "null", "na", "custom") for v in values)


def _refuse_random_forest(params: dict) -> None:
    key, boosting = find_param(params, "boosting")
    if boosting is not None and str(boosting).strip().lower() in ("rf", "random_forest"):
        raise ValueError(
            f"params[{key!r}] = {boosting!r}: LightGBM's random-forest mode takes only built-in "
            "objectives (it refuses custom ones and any init_score), so a boostloss loss cannot "
            "train in it. Use boosting='gbdt' with bagging_fraction / feature_fraction, or "
            "lgb.train with a built-in objective for a random forest."
        )


def _default_no_feature_pre_filter(params: dict, train_set) -> None:
    """feature_pre_filter=False unless given (the scikit-learn estimators' workaround): with a
    custom objective LightGBM re-initialises its tree learner and aborts ("Check failed:
    num_features > 0") when pre-filtering dropped every feature (1-2 rows, constant
    features; LightGBM issue #5667). Unfiltered features that cannot split change no tree.
    Only for a Dataset not yet constructed (its feature filter is fixed at construction)."""
    key, _ = find_param(params, "feature_pre_filter")
    if key is None and not is_constructed(train_set):
        params["feature_pre_filter"] = False


def prepare_call(params, train_set, valid_sets, valid_names, early_stopping_rounds, engine_kwargs):
    """Common argument checks; returns (params copy, valid list, names, early stopping rounds)."""
    lgb = require_lightgbm()
    if not isinstance(train_set, lgb.Dataset):
        raise TypeError(
            f"train_set must be a lightgbm.Dataset, got {type(train_set).__name__}; build it with "
            "lgb.Dataset(X, label=y, weight=w)."
        )
    params = dict(params or {})
    key, value = find_param(params, "objective")
    if value is not None:
        raise ValueError(
            f"params[{key!r}] = {value!r}: boostloss.lightgbm.train sets the objective from "
            "loss=... (e.g. loss='quantile', loss_params={'alpha': 0.9}); remove it from params."
        )
    if key is not None:
        params.pop(key)  # an explicit None: nothing to override
    for name in ("init_model", "fobj"):
        if name in engine_kwargs:
            raise ValueError(
                f"{name}= is not supported by boostloss.lightgbm.train: continued training would "
                "start from LightGBM's raw scores without the boostloss intercept and leaf "
                "renewal state. Train the full model in one call."
            )
    _refuse_random_forest(params)
    _default_no_feature_pre_filter(params, train_set)
    valid_list = _as_list(valid_sets)
    lgb_type = lgb.Dataset
    for i, dataset in enumerate(valid_list):
        if not isinstance(dataset, lgb_type):
            raise TypeError(f"valid_sets[{i}] must be a lightgbm.Dataset, got {type(dataset).__name__}.")
    names = _names(valid_list, valid_names)
    from_params = pop_param(params, "early_stopping_round")
    if from_params is not None and early_stopping_rounds is not None and from_params != early_stopping_rounds:
        raise ValueError(
            f"early_stopping_rounds={early_stopping_rounds} conflicts with params' early stopping "
            f"round {from_params}; set it once."
        )
    rounds = early_stopping_rounds if early_stopping_rounds is not None else from_params
    if rounds is not None:
        if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or rounds <= 0:
            raise ValueError(f"early_stopping_rounds must be a positive integer, got {rounds!r}.")
        if not any(dataset is not train_set for dataset in valid_list):
            raise ValueError(
                "early stopping needs a validation set: pass valid_sets=[dvalid] (the training "
                "set does not count)."
            )
        rounds = int(rounds)
    return params, valid_list, names, rounds


# ---------------------------------------------------------------------- targets and init scores
def dataset_target(loss: Loss, dataset, labels=None) -> PreparedTarget:
    """Validated labels/weights of a Dataset, float32-rounded as LightGBM stores them."""
    raw_labels = dataset_label(dataset) if labels is None else labels
    return prepare_target(loss, engine_float32(raw_labels), engine_float32(dataset_weight(dataset), "sample weights"))


def _offset_matrix(offset, n: int, k: int) -> np.ndarray:
    offset = np.asarray(offset, dtype=np.float64)
    if k > 1 and offset.ndim == 1:
        offset = offset.reshape((n, k), order="F")
    if offset.shape[0] != n:
        raise ValueError(f"init_score has {offset.shape[0]} rows for a Dataset of {n} rows.")
    return offset


def _set_init_score(dataset, values) -> None:
    dataset.set_init_score(values)


def _restore_init_score(dataset, original) -> None:
    forget_failed_construction(dataset)
    if is_constructed(dataset):  # clear or reset the C++ side as well
        try:
            dataset.set_field("init_score", original)
        except Exception:  # restoring must not hide the error that ended training
            pass
    dataset.init_score = original


def _starting_scores(intercept, targets: list[tuple[Any, PreparedTarget]], k: int):
    """[(dataset, original init_score, new init_score or None)] for every distinct Dataset."""
    plans = []
    for dataset, target in targets:
        original = dataset_init_score(dataset)
        if intercept is None:
            plans.append((dataset, original, None))
            continue
        n = target.n_samples
        start = np.tile(np.asarray(intercept, dtype=np.float64), (n, 1)) if k > 1 else np.full(n, float(intercept))
        if original is not None:
            start = start + _offset_matrix(original, n, k)
        plans.append((dataset, original, start))
    return plans


def _check_num_class(params: dict, loss: Loss, target: PreparedTarget) -> int:
    key, value = find_param(params, "num_class")
    if loss.output_kind == "multiclass" or target.distribution:  # (n, k) targets: k classes
        k_data = target.n_outputs
        if value is None:
            params["num_class"] = k_data
            return k_data
        k = int(value)
        if k != k_data:
            source = (
                f"{loss.name} was built with n_classes={loss.n_outputs}"
                if loss.n_outputs is not None
                else f"the training labels hold classes 0..{k_data - 1}"
            )
            raise ValueError(
                f"params[{key!r}] = {value} but {source} ({k_data} classes); remove num_class "
                "(boostloss sets it) or make them agree."
            )
        return k
    if value is not None and int(value) != 1:
        raise ValueError(
            f"params[{key!r}] = {value} but {loss.name} has one output per row; remove num_class."
        )
    return 1


def features_of(dataset):
    """The Dataset's in-memory raw features, or None (freed, or a file path)."""
    data = getattr(dataset, "data", None)
    if data is None or isinstance(data, (str, Path)):
        return None
    return data


def _check_builtin_metric(params: dict, loss: Loss, *, renewal: bool, per_column: bool) -> None:
    """Built-in metrics off by default; refused where LightGBM's view of the data is wrong."""
    key, value = find_param(params, "metric")
    if key is None:
        params["metric"] = "None"
        return
    if metric_is_off(value) or not (renewal or per_column):
        return
    wrong = "scores that leaf renewal has corrected" if renewal else "the wrong label column"
    raise ValueError(
        f"params[{key!r}] = {value!r}: LightGBM's built-in metrics would be computed on {wrong} "
        f"for {loss.name}. Remove it; the boostloss metric '{loss.name}' is reported (pass more "
        "metrics as feval=...; they see the same scores as the objective)."
    )


def _fevals(loss: Loss, prepared: dict, renewal: LeafRenewal | None, user_feval) -> list:
    """The boostloss metric first, then the user's fevals (given renewal-tracked scores)."""
    if user_feval is None:
        user_fevals = []
    else:
        user_fevals = [user_feval] if callable(user_feval) else list(user_feval)
    if renewal is not None:
        user_fevals = [CorrectedFeval(f, renewal) for f in user_fevals]
    return [TrainingMetric(loss, prepared, renewal), *user_fevals]


def _require_features(loss: Loss, held: dict[int, Any], prepared: dict) -> None:
    """Leaf renewal identifies each row's leaf from score changes; rows of leaves that share a
    value (common for quantile losses: every pure leaf has the same Newton step) need
    ``predict(pred_leaf=True)`` on the raw features, so every Dataset must still hold them."""
    missing = [key for key, value in held.items() if value is None]
    if missing:
        raise ValueError(
            f"{loss.name} re-fits each tree's leaves, which needs the raw features of every "
            f"Dataset, but {len(missing)} of them no longer hold any (a Dataset built from a "
            "file, or already constructed with free_raw_data=True, e.g. by an earlier "
            "training). Pass fresh Datasets, or build them with lgb.Dataset(X, y, "
            "free_raw_data=False)."
        )


def _check_renewal_params(params: dict, loss: Loss) -> None:
    key, boosting = find_param(params, "boosting")
    if boosting is not None and str(boosting).lower() not in _RENEWAL_BOOSTING:
        raise ValueError(
            f"params[{key!r}] = {boosting!r}: {loss.name} re-fits each tree's leaves to residual "
            "quantiles, which boostloss can follow only for boosting='gbdt' (dart/rf rewrite "
            "earlier trees' scores). Use boosting='gbdt'."
        )
    key, linear = find_param(params, "linear_tree")
    if linear:
        raise ValueError(
            f"params[{key!r}] = {linear!r}: leaf renewal for {loss.name} sets constant leaf "
            "values and cannot re-fit linear leaves. Drop linear_tree."
        )


# ---------------------------------------------------------------------- training
def train_booster(
    params: dict,
    train_set,
    num_boost_round: int,
    *,
    loss: Loss,
    valid_sets: list,
    valid_names: list[str] | None,
    callbacks,
    early_stopping_rounds: int | None,
    evals_result: dict | None,
    engine_kwargs: dict,
    labels: dict[int, np.ndarray] | None = None,
    features: dict[int, Any] | None = None,
):
    """Train one booster for a single-output or multiclass loss (arguments already checked).

    ``labels`` optionally overrides the labels of Datasets by ``id`` (per-column training);
    ``features`` supplies raw features by ``id`` for Datasets a previous training has
    already constructed (and freed).
    """
    lgb = require_lightgbm()
    params = dict(params)
    labels = labels or {}
    level = renewal_level(loss)
    _check_builtin_metric(params, loss, renewal=level is not None, per_column=bool(labels))
    if level is not None:
        _check_renewal_params(params, loss)

    train_target = dataset_target(loss, train_set, labels.get(id(train_set)))
    k = _check_num_class(params, loss, train_target)
    prepared: dict[int, tuple[Any, PreparedTarget]] = {id(train_set): (train_set, train_target)}
    for dataset in valid_sets:
        if id(dataset) not in prepared:
            prepared[id(dataset)] = (dataset, dataset_target(loss, dataset, labels.get(id(dataset))))

    used_offset = dataset_init_score(train_set) is not None
    intercept = None if used_offset else loss._init_score(train_target.labels, train_target.weight)
    plans = _starting_scores(intercept, list(prepared.values()), k)

    renewal = None
    if level is not None:
        others = [d for d in valid_sets if d is not train_set]
        known = features or {}
        held = {key: known.get(key, features_of(dataset)) for key, (dataset, _) in prepared.items()}
        _require_features(loss, held, prepared)
        renewal = LeafRenewal(level, train_target, train_set, others, held)

    params["objective"] = TrainingObjective(loss, train_target, renewal)
    fevals = _fevals(loss, prepared, renewal, engine_kwargs.pop("feval", None))
    all_callbacks = list(callbacks or [])
    if renewal is not None:
        all_callbacks += [RenewalAttach(renewal), RenewalSync(renewal)]
    if early_stopping_rounds is not None:
        train_name = _train_name(train_set, valid_sets, valid_names)
        all_callbacks.append(BoostLossEarlyStopping(early_stopping_rounds, loss.name, train_name))
    if evals_result is not None:
        all_callbacks.append(lgb.record_evaluation(evals_result))

    try:
        for dataset, _, start in plans:
            if start is not None:
                _set_init_score(dataset, start)
        booster = lgb.train(
            params,
            train_set,
            num_boost_round=num_boost_round,
            valid_sets=valid_sets or None,
            valid_names=valid_names,
            feval=fevals,
            callbacks=all_callbacks,
            **engine_kwargs,
        )
    except lgb.basic.LightGBMError as exc:
        if "num_features()) > (0)" not in str(exc):
            raise
        # With a custom objective LightGBM re-creates its tree learner, which aborts when no
        # feature survived binning (every column constant 0 / trivial); say what it means.
        raise ValueError(
            "LightGBM found no usable feature in the training data (every column is constant, "
            "e.g. all zeros, so it is dropped when binned): no tree can split, and with a "
            "custom objective LightGBM refuses to train. Check X (or use the loss's "
            "init_score as a constant prediction)."
        ) from None
    finally:
        for dataset, original, start in plans:
            if start is not None:
                _restore_init_score(dataset, original)
            else:
                forget_failed_construction(dataset)
    if intercept is not None:
        fold_intercept(booster, intercept)
    booster.boostloss_ = BoostLossInfo(
        loss=loss,
        init_score=0.0 if intercept is None else intercept,
        used_offset=used_offset,
        leaf_renewal=None if renewal is None else dict(renewal.stats),
    )
    return booster
