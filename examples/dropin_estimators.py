"""Kaggle-style models both ways: the engines' own scikit-learn classes, and boostloss's
drop-in classes after changing one import line.

1. Doctor visits (RAND Health Insurance Experiment, counts, mean 2.9) with XGBoost:
   ``xgboost.XGBRegressor`` with the native ``count:poisson`` objective, the same class with
   the boostloss Poisson objective passed the "custom objective" way (it then predicts the
   log of the mean: XGBoost does not know the link of a custom objective), and
   ``boostloss.xgboost.XGBRegressor(loss="poisson")``, which predicts the mean.
2. Poor health (1.5% positives) with LightGBM: ``lightgbm.LGBMClassifier`` (native binary
   log loss) and ``boostloss.lightgbm.LGBMClassifier(loss="focal")``, both early-stopped with
   ``lgb.early_stopping`` on a validation set; the drop-in watches the focal metric.

Run: ``python examples/dropin_estimators.py [--quick]`` (``--quick``: 5,000 rows, fewer
rounds; a few seconds).
"""

from __future__ import annotations

import argparse

import lightgbm as lgb
import numpy as np
import xgboost as xgb
from sklearn.metrics import log_loss, mean_poisson_deviance, roc_auc_score
from sklearn.model_selection import train_test_split

import boostloss as bl
from boostloss.lightgbm import LGBMClassifier  # the one-line change (was: from lightgbm ...)
from boostloss.xgboost import XGBRegressor  # the one-line change (was: from xgboost ...)


def doctor_visits(rows: int | None, rounds: int) -> None:
    X, y = bl.datasets.load_dataset("rand_hie")
    if rows is not None:
        X, y = X.iloc[:rows], y.iloc[:rows]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    common = dict(n_estimators=rounds, learning_rate=0.05, max_depth=4, n_jobs=1)

    native = xgb.XGBRegressor(objective="count:poisson", **common).fit(X_train, y_train)
    custom = xgb.XGBRegressor(objective=bl.xgboost.sklearn_objective("poisson"),
                              **common).fit(X_train, y_train)
    dropin = XGBRegressor(loss="poisson", **common).fit(X_train, y_train)

    print(f"doctor visits: {len(y_train)} training rows, test mean {y_test.mean():.3f}")
    print(f"{'model':<58} {'mean prediction':>15} {'Poisson deviance':>17}")
    for name, model in [("xgboost.XGBRegressor(objective='count:poisson')", native),
                        ("xgboost.XGBRegressor(objective=sklearn_objective('poisson'))",
                         custom),
                        ("boostloss.xgboost.XGBRegressor(loss='poisson')", dropin)]:
        prediction = model.predict(X_test)
        deviance = (mean_poisson_deviance(y_test, prediction) if prediction.min() > 0
                    else float("nan"))
        print(f"{name:<58} {prediction.mean():>15.3f} {deviance:>17.4f}")
    print("  the custom-objective model predicts log(mean) (its deviance is undefined where "
          "that is <= 0);\n  the drop-in predicts the mean, as native count:poisson does\n")


def poor_health(rows: int | None, rounds: int) -> None:
    X, y = bl.datasets.load_dataset("rand_hie_poor_health")
    if rows is not None:
        X, y = X.iloc[:rows], y.iloc[:rows]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                        random_state=0)
    X_fit, X_valid, y_fit, y_valid = train_test_split(X_train, y_train, test_size=0.25,
                                                      stratify=y_train, random_state=0)
    common = dict(n_estimators=rounds, learning_rate=0.05, num_leaves=15, n_jobs=1,
                  verbose=-1)
    stop = [lgb.early_stopping(50, verbose=False)]

    native = lgb.LGBMClassifier(**common)
    native.fit(X_fit, y_fit, eval_X=X_valid, eval_y=y_valid, callbacks=stop)
    dropin = LGBMClassifier(loss="focal", loss_params={"gamma": 1.0, "alpha": None}, **common)
    dropin.fit(X_fit, y_fit, eval_X=X_valid, eval_y=y_valid, callbacks=stop)

    print(f"poor health: {len(y_fit)} training rows, {y_fit.mean():.2%} positive")
    print(f"{'model':<58} {'best round':>10} {'log loss':>9} {'ROC AUC':>8}")
    for name, model in [("lightgbm.LGBMClassifier()", native),
                        ("boostloss.lightgbm.LGBMClassifier(loss='focal')", dropin)]:
        proba = model.predict_proba(X_test)
        print(f"{name:<58} {model.best_iteration_:>10d} {log_loss(y_test, proba):>9.4f} "
              f"{roc_auc_score(y_test, proba[:, 1]):>8.4f}")
    proba = dropin.predict_proba(X_test)
    print(f"  drop-in predict_proba: shape {proba.shape}, rows sum to 1: "
          f"{bool(np.allclose(proba.sum(axis=1), 1.0))}; early stopping watched "
          f"{list(dropin.evals_result_['valid_0'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 rows, fewer rounds")
    args = parser.parse_args()
    rows, rounds = (5_000, 100) if args.quick else (None, 400)
    doctor_visits(rows, rounds)
    poor_health(rows, 2 * rounds)


if __name__ == "__main__":
    main()
