"""Issue 16: ``boostloss compare`` output a data scientist can trust.

Baseline rows and the "> const" verdicts, quantile rows judged per level (pinball, share of
y below the prediction against alpha, a multi-quantile syntax with interval coverage), task
detection for 1..k labels, input help (did-you-mean, the full column list, ``;``/tab/BOM
files), notes that appear only when they apply, ``--format json`` validated against
``tests/data/compare_result.schema.json``, ``--version`` and ``help(bl.get_loss)``.
Small shipped or generated CSVs, 2 folds, a few rounds.
"""

from __future__ import annotations

import json
import pydoc
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("typer")
pd = pytest.importorskip("pandas")
pytest.importorskip("sklearn")
pytest.importorskip("xgboost")
jsonschema = pytest.importorskip("jsonschema")

from typer.testing import CliRunner  # noqa: E402

import boostloss as bl  # noqa: E402
from boostloss.cli import app  # noqa: E402

SCHEMA = json.loads((Path(__file__).parent / "data" / "compare_result.schema.json").read_text())
SMALL = ["--cv", "2", "--n-estimators", "8", "--n-jobs", "1", "--quiet"]


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def compare_json(*args: str) -> dict:
    """Run compare with --format json, check the exit code and the schema, return the document."""
    result = invoke("compare", *args, "--format", "json", *SMALL)
    assert result.exit_code == 0, (result.output, result.exception)
    document = json.loads(result.stdout)  # stdout is the JSON document and nothing else
    jsonschema.validate(document, SCHEMA)
    return document


def rows_by_label(document: dict) -> dict[str, dict]:
    return {row["label"]: row for row in document["rows"]}


