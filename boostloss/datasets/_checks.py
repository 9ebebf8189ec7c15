"""Argument checks shared by the dataset loaders and the generators."""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - typing only
    pass



def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def _check_real(
    name: str, value: Any, low: float, high: float, *, low_open: bool, high_open: bool
) -> float:
    ok = (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and np.isfinite(value)
        and (value > low if low_open else value >= low)
        and (value < high if high_open else value <= high)
    )
    if not ok:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {left}{low}, {high}{right}, got {value!r}.")
    return float(value)


def _check_lags(lags: Any) -> list[int]:
    if isinstance(lags, numbers.Integral) and not isinstance(lags, bool):
        lags = (lags,)
    try:
        lag_list = list(lags)
    except TypeError:
        raise ValueError(f"lags must be a sequence of integers >= 1, got {lags!r}.") from None
    if not lag_list:
        raise ValueError("lags must contain at least one lag, got an empty sequence.")
    checked = [_check_int("each lag", lag, 1) for lag in lag_list]
    if len(set(checked)) != len(checked):
        raise ValueError(f"lags must be distinct, got {lag_list!r}.")
    return checked


def _check_dtype(dtype: Any) -> np.dtype:
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}.")
    return resolved


def _check_random_state(random_state: Any) -> np.random.Generator:
    if random_state is None or isinstance(random_state, np.random.Generator):
        return np.random.default_rng(random_state)
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state >= 0:
            return np.random.default_rng(int(random_state))
    raise ValueError(
        f"random_state must be None, an integer >= 0 or a numpy Generator, got {random_state!r}."
    )


