"""The work behind ``boostloss compare``: which losses, cross-validation, metrics, ranking.

- ``parse_loss_specs("huber:delta=2,focal")`` reads the ``--losses`` option: comma-separated
  loss names (or aliases), each optionally followed by ``:param=value`` pairs.
- ``default_loss_specs(problem)`` picks every registered loss that fits the task and the
  target: the regression losses (log-link ones only when the target is in their domain:
  ``poisson``/``tweedie`` need y >= 0, ``gamma`` y > 0), the binary losses, or the
  multiclass losses. Left out by default, and said so in the output: ``expectile`` and
  ``quantile`` (they estimate an expectile or quantile, not the mean; ask for them with
  ``--losses quantile:alpha=0.9``), ``smooth_l1`` (huber(delta=beta) / beta: the same
  minimiser as huber) and ``multilabel_logistic`` (needs several target columns).
- Scale parameters (huber/pseudo_huber ``delta``, smooth_l1 ``beta``, fair ``c``) are in the
  target's units; when not given they are set to the robust spread of the target,
  1.4826 * median(|y - median(y)|), so the loss switches from quadratic to linear at about
  one "typical" deviation whatever the units of y.
- ``cross_validate(problem, specs, settings)`` fits ``BoostLossRegressor`` /
  ``BoostLossClassifier`` on (Stratified)KFold splits (shuffled, seeded) and scores each
  held-out fold with the metrics of ``METRICS[task]``. A loss that fails on the data (e.g.
  an error from its label checks or the engine) is reported as a failed row, not a crash.
- ``summarise`` turns fold scores into mean and standard deviation (ddof=0, as
  scikit-learn's ``cv_results_``) and ranks the losses by one metric.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..registry import LOSSES, canonical_name, get_loss
from ._data import CliError, Problem
from ._metrics import DEFAULT_RANK, FoldPrediction, Metric, metrics_for

__all__ = [
    "LossSpec",
    "DEFAULT_RANK",
    "Settings",
    "LossResult",
    "Summary",
    "parse_loss_specs",
    "default_loss_specs",
    "resolve_specs",
    "cross_validate",
    "summarise",
]

SCALE_PARAMETERS = {"huber": "delta", "pseudo_huber": "delta", "smooth_l1": "beta", "fair": "c"}
NOT_BY_DEFAULT = {
    "expectile": "it estimates an expectile; expectile:alpha=0.5 is squared_error",
    "quantile": "it estimates a quantile; ask for it with --losses quantile:alpha=0.9",
    "smooth_l1": "it is huber(delta=beta) / beta, the same minimiser as huber",
}


# ---------------------------------------------------------------------------------- losses
@dataclass
class LossSpec:
    """One loss to compare: canonical name, the parameters given, the parameters used."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    auto_params: dict[str, Any] = field(default_factory=dict)

    @property
    def all_params(self) -> dict[str, Any]:
        return {**self.auto_params, **self.params}

    @property
    def label(self) -> str:
        if not self.all_params:
            return self.name
        shown = ", ".join(f"{k}={_format_value(v)}" for k, v in self.all_params.items())
        return f"{self.name}({shown})"


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _parse_value(text: str) -> Any:
    lowered = text.strip().lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text.strip()


def parse_loss_specs(text: str) -> list[LossSpec]:
    """``"huber:delta=2,focal:gamma=1:alpha=none,mse"`` -> LossSpecs (names canonical)."""
    specs = []
    for entry in text.split(","):
        entry = entry.strip()
        if not entry:
            continue
        name, *assignments = entry.split(":")
        try:
            canonical = canonical_name(name)
        except ValueError as exc:
            raise CliError(f"--losses: {exc}") from None
        params: dict[str, Any] = {}
        for assignment in assignments:
            key, sep, value = assignment.partition("=")
            if not sep or not key.strip():
                raise CliError(
                    f"--losses: cannot read {assignment!r} in {entry!r}; write parameters as "
                    "name:param=value, e.g. huber:delta=2 or quantile:alpha=0.9."
                )
            params[key.strip()] = _parse_value(value)
        specs.append(LossSpec(canonical, params))
    if not specs:
        raise CliError("--losses is empty; give loss names separated by commas, e.g. mse,huber.")
    return specs


