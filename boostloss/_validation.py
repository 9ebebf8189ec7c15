"""Input checks shared by every layer.

Parameters are checked once, when a loss is built (`check_*_param`); arrays are checked
when they are used (`as_float_array`, `check_sample_weight`). Every failure is a
``ValueError`` (or ``TypeError`` for a wrong kind of object) whose message names the
argument, the value received and what would be valid, so the user can act on it.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

__all__ = [
    "as_float_array",
    "check_bool_param",
    "check_finite",
    "check_sample_weight",
    "check_number_param",
    "check_levels_param",
    "check_weights_param",
]


def _describe_range(low, high, low_open, high_open) -> str:
    left = "(" if low_open else "["
    right = ")" if high_open else "]"
    low_text = "-inf" if low is None else repr(low)
    high_text = "inf" if high is None else repr(high)
    return f"{left}{low_text}, {high_text}{right}"


def check_number_param(
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
) -> float:
    """Validate a scalar hyper-parameter and return it as a Python float (or int).

    Raises ``TypeError`` for non-numbers (bools included) and ``ValueError`` for NaN, inf
    or a value outside the interval, naming the parameter, the value and the interval.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = "an integer" if integer else "a real number"
        raise TypeError(f"{name} must be {kind}, got {value!r} of type {type(value).__name__}.")
    if integer and not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}.")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        valid = _describe_range(low, high, low_open, high_open)
        raise ValueError(f"{name} must be in {valid}, got {value!r}.")
    return int(value) if integer else float(value)


def check_bool_param(name: str, value) -> bool:
    """Validate a boolean switch (numpy bools too); a number or string is a TypeError."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {value!r} of type {type(value).__name__}.")
    return bool(value)


def check_levels_param(name: str, value) -> np.ndarray:
    """Validate one level or a list of levels in the open interval (0, 1).

    Returns a 1-D float64 array; a scalar becomes shape (1,). Levels must be distinct.
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a number or a list of numbers in (0, 1), got {value!r}.")
    if np.ndim(value) == 0:
        return np.array([check_number_param(name, value, low=0.0, high=1.0, low_open=True, high_open=True)])
    levels = [
        check_number_param(f"{name}[{i}]", v, low=0.0, high=1.0, low_open=True, high_open=True)
        for i, v in enumerate(value)
    ]
    if not levels:
        raise ValueError(f"{name} must hold at least one level in (0, 1), got an empty list.")
    if len(set(levels)) != len(levels):
        raise ValueError(f"{name} must not repeat a level, got {list(value)!r}.")
    return np.asarray(levels, dtype=np.float64)


def check_weights_param(name: str, value: Sequence[float] | np.ndarray | None) -> np.ndarray | None:
    """Validate an optional vector of non-negative, finite per-class weights."""
    if value is None:
        return None
    weights = np.asarray(value, dtype=np.float64) if not isinstance(value, str) else None
    if weights is None or weights.ndim != 1 or weights.size == 0:
        raise ValueError(f"{name} must be a 1-D sequence of non-negative numbers, got {value!r}.")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"{name} must hold finite, non-negative numbers, got {value!r}.")
    if not np.any(weights > 0):
        raise ValueError(f"{name} must have at least one positive entry, got {value!r}.")
    return weights


def check_finite(name: str, array: np.ndarray) -> None:
    """Raise ValueError if ``array`` holds NaN or inf, saying where the first one is."""
    if not np.all(np.isfinite(array)):
        bad = np.flatnonzero(~np.isfinite(array.ravel()))
        raise ValueError(
            f"{name} must be finite, but {bad.size} of {array.size} values are NaN or inf "
            f"(first at flat index {bad[0]}: {float(array.ravel()[bad[0]])!r}). "
            "Drop or impute those rows before training."
        )


def as_float_array(name: str, value, *, check_values: bool = True) -> np.ndarray:
    """Convert to a float64 ndarray (copying only when needed) and reject NaN/inf."""
    if value is None:
        raise ValueError(f"{name} is required, got None.")
    # numpy would drop the imaginary part with only a warning. (Read the dtype attribute:
    # np.iscomplexobj would call numpy on array-likes that refuse it, such as the one in
    # scikit-learn's check_sample_weights_not_an_array.)
    dtype = getattr(value, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind == "c":
        raise TypeError(f"{name} must be real, got complex values; pass its real part "
                        "(np.real) if that is what you mean.")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric, could not convert it to float: {exc}") from None
    if array.ndim == 0:
        raise ValueError(f"{name} must be an array, got the scalar {value!r}.")
    if check_values:
        check_finite(name, array)
    return array


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray | None:
    """Validate sample weights: shape (n,), finite, >= 0, with a positive sum.

    Returns None when no weights were given (so callers can skip the multiplication).
    """
    if sample_weight is None:
        return None
    weight = as_float_array("sample_weight", sample_weight)
    if weight.ndim != 1 or weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one weight per sample, "
            f"got shape {weight.shape}."
        )
    if np.any(weight < 0):
        raise ValueError(
            f"sample_weight must be non-negative, got {np.count_nonzero(weight < 0)} negative "
            f"values (minimum {float(weight.min())!r})."
        )
    if n_samples > 0 and not np.any(weight > 0):
        raise ValueError("sample_weight sums to zero: at least one sample needs a positive weight.")
    return weight
