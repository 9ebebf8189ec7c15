"""The ``verbose=True`` progress bar of the scikit-learn estimators (tqdm).

``ProgressBar`` owns one tqdm bar with one step per boosting round and shows the latest
value of every evaluation (``"valid_0 huber": 0.1234``) as the bar's postfix. It hands the
engines a callback in their own protocol: ``xgboost_callback()`` is an
``xgboost.callback.TrainingCallback``; ``lightgbm_callback()`` is a function of LightGBM's
``CallbackEnv``. Neither callback changes training; the estimator closes the bar when
``fit`` ends (also on errors), so an early-stopped run leaves a bar that stops short of
``n_estimators``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ProgressBar"]


def _import_tqdm():
    try:
        from tqdm.auto import tqdm
    except ImportError as exc:  # pragma: no cover - tqdm is installed with boostloss[sklearn]
        raise ImportError(
            "verbose=True shows a tqdm progress bar, but tqdm is not installed. "
            "Install it with `pip install boostloss[sklearn]` (or `pip install tqdm`), "
            "or pass verbose=False."
        ) from exc
    return tqdm


class ProgressBar:
    """A tqdm bar over ``total`` boosting rounds showing the current metric values."""

    def __init__(self, total: int, description: str) -> None:
        tqdm = _import_tqdm()
        self.bar = tqdm(total=total, desc=description, unit="round", leave=True)

    def update(self, metrics: Mapping[str, float]) -> None:
        """Advance one round and show ``metrics`` (name -> latest value)."""
        if metrics:
            self.bar.set_postfix({name: f"{value:.6g}" for name, value in metrics.items()},
                                 refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()

    # ------------------------------------------------------------------ engine callbacks
    def xgboost_callback(self) -> Any:
        """An ``xgboost.callback.TrainingCallback`` advancing this bar after every round."""
        import xgboost as xgb

        progress = self

        class _XGBoostProgress(xgb.callback.TrainingCallback):
            def after_iteration(self, model, epoch: int, evals_log) -> bool:
                latest = {
                    f"{data} {metric}": float(values[-1][0] if isinstance(values[-1], tuple)
                                              else values[-1])
                    for data, by_metric in evals_log.items()
                    for metric, values in by_metric.items()
                    if len(values)
                }
                progress.update(latest)
                return False  # never asks XGBoost to stop

        return _XGBoostProgress()

    def lightgbm_callback(self) -> Any:
        """A LightGBM callback (a function of ``CallbackEnv``) advancing this bar."""

        def _lightgbm_progress(env) -> None:
            latest = {
                f"{entry[0]} {entry[1]}": float(entry[2])
                for entry in (env.evaluation_result_list or [])
            }
            self.update(latest)

        _lightgbm_progress.order = 25  # after recording (20), before early stopping (30)
        return _lightgbm_progress
