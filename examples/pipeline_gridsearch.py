"""Choosing a loss like any other hyper-parameter: Pipeline + GridSearchCV.

``BoostLossRegressor`` is a regular scikit-learn estimator, so the loss and its parameters
can be searched over with ``GridSearchCV`` inside a ``Pipeline``. Data: the shipped
``diabetes`` set (442 patients, 10 baseline variables, disease progression one year later).
The grid holds squared error, absolute error and Huber / pseudo-Huber with two transition
points (``delta`` is in the target's units; the target's standard deviation is about 77).
The search scores by mean absolute error; the table lists every candidate and the best one
is refit and scored on a held-out test set.

Run: ``python examples/pipeline_gridsearch.py [--quick]``.
"""

from __future__ import annotations

import argparse

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV, KFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

import boostloss as bl
from boostloss.datasets import load_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller grid, fewer rounds")
    args = parser.parse_args()

    X, y = load_dataset("diabetes")  # pandas DataFrame and Series
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

    # "sex" is coded 1/2: one-hot encode it, pass the other columns through.
    pipeline = Pipeline([
        ("columns", ColumnTransformer([("sex", OneHotEncoder(drop="first"), ["sex"])],
                                      remainder="passthrough", verbose_feature_names_out=False)),
        ("model", bl.BoostLossRegressor(backend="lightgbm", n_estimators=20 if args.quick else 150,
                                        learning_rate=0.05, num_leaves=7, random_state=0,
                                        n_jobs=1)),
    ])
    deltas = [40.0] if args.quick else [20.0, 60.0]
    param_grid = [
        {"model__loss": ["squared_error", "absolute_error"]},
        {"model__loss": ["huber", "pseudo_huber"],
         "model__loss_params": [{"delta": d} for d in deltas]},
    ]
    search = GridSearchCV(
        pipeline, param_grid, scoring="neg_mean_absolute_error",
        cv=KFold(3 if args.quick else 5, shuffle=True, random_state=0), n_jobs=1,
    )
    search.fit(X_train, y_train)

    results = pd.DataFrame(search.cv_results_)
    table = pd.DataFrame({
        "loss": results["param_model__loss"],
        "loss_params": results["param_model__loss_params"].map(
            lambda p: "" if not isinstance(p, dict) else ", ".join(f"{k}={v:g}" for k, v in p.items())
        ),
        "CV MAE": -results["mean_test_score"],
        "+/- std": results["std_test_score"],
        "rank": results["rank_test_score"],
    }).sort_values("rank")
    print(f"diabetes: {len(y_train)} training rows, {search.n_splits_}-fold CV, "
          f"{len(table)} candidates")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    best = search.best_estimator_.named_steps["model"]
    prediction = search.predict(X_test)
    print(f"best: loss={best.loss!r} loss_params={best.loss_params}; held-out MAE "
          f"{bl.metrics.mae(y_test, prediction):.2f}, RMSE {bl.metrics.rmse(y_test, prediction):.2f} "
          f"on {len(y_test)} rows")


if __name__ == "__main__":
    main()
