"""scikit-learn's estimator checks for the drop-in estimators, as far as the engines' own
classes pass them.

Run on xgboost 3.2 / lightgbm 4.7 / scikit-learn 1.9, the parents fail these checks (listed for
the record; the drop-ins pass every one of them unless named in ``expected_failed_checks``):

- xgboost.XGBRegressor: check_all_zero_sample_weights_error (XGBoost's own error message),
  check_regressor_multioutput (float32 predictions).
- xgboost.XGBClassifier: 15 checks, mostly "Invalid classes inferred from unique values of y"
  (it takes only labels 0..k-1) and the objective parameter changed during fit; the drop-in
  encodes labels itself and passes them all.
- lightgbm.LGBMRegressor / LGBMClassifier: check_all_zero_sample_weights_error (LightGBM
  accepts all-zero weights on purpose), check_sample_weight_equivalence_on_dense_data /
  _on_sparse_data (see ``_LIGHTGBM_WEIGHTS``), and check_no_attributes_set_in_init when
  ``verbose`` is passed (LightGBM keeps unknown keyword parameters as attributes).

The LightGBM estimators are checked with min_child_samples=1: with LightGBM's default of 20,
Dataset construction drops every feature of the checks' 20-30 row data sets, where LightGBM
4.7 trains its native objectives to a constant but aborts any custom objective (the drop-in
turns that into a ValueError naming min_child_samples).
"""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from boostloss.lightgbm import LGBMClassifier, LGBMRegressor
from boostloss.xgboost import XGBClassifier, XGBRegressor

XGB_FAST = dict(n_estimators=10, learning_rate=0.3, n_jobs=1, random_state=0)
LGBM_FAST = dict(n_estimators=10, learning_rate=0.3, n_jobs=1, random_state=0,
                 min_child_samples=1)

ESTIMATORS = [
    XGBRegressor(loss="huber", **XGB_FAST),
    XGBClassifier(**XGB_FAST),                    # logistic / softmax / multilabel by target
    XGBClassifier(loss="focal", **XGB_FAST),      # binary only
    LGBMRegressor(loss="huber", **LGBM_FAST),
    LGBMClassifier(**LGBM_FAST),                  # multilabel too (one booster per label)
    LGBMClassifier(loss="squared_hinge", **LGBM_FAST),  # binary margin loss: no predict_proba
]

_LIGHTGBM_WEIGHTS = (
    "LightGBM itself (lightgbm 4.7, also its native objectives) does not treat a weight of 2 "
    "as a duplicated row: Dataset construction bins and pre-filters features by row counts "
    "and leaves estimate row counts from Hessian sums. lightgbm's own LGBMModel tags mark "
    "this check as an expected failure; tests/test_dropin.py checks that the drop-in weights "
    "rows exactly as LightGBM's native objective does."
)


_FLOAT32_ULP = (
    "XGBoost sums gradient statistics and margins in float32: a weight of 2 and a repeated "
    "row give the same trees, but margins may differ in the last float32 bit (measured: "
    "6e-8 absolute, 1.3e-7 relative) where this check demands rtol=1e-7; xgboost's own "
    "XGBClassifier fails it too. tests/test_dropin.py checks it at float32 tolerance."
)


def expected_failed_checks(estimator) -> dict[str, str]:
    if isinstance(estimator, XGBClassifier) and estimator.loss == "focal":
        return {"check_sample_weight_equivalence_on_dense_data": _FLOAT32_ULP,
                "check_sample_weight_equivalence_on_sparse_data": _FLOAT32_ULP}
    if isinstance(estimator, (LGBMRegressor, LGBMClassifier)):
        return {"check_sample_weight_equivalence_on_dense_data": _LIGHTGBM_WEIGHTS,
                "check_sample_weight_equivalence_on_sparse_data": _LIGHTGBM_WEIGHTS}
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_dropin(estimator, check):
    check(estimator)
