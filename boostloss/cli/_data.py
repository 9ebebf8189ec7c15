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
  * text with 3 to ``MAX_CLASSES`` distinct values, or integers that form a consecutive
    range a..a+k-1 (0..k-1, 1..k, ...) with 3 <= k <= ``MAX_AUTO_CLASSES`` (20), each in at
    least ``MIN_AUTO_CLASS_ROWS`` (5) rows -> ``multiclass`` (sorted values -> 0..k-1; the
    mapping is printed when the labels were not 0..k-1 already),
  * any other numbers -> ``regression`` (with a note suggesting ``--task multiclass`` when
    they are at most 20 distinct integers).

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
    "CsvDialect",
    "sniff_dialect",
    "repeated_names",
    "cap_list",
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


def shorten(text: str, limit: int = 60) -> str:
    """User text (a column name, a value) cut to ``limit`` characters for a message."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def did_you_mean(word: str, choices: list[str]) -> list[str]:
    """Up to 3 of ``choices`` close to ``word`` (difflib; case-insensitive), best first."""
    import difflib

    exact = [choice for choice in choices if choice.lower() == word.lower()]
    if exact:
        return exact[:3]
    if len(choices) > 2_000:  # difflib is O(len(choices)); keep a wrong --target cheap
        choices = choices[:1_000] + choices[-1_000:]
    lowered = {choice.lower(): choice for choice in reversed(choices)}
    matches = difflib.get_close_matches(word.lower(), list(lowered), n=3, cutoff=0.6)
    return [lowered[m] for m in matches]


def _column_hint(name: str, columns: list[str]) -> str:
    """'did you mean ...?' and the columns (all of them up to 30, else the first and last 10)."""
    close = did_you_mean(name, columns)
    hint = f"did you mean {' or '.join(repr(shorten(c)) for c in close)}? " if close else ""
    shown = [shorten(c) for c in columns]
    if len(shown) <= 30:
        listing = ", ".join(shown)
    else:
        listing = (f"{', '.join(shown[:10])}, ... ({len(shown) - 20:,} more) ..., "
                   f"{', '.join(shown[-10:])}")
    return f"{hint}its {len(columns):,} columns are: {listing}"


DELIMITERS = ",;\t|"
_SNIFF_BYTES = 64 * 1024
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is read: its delimiter and encoding, and the notes that say so."""

    delimiter: str = ","
    encoding: str = "utf-8"

    @property
    def notes(self) -> list[str]:
        notes = []
        if self.delimiter != ",":
            shown = {"\t": "tab", ";": "';'", "|": "'|'"}[self.delimiter]
            notes.append(f"read as {shown}-separated (detected from the header and first rows)")
        if self.encoding == "utf-8-sig":
            notes.append("read as UTF-8 with a byte-order mark (BOM), which was removed")
        if self.encoding == "utf-16":
            notes.append("read as UTF-16 (found its byte-order mark; Excel's 'Unicode Text')")
        return notes


def sniff_dialect(path: Path) -> CsvDialect:
    """The delimiter (one of ``,;\\t|``) and encoding (UTF-8, with or without a BOM; UTF-16
    with a BOM).

    The delimiter is the one of ``DELIMITERS`` that splits the header into the most fields
    and splits the first data rows into the same number of fields (ties: the earlier one in
    ``DELIMITERS``, so a one-column file stays comma-separated).
    """
    import csv
    import io

    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(_UTF8_BOM):
        encoding = "utf-8-sig"
    elif head.startswith(_UTF16_BOMS):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    text = head.decode(encoding, errors="replace")
    lines = text.splitlines()
    if len(head) == _SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    lines = [line for line in lines[:20] if line.strip()]
    best, best_fields = ",", 1
    with _field_size_limit():
        for delimiter in DELIMITERS:
            try:
                counts = [len(row) for row in csv.reader(io.StringIO("\n".join(lines)),
                                                         delimiter=delimiter)]
            except csv.Error:
                continue
            if not counts or counts[0] <= best_fields:
                continue
            if all(count == counts[0] for count in counts[1:]):
                best, best_fields = delimiter, counts[0]
    return CsvDialect(best, encoding)


