"""The parameter settings every generic loss test runs over, and data that fits each loss.

One list drives the whole generic suite (``SETTINGS``); ``make_data`` draws labels and raw
scores from each loss's domain, keeping residuals/margins away from the loss's kinks so
that finite differences are meaningful there. A setting may carry the test-only key
``"targets": "distribution"``: the loss is fed (n, k) probability targets instead of
class ids (``build`` removes the key and records it on the loss as ``test_targets``).
"""

from __future__ import annotations

import numpy as np

import boostloss as bl

SETTINGS: list[tuple[str, dict]] = [
    ("squared_error", {}),
    ("absolute_error", {}),
    ("huber", {"delta": 1.0}),
    ("huber", {"delta": 1.0, "hessian": "exact"}),
    ("huber", {"delta": 0.3, "hessian": "exact", "hessian_floor": 1.0}),
    ("huber", {"delta": 0.3, "hessian_floor": 0.5}),
    ("smooth_l1", {"beta": 0.5}),
    ("pseudo_huber", {"delta": 1.5}),
    ("pseudo_huber", {"delta": 1.5, "hessian": "exact"}),
    ("pseudo_huber", {"delta": 1.0, "hessian": "exact", "hessian_floor": 0.0}),
    ("log_cosh", {}),
    ("log_cosh", {"hessian": "exact"}),
    ("log_cosh", {"hessian": "exact", "hessian_floor": 0.0}),
    ("fair", {"c": 2.0}),
    ("fair", {"c": 2.0, "hessian": "exact"}),
    ("fair", {"c": 1.0, "hessian": "exact", "hessian_floor": 0.0}),
    ("expectile", {"alpha": 0.2}),
    ("expectile", {"alpha": 0.5}),
    ("quantile", {"alpha": 0.9}),
    ("quantile", {"alpha": [0.1, 0.5, 0.9]}),
    ("poisson", {}),
    ("poisson", {"max_delta_step": 0.7}),
    ("gamma", {}),
    ("tweedie", {"power": 1.2}),
    ("tweedie", {"power": 1.8}),
    ("logistic", {}),
    ("logistic", {"pos_weight": 3.0, "label_smoothing": 0.1}),
    ("logistic", {"soft_labels": True}),
    ("logistic", {"soft_labels": True, "pos_weight": 2.0, "label_smoothing": 0.1}),
    ("kl_divergence", {}),
    ("kl_divergence", {"targets": "distribution"}),
    ("ghm_logistic", {}),
    ("ghm_logistic", {"bins": 30, "momentum": 0.75}),
    ("ghm_regression", {}),
    ("ghm_regression", {"mu": 0.5, "bins": 5, "momentum": 0.5, "hessian_floor": 0.0}),
    ("focal", {}),
    ("focal", {"gamma": 0.5, "alpha": None}),
    ("focal", {"gamma": 0.0, "alpha": 0.4}),
    ("squared_hinge", {}),
    ("smooth_hinge", {}),
    ("softmax_cross_entropy", {}),
    ("softmax_cross_entropy", {"class_weight": [0.5, 2.0, 1.0, 1.0], "label_smoothing": 0.2}),
    ("softmax_cross_entropy", {"hessian": "xgboost"}),
    ("softmax_cross_entropy", {"targets": "distribution"}),
    (
        "softmax_cross_entropy",
        {"targets": "distribution", "class_weight": [0.5, 2.0, 1.0, 1.0], "label_smoothing": 0.2},
    ),
    ("multiclass_hinge", {}),
    ("multiclass_hinge", {"power": 1, "margin": 0.5}),
    ("softmax_focal", {}),
    ("softmax_focal", {"gamma": 0.5, "class_weight": [1.0, 2.0, 0.5, 1.0]}),
    ("multilabel_logistic", {}),
    ("multilabel_logistic", {"pos_weight": [0.5, 4.0, 10.0]}),
    ("dice", {}),
    ("tversky", {"alpha": 0.3, "beta": 0.7}),
]

N_CLASSES = 4
N_LABELS = 3


def setting_id(setting: tuple[str, dict]) -> str:
    name, params = setting
    if not params:
        return name
    return name + "[" + ",".join(f"{k}={v}" for k, v in params.items()) + "]"


def build(setting) -> bl.Loss:
    name, params = setting
    params = dict(params)
    targets = params.pop("targets", None)
    loss = bl.get_loss(name, **params)
    if targets is not None:
        object.__setattr__(loss, "test_targets", targets)  # a test-only tag (losses are immutable)
    return loss


