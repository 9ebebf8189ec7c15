"""Coverage, width and interval score of 90% quantile intervals on real data.

Three methods per engine, same boosting parameters (rounds, learning rate, depth), levels
0.05 / 0.5 / 0.95:

(a) ``native``: the engine's own quantile objective, fit on all fit rows (XGBoost
    ``reg:quantileerror`` with ``quantile_alpha`` = all levels in one model; LightGBM
    ``objective="quantile"``, one model per level). Its quantiles may cross: the table
    scores the row-sorted quantiles (the same rearrangement boostloss applies).
(b) ``boostloss``: ``QuantileIntervalRegressor(calibration=None)``, fit on all fit rows.
(c) ``boostloss+CQR``: ``QuantileIntervalRegressor(calibration="conformal")``: the models
    see 75% of the fit rows, the other 25% calibrate (split-conformal CQR).
(d) ``CQR asym``: the same with ``symmetric=False`` (lower and upper shifts at alpha/2 each).
(e) ``CV+``: ``calibration="cv+"``, 5 folds: every row fits and calibrates out of fold.
(f) ``MAPIE CQR`` / ``MAPIE CV+`` (LightGBM rows only): MAPIE's
    ``ConformalizedQuantileRegressor`` on the same 75/25 split and
    ``CrossConformalizedQuantileRegressor(method="plus", cv=5)``, both with
    ``LGBMRegressor(objective="quantile")`` and the same boosting parameters.

Data (shipped in ``datasets/``):

- Regression (i.i.d. rows): ``engel`` (235 rows), ``diabetes`` (442 rows). Repeated
  random 70/30 splits; the calibration part is random (``time_ordered=False``).
- Time series with lag features (``make_lag_features``, one step ahead): ``elnino``
  (monthly, lags 1, 2, 3, 6, 12 and the month), ``co2`` (weekly, differenced: the model
  forecasts the change from the last value; lags 1-4 and 52), ``sunspots`` (yearly, lags
  1-11). Rolling origin: the last 40% of the rows are cut into consecutive test blocks;
  each block is forecast by models fit on all rows before it (expanding window), and the
  calibration part is the latest 25% of those rows (``time_ordered=True``). Nothing is
  shuffled. Time-series rows are not exchangeable, so CQR's guarantee does not formally
  apply there.

"raw crossing" is the share of test rows where the models' quantiles cross before
rearrangement (boostloss's returned quantiles are sorted and never cross). Each cell is
the mean over splits (random splits or blocks) with its standard error
(std / sqrt(repeats)) in brackets; for blocks the standard error ignores the serial
correlation between them. Expected coverage of (c) on exchangeable data lies in
[0.90, 0.90 + 1/(n_cal + 1)], n_cal the calibration rows, which the table prints.

    python benchmarks/bench_intervals.py                    # all datasets, both engines
    python benchmarks/bench_intervals.py --datasets engel --repeats 40 --engines lightgbm
    python benchmarks/bench_intervals.py --timing          # also: LightGBM levels in parallel
    python benchmarks/bench_intervals.py --online          # only the online table below

Online (``--online``, also part of the default run): one-step-ahead intervals on the
shipped series and a synthetic series (2,000 steps, the noise triples at step 1,100, the
level jumps by 4 noise units at 1,500), lag features as above, the model fit on the first
half (``time_ordered=True``, last 25% of it calibrates), then each later step is forecast
and its target fed back, no refit (``bl.intervals.backtest``). boostloss: split CQR kept
as fitted (``adaptation=None``), then ``aci``, ``dtaci``, ``pid`` on the split calibration
("split aci", ...) and on ``calibration="cv+"`` ("cv+ aci", ...: the 5 contiguous-fold
models' mean forecast, the out-of-fold scores of all fit rows start the window). MAPIE 1.x
``TimeSeriesRegressor`` with an ``LGBMRegressor`` (squared error, same boosting
parameters) on ``BlockBootstrap(10 resamplings, 10 blocks)`` as in MAPIE's time-series
tutorial: ``aci`` (``adapt_conformal_inference`` with gamma 0.01 and 0.05, then ``update``
at every step) and ``enbpi`` (``update`` at every step). Columns: long-run coverage, the
worst coverage over 200 consecutive steps, the mean width (infinite intervals excluded;
"inf" counts them) and seconds.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

from boostloss.datasets import load_dataset, load_series, make_heteroscedastic, make_lag_features
from boostloss.intervals import QuantileIntervalRegressor, backtest, evaluate_intervals

COVERAGE = 0.9
LEVELS = [0.05, 0.5, 0.95]
BOOSTING = dict(n_estimators=100, learning_rate=0.1, max_depth=3)

SERIES = {
    "elnino": dict(lags=(1, 2, 3, 6, 12), difference=False, calendar=True),
    "co2": dict(lags=(1, 2, 3, 4, 52), difference=True, calendar=False),
    "sunspots": dict(lags=tuple(range(1, 12)), difference=False, calendar=False),
}
REGRESSION = ("engel", "diabetes")


@dataclass
class Task:
    name: str
    X: np.ndarray
    y: np.ndarray
    time_series: bool


def load_task(name: str) -> Task:
    if name in REGRESSION:
        X, y = load_dataset(name, as_frame=False)
        return Task(name, np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64),
                    False)
    config = SERIES[name]
    series = load_series(name)
    values = series.diff().iloc[1:] if config["difference"] else series
    X, y = make_lag_features(values, lags=config["lags"], horizon=1)
    if config["calendar"]:
        X = X.assign(month=X.index.month)
    # Differenced series: intervals for the change; adding back the last value shifts
    # y and both bounds alike, so coverage, width and interval score are the same.
    return Task(name, X.to_numpy(dtype=np.float64), y.to_numpy(dtype=np.float64), True)


def splits(task: Task, repeats: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    n = task.y.size
    if not task.time_series:
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(repeats):
            order = rng.permutation(n)
            cut = int(round(0.7 * n))
            out.append((order[:cut], order[cut:]))
        return out
    start = int(round(0.6 * n))
    edges = np.linspace(start, n, repeats + 1).round().astype(int)
    return [(np.arange(lo), np.arange(lo, hi)) for lo, hi in zip(edges[:-1], edges[1:],
                                                                 strict=True)]


# ---------------------------------------------------------------------------
# Methods: each returns test quantiles (n_test, 3) at LEVELS, as predicted (maybe crossing)
# ---------------------------------------------------------------------------


def native_xgboost(X_fit, y_fit, X_test, seed, n_jobs):
    import xgboost as xgb

    params = {"objective": "reg:quantileerror", "quantile_alpha": LEVELS,
              "eta": BOOSTING["learning_rate"], "max_depth": BOOSTING["max_depth"],
              "nthread": n_jobs, "seed": seed}
    dtrain = xgb.QuantileDMatrix(X_fit, label=y_fit)
    booster = xgb.train(params, dtrain, BOOSTING["n_estimators"])
    return booster.predict(xgb.DMatrix(X_test))


def native_lightgbm(X_fit, y_fit, X_test, seed, n_jobs):
    import lightgbm as lgb

    columns = []
    for level in LEVELS:
        params = {"objective": "quantile", "alpha": level,
                  "learning_rate": BOOSTING["learning_rate"], "max_depth": BOOSTING["max_depth"],
                  "num_threads": n_jobs, "seed": seed, "verbosity": -1,
                  "feature_pre_filter": False}
        booster = lgb.train(params, lgb.Dataset(X_fit, label=y_fit), BOOSTING["n_estimators"])
        columns.append(booster.predict(X_test))
    return np.column_stack(columns)


def boostloss_model(backend, calibration, time_ordered, seed, n_jobs, **params):
    return QuantileIntervalRegressor(
        coverage=COVERAGE, quantiles=LEVELS, backend=backend, calibration=calibration,
        time_ordered=time_ordered, random_state=seed, n_jobs=n_jobs, **BOOSTING, **params,
    )


METHODS = ("native", "boostloss", "boostloss+CQR", "CQR asym", "CV+", "MAPIE CQR", "MAPIE CV+")
CALIBRATION = {"boostloss": (None, True), "boostloss+CQR": ("conformal", True),
               "CQR asym": ("conformal", False), "CV+": ("cv+", True)}


def lgbm_quantile(seed, n_jobs):
    from lightgbm import LGBMRegressor

    return LGBMRegressor(objective="quantile", alpha=0.5, n_estimators=BOOSTING["n_estimators"],
                         learning_rate=BOOSTING["learning_rate"], max_depth=BOOSTING["max_depth"],
                         random_state=seed, n_jobs=n_jobs, verbosity=-1)


def mapie_method(method, task, fit, test, seed, n_jobs):
    """MAPIE's split CQR (same 75/25 split as boostloss) or CQR with CV+; (n_test, 3)."""
    from mapie.regression import ConformalizedQuantileRegressor, CrossConformalizedQuantileRegressor

    X_fit, y_fit, X_test = task.X[fit], task.y[fit], task.X[test]
    if method == "MAPIE CQR":
        n_cal = int(np.ceil(0.25 * y_fit.size))
        order = (np.arange(y_fit.size) if task.time_series
                 else np.random.default_rng(seed).permutation(y_fit.size))
        train, cal = order[:-n_cal], order[-n_cal:]
        model = ConformalizedQuantileRegressor(lgbm_quantile(seed, n_jobs), confidence_level=COVERAGE)
        model.fit(X_fit[train], y_fit[train]).conformalize(X_fit[cal], y_fit[cal])
    else:
        model = CrossConformalizedQuantileRegressor(lgbm_quantile(seed, n_jobs),
                                                    confidence_level=COVERAGE, method="plus",
                                                    cv=5, random_state=seed)
        model.fit_conformalize(X_fit, y_fit)
        n_cal = y_fit.size
    point, bounds = model.predict_interval(X_test)
    quantiles = np.column_stack([bounds[:, 0, 0], point, bounds[:, 1, 0]])
    return quantiles, quantiles, n_cal


