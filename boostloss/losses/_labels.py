"""Label-domain checks used by the losses' ``_check_labels``.

Each returns labels in the loss's internal form (e.g. {-1, +1} becomes {0, 1}) or raises
ValueError naming the loss, what was found and what is valid.
"""

from __future__ import annotations

import numpy as np

from .._validation import MAX_CLASSES

__all__ = [
    "binary_labels",
    "class_labels",
    "distribution_labels",
    "nonnegative_labels",
    "positive_labels",
    "probability_labels",
]


def _examples(values: np.ndarray, limit: int = 5) -> str:
    shown = np.unique(values)[:limit]
    return ", ".join(repr(float(v)) for v in shown)


def binary_labels(loss_name: str, y: np.ndarray) -> np.ndarray:
    """Accept labels all in {0, 1} or all in {-1, +1}; return float64 {0, 1}.

    Fractional labels (0.3) and mixed encodings ({-1, 0, 1}) are rejected: they have no
    single meaning (use label_smoothing for soft targets).
    """
    is_01 = (y == 0) | (y == 1)
    if np.all(is_01):
        return y
    is_pm1 = (y == -1) | (y == 1)
    if np.all(is_pm1):
        return (y + 1.0) * 0.5
    bad = y[~(is_01 | is_pm1)]
    hint = (
        "Labels mix the {0, 1} and {-1, +1} encodings."
        if bad.size == 0
        else f"Found {bad.size} labels outside both (e.g. {_examples(bad)})."
    )
    raise ValueError(
        f"{loss_name}: labels must be all in {{0, 1}} or all in {{-1, +1}}. {hint} "
        "For probability targets use logistic(soft_labels=True) or kl_divergence."
    )


def class_labels(loss_name: str, y: np.ndarray, n_classes: int | None) -> np.ndarray:
    """Accept integer-valued labels in 0..k-1; return them as int64.

    Labels index k-column arrays, so the largest label is checked against ``MAX_CLASSES``
    before anything of size k is allocated (an id in the label column, 1e9, would otherwise
    ask for n * 1e9 floats).
    """
    largest = float(y.max()) if y.size else 0.0
    if largest >= MAX_CLASSES:
        raise ValueError(
            f"{loss_name}: label {largest:.17g} would mean at least {largest + 1:.3g} classes, "
            f"more than the {MAX_CLASSES:,} a multiclass loss supports. Class labels are "
            "indices 0..k-1: encode them with sklearn.preprocessing.LabelEncoder (an id column "
            "is not a label)."
        )
    as_int = y.astype(np.int64)
    if not np.all(as_int == y):
        bad = y[as_int != y]
        raise ValueError(
            f"{loss_name}: class labels must be integers 0..k-1, got non-integer values "
            f"(e.g. {_examples(bad)}). Encode classes with sklearn.preprocessing.LabelEncoder."
        )
    if as_int.size and as_int.min() < 0:
        raise ValueError(
            f"{loss_name}: class labels must be integers 0..k-1, got negative labels "
            f"(e.g. {_examples(y[as_int < 0])})."
        )
    if n_classes is not None and as_int.size and as_int.max() >= n_classes:
        raise ValueError(
            f"{loss_name}: label {int(as_int.max())} is out of range for {n_classes} classes "
            f"(valid labels are 0..{n_classes - 1})."
        )
    return as_int


def nonnegative_labels(loss_name: str, y: np.ndarray) -> np.ndarray:
    if np.any(y < 0):
        raise ValueError(
            f"{loss_name}: labels must be >= 0 (counts or non-negative amounts), got "
            f"{np.count_nonzero(y < 0)} negative values (e.g. {_examples(y[y < 0])})."
        )
    return y


def positive_labels(loss_name: str, y: np.ndarray) -> np.ndarray:
    if np.any(y <= 0):
        raise ValueError(
            f"{loss_name}: labels must be > 0, got {np.count_nonzero(y <= 0)} values <= 0 "
            f"(e.g. {_examples(y[y <= 0])}). Use 'tweedie' for data with exact zeros."
        )
    return y


# Rows of a probability target may miss the simplex by rounding (e.g. CSV values, float32).
SIMPLEX_TOLERANCE = 1e-6


def probability_labels(loss_name: str, y: np.ndarray) -> np.ndarray:
    """Accept targets in [0, 1] (probabilities of the positive class); return them as is."""
    outside = (y < 0) | (y > 1)
    if np.any(outside):
        raise ValueError(
            f"{loss_name}: probability targets must lie in [0, 1], got {np.count_nonzero(outside)} "
            f"values outside (e.g. {_examples(y[outside])}). Rescale them or, for {{-1, +1}} "
            "labels, map them with (y + 1) / 2."
        )
    return y


def distribution_labels(loss_name: str, y: np.ndarray) -> np.ndarray:
    """Accept (n, k) targets whose rows are distributions (entries >= 0, rows summing to 1).

    Rows off the simplex by more than ``SIMPLEX_TOLERANCE`` are an error (nothing is
    renormalised silently); the rows are returned as given.
    """
    if y.shape[1] < 2:
        raise ValueError(
            f"{loss_name}: probability targets need at least 2 columns (classes), got "
            f"{y.shape[1]}. For one probability per row pass a 1-D y."
        )
    if np.any(y < 0) or np.any(y > 1):
        bad = y[(y < 0) | (y > 1)]
        raise ValueError(
            f"{loss_name}: probability targets must lie in [0, 1], got values outside "
            f"(e.g. {_examples(bad)})."
        )
    totals = y.sum(axis=1)
    off = np.abs(totals - 1.0) > SIMPLEX_TOLERANCE * y.shape[1]
    if np.any(off):
        first = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"{loss_name}: every row of the probability targets must sum to 1, but "
            f"{np.count_nonzero(off)} rows do not (row {first} sums to {float(totals[first])!r}). "
            "Normalise them with y / y.sum(axis=1, keepdims=True)."
        )
    return y
