"""The model ``boostloss.dask.train`` returns: engine booster(s) plus the loss and init score.

Raw score convention (as in the single-machine adapters): ``raw = init_score + sum of trees``,
and the boosters hold the init score themselves, exactly as the adapters' boosters do:
XGBoost as ``base_score`` (plus the ``boostloss_*`` attributes), LightGBM folded into the
first round's leaves (plus ``booster.boostloss_``). So ``boostloss.xgboost.predict`` /
``boostloss.lightgbm.predict`` work on ``model.booster`` too, and the engine's raw
prediction is complete. Everything here works on one in-memory partition (numpy or
pandas); ``boostloss.dask.predict`` maps it over a collection. The model pickles (boosters
included) and predicts without a cluster.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..losses.base import Loss

__all__ = ["DaskBoostLossModel", "OUTPUTS"]

OUTPUTS = ("response", "raw")


@dataclass
class DaskBoostLossModel:
    """Boosters trained on Dask with a boostloss loss.

    Attributes
    ----------
    backend : "xgboost" or "lightgbm"
    loss : the Loss trained
    init_score : float or (k,) array, the starting raw score (from all rows)
    boosters : list of engine boosters; one, except LightGBM multi-quantile / multilabel
        (one per output column)
    best_iteration : 0-based round used by ``predict`` (the last one without early stopping)
    num_boosted_rounds : rounds trained
    evals_result : ``{eval_name: {loss_name: [global metric per round]}}``, the weighted
        mean loss over every row of each eval set (not one worker's value)
    """

    backend: str
    loss: Loss
    init_score: Any
    boosters: list
    best_iteration: int
    num_boosted_rounds: int
    evals_result: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    token: str = field(default_factory=lambda: uuid.uuid4().hex, repr=False)

    def __dask_tokenize__(self):
        # Hashing the boosters would serialise them; a per-model id is enough (the model
        # is not mutated after training except best_iteration, which is part of the id).
        return (self.token, self.best_iteration)

    @property
    def booster(self):
        """The single engine booster (``boosters[0]``); a list-holding model raises."""
        if len(self.boosters) != 1:
            raise AttributeError(
                f"this model holds {len(self.boosters)} boosters (one per output column); "
                "use .boosters."
            )
        return self.boosters[0]

    @property
    def n_outputs(self) -> int:
        return int(np.size(self.init_score)) if self.loss.is_multi_output else 1

    def _n_rounds(self, iteration: int | None) -> int:
        if iteration is None:
            return self.best_iteration + 1
        if not 0 <= iteration < self.num_boosted_rounds:
            raise ValueError(
                f"iteration must be in [0, {self.num_boosted_rounds - 1}] (0-based rounds), "
                f"got {iteration}."
            )
        return iteration + 1

    def _shape(self, n_rows: int) -> tuple[int, ...]:
        return (n_rows, self.n_outputs) if self.loss.is_multi_output else (n_rows,)

    def _rounds(self, booster, X, start: int, stop: int) -> np.ndarray:
        """Raw-score contribution of rounds [start, stop) (round 0 carries the init score)."""
        if self.backend == "xgboost":
            if start == 0:
                raw = booster.inplace_predict(X, iteration_range=(0, stop), predict_type="margin")
            else:  # a zero base_margin replaces base_score: the trees alone
                zeros = np.zeros(self._shape(len(X)), dtype=np.float32)
                raw = booster.inplace_predict(X, iteration_range=(start, stop),
                                              predict_type="margin", base_margin=zeros)
        else:
            raw = booster.predict(X, start_iteration=start, num_iteration=stop - start,
                                  raw_score=True)
        return np.asarray(raw, dtype=np.float64)

    def rounds_sum(self, X, start: int, stop: int) -> np.ndarray:
        """Contribution of rounds [start, stop) to the raw score, (n,) or (n, k); the init
        score is part of round 0, so ``rounds_sum(X, 0, t + 1)`` is the raw score after t."""
        shape = self._shape(len(X))
        if stop <= start or len(X) == 0:
            return np.zeros(shape)
        if len(self.boosters) == 1:
            return self._rounds(self.boosters[0], X, start, stop).reshape(shape)
        return np.column_stack([self._rounds(b, X, start, stop) for b in self.boosters])

    def raw_local(self, X, iteration: int | None = None) -> np.ndarray:
        """Raw scores (init score included) for in-memory X, using rounds 0..iteration."""
        return self.rounds_sum(X, 0, self._n_rounds(iteration))

    # ------------------------------------------------------------------ per-round scores
    def leaf_tables(self) -> list[list[np.ndarray]] | None:
        """Per booster and tree, the leaf values indexed by leaf id (engine order: tree
        t * k + j is round t, output j); None where leaves do not add up to the raw score
        (XGBoost dart or vector-leaf trees)."""
        tables = []
        for booster in self.boosters:
            if self.backend == "xgboost":
                config = json.loads(booster.save_config())["learner"]
                gradient_booster = config["gradient_booster"]
                if gradient_booster["name"] != "gbtree" or gradient_booster.get(
                        "tree_train_param", {}).get("multi_strategy") == "multi_output_tree":
                    return None
                trees = [_xgboost_leaves(json.loads(dump))
                         for dump in booster.get_dump(dump_format="json")]
            else:
                trees = [_lightgbm_leaves(info["tree_structure"])
                         for info in booster.dump_model()["tree_info"]]
            tables.append(trees)
        return tables

    def cumulative_raw(self, X, n_rounds: int, tables) -> np.ndarray:
        """Raw scores after each of the first ``n_rounds`` rounds: (n_rounds, n) or
        (n_rounds, n, k), from one leaf-index prediction and the leaf tables (not one
        prediction per round). Float64 sums of the engine's float32 leaf values."""
        n_rows = len(X)
        k = self.n_outputs
        contributions = np.zeros((n_rounds, n_rows, k))
        for b, (booster, trees) in enumerate(zip(self.boosters, tables, strict=True)):
            per_round = 1 if len(self.boosters) > 1 else k
            if self.backend == "xgboost":
                import xgboost as xgb

                leaves = booster.predict(xgb.DMatrix(X), pred_leaf=True,
                                         iteration_range=(0, n_rounds))
            else:
                leaves = booster.predict(X, pred_leaf=True, num_iteration=n_rounds)
            leaves = np.asarray(leaves, dtype=np.int64).reshape(n_rows, -1)
            for tree in range(n_rounds * per_round):
                round_index, output = divmod(tree, per_round)
                column = b if len(self.boosters) > 1 else output
                contributions[round_index, :, column] += trees[tree][leaves[:, tree]]
        if self.backend == "xgboost":  # XGBoost keeps the init score in base_score
            contributions[0] += np.atleast_1d(np.asarray(self.init_score, dtype=np.float64))
        raw = np.cumsum(contributions, axis=0)
        return raw if self.loss.is_multi_output else raw[:, :, 0]

    def predict_local(self, X, output: str = "response", iteration: int | None = None):
        """``loss.transform(raw)`` (output="response") or raw scores for in-memory X."""
        check_output(output)
        raw = self.raw_local(X, iteration)
        if output == "raw" or raw.shape[0] == 0:
            return raw
        return self.loss.transform(raw)


def _xgboost_leaves(node: dict) -> np.ndarray:
    """Leaf values of one XGBoost JSON tree dump, indexed by node id."""
    found: dict[int, float] = {}
    stack = [node]
    while stack:
        current = stack.pop()
        if "leaf" in current:
            found[int(current["nodeid"])] = float(current["leaf"])
        else:
            stack.extend(current["children"])
    values = np.zeros(max(found) + 1)
    values[list(found)] = list(found.values())
    return values


def _lightgbm_leaves(node: dict) -> np.ndarray:
    """Leaf values of one LightGBM tree (``dump_model``), indexed by leaf index."""
    found: dict[int, float] = {}
    stack = [node]
    while stack:
        current = stack.pop()
        if "leaf_value" in current:
            found[int(current.get("leaf_index", 0))] = float(current["leaf_value"])
        else:
            stack.extend((current["left_child"], current["right_child"]))
    values = np.zeros(max(found) + 1)
    values[list(found)] = list(found.values())
    return values


def check_output(output: str) -> None:
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {list(OUTPUTS)}, got {output!r}.")
