"""Tests for the ``boostloss`` command: losses, datasets, compare, and its one-line errors.

Most tests call the typer app in-process with ``CliRunner`` (stdout and stderr are kept
apart); one runs the real console script (or ``python -m boostloss.cli`` when the package
is not installed) in a subprocess. Compare runs use tiny settings (2 folds, a few rounds).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("typer")
pd = pytest.importorskip("pandas")
pytest.importorskip("sklearn")
pytest.importorskip("xgboost")
pytest.importorskip("lightgbm")

from typer.testing import CliRunner  # noqa: E402

import boostloss as bl  # noqa: E402
from boostloss.cli import app  # noqa: E402
from boostloss.cli._compare import (  # noqa: E402
    Settings,
    cross_validate,
    default_loss_specs,
    parse_loss_specs,
    resolve_specs,
)
from boostloss.cli._data import CliError, build_problem  # noqa: E402
from boostloss.cli._summary import summarise  # noqa: E402
from boostloss.registry import ALIASES, LOSSES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--cv", "2", "--n-estimators", "8", "--n-jobs", "1", "--quiet"]
REGRESSION_DEFAULTS = [
    "squared_error", "absolute_error", "huber", "pseudo_huber", "log_cosh", "fair",
    "poisson", "gamma", "tweedie",
]


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def table_rows(output: str) -> dict[str, list[str]]:
    """Loss label -> the cells of its row in a rich table printed to ``output``."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line)]
        if len(cells) > 3 and cells[1].isdigit():
            rows[cells[2]] = cells[3:-1]
    return rows


def mean_of(cell: str) -> float:
    return float(cell.split("±")[0])


# ------------------------------------------------------------------------------ losses
def test_losses_lists_every_loss_with_aliases_defaults_and_hessian_type():
    result = invoke("losses")
    assert result.exit_code == 0, result.output
    for name, cls in LOSSES.items():
        assert name in result.stdout
        assert cls.hessian_type in result.stdout
    for alias in ALIASES:
        assert alias in result.stdout
    assert "hessian_floor=0.1" in result.stdout
    assert "alpha=0.25" in result.stdout  # focal's default


def test_losses_filters_by_task():
    result = invoke("losses", "--task", "multiclass")
    assert result.exit_code == 0
    assert "softmax_focal" in result.stdout and "huber" not in result.stdout
    assert "multiclass_hinge" in result.stdout
    bad = invoke("losses", "--task", "ranking")
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1


def test_datasets_lists_every_shipped_dataset():
    result = invoke("datasets")
    assert result.exit_code == 0
    for name in bl.datasets.list_datasets():
        assert name in result.stdout


# ------------------------------------------------------------------------------ compare
def test_compare_without_a_file_runs_every_regression_loss_on_the_shipped_set():
    result = invoke("compare", *SMALL)
    assert result.exit_code == 0, result.output
    assert "shipped dataset 'engel'" in result.stdout
    rows = table_rows(result.stdout)
    names = [label.split("(")[0] for label in rows]
    assert sorted(names) == sorted(REGRESSION_DEFAULTS)
    assert "failed" not in result.stdout
    # Ranked by RMSE: the means in the first metric column never decrease.
    rmse = [mean_of(cells[0]) for cells in rows.values()]
    assert rmse == sorted(rmse)
    # Even 8 rounds beat a constant, except log_cosh: its steps are bounded by
    # learning_rate / hessian_floor = 1 franc per tree on a target spread over hundreds
    # of francs, which the output says.
    r2 = {label.split("(")[0]: mean_of(cells[3]) for label, cells in rows.items()}
    assert min(v for k, v in r2.items() if k != "log_cosh") > 0.4, r2
    assert r2["log_cosh"] < 0.2
    assert "log_cosh has no scale parameter" in result.stdout
    assert "robust spread of the target" in result.stdout


def test_compare_progress_bar_goes_to_stderr():
    result = invoke("compare", "--cv", "2", "--n-estimators", "3", "--losses", "mse")
    assert result.exit_code == 0, result.output
    assert "fold" in result.stderr or "done" in result.stderr
    assert "RMSE" in result.stdout and "RMSE" not in result.stderr


