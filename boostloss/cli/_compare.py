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
- ``baseline_results`` scores the best constant (the init score of the loss behind the
  task's main metric) on the same folds; ``_summary.summarise`` ranks and flags.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..registry import ALIASES, LOSSES, canonical_name, get_loss
from ._data import CliError, Problem, did_you_mean, shorten
from ._metrics import DEFAULT_RANK, FoldPrediction, metrics_for

__all__ = [
    "LossSpec",
    "DEFAULT_RANK",
    "Settings",
    "LossResult",
    "baseline_results",
    "clean_error",
    "parse_loss_specs",
    "default_loss_specs",
    "resolve_specs",
    "cross_validate",
]

SCALE_PARAMETERS = {
    "huber": "delta", "pseudo_huber": "delta", "smooth_l1": "beta", "fair": "c",
    "ghm_regression": "mu",
}
NOT_BY_DEFAULT = {
    "expectile": "it estimates an expectile; expectile:alpha=0.5 is squared_error",
    "quantile": "it estimates a quantile; ask for it with --losses quantile:alpha=0.9 (or several levels in one model: quantile:alpha=0.1|0.5|0.9)",
    "smooth_l1": "it is huber(delta=beta) / beta, the same minimiser as huber",
    "ghm_regression": "its smooth L1 is in units of y (steps bounded by 1 / hessian_floor); "
    "ask for it with --losses ghm_regression:hessian_floor=0.01",
    "kl_divergence": "on class labels it trains the same trees as logistic (it is for "
    "probability targets)",
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
    if isinstance(value, list | tuple):
        return "|".join(_format_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _parse_value(text: str) -> Any:
    if "|" in text:
        return [_parse_value(part) for part in text.split("|")]
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
        except ValueError:
            raise CliError(f"--losses: unknown loss {shorten(name)!r}; {_loss_hint(name)}") from None
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


def _loss_hint(name: str) -> str:
    """'did you mean ...?' (names and aliases) and the valid names."""
    close = did_you_mean(name.strip().lower().replace("-", "_"), [*LOSSES, *ALIASES])
    hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    return f"{hint}valid names: {', '.join(sorted(LOSSES))} (boostloss losses lists them)."


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
                f"--losses: {spec.name} {reason}, but the target {shorten(problem.target)!r} has min "
                f"{np.min(problem.y):.4g}; leave it out or transform the target."
            )
    if scaled:
        notes.append(
            f"{', '.join(scaled)} set to the robust spread of the target, 1.4826 * MAD = "
            f"{scale:.4g} (in units of {problem.target}); set them with e.g. --losses huber:delta=2"
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
INT32_MAX = 2**31 - 1


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
    """Fold scores of one table row: a loss (one level of a multi-quantile loss) or a baseline.

    ``kind`` is "loss" or "baseline" (the best constant); ``level`` the quantile level of a
    quantile row; ``coverage`` the share of held-out targets inside a multi-quantile model's
    outer interval, per fold; ``beats_baseline`` is set by ``summarise``.
    """

    spec: LossSpec
    scores: dict[str, list[float]] = field(default_factory=dict)
    fit_seconds: list[float] = field(default_factory=list)
    error: str | None = None
    level: float | None = None
    kind: str = "loss"
    coverage: list[float] = field(default_factory=list)
    beats_baseline: bool | None = None

    @property
    def label(self) -> str:
        if self.kind == "baseline":
            return "best constant" + (f" (q={self.level:g})" if self.level is not None else "")
        if self.level is not None and _levels(self.spec) and len(_levels(self.spec)) > 1:
            return f"{self.spec.label} @ {self.level:g}"
        return self.spec.label


def _levels(spec: LossSpec) -> list[float] | None:
    """The quantile levels of a quantile spec (one or several), None for other losses."""
    if spec.name != "quantile":
        return None
    return [float(a) for a in np.atleast_1d(get_loss("quantile", **spec.all_params).levels)]


def clean_error(exc: BaseException, limit: int = 300) -> str:
    """One line of at most ``limit`` characters: no C++ stack trace, no engine source prefix.

    XGBoost appends "Stack trace: [bt] (0) ..." to its errors and prefixes them with
    "[12:00:00] /path/src/file.cc:123: "; neither helps a user of the command.
    """
    text = str(exc)
    cut = text.find("Stack trace:")
    if cut >= 0:
        text = text[:cut]
    text = re.sub(r"\[\d\d:\d\d:\d\d\] \S+?:\d+: ", "", " ".join(text.split()))
    return shorten(text.strip() or type(exc).__name__, limit)


def check_settings(settings: Settings, problem: Problem) -> None:
    if settings.backend not in ("xgboost", "lightgbm"):
        raise CliError(f"--backend must be xgboost or lightgbm; got {settings.backend!r}.")
    if settings.cv < 2:
        raise CliError(f"--cv must be at least 2 folds; got {settings.cv}.")
    if not 1 <= settings.n_estimators <= INT32_MAX:
        raise CliError(f"--n-estimators must be in 1..{INT32_MAX} (2**31 - 1, what both engines "
                       f"take); got {settings.n_estimators}.")
    if not (math.isfinite(settings.learning_rate) and settings.learning_rate > 0):
        raise CliError(f"--learning-rate must be a finite number > 0; got {settings.learning_rate}.")
    if not 0 <= settings.seed <= INT32_MAX:
        raise CliError(f"--seed must be in 0..{INT32_MAX} (2**31 - 1, what both engines take); "
                       f"got {settings.seed}.")
    if settings.n_jobs is not None and not (settings.n_jobs >= 1 or settings.n_jobs == -1):
        raise CliError(f"--n-jobs must be a number of threads >= 1, or -1 for all cores; "
                       f"got {settings.n_jobs}.")
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
                f"class {shorten(problem.class_names[smallest])!r} of {shorten(problem.target)!r} has "
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


def _fold_predictions(model, spec: LossSpec, problem: Problem, X_test, y_test) -> list[FoldPrediction]:
    """What the model says about the held-out fold: one FoldPrediction per table row."""
    if problem.task == "regression":
        predicted = np.asarray(model.predict(X_test), dtype=np.float64)
        levels = _levels(spec)
        if levels is None:
            return [FoldPrediction(y_test, predicted)]
        columns = predicted.reshape(len(y_test), -1)
        return [FoldPrediction(y_test, columns[:, j], quantile_level=level)
                for j, level in enumerate(levels)]
    labels = np.asarray(model.predict(X_test))
    if not np.array_equal(np.asarray(model.classes_), np.arange(problem.n_classes)):
        raise ValueError(f"a training fold lacks classes: got {model.classes_}")  # pragma: no cover
    has_probabilities = hasattr(model, "predict_proba")
    if problem.task == "multiclass":  # margin losses (multiclass_hinge): no log loss
        probability = model.predict_proba(X_test) if has_probabilities else None
        return [FoldPrediction(y_test, labels, probability=probability)]
    if has_probabilities:
        probability = model.predict_proba(X_test)[:, 1]
        return [FoldPrediction(y_test, labels, probability=probability, score=probability)]
    return [FoldPrediction(y_test, labels, score=np.asarray(model.decision_function(X_test)))]


def _outer_coverage(predictions: list[FoldPrediction]) -> float:
    """Share of y inside [lowest level's prediction, highest level's prediction]."""
    low, high = predictions[0], predictions[-1]
    y = low.y
    return float(np.mean((y >= np.minimum(low.prediction, high.prediction))
                         & (y <= np.maximum(low.prediction, high.prediction))))


def cross_validate(
    problem: Problem,
    specs: list[LossSpec],
    settings: Settings,
    on_fit: Callable[[LossSpec, int], None] | None = None,
) -> list[LossResult]:
    """Fit every loss on every training fold and score it on the held-out fold.

    One result per loss, except a multi-quantile loss (``quantile:alpha=0.1|0.5|0.9``): one
    model per fold, one result per level (its column of the prediction), the first of them
    also holding the coverage of the outer interval.

    ``on_fit(spec, fold)`` is called after each fit (the progress bar). A loss whose fit or
    prediction raises (bad labels for it, an engine error...) is recorded with a one-line
    message (``clean_error``) as failed rows and skipped for the remaining folds; the other
    losses go on.

    ``fit_seconds`` times each fold's ``fit``. Before the first fold every loss gets one
    untimed 2-round fit on the first training fold, so that one-time costs (imports,
    first calls) are not charged to the first loss or fold.
    """
    splits = _splits(problem, settings)
    metrics = metrics_for(problem.task, [spec.name for spec in specs])
    results = []
    for spec in specs:
        group = [LossResult(spec, {m.key: [] for m in metrics}, level=level)
                 for level in (_levels(spec) or [None])]
        error, seconds = None, []
        for fold, (train, test) in enumerate(splits):
            if error is None:
                try:
                    if fold == 0:  # warm-up, untimed
                        warm_up = _estimator(spec, problem, replace(settings, n_estimators=2))
                        warm_up.fit(problem.X[train], problem.y[train])
                    model = _estimator(spec, problem, settings)
                    start = time.perf_counter()
                    model.fit(problem.X[train], problem.y[train])
                    seconds.append(time.perf_counter() - start)
                    predictions = _fold_predictions(model, spec, problem, problem.X[test],
                                                    problem.y[test])
                    for result, predicted in zip(group, predictions, strict=True):
                        for metric in metrics:
                            result.scores[metric.key].append(metric.compute(predicted))
                    if len(predictions) > 1:
                        group[0].coverage.append(_outer_coverage(predictions))
                except Exception as exc:  # noqa: BLE001 - one failing loss must not stop the rest
                    error = f"fold {fold + 1}: {clean_error(exc)}"
            if on_fit is not None:
                on_fit(spec, fold)
        for result in group:
            result.error, result.fit_seconds = error, list(seconds)
        results.extend(group)
    return results


BASELINE_LOSS = {"regression": "squared_error", "binary": "logistic",
                 "multiclass": "softmax_cross_entropy"}


def _constant_prediction(loss, y_train: np.ndarray, y_test: np.ndarray, task: str,
                         level: float | None) -> FoldPrediction:
    """The loss's best constant on the training fold (its init score), as a fold prediction."""
    n = y_test.size
    raw = np.atleast_1d(np.asarray(loss.init_score(y_train), dtype=np.float64))
    response = np.asarray(loss.transform(raw[None, :] if task == "multiclass" else raw),
                          dtype=np.float64).ravel()
    if task == "regression":
        return FoldPrediction(y_test, np.full(n, response[0]), quantile_level=level)
    if task == "binary":
        p = np.full(n, response[0])
        return FoldPrediction(y_test, (p > 0.5).astype(np.int64), probability=p, score=p)
    probability = np.tile(response, (n, 1))
    return FoldPrediction(y_test, np.full(n, int(np.argmax(response))), probability=probability)


def baseline_results(problem: Problem, specs: list[LossSpec], settings: Settings) -> list[LossResult]:
    """The best constant on every training fold, scored like the losses on the same folds.

    The constant is the init score of the loss whose metric is the task's main metric
    (squared_error: the mean, for RMSE; logistic: the positive rate, for log loss;
    softmax_cross_entropy: the class frequencies), plus, for each quantile level in the
    run, quantile(alpha=level)'s (the training alpha-quantile, for that level's pinball).
    """
    metrics = metrics_for(problem.task, [spec.name for spec in specs])
    levels = sorted({level for spec in specs for level in (_levels(spec) or [])})
    rows = [LossResult(LossSpec(BASELINE_LOSS[problem.task]), {m.key: [] for m in metrics},
                       kind="baseline")]
    rows += [LossResult(LossSpec("quantile", {"alpha": level}), {m.key: [] for m in metrics},
                        level=level, kind="baseline") for level in levels]
    for train, test in _splits(problem, settings):
        for row in rows:
            loss = get_loss(row.spec.name, **row.spec.params)
            predicted = _constant_prediction(loss, problem.y[train], problem.y[test],
                                             problem.task, row.level)
            for metric in metrics:
                row.scores[metric.key].append(metric.compute(predicted))
    return rows
