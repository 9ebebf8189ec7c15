"""Quantile levels of the interval estimator: the central interval of a coverage, level
lists checked for the interval ends, the median, mirror levels and distinctness.

Levels are matched with an absolute tolerance ``LEVEL_ATOL = 1e-9`` (so 0.05 and
0.04999999999999999 are the same level); two requested levels closer than that would be
matched as one, so they are refused rather than silently merged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_levels_param, check_number_param
from ._conformal import central_pairs

__all__ = ["LEVEL_ATOL", "contains", "interval_levels", "resolve_levels"]

LEVEL_ATOL = 1e-9
_DIGITS = 12


def interval_levels(coverage: float) -> tuple[float, float]:
    """The central interval's levels ``((1 - c) / 2, 1 - (1 - c) / 2)``, rounded to 12 digits
    (so coverage=0.9 gives exactly 0.05 and 0.95, not 0.04999999999999999).

    Raises ValueError when ``coverage`` is so close to 0 or 1 that the rounded levels are
    no longer distinct from 0, 1 or the median 0.5 (within ``LEVEL_ATOL``): about
    ``coverage < 2e-9`` or ``coverage > 1 - 1e-12``.
    """
    coverage = check_number_param(
        "coverage", coverage, low=0.0, high=1.0, low_open=True, high_open=True
    )
    lower = round((1.0 - coverage) / 2.0, _DIGITS)
    if not (lower > 0.0 and 0.5 - lower > LEVEL_ATOL):
        raise ValueError(
            f"coverage={coverage!r} is too close to {0 if lower > 0.25 else 1}: its interval "
            f"levels round to ({lower!r}, {round(1.0 - lower, _DIGITS)!r}), which cannot be "
            f"told apart from {'the median 0.5' if lower > 0.25 else '0 and 1'}. Use a "
            f"coverage between {2 * LEVEL_ATOL + 10.0**-_DIGITS:.0e} and 1 - "
            f"{2 * 10.0**-_DIGITS:.0e}."
        )
    return lower, round(1.0 - lower, _DIGITS)


def contains(levels: np.ndarray, level: float) -> int | None:
    """Index of ``level`` in ``levels`` (within ``LEVEL_ATOL``), or None."""
    hits = np.flatnonzero(np.abs(levels - level) <= LEVEL_ATOL)
    return int(hits[0]) if hits.size else None


def check_distinct_levels(name: str, levels: np.ndarray) -> None:
    """Refuse levels closer than ``LEVEL_ATOL``: they would be matched as one level."""
    ordered = np.sort(levels)
    close = np.flatnonzero(np.diff(ordered) <= LEVEL_ATOL)
    if close.size:
        a, b = float(ordered[close[0]]), float(ordered[close[0] + 1])
        raise ValueError(
            f"{name} holds levels {a!r} and {b!r}, closer than {LEVEL_ATOL:g}: levels are "
            f"matched within that tolerance, so they would count as one level. Keep one of "
            f"them."
        )


def resolve_levels(
    coverage: float, quantiles: Any, *, paired: bool, calibration: str = "conformal"
) -> tuple[np.ndarray, int, int, int]:
    """Validated sorted levels and the column indices of (lower, median, upper).

    ``quantiles=None`` gives ``[(1 - c)/2, 0.5, 1 - (1 - c)/2]``. Otherwise the list must
    contain both interval ends and 0.5 (``predict`` is the median) and its levels must be
    at least ``LEVEL_ATOL`` apart; with ``paired=True`` (conformal or CV+ calibration)
    every level other than 0.5 needs its mirror level ``1 - tau``.
    """
    lower, upper = interval_levels(coverage)
    if quantiles is None:
        levels = np.array([lower, 0.5, upper])
    else:
        levels = np.sort(check_levels_param("quantiles", quantiles))
        check_distinct_levels("quantiles", levels)
    missing = [lvl for lvl in (lower, 0.5, upper) if contains(levels, lvl) is None]
    if missing:
        raise ValueError(
            f"quantiles={list(np.asarray(quantiles).tolist())!r} must contain the interval ends "
            f"{lower!r} and {upper!r} of coverage={coverage!r} and the median 0.5 (predict "
            f"returns it); missing: {missing!r}. Add them, or pass quantiles=None for "
            f"[{lower!r}, 0.5, {upper!r}]."
        )
    if paired:
        _, unpaired = central_pairs(levels, atol=LEVEL_ATOL)
        lonely = [float(levels[j]) for j in unpaired if abs(levels[j] - 0.5) > LEVEL_ATOL]
        if lonely:
            raise ValueError(
                f"calibration={calibration!r} calibrates central intervals [tau, 1 - tau], so "
                f"every level needs its mirror level; {lonely!r} have none in quantiles="
                f"{levels.tolist()!r}. Add {[round(1.0 - v, _DIGITS) for v in lonely]!r}, or "
                "pass calibration=None."
            )
    return (
        levels,
        contains(levels, lower),  # type: ignore[return-value]
        contains(levels, 0.5),  # type: ignore[return-value]
        contains(levels, upper),  # type: ignore[return-value]
    )
