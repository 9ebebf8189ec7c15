"""XGBoost adapter: boostloss losses as ``xgb.train`` objectives and metrics, done right.

Usage (the training helper does everything below for you)::

    import xgboost as xgb, boostloss as bl
    booster = bl.xgboost.train(params, dtrain, 500, loss="huber", loss_params={"delta": 2.0},
                               evals=[(dvalid, "valid")], early_stopping_rounds=50)
    y_hat = bl.xgboost.predict(booster, X_test)              # response scale, best iteration

The manual way with plain ``xgb.train`` needs one extra line, the intercept::

    params["base_score"] = bl.xgboost.init_score("huber", dtrain)    # <- the line people forget
    booster = xgb.train(params, dtrain, 500, obj=bl.xgboost.objective("huber"),
                        custom_metric=bl.xgboost.metric("huber"), evals=[(dvalid, "valid")])
    raw = booster.predict(dtest, output_margin=True)        # margins, intercept included

(or ``dtrain.set_base_margin(np.full(dtrain.num_row(), init))``, which must then be repeated
on every evaluation and prediction DMatrix). For multi-output losses ``init_score`` returns
a list of k Python floats, which XGBoost >= 3.1 takes as ``params["base_score"]`` (a list of
numpy scalars, ``list(loss.init_score(y))``, is a JSON error inside XGBoost: it parses the
list's ``str``), plus ``num_class=k`` (multiclass) or ``num_target=k`` (multi-quantile,
multilabel).

With XGBoost's scikit-learn classes, use the drop-in ``boostloss.xgboost.XGBRegressor`` /
``XGBClassifier(loss=...)`` (``boostloss.xgboost._estimators``); ``sklearn_objective`` and
``sklearn_metric`` are the callables for the engine's own classes, and a callable handed to
the wrong API (this module's ``objective`` to ``XGBRegressor(objective=...)``, a
``sklearn_objective`` to ``xgb.train``, either to LightGBM) raises a TypeError naming the
one that fits.

Engine facts this module relies on (verified on xgboost 3.2):

- With a custom objective XGBoost stores ``reg:squarederror`` (``multi:softmax`` with
  ``num_class``, whose ``predict()`` returns class ids: always use ``output_margin=True``) and
  never estimates ``base_score``: it starts every row from 0.5 unless told otherwise. An
  explicit ``base_score`` is taken as the starting *margin*; a DMatrix ``base_margin``
  replaces it for that DMatrix. ``train`` sets ``base_score = loss.init_score(y, w)``
  (a (k,) list for multi-output), so evaluation sets and ``booster.predict`` are consistent
  without touching any DMatrix.
- ``xgb.train(obj=f)`` does not apply DMatrix weights to a custom objective: ``objective``
  reads ``dtrain.get_weight()`` and multiplies them in. grad/hess are per-row values (sums
  over rows make the leaf statistics), never means, so ``min_child_weight`` and
  ``reg_lambda`` keep their meaning.
- Multi-output: predt, grad and hess are (n, k) float32; ``num_class`` (multiclass) or
  ``num_target`` (multi-quantile, multilabel) tells XGBoost k.
- ``custom_metric`` receives margins that already include ``base_score`` / ``base_margin``.
- Labels and weights are read and validated once per DMatrix (cached, weakly keyed); do not
  change them in place with ``set_label``/``set_weight`` on a DMatrix that an objective has
  already seen (build a new DMatrix).

Zero-Hessian losses (``absolute_error``, ``quantile``): a constant Hessian makes a tree move
each leaf by at most eta, far worse than native. ``train(zero_hessian=...)`` offers
``"refit"`` (every new leaf is re-fitted to eta times the weighted residual quantile,
XGBoost <= 3.3's native algorithm, see ``boostloss.xgboost._refit``), ``"surrogate"``
(XGBoost 3.4's smoothed, residual-scaled MM surrogate, see ``boostloss.xgboost._surrogate``),
``"constant"`` (the loss's plain constant Hessian, what ``objective()`` gives plain
``xgb.train`` users) and ``"native"`` (the default: whichever of refit / surrogate the
installed XGBoost's own ``reg:absoluteerror`` / ``reg:quantileerror`` use, so the model
equals the native one; tested on XGBoost 3.2 (refit) and 3.4.1 (surrogate)). Measured
against native ``reg:absoluteerror`` / ``reg:quantileerror`` on held-out data (RAND HIE,
3 splits, 100 rounds, MAE / q0.1 / q0.5 / q0.9): refit 0.00% (the models are identical), surrogate
+1.2 / +0.4 / +1.7 / +3.8%, constant +1.3 / +0.2 / +2.7 / +9.4%; on other sets the
surrogate ranged from -20% to +40%, the refit stayed at 0%. The refit costs about 20% more
time than the constant Hessian and half of native XGBoost 3.2's time (200k x 20, depth 6).

xgboost is imported inside the functions, so ``import boostloss.xgboost`` works without it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._adapter import PreparedTarget, lazy_attributes
from ..losses.base import Loss
from ..registry import get_loss, resolve_loss
from ._callables import (
    RefitMetric,
    RefitObjective,
    SurrogateObjective,
    XGBoostMetric,
    XGBoostObjective,
    XGBoostSklearnMetric,
    XGBoostSklearnObjective,
    dmatrix_target,
    import_xgboost,
    refit_callback,
)
from ._refit import LeafRefit

__all__ = [
    "objective",
    "metric",
    "sklearn_objective",
    "sklearn_metric",
    "init_score",
    "train",
    "predict",
    "XGBRegressor",
    "XGBClassifier",
]

# the drop-in estimators subclass xgboost's own: their module imports xgboost, so it is
# loaded on first access (``import boostloss.xgboost`` must work without xgboost)
__getattr__ = lazy_attributes(__name__, "._estimators", ("XGBRegressor", "XGBClassifier"))

ZERO_HESSIAN_LOSSES = ("absolute_error", "quantile")
ZERO_HESSIAN_STRATEGIES = ("native", "refit", "surrogate", "constant")
# XGBoost 3.4 replaced the leaf refit of its native MAE / quantile objectives by an MM surrogate
NATIVE_SURROGATE_SINCE = (3, 4)
OUTPUTS = ("response", "raw")
ATTRIBUTE_PREFIX = "boostloss_"


def _xgboost_version() -> tuple[int, int]:
    major, minor = import_xgboost().__version__.split(".")[:2]
    return int(major), int("".join(c for c in minor if c.isdigit()) or 0)


# ---------------------------------------------------------------------- public API
def objective(loss: str | Loss, **loss_params: Any) -> XGBoostObjective:
    """Custom objective for ``xgb.train(obj=...)``: ``(predt, dtrain) -> (grad, hess)``.

    ``loss`` is a registered name (or alias) with its parameters, or a ``Loss`` instance.
    Reads labels and sample weights from ``dtrain`` (weights multiplied in, since
    ``xgb.train`` does not apply them to custom objectives), validates them once per
    DMatrix, and returns float32 arrays shaped like ``predt`` ((n,) or (n, k)). A gradient
    or Hessian beyond float32 range raises ValueError.

    Set the intercept yourself (``params["base_score"] = init_score(loss, dtrain)``) or use
    ``train``, which also re-fits leaves for absolute_error / quantile.
    """
    return XGBoostObjective(get_loss(loss, **loss_params))


def metric(loss: str | Loss, **loss_params: Any) -> XGBoostMetric:
    """Custom metric for ``xgb.train(custom_metric=...)``: ``(predt, dmatrix) -> (name, value)``.

    name is ``loss.name``; value is the DMatrix-weighted mean loss on the margins (lower is
    better, so early stopping minimises it).
    """
    return XGBoostMetric(get_loss(loss, **loss_params))


def sklearn_objective(loss: str | Loss, **loss_params: Any) -> XGBoostSklearnObjective:
    """Objective for XGBoost's scikit-learn wrappers (``XGBRegressor(objective=...)``).

    Signature ``(y_true, y_pred, sample_weight=None) -> (grad, hess)``; sample weights
    passed to ``fit(sample_weight=...)`` are multiplied in. For the right intercept set the
    estimator's ``base_score`` from ``init = init_score(loss, y, w)``, in the scale the
    objective XGBoost stores reads it: ``XGBRegressor`` (reg:squarederror) and multiclass
    ``XGBClassifier`` (multi:softprob) take the margin ``init`` (a list for multiclass);
    binary ``XGBClassifier`` stores binary:logistic and takes the probability
    ``loss.transform(init)``. ``xgb.XGBRegressor.predict`` then returns margins (the
    log-mean for log-link losses): ``boostloss.xgboost.XGBRegressor(loss=...)`` does all of
    this for you and predicts on the response scale.
    """
    return XGBoostSklearnObjective(get_loss(loss, **loss_params))


def sklearn_metric(loss: str | Loss, **loss_params: Any) -> XGBoostSklearnMetric:
    """Metric for XGBoost's scikit-learn wrappers: ``xgb.XGBRegressor(eval_metric=...)``.

    Signature ``(y_true, y_score, sample_weight=None) -> value`` with ``__name__`` =
    ``loss.name``: the sample-weighted mean loss on the margins, minimised by early stopping.
    The drop-in ``boostloss.xgboost.XGBRegressor(loss=...)`` reports it without being asked.
    """
    return XGBoostSklearnMetric(get_loss(loss, **loss_params))


def init_score(loss: str | Loss, dtrain_or_labels, sample_weight=None, **loss_params: Any):
    """The loss's best constant margin (``loss.init_score``): a float, or a list of k floats
    for multi-output losses, as XGBoost takes it: ``params["base_score"] = init_score(...)``
    (XGBoost >= 3.1 for a list; the scikit-learn wrappers' ``base_score=`` the same way).

    ``dtrain_or_labels`` is a DMatrix (labels and weights read from it) or label array-like
    (weights from ``sample_weight``).
    """
    loss_obj = get_loss(loss, **loss_params)
    if _is_dmatrix(dtrain_or_labels):
        if sample_weight is not None:
            raise ValueError(
                "init_score got a DMatrix and sample_weight; set the weights on the DMatrix "
                "(weight=...) and leave sample_weight=None."
            )
        target = dmatrix_target(loss_obj, dtrain_or_labels)
        labels, weight = target.labels, target.weight
    else:
        labels, weight = dtrain_or_labels, sample_weight
    value = loss_obj.init_score(labels, weight)
    # a list of Python floats: XGBoost parses base_score from its str(), which for numpy
    # scalars is "np.float64(...)" (a JSON error inside XGBoost)
    return float(value) if np.ndim(value) == 0 else [float(v) for v in np.ravel(value)]


def _zero_hessian_levels(loss: Loss) -> np.ndarray:
    return np.array([0.5]) if loss.name == "absolute_error" else loss.levels


def _json_default(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {value!r} in the booster attributes")


def _set_output_count(params: dict, loss: Loss, target: PreparedTarget) -> None:
    """num_class / num_target for the loss, checked against what the user passed.

    (n, k) probability targets take num_target: XGBoost accepts 2-D labels only for
    multi-target models, which grow the same one tree per output and round as num_class.
    """
    n_outputs = target.n_outputs
    if target.distribution:
        key, other = "num_target", "num_class"
    elif loss.output_kind == "multiclass":
        key, other = "num_class", "num_target"
    elif loss.is_multi_output:
        key, other = "num_target", "num_class"
    else:
        for name in ("num_class", "num_target"):
            if int(params.get(name, 0) or 0) > 1:
                raise ValueError(
                    f"{loss.name} is a single-output loss, but params['{name}'] = "
                    f"{params[name]}. Remove it."
                )
        return
    given = params.get(key)
    if given is not None and int(given) != n_outputs:
        what = {"multiclass": "classes", "multi_quantile": "quantile levels"}.get(
            loss.output_kind, "label columns"
        )
        raise ValueError(
            f"params['{key}'] = {given} but {loss.name} has {n_outputs} {what} for these "
            f"labels. Remove {key} (train sets it) or make them agree"
            + (" (pass loss_params={'n_classes': ...} for classes absent from the labels)."
               if loss.output_kind == "multiclass" else ".")
        )
    if int(params.get(other, 0) or 0) > 1:
        raise ValueError(f"{loss.name} uses params['{key}'], not '{other}'; remove '{other}'.")
    params[key] = n_outputs


def _is_dmatrix(value) -> bool:
    """True for an xgboost.DMatrix (without importing xgboost for plain arrays)."""
    module = sys.modules.get("xgboost")
    return module is not None and isinstance(value, module.DMatrix)


def _has_base_margin(dmatrix) -> bool:
    return dmatrix.get_base_margin().size > 0


def _check_params(params, engine_kwargs) -> dict:
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of XGBoost parameters, got {type(params).__name__}.")
    for key in ("obj", "feval", "maximize"):
        if key in engine_kwargs:
            raise TypeError(
                f"train() sets {key!r} from the loss; do not pass it (use boostloss.xgboost."
                "objective/metric with xgb.train for a hand-made setup)."
            )
    params = dict(params)
    if params.get("objective") is not None:
        raise ValueError(
            f"params['objective'] = {params['objective']!r} conflicts with loss=...: XGBoost "
            "would use it to interpret base_score and predictions. Remove it."
        )
    params.pop("objective", None)
    return params


def native_zero_hessian() -> str:
    """The strategy the installed XGBoost's native MAE / quantile objectives use:
    "surrogate" from XGBoost 3.4 on, "refit" before."""
    return "surrogate" if _xgboost_version() >= NATIVE_SURROGATE_SINCE else "refit"


def _resolve_zero_hessian(zero_hessian: str, loss: Loss) -> str | None:
    if zero_hessian not in ZERO_HESSIAN_STRATEGIES:
        raise ValueError(
            f"zero_hessian must be one of {ZERO_HESSIAN_STRATEGIES}, got {zero_hessian!r}."
        )
    if loss.name not in ZERO_HESSIAN_LOSSES:
        return None
    return native_zero_hessian() if zero_hessian == "native" else zero_hessian


def _check_refit_params(params: dict) -> None:
    booster_type = params.get("booster", "gbtree")
    problems = []
    if booster_type != "gbtree":
        problems.append(f"booster={booster_type!r} (the refit needs 'gbtree')")
    if int(params.get("num_parallel_tree", 1) or 1) != 1:
        problems.append(f"num_parallel_tree={params['num_parallel_tree']} (needs 1)")
    if params.get("eval_metric") is not None:
        problems.append(
            "eval_metric (XGBoost computes it on the leaf values before the refit; the "
            "boostloss metric is reported anyway)"
        )
    if problems:
        raise ValueError(
            "zero_hessian='refit' cannot be used with " + "; ".join(problems)
            + ". Pass zero_hessian='surrogate' or change the parameters."
        )


def train(
    params: Mapping[str, Any],
    dtrain,
    num_boost_round: int = 100,
    *,
    loss: str | Loss,
    loss_params: Mapping[str, Any] | None = None,
    evals: Sequence[tuple[Any, str]] = (),
    early_stopping_rounds: int | None = None,
    evals_result: dict | None = None,
    verbose_eval: bool | int = False,
    callbacks: Sequence[Any] | None = None,
    xgb_model=None,
    zero_hessian: str = "native",
    custom_metric=None,
    **engine_kwargs: Any,
):
    """Train an XGBoost booster on a boostloss loss, starting from its best constant.

    Parameters
    ----------
    params : XGBoost parameters (copied). Must not set ``objective``; ``num_class`` /
        ``num_target`` are set from the loss and labels (a conflicting value is an error).
    dtrain : xgboost.DMatrix with labels (and optional weights).
    loss, loss_params : a registered loss name (or alias) and its parameters, or a Loss.
    evals, early_stopping_rounds, evals_result, verbose_eval, callbacks, xgb_model :
        as in ``xgb.train``. The boostloss metric (``loss.name``) is reported for every
        evaluation set and drives early stopping (minimised; the last set decides).
        XGBoost's default metric is switched off unless ``params["eval_metric"]`` is given.
    custom_metric : None (default) reports the boostloss metric; a callable
        ``(predt, dmatrix) -> (name, value)`` replaces it (XGBoost then infers from the name
        whether to maximise it, as its scikit-learn wrappers do); False reports only
        ``params["eval_metric"]``. Not with zero_hessian="refit" (the metric would see the
        margins before the refit).
    zero_hessian : "native" (default: what the installed XGBoost's own objective does,
        i.e. "refit" before XGBoost 3.4 and "surrogate" from 3.4 on), "refit", "surrogate"
        or "constant"; used only by absolute_error and quantile (see the module docstring).
    **engine_kwargs : passed on to ``xgb.train``.

    The intercept: ``base_score`` is set to ``loss.init_score(labels, weights)`` (a (k,)
    list for multi-output losses), so every evaluation set and ``booster.predict`` include
    it. An explicit ``params["base_score"]`` is used as given (a margin). If ``dtrain`` has
    a ``base_margin``, it is the whole starting margin (XGBoost's rule): ``base_score`` is
    set to 0 and every evaluation set must carry its own base_margin. With ``xgb_model`` the
    loaded model's intercept is kept, and a model trained by boostloss must have been trained
    with the same loss and parameters (ValueError otherwise). For ``poisson`` with
    ``max_delta_step=m > 0``, ``params["max_delta_step"]`` (XGBoost's leaf-value clip) is set
    to m unless given: together they reproduce XGBoost's ``count:poisson``. XGBoost < 3.1 has no vector ``base_score``: there a
    multi-output init score is written into the ``base_margin`` of ``dtrain`` and of every
    evaluation DMatrix (they are modified) and ``predict`` adds it back.

    Returns the ``xgboost.Booster`` with attributes ``boostloss_loss``,
    ``boostloss_loss_params`` (JSON), ``boostloss_init_score`` (JSON) and
    ``boostloss_intercept`` (where the init score lives), read back by ``predict``.
    """
    xgb = import_xgboost()
    loss_obj = resolve_loss(loss, dict(loss_params) if loss_params else None)
    params = _check_params(params, engine_kwargs)
    if not isinstance(dtrain, xgb.DMatrix):
        raise TypeError(f"dtrain must be an xgboost.DMatrix, got {type(dtrain).__name__}.")
    evals = list(evals or ())
    for entry in evals:
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], xgb.DMatrix)):
            raise TypeError(f"evals must be a list of (DMatrix, name) pairs, got {entry!r}.")

    strategy = _resolve_zero_hessian(zero_hessian, loss_obj)
    if strategy == "refit":
        _check_refit_params(params)
        if custom_metric is not None:
            raise ValueError(
                f"{loss_obj.name} re-fits its leaves (zero_hessian='refit'), so another metric "
                "would see the margins before the refit; leave custom_metric / eval_metric "
                "unset (the boostloss metric is reported) or pass zero_hessian='surrogate'."
            )
    base_objective = XGBoostObjective(loss_obj)
    target = base_objective._target(dtrain)
    _set_output_count(params, loss_obj, target)

    _check_continued_loss(xgb_model, loss_obj)
    _set_poisson_max_delta_step(params, loss_obj)
    init: float | np.ndarray | None = None
    if xgb_model is not None:
        intercept = "model"
    elif params.get("base_score") is not None:
        intercept = "user"
    elif _has_base_margin(dtrain):
        intercept = "data"
        params["base_score"] = 0.0
        missing = [name for dmatrix, name in evals if not _has_base_margin(dmatrix)]
        if missing:
            raise ValueError(
                f"dtrain has a base_margin but the evaluation sets {missing} have none, so "
                "they would be scored from a different start. Set base_margin on them too."
            )
    else:
        init = loss_obj.init_score(target.labels, target.weight)
        if np.ndim(init) == 0:
            intercept, params["base_score"] = "base_score", float(init)
        elif _xgboost_version() >= (3, 1):
            intercept, params["base_score"] = "base_score", [float(v) for v in init]
        else:  # older XGBoost has no vector base_score: put the intercept in the data
            intercept, params["base_score"] = "base_margin", 0.0
            for dmatrix in [dtrain] + [d for d, _ in evals]:
                dmatrix.set_base_margin(np.tile(np.asarray(init, np.float32), (dmatrix.num_row(), 1)))
    if params.get("eval_metric") is None:
        params["disable_default_eval_metric"] = True

    obj: XGBoostObjective = base_objective
    feval: Any = XGBoostMetric(loss_obj)
    callbacks = list(callbacks or ())
    if strategy == "surrogate":
        obj = SurrogateObjective(loss_obj)
    elif strategy == "refit":
        refit = LeafRefit(
            target.labels, target.weight, _zero_hessian_levels(loss_obj), dtrain,
            [d for d, _ in evals],
        )
        obj = RefitObjective(loss_obj, refit)
        feval = RefitMetric(loss_obj, refit)
        callbacks.insert(0, refit_callback(refit))  # first, so its after_training runs first
    obj._targets = feval._targets = base_objective._targets  # validate each DMatrix once

    maximize: bool | None = False
    if custom_metric is not None:  # the caller's metric (or none) replaces the loss's
        feval, maximize = (custom_metric or None), None
    booster = xgb.train(
        params,
        dtrain,
        num_boost_round,
        evals=evals,
        obj=obj,
        custom_metric=feval,
        maximize=maximize,
        early_stopping_rounds=early_stopping_rounds,
        evals_result=evals_result,
        verbose_eval=verbose_eval,
        xgb_model=xgb_model,
        callbacks=callbacks,
        **engine_kwargs,
    )
    attributes = {
        "loss": loss_obj.name,
        "loss_params": json.dumps(loss_obj.get_params(), default=_json_default),
        "init_score": json.dumps(None if init is None else np.asarray(init).tolist()),
        "intercept": intercept,
        "zero_hessian": strategy or "",
    }
    if intercept == "model":  # continued training: the loaded model's intercept stays
        for key in ("init_score", "intercept"):
            attributes[key] = booster.attr(ATTRIBUTE_PREFIX + key) or attributes[key]
    booster.set_attr(**{ATTRIBUTE_PREFIX + key: value for key, value in attributes.items()})
    return booster


def _check_continued_loss(xgb_model, loss: Loss) -> None:
    """Continuing a boostloss model with another loss would add trees fitted to one loss on
    top of an intercept and trees fitted to another (and ``predict`` would transform with the
    new loss): refused. A model not trained by boostloss carries no loss and is accepted."""
    if xgb_model is None:
        return
    xgb = import_xgboost()
    if isinstance(xgb_model, xgb.Booster):
        model = xgb_model
    else:
        try:
            model = xgb.Booster(model_file=xgb_model)
        except Exception:  # let xgb.train report a model it cannot load
            return
    if model.attr(ATTRIBUTE_PREFIX + "loss") is None:
        return
    stored = _stored_loss(model)
    if stored != loss:
        raise ValueError(
            f"xgb_model was trained with {stored!r}, but this call trains {loss!r}. Continued "
            "training must use the same loss and parameters (the model's intercept and trees "
            "belong to that loss); pass loss=..., loss_params=... to match, or start afresh."
        )


def _set_poisson_max_delta_step(params: dict, loss: Loss) -> None:
    """poisson(max_delta_step=m) reproduces XGBoost's count:poisson only with the tree
    parameter max_delta_step = m too (XGBoost clips every leaf value at it); set it unless
    the caller chose one."""
    step = getattr(loss, "max_delta_step", 0.0) if loss.name == "poisson" else 0.0
    if step and params.get("max_delta_step") is None:
        params["max_delta_step"] = step


def _stored_loss(booster) -> Loss:
    name = booster.attr(ATTRIBUTE_PREFIX + "loss")
    if name is None:
        raise ValueError(
            "this booster was not trained by boostloss.xgboost.train (it has no "
            "boostloss_loss attribute); pass loss=... to predict."
        )
    params = json.loads(booster.attr(ATTRIBUTE_PREFIX + "loss_params") or "{}")
    return get_loss(name, **params)


def predict(
    booster,
    data,
    *,
    output: str = "response",
    iteration_range: tuple[int, int] | None = None,
    loss: str | Loss | None = None,
) -> np.ndarray:
    """Predict with a booster trained on a boostloss loss.

    ``data``: a DMatrix, or anything ``booster.inplace_predict`` takes (numpy, pandas,
    scipy.sparse). ``output="raw"`` returns margins (intercept included), ``"response"``
    returns ``loss.transform(raw)`` (mean, probability, quantile, ...). Shape (n,) for
    single-output losses, (n, k) for multi-output. Without ``iteration_range`` the best
    iteration found by early stopping is used (all rounds if there was none). ``loss``
    defaults to the one stored by ``train``. Returns float64.
    """
    xgb = import_xgboost()
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}.")
    loss_obj = _stored_loss(booster) if loss is None else get_loss(loss)
    if iteration_range is None:
        best = booster.attr("best_iteration")
        iteration_range = (0, int(best) + 1) if best is not None else (0, 0)
    if isinstance(data, xgb.DMatrix):
        raw = booster.predict(data, output_margin=True, iteration_range=iteration_range)
        has_margin = _has_base_margin(data)
    else:
        if isinstance(data, (list, tuple)):
            data = np.asarray(data)
        raw = booster.inplace_predict(data, iteration_range=iteration_range, predict_type="margin")
        has_margin = False
    raw = np.asarray(raw, dtype=np.float64)
    if booster.attr(ATTRIBUTE_PREFIX + "intercept") == "base_margin" and not has_margin:
        raw = raw + np.asarray(json.loads(booster.attr(ATTRIBUTE_PREFIX + "init_score")))
    if not loss_obj.is_multi_output and raw.ndim == 2 and raw.shape[1] == 1:
        raw = raw[:, 0]
    return raw if output == "raw" else loss_obj.transform(raw)
