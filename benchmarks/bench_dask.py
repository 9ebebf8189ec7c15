"""boostloss on Dask (2-worker LocalCluster) vs one machine: wall time and peak memory.

    python benchmarks/bench_dask.py                      # 5M rows x 20 features, huber, 20 rounds
    python benchmarks/bench_dask.py --rows 500000 --repeats 3 --loss logistic

Both sides train the same rows (generated block by block from one seed, so the cluster's
partitions concatenate to exactly the single-machine arrays) with the same parameters:
2 Dask worker processes with 1 thread each, against one process with 1 and with 2 threads
(``--single-threads``). The load average is printed: on a shared machine OpenMP with more
threads than free cores slows down a lot (busy-waiting barriers), so compare rows measured
under the same load.

- Dask: a fresh LocalCluster per run. The data are generated on the workers and persisted
  (not timed), a tiny warm-up fit loads the engines and the compiled kernels, then
  ``boostloss.dask.init_score`` + ``boostloss.dask.train`` (from that init score) are timed:
  distributed init score + DMatrix/Dataset construction + training; "[init x]" is the
  init-score part. Memory: each worker process's peak RSS (``getrusage``), data included.
- One machine: a fresh Python process per run generates the data, warms up, then times
  Dataset construction + ``boostloss.<engine>.train``. Memory: that process's peak RSS.

Printed: median (and min-max) over ``--repeats`` runs, plus the training loss of the last
run of each side (the same model quality is the point of the Dask layer).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

SEED = 2024
CHUNK_ROWS = 250_000
XGB_PARAMS = {"max_depth": 6, "eta": 0.1}
LGB_PARAMS = {"num_leaves": 63, "learning_rate": 0.1}


# ----------------------------------------------------------------------------- data
def make_block(index: int, rows: int, n_features: int, task: str):
    """Rows of block ``index``: float32 features, float64 labels (seeded per block)."""
    rng = np.random.default_rng([SEED, index])
    X = rng.standard_normal((rows, n_features), dtype=np.float32)
    signal = X[:, 0] * 2.0 + np.sin(3.0 * X[:, 1]) + X[:, 2] * X[:, 3]
    if task == "binary":
        y = (signal + rng.logistic(size=rows) > 0.5).astype(np.float64)
    else:
        y = signal + rng.standard_t(3, size=rows)
    return X, y


def block_sizes(rows: int) -> list[int]:
    full, rest = divmod(rows, CHUNK_ROWS)
    return [CHUNK_ROWS] * full + ([rest] if rest else [])


def task_of(loss_name: str) -> str:
    import boostloss as bl

    return bl.get_loss(loss_name).task


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def engine_params(backend: str, threads: int | None) -> dict:
    if backend == "xgboost":
        return {**XGB_PARAMS, **({"nthread": threads} if threads else {})}
    return {**LGB_PARAMS, "verbosity": -1, **({"num_threads": threads} if threads else {})}


# ----------------------------------------------------------------------------- one machine
def single_machine_run(args) -> dict:
    """Runs in a fresh process (``--single``); prints one JSON line."""
    import boostloss as bl

    task = task_of(args.loss)
    sizes = block_sizes(args.rows)
    blocks = [make_block(i, size, args.features, task) for i, size in enumerate(sizes)]
    X = np.concatenate([b[0] for b in blocks])
    y = np.concatenate([b[1] for b in blocks])
    del blocks
    _single_fit(args, bl, X[:2000], y[:2000], 2, args.threads)  # warm-up: engine, kernels
    start = time.perf_counter()
    raw = _single_fit(args, bl, X, y, args.rounds, args.threads)
    seconds = time.perf_counter() - start
    metric = bl.get_loss(args.loss).metric(y, raw)
    return {"seconds": seconds, "peak_rss": [peak_rss_bytes()], "metric": metric}


def _single_fit(args, bl, X, y, rounds, threads):
    params = engine_params(args.backend, threads)
    if args.backend == "xgboost":
        import xgboost as xgb

        dtrain = xgb.QuantileDMatrix(X, y, nthread=threads)
        booster = bl.xgboost.train(params, dtrain, rounds, loss=args.loss,
                                   zero_hessian="constant")
        return bl.xgboost.predict(booster, X, output="raw")
    import lightgbm as lgb

    model = bl.lightgbm.train(params, lgb.Dataset(X, y), rounds, loss=args.loss)
    return bl.lightgbm.predict(model, X, output="raw")


# ----------------------------------------------------------------------------- Dask
def dask_run(args) -> dict:
    import dask
    import dask.array as da
    from distributed import Client, LocalCluster, wait

    import boostloss.dask as bld

    task = task_of(args.loss)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, memory_limit=0) as cluster, \
            Client(cluster) as client:
        sizes = block_sizes(args.rows)
        blocks = [dask.delayed(make_block, nout=2)(i, size, args.features, task)
                  for i, size in enumerate(sizes)]
        X = da.concatenate([da.from_delayed(b[0], (size, args.features), np.float32)
                            for b, size in zip(blocks, sizes, strict=True)])
        y = da.concatenate([da.from_delayed(b[1], (size,), np.float64)
                            for b, size in zip(blocks, sizes, strict=True)])
        X, y = client.persist([X, y])
        wait([X, y])
        params = engine_params(args.backend, None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            bld.train(client, params, X[:2000], y[:2000], 2, loss=args.loss,
                      backend=args.backend)  # warm-up: engine, kernels, collective
            start = time.perf_counter()
            init = bld.init_score(client, y, loss=args.loss)
            init_seconds = time.perf_counter() - start
            model = bld.train(client, params, X, y, args.rounds, loss=args.loss,
                              backend=args.backend, init_score=init)
            seconds = time.perf_counter() - start
        peaks = sorted(client.run(peak_rss_bytes).values())
        metric = bld.evaluate(model, X, y)
    return {"seconds": seconds, "init_seconds": init_seconds, "peak_rss": peaks,
            "metric": metric}


# ----------------------------------------------------------------------------- driver
def run_single_in_fresh_process(args, threads: int) -> dict:
    command = [sys.executable, os.path.abspath(__file__), "--single",
               "--rows", str(args.rows), "--features", str(args.features),
               "--rounds", str(args.rounds), "--loss", args.loss, "--backend", args.backend,
               "--threads", str(threads)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def summarise(runs: list[dict]) -> tuple[str, str, float]:
    seconds = [r["seconds"] for r in runs]
    time_text = f"{statistics.median(seconds):8.1f} ({min(seconds):.1f}-{max(seconds):.1f})"
    if "init_seconds" in runs[0]:
        time_text = f"[init {statistics.median(r['init_seconds'] for r in runs):.1f}] " + time_text
    peaks = np.array([r["peak_rss"] for r in runs], dtype=np.float64) / 2**30
    per_process = np.median(peaks, axis=0)
    memory_text = " + ".join(f"{p:.2f}" for p in per_process)
    return time_text, memory_text, runs[-1]["metric"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--loss", default="huber")
    parser.add_argument("--backend", default=None, help="xgboost or lightgbm (default: both)")
    parser.add_argument("--single-threads", default="1,2",
                        help="thread counts of the single-machine runs (default 1,2)")
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        print(json.dumps(single_machine_run(args)))
        return

    backends = [args.backend] if args.backend else ["xgboost", "lightgbm"]
    print(f"{args.rows:,} rows x {args.features} features, loss={args.loss}, "
          f"{args.rounds} rounds, median of {args.repeats} runs (min-max); "
          f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    header = f"{'engine':<9}{'setup':<22}{'time [s]':>33}{'peak RSS per process [GiB]':>30}{'train loss':>13}"
    print(header)
    print("-" * len(header))
    for backend in backends:
        args.backend = backend
        setups = [(f"1 process x {t} thread" + "s" * (t > 1),
                   lambda t=t: run_single_in_fresh_process(args, t))
                  for t in (int(v) for v in args.single_threads.split(",") if v)]
        setups.append(("Dask 2 workers x 1", lambda: dask_run(args)))
        for setup, runner in setups:
            runs = [runner() for _ in range(args.repeats)]
            time_text, memory_text, metric = summarise(runs)
            print(f"{backend:<9}{setup:<22}{time_text:>33}{memory_text:>30}{metric:>13.5f}",
                  flush=True)
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
