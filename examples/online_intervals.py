"""Online adaptive intervals on a drifting real series: running coverage and width.

Weekly Mauna Loa CO2 (``datasets/co2.csv``, 1958-2001), forecast one week ahead: the
model predicts the change from the last week (lags 1-4 and 52 of the weekly changes) and
adds the last value back. The quantile models are fit on the first half of the weeks
(``time_ordered=True``); then every later week is forecast, its value is observed and the
model is updated, with no refit (``bl.intervals.backtest``). The weekly changes grew noisier
over the decades, so intervals calibrated once on the past slowly lose coverage; the online
methods see each miss and widen.

Compared, all 90% intervals from the same kind of quantile models:

- ``split CQR``: ``calibration="conformal"``, the shift of ``fit`` kept (``adaptation=None``);
- ``split + dtaci``: the same model, shifts adapted online (``adaptation="dtaci"``);
- ``cv+ + dtaci``: ``calibration="cv+"``: five contiguous-fold models whose mean is the
  forecast, every fit row fits and calibrates; shifts adapted online.

The picture: the last weeks with the adapted interval, the running coverage of each method
against the 90% line, and the width over a rolling year.

Run: ``python examples/online_intervals.py [--backend xgboost] [--out path.png] [--quick]``
(default output: ``examples/output/online_intervals.png``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from boostloss.datasets import load_series, make_lag_features  # noqa: E402
from boostloss.intervals import QuantileIntervalRegressor, backtest  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "output" / "online_intervals.png"
LAGS = (1, 2, 3, 4, 52)
ROLLING = 52  # weeks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["xgboost", "lightgbm"], default="xgboost")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="PNG path of the chart")
    parser.add_argument("--quick", action="store_true",
                        help="40 boosting rounds instead of 100 (a few seconds)")
    args = parser.parse_args()

    series = load_series("co2")
    changes = series.diff().iloc[1:]
    X, target = make_lag_features(changes, lags=LAGS, horizon=1)
    last_value = series.shift(1).loc[X.index].to_numpy()  # known at the forecast origin
    start = len(X) // 2
    print(f"co2: {len(X)} weeks with lags {LAGS} of the weekly change; fit on "
          f"{X.index[0]:%Y-%m}..{X.index[start - 1]:%Y-%m}, then {len(X) - start} one-week-ahead "
          f"forecasts to {X.index[-1]:%Y-%m}, backend {args.backend}")

    rounds = 40 if args.quick else 100
    common = dict(coverage=0.9, backend=args.backend, n_estimators=rounds, learning_rate=0.1,
                  max_depth=3, time_ordered=True, random_state=0, n_jobs=1)
    methods = {
        "split CQR": QuantileIntervalRegressor(**common),
        "split + dtaci": QuantileIntervalRegressor(adaptation="dtaci", **common),
        "cv+ + dtaci": QuantileIntervalRegressor(calibration="cv+", adaptation="dtaci", **common),
    }
    print(f"\n{'method':<15}{'coverage':>9}{'worst year':>12}{'width ppm':>11}{'seconds':>9}")
    results = {}
    for label, model in methods.items():
        began = time.perf_counter()
        result = backtest(model, X, target, start=start, window=ROLLING)
        results[label] = result
        print(f"{label:<15}{result.coverage:>9.3f}{result.worst_rolling_coverage:>12.3f}"
              f"{result.mean_width:>11.3f}{time.perf_counter() - began:>9.1f}")
    print(f"nominal coverage 0.900; 'worst year': lowest coverage over {ROLLING} "
          "consecutive weeks")

    chart(X.index[start:], target.to_numpy()[start:] + last_value[start:],
          last_value[start:], results, args)
    print(f"\nchart: {args.out}")


def chart(dates, actual, last_value, results, args) -> None:
    colors = {"split CQR": "tab:gray", "split + dtaci": "tab:orange", "cv+ + dtaci": "tab:blue"}
    fig, (top, middle, bottom) = plt.subplots(3, 1, figsize=(11, 9), sharex=False,
                                              gridspec_kw={"height_ratios": [1.3, 1, 1]})
    # Top: the last three years, adapted interval (cv+ + dtaci) and the split CQR one.
    show = slice(len(actual) - 156, len(actual))
    adapted = results["cv+ + dtaci"].intervals[show] + last_value[show, None]
    top.fill_between(dates[show], adapted[:, 0], adapted[:, 1], color=colors["cv+ + dtaci"],
                     alpha=0.35, linewidth=0, label="90% interval, cv+ + dtaci")
    fixed = results["split CQR"].intervals[show] + last_value[show, None]
    for j, name in enumerate(("90% interval, split CQR", None)):
        top.plot(dates[show], fixed[:, j], color=colors["split CQR"], linestyle="--",
                 linewidth=0.8, label=name)
    top.plot(dates[show], actual[show], color="black", linewidth=1.0, label="CO2 (ppm)")
    missed = ~results["cv+ + dtaci"].covered[show]
    top.scatter(dates[show][missed], actual[show][missed], color="tab:red", s=14, zorder=3,
                label="outside (cv+ + dtaci)")
    top.set_title("Mauna Loa CO2, one-week-ahead 90% intervals (last three years)")
    top.legend(loc="upper left", fontsize=8)
    top.set_ylabel("ppm")
    # Middle: running coverage (from week 26 on: the first weeks are all noise).
    for label, result in results.items():
        middle.plot(dates[26:], result.running_coverage[26:], color=colors[label], label=label)
    middle.axhline(0.9, color="black", linestyle="--", linewidth=0.8, label="nominal 0.90")
    middle.set_ylim(0.8, 1.0)
    middle.set_ylabel("running coverage")
    middle.legend(loc="lower left", fontsize=8, ncol=4)
    # Bottom: width over a rolling year.
    for label, result in results.items():
        width = np.convolve(result.width, np.ones(ROLLING) / ROLLING, mode="valid")
        bottom.plot(dates[ROLLING - 1:], width, color=colors[label], label=label)
    bottom.set_ylabel(f"width, mean of {ROLLING} weeks (ppm)")
    bottom.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
