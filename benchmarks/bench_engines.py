"""Training time (and peak memory): boostloss objective vs hand-written vs native.

For every loss with a native twin, on both engines, each repeat trains the same model with
the native objective, the boostloss objective and, for squared_error, logistic, poisson and
softmax_cross_entropy, the leanest hand-written Python objective (``handwritten_objective``),
all from the same starting margin, rotating which goes first. It prints median training
times and the ratios; the headline column is ``bl/hand`` (boostloss / hand-written): the
hand-written fit pays the engine's own cost of any Python objective (copying predictions,
ingesting gradients, LightGBM's lost constant-Hessian shortcut), so ``bl/hand`` is what the
library adds on top of that floor. ``bl/nat`` compares with the native objective (the
losses without a hand-written twin: absolute_error and quantile include the leaf renewal).

By default every fit runs in this one process, interleaved (after one small warm-up fit),
which keeps the noise of a shared machine out of the ratios as far as possible; run it
twice and compare before trusting a difference of a few percent. ``--fresh-process`` runs
each fit in a fresh subprocess instead and adds peak RSS (the whole process's, data included).

    python benchmarks/bench_engines.py                              # 1M x 20, 100 rounds, 5 repeats
    python benchmarks/bench_engines.py --rows 400000 --rounds 30 --engines xgboost
    python benchmarks/bench_engines.py --losses logistic squared_error
    python benchmarks/bench_engines.py --kernels numpy    # boostloss with the compiled kernels off
    python benchmarks/bench_engines.py --numpy-column     # and beside it, interleaved
    python benchmarks/bench_engines.py --fresh-process    # peak memory per fit
    python benchmarks/bench_engines.py --threads 1 --cpu-time   # CPU seconds: a busy machine

The custom fits use exactly what a user writes: ``xgb.train(obj=bl.xgboost.objective(loss))``
and LightGBM ``params["objective"] = bl.lightgbm.objective(loss)``; absolute_error and
quantile go through ``bl.xgboost.train`` / ``bl.lightgbm.train`` because their leaf
re-fitting lives there (the native objectives re-fit leaves too).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

# loss name -> (loss params, XGBoost native params, LightGBM native params); None: no twin
TWINS: dict[str, tuple[dict, dict | None, dict | None]] = {
    "squared_error": ({}, {"objective": "reg:squarederror"}, {"objective": "regression"}),
    "logistic": ({}, {"objective": "binary:logistic"}, {"objective": "binary"}),
    # the native objectives' own Hessians: exact (pseudo_huber, fair), 1 (LightGBM huber)
    "pseudo_huber": ({"hessian": "exact", "hessian_floor": 0.0},
                     {"objective": "reg:pseudohubererror"}, None),
    "huber": ({"delta": 1.0, "hessian_floor": 1.0}, None, {"objective": "huber", "alpha": 1.0}),
    "fair": ({"hessian": "exact", "hessian_floor": 0.0}, None,
             {"objective": "fair", "fair_c": 1.0}),
    "gamma": ({}, {"objective": "reg:gamma"}, {"objective": "gamma"}),
    "tweedie": ({}, {"objective": "reg:tweedie"}, {"objective": "tweedie"}),
    "poisson": (
        {"max_delta_step": 0.7},
        {"objective": "count:poisson", "max_delta_step": 0.7},
        {"objective": "poisson", "poisson_max_delta_step": 0.7},
    ),
    "softmax_cross_entropy": ({}, {"objective": "multi:softprob"}, {"objective": "multiclass"}),
    "absolute_error": ({}, {"objective": "reg:absoluteerror"}, {"objective": "regression_l1"}),
    "quantile": ({"alpha": 0.9}, {"objective": "reg:quantileerror", "quantile_alpha": 0.9}, {"objective": "quantile", "alpha": 0.9}),
}
N_CLASSES = 5
REFIT_LOSSES = ("absolute_error", "quantile")


def make_data(loss_name: str, rows: int, features: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, features), dtype=np.float32)
    signal = X[:, :5] @ np.array([0.6, -0.4, 0.3, 0.2, -0.3], dtype=np.float32)
    if loss_name == "logistic":
        y = (rng.random(rows) < 1 / (1 + np.exp(-2 * signal))).astype(np.float32)
    elif loss_name == "softmax_cross_entropy":
        logits = signal[:, None] * np.linspace(-1, 1, N_CLASSES) + rng.gumbel(size=(rows, N_CLASSES))
        y = logits.argmax(axis=1).astype(np.float32)
    elif loss_name in ("poisson", "tweedie"):
        y = rng.poisson(np.exp(0.5 + signal)).astype(np.float32)
    elif loss_name == "gamma":
        y = rng.gamma(2.0, np.exp(0.5 + signal) / 2.0).astype(np.float32)
    else:
        y = (3 * signal + rng.standard_t(3, rows)).astype(np.float32)
    return X, y


CLOCK = {"now": time.perf_counter}  # --cpu-time: time.process_time
HANDWRITTEN = ("squared_error", "logistic", "poisson", "softmax_cross_entropy")


def handwritten_objective(loss_name: str, labels: np.ndarray, engine: str):
    """The leanest objective a user could write by hand for the twin: labels read once,
    float32 math on the engine's float32 predictions, no validation, no weights. Its time is
    the engine's own cost of a Python objective (prediction copy, gradient ingest,
    LightGBM's lost constant-Hessian shortcut): the floor for any library."""
    from scipy.special import expit

    labels = np.asarray(labels, dtype=np.float32)
    if loss_name == "softmax_cross_entropy":
        classes = labels.astype(np.int64)
        rows = np.arange(classes.size)
        factor = np.float32(2.0 if engine == "xgboost" else N_CLASSES / (N_CLASSES - 1.0))

        def softmax(predt, _data):
            p = np.exp(predt - predt.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            hess = factor * p * (1.0 - p)
            p[rows, classes] -= 1.0
            return p, hess

        return softmax
    grad = np.empty(labels.size, dtype=np.float32)
    hess = np.ones(labels.size, dtype=np.float32)
    damping = np.float32(np.exp(0.7))  # the twins' max_delta_step

    def objective(predt, _data):
        if loss_name == "squared_error":
            np.subtract(predt, labels, out=grad)
        elif loss_name == "poisson":
            mean = np.exp(predt)
            np.subtract(mean, labels, out=grad)
            np.multiply(mean, damping, out=hess)
        else:
            p = expit(predt)
            np.subtract(p, labels, out=grad)
            np.multiply(p, 1.0 - p, out=hess)
        return grad, hess

    return objective


def fit_once(engine: str, loss_name: str, mode: str, rows: int, features: int, rounds: int, threads: int,
             data=None) -> dict:
    """One fit in this process; returns training seconds and peak RSS in MiB.

    mode: "native", "handwritten", "custom" (boostloss) or "numpy" (boostloss with its
    compiled kernels switched off: the numpy reference path)."""
    import boostloss as bl

    if mode == "numpy":
        bl.use_compiled_kernels(False)
        try:
            return fit_once(engine, loss_name, "custom", rows, features, rounds, threads, data)
        finally:
            bl.use_compiled_kernels(True)

    loss_params, xgb_native, lgb_native = TWINS[loss_name]
    if loss_name == "softmax_cross_entropy":
        loss_params = {"hessian": engine}
    loss = bl.get_loss(loss_name, **loss_params)
    X, y = make_data(loss_name, rows, features) if data is None else data
    init = loss.init_score(y)
    if engine == "xgboost":
        import xgboost as xgb

        dtrain = xgb.DMatrix(X, label=y, nthread=threads)
        params = {"tree_method": "hist", "max_depth": 6, "eta": 0.1, "nthread": threads, "max_bin": 256}
        if loss.task == "multiclass":
            params["num_class"] = N_CLASSES
        start = CLOCK["now"]()
        # Both fits start from the loss's best constant (native base_score is on the response
        # scale); multiclass keeps the engine's default start for both, timing is unaffected.
        start_margin = {} if loss.task == "multiclass" else {"base_score": float(init)}
        start_native = {} if loss.task == "multiclass" else {"base_score": float(loss.transform(np.array([init]))[0])}
        if mode == "native":
            xgb.train({**params, **xgb_native, **start_native}, dtrain, rounds)
        elif mode == "handwritten":
            xgb.train({**params, **start_margin}, dtrain, rounds, obj=handwritten_objective(loss_name, y, engine))
        elif loss_name in REFIT_LOSSES:
            bl.xgboost.train(params, dtrain, rounds, loss=loss)
        else:
            xgb.train({**params, **start_margin}, dtrain, rounds, obj=bl.xgboost.objective(loss))
    else:
        import lightgbm as lgb

        init_column = np.full(rows, init) if np.ndim(init) == 0 else np.tile(init, (rows, 1))
        dtrain = lgb.Dataset(X, label=y, init_score=init_column, free_raw_data=False)
        params = {"num_leaves": 63, "learning_rate": 0.1, "num_threads": threads, "verbose": -1, "max_bin": 255}
        if loss.task == "multiclass":
            params["num_class"] = N_CLASSES
        start = CLOCK["now"]()
        if mode == "native":
            lgb.train({**params, **lgb_native}, dtrain, rounds)
        elif mode == "handwritten":
            lgb.train({**params, "objective": handwritten_objective(loss_name, y, engine)}, dtrain, rounds)
        elif loss_name in REFIT_LOSSES:
            bl.lightgbm.train(params, lgb.Dataset(X, label=y, free_raw_data=False), rounds, loss=loss)
        else:
            lgb.train({**params, "objective": bl.lightgbm.objective(loss)}, dtrain, rounds)
    seconds = CLOCK["now"]() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {"seconds": seconds, "peak_mib": peak_mib}


def run_in_subprocess(args, engine: str, loss_name: str, mode: str) -> dict:
    command = [
        sys.executable, __file__, "--worker", engine, loss_name, mode,
        "--rows", str(args.rows), "--features", str(args.features),
        "--rounds", str(args.rounds), "--threads", str(args.threads), "--kernels", args.kernels,
        *(["--cpu-time"] if args.cpu_time else []),
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def set_kernel_mode(name: str) -> None:
    """"numpy" switches boostloss's compiled kernels off; "default" keeps the library default."""
    import boostloss as bl

    if name == "numpy":
        bl.use_compiled_kernels(False)


def median_of(results: dict[str, list[dict]], mode: str, key: str = "seconds") -> float:
    return float(np.median([r[key] for r in results[mode]]))


def ratio_cell(numerator: float | None, denominator: float | None, width: int) -> str:
    if numerator is None or denominator is None:
        return f"{'-':>{width}}"
    return f"{numerator / denominator:>{width}.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--engines", nargs="*", default=["xgboost", "lightgbm"])
    parser.add_argument("--losses", nargs="*", default=list(TWINS))
    parser.add_argument("--kernels", choices=["default", "numpy"], default="default",
                        help="boostloss grad/hess path of the custom fits (numpy: kernels off)")
    parser.add_argument("--numpy-column", action="store_true",
                        help="also time boostloss with its compiled kernels off (np/hand column)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time fits in process CPU seconds (all threads) instead of wall "
                             "seconds: with --threads 1, robust to other load on the machine")
    parser.add_argument("--fresh-process", action="store_true",
                        help="each fit in a fresh subprocess, to measure peak memory")
    parser.add_argument("--worker", nargs=3, metavar=("ENGINE", "LOSS", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    set_kernel_mode(args.kernels)
    if args.cpu_time:
        CLOCK["now"] = time.process_time
    if args.worker:
        engine, loss_name, mode = args.worker
        print(json.dumps(fit_once(engine, loss_name, mode, args.rows, args.features, args.rounds, args.threads)))
        return

    where = "fresh process per fit" if args.fresh_process else "one process for all fits"
    print(
        f"boostloss vs hand-written vs native training: {args.rows} rows x {args.features} "
        f"features, {args.rounds} rounds, {args.threads} threads, median of {args.repeats} "
        f"interleaved repeats, {where}, boostloss kernels: {args.kernels}, "
        f"{'process CPU' if args.cpu_time else 'wall'} seconds"
    )
    header = (
        f"{'engine':<10}{'loss':<24}{'native s':>10}{'boostl s':>10}{'hand s':>8}"
        f"{'bl/hand':>9}{'bl/nat':>8}{'hand/nat':>9}"
        + (f"{'numpy s':>9}{'np/hand':>9}{'np/nat':>8}" if args.numpy_column else "")
        + (f"{'native MiB':>12}{'boostl MiB':>12}{'hand MiB':>10}{'bl/nat mem':>11}"
           f"{'bl/hand mem':>12}" if args.fresh_process else "")
    )
    print(header)
    print("-" * len(header))
    for engine in args.engines:
        for loss_name in args.losses:
            twin = TWINS[loss_name][1 if engine == "xgboost" else 2]
            if twin is None:
                continue
            modes = ["native", "custom"] + (["handwritten"] if loss_name in HANDWRITTEN else [])
            modes += ["numpy"] if args.numpy_column else []
            results: dict[str, list[dict]] = {mode: [] for mode in modes}
            data = None if args.fresh_process else make_data(loss_name, args.rows, args.features)
            if data is not None:  # warm-up: first-use costs (imports, page faults) in no timing
                fit_once(engine, loss_name, "custom", min(args.rows, 20000), args.features, 2,
                         args.threads, (data[0][:20000], data[1][:20000]))
            for repeat in range(args.repeats):
                shift = repeat % len(modes)
                for mode in modes[shift:] + modes[:shift]:
                    if args.fresh_process:
                        result = run_in_subprocess(args, engine, loss_name, mode)
                    else:
                        result = fit_once(engine, loss_name, mode, args.rows, args.features,
                                          args.rounds, args.threads, data)
                    results[mode].append(result)
            native_s, custom_s = median_of(results, "native"), median_of(results, "custom")
            hand_s = median_of(results, "handwritten") if "handwritten" in results else None
            hand = f"{hand_s:>8.2f}" if hand_s is not None else f"{'-':>8}"
            line = (
                f"{engine:<10}{loss_name:<24}{native_s:>10.2f}{custom_s:>10.2f}{hand}"
                f"{ratio_cell(custom_s, hand_s, 9)}{ratio_cell(custom_s, native_s, 8)}"
                f"{ratio_cell(hand_s, native_s, 9)}"
            )
            if args.numpy_column:
                numpy_s = median_of(results, "numpy")
                line += (f"{numpy_s:>9.2f}{ratio_cell(numpy_s, hand_s, 9)}"
                         f"{ratio_cell(numpy_s, native_s, 8)}")
            if args.fresh_process:
                native_m = median_of(results, "native", "peak_mib")
                custom_m = median_of(results, "custom", "peak_mib")
                hand_m = median_of(results, "handwritten", "peak_mib") if hand_s else None
                line += (f"{native_m:>12.0f}{custom_m:>12.0f}"
                         + (f"{hand_m:>10.0f}" if hand_m else f"{'-':>10}")
                         + f"{ratio_cell(custom_m, native_m, 11)}{ratio_cell(custom_m, hand_m, 12)}")
            print(line, flush=True)


if __name__ == "__main__":
    main()