class _field_size_limit:
    """Lift the csv module's 131,072-character field limit (a header may hold long names)."""

    def __enter__(self):
        import csv
        import sys

        self.previous = csv.field_size_limit()
        csv.field_size_limit(sys.maxsize)

    def __exit__(self, *exc_info):
        import csv

        csv.field_size_limit(self.previous)


def _header(path: Path, dialect: CsvDialect) -> list[str]:
    """The column names of the first line, as the csv module splits them."""
    import csv

    with _field_size_limit(), path.open(newline="", encoding=dialect.encoding) as handle:
        return [name.strip() for name in next(csv.reader(handle, delimiter=dialect.delimiter), [])]


def repeated_names(names: list[str]) -> list[str]:
    """Names that occur more than once, sorted (one pass: 100,000 columns take milliseconds)."""
    from collections import Counter

    return sorted(name for name, count in Counter(names).items() if count > 1)


def cap_list(items: list[str], limit: int = 10) -> str:
    """``a, b, c`` or ``a, b, ... and 99,990 more``: a message never grows with the data."""
    shown = ", ".join(items[:limit])
    if len(items) > limit:
        shown += f" ... and {len(items) - limit:,} more"
    return shown


def load_csv(path: str | Path, notes: list[str] | None = None):
    """Read a CSV into a DataFrame; missing, unreadable, empty or malformed files -> CliError.

    The delimiter (``,;\\t|``) and a UTF-8 byte-order mark are detected; when either is not
    the plain default, a sentence saying so is appended to ``notes``.
    """
    import csv

    pd = _import_pandas()
    path = Path(path)
    if not path.exists():
        raise CliError(f"{path}: no such file.")
    if path.is_dir():
        raise CliError(f"{path} is a directory; pass a CSV file.")
    if path.stat().st_size == 0:
        raise CliError(f"{path} is empty: expected a header row and data rows.")
    try:
        dialect = sniff_dialect(path)
        with _field_size_limit():
            frame = pd.read_csv(path, sep=dialect.delimiter, encoding=dialect.encoding)
        header = _header(path, dialect)
    except pd.errors.EmptyDataError:
        raise CliError(f"{path} has no columns: expected a header row and data rows.") from None
    except (pd.errors.ParserError, csv.Error) as exc:
        raise CliError(f"{path} is not a valid CSV file: {_one_line(exc)[:300]}") from None
    except UnicodeDecodeError as exc:
        raise CliError(
            f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 CSV."
        ) from None
    except OSError as exc:
        raise CliError(f"{path} could not be read: {exc.strerror or exc}.") from None
    if frame.shape[0] == 0:
        raise CliError(f"{path} has a header row but no data rows.")
    repeated = repeated_names(header)
    if repeated:
        raise CliError(
            f"{path} has duplicate column names ({cap_list(repeated)}); rename them so that "
            "every column name is unique."
        )
    if notes is not None:
        notes.extend(dialect.notes)
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