def regression_csv(path: Path, n: int = 120, noise_only: bool = False, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = rng.normal(size=n) if noise_only else 3 * x[:, 0] + x[:, 1] ** 2 + 0.3 * rng.normal(size=n)
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": y}).to_csv(path, index=False)
    return path


# ------------------------------------------------------------------------------ json
def test_json_output_matches_the_schema_and_holds_the_whole_result():
    document = compare_json("--losses", "mse,huber,quantile:alpha=0.1|0.5|0.9")
    assert document["data"]["task"] == "regression" and document["rank_by"] == "rmse"
    assert document["settings"]["cv"] == 2 and document["settings"]["n_estimators"] == 8
    rows = rows_by_label(document)
    huber = next(row for label, row in rows.items() if label.startswith("huber"))
    assert huber["params"]["delta"] > 0 and huber["rank"] >= 1
    assert len(huber["metrics"]["rmse"]["folds"]) == 2
    assert huber["metrics"]["rmse"]["mean"] == pytest.approx(np.mean(huber["metrics"]["rmse"]["folds"]))
    assert huber["metrics"]["pinball"]["mean"] is None  # NaN -> null: a metric that does not apply
    assert [row["kind"] for row in document["baseline"]] == ["baseline"] * 4  # mean + 3 levels
    assert any("robust spread" in note for note in document["notes"])


def test_json_of_a_failing_loss_has_its_error_and_exit_code_2():
    result = invoke("compare", "--losses", "huber", "--learning-rate", "1e300", "--format", "json",
                    *SMALL)
    # learning rate 1e300 passes the up-front checks; the engines produce non-finite trees.
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    assert document["rows"][-1]["error"] and len(result.stderr.splitlines()) == 1


# ------------------------------------------------------------------------------ baseline
def test_every_table_has_a_baseline_row_and_flags_losses_that_do_not_beat_it(tmp_path):
    signal = compare_json(str(regression_csv(tmp_path / "signal.csv")), "--target", "y",
                          "--losses", "mse,huber")
    assert all(row["beats_baseline"] for row in signal["rows"] if row["kind"] == "loss")
    (baseline,) = signal["baseline"]
    assert baseline["label"] == "best constant" and baseline["rank"] is None
    # The best constant for RMSE is the training mean: its R2 on held-out folds is <= 0.
    assert baseline["metrics"]["r2"]["mean"] <= 0.0

    noise = compare_json(str(regression_csv(tmp_path / "noise.csv", noise_only=True)), "--target",
                         "y", "--losses", "mse,huber")
    verdicts = {row["loss"]: row["beats_baseline"] for row in noise["rows"] if row["kind"] == "loss"}
    assert False in verdicts.values(), verdicts  # boosting on noise does not beat the mean
    assert any(note.startswith("not better than the best constant") for note in noise["notes"])


def test_baseline_row_in_the_table_and_classification_baselines(tmp_path):
    result = invoke("compare", "--dataset", "breast_cancer", "--losses", "logistic,smooth_hinge",
                    *SMALL)
    assert result.exit_code == 0, result.output
    assert "best constant" in result.stdout and "> const" in result.stdout
    document = compare_json("--dataset", "wine")
    (baseline,) = document["baseline"]
    # Class frequencies: the multiclass log loss of a constant is the entropy of the classes.
    counts = np.bincount(bl.datasets.load_dataset("wine")[1].astype(int))
    entropy = -np.sum(counts / counts.sum() * np.log(counts / counts.sum()))
    assert baseline["metrics"]["log_loss"]["mean"] == pytest.approx(entropy, rel=0.05)
    assert all(row["beats_baseline"] for row in document["rows"] if row["kind"] == "loss")


# ------------------------------------------------------------------------------ quantile
def test_quantile_rows_are_ranked_by_pinball_within_each_level():
    document = compare_json("--losses", "mse,quantile:alpha=0.1,quantile:alpha=0.9,mae",
                            "--rank-by", "pinball")
    rows = document["rows"]
    levels = [row["level"] for row in rows]
    # Mean losses first, then the 0.1 group, then the 0.9 group (each with its baseline).
    assert levels == sorted(levels, key=lambda v: -1 if v is None else v)
    for level in (0.1, 0.9):
        group = [row for row in rows if row["level"] == level]
        assert [row["kind"] for row in group].count("baseline") == 1
        pinball = [row["metrics"]["pinball"]["mean"] for row in group]
        assert pinball == sorted(pinball)
        loss_row = next(row for row in group if row["kind"] == "loss")
        assert loss_row["rank"] == 1  # numbering restarts per level
        share = loss_row["metrics"]["below"]["mean"]
        assert abs(share - level) < 0.25, (level, share)


def test_rank_by_pinball_needs_a_quantile_loss():
    result = invoke("compare", "--losses", "mse", "--rank-by", "pinball", *SMALL)
    assert result.exit_code == 2
    assert "pinball needs a quantile loss in --losses" in result.stderr


def test_share_column_is_judged_against_the_level_in_the_table():
    result = invoke("compare", "--losses", "quantile:alpha=0.1,quantile:alpha=0.9", *SMALL)
    assert result.exit_code == 0, result.output
    assert "share y<=pred →level" in result.stdout
    assert "quantile rows by pinball within each level" in result.stdout


def test_quantile_list_fits_one_multi_quantile_model_and_reports_outer_coverage():
    document = compare_json("--losses", "quantile:alpha=0.1|0.5|0.9")
    rows = [row for row in document["rows"] if row["kind"] == "loss"]
    assert [row["level"] for row in rows] == [0.1, 0.5, 0.9]
    assert {row["params"]["alpha"] == [0.1, 0.5, 0.9] for row in rows} == {True}
    coverage = rows[0]["interval_coverage"]
    assert coverage is not None and 0.4 < coverage["mean"] <= 1.0
    assert any("between the 0.1 and 0.9 quantiles holds" in note and "nominal 80%" in note
               for note in document["notes"])
    # One fit per fold: the three rows share their fit times.
    assert len({row["fit_seconds"]["mean"] for row in rows}) == 1


# ------------------------------------------------------------------------------ task detection
def test_labels_1_to_k_are_multiclass_with_the_mapping_stated(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, 2))
    grade = np.digitize(x[:, 0], [-0.4, 0.4]) + 1  # 1, 2, 3
    path = tmp_path / "grades.csv"
    pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "grade": grade}).to_csv(path, index=False)
    result = invoke("compare", str(path), "--target", "grade", *SMALL)
    assert result.exit_code == 0, result.output
    assert "task multiclass (detected: integer labels 1..3)" in result.stdout
    assert "mapped to 0..2: 1->0, 2->1, 3->2" in result.stdout
    assert "RMSE" not in result.stdout


def test_string_labels_state_their_mapping(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=90)
    kind = np.array(["low", "mid", "high"])[np.digitize(x, [-0.4, 0.4])]
    path = tmp_path / "kinds.csv"
    pd.DataFrame({"x": x, "kind": kind}).to_csv(path, index=False)
    result = invoke("compare", str(path), "--target", "kind", *SMALL)
    assert result.exit_code == 0, result.output
    assert "high->0, low->1, mid->2" in result.stdout


def test_few_integer_values_that_are_not_a_range_suggest_task(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=80)
    path = tmp_path / "counts.csv"
    pd.DataFrame({"x": x, "y": rng.choice([0, 2, 5, 9], 80)}).to_csv(path, index=False)
    result = invoke("compare", str(path), "--target", "y", "--losses", "mse", *SMALL)
    assert result.exit_code == 0, result.output
    assert "task regression" in result.stdout
    assert "only 4 distinct integer values" in result.stdout and "--task multiclass" in result.stdout


