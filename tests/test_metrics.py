"""Metric-only functions in boostloss.metrics, against direct formulas."""

from __future__ import annotations

import numpy as np
import pytest

from boostloss import metrics


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    y = rng.normal(0, 2, 300)
    pred = y + rng.normal(0.3, 1, 300)
    w = rng.uniform(0.1, 2, 300)
    return y, pred, w


def test_point_metrics_match_formulas(data):
    y, pred, w = data
    assert metrics.rmse(y, pred) == pytest.approx(np.sqrt(np.mean((y - pred) ** 2)))
    assert metrics.rmse(y, pred, w) == pytest.approx(np.sqrt(np.average((y - pred) ** 2, weights=w)))
    assert metrics.mae(y, pred, w) == pytest.approx(np.average(np.abs(y - pred), weights=w))
    assert metrics.mean_bias_error(y, pred) == pytest.approx(np.mean(pred - y))
    assert metrics.mean_bias_error(y, pred) > 0  # predictions were shifted up by 0.3


def test_pinball_single_and_multi_level(data):
    y, pred, w = data
    e = y - pred
    assert metrics.pinball(y, pred, 0.9) == pytest.approx(np.mean(np.maximum(0.9 * e, -0.1 * e)))
    levels = [0.1, 0.5, 0.9]
    preds = pred[:, None] + np.array([-1.0, 0.0, 1.0])
    expected = np.mean([metrics.pinball(y, preds[:, j], a) for j, a in enumerate(levels)])
    assert metrics.pinball(y, preds, levels) == pytest.approx(expected)
    assert metrics.pinball(y, pred, 0.5, w) == pytest.approx(0.5 * metrics.mae(y, pred, w))
    with pytest.raises(ValueError, match=r"\(300, 3\)"):
        metrics.pinball(y, pred, levels)


def test_interval_metrics(data):
    y, pred, w = data
    lower, upper = pred - 1.0, pred + 1.5
    inside = (y >= lower) & (y <= upper)
    assert metrics.coverage(y, lower, upper) == pytest.approx(inside.mean())
    assert metrics.coverage(y, np.column_stack([lower, upper]), sample_weight=w) == pytest.approx(np.average(inside, weights=w))
    assert metrics.mean_interval_width(y, lower, upper) == pytest.approx(2.5)
    alpha = 0.2
    penalty = (2 / alpha) * (np.maximum(lower - y, 0) + np.maximum(y - upper, 0))
    assert metrics.interval_score(y, lower, upper, alpha=alpha) == pytest.approx(np.mean(2.5 + penalty))
    # The interval score equals the pinball loss of the two quantiles, scaled (Gneiting & Raftery).
    pinball_pair = metrics.pinball(y, np.column_stack([lower, upper]), [alpha / 2, 1 - alpha / 2])
    assert metrics.interval_score(y, lower, upper, alpha=alpha) == pytest.approx(pinball_pair * 2 * 2 / alpha)


def test_metric_input_errors(data):
    y, pred, _ = data
    with pytest.raises(ValueError, match="y_pred must have shape"):
        metrics.rmse(y, pred[:-1])
    with pytest.raises(ValueError, match="finite"):
        metrics.mae(np.r_[np.nan, y[1:]], pred)
    with pytest.raises(ValueError, match="lower > upper"):
        metrics.coverage(y, pred + 1, pred - 1)
    with pytest.raises(ValueError, match="alpha"):
        metrics.interval_score(y, pred - 1, pred + 1, alpha=1.5)
    with pytest.raises(ValueError, match="at least one sample"):
        metrics.rmse([], [])
    with pytest.raises(ValueError, match="sample_weight"):
        metrics.rmse(y, pred, -np.ones_like(y))
