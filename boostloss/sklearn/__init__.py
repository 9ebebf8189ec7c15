"""scikit-learn estimators that train XGBoost or LightGBM with any boostloss loss, by name.

>>> import boostloss as bl
>>> model = bl.BoostLossRegressor(loss="huber", loss_params={"delta": 1.0}, backend="lightgbm")
>>> clf = bl.BoostLossClassifier(loss="focal", loss_params={"gamma": 2.0}, backend="xgboost")

Layering: this module validates data and parameters (with scikit-learn's own helpers) and
owns everything label-related (``classes_``, which losses fit which targets, turning raw
scores into classes); ``sklearn._params`` maps the common parameters to engine names;
``sklearn._engine`` builds the engine's data and calls the adapters
``boostloss.xgboost.train/predict`` and ``boostloss.lightgbm.train/predict``, which own the
init score, multi-output shapes, sample weights and the loss's metric.

Semantics:

- Training starts from ``loss.init_score`` (weighted) and runs ``n_estimators`` rounds.
- ``BoostLossRegressor.predict`` is ``loss.transform(raw)``: shape (n,), or (n, q) for
  ``quantile`` with a list of levels.
- ``BoostLossClassifier`` encodes labels of any type with ``LabelEncoder``. Binary losses
  (labels 0/1 internally, positive class ``classes_[1]``) predict ``classes_[raw > 0]``
  (for logit-link losses: probability > 0.5; for margin losses: the sign of the margin);
  multiclass losses predict the argmax. ``decision_function`` returns raw scores: (n,) for
  two classes (a multiclass loss on two classes gives raw[:, 1] - raw[:, 0], the log-odds
  of ``classes_[1]``), (n, k) otherwise. ``predict_proba`` is ``loss.transform(raw)``,
  (n, 2) for binary losses, and does not exist for margin losses.
  ``loss="auto"`` (the default) is ``logistic`` for two classes, ``softmax_cross_entropy``
  for more, and ``multilabel_logistic`` for a 2-D 0/1 indicator ``y`` (multilabel:
  ``classes_`` is ``arange(n_labels)``, ``predict`` returns the 0/1 matrix).
- Early stopping: with ``early_stopping_rounds`` set, training stops once the loss's
  metric on the validation data has not improved for that many rounds, and ``predict``
  uses the best round. The validation data are ``fit(..., eval_set=[(X, y), ...])`` or,
  without an eval_set, a ``validation_fraction`` of the training rows (stratified for
  classifiers) held out with ``random_state``. With several eval sets each engine's own
  rule applies (XGBoost watches the last one, LightGBM stops when any one stalls).
"""

from ._estimators import BoostLossClassifier, BoostLossRegressor

__all__ = ["BoostLossRegressor", "BoostLossClassifier"]