def _push_hinge_slack_away(y: np.ndarray, raw: np.ndarray, margin: float, gap: float) -> np.ndarray:
    """Move raw[i, j] so that no slack margin - raw[i, y_i] + raw[i, j] is within gap of 0."""
    raw = raw.copy()
    rows = np.arange(raw.shape[0])
    for _ in range(10):
        slack = margin - raw[rows, y][:, None] + raw
        close = np.abs(slack) < gap
        close[rows, y] = False
        if not close.any():
            break
        raw[close] += 3 * gap
    return raw


def _residual_kinks(loss) -> list[float]:
    """Residual values e = y - raw where grad or hess is not differentiable."""
    if loss.name == "huber":
        return [-loss.delta, loss.delta]
    if loss.name == "smooth_l1":
        return [-loss.beta, loss.beta]
    if loss.name in ("absolute_error", "quantile", "expectile"):
        return [0.0]
    return []


def _push_away(values: np.ndarray, kinks: list[float], gap: float) -> np.ndarray:
    values = values.copy()
    for kink in kinks:
        close = np.abs(values - kink) < gap
        values[close] = kink + np.where(values[close] >= kink, gap, -gap)
    return values


def make_data(loss, n: int, rng: np.random.Generator, *, scale: float = 1.0):
    """Labels y and raw scores for ``loss`` (raw shaped as the loss expects)."""
    kind = loss.output_kind
    if getattr(loss, "test_targets", None) == "distribution":
        y = rng.dirichlet(np.full(N_CLASSES, 0.7), n)
        y[0] = np.eye(N_CLASSES)[0]  # a one-hot row (zeros in the target)
        return y, rng.normal(0, 2.0 * scale, (n, N_CLASSES))
    if getattr(loss, "soft_labels", False) or loss.name == "kl_divergence":
        y = rng.uniform(0.0, 1.0, n)
        y[0], y[1] = 0.0, 1.0
        return y, rng.normal(0, 2.0 * scale, n)
    if loss.name == "multiclass_hinge":
        y = rng.integers(0, N_CLASSES, n)
        y[:N_CLASSES] = np.arange(N_CLASSES)
        raw = rng.normal(0, 1.0 * scale, (n, N_CLASSES))
        return y.astype(np.float64), _push_hinge_slack_away(y, raw, loss.margin, 1e-3)
    if loss.task == "multiclass":
        y = rng.integers(0, N_CLASSES, n)
        y[:N_CLASSES] = np.arange(N_CLASSES)  # every class present
        raw = rng.normal(0, 2.0 * scale, (n, N_CLASSES))
        return y.astype(np.float64), raw
    if kind == "multilabel":
        y = rng.integers(0, 2, (n, N_LABELS)).astype(np.float64)
        y[0], y[1] = 0.0, 1.0
        return y, rng.normal(0, 2.0 * scale, (n, N_LABELS))
    if loss.task == "binary":
        y = rng.integers(0, 2, n).astype(np.float64)
        y[0], y[1] = 0.0, 1.0
        raw = rng.normal(0, 2.0 * scale, n)
        if loss.name in ("squared_hinge", "smooth_hinge"):
            margin = _push_away((2 * y - 1) * raw, [0.0, 1.0], 1e-3)
            raw = (2 * y - 1) * margin
        return y, raw
    if loss.link.name == "log":
        raw = rng.normal(0.5, 1.0 * scale, n)
        if loss.name == "gamma":
            y = rng.gamma(2.0, np.exp(raw) / 2.0)
        else:
            y = rng.poisson(np.exp(raw)).astype(np.float64)
            if loss.name == "tweedie":
                y = y * rng.gamma(3.0, 1.0 / 3.0, n)  # compound Poisson-gamma amounts
        return y, raw
    y = rng.normal(0, 3.0, n)
    e = rng.normal(0, 2.0 * scale, n)
    if kind == "multi_quantile":
        q = loss.n_outputs
        residuals = np.column_stack([_push_away(rng.normal(0, 2.0 * scale, n), [0.0], 1e-3) for _ in range(q)])
        return y, y[:, None] - residuals
    e = _push_away(e, _residual_kinks(loss), 1e-3)
    return y, y - e


def hessian_floor_of(loss) -> float:
    return float(getattr(loss, "effective_hessian_floor", getattr(loss, "hessian_floor", 0.0)))
