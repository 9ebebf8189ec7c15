"""LightGBM adapter: boostloss losses as LightGBM objectives and metrics, done right.

Plain LightGBM usage (any loss with one output per row, or a multiclass loss)::

    import lightgbm as lgb, boostloss as bl
    y0 = bl.lightgbm.init_score("huber", y)                           # the best constant
    dtrain = lgb.Dataset(X, y, weight=w, init_score=np.full(len(y), y0))
    dvalid = lgb.Dataset(Xv, yv, init_score=np.full(len(yv), y0), reference=dtrain)
    params = {"objective": bl.lightgbm.objective("huber", delta=1.0)}
    booster = lgb.train(params, dtrain, 100, valid_sets=[dvalid],
                        feval=bl.lightgbm.metric("huber", delta=1.0))
    raw = booster.predict(Xv, raw_score=True) + y0                    # LightGBM never adds it

What the callables own (LightGBM >= 4):

- Sample weights: LightGBM does not apply Dataset weights to a custom objective; the
  objective multiplies them in. The scikit-learn callable ``sklearn_objective`` takes three
  arguments ``(y_true, y_pred, weight)`` because ``LGBMRegressor`` silently drops weights for
  two-argument objectives.
- Shapes: multiclass raw scores arrive as (n, k) float64; grad/hess go back as (n, k)
  float32 in the layout LightGBM copies without conversion. ``params["num_class"]`` must be
  the number of classes (checked, with a message saying what to set).
- Labels and weights are validated once per Dataset (NaN labels, out-of-domain labels,
  negative weights -> ValueError); a grad/hess that overflows float32 is a ValueError.

What plain ``lgb.train`` cannot do and ``train`` does:

- The intercept. A custom objective starts from 0 (``boost_from_average`` is ignored) and
  ``predict()`` never adds a Dataset's init_score back: a custom MAE started at 0 stops after
  one constant tree. ``train`` starts every Dataset from ``loss.init_score`` and folds that
  constant into the model's first trees, so ``booster.predict(X, raw_score=True)`` is complete.
- Leaf renewal for zero-Hessian losses (absolute_error, quantile), as native
  ``regression_l1`` / ``quantile`` do: see ``boostloss.lightgbm._renewal``.
- Early stopping on the boostloss metric (``early_stopping_rounds``), minimised, on the
  validation sets only; ``predict`` then uses ``best_iteration``.
- Multi-quantile and multilabel losses: one booster per output column
  (``BoostLossMultiOutputModel``); their ``objective(...)``/``metric(...)`` cannot work in a
  single LightGBM booster and raise ValueError.

Conventions that match native LightGBM exactly (see tests/test_lightgbm_parity.py):
squared_error = ``regression``, logistic = ``binary``, fair(hessian="exact", hessian_floor=0) = ``fair``,
gamma = ``gamma``, tweedie = ``tweedie``, poisson(max_delta_step=m) = ``poisson``
(poisson_max_delta_step=m), huber(hessian_floor=1) = ``huber`` (alpha=delta),
softmax_cross_entropy(hessian="lightgbm") = ``multiclass``. Built-in LightGBM metrics, when
requested through params["metric"], see raw scores (LightGBM does not know the link of a
custom objective).

Not supported: ``init_model`` (continued training), dart/rf boosting and linear trees for
absolute_error/quantile, and per-leaf renewal on ``lightgbm.dask`` (no allreduce there).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._adapter import lazy_attributes, prepare_target
from ..losses.base import Loss
from ..registry import get_loss, resolve_loss
from ._callables import (
    LightGBMMetric,
    LightGBMObjective,
    LightGBMSklearnMetric,
    LightGBMSklearnObjective,
)
from ._engine import dataset_label, dataset_weight, require_lightgbm
from ._model import (
    BoostLossInfo,
    BoostLossMultiOutputModel,
    check_output,
    predict_raw,
    to_output,
)
from ._per_output import label_matrix_datasets, train_per_output
from ._train import prepare_call, train_booster

__all__ = [
    "objective",
    "metric",
    "sklearn_objective",
    "sklearn_metric",
    "init_score",
    "train",
    "predict",
    "BoostLossInfo",
    "BoostLossMultiOutputModel",
    "LGBMRegressor",
    "LGBMClassifier",
]

# the drop-in estimators subclass lightgbm's own: their module imports lightgbm, so it is
# loaded on first access (``import boostloss.lightgbm`` must work without lightgbm)
__getattr__ = lazy_attributes(__name__, "._estimators", ("LGBMRegressor", "LGBMClassifier"))


def objective(loss: str | Loss, **loss_params: Any) -> LightGBMObjective:
    """A LightGBM objective ``(preds, train_data) -> (grad, hess)`` for ``params["objective"]``.

    Args:
        loss: a loss name or alias (``bl.available_losses()``), or a ``Loss`` instance.
        **loss_params: the loss's parameters (only with a name).

    Returns:
        A picklable callable. grad/hess are per-sample (sums, not means), multiplied by the
        Dataset's weights, float32, shaped like ``preds``: (n,), or (n, k) for multiclass.

    Raises:
        ValueError: for multi-quantile / multilabel losses (use ``train``), unknown names or
            invalid parameters; during training for bad labels or weights.
    """
    return LightGBMObjective(get_loss(loss, **loss_params))


def metric(loss: str | Loss, **loss_params: Any) -> LightGBMMetric:
    """A LightGBM eval function ``(preds, eval_data) -> (loss.name, value, False)`` for ``feval=``.

    value is ``loss.metric`` on the raw scores LightGBM holds for ``eval_data`` (its init_score
    included), weighted by the Dataset's weights. Lower is better.
    """
    return LightGBMMetric(get_loss(loss, **loss_params))


def sklearn_objective(loss: str | Loss, **loss_params: Any) -> LightGBMSklearnObjective:
    """An objective ``(y_true, y_pred, weight) -> (grad, hess)`` for ``lgb.LGBMRegressor`` /
    ``lgb.LGBMClassifier(objective=...)``; honours ``fit(sample_weight=...)``.

    The estimators start from 0 with a custom objective: pass
    ``fit(..., init_score=np.full(n, bl.lightgbm.init_score(loss, y)))`` and add the same
    constant to ``predict(X, raw_score=True)``; their ``predict``/``predict_proba`` then
    return raw scores. ``boostloss.lightgbm.LGBMRegressor(loss=...)`` /
    ``LGBMClassifier(loss=...)`` do all of this for you.
    """
    return LightGBMSklearnObjective(get_loss(loss, **loss_params))


def sklearn_metric(loss: str | Loss, **loss_params: Any) -> LightGBMSklearnMetric:
    """An eval metric ``(y_true, y_pred, weight) -> (loss.name, value, False)`` for
    ``lgb.LGBMRegressor(...).fit(..., eval_metric=...)``: the weighted mean loss on the raw
    scores (lower is better, so ``lgb.early_stopping`` minimises it)."""
    return LightGBMSklearnMetric(get_loss(loss, **loss_params))


def init_score(loss: str | Loss, dataset_or_labels, sample_weight=None, **loss_params: Any):
    """The loss's best constant raw score for these labels: float, or (k,) for multi-output.

    ``dataset_or_labels`` is a ``lightgbm.Dataset`` (its labels and weights are used) or an
    array of labels (with optional ``sample_weight``). Labels are rounded to float32 the way
    a Dataset stores them only when they come from a Dataset.
    """
    the_loss = get_loss(loss, **loss_params)
    lgb = _lightgbm_if_dataset(dataset_or_labels)
    if lgb is not None:
        if sample_weight is not None:
            raise ValueError(
                "init_score got a Dataset and sample_weight; the Dataset's own weights are used, "
                "set them with lgb.Dataset(..., weight=w)."
            )
        from ._engine import engine_float32

        target = prepare_target(
            the_loss,
            engine_float32(dataset_label(dataset_or_labels)),
            engine_float32(dataset_weight(dataset_or_labels), "sample weights"),
        )
    else:
        target = prepare_target(the_loss, dataset_or_labels, sample_weight)
    return the_loss._init_score(target.labels, target.weight)


def _lightgbm_if_dataset(value):
    if type(value).__name__ != "Dataset":
        return None
    lgb = require_lightgbm()
    return lgb if isinstance(value, lgb.Dataset) else None


def train(
    params: dict[str, Any],
    train_set,
    num_boost_round: int = 100,
    *,
    loss: str | Loss,
    loss_params: dict[str, Any] | None = None,
    valid_sets=None,
    valid_names=None,
    callbacks=None,
    early_stopping_rounds: int | None = None,
    evals_result: dict | None = None,
    **engine_kwargs: Any,
):
    """Train LightGBM with a boostloss loss, from its best constant, with its metric.

    Args:
        params: LightGBM parameters, without an objective (``loss`` sets it). Built-in
            metrics stay off unless ``params["metric"]`` asks for them (refused for
            absolute_error/quantile and multi-output losses, whose scores boostloss corrects).
        train_set: ``lightgbm.Dataset`` with labels (and optional weights). For
            multilabel losses and (n, k) probability targets (softmax_cross_entropy,
            kl_divergence), an unconstructed ``lgb.Dataset(X, label=Y)`` with Y (n, k).
            If it carries an init_score, that is used as an offset and no intercept is added.
        num_boost_round: boosting rounds.
        loss, loss_params: loss name (or instance) and its parameters.
        valid_sets, valid_names: evaluation Datasets (the training set may be one of them).
        callbacks: LightGBM callbacks (they see the boostloss metric in the results).
        early_stopping_rounds: stop when the boostloss metric on a validation set has not
            improved for this many rounds (also read from params' early_stopping_round).
        evals_result: dict filled with ``{valid_name: {metric_name: [values...]}}``.
        **engine_kwargs: passed to ``lgb.train`` (``feval``, ``keep_training_booster``).

    Returns:
        ``lightgbm.Booster`` (with the intercept folded into its first trees and the loss in
        ``booster.boostloss_``), or ``BoostLossMultiOutputModel`` for multi-quantile and
        multilabel losses.

    Every Dataset's init_score is restored when training ends.
    """
    the_loss = resolve_loss(loss, loss_params)
    params, valid_list, names, rounds = prepare_call(
        params, train_set, valid_sets, valid_names, early_stopping_rounds, engine_kwargs
    )
    labels = None
    if the_loss.output_kind != "multilabel" and np.ndim(getattr(train_set, "label", None)) == 2:
        # (n, k) probability targets: LightGBM stores 1-D labels, so train on copies of the
        # Datasets whose targets boostloss holds (one multiclass booster, num_class = k)
        mapping = label_matrix_datasets(require_lightgbm(), the_loss, train_set, valid_list)
        train_set = mapping[id(train_set)][0]
        valid_list = [mapping[id(dataset)][0] for dataset in valid_list]
        labels = {id(copy): matrix for copy, matrix in mapping.values()}
    trainer = train_per_output if the_loss.output_kind in ("multi_quantile", "multilabel") else train_booster
    extra = {} if labels is None else {"labels": labels}
    return trainer(
        params,
        train_set,
        num_boost_round,
        loss=the_loss,
        valid_sets=valid_list,
        valid_names=names,
        callbacks=callbacks,
        early_stopping_rounds=rounds,
        evals_result=evals_result,
        engine_kwargs=dict(engine_kwargs),
        **extra,
    )


def predict(
    model,
    data,
    *,
    output: str = "response",
    num_iteration: int | None = None,
    loss: str | Loss | None = None,
) -> np.ndarray:
    """Predictions of a model from ``train``: (n,) single-output, (n, k) multi-output.

    Args:
        model: ``lightgbm.Booster`` or ``BoostLossMultiOutputModel``.
        data: features (array-like, pandas, scipy sparse), or a ``lightgbm.Dataset`` holding
            its raw features, whose init_score (an offset) is then added to the raw score.
        output: "response" (``loss.transform(raw)``: mean, probability, ...) or "raw".
        num_iteration: trees to use; None means ``best_iteration`` after early stopping,
            else all.
        loss: the loss, for boosters without ``boostloss_`` (loaded from a model file).
    """
    check_output(output)
    if isinstance(model, BoostLossMultiOutputModel):
        return model.predict(data, output=output, num_iteration=num_iteration)
    lgb = require_lightgbm()
    if not isinstance(model, lgb.Booster):
        raise TypeError(
            "model must be a lightgbm.Booster or BoostLossMultiOutputModel from "
            f"boostloss.lightgbm.train, got {type(model).__name__}."
        )
    raw = predict_raw(model, data, num_iteration)
    info = getattr(model, "boostloss_", None)
    the_loss = get_loss(loss) if loss is not None else (info.loss if info is not None else None)
    return to_output(the_loss, raw, output)