def _label_problem(loss, y: np.ndarray) -> str | None:
    """Why ``loss`` cannot take the target ``y`` (None if it can)."""
    try:
        loss.validate_labels(y)
    except ValueError:
        return f"needs y in its domain ({loss.label_domain})"
    return None


def default_loss_specs(problem: Problem) -> tuple[list[LossSpec], list[str]]:
    """Every registered loss that fits the task and the target, plus notes on the ones left out."""
    specs, notes = [], []
    for name, cls in LOSSES.items():
        if cls.task != problem.task:
            continue
        if name in NOT_BY_DEFAULT:
            notes.append(f"not run by default: {name}, since {NOT_BY_DEFAULT[name]}")
            continue
        reason = _label_problem(cls(), problem.y) if problem.task == "regression" else None
        if reason:
            notes.append(f"skipped {name}: {reason}; the target has min {problem.y.min():.4g}")
            continue
        specs.append(LossSpec(name))
    return specs, notes


def robust_scale(y: np.ndarray) -> float:
    """1.4826 * median absolute deviation (the normal sigma for Gaussian data); std if 0."""
    scale = 1.4826 * float(np.median(np.abs(y - np.median(y))))
    if scale > 0:
        return scale
    return float(np.std(y)) or 1.0


def resolve_specs(specs: list[LossSpec], problem: Problem) -> tuple[list[LossSpec], list[str]]:
    """Check that each loss fits the task and target, and fill in data-based parameters.

    Raises CliError for a loss of another task, a target outside a loss's domain,
    unknown or invalid parameters, and several quantile levels in one entry.
    """
    notes = []
    scale = robust_scale(problem.y) if problem.task == "regression" else None
    scaled = []
    for spec in specs:
        cls = LOSSES[spec.name]
        if cls.task != problem.task:
            raise CliError(
                f"--losses: {spec.name} is a {cls.task} loss but the task is {problem.task} "
                f"({problem.task_reason}); pick {problem.task} losses (boostloss losses) or "
                "set --task."
            )
        if spec.name == "quantile" and isinstance(spec.params.get("alpha"), list | tuple):
            raise CliError("--losses: give one quantile level per entry, e.g. quantile:alpha=0.1,quantile:alpha=0.9.")
        parameter = SCALE_PARAMETERS.get(spec.name)
        if parameter and parameter not in spec.params:
            spec.auto_params[parameter] = float(f"{scale:.4g}")
            scaled.append(f"{spec.name} {parameter}")
        try:
            loss = get_loss(spec.name, **spec.all_params)
        except (ValueError, TypeError) as exc:
            raise CliError(f"--losses: {exc}") from None
        reason = _label_problem(loss, problem.y)
        if reason:
            raise CliError(
                f"--losses: {spec.name} {reason}, but the target {problem.target!r} has min "
                f"{np.min(problem.y):.4g}; leave it out or transform the target."
            )
    if scaled:
        notes.append(
            f"{', '.join(scaled)} set to the robust spread of the target, 1.4826 * MAD = "
            f"{scale:.4g} (in units of {problem.target}); set them with e.g. --losses huber:delta=2"
        )
    if any(spec.name == "log_cosh" for spec in specs) and scale is not None and scale > 10:
        floor = next(get_loss(s.name, **s.all_params).hessian_floor for s in specs
                     if s.name == "log_cosh")
        notes.append(
            f"log_cosh has no scale parameter: its gradient is -tanh(error), +-1 once |error| > ~2, "
            f"so on a target spread over {scale:.3g} each tree moves a prediction by at most "
            f"learning_rate / hessian_floor = learning_rate / {floor:g} and it underfits; "
            "standardise the target or use huber / pseudo_huber, whose delta is in y's units"
        )
    for spec in specs:
        beta = spec.all_params.get("beta", 1.0) if spec.name == "smooth_l1" else None
        if beta is not None and beta > 10:
            notes.append(
                f"smooth_l1's Hessian is 1/beta = {1 / beta:.3g} per row, so the engines' "
                "min_child_weight / reg_lambda (XGBoost: 1 and 1) dominate its splits and leaf "
                "values; huber(delta=beta) is the same loss times beta"
            )
    labels = [spec.label for spec in specs]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise CliError(f"--losses lists {', '.join(repeated)} more than once.")
    return specs, notes


