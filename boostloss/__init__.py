"""boostloss: the losses people read about, as correct and fast XGBoost/LightGBM objectives.

Layers, one folder each (imports point downwards only; ``lint-imports`` checks it with the
contracts in pyproject.toml)::

    cli/                   the `boostloss` command
    intervals/             QuantileIntervalRegressor (conformal calibration)
    dask/                  training on Dask collections
    sklearn/               BoostLossRegressor, BoostLossClassifier
    xgboost/ lightgbm/     engine adapters (import their engine lazily)
    registry, _adapter     name -> loss; per-dataset label/weight preparation
    losses/                the math: numpy reference and compiled kernels
    metrics, datasets/     evaluation functions; shipped data and generators
    _validation, links     argument checks; raw <-> response maps

``import boostloss`` needs only numpy and scipy. The engine adapters (``boostloss.xgboost``,
``boostloss.lightgbm``) and the estimators are loaded on first attribute access.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import losses, metrics
from .losses import Loss
from .losses._compiled import use_compiled_kernels
from .registry import available_losses, get_loss

__version__ = "0.1.0"

__all__ = [
    "Loss",
    "available_losses",
    "get_loss",
    "use_compiled_kernels",
    "losses",
    "metrics",
    "xgboost",
    "lightgbm",
    "dask",
    "datasets",
    "intervals",
    "BoostLossRegressor",
    "BoostLossClassifier",
    "QuantileIntervalRegressor",
]

_LAZY_MODULES = {"xgboost", "lightgbm", "dask", "datasets", "intervals", "sklearn", "cli"}
_LAZY_ATTRIBUTES = {
    "BoostLossRegressor": "sklearn",
    "BoostLossClassifier": "sklearn",
    "QuantileIntervalRegressor": "intervals",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_ATTRIBUTES:
        module = importlib.import_module(f".{_LAZY_ATTRIBUTES[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'boostloss' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
