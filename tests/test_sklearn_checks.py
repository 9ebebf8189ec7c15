"""scikit-learn's own estimator checks for BoostLossRegressor and BoostLossClassifier.

Each estimator runs on both backends with a representative loss: huber for the regressor;
for the classifier the binary-only focal loss (its tags declare multi_class=False, so the
checks verify that multiclass y is refused with "Only binary classification is
supported") and loss="auto" (logistic / softmax_cross_entropy / multilabel_logistic by
target, so the multiclass and multilabel checks run too). Small models keep this fast.
"""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from boostloss.sklearn import BoostLossClassifier, BoostLossRegressor

FAST = dict(n_estimators=20, learning_rate=0.3, n_jobs=1, random_state=0)

ESTIMATORS = [
    BoostLossRegressor(loss="huber", backend="xgboost", **FAST),
    BoostLossRegressor(loss="huber", backend="lightgbm", **FAST),
    BoostLossClassifier(loss="focal", backend="xgboost", **FAST),
    BoostLossClassifier(loss="focal", backend="lightgbm", **FAST),
    BoostLossClassifier(loss="auto", backend="xgboost", **FAST),
    BoostLossClassifier(loss="auto", backend="lightgbm", **FAST),
]


_FLOAT32_ULP = (
    "XGBoost sums gradient statistics and margins in float32: a weight of 2 and a repeated "
    "row give the same trees, but leaf values and margins may differ in the last float32 "
    "bit (measured: up to 6e-8 absolute, 5e-7 relative), while this check demands "
    "rtol=1e-7. tests/test_sklearn.py checks weights-as-dropping at float32 tolerance."
)


def expected_failed_checks(estimator) -> dict[str, str]:
    """Checks that fail for a documented reason, per estimator (non-strict xfail)."""
    if isinstance(estimator, BoostLossClassifier) and estimator.backend == "xgboost":
        return {
            "check_sample_weight_equivalence_on_dense_data": _FLOAT32_ULP,
            "check_sample_weight_equivalence_on_sparse_data": _FLOAT32_ULP,
        }
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_every_estimator_is_checked_on_both_backends():
    seen = {(type(e).__name__, e.backend) for e in ESTIMATORS}
    assert seen == {(cls.__name__, backend) for cls in (BoostLossRegressor, BoostLossClassifier)
                    for backend in ("xgboost", "lightgbm")}
    with pytest.raises(ValueError, match="backend must be one of"):
        BoostLossRegressor(backend="catboost").fit([[0.0], [1.0]], [0.0, 1.0])
