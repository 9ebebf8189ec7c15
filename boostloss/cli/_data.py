"""Reading the data of ``boostloss compare``: a user's CSV or a shipped dataset -> ``Problem``.

Every check here fails with ``CliError``, whose message is one line a user can act on
(``boostloss compare`` prints it to stderr and exits with code 2, no traceback).

Rules (also stated in ``boostloss compare --help`` and README.md):

- Features: numeric and boolean columns are used as they are (missing values stay NaN:
  both engines learn a default direction for them). A text column with at most
  ``MAX_CATEGORIES`` distinct values is one-hot encoded (one 0/1 column per value, plus one
  for missing values if there are any). Any other text column is refused with a message
  naming it; ``--drop COL`` leaves it out.
- Target: no missing or infinite values. ``--task auto`` detects the task:

  * two distinct values -> ``binary`` (sorted; the second one is the positive class),
  * text with 3 to ``MAX_CLASSES`` distinct values, or integers that are exactly
    0..k-1 with k <= ``MAX_AUTO_CLASSES`` (20), each in at least ``MIN_AUTO_CLASS_ROWS`` (5)
    rows -> ``multiclass`` (sorted values -> 0..k-1),
  * any other numbers -> ``regression``.

  Counts such as 0, 1, 2, 3 (every value present) look like class labels; pass
  ``--task regression`` for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "CliError",
    "Problem",
    "TASKS",
    "MAX_CATEGORIES",
    "load_csv",
    "load_shipped",
    "build_problem",
]

TASKS = ("auto", "regression", "binary", "multiclass")
MAX_CATEGORIES = 20  # text feature columns with at most this many values are one-hot encoded
MAX_AUTO_CLASSES = 20  # integer targets 0..k-1 with k <= this are detected as multiclass
MIN_AUTO_CLASS_ROWS = 5  # ... and every label in at least this many rows
MAX_CLASSES = 100  # more classes than this is refused (and text targets with more)


class CliError(Exception):
    """A problem with the user's input; the message is one line, printed without traceback."""


