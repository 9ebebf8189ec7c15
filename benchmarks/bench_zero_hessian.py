"""Held-out pinball loss of XGBoost's zero-Hessian strategies on real data.

``absolute_error`` and ``quantile`` have a zero Hessian. ``boostloss.xgboost.train`` offers
three ways to train them (module docstring of ``boostloss.xgboost``):

- ``refit``: every new leaf re-fitted to the residual quantile of its rows (XGBoost <= 3.3's
  native algorithm);
- ``surrogate``: XGBoost 3.4's MM surrogate with a residual scale over all rows (also what
  ``boostloss.dask`` trains with on XGBoost);
- ``constant``: the loss's plain constant Hessian (what ``objective()`` gives plain
  ``xgb.train`` users, and what LightGBM on Dask trains with).

For each shipped regression data set, loss and round count, the table prints the test loss
of the installed XGBoost's native objective (``reg:absoluteerror`` / ``reg:quantileerror``)
and each strategy's test loss divided by it (< 1: better than native), as the median over
random 75/25 splits. Same parameters everywhere (depth 4, eta 0.2, 2 threads) and the same
starting margin (``init_score``).

    python benchmarks/bench_zero_hessian.py
    python benchmarks/bench_zero_hessian.py --datasets diabetes engel --splits 5 --rounds 100
"""

from __future__ import annotations

import argparse

import numpy as np
import xgboost as xgb

import boostloss as bl
import boostloss.xgboost as bl_xgb
from boostloss.datasets import load_dataset

DATASETS = ("rand_hie", "diabetes", "engel", "wine", "elnino", "co2")
LOSSES = (("absolute_error", {}), ("quantile", {"alpha": 0.9}), ("quantile", {"alpha": 0.1}))
STRATEGIES = ("refit", "surrogate", "constant")
PARAMS = {"max_depth": 4, "eta": 0.2, "nthread": 2, "tree_method": "hist"}


def native_params(loss) -> dict:
    if loss.name == "absolute_error":
        return {"objective": "reg:absoluteerror"}
    return {"objective": "reg:quantileerror", "quantile_alpha": float(loss.levels[0])}


def held_out_losses(X, y, loss, rounds: int, seed: int) -> dict[str, float]:
    """Held-out loss of native and of every strategy on one random 75/25 split."""
    test = np.random.default_rng(seed).uniform(size=y.size) < 0.25
    dtrain = xgb.DMatrix(X[~test], label=y[~test])
    start = bl_xgb.init_score(loss, dtrain)
    native = xgb.train({**PARAMS, **native_params(loss), "base_score": start}, dtrain, rounds)
    scores = {"native": loss.metric(
        y[test], native.predict(xgb.DMatrix(X[test]), output_margin=True))}
    for strategy in STRATEGIES:
        booster = bl_xgb.train(PARAMS, dtrain, rounds, loss=loss, zero_hessian=strategy)
        scores[strategy] = loss.metric(y[test], bl_xgb.predict(booster, X[test], output="raw"))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--rounds", nargs="+", type=int, default=[20, 100])
    parser.add_argument("--splits", type=int, default=3, help="random splits per cell")
    args = parser.parse_args()

    print(f"XGBoost {xgb.__version__}: native objective's test loss and each strategy's "
          f"test loss / native (median of {args.splits} random 75/25 splits)")
    header = f"{'dataset':<10}{'loss':<16}{'rounds':>7}{'native':>10}" + "".join(
        f"{name:>11}" for name in STRATEGIES)
    print(header)
    print("-" * len(header))
    for name in args.datasets:
        X, y = load_dataset(name, as_frame=False)
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y, dtype=np.float64)
        for loss_name, loss_params in LOSSES:
            loss = bl.get_loss(loss_name, **loss_params)
            label = loss_name if not loss_params else f"q{loss_params['alpha']}"
            for rounds in args.rounds:
                runs = [held_out_losses(X, y, loss, rounds, seed) for seed in range(args.splits)]
                native = float(np.median([run["native"] for run in runs]))
                ratios = [float(np.median([run[s] / run["native"] for run in runs]))
                          for s in STRATEGIES]
                print(f"{name:<10}{label:<16}{rounds:>7}{native:>10.4g}"
                      + "".join(f"{ratio:>11.3f}" for ratio in ratios))


if __name__ == "__main__":
    main()
