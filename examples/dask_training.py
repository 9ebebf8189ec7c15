"""Train boostloss losses on a Dask DataFrame with xgboost.dask and lightgbm.dask.

Starts a local 2-worker Dask cluster, splits the RAND Health Insurance Experiment data
(20,190 people, outcome: number of doctor visits; ships in ``datasets/``) into a training
and a test part, turns both into Dask DataFrames, and trains three boostloss losses with
both engines, early-stopping on the test part's loss computed over *all* its rows (not one
worker's). For comparison the same parameters train on one machine with the adapters.

    python examples/dask_training.py            # three losses, both engines
    python examples/dask_training.py --quick    # one loss, 20 rounds (for the test suite)

Runs in well under a minute on 2 cores. Output: one row per (loss, engine) with the init
score (the loss's best constant, computed from every row with dask reductions), the best
round, and the test loss of the Dask model and of the single-machine model.
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings

import dask.dataframe as dd
import lightgbm as lgb
import numpy as np
import xgboost as xgb
from distributed import Client, LocalCluster

import boostloss as bl
import boostloss.dask as bld
from boostloss.datasets import load_dataset

ROUNDS = 150
STOP = 10
LOSSES = [("poisson", {}), ("huber", {"delta": 3.0}), ("quantile", {"alpha": 0.9})]
XGB_PARAMS = {"max_depth": 4, "eta": 0.2}
# time_out: minutes LightGBM's network waits for a peer before it raises (default 120).
LGB_PARAMS = {"num_leaves": 15, "learning_rate": 0.2, "time_out": 2, "verbosity": -1}


def worker_stdout_to_stderr() -> None:
    """Point a Dask worker's stdout (file descriptor 1) at its stderr.

    The worker processes share this script's stdout, and LightGBM's C++ network setup writes
    to it directly ("[LightGBM] [Info] Trying to bind port ...", "Connected to rank 0"),
    whatever the verbosity. Run on every worker (``client.run``), the log stays visible on
    stderr and stdout holds only the table this example prints.
    """
    import os
    import sys

    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), 1)


def single_machine(backend, loss, X, y, X_test, y_test, rounds=ROUNDS):
    """The single-machine adapter's test loss with the same parameters."""
    if backend == "xgboost":
        booster = bl.xgboost.train(
            {**XGB_PARAMS, "nthread": 2}, xgb.DMatrix(X, y), rounds, loss=loss,
            evals=[(xgb.DMatrix(X_test, y_test), "test")], early_stopping_rounds=STOP)
        return loss.metric(y_test, bl.xgboost.predict(booster, X_test, output="raw"))
    train_set = lgb.Dataset(X, y)
    model = bl.lightgbm.train(
        {**LGB_PARAMS, "num_threads": 2, "verbosity": -1}, train_set, rounds, loss=loss,
        valid_sets=[lgb.Dataset(X_test, y_test, reference=train_set)],
        early_stopping_rounds=STOP)
    return loss.metric(y_test, bl.lightgbm.predict(model, X_test, output="raw"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one loss and 20 rounds")
    args = parser.parse_args()
    losses = LOSSES[1:2] if args.quick else LOSSES
    rounds = 20 if args.quick else ROUNDS
    X, y = load_dataset("rand_hie")
    rng = np.random.default_rng(0)
    test = rng.uniform(size=len(y)) < 0.2
    X_train, y_train, X_test, y_test = X[~test], y[~test], X[test], y[test]

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(worker_stdout_to_stderr)
        # lightgbm.dask's own notes ("Finding random open ports for workers") go to Python
        # logging, which shows only warnings (on stderr).
        lgb.register_logger(logging.getLogger("lightgbm"))
        dX = dd.from_pandas(X_train, npartitions=4)
        dy = dd.from_pandas(y_train, npartitions=4)
        dX_test = dd.from_pandas(X_test, npartitions=2)
        dy_test = dd.from_pandas(y_test, npartitions=2)

        rows = []
        for name, loss_params in losses:
            loss = bl.get_loss(name, **loss_params)
            for backend in ("xgboost", "lightgbm"):
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)  # quantile: see footnote
                    model = bld.train(
                        client, XGB_PARAMS if backend == "xgboost" else LGB_PARAMS, dX, dy,
                        rounds, loss=loss, backend=backend, eval_set=[(dX_test, dy_test)],
                        eval_names=["test"], early_stopping_rounds=STOP)
                seconds = time.perf_counter() - start
                dask_loss = bld.evaluate(model, dX_test, dy_test)
                single = single_machine(backend, loss, X_train, y_train, X_test, y_test, rounds)
                rows.append((name, backend, float(np.mean(model.init_score)),
                             model.best_iteration + 1, dask_loss, single, seconds))

    header = ("loss", "engine", "init score", "rounds", "test loss (Dask)",
              "test loss (1 machine)", "Dask time [s]")
    print(f"{header[0]:<9}{header[1]:<10}{header[2]:>11}{header[3]:>8}{header[4]:>18}"
          f"{header[5]:>23}{header[6]:>15}")
    for name, backend, init, rounds, dask_loss, single, seconds in rows:
        print(f"{name:<9}{backend:<10}{init:>11.4f}{rounds:>8d}{dask_loss:>18.5f}"
              f"{single:>23.5f}{seconds:>15.1f}")
    print("\nTest loss = the loss's weighted mean over every test row (lower is better).")
    print("quantile: on Dask leaves are not re-fitted to residual quantiles (no allreduce in\n"
          "lightgbm.dask, no leaf hook in xgboost.dask), so it converges more slowly than\n"
          "the single-machine adapters, which re-fit them. XGBoost uses XGBoost 3.4's MM\n"
          "surrogate with a global residual scale instead; LightGBM a constant Hessian.")


if __name__ == "__main__":
    main()
