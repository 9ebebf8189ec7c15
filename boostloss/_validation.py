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
    "MAX_CLASSES",
    "as_float_array",
    "check_bool_param",
    "format_list",
    "check_finite",
    "check_fits_float32",
    "check_sample_weight",
    "check_number_param",
    "check_levels_param",
    "check_weights_param",
]


# The most classes a multiclass loss accepts. Labels are class indices: a label is an index
# into k-column arrays, so an id in the label column (1e9) would allocate n * 1e9 floats
# before anything else could fail. 10,000 classes at 100,000 rows are already 8 GB of raw
# scores per array; larger label spaces need another model (or LabelEncoder first).
MAX_CLASSES = 10_000


def format_list(values, limit: int = 10) -> str:
    """``[a, b, c]``, or the first ``limit`` items and "... and N more": a message listing
    data-derived items must not grow with the data."""
    items = list(values[:limit]) if hasattr(values, "__getitem__") else list(values)[:limit]
    total = len(values)
    shown = ", ".join(repr(v) for v in items)
    if total > limit:
        return f"[{shown}, ... and {total - limit:,} more]"
    return f"[{shown}]"


def _short_repr(value, limit: int = 200) -> str:
    """repr(value) cut to ``limit`` characters (user objects can be arbitrarily large)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 15] + f"... ({len(text):,} chars)"


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
        raise TypeError(
            f"{name} must be {kind}, got {_short_repr(value)} of type {type(value).__name__}."
        )
    if integer and not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}.")
    try:
        as_float = float(value)
    except OverflowError:  # a Python int beyond float64 (10**400)
        as_float = float("inf")
    if not np.isfinite(as_float):
        shown = _short_repr(value, 60)
        if np.isnan(as_float):
            raise ValueError(f"{name} must be a finite number, got {shown}.")
        raise ValueError(f"{name} must be a finite number, got {shown}, which is beyond float64's "
                         f"range (about 1.8e308).")
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


def _weights_from_mapping(name: str, value) -> list:
    """scikit-learn's ``class_weight={class: weight}`` idiom, for classes 0..k-1 (every class
    listed, so k is known)."""
    keys = list(value)
    if not all(isinstance(key, numbers.Integral) and not isinstance(key, bool) for key in keys):
        raise ValueError(f"{name} as a dict must map class labels 0..k-1 to weights, got keys "
                         f"{format_list(keys)}.")
    if sorted(int(key) for key in keys) != list(range(len(keys))):
        raise ValueError(f"{name} as a dict must give a weight for every class 0..k-1 (got "
                         f"classes {format_list(sorted(int(k) for k in keys))}); list each class.")
    return [value[key] for key in sorted(keys, key=int)]


def check_weights_param(name: str, value: Sequence[float] | np.ndarray | None) -> np.ndarray | None:
    """Validate an optional vector of non-negative, finite per-class weights.

    A dict ``{class: weight}`` (scikit-learn's idiom) with every class 0..k-1 is accepted.
    Weights up to 1e300 are accepted (a loss multiplies them in; a value that overflows is
    reported where it happens).
    """
    if value is None:
        return None
    if isinstance(value, dict):
        value = _weights_from_mapping(name, value)
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a 1-D sequence of non-negative numbers, got "
                        f"{_short_repr(value)}.")
    weights = as_float_array(name, value, check_values=False)
    if weights.ndim != 1 or weights.size == 0:
        raise ValueError(f"{name} must be a 1-D sequence of non-negative numbers, got "
                         f"{_short_repr(value)}.")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"{name} must hold finite, non-negative numbers, got {_short_repr(value)}.")
    if not np.any(weights > 0):
        raise ValueError(f"{name} must have at least one positive entry, got {_short_repr(value)}.")
    return weights


def check_fits_float32(name: str, exact: np.ndarray) -> np.ndarray:
    """``exact`` (float64) as float32, the precision the engines store labels, weights and
    features in; ValueError for a finite value beyond float32's range, or a positive value
    that rounds to 0 (the cast would make them inf or 0 and a later check would misname
    them as "NaN or inf" or "sums to zero")."""
    with np.errstate(over="ignore", under="ignore"):
        array = exact.astype(np.float32)
    problems = (
        (np.isinf(array) & np.isfinite(exact), "finite values are too large for float32",
         "float32 holds up to 3.4e38", f"which the engines store {name} in"),
        ((array == 0) & (exact > 0), "positive values are too small for float32",
         "float32's smallest positive value is 1.4e-45", "and would be 0 in the engines"),
    )
    for bad, what, limit, consequence in problems:
        if np.any(bad):
            raise ValueError(
                f"{name}: {np.count_nonzero(bad):,} {what} (e.g. {float(exact[bad].flat[0]):.6g}; "
                f"{limit}), {consequence}. Rescale the {name}."
            )
    return array


def check_finite(name: str, array: np.ndarray) -> None:
    """Raise ValueError if ``array`` holds NaN or inf, saying where the first one is."""
    if not np.all(np.isfinite(array)):
        bad = np.flatnonzero(~np.isfinite(array.ravel()))
        raise ValueError(
            f"{name} must be finite, but {bad.size} of {array.size} values are NaN or inf "
            f"(first at flat index {bad[0]}: {float(array.ravel()[bad[0]])!r}). "
            "Drop or impute those rows before training."
        )


# dtype kinds that numpy would turn into floats although they are not numbers: dates and
# durations (nanosecond counts), strings and bytes ("1.5" parses), complex (drops the
# imaginary part with only a warning).
_REFUSED_KINDS = {
    "M": "dates (datetime64)",
    "m": "durations (timedelta64)",
    "U": "strings",
    "S": "bytes",
    "c": "complex numbers",
    "V": "structured records",
}


def _refuse_kind(name: str, kind_text: str) -> TypeError:
    if kind_text == "complex numbers":
        return TypeError(f"{name} must be real, got complex values; pass its real part "
                         "(np.real) if that is what you mean.")
    hint = {
        "strings": "convert them yourself (e.g. pd.to_numeric) if they are numbers.",
        "bytes": "decode and convert them yourself if they are numbers.",
    }.get(kind_text, "convert them to numbers yourself (e.g. a duration in seconds).")
    return TypeError(f"{name} must hold real numbers, got {kind_text}; {hint}")


def as_float_array(name: str, value, *, check_values: bool = True) -> np.ndarray:
    """Convert to a float64 ndarray (copying only when needed) and reject NaN/inf.

    Refused with TypeError: masked arrays (numpy would drop the mask and use the hidden
    values), complex numbers, dates, durations, strings and bytes (numpy converts several of
    them to floats without complaint).
    """
    if value is None:
        raise ValueError(f"{name} is required, got None.")
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(
            f"{name} is a masked array; its masked entries would be used as if they were "
            "data. Drop the masked rows (arr[~arr.mask]) or fill them (arr.filled(value))."
        )
    # Read the dtype attribute first: converting would call numpy on array-likes that refuse
    # it, such as the one in scikit-learn's check_sample_weights_not_an_array.
    dtype = getattr(value, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind in _REFUSED_KINDS:
        raise _refuse_kind(name, _REFUSED_KINDS[dtype.kind])
    if not isinstance(value, np.ndarray) or value.dtype.kind == "O":
        value = _from_python_objects(name, value)
    try:
        array = np.asarray(value, dtype=np.float64)
    except OverflowError:
        raise ValueError(f"{name} holds an integer beyond float64's range (about 1.8e308).") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be numeric, could not convert it to float: {_short_repr(str(exc))}"
        ) from None
    if array.ndim == 0:
        raise ValueError(f"{name} must be an array, got the scalar {_short_repr(value)}.")
    if check_values:
        check_finite(name, array)
    return array


def _from_python_objects(name: str, value):
    """Lists, tuples and object arrays: refuse strings, bytes and dates hidden inside."""
    if isinstance(value, (str, bytes)):
        raise _refuse_kind(name, "strings" if isinstance(value, str) else "bytes")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):  # ragged lists: let the float conversion explain
        return value
    if array.dtype.kind in _REFUSED_KINDS:
        raise _refuse_kind(name, _REFUSED_KINDS[array.dtype.kind])
    if array.dtype.kind == "O":
        for item in array.flat:
            if isinstance(item, (str, bytes)):
                raise _refuse_kind(name, "strings" if isinstance(item, str) else "bytes")
            if isinstance(item, (np.datetime64, np.timedelta64)) or hasattr(item, "tzinfo"):
                raise _refuse_kind(name, "dates or durations")
            if isinstance(item, complex):
                raise _refuse_kind(name, "complex numbers")
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
        raise ValueError(
            "sample_weight sums to zero: at least one sample needs a positive weight (note that "
            "the engines store weights in float32, where values below 1.4e-45 become 0)."
        )
    return weight
