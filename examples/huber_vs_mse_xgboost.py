"""Huber vs squared error on data with gross outliers, with plain ``xgb.train(obj=...)``.

The training data come from ``boostloss.datasets.make_regression_outliers``: a linear
signal, Student-t noise, and 5% of the rows shifted by 5 to 10 signal standard deviations.
The test data are drawn from the same signal without outliers (Gaussian noise), so the
test RMSE measures how well each loss recovered the signal itself.

What the boostloss adapter does for a plain ``xgb.train`` user:

- ``bl.xgboost.objective(...)`` returns ``(grad, hess)`` with grad = d loss / d raw (the
  engine's sign), a positive Hessian (Huber's is 0 outside |e| <= delta: boostloss uses
  a documented floor) and the DMatrix weights multiplied in (``xgb.train(obj=...)``
  ignores them otherwise);
- ``bl.xgboost.metric(...)`` evaluates the same loss for ``custom_metric=``;
- ``bl.xgboost.init_score(...)`` is the best constant (the weighted mean for squared
  error, the Huber M-estimate for Huber). With a custom objective XGBoost does not
  estimate ``base_score`` and starts from 0.5 (a margin); we pass the init score instead.

Run: ``python examples/huber_vs_mse_xgboost.py [--quick]`` (``--quick``: smaller data, fewer
rounds; a few seconds).
"""

from __future__ import annotations

import argparse
import time

import xgboost as xgb

import boostloss as bl
from boostloss.datasets import make_regression_outliers


def train_with_loss(loss: bl.Loss, params: dict, dtrain: xgb.DMatrix, dvalid: xgb.DMatrix,
                    rounds: int) -> tuple[xgb.Booster, float]:
    """Plain xgb.train with a boostloss objective, metric and init score."""
    start = time.perf_counter()
    booster = xgb.train(
        # The init-score line: start every tree from the loss's best constant (a margin).
        {**params, "base_score": bl.xgboost.init_score(loss, dtrain)},
        dtrain,
        num_boost_round=rounds,
        obj=bl.xgboost.objective(loss),
        custom_metric=bl.xgboost.metric(loss),
        evals=[(dvalid, "valid")],
        verbose_eval=False,
    )
    return booster, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small data and few rounds")
    args = parser.parse_args()
    n_train, rounds = (4_000, 60) if args.quick else (40_000, 300)

    X_train, y_train = make_regression_outliers(n_train, n_features=10, outlier_fraction=0.05,
                                                random_state=0)
    X_test, y_test = make_regression_outliers(n_train // 2, n_features=10, outlier_fraction=0.0,
                                              noise="gaussian", random_state=1)
    dtrain = xgb.DMatrix(X_train, label=y_train)
    dtest = xgb.DMatrix(X_test, label=y_test)
    params = {"eta": 0.1, "max_depth": 4, "disable_default_eval_metric": 1}

    rows = []
    for loss in [bl.get_loss("squared_error"), bl.get_loss("huber", delta=1.0)]:
        booster, seconds = train_with_loss(loss, params, dtrain, dtest, rounds)
        # Identity link: the margin (base_score + trees) is the prediction.
        prediction = booster.predict(dtest, output_margin=True)
        rows.append((
            repr(loss),
            float(bl.xgboost.init_score(loss, dtrain)),
            bl.metrics.rmse(y_test, prediction),
            bl.metrics.mae(y_test, prediction),
            bl.metrics.mean_bias_error(y_test, prediction),
            seconds,
        ))

    print(f"{n_train} training rows (5% gross outliers), {len(y_test)} clean test rows, "
          f"{rounds} rounds")
    header = f"{'loss':<36}{'init score':>12}{'test RMSE':>12}{'test MAE':>12}{'bias':>10}{'fit s':>8}"
    print(header)
    print("-" * len(header))
    for name, init, rmse, mae, bias, seconds in rows:
        print(f"{name:<36}{init:>12.4f}{rmse:>12.4f}{mae:>12.4f}{bias:>10.4f}{seconds:>8.2f}")
    noise_floor = 0.5  # the clean test noise is 0.5 * N(0, 1)
    print(f"(the best possible test RMSE is the test noise, {noise_floor})")
    improvement = 1 - rows[1][2] / rows[0][2]
    print(f"huber lowers the test RMSE by {improvement:.0%} relative to squared error")


if __name__ == "__main__":
    main()
