"""The real datasets shipped in ``datasets/``: their facts (``DATASETS``), finding and
reading the files, and the public loaders."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd
from ._checks import _check_int, _check_lags

TASKS = ("regression", "binary", "multiclass", "count", "time_series")


@dataclass(frozen=True)
class DatasetInfo:
    """Facts about one shipped dataset.

    Attributes
    ----------
    name : str
        Name passed to ``load_dataset``.
    file_name : str
        CSV file in the ``datasets/`` folder. Several datasets may share a file and
        differ in ``target`` and ``exclude``.
    target : str
        Column holding the target (numeric).
    task : str
        One of ``"regression"``, ``"binary"``, ``"multiclass"``, ``"count"``,
        ``"time_series"``.
    description : str
        One line saying what a row is and what the target measures.
    source : str
        Package function the file was made from, and the original reference.
    license : str
        License or copyright statement as given by the package that bundles the data.
    n_rows, n_columns : int
        Shape of the whole CSV file (``load_frame``), target included.
    exclude : tuple of str
        Columns of the file left out of ``X`` besides the target (e.g. columns that
        would leak the target).
    time_column : str or None
        For time series: the column holding the time stamp (``"date"``, ISO dates, or
        ``"year"``, integers). ``None`` otherwise.
    """

    name: str
    file_name: str
    target: str
    task: str
    description: str
    source: str
    license: str
    n_rows: int
    n_columns: int
    exclude: tuple[str, ...] = ()
    time_column: str | None = None


# ---------------------------------------------------------------------------
# Finding and reading the files
# ---------------------------------------------------------------------------

_PANDAS_HINT = (
    "pandas is required for as_frame=True (and for load_frame); install it with "
    "`pip install boostloss[sklearn]`, or pass as_frame=False to get numpy arrays."
)


def _import_pandas():
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError(_PANDAS_HINT) from exc
    return pd


def _package_data_dir():
    """``boostloss/_datasets`` inside an installed wheel, or None if unavailable."""
    from importlib import resources

    try:
        return resources.files("boostloss") / "_datasets"
    except (ImportError, TypeError, ValueError, AttributeError):
        # Not importable as a regular package (e.g. a namespace checkout): no package data.
        return None


def _checkout_data_dir() -> Path:
    """The ``datasets/`` folder at the root of a source checkout."""
    return Path(__file__).resolve().parents[2] / "datasets"


def _dataset_file(file_name: str):
    """Return a readable handle (Path or importlib Traversable) for ``file_name``.

    Looks in the package data first, then in the checkout's ``datasets/`` folder.
    """
    searched = []
    for folder in (_package_data_dir(), _checkout_data_dir()):
        if folder is None:
            continue
        candidate = folder / file_name
        searched.append(str(candidate))
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"Dataset file {file_name!r} was not found. Searched: {', '.join(searched)}. "
        "An installed wheel ships it in boostloss/_datasets; a source checkout keeps it "
        "in the datasets/ folder at the repository root (regenerate with "
        "`python datasets/_make_datasets.py`)."
    )


def _read_frame(info: DatasetInfo) -> pd.DataFrame:
    pd = _import_pandas()
    with _dataset_file(info.file_name).open("rb") as handle:
        # Correctly rounded floats, as Python's float() gives the numpy path: pandas < 3's
        # default C parser can be one ulp off (seen on co2 with pandas 2.3); pandas 3 rounds
        # correctly by default and deprecates the option.
        exact = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
        frame = pd.read_csv(handle, **exact)
    if info.time_column == "date":
        frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    return frame


def _parse_column(name: str, tokens: list[str]) -> np.ndarray:
    """Parse one CSV column without pandas, with the dtypes pandas would infer."""
    if name == "date":
        return np.array(tokens, dtype="datetime64[D]")
    try:
        return np.array([int(t) for t in tokens], dtype=np.int64)
    except ValueError:
        return np.array([float(t) for t in tokens], dtype=np.float64)


def _read_columns(info: DatasetInfo) -> dict[str, np.ndarray]:
    """Read a CSV into ``{column: array}`` with the standard library and numpy only."""
    import csv
    import io

    with _dataset_file(info.file_name).open("rb") as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        rows = list(csv.reader(text))
    header, body = rows[0], rows[1:]
    return {name: _parse_column(name, [row[i] for row in body]) for i, name in enumerate(header)}


# ---------------------------------------------------------------------------
# Public loaders
# ---------------------------------------------------------------------------


def list_datasets() -> list[str]:
    """Names of the shipped datasets, sorted.

    Examples
    --------
    >>> "engel" in list_datasets()
    True
    """
    return sorted(DATASETS)


def dataset_info(name: str) -> DatasetInfo:
    """Metadata of a shipped dataset (file, target, task, source, license, shape).

    Raises
    ------
    ValueError
        If ``name`` is not a shipped dataset; the message lists the valid names.
    """
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown dataset {name!r}. Valid names: {', '.join(list_datasets())}."
        ) from None


def load_frame(name: str) -> pd.DataFrame:
    """The whole CSV file of a dataset as a pandas DataFrame (target included).

    Time columns named ``date`` are parsed to ``datetime64``. Requires pandas.
    """
    return _read_frame(dataset_info(name))


def load_dataset(name: str, *, as_frame: bool = True) -> tuple[Any, Any]:
    """Load a shipped dataset as ``(X, y)``.

    Parameters
    ----------
    name : str
        One of ``list_datasets()``.
    as_frame : bool, default True
        If True return a pandas DataFrame ``X`` and Series ``y`` (requires pandas). If
        False return numpy arrays and do not need pandas: ``X`` is 2-D ``float64``
        (``datetime64[D]`` dates or ``int64`` years for a time series) and ``y`` is 1-D,
        ``int64`` for integer-valued targets (classes, counts) and ``float64`` otherwise.

    Returns
    -------
    X : DataFrame or ndarray of shape (n_rows, n_features)
        Every column except the target and ``dataset_info(name).exclude``. For a time
        series this is only the time column: use ``load_series`` and
        ``make_lag_features`` to build forecasting features.
    y : Series or ndarray of shape (n_rows,)
        The target column.

    Examples
    --------
    >>> X, y = load_dataset("wine", as_frame=False)
    >>> X.shape, sorted(set(y.tolist()))
    ((178, 13), [0, 1, 2])
    """
    info = dataset_info(name)
    dropped = {info.target, *info.exclude}
    if as_frame:
        frame = _read_frame(info)
        features = [c for c in frame.columns if c not in dropped]
        return frame[features], frame[info.target]
    columns = _read_columns(info)
    features = [c for c in columns if c not in dropped]
    if info.time_column is not None:
        X = columns[info.time_column].reshape(-1, 1)
    else:
        X = np.column_stack([columns[c].astype(np.float64) for c in features])
    return X, columns[info.target]


def load_series(name: str, *, as_frame: bool = True) -> Any:
    """Load a shipped time series.

    Parameters
    ----------
    name : str
        A dataset whose task is ``"time_series"``.
    as_frame : bool, default True
        If True return a pandas Series indexed by time (a ``DatetimeIndex`` with its
        frequency set for ``date`` columns, an integer index named ``year`` otherwise).
        If False return the values as a 1-D ``float64`` array in time order.

    Raises
    ------
    ValueError
        If the dataset is unknown or is not a time series.
    """
    info = dataset_info(name)
    if info.task != "time_series":
        series_names = [n for n in list_datasets() if DATASETS[n].task == "time_series"]
        raise ValueError(
            f"Dataset {name!r} is a {info.task} dataset, not a time series. "
            f"Time series: {', '.join(series_names)}."
        )
    if not as_frame:
        return _read_columns(info)[info.target].astype(np.float64)
    pd = _import_pandas()
    frame = _read_frame(info)
    if info.time_column == "date":
        # freq="infer" records the regular step (weekly, month start) for forecasters.
        index = pd.DatetimeIndex(frame["date"], freq="infer", name="date")
    else:
        index = pd.Index(frame[info.time_column].to_numpy(), name=info.time_column)
    return pd.Series(frame[info.target].to_numpy(dtype=np.float64), index=index, name=info.target)


def make_lag_features(series: Any, lags: Any = (1, 2, 3), horizon: int = 1) -> tuple[Any, Any]:
    """Lag features and target for direct ``horizon``-step-ahead forecasting.

    The forecast for time ``t`` is made at the origin ``t - horizon``, so it may only use
    values up to and including ``y[t - horizon]``. Lag ``l`` (``l = 1`` is the latest value
    known at the origin) is therefore the value ``k = l + horizon - 1`` steps before the
    target, and its column is named ``lag_{k}``::

        X[t, "lag_{k}"] = y[t - k],   k = l + horizon - 1 >= horizon,   target = y[t]

    Rows whose lags would reach before the start of the series are dropped; nothing
    else is (missing values in ``series`` are passed through).

    Parameters
    ----------
    series : pandas Series or 1-D array-like
        Values in time order (e.g. from ``load_series``).
    lags : sequence of int, default (1, 2, 3)
        Distinct positive lags, counted back from the forecast origin.
    horizon : int, default 1
        Number of steps ahead, ``>= 1``.

    Returns
    -------
    X : DataFrame or ndarray of shape (n - max(lags) - horizon + 1, len(lags))
        A DataFrame indexed like the target rows if ``series`` is a pandas Series,
        otherwise a ``float64`` array. Columns follow the order of ``lags``.
    y : Series or ndarray of shape (n - max(lags) - horizon + 1,)
        The target ``y[t]`` for each row.

    Examples
    --------
    Two steps ahead from the latest two values (columns ``lag_2`` and ``lag_3``):

    >>> X, y = make_lag_features(np.arange(6.0), lags=(1, 2), horizon=2)
    >>> X.tolist()
    [[1.0, 0.0], [2.0, 1.0], [3.0, 2.0]]
    >>> y.tolist()
    [3.0, 4.0, 5.0]
    """
    lag_list = _check_lags(lags)
    horizon = _check_int("horizon", horizon, 1)
    steps = [lag + horizon - 1 for lag in lag_list]
    pd = sys.modules.get("pandas")
    is_series = pd is not None and isinstance(series, pd.Series)
    values = np.asarray(series.to_numpy() if is_series else series, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"series must be 1-D, got an array of shape {values.shape}.")
    n = values.shape[0]
    start = max(steps)
    if n <= start:
        raise ValueError(
            f"series has {n} values; lags up to {max(lag_list)} with horizon {horizon} "
            f"need at least {start + 1}."
        )
    # Column for step k holds y[t - k] for targets t = start, ..., n - 1.
    X = np.column_stack([values[start - k : n - k] for k in steps])
    y = values[start:]
    if not is_series:
        return X, y
    index = series.index[start:]
    X_frame = pd.DataFrame(X, index=index, columns=[f"lag_{k}" for k in steps])
    return X_frame, pd.Series(y, index=index, name=series.name)



# ---------------------------------------------------------------------------
# Registry. Shapes are those of the CSV files; tests check them against the files.
# ---------------------------------------------------------------------------

_SKLEARN = "scikit-learn (BSD-3-Clause)"
_UCI = "UCI Machine Learning Repository (which lists it under CC BY 4.0)"

DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in [
        DatasetInfo(
            name="engel",
            file_name="engel.csv",
            target="food_expenditure",
            task="regression",
            description="Food expenditure vs income of 235 Belgian households (1857); "
            "heavy-tailed, heteroscedastic residuals.",
            source="statsmodels.datasets.engel; Koenker & Bassett (1982), Econometrica 50.",
            license="Public domain (statsmodels: 'This is public domain.').",
            n_rows=235,
            n_columns=2,
        ),
        DatasetInfo(
            name="diabetes",
            file_name="diabetes.csv",
            target="disease_progression",
            task="regression",
            description="Disease progression one year after baseline for 442 diabetes "
            "patients, from 10 unscaled baseline variables.",
            source="sklearn.datasets.load_diabetes(scaled=False); Efron et al. (2004), "
            "Annals of Statistics 32.",
            license=f"Distributed with {_SKLEARN}.",
            n_rows=442,
            n_columns=11,
        ),
        DatasetInfo(
            name="fair",
            file_name="fair.csv",
            target="had_affair",
            task="binary",
            description="Whether a surveyed married woman reported any extramarital "
            "affair (positive rate 0.322), from marriage and social variables.",
            source="statsmodels.datasets.fair; Fair (1978), Journal of Political Economy 86.",
            license="statsmodels: 'Included with permission of the author.'",
            n_rows=6366,
            n_columns=9,
        ),
        DatasetInfo(
            name="breast_cancer",
            file_name="breast_cancer.csv",
            target="malignant",
            task="binary",
            description="Whether a breast mass is malignant (positive rate 0.373), from 30 "
            "cell-nucleus measurements of a fine needle aspirate image.",
            source="sklearn.datasets.load_breast_cancer; Street, Wolberg & Mangasarian (1993).",
            license=f"Distributed with {_SKLEARN}; original from the {_UCI}.",
            n_rows=569,
            n_columns=31,
        ),
        DatasetInfo(
            name="rand_hie_poor_health",
            file_name="rand_hie.csv",
            target="health_poor",
            task="binary",
            description="Whether a RAND HIE participant rates their health as poor (rare: "
            "positive rate 0.015), from insurance plan, visits, limitation, diseases.",
            source="statsmodels.datasets.randhie; RAND Health Insurance Experiment via "
            "Cameron & Trivedi (2005).",
            license="Public domain (statsmodels: 'This is in the public domain.').",
            n_rows=20190,
            n_columns=10,
            # The other self-rated health dummies are mutually exclusive with the target.
            exclude=("health_good", "health_fair"),
        ),
        DatasetInfo(
            name="wine",
            file_name="wine.csv",
            target="cultivar",
            task="multiclass",
            description="Cultivar (3 classes) of 178 Italian wines from 13 chemical measurements.",
            source="sklearn.datasets.load_wine; Forina et al., PARVUS; Aeberhard et al. (1992).",
            license=f"Distributed with {_SKLEARN}; original from the {_UCI}.",
            n_rows=178,
            n_columns=14,
        ),
        DatasetInfo(
            name="digits",
            file_name="digits.csv",
            target="digit",
            task="multiclass",
            description="Handwritten digit (10 classes) from an 8x8 image of pixel counts 0-16.",
            source="sklearn.datasets.load_digits; UCI optical recognition of handwritten "
            "digits, test part (Alpaydin & Kaynak 1998, Kybernetika).",
            license=f"Distributed with {_SKLEARN}; original from the {_UCI}.",
            n_rows=1797,
            n_columns=65,
        ),
        DatasetInfo(
            name="rand_hie",
            file_name="rand_hie.csv",
            target="md_visits",
            task="count",
            description="Number of outpatient doctor visits per person-year in the RAND "
            "Health Insurance Experiment (31% zeros, over-dispersed).",
            source="statsmodels.datasets.randhie; RAND Health Insurance Experiment via "
            "Cameron & Trivedi (2005).",
            license="Public domain (statsmodels: 'This is in the public domain.').",
            n_rows=20190,
            n_columns=10,
        ),
        DatasetInfo(
            name="sunspots",
            file_name="sunspots.csv",
            target="sunspot_activity",
            task="time_series",
            description="Yearly sunspot number, 1700-2008 (about 11-year cycle).",
            source="statsmodels.datasets.sunspots; NOAA National Geophysical Data Center.",
            license="Public domain (statsmodels: 'This data is public domain.').",
            n_rows=309,
            n_columns=2,
            time_column="year",
        ),
        DatasetInfo(
            name="co2",
            file_name="co2.csv",
            target="co2_ppm",
            task="time_series",
            description="Weekly atmospheric CO2 (ppmv) at Mauna Loa, 1958-03-29 to "
            "2001-12-29; 59 missing weeks linearly interpolated.",
            source="statsmodels.datasets.co2; Keeling & Whorf (2004), CDIAC, "
            "Oak Ridge National Laboratory.",
            license="Public domain (statsmodels: 'This is public domain.').",
            n_rows=2284,
            n_columns=2,
            time_column="date",
        ),
        DatasetInfo(
            name="elnino",
            file_name="elnino.csv",
            target="sea_surface_temp",
            task="time_series",
            description="Monthly mean sea surface temperature (deg C) in the Nino 1+2 "
            "region of the Pacific, 1950-2010.",
            source="statsmodels.datasets.elnino; NOAA National Weather Service, ERSST.V3B.",
            license="Public domain (statsmodels: 'This data is in the public domain.').",
            n_rows=732,
            n_columns=2,
            time_column="date",
        ),
        DatasetInfo(
            name="nile",
            file_name="nile.csv",
            target="volume",
            task="time_series",
            description="Annual flow of the Nile at Aswan (10^8 m^3), 1871-1970; change "
            "point near 1898.",
            source="statsmodels.datasets.nile; Cobb (1978), Biometrika 65.",
            license="Public domain (statsmodels: 'This is public domain.').",
            n_rows=100,
            n_columns=2,
            time_column="year",
        ),
    ]
}