def test_compare_numbers_equal_a_manual_cross_validation():
    """The table's mean RMSE is the mean over KFold(shuffle, seed) of the estimator's RMSE."""
    from sklearn.model_selection import KFold

    X, y = bl.datasets.load_dataset("engel", as_frame=False)
    problem = build_problem(
        pd.DataFrame({"income": X[:, 0], "food_expenditure": y}), "food_expenditure"
    )
    settings = Settings(cv=3, n_estimators=10, seed=4, n_jobs=1)
    specs, _ = resolve_specs(parse_loss_specs("huber:delta=50"), problem)
    (result,) = cross_validate(problem, specs, settings)
    expected = []
    for train, test in KFold(3, shuffle=True, random_state=4).split(X):
        model = bl.BoostLossRegressor(loss="huber", loss_params={"delta": 50}, n_estimators=10,
                                      learning_rate=0.1, random_state=4, n_jobs=1)
        model.fit(X[train], y[train])
        expected.append(bl.metrics.rmse(y[test], model.predict(X[test])))
    np.testing.assert_allclose(result.scores["rmse"], expected, rtol=1e-6)
    summary = summarise([result], problem)
    assert summary.rows[0][1]["rmse"][0] == pytest.approx(np.mean(expected), rel=1e-6)
    assert summary.rows[0][1]["rmse"][1] == pytest.approx(np.std(expected), rel=1e-6)