# ---------------------------------------------------------------------------------- fitting
@dataclass(frozen=True)
class Settings:
    backend: str = "xgboost"
    cv: int = 5
    n_estimators: int = 200
    learning_rate: float = 0.1
    seed: int = 0
    n_jobs: int | None = None


SINGLE_THREAD_ROWS = 20_000


def engine_threads(settings: Settings, problem: Problem) -> int | None:
    """``--n-jobs``, or by default 1 thread below ``SINGLE_THREAD_ROWS`` rows (the engines'
    thread start-up and barriers cost more than they save on small data, and badly so on a
    busy machine: 3-17 s instead of 0.2 s per fit measured on engel) and the engine's own
    default (all cores) above."""
    if settings.n_jobs is not None:
        return settings.n_jobs
    return 1 if problem.n_rows < SINGLE_THREAD_ROWS else None


@dataclass
class LossResult:
    spec: LossSpec
    scores: dict[str, list[float]] = field(default_factory=dict)
    fit_seconds: list[float] = field(default_factory=list)
    error: str | None = None


def check_settings(settings: Settings, problem: Problem) -> None:
    if settings.backend not in ("xgboost", "lightgbm"):
        raise CliError(f"--backend must be xgboost or lightgbm; got {settings.backend!r}.")
    if settings.cv < 2:
        raise CliError(f"--cv must be at least 2 folds; got {settings.cv}.")
    if settings.n_estimators < 1:
        raise CliError(f"--n-estimators must be at least 1; got {settings.n_estimators}.")
    if not settings.learning_rate > 0:
        raise CliError(f"--learning-rate must be > 0; got {settings.learning_rate}.")
    if problem.n_rows < 2 * settings.cv:
        raise CliError(
            f"{problem.source} has {problem.n_rows} rows, too few for {settings.cv}-fold "
            f"cross-validation (at least {2 * settings.cv}); lower --cv or add rows."
        )
    if problem.task != "regression":
        counts = np.bincount(problem.y, minlength=problem.n_classes)
        smallest = int(np.argmin(counts))
        if counts[smallest] < settings.cv:
            raise CliError(
                f"class {problem.class_names[smallest]!r} of {problem.target!r} has "
                f"{counts[smallest]} rows, fewer than the {settings.cv} folds (every fold needs "
                "each class); lower --cv or drop that class."
            )
    module = settings.backend
    try:
        __import__(module)
    except ImportError:
        raise CliError(
            f"--backend {module} needs the {module} package: pip install 'boostloss[{module}]'."
        ) from None


def _splits(problem: Problem, settings: Settings):
    from sklearn.model_selection import KFold, StratifiedKFold

    if problem.task == "regression":
        splitter = KFold(settings.cv, shuffle=True, random_state=settings.seed)
    else:
        splitter = StratifiedKFold(settings.cv, shuffle=True, random_state=settings.seed)
    return list(splitter.split(problem.X, problem.y))


def _estimator(spec: LossSpec, problem: Problem, settings: Settings):
    from ..sklearn import BoostLossClassifier, BoostLossRegressor

    cls = BoostLossRegressor if problem.task == "regression" else BoostLossClassifier
    return cls(
        loss=spec.name,
        loss_params=spec.all_params or None,
        backend=settings.backend,
        n_estimators=settings.n_estimators,
        learning_rate=settings.learning_rate,
        random_state=settings.seed,
        n_jobs=engine_threads(settings, problem),
    )


def _predict_fold(model, spec: LossSpec, problem: Problem, X_test, y_test) -> FoldPrediction:
    if problem.task == "regression":
        level = get_loss(spec.name, **spec.all_params).levels[0] if spec.name == "quantile" else None
        return FoldPrediction(y_test, np.asarray(model.predict(X_test), dtype=np.float64),
                              quantile_level=level)
    labels = np.asarray(model.predict(X_test))
    if not np.array_equal(np.asarray(model.classes_), np.arange(problem.n_classes)):
        raise ValueError(f"a training fold lacks classes: got {model.classes_}")  # pragma: no cover
    has_probabilities = hasattr(model, "predict_proba")
    if problem.task == "multiclass":
        return FoldPrediction(y_test, labels, probability=model.predict_proba(X_test))
    if has_probabilities:
        probability = model.predict_proba(X_test)[:, 1]
        return FoldPrediction(y_test, labels, probability=probability, score=probability)
    return FoldPrediction(y_test, labels, score=np.asarray(model.decision_function(X_test)))