def _encode_features(frame, used: np.ndarray, drop_columns: list[str],
                     source: str) -> tuple[np.ndarray, list[str], list[str]]:
    """The columns where ``used`` holds: numeric and boolean ones as they are (one block, in
    file order), then the one-hot columns of each small text column.

    Vectorised over columns (a CSV read by pandas is one block per column, and every pandas
    selection costs a step per block): 100,000 numeric columns take about a second.
    """
    pd = _import_pandas()
    notes: list[str] = []
    kinds: dict = {}  # a frame has few distinct dtypes: classify each once
    dtypes = list(frame.dtypes)
    for dtype in set(dtypes):
        kinds[dtype] = pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)
    all_numbers = np.array([kinds[dtype] for dtype in dtypes], dtype=bool)
    is_number = all_numbers & used
    names: list[str] = [str(c) for c in frame.columns[is_number]]
    parts = []
    if names:
        if all_numbers.all():  # one conversion of the whole frame, then a numpy selection
            block = frame.to_numpy(dtype=np.float64, na_value=np.nan)[:, is_number]
        else:
            block = frame.iloc[:, np.flatnonzero(is_number)].to_numpy(dtype=np.float64,
                                                                       na_value=np.nan)
        infinite = np.isinf(block)
        if infinite.any():
            column = int(np.flatnonzero(infinite.any(axis=0))[0])
            label = names[column]
            raise CliError(
                f"column {shorten(label)!r} of {source} has infinite values (lines "
                f"{_line_numbers(infinite[:, column])}); replace them or drop the column "
                f"with --drop {shorten(label)}."
            )
        parts.append(block)
    for position in np.flatnonzero(used & ~all_numbers):
        column = frame.columns[position]
        values = frame.iloc[:, position]
        label = str(column)
        text = values.astype("string")
        categories = sorted(text.dropna().unique().tolist())
        if len(categories) > MAX_CATEGORIES:
            coerced = pd.to_numeric(values, errors="coerce")
            bad = values.notna() & coerced.isna()
            if bad.any() and bad.mean() < 0.1:
                example = shorten(values[bad].iloc[0])
                raise CliError(
                    f"column {shorten(label)!r} of {source} is mostly numbers but has non-numeric "
                    f"entries such as {example!r} (line {_line_numbers(bad.to_numpy(), 1)}); "
                    f"fix them, or drop the column with --drop {shorten(label)}."
                )
            raise CliError(
                f"column {shorten(label)!r} of {source} is text with {len(categories)} distinct "
                f"values (e.g. {shorten(categories[0])!r}); compare one-hot encodes text columns "
                f"with at most {MAX_CATEGORIES} values: encode it as numbers or drop it with "
                f"--drop {shorten(label)}."
            )
        for category in categories:
            parts.append((text == category).fillna(False).to_numpy(dtype=np.float64)[:, None])
            names.append(f"{label}={category}")
        if text.isna().any():
            parts.append(text.isna().to_numpy(dtype=np.float64)[:, None])
            names.append(f"{label}=<missing>")
        notes.append(f"one-hot encoded {shorten(label)!r} ({len(categories)} values)")
    if not parts:
        raise CliError(
            f"{source} has no feature columns besides the target"
            + (f" and the dropped columns ({cap_list(drop_columns)})" if drop_columns else "")
            + "."
        )
    return np.hstack(parts), names, notes


def _class_problem(values, task: str, target: str, source: str) -> tuple[np.ndarray, list[str]]:
    """Sorted distinct values -> 0..k-1; checks the class count for the task."""
    classes, codes = np.unique(values, return_inverse=True)
    k = classes.size
    if task == "binary" and k != 2:
        raise CliError(
            f"--task binary needs a target with exactly 2 distinct values; {shorten(target)!r} of "
            f"{source} has {k}."
        )
    if task == "multiclass" and not 2 <= k <= MAX_CLASSES:
        raise CliError(
            f"--task multiclass needs 2 to {MAX_CLASSES} classes; {shorten(target)!r} of {source} has {k}."
        )
    names = [_format_class(c) for c in classes]
    return codes.astype(np.int64), names


def _format_class(value) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _is_integer_valued(values: np.ndarray) -> bool:
    return bool(np.all(np.mod(values, 1) == 0))


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
    consecutive = _is_integer_valued(distinct) and np.array_equal(distinct, distinct[0] + np.arange(k))
    if 3 <= k <= MAX_AUTO_CLASSES and consecutive:
        counts = np.unique(values, return_counts=True)[1]
        if counts.min() >= MIN_AUTO_CLASS_ROWS:
            return "multiclass", f"integer labels {_format_class(distinct[0])}..{_format_class(distinct[-1])}"
    return "regression", f"numeric with {k} distinct values"