def write_user_csv(path: Path, n: int = 160, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    x2[::17] = np.nan  # missing feature values are allowed
    city = rng.choice(["Lyon", "Oslo", "Pune"], size=n)
    price = 3.0 * x1 + np.where(city == "Oslo", 4.0, 0.0) + rng.standard_t(2, size=n)
    bought = np.where(x1 + rng.normal(scale=0.5, size=n) > 0.8, "yes", "no")
    segment = np.digitize(x1 + 0.3 * rng.normal(size=n), [-0.5, 0.5])  # 0, 1, 2
    pd.DataFrame({
        "x1": x1, "x2": x2, "city": city, "member": rng.random(n) < 0.5,
        "price": price, "bought": bought, "segment": segment,
    }).to_csv(path, index=False)
    return path


def test_compare_regression_on_a_user_csv_one_hot_encodes_small_text_columns(tmp_path):
    csv = write_user_csv(tmp_path / "shop.csv")
    result = invoke("compare", str(csv), "--target", "price", "--drop", "bought,segment",
                    "--losses", "mse,huber:delta=1,quantile:alpha=0.9", *SMALL)
    assert result.exit_code == 0, result.output
    assert "task regression" in result.stdout
    assert "one-hot encoded 'city' (3 values)" in result.stdout
    rows = table_rows(result.stdout)
    assert set(rows) == {"squared_error", "huber(delta=1)", "quantile(alpha=0.9)"}
    assert "pinball" in result.stdout
    # The 0.9-quantile model has most targets below its prediction (share column, last).
    share = mean_of(rows["quantile(alpha=0.9)"][-3])  # before "> const" and "fit s"
    assert share > 0.6


def test_compare_binary_text_labels_and_margin_losses(tmp_path):
    csv = write_user_csv(tmp_path / "shop.csv")
    result = invoke("compare", str(csv), "--target", "bought", "--drop", "price,segment",
                    "--losses", "logistic,focal,smooth_hinge", "--backend", "lightgbm", *SMALL)
    assert result.exit_code == 0, result.output
    assert "task binary" in result.stdout and "positive class: bought = yes" in result.stdout
    rows = table_rows(result.stdout)
    assert set(rows) == {"logistic", "focal", "smooth_hinge"}
    # Margin losses have no probabilities: no log loss, but a ROC AUC; ranked last.
    assert rows["smooth_hinge"][0] == "-"
    assert list(rows)[-1] == "smooth_hinge"
    assert all(mean_of(cells[2]) > 0.7 for cells in rows.values())  # ROC AUC


def test_compare_multiclass_from_integer_labels(tmp_path):
    csv = write_user_csv(tmp_path / "shop.csv")
    result = invoke("compare", str(csv), "--target", "segment", "--drop", "price,bought", *SMALL)
    assert result.exit_code == 0, result.output
    assert "task multiclass (detected: integer labels 0..2)" in result.stdout
    rows = table_rows(result.stdout)
    assert set(rows) == {"softmax_cross_entropy", "softmax_focal", "multiclass_hinge"}
    # the margin loss has no probabilities: no log loss, but an accuracy; ranked last
    assert rows["multiclass_hinge"][0] == "-" and mean_of(rows["multiclass_hinge"][1]) > 0.5
    assert list(rows)[-1] == "multiclass_hinge"


def test_compare_plot_writes_a_png(tmp_path):
    chart = tmp_path / "chart.png"
    result = invoke("compare", "--dataset", "wine", "--plot", str(chart), *SMALL)
    assert result.exit_code == 0, result.output
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert chart.stat().st_size > 10_000


def test_a_loss_failing_on_the_data_is_a_row_not_a_crash():
    problem = build_problem(pd.DataFrame({"x": np.arange(20.0), "y": np.arange(20.0) % 2}), "y")
    specs, _ = resolve_specs(parse_loss_specs("logistic,focal:alpha=1.0"), problem)
    results = cross_validate(problem, specs, Settings(cv=2, n_estimators=3, n_jobs=1))
    assert results[0].error is None
    assert "alpha=1.0" in results[1].error and "infinite" in results[1].error


# ------------------------------------------------------------------------------ task detection
@pytest.mark.parametrize(
    ("values", "task"),
    [
        ([0, 1] * 10, "binary"),
        ([-1, 1] * 10, "binary"),
        ([3.5, 7.25] * 10, "binary"),
        (["cat", "dog"] * 10, "binary"),
        ([True, False] * 10, "binary"),
        (["1", "2", "x"] * 7, "multiclass"),
        ([0, 1, 2, 3] * 5, "multiclass"),
        (["a", "b", "c", "d"] * 5, "multiclass"),
        ([1, 2, 3, 4] * 5, "multiclass"),  # a consecutive range 1..k: class ids
        (list(range(20)), "regression"),  # 0..19 but each once
        ([0, 1, 2] * 4 + [3], "regression"),  # label 3 in one row only
        (list(np.linspace(0, 1, 20)), "regression"),
    ],
)
def test_task_detection(values, task):
    frame = pd.DataFrame({"x": np.arange(len(values)), "y": values})
    assert build_problem(frame, "y").task == task


def test_default_losses_respect_log_link_domains():
    frame = pd.DataFrame({"x": np.arange(30.0), "y": np.linspace(-1, 1, 30)})
    specs, notes = default_loss_specs(build_problem(frame, "y"))
    names = {s.name for s in specs}
    assert not names & {"poisson", "gamma", "tweedie"}
    assert any("skipped gamma" in n for n in notes)
    frame["y"] = np.linspace(0, 1, 30)  # y >= 0 with zeros: poisson and tweedie, not gamma
    names = {s.name for s in default_loss_specs(build_problem(frame, "y"))[0]}
    assert {"poisson", "tweedie"} <= names and "gamma" not in names


def test_loss_spec_parsing():
    specs = parse_loss_specs("MSE, huber:delta=2.5 ,focal:gamma=1:alpha=none,pinball:alpha=0.9")
    assert [(s.name, s.params) for s in specs] == [
        ("squared_error", {}), ("huber", {"delta": 2.5}),
        ("focal", {"gamma": 1, "alpha": None}), ("quantile", {"alpha": 0.9}),
    ]
    with pytest.raises(CliError, match=r"did you mean .huber.\? valid names"):
        parse_loss_specs("hubber")


# ------------------------------------------------------------------------------ bad input
def csv_file(tmp_path: Path, text: str | bytes, name: str = "data.csv") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


def many_rows(header: str, row) -> str:
    return header + "\n" + "\n".join(row(i) for i in range(40)) + "\n"


BAD_INPUTS = {
    "missing file": (lambda d: [str(d / "nope.csv"), "--target", "y"], "no such file"),
    "directory": (lambda d: [str(d), "--target", "y"], "is a directory"),
    "empty file": (lambda d: [csv_file(d, ""), "--target", "y"], "is empty"),
    "blank lines only": (lambda d: [csv_file(d, "\n\n"), "--target", "y"], "no columns"),
    "header only": (lambda d: [csv_file(d, "x,y\n"), "--target", "y"], "no data rows"),
    "no --target": (lambda d: [csv_file(d, "x,y\n1,2\n")], "--target is required"),
    "missing target column": (
        lambda d: [csv_file(d, many_rows("x,z", lambda i: f"{i},{i}")), "--target", "y"],
        "target column 'y' is not in",
    ),
    "NaN target": (
        lambda d: [csv_file(d, many_rows("x,y", lambda i: f"{i},{'' if i in (3, 9) else i}")),
                   "--target", "y"],
        r"2 missing values \(lines 5, 11\)",
    ),
    "infinite target": (
        lambda d: [csv_file(d, many_rows("x,y", lambda i: f"{i},{'inf' if i == 0 else i}")),
                   "--target", "y"],
        "infinite values",
    ),
    "numeric target with a text entry": (
        lambda d: [csv_file(d, many_rows("x,y", lambda i: f"{i},{'?' if i == 4 else i * 0.5}")),
                   "--target", "y"],
        r"mostly numbers but has non-numeric entries such as '\?' \(lines 6\)",
    ),
    "constant target": (
        lambda d: [csv_file(d, many_rows("x,y", lambda i: f"{i},1")), "--target", "y"],
        "single value",
    ),
    "text column with many values": (
        lambda d: [csv_file(d, many_rows("name,y", lambda i: f"person{i},{i}")), "--target", "y"],
        "column 'name' of .* is text with 40 distinct values.*--drop name",
    ),
    "numbers with a typo": (
        lambda d: [csv_file(d, many_rows("x,y", lambda i: f"{'1,5' if i == 7 else i},{i}")
                            .replace("1,5,", '"1,5",')), "--target", "y"],
        "mostly numbers but has non-numeric entries such as '1,5' \\(line 9\\)",
    ),
    "only the target": (
        lambda d: [csv_file(d, many_rows("y", lambda i: f"{i}")), "--target", "y"],
        "no feature columns",
    ),
    "malformed rows": (
        lambda d: [csv_file(d, "x,y\n1,2\n3,4,5,6\n"), "--target", "y"], "not a valid CSV",
    ),
    "not UTF-8": (
        lambda d: [csv_file(d, "x,y\n\xe9t\xe9,1\n".encode("latin-1")), "--target", "y"],
        "not UTF-8",
    ),
    "duplicate columns": (
        lambda d: [csv_file(d, many_rows("x,x,y", lambda i: f"{i},{i},{i}")), "--target", "y"],
        "duplicate column names \\(x\\)",
    ),
    "too few rows for the folds": (
        lambda d: [csv_file(d, "x,y\n1,2\n2,3\n3,5\n"), "--target", "y"], "too few for 5-fold",
    ),
    "class rarer than the folds": (
        lambda d: [csv_file(d, many_rows("x,y", lambda i: f"{i},{'b' if i < 2 else 'a'}")),
                   "--target", "y"],
        "class 'b' of 'y' has 2 rows",
    ),
    "loss of another task": (
        lambda d: [csv_file(d, many_rows("x,y", lambda i: f"{i},{i * 0.5}")), "--target", "y",
                   "--losses", "focal"],
        "focal is a binary loss but the task is regression",
    ),
    "target outside a loss's domain": (
        lambda d: [csv_file(d, many_rows("x,y", lambda i: f"{i},{i - 5}")), "--target", "y",
                   "--losses", "gamma"],
        "gamma needs y in its domain \\(amounts > 0\\)",
    ),
    "bad loss parameter": (
        lambda d: [csv_file(d, many_rows("x,y", lambda i: f"{i},{i}")), "--target", "y",
                   "--losses", "huber:delta=-1"],
        "delta must be in",
    ),
    "text target for regression": (
        lambda d: [csv_file(d, many_rows("x,y", lambda i: f"{i},{'abc'[i % 3]}")), "--target", "y",
                   "--task", "regression"],
        "needs a numeric target",
    ),
    "unknown dataset": (lambda d: ["--dataset", "iris"], "unknown dataset 'iris'"),
    "time series dataset": (lambda d: ["--dataset", "nile"], "nile is a time series"),
    "task that does not fit the target": (
        lambda d: ["--task", "binary"], "needs a target with exactly 2 distinct values.* has 226",
    ),
    "unknown rank metric": (lambda d: ["--rank-by", "auc"], "--rank-by must be one of rmse"),
    "plot to a missing folder": (
        lambda d: ["--plot", str(d / "no" / "chart.png")], "does not exist",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_prints_one_line_and_exits_2(case, tmp_path):
    make_args, expected = BAD_INPUTS[case]
    result = invoke("compare", *make_args(tmp_path), "--quiet")
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert re.search(expected, lines[0]), lines[0]
    assert "Traceback" not in result.output


def console_command() -> list[str]:
    """The installed console script, or the module when the package is not installed."""
    script = Path(sys.executable).with_name("boostloss")
    if script.exists():
        return [str(script)]
    found = shutil.which("boostloss")
    return [found] if found else [sys.executable, "-m", "boostloss.cli"]


def test_console_script_in_a_subprocess(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    command = console_command()
    ok = subprocess.run([*command, "losses"], capture_output=True, text=True, env=env,
                        cwd=tmp_path, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "pseudo_huber" in ok.stdout
    bad = subprocess.run([*command, "compare", str(tmp_path / "missing.csv"), "--target", "y"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [f"error: {tmp_path / 'missing.csv'}: no such file."]
    assert bad.stdout == ""
