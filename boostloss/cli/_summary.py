"""Fold scores -> the ranked rows of ``boostloss compare``, each judged against the baseline.

- Rows are grouped: the losses that estimate a mean (or a class probability) first, ranked
  by ``--rank-by`` (default RMSE / log loss); then one group per quantile level, ascending,
  ranked by the pinball loss at that level (pinball losses of different levels are not
  comparable, nor is a quantile's RMSE). Failed rows come last.
- Each group holds its baseline, the best constant (``_compare.baseline_results``), in its
  ranked place, so the rows below it are the losses that do not beat a constant. Every
  loss row gets ``beats_baseline``: whether its group's ranking metric is strictly better
  than the baseline's (for a loss without that metric, e.g. a margin loss ranked by log
  loss, the first metric both have).
- Means and standard deviations are over folds (ddof=0, as scikit-learn's ``cv_results_``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._compare import LossResult, LossSpec
from ._data import CliError, Problem
from ._metrics import DEFAULT_RANK, QUANTILE_ONLY, Metric, metrics_for

__all__ = ["Summary", "summarise", "check_rank_by", "result_notes"]

Stats = dict[str, tuple[float, float]]


@dataclass
class Summary:
    """Mean and std over folds of every metric, per row, in ranked order (baselines included)."""

    metrics: list[Metric]
    rank_by: Metric
    rows: list[tuple[LossResult, Stats]]

    def group_metric(self, level: float | None) -> Metric:
        """The metric a row group is ranked by: pinball for a quantile level, else rank_by."""
        if level is not None:
            return next(m for m in self.metrics if m.key == "pinball")
        return self.rank_by

    def best(self, key: str, level: float | None = None) -> float | None:
        """The best mean of a metric over the successful loss rows of one group (None if none)."""
        metric = next(m for m in self.metrics if m.key == key)
        means = [stats[key][0] for result, stats in self.rows
                 if result.error is None and result.kind == "loss" and result.level == level
                 and not math.isnan(stats[key][0])]
        if not means:
            return None
        return min(means, key=lambda mean: metric.badness(mean, level))

    @property
    def baselines(self) -> list[tuple[LossResult, Stats]]:
        return [(r, s) for r, s in self.rows if r.kind == "baseline"]


def _mean_std(values: list[float]) -> tuple[float, float]:
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0 or np.isnan(array).all():
        return math.nan, math.nan
    return float(np.nanmean(array)), float(np.nanstd(array))


def check_rank_by(rank_by: str | None, problem: Problem, specs: list[LossSpec]) -> str:
    """``rank_by`` if it is a metric of this run (pinball only with a quantile loss)."""
    metrics = metrics_for(problem.task, [spec.name for spec in specs])
    key = rank_by or DEFAULT_RANK[problem.task]
    if key not in {m.key for m in metrics}:
        valid = ", ".join(m.key for m in metrics)
        extra = "; pinball needs a quantile loss in --losses" if key in QUANTILE_ONLY else ""
        raise CliError(f"--rank-by must be one of {valid} for {problem.task}{extra}; got {key!r}.")
    return key


def _judge(result: LossResult, stats: Stats, baseline: Stats | None, metrics: list[Metric],
           first: Metric) -> bool | None:
    """Is the row strictly better than the baseline (on ``first``, else the first shared metric)?"""
    if baseline is None or result.error is not None:
        return None
    for metric in [first, *metrics]:
        mine, theirs = stats[metric.key][0], baseline[metric.key][0]
        if not (math.isnan(mine) or math.isnan(theirs)):
            return metric.badness(mine, result.level) < metric.badness(theirs, result.level)
    return None


def summarise(results: list[LossResult], problem: Problem, rank_by: str | None = None,
              baselines: list[LossResult] | None = None) -> Summary:
    """Fold means and stds; rows grouped, ranked best first, judged against the baselines."""
    rows_in = [*results, *(baselines or [])]
    metrics = metrics_for(problem.task, [r.spec.name for r in rows_in])
    key = rank_by or DEFAULT_RANK[problem.task]
    try:
        rank_metric = next(m for m in metrics if m.key == key)
    except StopIteration:
        valid = ", ".join(m.key for m in metrics)
        raise CliError(f"--rank-by must be one of {valid} for {problem.task}; got {key!r}.") from None
    if key in QUANTILE_ONLY:  # pinball ranks the quantile groups; the others keep the default
        rank_metric = next(m for m in metrics if m.key == DEFAULT_RANK[problem.task])
    summary = Summary(metrics, rank_metric, [])
    rows = []
    for result in rows_in:
        stats = {m.key: _mean_std(result.scores.get(m.key, [])) for m in metrics}
        stats["fit_seconds"] = _mean_std(result.fit_seconds)
        rows.append((result, stats))
    levels = sorted({r.level for r in rows_in if r.level is not None})
    group_of = {None: 0, **{level: i + 1 for i, level in enumerate(levels)}}
    baseline_stats = {r.level: s for r, s in rows if r.kind == "baseline"}
    for result, stats in rows:
        if result.kind == "loss":
            metric = summary.group_metric(result.level)
            result.beats_baseline = _judge(result, stats, baseline_stats.get(result.level),
                                           metrics, metric)

    def order(row):
        result, stats = row
        if result.error is not None:
            return (len(group_of), 2, 0.0)
        metric = summary.group_metric(result.level)
        mean = stats[metric.key][0]
        if math.isnan(mean):
            return (group_of[result.level], 1, 0.0)
        return (group_of[result.level], 0, metric.badness(mean, result.level))

    summary.rows = sorted(rows, key=order)  # stable: ties keep the input order
    return summary


def result_notes(summary: Summary, problem: Problem) -> list[str]:
    """Notes that depend on the results, shown only when they apply."""
    notes = []
    rows = [(r, s) for r, s in summary.rows if r.kind == "loss" and r.error is None]
    behind = [r.label for r, _ in rows if r.beats_baseline is False]
    if behind:
        notes.append(f"not better than the best constant: {', '.join(behind)}")
    for result, _ in rows:
        if result.coverage:
            low, high = result.spec.all_params["alpha"][0], result.spec.all_params["alpha"][-1]
            share = 100 * np.mean(result.coverage)
            notes.append(
                f"{result.spec.label}: the interval between the {low:g} and {high:g} quantiles "
                f"holds {share:.1f}% ± {100 * np.std(result.coverage):.1f}% of held-out targets "
                f"(nominal {100 * (high - low):g}%)"
            )
    notes.extend(_log_cosh_note(summary, problem, rows))
    return notes


def _log_cosh_note(summary: Summary, problem: Problem, rows) -> list[str]:
    """log_cosh underfits a target spread over much more than 1: say so when the table shows it."""
    if problem.task != "regression":
        return []
    rmse = {r.spec.name: s["rmse"][0] for r, s in rows if r.level is None}
    if "log_cosh" not in rmse or len(rmse) < 2:
        return []
    others = [v for name, v in rmse.items() if name != "log_cosh"]
    if not rmse["log_cosh"] > 1.1 * min(others):
        return []
    scale = 1.4826 * float(np.median(np.abs(problem.y - np.median(problem.y))))
    return [
        f"log_cosh has no scale parameter: its quadratic zone is |error| < ~1 in the target's "
        f"units, so on a target spread over {scale:.3g} it acts like absolute error with small "
        f"steps and underfits (RMSE {rmse['log_cosh']:.4g} vs {min(others):.4g}); standardise "
        "the target or use huber / pseudo_huber, whose delta is in y's units"
    ]
