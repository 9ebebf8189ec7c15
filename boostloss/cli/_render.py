"""Output of the ``boostloss`` command: rich tables and the ``--plot`` chart.

Tables are built here and printed by ``boostloss.cli``; nothing in this module reads input
or trains models. The chart uses matplotlib's Agg backend (no display needed).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from ._data import CliError, Problem
from ._summary import Summary

__all__ = ["losses_table", "datasets_table", "compare_table", "save_plot", "format_params"]


def format_params(defaults: dict[str, Any]) -> str:
    if not defaults:
        return "-"
    return ", ".join(f"{name}={value!r}" for name, value in defaults.items())


def losses_table(task: str | None = None) -> Table:
    """Every registered loss: name, aliases, task, parameters with defaults, Hessian type."""
    from ..registry import ALIASES, LOSSES

    table = Table(title="boostloss losses", show_lines=False)
    for column in ("name", "aliases", "task", "parameters (defaults)", "hessian", "labels"):
        table.add_column(column, overflow="fold")
    for name in sorted(LOSSES, key=lambda n: (_TASK_ORDER.get(LOSSES[n].task, 9), n)):
        cls = LOSSES[name]
        if task is not None and cls.task != task:
            continue
        aliases = ", ".join(sorted(a for a, c in ALIASES.items() if c == name)) or "-"
        table.add_row(
            name, aliases, cls.task, format_params(cls.param_defaults()), cls.hessian_type,
            cls.label_domain,
        )
    return table


_TASK_ORDER = {"regression": 0, "binary": 1, "multiclass": 2, "multilabel": 3}


def datasets_table() -> Table:
    from .. import datasets

    table = Table(title="shipped datasets (boostloss.datasets)")
    for column in ("name", "task", "rows", "cols", "target", "description"):
        table.add_column(column, overflow="fold", justify="right" if column in ("rows", "cols") else "left")
    for name in datasets.list_datasets():
        info = datasets.dataset_info(name)
        table.add_row(
            name, info.task, str(info.n_rows), str(info.n_columns), info.target, info.description
        )
    return table


def _cell(mean: float, std: float, digits: int) -> str:
    if math.isnan(mean):
        return "-"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _digits(values: list[float]) -> int:
    """Decimals so that the largest |value| keeps about 4 significant digits."""
    finite = [abs(v) for v in values if not math.isnan(v)]
    largest = max(finite, default=1.0) or 1.0
    return int(min(max(3 - math.floor(math.log10(largest)), 0), 4))


def compare_table(summary: Summary, problem: Problem, settings) -> Table:
    """The ranked table: one row per loss, mean ± std over folds of each metric and fit time.

    Rows come in groups (``_summary``): the mean/probability losses, then one group per
    quantile level; each group numbered from 1 and holding its baseline (the best constant,
    unnumbered, dimmed) in its ranked place. The column "> const" says whether a loss beats
    that baseline. User text (paths, column names, loss parameters, error messages) is
    added as ``rich.text.Text``, never parsed as markup.
    """
    title = Text(
        f"{problem.task}: {settings.cv}-fold CV on {problem.source}, {settings.backend}, "
        f"{settings.n_estimators} rounds, learning rate {settings.learning_rate:g}"
    )
    caption = f"ranked by {summary.rank_by.title} (mean over folds)"
    if any(result.level is not None for result, _ in summary.rows):
        caption += "; quantile rows by pinball within each level"
    table = Table(title=title, caption=caption)
    table.add_column("#", justify="right")
    table.add_column("loss")
    for metric in summary.metrics:
        arrow = {1: " ↑", -1: " ↓", 0: " →0"}[metric.direction]
        table.add_column(metric.title + (" →level" if metric.toward_level else arrow),
                         justify="right")
    table.add_column("> const", justify="center")
    table.add_column("fit s", justify="right")
    digits = {
        m.key: _digits([stats[m.key][0] for _, stats in summary.rows]) for m in summary.metrics
    }
    rank, group = 0, object()
    for result, stats in summary.rows:
        if result.error is not None:
            table.add_row("-", Text(result.label), Text(f"failed: {result.error}", style="red"),
                          *[""] * (len(summary.metrics) + 1))
            continue
        if result.level != group:
            rank, group = 0, result.level
        cells = []
        for metric in summary.metrics:
            mean, std = stats[metric.key]
            best = summary.best(metric.key, result.level)
            style = "bold green" if result.kind == "loss" and not math.isnan(mean) and mean == best else ""
            cells.append(Text(_cell(mean, std, digits[metric.key]), style=style))
        if result.kind == "baseline":
            table.add_row("-", Text(result.label, style="dim"), *cells, "", "", style="dim")
            continue
        rank += 1
        verdict = {True: Text("yes", style="green"), False: Text("NO", style="bold red"),
                   None: Text("-")}[result.beats_baseline]
        fit_mean, _ = stats["fit_seconds"]
        table.add_row(str(rank), Text(result.label), *cells, verdict, f"{fit_mean:.2f}")
    return table


_PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg")


def check_plot_path(path: Path) -> None:
    """Fail before training if the chart cannot be written.

    Checks matplotlib, the suffix, that the path is not a folder and that its parent is an
    existing folder, and then that the file can really be opened for writing (permissions,
    read-only file systems): it is created and removed again if it did not exist.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CliError("--plot needs matplotlib: pip install 'boostloss[plot]'.") from None
    if path.is_dir():
        raise CliError(f"--plot {path} is a folder; give a file name such as {path / 'compare.png'}.")
    if path.suffix.lower() not in _PLOT_SUFFIXES:
        raise CliError(f"--plot {path}: use a .png, .pdf, .svg or .jpg file name.")
    parent = path.parent
    if not parent.exists():
        raise CliError(f"--plot {path}: the folder {parent} does not exist.")
    if not parent.is_dir():
        raise CliError(f"--plot {path}: {parent} is a file, not a folder.")
    existed = path.exists()
    try:
        with path.open("ab"):
            pass
    except OSError as exc:
        raise CliError(f"--plot {path} cannot be written: {exc.strerror or exc}.") from None
    if not existed:
        path.unlink(missing_ok=True)


