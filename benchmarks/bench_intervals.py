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
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

from boostloss.datasets import load_dataset, load_series, make_heteroscedastic, make_lag_features
from boostloss.intervals import QuantileIntervalRegressor, evaluate_intervals

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


def boostloss_model(backend, calibration, time_ordered, seed, n_jobs):
    return QuantileIntervalRegressor(
        coverage=COVERAGE, quantiles=LEVELS, backend=backend, calibration=calibration,
        time_ordered=time_ordered, random_state=seed, n_jobs=n_jobs, **BOOSTING,
    )


METHODS = ("native", "boostloss", "boostloss+CQR")


def run_method(method, backend, task, fit, test, seed, n_jobs):
    X_fit, y_fit, X_test = task.X[fit], task.y[fit], task.X[test]
    if method == "native":
        run = native_xgboost if backend == "xgboost" else native_lightgbm
        quantiles = run(X_fit, y_fit, X_test, seed, n_jobs)
        return quantiles, quantiles, 0
    calibration = "conformal" if method == "boostloss+CQR" else None
    model = boostloss_model(backend, calibration, task.time_series, seed, n_jobs)
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
    args = parser.parse_args()

    print(f"90% intervals (levels {LEVELS}); boosting {BOOSTING}; n_jobs={args.n_jobs}")
    rows = benchmark(args.datasets, args.engines, args.repeats, args.blocks, args.seed,
                     args.n_jobs)
    print("\nSummary (mean over splits, standard error in brackets; raw crossing: share of "
          "test rows whose quantiles cross before sorting)\n" + HEADER)
    for row in rows:
        print(format_row(row))
    if args.timing:
        timing(max(2, args.n_jobs))


if __name__ == "__main__":
    main()
