"""Focal loss vs logistic loss on a rare positive class, with LightGBM.

Data: the shipped ``rand_hie_poor_health`` set (RAND Health Insurance Experiment: 20190
person-years, 1.5% report poor health; see datasets/README.md). A stratified 70/30 split;
every model trains on the same rows and is scored on the same held-out rows.

Rows of the table:

- ``lightgbm binary (native)``: LightGBM's own objective, as a reference.
- ``logistic``: boostloss's logistic loss through ``bl.lightgbm.train``; it starts from the
  init score (the logit of the prevalence) as native ``binary`` does, so it should match
  the native row closely.
- ``logistic(pos_weight=...)``: weighted cross-entropy, positives up-weighted by the
  negative/positive ratio.
- ``focal(...)``: the focal loss (torchvision's ``sigmoid_focal_loss``), here with plain
  ``lgb.train(params={"objective": bl.lightgbm.objective(...)}, feval=bl.lightgbm.metric(...))``
  and the init score set on the Dataset by hand, to show the raw adapter API.

Focal and weighted losses change what the model ranks on, and they de-calibrate the
probabilities on purpose: compare ROC AUC and average precision for ranking, log loss and
Brier score for calibration.

Run: ``python examples/focal_vs_logistic_lightgbm.py [--quick]``.
"""

from __future__ import annotations

import argparse
import time

import lightgbm as lgb
import numpy as np
from scipy.special import expit
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

import boostloss as bl
from boostloss.datasets import load_dataset


def scores(y_true: np.ndarray, probability: np.ndarray) -> tuple[float, float, float, float]:
    return (
        roc_auc_score(y_true, probability),
        average_precision_score(y_true, probability),
        log_loss(y_true, probability),
        brier_score_loss(y_true, probability),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds; a few seconds")
    args = parser.parse_args()
    rounds = 40 if args.quick else 300

    X, y = load_dataset("rand_hie_poor_health", as_frame=False)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    params = {"learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 40,
              "verbose": -1, "seed": 0}
    ratio = float((y_train == 0).sum() / (y_train == 1).sum())
    rows = []

    # Native reference.
    start = time.perf_counter()
    native = lgb.train({**params, "objective": "binary"}, lgb.Dataset(X_train, y_train), rounds)
    rows.append(("lightgbm binary (native)", time.perf_counter() - start,
                 native.predict(X_test)))

    # boostloss losses through the training helper (init score, metric, predict with the link).
    for name, loss in [("logistic", bl.get_loss("logistic")),
                       (f"logistic(pos_weight={ratio:.0f})", bl.get_loss("logistic", pos_weight=ratio))]:
        start = time.perf_counter()
        model = bl.lightgbm.train(params, lgb.Dataset(X_train, y_train), rounds, loss=loss)
        rows.append((name, time.perf_counter() - start,
                     bl.lightgbm.predict(model, X_test)))

    # The focal loss with the plain LightGBM API: objective and metric callables, init score by hand.
    focal = bl.get_loss("focal", gamma=2.0, alpha=0.25)
    start = time.perf_counter()
    train_set = lgb.Dataset(X_train, y_train,
                            init_score=np.full(len(y_train), bl.lightgbm.init_score(focal, y_train)))
    booster = lgb.train({**params, "objective": bl.lightgbm.objective(focal)}, train_set, rounds,
                        feval=bl.lightgbm.metric(focal))
    # LightGBM's predict gives the raw score without the init score: add it, then the link.
    raw = booster.predict(X_test, raw_score=True) + bl.lightgbm.init_score(focal, y_train)
    rows.append(("focal(gamma=2, alpha=0.25)", time.perf_counter() - start, expit(raw)))

    print(f"rand_hie_poor_health: {len(y_train)} training rows, {len(y_test)} test rows, "
          f"positive rate {y.mean():.4f}, {rounds} rounds")
    header = (f"{'loss':<30}{'ROC AUC':>9}{'avg prec':>10}{'log loss':>10}{'Brier':>9}"
              f"{'fit s':>8}")
    print(header)
    print("-" * len(header))
    for name, seconds, probability in rows:
        auc, ap, ll, brier = scores(y_test, probability)
        print(f"{name:<30}{auc:>9.4f}{ap:>10.4f}{ll:>10.4f}{brier:>9.5f}{seconds:>8.2f}")
    gap = np.max(np.abs(rows[0][2] - rows[1][2]))
    print(f"max |p_native - p_logistic| on the test rows: {gap:.2e}")


if __name__ == "__main__":
    main()
