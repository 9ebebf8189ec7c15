"""One-step-ahead interval forecasts of a real series, with a fan chart.

The series comes from ``datasets/`` (default: ``elnino``, the monthly Nino 1+2 sea surface
temperature, 1950-2010). Features are past values only (``make_lag_features``: lags 1, 2,
3, 6 and 12 months, plus the calendar month of the target); for a trending series
(``co2``) the model forecasts the change from the last value and adds that value back,
because trees cannot extrapolate a level they have never seen.

Time-ordered split, nothing shuffled:

    |---------------- fit (70%) ----------------|------ test (30%) ------|
    |---- quantile models ----|-- calibration --|
                               (last 25% of fit: QuantileIntervalRegressor(time_ordered=True))

Every test forecast uses the actual values up to the month before (a fixed model rolled
forward over the test period, no refitting). The table compares the raw quantile model
(``calibration=None``) with the conformally calibrated one; the fan chart shows the
calibrated 50%, 80% and 90% intervals and the median over the last test months.

Note: CQR's coverage guarantee assumes exchangeable rows; a time series is not, so on a
series the calibration is a well-founded correction, not a guarantee.

Run: ``python examples/interval_forecasting.py [--series elnino] [--backend xgboost]
[--out path.png] [--n-jobs 1] [--quick]`` (default output: ``examples/output/interval_forecasting.png``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

from boostloss.datasets import load_series, make_lag_features  # noqa: E402
from boostloss.intervals import QuantileIntervalRegressor, evaluate_intervals  # noqa: E402

LEVELS = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]
# Per series: lags (in steps) and whether to forecast changes instead of levels.
SERIES = {
    "elnino": dict(lags=(1, 2, 3, 6, 12), difference=False, calendar=True,
                   quantity="sea surface temperature, Niño 1+2 (°C)", step="month"),
    "co2": dict(lags=(1, 2, 3, 4, 52), difference=True, calendar=False,
                quantity="atmospheric CO₂ at Mauna Loa (ppmv)", step="week"),
    "sunspots": dict(lags=tuple(range(1, 12)), difference=False, calendar=False,
                     quantity="yearly sunspot number (count)", step="year"),
}
DEFAULT_OUT = Path(__file__).resolve().parent / "output" / "interval_forecasting.png"


def build_features(name: str):
    """(X, target, offset, series): the model predicts ``target``; forecasts are
    ``offset + predicted target`` (offset = last value for differenced series, else 0)."""
    config = SERIES[name]
    series = load_series(name)
    values = series.diff().iloc[1:] if config["difference"] else series
    X, target = make_lag_features(values, lags=config["lags"], horizon=1)
    if config["calendar"]:
        X = X.assign(month=X.index.month)
    offset = series.shift(1).loc[X.index] if config["difference"] else 0.0 * target
    return X, target, offset.to_numpy(), series.loc[X.index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", choices=sorted(SERIES), default="elnino")
    parser.add_argument("--backend", choices=["xgboost", "lightgbm"], default="xgboost")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="PNG path of the fan chart")
    parser.add_argument("--show-last", type=int, default=120, help="test steps in the chart")
    parser.add_argument("--n-jobs", type=int, default=1,
                        help="threads (LightGBM: levels trained in parallel)")
    parser.add_argument("--quick", action="store_true",
                        help="40 boosting rounds instead of 200 (a few seconds)")
    args = parser.parse_args()

    X, target, offset, actual = build_features(args.series)
    n_fit = int(0.7 * len(X))
    X_fit, y_fit = X.iloc[:n_fit], target.iloc[:n_fit]
    X_test = X.iloc[n_fit:]
    y_test, offset_test = actual.to_numpy()[n_fit:], offset[n_fit:]
    stamps = [str(t)[:10] for t in (actual.index[0], actual.index[n_fit - 1],
                                     actual.index[n_fit], actual.index[-1])]
    print(f"{args.series}: {len(X)} rows with lags {SERIES[args.series]['lags']}; fit on "
          f"{stamps[0]}..{stamps[1]}, test {stamps[2]}..{stamps[3]} ({len(X_test)} one-step "
          f"forecasts), backend {args.backend}")

    rounds, learning_rate = (40, 0.2) if args.quick else (200, 0.05)
    common = dict(coverage=0.9, quantiles=LEVELS, backend=args.backend, n_estimators=rounds,
                  learning_rate=learning_rate, max_depth=4, random_state=0, n_jobs=args.n_jobs)
    models = {
        "uncalibrated": QuantileIntervalRegressor(calibration=None, **common),
        "conformal (CQR)": QuantileIntervalRegressor(calibration="conformal",
                                                     time_ordered=True, **common),
    }
    print(f"\n{'model':<18}{'coverage':>10}{'width':>10}{'interval score':>16}"
          f"{'pinball':>10}{'fit s':>8}")
    forecasts = {}
    for label, model in models.items():
        start = time.perf_counter()
        model.fit(X_fit, y_fit)
        seconds = time.perf_counter() - start
        quantiles = model.predict_quantiles(X_test) + offset_test[:, None]
        forecasts[label] = quantiles
        table = evaluate_intervals(y_test, quantiles, model.levels_, coverage=0.9)
        print(f"{label:<18}{table['coverage']:>10.3f}{table['mean_width']:>10.3f}"
              f"{table['interval_score']:>16.3f}{table['mean_pinball']:>10.4f}{seconds:>8.1f}")
    shifts = models["conformal (CQR)"].calibration_shifts_[:, 0]
    levels = models["conformal (CQR)"].calibration_levels_
    print("conformal shifts Q per interval: " + ", ".join(
        f"{1 - 2 * lvl:.0%}: {q:+.3f}" for lvl, q in zip(levels, shifts, strict=True)))
    print("nominal coverage 0.900; coverage on the test period")

    fan_chart(actual.index[n_fit:], y_test, forecasts["conformal (CQR)"], args)
    print(f"\nfan chart: {args.out}")


def fan_chart(index, y_test, quantiles, args) -> None:
    show = slice(max(0, len(y_test) - args.show_last), len(y_test))
    time_axis = index[show]
    fig, ax = plt.subplots(figsize=(12, 4.5))
    # Levels are symmetric: column j and column -1-j bound the (1 - 2 tau) interval.
    for j, shade in zip(range(3), (0.18, 0.3, 0.45), strict=True):
        lower, upper = quantiles[show, j], quantiles[show, -1 - j]
        coverage = 1 - 2 * LEVELS[j]
        ax.fill_between(time_axis, lower, upper, color="tab:blue", alpha=shade, linewidth=0,
                        label=f"{coverage:.0%} interval")
    ax.plot(time_axis, quantiles[show, 3], color="tab:blue", linewidth=1.2, label="median")
    ax.plot(time_axis, y_test[show], color="black", linewidth=1.0, label="actual")
    outside = (y_test[show] < quantiles[show, 0]) | (y_test[show] > quantiles[show, -1])
    ax.scatter(time_axis[outside], y_test[show][outside], color="tab:red", s=14, zorder=3,
               label="outside 90%")
    config = SERIES[args.series]
    ax.set_title(f"{args.series}: one-step-ahead forecasts, conformal quantile intervals "
                 f"({args.backend})")
    ax.set_xlabel(f"date (one forecast per {config['step']}, test period)")
    ax.set_ylabel(config["quantity"])
    ax.grid(alpha=0.3)
    # The legend sits right of the axes, so it never hides a forecast or an observation.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
