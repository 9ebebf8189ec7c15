"""CV+ calibration of quantile intervals (pure numpy, no engine).

Every row is used for fitting and every row calibrates, out of fold (Barber, Candes, Ramdas
& Tibshirani, 2021, "Predictive inference with the jackknife+", Ann. Statist. 49(1), with
the CQR scores of Romano, Patterson & Candes, 2019).

The rows are cut into ``K`` folds; fold ``k``'s quantile models ``lo_{-k}, hi_{-k}`` are fit
on the other folds. Row ``i`` in fold ``k(i)`` gets the out-of-fold score ``E_i`` on each
stream (see ``_conformal.stream_scores``: symmetric ``max(lo - y, y - hi)``, or one score
per bound). For a new ``x`` and a stream with miscoverage ``a`` (``alpha``, or ``alpha / 2``
per bound when asymmetric) and ``r = floor(a (n + 1))``::

    lower(x) = the r-th smallest of  { lo_{-k(i)}(x) - E_i : i = 1..n }
    upper(x) = the r-th largest  of  { hi_{-k(i)}(x) + E_i : i = 1..n }

(``r``-th largest = ``ceil((1 - a)(n + 1))``-th smallest). ``r >= 1`` needs
``n >= ceil((1 - a) / a)``, the same count as split conformal, but here all ``n`` rows count.

Guarantee (their Theorem 4, K-fold CV+; the proof only compares each row's out-of-fold
score with the new row's score under the same fold's model, so it holds for CQR scores as
for residuals): for exchangeable rows, ``P(y in [lower(x), upper(x)]) >= 1 - 2 alpha -
min(2 (1 - 1/K) / (n/K + 1), (1 - K/n) / (K + 1))``. That is the worst case; in practice
coverage is close to ``1 - alpha`` (their Section 6 and our benchmark), and the intervals
are narrower than split conformal's because the models see ``(K - 1)/K`` of the rows
instead of ``1 - calibration_fraction`` and the quantile uses all ``n`` scores.
"""

from __future__ import annotations

import numpy as np

from ._conformal import _rank

__all__ = ["cv_plus_rank", "cv_plus_bounds", "fold_ids"]

_CHUNK_ELEMENTS = 1 << 22  # rows x scores per block of the (n_test, n) matrix


def fold_ids(n_samples: int, cv, X, y, *, shuffle: bool, rng) -> np.ndarray:
    """Fold number of every row, shape (n,).

    ``cv`` an integer ``K >= 2``: ``K`` folds of (near) equal size, random with ``rng`` when
    ``shuffle``, else contiguous blocks in row order. A splitter (an object with ``split``)
    or an iterable of ``(train, test)`` index pairs: fold ``k`` is test part ``k``, and the
    test parts must cover every row exactly once.
    """
    if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):
        if not 2 <= cv <= n_samples // 2:
            raise ValueError(
                f"cv={cv!r} folds: calibration='cv+' needs 2 <= cv <= n_samples // 2 "
                f"({n_samples // 2} here, 2 rows per fold at least). Use fewer folds or more "
                "rows."
            )
        folds = np.arange(n_samples) * int(cv) // n_samples
        return rng.permutation(folds) if shuffle else folds
    try:
        if isinstance(cv, (str, bytes)):
            raise TypeError("a string")
        splits = cv.split(X, y) if hasattr(cv, "split") else cv
        tests = [np.asarray(test).reshape(-1) for _, test in splits]
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"cv must be an integer >= 2, a splitter with split(X, y) or an iterable of "
            f"(train, test) index pairs, got {type(cv).__name__} ({error})."
        ) from None
    folds = np.full(n_samples, -1)
    for k, test in enumerate(tests):
        if test.dtype == bool:
            test = np.flatnonzero(test)
        if not np.issubdtype(test.dtype, np.integer) or np.any((test < 0) | (test >= n_samples)) \
                or np.any(folds[test] >= 0):
            break
        folds[test] = k
    if len(tests) < 2 or np.any(folds < 0) or np.unique(folds).size != len(tests):
        raise ValueError(
            f"cv must give at least 2 (train, test) splits whose test parts cover each of the "
            f"{n_samples} rows exactly once (as KFold does); got {len(tests)} splits that do "
            "not. Pass an integer number of folds instead."
        )
    return folds


def cv_plus_rank(n_samples: int, alpha: float) -> int:
    """``r = floor(alpha (n + 1))`` computed as ``n + 1 - ceil((1 - alpha)(n + 1))`` (the
    same float guard as split conformal); 0 means too few rows."""
    return n_samples + 1 - _rank(n_samples, alpha)


def _kth_smallest(values: np.ndarray, rank: int) -> np.ndarray:
    return np.partition(values, rank - 1, axis=1)[:, rank - 1]


def cv_plus_bounds(
    lower_by_fold: np.ndarray,
    upper_by_fold: np.ndarray,
    folds: np.ndarray,
    lower_scores: np.ndarray,
    upper_scores: np.ndarray,
    lower_rank: int,
    upper_rank: int,
) -> tuple[np.ndarray, np.ndarray]:
    """CV+ bounds of one central pair for ``n_test`` new rows.

    ``lower_by_fold``/``upper_by_fold``: (K, n_test) fold models' sorted raw bounds;
    ``folds``: (n,) fold of each calibration row; ``lower_scores``/``upper_scores``: (n,)
    out-of-fold scores used for the lower/upper bound (the same array when symmetric);
    ``*_rank``: ``r`` of each bound (``cv_plus_rank``). Returns (lower, upper), (n_test,).
    """
    n_test, n = lower_by_fold.shape[1], folds.size
    lower, upper = np.empty(n_test), np.empty(n_test)
    step = max(1, _CHUNK_ELEMENTS // max(n, 1))
    for start in range(0, n_test, step):
        rows = slice(start, start + step)
        # (rows, n): the fold model of calibration row i evaluated at each new row
        lower[rows] = _kth_smallest(lower_by_fold[folds, rows].T - lower_scores, lower_rank)
        upper[rows] = -_kth_smallest(-upper_by_fold[folds, rows].T - upper_scores, upper_rank)
    return lower, upper