def _task_notes(task: str, reason: str, values: np.ndarray, class_names: list[str],
                target: str) -> list[str]:
    """The class mapping when labels are not already 0..k-1, or a hint to set --task."""
    if task == "multiclass" and class_names != [str(j) for j in range(len(class_names))]:
        pairs = [f"{shorten(name, 20)}->{j}" for j, name in enumerate(class_names)]
        return [f"classes of {shorten(target)!r} mapped to 0..{len(class_names) - 1}: "
                f"{cap_list(pairs, 12)}"]
    if task == "regression" and reason.startswith("detected"):
        distinct = np.unique(values)
        if distinct.size <= MAX_AUTO_CLASSES and _is_integer_valued(distinct):
            return [f"{shorten(target)!r} has only {distinct.size} distinct integer values, "
                    "treated as numbers (regression); if they are class labels, pass "
                    "--task multiclass"]
    return []


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
    if not all(isinstance(c, str) for c in frame.columns):
        frame = frame.set_axis(columns, axis=1)  # a copy: only when names are not text
    if target not in columns:
        raise CliError(f"target column {shorten(target)!r} is not in {source}; "
                       f"{_column_hint(target, columns)}.")
    drop = [d for d in (drop or []) if d]
    known = set(columns)
    unknown = [d for d in drop if d not in known]
    if unknown:
        raise CliError(f"--drop names columns that are not in {source}: "
                       f"{cap_list([shorten(u) for u in unknown])}; "
                       f"{_column_hint(unknown[0], columns)}.")
    if target in drop:
        raise CliError(f"--drop lists the target column {shorten(target)!r}; drop only feature columns.")

    raw_target = frame[target]
    missing = raw_target.isna().to_numpy()
    if missing.any():
        raise CliError(
            f"target column {shorten(target)!r} has {int(missing.sum())} missing values (lines "
            f"{_line_numbers(missing)}); drop or fill those rows."
        )
    numeric = pd.api.types.is_numeric_dtype(raw_target) and not pd.api.types.is_bool_dtype(raw_target)
    if numeric:
        values = raw_target.to_numpy(dtype=np.float64)
        infinite = ~np.isfinite(values)
        if infinite.any():
            raise CliError(
                f"target column {shorten(target)!r} has {int(infinite.sum())} infinite values (lines "
                f"{_line_numbers(infinite)}); drop or fix those rows."
            )
    else:
        coerced = pd.to_numeric(raw_target, errors="coerce")
        bad = coerced.isna().to_numpy()
        if bad.any() and bad.mean() < 0.1:
            raise CliError(
                f"target column {shorten(target)!r} is mostly numbers but has non-numeric entries such "
                f"as {str(raw_target[bad].iloc[0])!r} (lines {_line_numbers(bad)}); fix or drop "
                "those rows."
            )
        values = raw_target.astype(str).to_numpy()
    if np.unique(values).size < 2:
        raise CliError(
            f"target column {shorten(target)!r} has a single value ({_format_class(values[0])}); "
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
                f"--task regression needs a numeric target; {shorten(target)!r} of {source} is text "
                f"(e.g. {values[0]!r})."
            )
        y, class_names = values, []
    else:
        y, class_names = _class_problem(values, task, target, source)

    excluded = {target, *drop}
    used = np.array([column not in excluded for column in columns], dtype=bool)
    X, names, notes = _encode_features(frame, used, drop, source)
    notes = _task_notes(task, reason, values, class_names, target) + notes
    if task == "binary":
        notes.insert(0, f"positive class: {target} = {class_names[1]}")
    return Problem(
        X=X, y=y, feature_names=names, target=target, task=task, task_reason=reason,
        source=source, class_names=class_names, notes=notes,
    )