def run_method(method, backend, task, fit, test, seed, n_jobs):
    X_fit, y_fit, X_test = task.X[fit], task.y[fit], task.X[test]
    if method == "native":
        run = native_xgboost if backend == "xgboost" else native_lightgbm
        quantiles = run(X_fit, y_fit, X_test, seed, n_jobs)
        return quantiles, quantiles, 0
    if method.startswith("MAPIE"):
        return mapie_method(method, task, fit, test, seed, n_jobs)
    calibration, symmetric = CALIBRATION[method]
    model = boostloss_model(backend, calibration, task.time_series, seed, n_jobs,
                            symmetric=symmetric)
    model.fit(X_fit, y_fit)
    quantiles = model.predict_quantiles(X_test)  # sorted: never crosses
    assert np.all(np.diff(quantiles, axis=1) >= 0)
    # The models' output before rearrangement (private), only to report how often it crossed.
    raw = model._predict_raw(model._validate_X_predict(X_test))
    return quantiles, raw, model.n_calibration_samples_


def score(y_test, quantiles, raw) -> dict[str, float]:
    """Metrics of the (sorted) quantiles; ``crossing``: share of rows where ``raw`` crosses."""
    table = evaluate_intervals(y_test, np.sort(quantiles, axis=1), LEVELS, coverage=COVERAGE)
    table["crossing"] = float(np.mean(np.any(np.diff(raw, axis=1) < 0, axis=1)))
    return table


