"""scikit-learn version shims used by ``boostloss.sklearn`` (supported: scikit-learn >= 1.3).

- ``validate_data``: the public helper of scikit-learn >= 1.6 (it sets ``n_features_in_`` and
  ``feature_names_in_``); older versions use the estimator's ``_validate_data`` method,
  which does the same, and call the finiteness switch ``force_all_finite``.
- Estimator tags: scikit-learn >= 1.6 reads ``__sklearn_tags__`` (a dataclass), older
  versions read ``_more_tags`` (a dict). The estimators define both; each version only
  looks at its own.
"""

from __future__ import annotations

from typing import Any

import sklearn

__all__ = ["SKLEARN_VERSION", "HAS_TAGS_API", "validate_data"]


def _version_tuple(text: str) -> tuple[int, int]:
    parts = text.split(".")
    numbers = []
    for part in parts[:2]:
        digits = "".join(ch for ch in part if ch.isdigit())
        numbers.append(int(digits) if digits else 0)
    return numbers[0], numbers[1]


SKLEARN_VERSION = _version_tuple(sklearn.__version__)
HAS_TAGS_API = SKLEARN_VERSION >= (1, 6)

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # pragma: no cover - exercised only with scikit-learn < 1.6
    _validate_data = None


def validate_data(estimator: Any, /, X="no_validation", y="no_validation", **check_params):
    """``sklearn.utils.validation.validate_data`` on any supported scikit-learn version."""
    if _validate_data is not None:
        return _validate_data(estimator, X, y, **check_params)
    # pragma: no cover - scikit-learn < 1.6
    if "ensure_all_finite" in check_params:
        check_params["force_all_finite"] = check_params.pop("ensure_all_finite")
    return estimator._validate_data(X, y, **check_params)
