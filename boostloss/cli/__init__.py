"""The ``boostloss`` command (console script ``boostloss = boostloss.cli:main``).

Commands:

- ``boostloss losses [--task T]``: every registered loss with its aliases, task,
  parameters (defaults) and Hessian type.
- ``boostloss datasets``: the shipped datasets (``boostloss.datasets``).
- ``boostloss compare [DATA.csv] --target COL [--losses a,b] [--backend xgboost|lightgbm]
  [--cv 5] [--n-estimators N] [--plot FILE.png] [--task auto|regression|binary|multiclass]``:
  cross-validates the losses that fit the task and prints a ranked table of the task's
  metrics (mean ± std over folds) and the fit time. Without a file it runs on the shipped
  heavy-tailed regression set (``engel``), or on ``--dataset NAME``.

Errors in the user's input (a missing or malformed CSV, a missing target column, text
columns that cannot be encoded, missing target values, a loss that does not fit the task)
print one line, ``error: ...``, to stderr and exit with code 2 (the code of a usage error).
The progress bar goes to stderr, the results to stdout.

Layering: reading data is in ``cli._data``, the cross-validation in ``cli._compare``,
tables and the chart in ``cli._render``; this module only wires options to them.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from typer.core import TyperGroup

try:  # typer >= 0.26 vendors click as typer._click; older typer uses click itself
    from typer._click import exceptions as _click_errors
except ImportError:  # pragma: no cover - depends on the typer version
    from click import exceptions as _click_errors

from ._compare import (
    Settings,
    baseline_results,
    check_settings,
    cross_validate,
    default_loss_specs,
    parse_loss_specs,
    resolve_specs,
)
from ._data import CliError, build_problem, load_csv, load_shipped
from ._render import (
    check_plot_path,
    compare_table,
    datasets_table,
    losses_table,
    save_plot,
)
from ._summary import check_rank_by, result_notes, summarise

__all__ = ["app", "main", "DEFAULT_DATASET"]

DEFAULT_DATASET = "engel"
EXIT_USAGE = 2

def _one_line(message: str) -> str:
    return " ".join(str(message).split())


class _OneLineErrors(TyperGroup):
    """Usage errors (an unknown option, ``--cv abc``...) as one line on stderr, exit code 2.

    click/typer would print a usage box over several lines; every error of this command is
    one line, ``error: ...``, whatever part of it found the problem.
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _click_errors.NoArgsIsHelpError as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except _click_errors.ClickException as exc:
            typer.echo(f"error: {_one_line(exc.format_message())[:500]}", err=True)
            sys.exit(EXIT_USAGE if isinstance(exc, _click_errors.UsageError) else exc.exit_code)
        except _click_errors.Abort:
            typer.echo("error: aborted.", err=True)
            sys.exit(1)
        except Exception as exc:  # a bug: still one line (BOOSTLOSS_TRACEBACK=1 shows it)
            if os.environ.get("BOOSTLOSS_TRACEBACK"):
                raise
            typer.echo(f"error: unexpected {type(exc).__name__}: {_one_line(exc)[:300]} (a bug in "
                       "boostloss; rerun with BOOSTLOSS_TRACEBACK=1 for the traceback and please "
                       "report it).", err=True)
            sys.exit(EXIT_USAGE)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="boostloss",
    help="Custom losses for XGBoost and LightGBM: list them, and compare them on your data.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    cls=_OneLineErrors,
)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"boostloss {__version__}")
        raise typer.Exit()


@app.callback()
def _main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True,
                     help="Print the boostloss version and exit."),
    ] = False,
) -> None:
    """Custom losses for XGBoost and LightGBM: list them, and compare them on your data."""


class Backend(str, Enum):
    xgboost = "xgboost"
    lightgbm = "lightgbm"


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


class Task(str, Enum):
    auto = "auto"
    regression = "regression"
    binary = "binary"
    multiclass = "multiclass"


def _console(stderr: bool = False) -> Console:
    """A console that keeps tables readable when the output is a file or a pipe (width 80)."""
    console = Console(stderr=stderr)
    if not console.is_terminal:
        console = Console(stderr=stderr, width=160)
    return console


def _fail(message: str) -> None:
    """Print one line to stderr and exit with the usage-error code."""
    typer.echo(f"error: {_one_line(message)}", err=True)
    raise typer.Exit(EXIT_USAGE)


@app.command("losses")
def losses_command(
    task: Annotated[
        str | None,
        typer.Option(help="Show only the losses of one task: regression, binary, multiclass, multilabel."),
    ] = None,
) -> None:
    """List every loss with its aliases, task, parameters (defaults) and Hessian type."""
    if task is not None and task not in ("regression", "binary", "multiclass", "multilabel"):
        _fail(f"--task must be regression, binary, multiclass or multilabel; got {task!r}.")
    _console().print(losses_table(task))


@app.command("datasets")
def datasets_command() -> None:
    """List the shipped datasets (load them with boostloss.datasets.load_dataset)."""
    _console().print(datasets_table())


