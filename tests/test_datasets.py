"""Tests for ``boostloss.datasets``: shipped CSVs, their loaders, lag features, generators.

The per-dataset tests are generated from the registry ``DATASETS``; the generator tests
check each documented generating model against the data it produces.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import boostloss.datasets as bd
from boostloss.datasets import _generators as generators
from boostloss.datasets import _shipped as shipped

pd = pytest.importorskip("pandas")

ROOT = Path(__file__).resolve().parents[1]
NAMES = bd.list_datasets()
TIME_SERIES = [n for n in NAMES if bd.dataset_info(n).task == "time_series"]

# Positive rates stated in the descriptions and in datasets/README.md.
BINARY_POSITIVE_RATES = {"fair": 0.322, "breast_cancer": 0.373, "rand_hie_poor_health": 0.015}


def documented_beta(n_features: int) -> np.ndarray:
    """The coefficient vector as written in the generator docstrings."""
    j = np.arange(n_features)
    beta = (-1.0) ** j / np.sqrt(j + 1.0)
    return beta / np.linalg.norm(beta)


# ---------------------------------------------------------------------------
# Registry and files
# ---------------------------------------------------------------------------


def test_registry_covers_every_task_and_three_series():
    tasks = [bd.dataset_info(n).task for n in NAMES]
    assert set(tasks) == set(bd.TASKS)
    assert len(TIME_SERIES) >= 3
    assert NAMES == sorted(NAMES)
    assert all(bd.dataset_info(n).name == n for n in NAMES)


def test_every_csv_is_registered_and_every_registered_file_exists():
    on_disk = {p.name for p in (ROOT / "datasets").glob("*.csv")}
    registered = {bd.dataset_info(n).file_name for n in NAMES}
    assert on_disk == registered


def test_files_are_small():
    sizes = {p.name: p.stat().st_size for p in (ROOT / "datasets").glob("*.csv")}
    assert max(sizes.values()) < 1.5e6, sizes
    assert sum(sizes.values()) < 5e6


@pytest.mark.parametrize("name", NAMES)
def test_readme_documents_dataset(name):
    readme = (ROOT / "datasets" / "README.md").read_text(encoding="utf-8")
    info = bd.dataset_info(name)
    assert f"`{name}`" in readme
    assert info.file_name in readme
    assert f"`{info.target}`" in readme


@pytest.mark.parametrize("name", NAMES)
def test_frame_shape_columns_and_no_missing(name):
    info = bd.dataset_info(name)
    frame = bd.load_frame(name)
    assert frame.shape == (info.n_rows, info.n_columns)
    assert not frame.isna().any().any()
    for column in frame.columns:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", column), column
    assert info.target in frame.columns
    assert set(info.exclude) <= set(frame.columns)
    assert info.task in bd.TASKS
    assert info.description and info.source and info.license


@pytest.mark.parametrize("name", NAMES)
def test_load_dataset_as_frame(name):
    info = bd.dataset_info(name)
    X, y = bd.load_dataset(name)
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)
    assert len(X) == len(y) == info.n_rows
    assert y.name == info.target
    assert pd.api.types.is_numeric_dtype(y)
    assert np.isfinite(y.to_numpy(dtype=float)).all()
    assert info.target not in X.columns
    assert not set(info.exclude) & set(X.columns)
    if info.task == "time_series":
        assert list(X.columns) == [info.time_column]
    else:
        assert X.shape[1] == info.n_columns - 1 - len(info.exclude)
        assert all(pd.api.types.is_numeric_dtype(X[c]) for c in X.columns)


@pytest.mark.parametrize("name", NAMES)
def test_target_matches_task(name):
    info = bd.dataset_info(name)
    _, y = bd.load_dataset(name, as_frame=False)
    values = np.unique(y)
    if info.task == "binary":
        assert y.dtype.kind == "i"
        assert values.tolist() == [0, 1]
        rate = y.mean()
        assert rate < 0.5, "the positive class should be the minority class"
        assert rate == pytest.approx(BINARY_POSITIVE_RATES[name], abs=5e-4)
    elif info.task == "multiclass":
        assert y.dtype.kind == "i"
        assert len(values) >= 3
        assert values.tolist() == list(range(len(values)))
    elif info.task == "count":
        assert y.dtype.kind == "i"
        assert values.min() >= 0
        assert (y == 0).any() and values.max() > 1
    elif info.task == "regression":
        assert y.dtype.kind == "f"
        assert len(values) > 20
    else:
        assert info.task == "time_series"
        assert y.dtype.kind == "f"


def test_an_imbalanced_binary_set_is_shipped():
    rates = {
        n: bd.load_dataset(n, as_frame=False)[1].mean()
        for n in NAMES
        if bd.dataset_info(n).task == "binary"
    }
    assert min(rates.values()) < 0.05
    assert sum(rate < 0.35 for rate in rates.values()) >= 2


def test_rand_hie_poor_health_drops_the_leaking_columns():
    X, y = bd.load_dataset("rand_hie_poor_health")
    assert "health_good" not in X.columns and "health_fair" not in X.columns
    frame = bd.load_frame("rand_hie_poor_health")
    # The excluded dummies really are exclusive with the target: they would leak it.
    assert (frame["health_good"] + frame["health_fair"] + frame["health_poor"]).max() == 1


@pytest.mark.parametrize("name", NAMES)
def test_numpy_path_matches_frame_path_and_needs_no_pandas(name, monkeypatch):
    info = bd.dataset_info(name)
    X_frame, y_frame = bd.load_dataset(name)
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` now fails
    X, y = bd.load_dataset(name, as_frame=False)
    assert isinstance(X, np.ndarray) and isinstance(y, np.ndarray)
    assert X.shape == X_frame.shape and y.shape == (info.n_rows,)
    np.testing.assert_array_equal(y, y_frame.to_numpy())
    assert y.dtype == y_frame.dtype
    if info.time_column == "date":
        expected = X_frame[info.time_column].to_numpy().astype("datetime64[D]")
        np.testing.assert_array_equal(X[:, 0], expected)
    else:
        assert X.dtype.kind in "fi"
        np.testing.assert_array_equal(X, X_frame.to_numpy(dtype=X.dtype))


def test_frames_need_pandas_and_say_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=re.escape("pip install boostloss[sklearn]")):
        bd.load_dataset("wine")
    with pytest.raises(ImportError, match="pandas"):
        bd.load_frame("wine")
    with pytest.raises(ImportError, match="pandas"):
        bd.load_series("nile")
    assert bd.load_series("nile", as_frame=False).shape == (100,)


@pytest.mark.parametrize("bad", ["iris", "", "Engel", None, 3])
def test_unknown_name_raises_and_lists_valid_names(bad):
    for function in (bd.load_dataset, bd.load_frame, bd.dataset_info, bd.load_series):
        with pytest.raises(ValueError, match="Valid names: .*engel.*wine"):
            function(bad)


def test_load_series_rejects_non_time_series():
    with pytest.raises(ValueError, match="not a time series.*nile"):
        bd.load_series("wine")


@pytest.mark.parametrize("name", TIME_SERIES)
def test_load_series(name):
    info = bd.dataset_info(name)
    series = bd.load_series(name)
    frame = bd.load_frame(name)
    assert isinstance(series, pd.Series) and series.name == info.target
    assert len(series) == info.n_rows
    assert series.index.is_monotonic_increasing and series.index.is_unique
    np.testing.assert_array_equal(series.to_numpy(), frame[info.target].to_numpy(float))
    np.testing.assert_array_equal(bd.load_series(name, as_frame=False), series.to_numpy())
    if info.time_column == "date":
        assert isinstance(series.index, pd.DatetimeIndex)
        assert series.index.freq is not None  # regular: no gaps
    else:
        assert np.all(np.diff(series.index.to_numpy()) == 1)  # one row per year, no gaps


# ---------------------------------------------------------------------------
# Finding the files
# ---------------------------------------------------------------------------


def test_checkout_folder_is_the_repository_datasets_folder():
    assert shipped._checkout_data_dir() == ROOT / "datasets"


def test_package_data_is_searched_before_the_checkout(tmp_path, monkeypatch):
    lines = (ROOT / "datasets" / "nile.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "nile.csv").write_text("\n".join(lines[:11]) + "\n", encoding="utf-8")
    monkeypatch.setattr(shipped, "_package_data_dir", lambda: tmp_path)
    assert len(bd.load_frame("nile")) == 10
    assert bd.load_dataset("nile", as_frame=False)[1].shape == (10,)
    # A file missing from the package folder falls back to the checkout.
    assert len(bd.load_frame("sunspots")) == 309


def test_no_package_data_falls_back_to_checkout(monkeypatch):
    monkeypatch.setattr(shipped, "_package_data_dir", lambda: None)
    assert len(bd.load_frame("nile")) == 100


def test_missing_file_raises_file_not_found(tmp_path, monkeypatch):
    monkeypatch.setattr(shipped, "_package_data_dir", lambda: tmp_path / "pkg")
    monkeypatch.setattr(shipped, "_checkout_data_dir", lambda: tmp_path / "checkout")
    with pytest.raises(FileNotFoundError, match=r"'nile\.csv'.*Searched"):
        bd.load_dataset("nile")
    with pytest.raises(FileNotFoundError, match="nile.csv"):
        bd.load_dataset("nile", as_frame=False)


def test_import_is_cheap():
    # Load the package on its own (not through boostloss/__init__) in a fresh
    # interpreter and check that it pulls in neither pandas nor scipy.
    package = ROOT / "boostloss" / "datasets"
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('bl_datasets', {str(package / '__init__.py')!r}, "
        f"submodule_search_locations=[{str(package)!r}])\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules['bl_datasets'] = module\n"
        "spec.loader.exec_module(module)\n"
        "print(sorted(m for m in ('pandas', 'scipy', 'sklearn') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------------------
# make_lag_features
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("lags", "horizon"), [((1,), 1), ((1, 2, 5), 3), ((3, 1), 2), ((4,), 7)])
def test_lag_features_on_arange(lags, horizon):
    n = 30
    X, y = bd.make_lag_features(np.arange(n, dtype=float), lags=lags, horizon=horizon)
    start = max(lags) + horizon - 1
    assert X.shape == (n - start, len(lags)) and y.shape == (n - start,)
    np.testing.assert_array_equal(y, np.arange(start, n))
    for j, lag in enumerate(lags):
        # Each value of the arange is its own time stamp: the feature is y[t - k].
        np.testing.assert_array_equal(X[:, j], y - (lag + horizon - 1))
    # Nothing later than the forecast origin t - horizon is ever a feature.
    assert np.all(X.max(axis=1) <= y - horizon)
    assert np.all(X.max(axis=1) == y - horizon - min(lags) + 1)


def test_lag_features_never_see_the_future():
    rng = np.random.default_rng(0)
    values = rng.normal(size=50)
    horizon = 3
    X, y = bd.make_lag_features(values, lags=(1, 2, 4), horizon=horizon)
    start = 4 + horizon - 1
    for row in range(len(y)):
        t = start + row
        changed = values.copy()
        changed[t - horizon + 1 :] += 1000.0  # rewrite everything after the origin
        X_changed, y_changed = bd.make_lag_features(changed, lags=(1, 2, 4), horizon=horizon)
        np.testing.assert_array_equal(X_changed[row], X[row])
        assert y_changed[row] == y[row] + 1000.0


def test_lag_features_keep_pandas_index_and_name():
    index = pd.date_range("2000-01-01", periods=12, freq="MS")
    series = pd.Series(np.arange(12.0), index=index, name="value")
    X, y = bd.make_lag_features(series, lags=(1, 2), horizon=2)
    assert list(X.columns) == ["lag_2", "lag_3"]
    assert X.index.equals(index[3:]) and y.index.equals(index[3:])
    assert y.name == "value"
    np.testing.assert_array_equal(X["lag_2"].to_numpy(), y.to_numpy() - 2)


def test_lag_features_on_a_shipped_series():
    series = bd.load_series("nile")
    X, y = bd.make_lag_features(series, lags=(1, 2, 3), horizon=1)
    assert len(X) == 97 and y.index[0] == 1874
    assert X.loc[1874, "lag_1"] == series.loc[1873]
    assert X.loc[1874, "lag_3"] == series.loc[1871]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lags": ()}, "at least one lag"),
        ({"lags": (0, 1)}, "lag must be an integer >= 1"),
        ({"lags": (1.5,)}, "lag must be an integer >= 1"),
        ({"lags": (1, 1)}, "distinct"),
        ({"lags": None}, "lags must be a sequence"),
        ({"horizon": 0}, "horizon must be an integer >= 1"),
        ({"lags": (5,), "horizon": 6}, "need at least 11"),
    ],
)
def test_lag_features_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bd.make_lag_features(np.arange(10.0), **kwargs)


def test_lag_features_reject_2d_input():
    with pytest.raises(ValueError, match="1-D"):
        bd.make_lag_features(np.zeros((10, 2)))


# ---------------------------------------------------------------------------
# Generators: shared contract
# ---------------------------------------------------------------------------

GENERATORS = {
    "regression_outliers": (bd.make_regression_outliers, {"n_features": 6}),
    "regression_outliers_gaussian": (
        bd.make_regression_outliers,
        {"n_features": 6, "noise": "gaussian"},
    ),
    "heteroscedastic": (bd.make_heteroscedastic, {"n_features": 4}),
    "imbalanced": (bd.make_imbalanced_classification, {"n_features": 5}),
    "multiclass": (bd.make_multiclass, {"n_features": 5, "n_classes": 4}),
    "counts": (bd.make_counts, {"n_features": 3}),
    "multilabel": (bd.make_multilabel, {"n_features": 5, "n_labels": 3}),
}


def y_shape(name: str, n: int) -> tuple[int, ...]:
    return (n, 3) if name == "multilabel" else (n,)


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_generator_shape_dtype_and_determinism(name, dtype):
    make, kwargs = GENERATORS[name]
    X, y = make(1000, random_state=7, dtype=dtype, **kwargs)
    assert X.shape == (1000, kwargs["n_features"]) and y.shape == y_shape(name, 1000)
    assert X.dtype == dtype and y.dtype == dtype
    assert np.isfinite(X).all() and np.isfinite(y).all()
    X2, y2 = make(1000, random_state=7, dtype=dtype, **kwargs)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make(1000, random_state=8, dtype=dtype, **kwargs)
    assert not np.array_equal(X, X3)
    X4, y4 = make(1000, random_state=np.random.default_rng(7), dtype=dtype, **kwargs)
    np.testing.assert_array_equal(X, X4)
    np.testing.assert_array_equal(y, y4)


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_single_row(name):
    make, kwargs = GENERATORS[name]
    X, y = make(1, random_state=0, **kwargs)
    assert X.shape == (1, kwargs["n_features"]) and y.shape == y_shape(name, 1)


BAD_COMMON = [
    ({"n_samples": 0}, "n_samples must be an integer >= 1"),
    ({"n_samples": 10.0}, "n_samples must be an integer >= 1"),
    ({"n_samples": True}, "n_samples must be an integer >= 1"),
    ({"n_features": 0}, "n_features must be an integer >= 1"),
    ({"random_state": -1}, "random_state must be None, an integer >= 0"),
    ({"random_state": "seed"}, "random_state must be None, an integer >= 0"),
    ({"dtype": np.int32}, "dtype must be float32 or float64"),
    ({"dtype": np.float16}, "dtype must be float32 or float64"),
]


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize(("bad", "match"), BAD_COMMON)
def test_generator_rejects_bad_common_arguments(name, bad, match):
    make, kwargs = GENERATORS[name]
    arguments = {"n_samples": 10, **kwargs, **bad}
    with pytest.raises(ValueError, match=match):
        make(**arguments)


@pytest.mark.parametrize(
    ("make", "bad", "match"),
    [
        (
            bd.make_regression_outliers,
            {"outlier_fraction": -0.1},
            r"outlier_fraction .*\[0\.0, 0\.5\)",
        ),
        (
            bd.make_regression_outliers,
            {"outlier_fraction": 0.5},
            r"outlier_fraction .*\[0\.0, 0\.5\)",
        ),
        (bd.make_regression_outliers, {"outlier_fraction": float("nan")}, "outlier_fraction"),
        (
            bd.make_regression_outliers,
            {"noise": "cauchy"},
            "noise must be 'student_t' or 'gaussian'",
        ),
        (
            bd.make_imbalanced_classification,
            {"positive_rate": 0.0},
            r"positive_rate .*\(0\.0, 1\.0\)",
        ),
        (
            bd.make_imbalanced_classification,
            {"positive_rate": 1.0},
            r"positive_rate .*\(0\.0, 1\.0\)",
        ),
        (bd.make_multiclass, {"n_classes": 1}, "n_classes must be an integer >= 2"),
        (bd.make_counts, {"mean_count": 0.0}, r"mean_count .*\(0\.0, 1000000\.0\]"),
        (bd.make_counts, {"mean_count": -1.0}, "mean_count"),
        (bd.make_multilabel, {"n_labels": 0}, "n_labels must be an integer >= 1"),
        (bd.make_multilabel, {"positive_rate": 1.5}, "positive_rate"),
    ],
)
def test_generator_rejects_bad_specific_arguments(make, bad, match):
    with pytest.raises(ValueError, match=match):
        make(10, **bad)


def test_million_rows_float32_is_compact():
    X, y = bd.make_regression_outliers(1_000_000, random_state=0, dtype=np.float32)
    assert X.dtype == np.float32 and X.flags.c_contiguous
    assert X.nbytes == 1_000_000 * 20 * 4 and y.nbytes == 1_000_000 * 4


# ---------------------------------------------------------------------------
# Generators: the documented models
# ---------------------------------------------------------------------------


def test_regression_outliers_fraction_and_clean_model():
    n, p = 20_000, 5
    X, y = bd.make_regression_outliers(n, p, 0.05, "gaussian", random_state=1)
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    residual = y - X @ coef
    # Gaussian noise has sd 0.5 and every outlier is shifted by 5 to 10.
    assert np.sum(np.abs(residual) > 2.5) == round(0.05 * n)
    np.testing.assert_allclose(coef, documented_beta(p), atol=0.05)

    X, y = bd.make_regression_outliers(n, p, 0.0, "gaussian", random_state=1)
    residual = y - X @ documented_beta(p)
    assert np.abs(residual).max() < 2.5
    assert residual.std() == pytest.approx(0.5, rel=0.03)


@pytest.mark.parametrize("fraction", [0.01, 0.2])
def test_regression_outliers_fraction_student_t(fraction):
    n, p = 50_000, 4
    X, y = bd.make_regression_outliers(n, p, fraction, random_state=2)
    residual = y - X @ documented_beta(p)
    # t(3) noise * 0.5 rarely exceeds 4 (P ~ 0.7%); outliers exceed it unless the
    # noise pulls them back by more than 1.
    assert np.mean(np.abs(residual) > 4.0) == pytest.approx(fraction, abs=0.01)


def test_student_t_noise_is_heavier_tailed_than_gaussian():
    kurtosis = {}
    for noise in ("student_t", "gaussian"):
        X, y = bd.make_regression_outliers(50_000, 3, 0.0, noise, random_state=3)
        r = y - X @ documented_beta(3)
        kurtosis[noise] = np.mean((r - r.mean()) ** 4) / r.var() ** 2 - 3.0
    assert abs(kurtosis["gaussian"]) < 0.15
    assert kurtosis["student_t"] > 3.0


def test_heteroscedastic_true_interval_covers_and_scale_depends_on_x0():
    n, p = 200_000, 4
    X, y = bd.make_heteroscedastic(n, p, random_state=4)
    mean = X @ documented_beta(p)
    scale = 0.25 + 0.75 * np.abs(X[:, 0])
    covered = np.abs(y - mean) <= 1.6448536 * scale
    assert covered.mean() == pytest.approx(0.90, abs=0.004)
    low, high = np.abs(X[:, 0]) < 0.3, np.abs(X[:, 0]) > 1.5
    # Coverage of the true interval holds in both regions ...
    assert covered[low].mean() == pytest.approx(0.90, abs=0.01)
    assert covered[high].mean() == pytest.approx(0.90, abs=0.01)
    # ... while the spread itself differs several-fold (heteroscedastic).
    assert (y - mean)[high].std() > 3.0 * (y - mean)[low].std()


@pytest.mark.parametrize("rate", [0.01, 0.05, 0.3])
def test_imbalanced_positive_rate(rate):
    n, p = 200_000, 6
    X, y = bd.make_imbalanced_classification(n, p, rate, random_state=5)
    assert set(np.unique(y).tolist()) == {0.0, 1.0}
    tolerance = 4.0 * np.sqrt(rate * (1.0 - rate) / n)
    assert y.mean() == pytest.approx(rate, abs=tolerance)
    # The labels follow X @ beta: top decile much richer in positives than the bottom.
    score = X @ documented_beta(p)
    top, bottom = score > np.quantile(score, 0.9), score < np.quantile(score, 0.1)
    assert y[top].mean() > 5 * max(y[bottom].mean(), 1e-4)


@pytest.mark.parametrize("rate", [1e-4, 0.05, 0.5, 0.97])
def test_intercept_matches_rate_by_independent_integration(rate):
    integrate = pytest.importorskip("scipy.integrate")
    stats = pytest.importorskip("scipy.stats")
    intercept = generators._intercept_for_rate(rate, 3.0)

    def integrand(z):
        return stats.norm.pdf(z) / (1.0 + np.exp(-(3.0 * z + intercept)))

    expected, _ = integrate.quad(integrand, -12, 12, epsabs=1e-13)
    assert expected == pytest.approx(rate, rel=1e-7)


def test_multiclass_labels_and_signal():
    n_classes = 7
    X, y = bd.make_multiclass(100_000, 6, n_classes, random_state=6)  # > one chunk
    assert np.array_equal(np.unique(y), np.arange(n_classes, dtype=float))
    linear_model = pytest.importorskip("sklearn.linear_model")
    model = linear_model.LogisticRegression(max_iter=500).fit(X[:20_000], y[:20_000])
    accuracy = model.score(X[20_000:40_000], y[20_000:40_000])
    class_share = np.bincount(y.astype(int)).max() / len(y)
    assert accuracy > class_share + 0.15


def test_counts_follow_the_documented_poisson_model():
    n, p, mean_count = 200_000, 3, 2.5
    X, y = bd.make_counts(n, p, mean_count=mean_count, random_state=8)
    assert y.min() >= 0 and np.array_equal(y, np.round(y))
    assert y.mean() == pytest.approx(mean_count, rel=0.01)
    mu = np.exp(np.log(mean_count) - 0.125 + 0.5 * (X @ documented_beta(p)))
    # Given X the counts are Poisson(mu): E[y / mu] = 1 and Pearson dispersion = 1.
    assert np.mean(y / mu) == pytest.approx(1.0, abs=0.01)
    assert np.mean((y - mu) ** 2 / mu) == pytest.approx(1.0, abs=0.02)
    # Marginally over-dispersed.
    assert y.var() > 1.1 * y.mean()


def test_multilabel_rates_and_distinct_labels():
    n = 100_000
    X, y = bd.make_multilabel(n, 8, 4, positive_rate=0.1, random_state=9)
    assert y.shape == (n, 4)
    assert set(np.unique(y).tolist()) == {0.0, 1.0}
    np.testing.assert_allclose(y.mean(axis=0), 0.1, atol=4 * np.sqrt(0.09 / n))
    correlation = np.corrcoef(y, rowvar=False)
    assert np.all(np.abs(correlation[np.triu_indices(4, 1)]) < 0.95)