def save_plot(summary: Summary, problem: Problem, path: Path) -> None:
    """One horizontal bar chart per metric (mean with ± std error bars), losses in rank order."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [(r, s) for r, s in summary.rows if r.error is None]
    panels = [m for m in summary.metrics
              if any(not math.isnan(stats[m.key][0]) for _, stats in rows)]
    n_panels = len(panels) + 1
    labels = [result.label for result, _ in rows]
    height = max(2.5, 0.35 * len(labels) + 1.2)
    figure, axes = plt.subplots(1, n_panels, figsize=(3.2 * n_panels, height), sharey=True)
    positions = list(range(len(labels)))[::-1]
    for axis, metric in zip(axes, panels, strict=False):
        means = [stats[metric.key][0] for _, stats in rows]
        stds = [stats[metric.key][1] for _, stats in rows]
        colors = ["tab:gray" if result.kind == "baseline" else
                  "tab:green" if m == summary.best(metric.key, result.level) else "tab:blue"
                  for (result, _), m in zip(rows, means, strict=True)]
        axis.barh(positions, [0 if math.isnan(m) else m for m in means],
                  xerr=[0 if math.isnan(s) else s for s in stds], color=colors, capsize=3)
        arrow = {1: "higher is better", -1: "lower is better", 0: "closer to 0 is better"}
        better = "closest to the level is best" if metric.toward_level else arrow[metric.direction]
        axis.set_title(f"{metric.title}\n({better})", fontsize=9)
        axis.grid(axis="x", alpha=0.3)
    times = [0.0 if math.isnan(stats["fit_seconds"][0]) else stats["fit_seconds"][0]
             for _, stats in rows]
    axes[-1].barh(positions, times, color="tab:gray")
    axes[-1].set_title("fit time per fold (s)", fontsize=9)
    axes[0].set_yticks(positions)
    axes[0].set_yticklabels(labels, fontsize=8)
    figure.suptitle(f"boostloss compare: {problem.source} ({problem.task}), mean ± std over folds",
                    fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