@dataclass
class Problem:
    """Everything ``compare`` needs: features, encoded target and how they were made.

    ``y`` is float64 for regression and int64 class indices 0..k-1 for classification;
    ``class_names[j]`` is the original value of class j.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target: str
    task: str
    task_reason: str
    source: str
    class_names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


def _import_pandas():
    try:
        import pandas as pd
    except ImportError:
        raise CliError(
            "boostloss compare needs pandas: pip install 'boostloss[cli]'."
        ) from None
    return pd


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _header(path: Path) -> list[str]:
    """The column names of the first line, as the csv module splits them."""
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        return [name.strip() for name in next(csv.reader(handle), [])]


def load_csv(path: str | Path):
    """Read a CSV into a DataFrame; missing, unreadable, empty or malformed files -> CliError."""
    pd = _import_pandas()
    path = Path(path)
    if not path.exists():
        raise CliError(f"{path}: no such file.")
    if path.is_dir():
        raise CliError(f"{path} is a directory; pass a CSV file.")
    if path.stat().st_size == 0:
        raise CliError(f"{path} is empty: expected a header row and data rows.")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise CliError(f"{path} has no columns: expected a header row and data rows.") from None
    except pd.errors.ParserError as exc:
        raise CliError(f"{path} is not a valid CSV file: {_one_line(exc)}") from None
    except UnicodeDecodeError as exc:
        raise CliError(
            f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 CSV."
        ) from None
    except OSError as exc:
        raise CliError(f"{path} could not be read: {exc.strerror or exc}.") from None
    if frame.shape[0] == 0:
        raise CliError(f"{path} has a header row but no data rows.")
    header = _header(path)
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise CliError(
            f"{path} has duplicate column names ({', '.join(repeated)}); rename them so that "
            "every column name is unique."
        )
    return frame


def load_shipped(name: str):
    """The frame (features + target) of a shipped dataset and its target column name."""
    from .. import datasets

    if name not in datasets.DATASETS:
        raise CliError(
            f"unknown dataset {name!r}; shipped datasets: {', '.join(datasets.list_datasets())}."
        )
    info = datasets.dataset_info(name)
    if info.task == "time_series":
        raise CliError(
            f"{name} is a time series (no feature columns); see examples/interval_forecasting.py "
            "for interval forecasts on it, or pick another dataset (boostloss datasets)."
        )
    X, y = datasets.load_dataset(name)
    frame = X.copy()
    frame[info.target] = y
    return frame, info


def _line_numbers(mask: np.ndarray, limit: int = 5) -> str:
    """File line numbers (header = line 1) of the first rows where ``mask`` holds."""
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(r + 2) for r in rows[:limit])
    return shown + (", ..." if rows.size > limit else "")


def _encode_features(frame, drop_columns: list[str], source: str) -> tuple[np.ndarray, list[str], list[str]]:
    pd = _import_pandas()
    notes: list[str] = []
    parts = []
    names: list[str] = []
    for column in frame.columns:
        values = frame[column]
        label = str(column)
        if pd.api.types.is_bool_dtype(values):
            parts.append(values.astype(np.float64).to_numpy()[:, None])
            names.append(label)
        elif pd.api.types.is_numeric_dtype(values):
            numeric = values.astype(np.float64).to_numpy()
            if np.isinf(numeric).any():
                raise CliError(
                    f"column {label!r} of {source} has infinite values (lines "
                    f"{_line_numbers(np.isinf(numeric))}); replace them or drop the column "
                    f"with --drop {label}."
                )
            parts.append(numeric[:, None])
            names.append(label)
        else:
            text = values.astype("string")
            categories = sorted(text.dropna().unique().tolist())
            if len(categories) > MAX_CATEGORIES:
                coerced = pd.to_numeric(values, errors="coerce")
                bad = values.notna() & coerced.isna()
                if bad.any() and bad.mean() < 0.1:
                    example = str(values[bad].iloc[0])
                    raise CliError(
                        f"column {label!r} of {source} is mostly numbers but has non-numeric "
                        f"entries such as {example!r} (line {_line_numbers(bad.to_numpy(), 1)}); "
                        f"fix them, or drop the column with --drop {label}."
                    )
                raise CliError(
                    f"column {label!r} of {source} is text with {len(categories)} distinct values "
                    f"(e.g. {categories[0]!r}); compare one-hot encodes text columns with at most "
                    f"{MAX_CATEGORIES} values: encode it as numbers or drop it with --drop {label}."
                )
            for category in categories:
                parts.append((text == category).fillna(False).to_numpy(dtype=np.float64)[:, None])
                names.append(f"{label}={category}")
            if text.isna().any():
                parts.append(text.isna().to_numpy(dtype=np.float64)[:, None])
                names.append(f"{label}=<missing>")
            notes.append(f"one-hot encoded {label!r} ({len(categories)} values)")
    if not parts:
        raise CliError(
            f"{source} has no feature columns besides the target"
            + (f" and the dropped columns ({', '.join(drop_columns)})" if drop_columns else "")
            + "."
        )
    return np.hstack(parts), names, notes


def _class_problem(values, task: str, target: str, source: str) -> tuple[np.ndarray, list[str]]:
    """Sorted distinct values -> 0..k-1; checks the class count for the task."""
    classes, codes = np.unique(values, return_inverse=True)
    k = classes.size
    if task == "binary" and k != 2:
        raise CliError(
            f"--task binary needs a target with exactly 2 distinct values; {target!r} of "
            f"{source} has {k}."
        )
    if task == "multiclass" and not 2 <= k <= MAX_CLASSES:
        raise CliError(
            f"--task multiclass needs 2 to {MAX_CLASSES} classes; {target!r} of {source} has {k}."
        )
    names = [_format_class(c) for c in classes]
    return codes.astype(np.int64), names


def _format_class(value) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _detect_task(values: np.ndarray, numeric: bool) -> tuple[str, str]:
    distinct = np.unique(values)
    k = distinct.size
    if k == 2:
        return "binary", "2 distinct values"
    if not numeric:
        if k <= MAX_CLASSES:
            return "multiclass", f"text with {k} distinct values"
        raise CliError(
            f"the target is text with {k} distinct values (more than {MAX_CLASSES} classes); "
            "pass a numeric target for regression or a column with fewer classes."
        )
    if 3 <= k <= MAX_AUTO_CLASSES and np.array_equal(distinct, np.arange(k)):
        counts = np.bincount(values.astype(np.int64), minlength=k)
        if counts.min() >= MIN_AUTO_CLASS_ROWS:
            return "multiclass", f"integer labels 0..{k - 1}"
    return "regression", f"numeric with {k} distinct values"


def build_problem(
    frame,
    target: str,
    *,
    task: str = "auto",
    drop: list[str] | None = None,
    source: str = "the data",
) -> Problem:
    """Check the target, detect or check the task, encode the features."""
    pd = _import_pandas()
    if task not in TASKS:
        raise CliError(f"--task must be one of {', '.join(TASKS)}; got {task!r}.")
    columns = [str(c) for c in frame.columns]
    frame = frame.set_axis(columns, axis=1)
    if target not in columns:
        shown = ", ".join(columns[:20]) + (", ..." if len(columns) > 20 else "")
        raise CliError(f"target column {target!r} is not in {source}; its columns are: {shown}.")
    drop = [d for d in (drop or []) if d]
    unknown = [d for d in drop if d not in columns]
    if unknown:
        raise CliError(f"--drop names columns that are not in {source}: {', '.join(unknown)}.")
    if target in drop:
        raise CliError(f"--drop lists the target column {target!r}; drop only feature columns.")

    raw_target = frame[target]
    missing = raw_target.isna().to_numpy()
    if missing.any():
        raise CliError(
            f"target column {target!r} has {int(missing.sum())} missing values (lines "
            f"{_line_numbers(missing)}); drop or fill those rows."
        )
    numeric = pd.api.types.is_numeric_dtype(raw_target) and not pd.api.types.is_bool_dtype(raw_target)
    if numeric:
        values = raw_target.to_numpy(dtype=np.float64)
        infinite = ~np.isfinite(values)
        if infinite.any():
            raise CliError(
                f"target column {target!r} has {int(infinite.sum())} infinite values (lines "
                f"{_line_numbers(infinite)}); drop or fix those rows."
            )
    else:
        coerced = pd.to_numeric(raw_target, errors="coerce")
        bad = coerced.isna().to_numpy()
        if bad.any() and bad.mean() < 0.1:
            raise CliError(
                f"target column {target!r} is mostly numbers but has non-numeric entries such "
                f"as {str(raw_target[bad].iloc[0])!r} (lines {_line_numbers(bad)}); fix or drop "
                "those rows."
            )
        values = raw_target.astype(str).to_numpy()
    if np.unique(values).size < 2:
        raise CliError(
            f"target column {target!r} has a single value ({_format_class(values[0])}); "
            "there is nothing to learn."
        )

    if task == "auto":
        task, reason = _detect_task(values, numeric)
        reason = f"detected: {reason}"
    else:
        reason = "given with --task"
    if task == "regression":
        if not numeric:
            raise CliError(
                f"--task regression needs a numeric target; {target!r} of {source} is text "
                f"(e.g. {values[0]!r})."
            )
        y, class_names = values, []
    else:
        y, class_names = _class_problem(values, task, target, source)

    features = frame.drop(columns=[target, *drop])
    X, names, notes = _encode_features(features, drop, source)
    if task == "binary":
        notes.insert(0, f"positive class: {target} = {class_names[1]}")
    return Problem(
        X=X, y=y, feature_names=names, target=target, task=task, task_reason=reason,
        source=source, class_names=class_names, notes=notes,
    )