def mean_se(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=np.float64)
    se = values.std(ddof=1) / np.sqrt(values.size) if values.size > 1 else float("nan")
    return float(values.mean()), float(se)


def benchmark(names, engines, repeats, series_blocks, seed, n_jobs) -> list[dict]:
    rows = []
    for name in names:
        task = load_task(name)
        parts = splits(task, series_blocks if task.time_series else repeats, seed)
        split_kind = (f"rolling origin, {len(parts)} blocks" if task.time_series
                      else f"{len(parts)} random 70/30 splits")
        print(f"\n{name}: {task.y.size} rows x {task.X.shape[1]} features, {split_kind}, "
              f"test rows per split ~{np.mean([t.size for _, t in parts]):.0f}", flush=True)
        for backend in engines:
            for method in METHODS:
                if method.startswith("MAPIE") and backend != "lightgbm":
                    continue  # MAPIE's CQR takes scikit-learn-style quantile regressors
                start = time.perf_counter()
                results, n_cal = [], []
                for r, (fit, test) in enumerate(parts):
                    quantiles, raw, n_calibration = run_method(method, backend, task, fit,
                                                               test, seed + r, n_jobs)
                    results.append(score(task.y[test], quantiles, raw))
                    n_cal.append(n_calibration)
                row = {"dataset": name, "engine": backend, "method": method,
                       "seconds": time.perf_counter() - start, "n_cal": float(np.mean(n_cal))}
                for key in ("coverage", "mean_width", "interval_score", "crossing"):
                    row[key] = mean_se([res[key] for res in results])
                rows.append(row)
                print(format_row(row), flush=True)
    return rows


HEADER = (f"{'dataset':<10}{'engine':<10}{'method':<15}{'coverage (se)':>16}"
          f"{'width (se)':>20}{'interval score (se)':>22}{'raw crossing':>14}{'n_cal':>7}"
          f"{'s':>6}")


