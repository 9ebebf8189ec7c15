"""Name -> loss class, with aliases; the one place that knows every loss.

``get_loss("huber", delta=2.0)`` builds a loss by canonical name or alias;
``available_losses()`` lists canonical names; ``resolve_loss`` is what the adapters and
estimators call to accept either a name plus parameters or a ready loss instance.
"""

from __future__ import annotations

from typing import Any

from . import losses as _losses
from .losses.base import Loss

__all__ = ["LOSSES", "ALIASES", "get_loss", "available_losses", "resolve_loss", "canonical_name"]

LOSSES: dict[str, type[Loss]] = {
    cls.name: cls
    for cls in (
        _losses.SquaredError,
        _losses.AbsoluteError,
        _losses.Huber,
        _losses.SmoothL1,
        _losses.PseudoHuber,
        _losses.LogCosh,
        _losses.Fair,
        _losses.Expectile,
        _losses.GHMRegression,
        _losses.Quantile,
        _losses.Poisson,
        _losses.Gamma,
        _losses.Tweedie,
        _losses.Logistic,
        _losses.Focal,
        _losses.GHMLogistic,
        _losses.SquaredHinge,
        _losses.SmoothHinge,
        _losses.SoftmaxCrossEntropy,
        _losses.SoftmaxFocal,
        _losses.MulticlassHinge,
        _losses.KLDivergence,
        _losses.MultilabelLogistic,
        _losses.Dice,
        _losses.Tversky,
    )
}

ALIASES: dict[str, str] = {
    "mse": "squared_error",
    "l2": "squared_error",
    "mae": "absolute_error",
    "l1": "absolute_error",
    "pinball": "quantile",
    "binary_cross_entropy": "logistic",
    "bce": "logistic",
    "log_loss": "logistic",
    "cross_entropy": "softmax_cross_entropy",
    "multiclass": "softmax_cross_entropy",
    "kl_div": "kl_divergence",
    "kld": "kl_divergence",
    "multi_margin": "multiclass_hinge",
    "multiclass_svm": "multiclass_hinge",
    "ghm": "ghm_logistic",
    "ghmc": "ghm_logistic",
    "ghm_c": "ghm_logistic",
    "ghmr": "ghm_regression",
    "ghm_r": "ghm_regression",
}


def available_losses() -> list[str]:
    """Sorted canonical loss names."""
    return sorted(LOSSES)


def canonical_name(name: str) -> str:
    """Map a name or alias (case-insensitive, '-' or '_') to the canonical name."""
    if not isinstance(name, str):
        raise TypeError(f"a loss name must be a string, got {name!r} of type {type(name).__name__}.")
    key = name.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in LOSSES:
        aliases = ", ".join(f"{a} -> {c}" for a, c in sorted(ALIASES.items()))
        raise ValueError(
            f"unknown loss {name!r}. Valid names: {', '.join(available_losses())}. "
            f"Aliases: {aliases}."
        )
    return key


def get_loss(name: str | Loss, **params: Any) -> Loss:
    """Build a loss by canonical name or alias, with keyword parameters.

    A ``Loss`` instance is returned unchanged (passing parameters with it is an error).
    Unknown names and unknown parameters raise ValueError listing the valid ones.
    Each loss's parameters, formulas and Hessian are in its class docstring
    (``help(type(loss))``); ``boostloss losses`` prints them all as a table.

    Names by task (aliases in brackets):

    __NAMES__

    Example::

        >>> import boostloss as bl
        >>> loss = bl.get_loss("huber", delta=2.0)
        >>> loss.name, loss.delta
        ('huber', 2.0)
        >>> bl.get_loss("mse").name                  # aliases give the canonical loss
        'squared_error'
        >>> grad, hess = loss.grad_hess([0.0, 10.0], [1.0, 0.0])   # d loss / d raw
        >>> grad.tolist()
        [1.0, -2.0]
    """
    if isinstance(name, Loss):
        if params:
            raise TypeError(
                f"got a ready loss {name!r} and parameters {sorted(params)}; pass either a "
                "loss instance or a name with parameters, not both."
            )
        return name
    if isinstance(name, type) and issubclass(name, Loss):
        cls = name
    else:
        cls = LOSSES[canonical_name(name)]
    valid = cls.param_names()
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ValueError(
            f"{cls.name} got unknown parameters {unknown}; valid parameters are "
            f"{valid if valid else 'none'}."
        )
    return cls(**params)


def resolve_loss(loss: str | Loss, params: dict[str, Any] | None = None) -> Loss:
    """``get_loss`` for callers holding a name-or-instance and an optional params dict."""
    return get_loss(loss, **(params or {}))


def _names_by_task() -> str:
    lines = []
    for task in dict.fromkeys(cls.task for cls in LOSSES.values()):
        names = []
        for name in sorted(n for n, cls in LOSSES.items() if cls.task == task):
            aliases = sorted(a for a, c in ALIASES.items() if c == name)
            names.append(f"{name} [{', '.join(aliases)}]" if aliases else name)
        lines.append(f"- {task}: {', '.join(names)}")
    return "\n    ".join(lines)


if get_loss.__doc__:  # None under python -OO
    get_loss.__doc__ = get_loss.__doc__.replace("__NAMES__", _names_by_task())
