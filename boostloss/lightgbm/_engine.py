"""LightGBM plumbing for the boostloss adapter: lazy import, Dataset fields, parameter aliases.

Nothing here imports lightgbm at module import time (``import boostloss.lightgbm`` must work
without it); ``require_lightgbm()`` imports it on first use and names the extra to install.

Dataset fields: a ``lightgbm.Dataset`` is lazy. Before ``construct()`` its label/weight/
init_score live in Python attributes; afterwards ``get_label()`` etc. read them back from the
C++ side (as float32 for label and weight). The accessors below work in both states and never
construct the Dataset (construction needs the training parameters, which ``lgb.train`` owns).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "require_lightgbm",
    "param_aliases",
    "find_param",
    "pop_param",
    "dataset_label",
    "dataset_weight",
    "dataset_init_score",
    "engine_float32",
    "is_constructed",
    "forget_failed_construction",
]

# Fallback alias table (lightgbm 4.7), used only if lightgbm's private table is unavailable.
_FALLBACK_ALIASES: dict[str, set[str]] = {
    "objective": {"objective", "objective_type", "app", "application", "loss"},
    "metric": {"metric", "metrics", "metric_types"},
    "num_class": {"num_class", "num_classes"},
    "learning_rate": {"learning_rate", "shrinkage_rate", "eta"},
    "early_stopping_round": {
        "early_stopping_round",
        "early_stopping_rounds",
        "early_stopping",
        "n_iter_no_change",
    },
    "boosting": {"boosting", "boosting_type", "boost"},
    "linear_tree": {"linear_tree", "linear_trees"},
}


def require_lightgbm():
    """Import and return the ``lightgbm`` module, or raise an ImportError that says how to get it."""
    try:
        import lightgbm
    except ImportError as exc:  # pragma: no cover - exercised only without lightgbm
        raise ImportError(
            "boostloss.lightgbm needs the lightgbm package: pip install boostloss[lightgbm] "
            "(or pip install lightgbm>=4)."
        ) from exc
    return lightgbm


def param_aliases(name: str) -> set[str]:
    """All spellings LightGBM accepts for parameter ``name`` (the name included)."""
    try:
        from lightgbm.basic import _ConfigAliases

        aliases = set(_ConfigAliases.get(name))
    except Exception:  # private API moved: use the table above
        aliases = set()
    return aliases | _FALLBACK_ALIASES.get(name, set()) | {name}


def find_param(params: dict[str, Any], name: str) -> tuple[str | None, Any]:
    """(key, value) of the first alias of ``name`` present in ``params``, else (None, None)."""
    for key in sorted(param_aliases(name)):
        if key in params:
            return key, params[key]
    return None, None


def pop_param(params: dict[str, Any], name: str) -> Any:
    """Remove every alias of ``name`` from ``params``; return the value that was set (or None).

    Two aliases set to different values is an error (LightGBM would silently pick one).
    """
    found = {key: params.pop(key) for key in sorted(param_aliases(name)) if key in params}
    values = list(found.values())
    if len(values) > 1 and any(not _same_value(values[0], v) for v in values[1:]):
        raise ValueError(
            f"params set {name!r} more than once with different values ({found}); keep one."
        )
    return values[0] if values else None


def _same_value(first, second) -> bool:
    try:
        return bool(first == second)
    except Exception:
        return first is second


def is_constructed(dataset) -> bool:
    """True if the Dataset holds a live C++ handle. A construction LightGBM refused (a fatal
    parameter check such as max_bin=1) leaves ``_handle`` as a NULL ``c_void_p``: reading
    any field through it segfaults, so such a Dataset counts as not constructed."""
    handle = getattr(dataset, "_handle", None)
    return handle is not None and getattr(handle, "value", handle) is not None


def forget_failed_construction(dataset) -> None:
    """Reset a NULL handle left by a refused construction to None, as before construction,
    so the Dataset can be used (and constructed) again instead of crashing the process."""
    handle = getattr(dataset, "_handle", None)
    if handle is not None and not is_constructed(dataset):
        dataset._handle = None


def dataset_label(dataset):
    """The Dataset's labels (user array before construction, float32 after), or None."""
    if not is_constructed(dataset):
        return getattr(dataset, "label", None)
    try:
        return dataset.get_label()
    except Exception:  # unconstructed Dataset without a label raises from get_field
        return getattr(dataset, "label", None)


def dataset_weight(dataset):
    """The Dataset's sample weights, or None."""
    if not is_constructed(dataset):
        return getattr(dataset, "weight", None)
    try:
        return dataset.get_weight()
    except Exception:
        return getattr(dataset, "weight", None)


def dataset_init_score(dataset):
    """The Dataset's init_score (an offset set by the user), or None."""
    if not is_constructed(dataset):
        score = getattr(dataset, "init_score", None)
    else:
        try:
            score = dataset.get_init_score()
        except Exception:
            score = getattr(dataset, "init_score", None)
    if score is None or np.size(score) == 0:
        return None
    return score


def engine_float32(values, name: str = "labels") -> np.ndarray | None:
    """Labels/weights as LightGBM stores them: float32, then float64 for the math.

    ``lgb.Dataset`` keeps labels and weights in float32 and native objectives compute with
    those values; rounding here the same way makes custom and native objectives see
    identical labels (parity to the last bit). A finite value beyond float32's range, or a
    positive weight that rounds to 0, is a ValueError that says so (the cast would turn them
    into inf or 0, and a later check would call them "NaN or inf" or "sums to zero").
    """
    if values is None:
        return None
    from .._validation import as_float_array, check_fits_float32

    array = check_fits_float32(name, as_float_array(name, values, check_values=False))
    return array.astype(np.float64)
