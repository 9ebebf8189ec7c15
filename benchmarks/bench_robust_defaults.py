"""Which Hessian (and which delta) should the robust regression losses use by default?

huber, pseudo_huber, log_cosh and fair have a second derivative that vanishes (Huber past
delta) or decays (the others) for large residuals, so boostloss returns a positive
surrogate. This benchmark compares the candidates on real regression data, with both
engines at their default learning rates (XGBoost eta 0.3, LightGBM 0.1; 100 rounds, the
engines' other defaults, one thread), each variant's held-out RMSE divided by
squared_error's on the same folds:

- ``floor 0.1``: ``hessian="exact", hessian_floor=0.1``: max(exact Hessian, 0.1), the
  default before issue 16;
- ``floor 1``: ``hessian="exact", hessian_floor=1``: 1 everywhere (the exact Hessian of these
  losses is at most 1), LightGBM's own huber; a leaf moves by the mean of its clipped residuals;
- ``irls``: ``hessian="irls"``, the default since issue 16: the IRLS / majorizer curvature
  psi(e)/e (Huber min(1, delta/|e|), pseudo-Huber 1/sqrt(1+(e/delta)^2), log-cosh tanh(e)/e,
  fair c/(|e|+c)): a leaf moves to the weighted mean of its residuals with the M-estimator's
  weights;
- ``adaptive``: Huber with delta re-set every round to the 0.9-quantile of the current
  absolute residuals (scikit-learn's GradientBoostingRegressor(loss="huber", alpha=0.9)),
  Hessian 1.

delta (huber, pseudo_huber) and c (fair) are the target's robust spread, 1.4826 * MAD of
the training targets (what ``boostloss compare`` sets); log_cosh has no scale parameter.
Each set runs clean, and with gross outliers injected into 10% of the *training* targets
(y + s * U(5, 10) * std(y), random sign s); held-out targets are never contaminated.

Datasets (13; nothing downloads): the shipped engel, diabetes and rand_hie (md_visits,
2,000-row subsample) and statsmodels' bundled star98 (NABOVE), macrodata (realgdp),
grunfeld (invest), fair (affairs, 2,000-row subsample), anes96 (popul), strikes (duration),
ccard (AVGEXP), statecrime (murder), heart (survival), cancer (cancer).

The summary prints, per engine and condition, the geometric mean over datasets of
RMSE / RMSE(squared_error), and how many sets are within 2% of squared_error (clean) or
better than it (contaminated). ``--per-dataset`` adds every set's ratios.

    python benchmarks/bench_robust_defaults.py                   # ~9 min on 1 busy core
    python benchmarks/bench_robust_defaults.py --folds 3 --rounds 100 --per-dataset
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np

import boostloss as bl
from boostloss.losses.regression import Fair, Huber, LogCosh, PseudoHuber

ENGINES = ("xgboost", "lightgbm")
CONDITIONS = ("clean", "outliers")
OUTLIER_SHARE = 0.10
MAX_ROWS = 2_000


# ------------------------------------------------------------------------------ variants
class HuberAdaptive(Huber):
    """delta = 0.9-quantile of |y - raw| at every call (i.e. every boosting round), Hessian 1."""

    def _grad_hess(self, y, raw):
        delta = float(np.quantile(np.abs(y - raw), 0.9)) or self.delta
        return -np.clip(y - raw, -delta, delta), np.ones_like(raw)


def variants(scale: float) -> dict[str, object]:
    """name -> loss instance, for a target whose robust spread is ``scale``."""
    out: dict[str, object] = {"squared_error": bl.get_loss("squared_error")}
    families = (
        ("huber", Huber, {"delta": scale}),
        ("pseudo_huber", PseudoHuber, {"delta": scale}),
        ("log_cosh", LogCosh, {}),
        ("fair", Fair, {"c": scale}),
    )
    for name, cls, params in families:
        out[f"{name} floor 0.1"] = cls(**params, hessian="exact", hessian_floor=0.1)
        out[f"{name} floor 1"] = cls(**params, hessian="exact", hessian_floor=1.0)
        out[f"{name} irls"] = cls(**params, hessian="irls")
    out["huber adaptive"] = HuberAdaptive(delta=scale, hessian="exact", hessian_floor=1.0)
    return out


# ------------------------------------------------------------------------------ data
def _subsample(X, y, seed=0):
    if y.size <= MAX_ROWS:
        return X, y
    keep = np.random.default_rng(seed).choice(y.size, MAX_ROWS, replace=False)
    return X[keep], y[keep]


def _statsmodels(name: str, target: str, drop: tuple[str, ...] = ()):
    import pandas as pd
    import statsmodels.api as sm

    frame = getattr(sm.datasets, name).load_pandas().data
    features = frame.drop(columns=[target, *drop])
    features = pd.get_dummies(features, dtype=float)
    return features.to_numpy(dtype=np.float64), frame[target].to_numpy(dtype=np.float64)


def _shipped(name: str):
    from boostloss.datasets import load_dataset

    X, y = load_dataset(name)
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)


def datasets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    sets = {
        "engel": _shipped("engel"),
        "diabetes": _shipped("diabetes"),
        "rand_hie": _shipped("rand_hie"),
        "star98": _statsmodels("star98", "NABOVE", ("NBELOW",)),
        "macrodata": _statsmodels("macrodata", "realgdp"),
        "grunfeld": _statsmodels("grunfeld", "invest"),
        "fair": _statsmodels("fair", "affairs"),
        "anes96": _statsmodels("anes96", "popul", ("logpopul",)),
        "strikes": _statsmodels("strikes", "duration"),
        "ccard": _statsmodels("ccard", "AVGEXP"),
        "statecrime": _statsmodels("statecrime", "murder"),
        "heart": _statsmodels("heart", "survival"),
        "cancer": _statsmodels("cancer", "cancer"),
    }
    return {name: _subsample(X, y) for name, (X, y) in sets.items()}


def robust_scale(y: np.ndarray) -> float:
    scale = 1.4826 * float(np.median(np.abs(y - np.median(y))))
    return scale if scale > 0 else float(np.std(y)) or 1.0


def contaminate(y: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = y.copy()
    rows = rng.choice(y.size, max(1, int(round(OUTLIER_SHARE * y.size))), replace=False)
    signs = rng.choice([-1.0, 1.0], rows.size)
    y[rows] += signs * rng.uniform(5.0, 10.0, rows.size) * np.std(y)
    return y


# ------------------------------------------------------------------------------ fitting
def fit_predict(engine: str, loss, X_train, y_train, X_test, rounds: int) -> np.ndarray:
    if engine == "xgboost":
        import xgboost as xgb

        booster = bl.xgboost.train({"nthread": 1, "seed": 0}, xgb.DMatrix(X_train, label=y_train),
                                   rounds, loss=loss)
        return bl.xgboost.predict(booster, X_test, output="raw", loss=loss)
    import lightgbm as lgb

    params = {"verbose": -1, "num_threads": 1, "seed": 0, "deterministic": True}
    # feature_pre_filter=False: on the smallest sets (40 training rows) LightGBM would
    # otherwise drop every feature that cannot split at min_data_in_leaf=20 and refuse to train.
    dataset = lgb.Dataset(X_train, label=y_train, params={"feature_pre_filter": False})
    model = bl.lightgbm.train(params, dataset, rounds, loss=loss)
    return bl.lightgbm.predict(model, X_test, output="raw", loss=loss)


def run(sets, folds: int, rounds: int) -> dict[tuple[str, str, str, str], float]:
    """(engine, condition, dataset, variant) -> held-out RMSE, mean over folds."""
    from sklearn.model_selection import KFold

    rmse: dict[tuple[str, str, str, str], list[float]] = {}
    for set_name, (X, y) in sets.items():
        start = time.perf_counter()
        for fold, (train, test) in enumerate(KFold(folds, shuffle=True, random_state=0).split(X)):
            for condition in CONDITIONS:
                y_train = y[train] if condition == "clean" else contaminate(y[train], fold)
                losses = variants(robust_scale(y_train))
                for engine in ENGINES:  # interleaved: every variant sees the same machine load
                    for variant, loss in losses.items():
                        predicted = fit_predict(engine, loss, X[train], y_train, X[test], rounds)
                        error = float(np.sqrt(np.mean((predicted - y[test]) ** 2)))
                        rmse.setdefault((engine, condition, set_name, variant), []).append(error)
        print(f"{set_name}: {y.size} rows, {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return {key: float(np.mean(values)) for key, values in rmse.items()}


# ------------------------------------------------------------------------------ output
def print_tables(rmse, set_names, per_dataset: bool) -> None:
    names = list(variants(1.0))
    for engine in ENGINES:
        print(f"\n{engine} (default learning rate), RMSE / RMSE(squared_error), "
              f"geometric mean over {len(set_names)} sets")
        header = f"{'variant':<22} {'clean':>7} {'<=1.02':>7} {'outliers':>9} {'<1':>5}"
        print(header)
        print("-" * len(header))
        for variant in names:
            cells = []
            for condition, threshold in (("clean", 1.02), ("outliers", 1.0)):
                ratios = np.array([
                    rmse[engine, condition, s, variant] / rmse[engine, condition, s, "squared_error"]
                    for s in set_names
                ])
                wins = int(np.sum(ratios <= threshold if condition == "clean" else ratios < 1.0))
                cells.append(f"{np.exp(np.mean(np.log(ratios))):.3f}")
                cells.append(f"{wins}/{len(set_names)}")
            print(f"{variant:<22} {cells[0]:>7} {cells[1]:>7} {cells[2]:>9} {cells[3]:>5}")
    if not per_dataset:
        return
    for engine in ENGINES:
        for condition in CONDITIONS:
            print(f"\n{engine}, {condition}: RMSE(squared_error) and each variant's ratio to it")
            print(f"{'variant':<22}" + "".join(f"{s[:10]:>11}" for s in set_names))
            base = [rmse[engine, condition, s, "squared_error"] for s in set_names]
            print(f"{'squared_error RMSE':<22}" + "".join(f"{b:>11.4g}" for b in base))
            for variant in names[1:]:
                ratios = [rmse[engine, condition, s, variant] / b for s, b in zip(set_names, base, strict=True)]
                print(f"{variant:<22}" + "".join(f"{r:>11.3f}" for r in ratios))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--datasets", nargs="*", default=None)
    parser.add_argument("--per-dataset", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    sets = datasets()
    if args.datasets:
        sets = {name: sets[name] for name in args.datasets}
    start = time.perf_counter()
    rmse = run(sets, args.folds, args.rounds)
    print(f"{len(sets)} datasets, {args.folds}-fold CV, {args.rounds} rounds, "
          f"{time.perf_counter() - start:.0f} s")
    print_tables(rmse, list(sets), args.per_dataset)


if __name__ == "__main__":
    main()
