"""One-step-ahead backtest of an interval model on a time-ordered data set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone

from .._validation import check_finite
from ._conformal import apply_shifts, stream_shifts

__all__ = ["Backtest", "backtest"]


@dataclass(frozen=True)
class Backtest:
    """Result of ``backtest``: one row per forecast step ``t = start .. n - 1``.

    Attributes
    ----------
    index : ndarray of int, shape (T,)
        Row positions of the forecast steps in ``X``/``y``.
    y : ndarray, shape (T,)
        Realised targets.
    intervals : ndarray, shape (T, 2)
        The interval issued for each step before its target was seen.
    covered : ndarray of bool, shape (T,)
        ``lower <= y <= upper``.
    width : ndarray, shape (T,)
        ``upper - lower``.
    running_coverage : ndarray, shape (T,)
        Coverage of steps ``0..i`` (the long-run coverage line).
    rolling_coverage : ndarray, shape (T,)
        Coverage of the last ``window`` steps; NaN for the first ``window - 1`` steps.
    window : int
    model : QuantileIntervalRegressor
        The model after the last step (fitted, adapted).
    """

    index: np.ndarray
    y: np.ndarray
    intervals: np.ndarray
    covered: np.ndarray
    width: np.ndarray
    running_coverage: np.ndarray
    rolling_coverage: np.ndarray
    window: int
    model: object

    @property
    def coverage(self) -> float:
        """Share of steps covered."""
        return float(self.covered.mean())

    @property
    def mean_width(self) -> float:
        return float(self.width.mean())

    @property
    def worst_rolling_coverage(self) -> float:
        """Lowest coverage over any ``window`` consecutive steps (NaN if fewer steps)."""
        finite = self.rolling_coverage[~np.isnan(self.rolling_coverage)]
        return float(finite.min()) if finite.size else float("nan")


def _rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    out = np.full(values.size, np.nan)
    if values.size >= window:
        sums = np.cumsum(np.concatenate([[0.0], values]))
        out[window - 1:] = (sums[window:] - sums[:-window]) / window
    return out


def _check_int(name: str, value, low: int) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    return int(value)


def backtest(model, X, y, *, start: int, refit_every: int | None = None,
             window: int = 200) -> Backtest:
    """Run the one-step-ahead loop: fit on rows before ``start``, then for each later row
    predict its interval, observe its target and ``update`` the model.

    ``model`` is a ``QuantileIntervalRegressor`` (cloned, not changed) whose rows are in
    time order; with ``adaptation`` the shifts adapt online, without it the intervals of
    the fit are used as they are (the split-conformal baseline). ``refit_every=k`` refits a
    fresh clone on all rows before step ``t`` every ``k`` steps (the online state restarts
    from the new fit's calibration rows, which are then the latest ones).

    Exactly the loop ``interval = model.predict_interval(X[t:t+1]);
    model.update(X[t:t+1], y[t:t+1])`` row by row, computed with one model prediction per
    block between refits (the online update is the same row-by-row recursion).

    Returns a ``Backtest`` with the intervals, coverage per step, the running coverage and
    the coverage over the last ``window`` steps.
    """
    X_all = X
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    n = y.shape[0]
    if getattr(X_all, "shape", (n,))[0] != n:
        raise ValueError(f"X has {X_all.shape[0]} rows but y has {n} values.")
    check_finite("y", y)
    start = _check_int("start", start, 1)
    if start >= n:
        raise ValueError(f"start={start} leaves no row to forecast: y has {n} rows.")
    window = _check_int("window", window, 1)
    step = n - start if refit_every is None else _check_int("refit_every", refit_every, 1)

    rows = _row_selector(X_all)
    intervals = np.empty((n - start, 2))
    fitted = None
    for block_start in range(start, n, step):
        block = np.arange(block_start, min(n, block_start + step))
        fitted = clone(model).fit(rows(slice(0, block_start)), y[:block_start])
        intervals[block - start] = _forecast_block(fitted, rows(block), y[block])
    covered = (intervals[:, 0] <= y[start:]) & (y[start:] <= intervals[:, 1])
    return Backtest(
        index=np.arange(start, n),
        y=y[start:],
        intervals=intervals,
        covered=covered,
        width=intervals[:, 1] - intervals[:, 0],
        running_coverage=np.cumsum(covered) / np.arange(1, covered.size + 1),
        rolling_coverage=_rolling_mean(covered.astype(np.float64), window),
        window=window,
        model=fitted,
    )


def _row_selector(X):
    if hasattr(X, "iloc"):
        return lambda rows: X.iloc[rows]
    return lambda rows: X[rows]


def _forecast_block(model, X_block, y_block) -> np.ndarray:
    """Intervals issued one step ahead for the rows of a block (then ``update``d)."""
    if model.adaptation is None:
        return model.predict_interval(X_block)
    raw, used = model._update(X_block, y_block)
    quantiles = apply_shifts(raw, model._pairs, stream_shifts(used, model.symmetric))
    return quantiles[:, list(model.interval_index_)]
