"""boostloss losses on Dask: ``xgboost.dask`` and ``lightgbm.dask`` with whole-data semantics.

>>> import boostloss.dask as bld
>>> model = bld.train(client, {"max_depth": 6}, X, y, 100, loss="huber", backend="xgboost")
>>> pred = bld.predict(model, X_new)                  # lazy dask array / series
>>> bld.evaluate(model, X_valid, y_valid)             # loss.metric over every row

X, y, sample_weight are dask collections (``dask.array`` chunked along rows only, or
``dask.dataframe``) partitioned the same way. What boostloss guarantees on Dask, and how:

- **Init score from all rows.** Training starts from ``loss.init_score`` of the whole
  data set, computed with dask reductions (``boostloss.dask._init``): exact for label
  totals, weighted means and weighted quantiles/medians (a distributed selection, not an
  approximate sketch); for Huber-type losses the root of the global gradient sum, one pass
  per evaluation (agrees with the single-machine value within 1e-6 of the label range: the
  single-machine minimisation of float64 loss values resolves ~1e-8). ``init_score=``
  overrides it.
- **Gradients** are the single-machine adapters' objectives (``boostloss.xgboost``,
  ``boostloss.lightgbm``), run by each worker on its own rows: correct for separable losses.
  Non-separable losses (dice, tversky) need sums over all rows inside every gradient and
  are refused with a ValueError rather than trained on per-worker batch gradients.
- **Metrics on all rows.** ``evals_result`` holds, per eval set and round, the loss's
  weighted mean over every row of that set (``boostloss.dask._eval``), never one worker's
  value. Early stopping: XGBoost stops in-training on that global metric (combined across
  workers with XGBoost's allreduce); LightGBM's Python API has no allreduce, so LightGBM
  trains every round and boostloss replays LightGBM's early-stopping rule on the global
  history afterwards (``best_iteration`` is what early stopping would have picked; the
  extra rounds cost time, not accuracy).
- **No per-leaf quantile refits** for absolute_error / quantile (``LEAF_REFIT_NOTE``; a
  UserWarning says so when they are trained). XGBoost uses XGBoost 3.4's MM surrogate with
  the residual scale summed across workers (the same trees as ``boostloss.xgboost.train(
  zero_hessian="surrogate")`` on the same bins); LightGBM the constant Hessian.
- **Same model as one machine** where the engine is deterministic: when both sides bin the
  features the same way (e.g. every distinct value present on every worker and fewer values
  than ``max_bin``), the trees are identical to the single-machine adapters' trees
  (tests/test_dask.py). With continuous features XGBoost merges per-worker quantile
  sketches and LightGBM builds each feature's bins on one worker's rows, so splits differ
  slightly. LightGBM with sample weights also counts a leaf's rows differently in
  data-parallel mode, so ``min_data_in_leaf`` binds differently from one machine; a limit
  on ``min_sum_hessian_in_leaf`` (with ``min_data_in_leaf=0``) does not.

The returned ``DaskBoostLossModel`` holds the engine booster(s) with the init score inside,
like the adapters' boosters: ``boostloss.xgboost.predict(model.booster, X)`` /
``boostloss.lightgbm.predict(model.booster, X)`` work on in-memory data. Every worker runs
the loss core with its compiled kernels.

Estimators: ``DaskBoostLossRegressor`` / ``DaskBoostLossClassifier`` (scikit-learn style,
``fit`` on dask collections, ``predict`` returning dask collections) wrap these functions;
the in-memory ``BoostLossRegressor``/``BoostLossClassifier`` do not accept dask collections.
"""

from ._estimators import DaskBoostLossClassifier, DaskBoostLossRegressor
from ._model import DaskBoostLossModel
from ._train import BACKENDS, LEAF_REFIT_NOTE, evaluate, init_score, predict, train

__all__ = [
    "train",
    "predict",
    "evaluate",
    "init_score",
    "DaskBoostLossModel",
    "DaskBoostLossRegressor",
    "DaskBoostLossClassifier",
    "BACKENDS",
    "LEAF_REFIT_NOTE",
]