def _cell(mean: float, se: float, width: int) -> str:
    return f"{mean:.4g} ({se:.2g})".rjust(width)


def format_row(row: dict) -> str:
    cov, cov_se = row["coverage"]
    n_cal = f"{row['n_cal']:.0f}" if row["n_cal"] else "-"
    return (f"{row['dataset']:<10}{row['engine']:<10}{row['method']:<15}"
            f"{f'{cov:.3f} ({cov_se:.3f})':>16}{_cell(*row['mean_width'], 20)}"
            f"{_cell(*row['interval_score'], 22)}{row['crossing'][0]:>14.1%}{n_cal:>7}"
            f"{row['seconds']:>6.0f}")


# ---------------------------------------------------------------------------
# Online: one-step-ahead on series
# ---------------------------------------------------------------------------

ONLINE_SERIES = ("co2", "elnino", "sunspots", "nile", "synthetic")
SERIES["nile"] = dict(lags=(1, 2, 3), difference=False, calendar=False)
# (calibration, adaptation): split CQR as fitted, then each online method on the split
# calibration and on CV+ (fold models' mean forecast, out-of-fold scores start the window).
ONLINE_METHODS = [("conformal", None)] + [
    (calibration, adaptation) for calibration in ("conformal", "cv+")
    for adaptation in ("aci", "dtaci", "pid")
]
ROLLING = 200


def synthetic_series(n: int = 2000, seed: int = 0) -> Task:
    """AR(1) around a level, with the noise tripled from step 1100 and the level up by 4
    noise units from step 1500; lags 1-3 as features."""
    rng = np.random.default_rng(seed)
    scale = np.where(np.arange(n) < 1100, 1.0, 3.0)
    level = np.where(np.arange(n) < 1500, 0.0, 4.0)
    values = np.zeros(n)
    for t in range(1, n):
        values[t] = 0.6 * values[t - 1] + scale[t] * rng.normal()
    values += level
    X = np.column_stack([values[2:-1], values[1:-2], values[:-3]])
    return Task("synthetic", X, values[3:], True)


def load_online_task(name: str) -> Task:
    return synthetic_series() if name == "synthetic" else load_task(name)


def online_summary(covered, width, seconds) -> dict:
    covered = np.asarray(covered, dtype=np.float64)
    width = np.asarray(width, dtype=np.float64)
    finite = np.isfinite(width)
    if covered.size >= ROLLING:
        sums = np.cumsum(np.concatenate([[0.0], covered]))
        worst = float(np.min(sums[ROLLING:] - sums[:-ROLLING]) / ROLLING)
    else:
        worst = float(covered.mean())
    return {"coverage": float(covered.mean()), "worst": worst,
            "width": float(width[finite].mean()), "inf": int((~finite).sum()),
            "seconds": seconds}


def mapie_online(method, gamma, task, start, seed, n_jobs):
    """MAPIE's TimeSeriesRegressor, one step at a time as in its tutorial."""
    import warnings

    from lightgbm import LGBMRegressor
    from mapie.regression import TimeSeriesRegressor
    from mapie.subsample import BlockBootstrap

    regressor = LGBMRegressor(n_estimators=BOOSTING["n_estimators"],
                              learning_rate=BOOSTING["learning_rate"],
                              max_depth=BOOSTING["max_depth"], random_state=seed,
                              n_jobs=n_jobs, verbosity=-1)
    model = TimeSeriesRegressor(regressor, method=method, agg_function="mean",
                                cv=BlockBootstrap(n_resamplings=10, n_blocks=10,
                                                  overlapping=False, random_state=seed))
    X, y = task.X, task.y
    covered, width = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # update() warns about a changed behaviour each call
        model.fit(X[:start], y[:start])
        for t in range(start, y.size):
            _, bounds = model.predict(X[t:t + 1], confidence_level=COVERAGE, ensemble=True,
                                      allow_infinite_bounds=True)
            lower, upper = bounds[0, 0, 0], bounds[0, 1, 0]
            covered.append(lower <= y[t] <= upper)
            width.append(upper - lower)
            if method == "aci":
                model.adapt_conformal_inference(X[t:t + 1], y[t:t + 1], gamma=gamma,
                                                confidence_level=COVERAGE, ensemble=True)
            model.update(X[t:t + 1], y[t:t + 1], ensemble=True)
    return covered, width


