"""``boostloss compare --format json``: the whole result as one JSON document, for scripts.

The document (``tests/data/compare_result.schema.json`` is its JSON schema)::

    {"boostloss_version": "0.1.0", "command": "compare",
     "data": {"source", "target", "task", "task_reason", "n_rows", "n_features", "classes"},
     "settings": {"backend", "cv", "n_estimators", "learning_rate", "seed", "n_jobs"},
     "rank_by": "rmse",
     "metrics": [{"key", "title", "direction", "toward_level"}],
     "rows": [{"rank", "label", "kind", "loss", "params", "level", "error", "beats_baseline",
               "metrics": {key: {"mean", "std", "folds": [...]}}, "fit_seconds": {"mean", "std"},
               "interval_coverage": {"mean", "std", "folds"} or null}],
     "baseline": [the rows of kind "baseline"],
     "notes": ["..."]}

Rows are in the table's order; ``rank`` restarts at 1 in each quantile group and is null for
baselines and failed rows. NaN (a metric that does not apply) is written as null.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ._compare import LossResult, Settings
from ._data import Problem
from ._summary import Summary

__all__ = ["compare_document", "dumps"]


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _stats(values: list[float]) -> dict[str, Any]:
    finite = [v for v in values if not math.isnan(v)]
    mean = sum(finite) / len(finite) if finite else math.nan
    std = math.sqrt(sum((v - mean) ** 2 for v in finite) / len(finite)) if finite else math.nan
    return {"mean": _number(mean), "std": _number(std), "folds": [_number(v) for v in values]}


def _row(result: LossResult, rank: int | None, summary: Summary) -> dict[str, Any]:
    return {
        "rank": rank,
        "label": result.label,
        "kind": result.kind,
        "loss": result.spec.name,
        "params": {k: list(v) if isinstance(v, tuple) else v
                   for k, v in result.spec.all_params.items()},
        "level": result.level,
        "error": result.error,
        "beats_baseline": result.beats_baseline,
        "metrics": {m.key: _stats(result.scores.get(m.key, [])) for m in summary.metrics},
        "fit_seconds": {k: v for k, v in _stats(result.fit_seconds).items() if k != "folds"},
        "interval_coverage": _stats(result.coverage) if result.coverage else None,
    }


def compare_document(summary: Summary, problem: Problem, settings: Settings,
                     notes: list[str]) -> dict[str, Any]:
    """The JSON-ready dict of one ``compare`` run."""
    from .. import __version__

    rows, rank, group = [], 0, object()
    for result, _ in summary.rows:
        if result.level != group:
            rank, group = 0, result.level
        numbered = result.kind == "loss" and result.error is None
        rank += numbered
        rows.append(_row(result, rank if numbered else None, summary))
    return {
        "boostloss_version": __version__,
        "command": "compare",
        "data": {
            "source": problem.source, "target": problem.target, "task": problem.task,
            "task_reason": problem.task_reason, "n_rows": problem.n_rows,
            "n_features": len(problem.feature_names), "classes": list(problem.class_names),
        },
        "settings": {
            "backend": settings.backend, "cv": settings.cv,
            "n_estimators": settings.n_estimators, "learning_rate": settings.learning_rate,
            "seed": settings.seed, "n_jobs": settings.n_jobs,
        },
        "rank_by": summary.rank_by.key,
        "metrics": [{"key": m.key, "title": m.title, "direction": m.direction,
                     "toward_level": m.toward_level} for m in summary.metrics],
        "rows": rows,
        "baseline": [row for row in rows if row["kind"] == "baseline"],
        "notes": list(notes),
    }


def dumps(document: dict[str, Any]) -> str:
    """Strict JSON (no NaN/Infinity tokens), indented."""
    return json.dumps(document, indent=2, allow_nan=False, default=str)
