"""Multi-quantile and multilabel losses on LightGBM: one booster per output column.

LightGBM trees have one output (its multiclass boosters are tied to a softmax-style gradient),
so output column j is trained by ``train_booster`` with the single-output loss of that column:
quantile(alpha=levels[j]) for a list of levels, logistic on label column j for
multilabel_logistic. Both multi-output losses are sums over columns, so this minimises the
same total loss; each column gets its own intercept, leaf renewal and early stopping.
"""

from __future__ import annotations

import numpy as np

from .._adapter import prepare_target
from ..losses.base import Loss
from ..registry import get_loss
from ._engine import (
    dataset_init_score,
    dataset_weight,
    engine_float32,
    find_param,
    require_lightgbm,
)
from ._model import BoostLossMultiOutputModel
from ._train import dataset_target, features_of, metric_is_off, train_booster

__all__ = ["label_matrix_datasets", "train_per_output"]


def _column_losses(loss: Loss, k: int) -> list[Loss]:
    if loss.output_kind == "multi_quantile":
        return [get_loss("quantile", alpha=float(level)) for level in loss.levels]
    if loss.name == "multilabel_logistic":
        weights = [None] * k if loss.pos_weight is None else [float(w) for w in loss.pos_weight]
        return [get_loss("logistic", pos_weight=weight) for weight in weights]
    raise ValueError(
        f"{loss.name}: no one-model-per-output scheme is known for this multi-output loss on "
        "LightGBM; use boostloss.xgboost (multi-output trees) instead."
    )


def label_matrix_datasets(lgb, loss: Loss, train_set, valid_sets: list):
    """Internal Datasets for (n, k) labels (lgb.Dataset only stores 1-D labels): a copy of
    every Dataset with its first label column as the stored label, and the (n, k) labels.
    Returns {id(original): (copy, labels)}. Multilabel losses and (n, k) probability
    targets use it."""
    def rebuild(dataset, reference):
        label = getattr(dataset, "label", None)
        if label is None or np.ndim(label) != 2:
            raise ValueError(
                f"{loss.name} needs (n_samples, n_labels) labels: build every Dataset as "
                f"lgb.Dataset(X, label=Y) with Y of shape (n, k) and do not construct it; got "
                f"labels of shape {np.shape(label) if label is not None else None}."
            )
        data = features_of(dataset)
        if data is None:
            raise ValueError(
                f"{loss.name}: the Dataset holds no in-memory features (file path or freed raw "
                "data); per-column training needs lgb.Dataset(X, label=Y) with X in memory."
            )
        label = np.asarray(label)
        copy = lgb.Dataset(
            data,
            label=label[:, 0],
            reference=reference,
            weight=getattr(dataset, "weight", None),
            init_score=getattr(dataset, "init_score", None),
            feature_name=getattr(dataset, "feature_name", "auto"),
            categorical_feature=getattr(dataset, "categorical_feature", "auto"),
            params=getattr(dataset, "params", None),
            free_raw_data=False,
        )
        return copy, label

    new_train, train_labels = rebuild(train_set, None)
    mapping = {id(train_set): (new_train, train_labels)}
    for dataset in valid_sets:
        if id(dataset) not in mapping:
            mapping[id(dataset)] = rebuild(dataset, new_train)
    return mapping


def train_per_output(
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
) -> BoostLossMultiOutputModel:
    """One booster per output column of a multi-quantile / multilabel loss.

    Each column j is trained by ``train_booster`` with its single-output loss (and, for
    multilabel, label column j), its own intercept, early stopping on its own metric. In
    ``evals_result`` column j's metric is recorded as ``"<loss name>[j]"`` and the total
    (the sum over columns, i.e. the multi-output loss's metric) as ``"<loss name>"`` over the
    rounds every column ran.
    """
    lgb = require_lightgbm()
    metric_key, metric_value = find_param(params, "metric")
    if not metric_is_off(metric_value):
        raise ValueError(
            f"params[{metric_key!r}] = {metric_value!r}: built-in metrics are not supported with "
            f"one model per output of {loss.name}; the boostloss metric is reported per column."
        )
    if loss.output_kind == "multilabel":
        mapping = label_matrix_datasets(lgb, loss, train_set, valid_sets)
        full_target = prepare_target(
            loss, engine_float32(mapping[id(train_set)][1]), engine_float32(dataset_weight(train_set), "sample weights")
        )
        k = full_target.n_outputs
        column_train = mapping[id(train_set)][0]
        column_valid = [mapping[id(d)][0] for d in valid_sets]
    else:
        full_target = dataset_target(loss, train_set)
        k = full_target.n_outputs
        mapping = None
        column_train, column_valid = train_set, list(valid_sets)
    # the first column's training constructs the Datasets and may free their raw data
    features = {id(d): features_of(d) for d in [column_train, *column_valid]}
    if dataset_init_score(train_set) is None:
        init_score = loss._init_score(full_target.labels, full_target.weight)
    else:
        init_score = np.zeros(k)
    losses = _column_losses(loss, k)

    boosters = []
    column_results: list[dict] = []
    for j, column_loss in enumerate(losses):
        labels = None
        if mapping is not None:
            labels = {id(new): np.asarray(y)[:, j] for new, y in mapping.values()}
        result: dict = {}
        boosters.append(
            train_booster(
                params,
                column_train,
                num_boost_round,
                loss=column_loss,
                valid_sets=column_valid,
                valid_names=valid_names,
                callbacks=callbacks,
                early_stopping_rounds=early_stopping_rounds,
                evals_result=result,
                engine_kwargs=dict(engine_kwargs),
                labels=labels,
                features=features,
            )
        )
        column_results.append(result)
    if evals_result is not None:
        _merge_results(evals_result, column_results, losses, loss.name)
    return BoostLossMultiOutputModel(boosters, loss, init_score)


def _merge_results(target: dict, column_results: list[dict], column_losses: list[Loss], name: str) -> None:
    target.clear()
    for j, result in enumerate(column_results):
        for dataset_name, metrics in result.items():
            for metric_name, values in metrics.items():
                target.setdefault(dataset_name, {})[f"{metric_name}[{j}]"] = list(values)
    for metrics in target.values():
        columns = [metrics.get(f"{c.name}[{j}]") for j, c in enumerate(column_losses)]
        if all(c is not None for c in columns):
            length = min(len(c) for c in columns)
            metrics[name] = [float(sum(c[i] for c in columns)) for i in range(length)]
