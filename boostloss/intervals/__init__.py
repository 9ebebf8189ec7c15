"""Quantile interval forecasting: multi-quantile boosting, non-crossing quantiles and
conformal calibration (split CQR, symmetric or asymmetric; CV+; online adaptive).

``QuantileIntervalRegressor`` trains one quantile model for several levels (XGBoost: one
multi-output model; LightGBM: one model per level, several in parallel) through
``boostloss.sklearn.BoostLossRegressor`` with the ``quantile`` loss, rearranges the
predicted quantiles by sorting each row, and calibrates every central interval
``[tau, 1 - tau]`` by conformalized quantile regression. ``backtest`` runs the
one-step-ahead predict -> update loop on a time series; ``evaluate_intervals`` computes the
metric table (coverage, width, interval score, pinball) from ``boostloss.metrics``.

Modules: ``_regressor`` (the estimator: checks, splits, fitting), ``_levels`` (level
bookkeeping), ``_conformal`` (split CQR math), ``_cv`` (CV+ math), ``_online`` (online
adaptive calibration), ``_backtest`` (the one-step-ahead loop), ``_evaluate`` (metrics).
"""

from ._backtest import Backtest, backtest
from ._evaluate import evaluate_intervals
from ._levels import interval_levels
from ._regressor import QuantileIntervalRegressor

__all__ = [
    "Backtest",
    "QuantileIntervalRegressor",
    "backtest",
    "evaluate_intervals",
    "interval_levels",
]