def cross_validate(
    problem: Problem,
    specs: list[LossSpec],
    settings: Settings,
    on_fit: Callable[[LossSpec, int], None] | None = None,
) -> list[LossResult]:
    """Fit every loss on every training fold and score it on the held-out fold.

    ``on_fit(spec, fold)`` is called after each fit (the progress bar). A loss whose fit or
    prediction raises (bad labels for it, an engine error...) is recorded with the one-line
    message as a failed row and skipped for the remaining folds; the other losses go on.

    ``fit_seconds`` times each fold's ``fit``. Before the first fold every loss gets one
    untimed 2-round fit on the first training fold, so that one-time costs (imports,
    compiling the loss's numba kernel) are not charged to the first loss or fold.
    """
    splits = _splits(problem, settings)
    metrics = metrics_for(problem.task, [spec.name for spec in specs])
    results = []
    for spec in specs:
        result = LossResult(spec, {m.key: [] for m in metrics})
        for fold, (train, test) in enumerate(splits):
            if result.error is None:
                try:
                    if fold == 0:  # warm-up, untimed
                        warm_up = _estimator(spec, problem, replace(settings, n_estimators=2))
                        warm_up.fit(problem.X[train], problem.y[train])
                    model = _estimator(spec, problem, settings)
                    start = time.perf_counter()
                    model.fit(problem.X[train], problem.y[train])
                    result.fit_seconds.append(time.perf_counter() - start)
                    predicted = _predict_fold(model, spec, problem, problem.X[test], problem.y[test])
                    for metric in metrics:
                        result.scores[metric.key].append(metric.compute(predicted))
                except Exception as exc:  # noqa: BLE001 - one failing loss must not stop the rest
                    result.error = f"fold {fold + 1}: {' '.join(str(exc).split())}"
            if on_fit is not None:
                on_fit(spec, fold)
        results.append(result)
    return results


# ---------------------------------------------------------------------------------- summary
@dataclass
class Summary:
    """Mean and std over folds of every metric, per loss, in ranked order."""

    metrics: list[Metric]
    rank_by: Metric
    rows: list[tuple[LossResult, dict[str, tuple[float, float]]]]

    def best(self, key: str) -> float | None:
        """The best mean of a metric over the successful losses (None if none)."""
        metric = next(m for m in self.metrics if m.key == key)
        means = [stats[key][0] for result, stats in self.rows
                 if result.error is None and not math.isnan(stats[key][0])]
        if not means:
            return None
        if metric.direction > 0:
            return max(means)
        if metric.direction < 0:
            return min(means)
        return min(means, key=abs)


def _mean_std(values: list[float]) -> tuple[float, float]:
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0 or np.isnan(array).all():
        return math.nan, math.nan
    return float(np.mean(array)), float(np.std(array))


def summarise(results: list[LossResult], problem: Problem, rank_by: str | None = None) -> Summary:
    """Fold means and stds; rows sorted best first by ``rank_by`` (failed rows last)."""
    metrics = metrics_for(problem.task, [r.spec.name for r in results])
    key = rank_by or DEFAULT_RANK[problem.task]
    try:
        rank_metric = next(m for m in metrics if m.key == key)
    except StopIteration:
        valid = ", ".join(m.key for m in metrics)
        raise CliError(f"--rank-by must be one of {valid} for {problem.task}; got {key!r}.") from None
    rows = []
    for result in results:
        stats = {m.key: _mean_std(result.scores.get(m.key, [])) for m in metrics}
        stats["fit_seconds"] = _mean_std(result.fit_seconds)
        rows.append((result, stats))

    def order(row):
        result, stats = row
        mean = stats[rank_metric.key][0]
        if result.error is not None:
            return (2, 0.0)
        if math.isnan(mean):
            return (1, 0.0)
        if rank_metric.direction > 0:
            return (0, -mean)
        if rank_metric.direction < 0:
            return (0, mean)
        return (0, abs(mean))

    rows.sort(key=order)  # stable: ties and unranked rows keep the input order
    return Summary(metrics, rank_metric, rows)