def online_benchmark(names, engines, seed, n_jobs) -> list[dict]:
    rows = []
    for name in names:
        task = load_online_task(name)
        start = task.y.size // 2
        print(f"\n{name}: {task.y.size} rows, fit on {start}, {task.y.size - start} one-step "
              "forecasts", flush=True)
        methods = [(backend, method) for backend in engines for method in ONLINE_METHODS]
        if "lightgbm" in engines:
            methods += [("MAPIE", "aci gamma=0.01"), ("MAPIE", "aci gamma=0.05"),
                        ("MAPIE", "enbpi")]
        for engine, method in methods:
            began = time.perf_counter()
            if engine == "MAPIE":
                kind, _, gamma = method.partition(" gamma=")
                covered, width = mapie_online(kind, float(gamma or 0), task, start, seed, n_jobs)
                label = method
            else:
                calibration, adaptation = method
                model = boostloss_model(engine, calibration, True, seed, n_jobs,
                                        adaptation=adaptation)
                result = backtest(model, task.X, task.y, start=start, window=ROLLING)
                covered, width = result.covered, result.width
                label = ("split CQR" if adaptation is None else
                         f"{'split' if calibration == 'conformal' else 'cv+'} {adaptation}")
            row = {"dataset": name, "engine": engine, "method": label,
                   **online_summary(covered, width, time.perf_counter() - began)}
            rows.append(row)
            print(format_online(row), flush=True)
    return rows


ONLINE_HEADER = (f"{'series':<10}{'engine':<10}{'method':<16}{'coverage':>9}"
                 f"{'worst ' + str(ROLLING):>11}{'width':>11}{'inf':>5}{'s':>7}")


def format_online(row: dict) -> str:
    return (f"{row['dataset']:<10}{row['engine']:<10}{row['method']:<16}{row['coverage']:>9.3f}"
            f"{row['worst']:>11.3f}{row['width']:>11.4g}{row['inf']:>5}{row['seconds']:>7.1f}")


def timing(n_jobs: int) -> None:
    """LightGBM trains one model per level: serial (n_jobs=1) vs levels in parallel."""
    X, y = make_heteroscedastic(20000, 10, random_state=0)
    levels = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]
    print(f"\nLightGBM, 7 levels, 20000 x 10, {BOOSTING['n_estimators']} rounds, "
          "calibration=None (median of 3 fits):")
    for jobs in sorted({1, n_jobs}):
        seconds = []
        for _ in range(3):
            model = QuantileIntervalRegressor(quantiles=levels, backend="lightgbm",
                                              calibration=None, n_jobs=jobs, **BOOSTING)
            start = time.perf_counter()
            model.fit(X, y)
            seconds.append(time.perf_counter() - start)
        threads = [m.n_jobs for m in model.estimators_]
        print(f"  n_jobs={jobs}: {np.median(seconds):6.2f} s (threads per model {threads[0]}, "
              f"{min(7, jobs)} models at once)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=[*REGRESSION, *SERIES],
                        choices=[*REGRESSION, *SERIES])
    parser.add_argument("--engines", nargs="+", default=["xgboost", "lightgbm"],
                        choices=["xgboost", "lightgbm"])
    parser.add_argument("--repeats", type=int, default=20, help="random splits (regression)")
    parser.add_argument("--blocks", type=int, default=5, help="rolling-origin test blocks")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--timing", action="store_true",
                        help="also time LightGBM's per-level models serial vs parallel")
    parser.add_argument("--online", action="store_true", help="only the online table")
    parser.add_argument("--series", nargs="+", default=list(ONLINE_SERIES),
                        choices=list(ONLINE_SERIES), help="series of the online table")
    args = parser.parse_args()

    print(f"90% intervals (levels {LEVELS}); boosting {BOOSTING}; n_jobs={args.n_jobs}")
    if not args.online:
        rows = benchmark(args.datasets, args.engines, args.repeats, args.blocks, args.seed,
                         args.n_jobs)
        print("\nSummary (mean over splits, standard error in brackets; raw crossing: share "
              "of test rows whose quantiles cross before sorting)\n" + HEADER)
        for row in rows:
            print(format_row(row))
    online = online_benchmark(args.series, args.engines, args.seed, args.n_jobs)
    print(f"\nOnline one-step-ahead 90% intervals (worst {ROLLING}: lowest coverage over "
          f"{ROLLING} consecutive steps)\n" + ONLINE_HEADER)
    for row in online:
        print(format_online(row))
    if args.timing:
        timing(max(2, args.n_jobs))


if __name__ == "__main__":
    main()