# ------------------------------------------------------------------------------ input help
def wide_csv(path: Path, n_columns: int = 30) -> Path:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(40, n_columns)),
                         columns=[f"feature_{i:02d}" for i in range(n_columns)])
    frame["house_price"] = frame["feature_00"] * 2 + rng.normal(size=40)
    frame.to_csv(path, index=False)
    return path


def test_missing_target_in_the_last_of_many_columns_is_suggested(tmp_path):
    path = wide_csv(tmp_path / "wide.csv")
    result = invoke("compare", str(path), "--target", "house_prices", *SMALL)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "did you mean 'house_price'?" in line
    assert "its 31 columns are" in line and line.rstrip(".").endswith("house_price")


def test_target_matching_a_column_but_for_case_is_suggested(tmp_path):
    path = wide_csv(tmp_path / "wide.csv", 5)
    result = invoke("compare", str(path), "--target", "HOUSE_PRICE", *SMALL)
    assert result.exit_code == 2 and "did you mean 'house_price'?" in result.stderr


def test_unknown_loss_name_is_suggested():
    result = invoke("compare", "--losses", "mse,hubber", *SMALL)
    assert result.exit_code == 2
    assert re.search(r"unknown loss 'hubber'; did you mean 'huber'\?", result.stderr)


@pytest.mark.parametrize(("delimiter", "said"), [(";", "';'-separated"), ("\t", "tab-separated"),
                                                 ("|", "'|'-separated")])
def test_delimiter_is_detected_and_stated(tmp_path, delimiter, said):
    path = tmp_path / "data.csv"
    regression_csv(tmp_path / "comma.csv")
    frame = pd.read_csv(tmp_path / "comma.csv")
    if delimiter == ";":  # the European habit: decimal commas inside ;-separated files
        path.write_text(frame.to_csv(sep=";", index=False))
    else:
        frame.to_csv(path, sep=delimiter, index=False)
    result = invoke("compare", str(path), "--target", "y", "--losses", "mse", *SMALL)
    assert result.exit_code == 0, result.output
    assert f"read as {said}" in result.stdout
    assert "3 features" in result.stdout


def test_utf8_byte_order_mark_is_removed_and_stated(tmp_path):
    plain = regression_csv(tmp_path / "plain.csv")
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    result = invoke("compare", str(path), "--target", "a", "--losses", "mse", *SMALL)
    assert result.exit_code == 0, result.output  # the first column is 'a', not '\ufeffa'
    assert "byte-order mark" in result.stdout
    assert "comma" not in result.stdout and "read as ';'" not in result.stdout


def test_utf16_tab_separated_file_as_excel_writes_it_is_read(tmp_path):
    frame = pd.read_csv(regression_csv(tmp_path / "plain.csv"))
    path = tmp_path / "excel.txt"
    path.write_bytes(frame.to_csv(sep="\t", index=False).encode("utf-16"))  # with its BOM
    result = invoke("compare", str(path), "--target", "y", "--losses", "mse", *SMALL)
    assert result.exit_code == 0, result.output
    assert "read as tab-separated" in result.stdout and "read as UTF-16" in result.stdout


def test_plain_comma_files_get_no_reading_note(tmp_path):
    result = invoke("compare", str(regression_csv(tmp_path / "d.csv")), "--target", "y",
                    "--losses", "mse", *SMALL)
    assert result.exit_code == 0 and "read as" not in result.stdout


# ------------------------------------------------------------------------------ notes
def test_log_cosh_note_only_when_log_cosh_underfits(tmp_path):
    unit_scale = compare_json(str(regression_csv(tmp_path / "unit.csv")), "--target", "y",
                              "--losses", "mse,log_cosh")
    assert not any("log_cosh has no scale" in note for note in unit_scale["notes"])
    engel = compare_json("--losses", "mse,log_cosh")  # food expenditure, spread ~230
    assert any("log_cosh has no scale" in note for note in engel["notes"])


# ------------------------------------------------------------------------------ first hour
def test_version_option_prints_the_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"boostloss {bl.__version__}"


def test_help_of_get_loss_lists_the_names_and_an_example():
    text = pydoc.render_doc(bl.get_loss, renderer=pydoc.plaintext)
    for name in bl.available_losses():
        assert name in text
    assert ">>> loss = bl.get_loss(" in text
    import doctest

    finder = doctest.DocTestFinder()
    (test,) = finder.find(bl.get_loss, "get_loss", globs={})
    assert doctest.DocTestRunner().run(test).failed == 0
