"""Regenerate the CSV files in ``datasets/`` from data bundled inside pip packages.

Nothing is downloaded: every table comes from a ``load_*`` function of
scikit-learn (``sklearn.datasets``) or statsmodels (``statsmodels.datasets``),
which ship the data inside their wheels. Run from anywhere::

    python datasets/_make_datasets.py            # writes next to this file
    python datasets/_make_datasets.py --out DIR  # writes into DIR

Every transformation applied to the original table (renamed columns, derived
targets, reshaping, imputation) is in this file, so the provenance stated in
``datasets/README.md`` can be checked by reading and re-running it. The
versions used for the shipped files are printed at the end of a run and
recorded in the README.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import statsmodels
import statsmodels.datasets as smd
from sklearn import datasets as skd

HERE = Path(__file__).resolve().parent


def _snake(name: str) -> str:
    """Lower_snake_case a column name: 'mean concave points' -> 'mean_concave_points'."""
    name = re.sub(r"[^0-9a-zA-Z]+", "_", name.strip())
    return name.strip("_").lower()


# ---------------------------------------------------------------------------
# Regression
# ---------------------------------------------------------------------------


def engel() -> pd.DataFrame:
    """Engel (1857) household food expenditure; heavy-tailed, heteroscedastic residuals."""
    df = smd.engel.load_pandas().data
    return df.rename(columns={"foodexp": "food_expenditure"})[["income", "food_expenditure"]]


def diabetes() -> pd.DataFrame:
    """Efron et al. (2004) diabetes data, unscaled (``scaled=False``)."""
    bunch = skd.load_diabetes(scaled=False)
    names = {
        "age": "age",
        "sex": "sex",
        "bmi": "bmi",
        "bp": "bp",
        "s1": "s1_tc",
        "s2": "s2_ldl",
        "s3": "s3_hdl",
        "s4": "s4_tch",
        "s5": "s5_ltg",
        "s6": "s6_glu",
    }
    df = pd.DataFrame(bunch.data, columns=[names[c] for c in bunch.feature_names])
    df["disease_progression"] = bunch.target
    return df


# ---------------------------------------------------------------------------
# Binary classification
# ---------------------------------------------------------------------------


def fair() -> pd.DataFrame:
    """Fair (1978) affairs survey; binary target ``had_affair`` = (affairs > 0).

    The continuous ``affairs`` column is dropped: it defines the target.
    """
    df = smd.fair.load_pandas().data.copy()
    df["had_affair"] = (df.pop("affairs") > 0).astype(np.int64)
    return df


def breast_cancer() -> pd.DataFrame:
    """Wisconsin diagnostic breast cancer; target ``malignant`` (1 = malignant).

    scikit-learn codes malignant as 0 and benign as 1; the target is flipped so
    that the positive class is the (minority) malignant class.
    """
    bunch = skd.load_breast_cancer()
    df = pd.DataFrame(bunch.data, columns=[_snake(c) for c in bunch.feature_names])
    df["malignant"] = (bunch.target == 0).astype(np.int64)
    return df


# ---------------------------------------------------------------------------
# Multiclass
# ---------------------------------------------------------------------------


def wine() -> pd.DataFrame:
    """UCI wine recognition data; target ``cultivar`` in {0, 1, 2}."""
    bunch = skd.load_wine()
    df = pd.DataFrame(bunch.data, columns=[_snake(c) for c in bunch.feature_names])
    df["cultivar"] = bunch.target.astype(np.int64)
    return df


def digits() -> pd.DataFrame:
    """UCI optical handwritten digits (8x8, test part); target ``digit`` in 0..9."""
    bunch = skd.load_digits()
    df = pd.DataFrame(bunch.data.astype(np.int64), columns=list(bunch.feature_names))
    df["digit"] = bunch.target.astype(np.int64)
    return df


# ---------------------------------------------------------------------------
# Counts (and a rare binary target from the same survey)
# ---------------------------------------------------------------------------


def rand_hie() -> pd.DataFrame:
    """RAND Health Insurance Experiment subset (Cameron & Trivedi 2005)."""
    df = smd.randhie.load_pandas().data
    names = {
        "mdvis": "md_visits",
        "lncoins": "log_coinsurance",
        "idp": "individual_deductible",
        "lpi": "log_participation_incentive",
        "fmde": "log_max_dollar_expenditure",
        "physlm": "physical_limitation",
        "disea": "chronic_diseases",
        "hlthg": "health_good",
        "hlthf": "health_fair",
        "hlthp": "health_poor",
    }
    df = df.rename(columns=names)[list(names.values())].copy()
    for col in ("md_visits", "individual_deductible", "health_good", "health_fair", "health_poor"):
        df[col] = df[col].round().astype(np.int64)
    return df


# ---------------------------------------------------------------------------
# Time series
# ---------------------------------------------------------------------------


def sunspots() -> pd.DataFrame:
    """Yearly sunspot numbers 1700-2008."""
    df = smd.sunspots.load_pandas().data
    out = pd.DataFrame(
        {"year": df["YEAR"].round().astype(np.int64), "sunspot_activity": df["SUNACTIVITY"]}
    )
    return out


def co2() -> pd.DataFrame:
    """Weekly Mauna Loa CO2, 1958-03-29 to 2001-12-29.

    The weekly grid is complete (every step is 7 days) but 59 of 2284 weeks
    have no measurement; they are filled by linear interpolation in time.
    """
    series = smd.co2.load_pandas().data["co2"]
    steps = series.index.to_series().diff().dropna().unique()
    if len(steps) != 1 or steps[0] != pd.Timedelta(days=7):
        raise RuntimeError("co2: expected a regular weekly index")
    filled = series.interpolate(method="time")
    return pd.DataFrame({"date": series.index.strftime("%Y-%m-%d"), "co2_ppm": filled.to_numpy()})


def elnino() -> pd.DataFrame:
    """Monthly Nino 1+2 sea surface temperature 1950-2010, reshaped wide -> long."""
    wide = smd.elnino.load_pandas().data
    months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    rows = []
    for _, rec in wide.iterrows():
        year = int(round(rec["YEAR"]))
        for m, col in enumerate(months, start=1):
            rows.append((f"{year:04d}-{m:02d}-01", float(rec[col])))
    return pd.DataFrame(rows, columns=["date", "sea_surface_temp"])


def nile() -> pd.DataFrame:
    """Annual Nile flow at Aswan 1871-1970."""
    df = smd.nile.load_pandas().data
    return pd.DataFrame({"year": df["year"].round().astype(np.int64), "volume": df["volume"]})


MAKERS: dict[str, Callable[[], pd.DataFrame]] = {
    "engel": engel,
    "diabetes": diabetes,
    "fair": fair,
    "breast_cancer": breast_cancer,
    "wine": wine,
    "digits": digits,
    "rand_hie": rand_hie,
    "sunspots": sunspots,
    "co2": co2,
    "elnino": elnino,
    "nile": nile,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for stem, make in MAKERS.items():
        df = make()
        if df.isna().any().any():
            raise RuntimeError(f"{stem}: missing values remain")
        bad = [c for c in df.columns if c != _snake(c)]
        if bad:
            raise RuntimeError(f"{stem}: columns not lower_snake_case: {bad}")
        path = args.out / f"{stem}.csv"
        # pandas writes the shortest repr that round-trips each float64 exactly.
        df.to_csv(path, index=False, lineterminator="\n")
        print(
            f"{path.name:20s} {df.shape[0]:6d} rows {df.shape[1]:3d} cols "
            f"{path.stat().st_size / 1e3:8.1f} kB"
        )
    print(
        f"scikit-learn {sklearn.__version__}, statsmodels {statsmodels.__version__}, "
        f"pandas {pd.__version__}"
    )


if __name__ == "__main__":
    main()