@app.command("compare")
def compare_command(
    data: Annotated[
        Path | None,
        typer.Argument(
            help="CSV file with a header row. Omit it to use a shipped dataset (--dataset).",
            show_default=False,
        ),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option("--target", "-t", help="Target column (required with a CSV file)."),
    ] = None,
    losses: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated losses, each optionally with :param=value, e.g. "
            "'mse,huber:delta=2,quantile:alpha=0.9'. Default: every loss that fits the task.",
        ),
    ] = None,
    backend: Annotated[Backend, typer.Option(help="Boosting engine.")] = Backend.xgboost,
    cv: Annotated[int, typer.Option(help="Number of cross-validation folds.")] = 5,
    n_estimators: Annotated[int, typer.Option(help="Boosting rounds per model.")] = 200,
    learning_rate: Annotated[float, typer.Option(help="Learning rate (eta).")] = 0.1,
    task: Annotated[Task, typer.Option(help="Task; auto detects it from the target.")] = Task.auto,
    plot: Annotated[
        Path | None, typer.Option(help="Save a comparison chart to this file (.png, .pdf, .svg).")
    ] = None,
    dataset: Annotated[
        str, typer.Option(help="Shipped dataset used when no CSV is given (boostloss datasets).")
    ] = DEFAULT_DATASET,
    drop: Annotated[
        str | None, typer.Option(help="Comma-separated feature columns to leave out.")
    ] = None,
    rank_by: Annotated[
        str | None,
        typer.Option(help="Metric to rank by (regression: rmse, mae, bias, r2; binary: log_loss, "
                     "brier, roc_auc, average_precision, f1; multiclass: log_loss, accuracy, "
                     "macro_f1). Default: rmse or log_loss."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the fold split and the engines.")] = 0,
    n_jobs: Annotated[
        int | None,
        typer.Option(help="Engine threads (default: 1 below 20,000 rows, else all cores)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", help="table (rich, the default) or json (the whole result, "
                     "for scripts and notebooks)."),
    ] = OutputFormat.table,
) -> None:
    """Cross-validate the losses that fit the task and print a ranked table of metrics.

    Regression: RMSE, MAE, mean bias, R2 (+ pinball and the share of y below the prediction
    for quantile losses). Binary: log loss, Brier, ROC AUC, average precision, F1.
    Multiclass: log loss, accuracy, macro F1. Each as mean ± std over the folds, plus the
    mean fit time per fold.

    Text feature columns with at most 20 values are one-hot encoded; others are refused
    (leave them out with --drop). Rows with a missing target are refused.
    """
    try:
        problem, settings, specs, notes = _prepare(
            data, target, losses, backend.value, cv, n_estimators, learning_rate, task.value,
            dataset, drop, seed, n_jobs,
        )
        rank_key = check_rank_by(rank_by, problem, specs)
        if plot is not None:
            check_plot_path(plot)
    except CliError as exc:
        _fail(str(exc))
        return
    as_json = output_format is OutputFormat.json
    out = _console()
    n_features = len(problem.feature_names)
    if not as_json:
        out.print(
            f"data: {problem.source}, {problem.n_rows} rows x {n_features} "
            f"feature{'s' if n_features != 1 else ''}, target {problem.target!r}, "
            f"task {problem.task} ({problem.task_reason})",
            soft_wrap=True, highlight=False, markup=False,
        )
    results = _run(problem, specs, settings, quiet)
    summary = summarise(results, problem, rank_key, baseline_results(problem, specs, settings))
    notes = problem.notes + notes + result_notes(summary, problem)
    if as_json:
        from ._json import compare_document, dumps

        typer.echo(dumps(compare_document(summary, problem, settings, notes)))
    else:
        out.print(compare_table(summary, problem, settings))
        for note in notes:
            out.print(f"note: {note}", soft_wrap=True, highlight=False, markup=False)
    if plot is not None:
        try:
            save_plot(summary, problem, plot)
        except (OSError, ValueError) as exc:
            _fail(f"--plot {plot}: the chart could not be saved: {exc}")
        if not as_json:
            out.print(f"chart saved to {plot}", soft_wrap=True, highlight=False, markup=False)
    if all(result.error is not None for result in results):
        _fail("every loss failed; see the table above." if not as_json
              else "every loss failed; see the rows' errors in the JSON above.")


def _prepare(data, target, losses, backend, cv, n_estimators, learning_rate, task, dataset,
             drop, seed, n_jobs):
    drop_columns = [c.strip() for c in drop.split(",")] if drop else []
    if data is not None:
        if target is None:
            raise CliError(f"--target is required with a CSV file: name the column of {data} to predict.")
        read_notes: list[str] = []
        frame = load_csv(data, read_notes)
        problem = build_problem(frame, target, task=task, drop=drop_columns, source=str(data))
        problem.notes[:0] = read_notes
    else:
        frame, info = load_shipped(dataset)
        if target is not None and target != info.target:
            raise CliError(
                f"--target {target!r} only applies to a CSV file; the shipped dataset {dataset} "
                f"predicts {info.target!r}."
            )
        problem = build_problem(
            frame, info.target, task=task, drop=drop_columns, source=f"shipped dataset {dataset!r}"
        )
    settings = Settings(backend=backend, cv=cv, n_estimators=n_estimators,
                        learning_rate=learning_rate, seed=seed, n_jobs=n_jobs)
    check_settings(settings, problem)
    if losses is None:
        specs, notes = default_loss_specs(problem)
    else:
        specs, notes = parse_loss_specs(losses), []
    specs, more_notes = resolve_specs(specs, problem)
    return problem, settings, specs, notes + more_notes


def _run(problem, specs, settings, quiet):
    if quiet:
        return cross_validate(problem, specs, settings)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    progress = Progress(
        TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=_console(stderr=True), transient=False,
    )
    with progress:
        bar = progress.add_task("fitting", total=len(specs) * settings.cv)

        def advance(spec, fold):
            progress.update(bar, advance=1, description=f"{spec.name} fold {fold + 1}/{settings.cv}")

        results = cross_validate(problem, specs, settings, on_fit=advance)
        progress.update(bar, description="done")
    return results


def main() -> None:
    """Entry point of the console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
