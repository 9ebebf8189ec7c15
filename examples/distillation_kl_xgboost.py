"""Knowledge distillation into boosted trees: kl_divergence on a teacher's probabilities.

Data: the shipped ``digits`` set (1797 8x8 images, 10 classes; see datasets/README.md).
A stratified 30% is held out for testing. Of the rest, only 300 rows keep their labels;
the other ~950 are an unlabelled transfer set, as in distillation, where a teacher labels
data that no human did.

- teacher: scikit-learn's logistic regression on standardised pixels, fitted on the 300
  labelled rows.
- ``hard labels (300 labelled rows)``: boosting with ``softmax_cross_entropy`` on the true
  labels it has, which is all a student without a teacher can use.
- ``teacher's argmax (all rows)``: the teacher's predicted class on every training row as a
  hard label (pseudo-labelling).
- ``kl_divergence (all rows)``: the teacher's whole probability vector as the target,
  through XGBoost (y of shape (n, 10); boostloss sets ``num_target``).

Held-out accuracy and log loss use the true test labels; "agrees" is the share of test
rows where the student predicts the teacher's class.

Run: ``python examples/distillation_kl_xgboost.py [--quick]``.
"""

from __future__ import annotations

import argparse

import numpy as np
import xgboost as xgb
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import boostloss as bl
from boostloss.datasets import load_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds; a few seconds")
    args = parser.parse_args()
    rounds, eta = (80, 0.3) if args.quick else (200, 0.2)

    X, y = load_dataset("digits", as_frame=False)
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    X_labelled, X_unlabelled, y_labelled, _ = train_test_split(
        X_rest, y_rest, train_size=300, stratify=y_rest, random_state=0
    )
    teacher = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000))
    teacher.fit(X_labelled, y_labelled)
    teacher_test = teacher.predict_proba(X_test)

    X_all = np.vstack([X_labelled, X_unlabelled])
    soft = teacher.predict_proba(X_all)  # rows on the simplex: the distillation targets
    students = [
        ("hard labels (300 labelled rows)", "softmax_cross_entropy", X_labelled, y_labelled),
        ("teacher's argmax (all rows)", "softmax_cross_entropy", X_all, soft.argmax(axis=1)),
        ("kl_divergence (all rows)", "kl_divergence", X_all, soft),
    ]
    params = {"nthread": 1, "tree_method": "hist", "max_depth": 3, "eta": eta, "seed": 0}

    print(f"digits: {len(y_labelled)} labelled + {len(X_unlabelled)} unlabelled training rows, "
          f"{len(y_test)} test rows; {rounds} rounds, depth 3")
    print(f"{'model':34s} {'accuracy':>9s} {'log loss':>9s} {'agrees':>7s}")
    print(f"{'teacher (logistic regression)':34s} {accuracy_score(y_test, teacher_test.argmax(1)):9.4f} "
          f"{log_loss(y_test, teacher_test):9.4f} {1.0:7.4f}")
    results = {}
    for name, loss, X_train, target in students:
        model = bl.xgboost.train(params, xgb.DMatrix(X_train, label=target), rounds, loss=loss)
        proba = bl.xgboost.predict(model, X_test)
        predicted = proba.argmax(axis=1)
        results[name] = accuracy_score(y_test, predicted)
        agrees = np.mean(predicted == teacher_test.argmax(axis=1))
        print(f"{name:34s} {results[name]:9.4f} {log_loss(y_test, proba):9.4f} {agrees:7.4f}")
    gain = results["kl_divergence (all rows)"] - results["hard labels (300 labelled rows)"]
    print(f"distillation adds {100 * gain:.1f} points of held-out accuracy over the hard labels")


if __name__ == "__main__":
    main()
