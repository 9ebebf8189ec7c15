"""Facts of GHM, probability targets / KL divergence, multiclass hinge and per-label
pos_weight beyond the generic suite: GHM against a plain transcription of the paper's
algorithm, its per-run momentum state, identities between losses, and label errors."""

from __future__ import annotations

import copy
import pickle
import threading

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import expit

import boostloss as bl


# ----------------------------------------------------------------------------- GHM
def paper_ghm_weights(g, bins, momentum, acc_sum, updates, label_weight=None):
    """The GHM weights of mmdetection's GHMC/GHMR.forward (Li, Liu & Wang's reference code),
    transcribed to numpy: for i in bins, inds = (g >= edges[i]) & (g < edges[i + 1]);
    weights[inds] = tot / num_in_bin (or tot / acc_sum[i] with momentum); weights /= n.

    Two documented changes: counts are weighted by label_weight (the reference code counts
    rows), and with momentum the moving average is divided by 1 - m^t (bias correction,
    t = updates of the bin); the reference code divides by acc_sum itself.
    """
    edges = [float(x) / bins for x in range(bins + 1)]
    edges[-1] += 1e-6
    label_weight = np.ones_like(g) if label_weight is None else label_weight
    weights = np.zeros_like(g)
    valid = label_weight > 0
    tot = label_weight.sum()
    n = 0
    for i in range(bins):
        inds = (g >= edges[i]) & (g < edges[i + 1]) & valid
        num_in_bin = label_weight[inds].sum()
        if num_in_bin > 0:
            if momentum > 0:
                acc_sum[i] = momentum * acc_sum[i] + (1 - momentum) * num_in_bin
                updates[i] += 1
                weights[inds] = tot / (acc_sum[i] / (1 - momentum ** updates[i]))
            else:
                weights[inds] = tot / num_in_bin
            n += 1
    if n > 0:
        weights = weights / n
    return weights


def bce(y, raw):
    return y * np.logaddexp(0, -raw) + (1 - y) * np.logaddexp(0, raw)


@pytest.mark.parametrize("bins,weighted", [(10, False), (30, True), (3, False)])
def test_ghm_logistic_equals_the_papers_algorithm(bins, weighted):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500).astype(float)
    raw = rng.normal(0, 3, 500)
    w = rng.uniform(0.2, 2.0, 500) if weighted else None
    loss = bl.get_loss("ghm_logistic", bins=bins)
    beta = paper_ghm_weights(np.abs(expit(raw) - y), bins, 0.0, None, None, w)
    scale = beta if w is None else beta * w
    assert_allclose(loss(y, raw, w), scale * bce(y, raw), rtol=1e-12)
    grad, hess = loss.grad_hess(y, raw, w)
    p = expit(raw)
    assert_allclose(grad, scale * (p - y), rtol=1e-12, atol=1e-300)
    assert_allclose(hess, scale * p * (1 - p), rtol=1e-12)
    # beta has (weighted) mean 1; the metric is the paper's batch loss sum(w beta BCE) / sum(w)
    assert np.average(beta, weights=w) == pytest.approx(1.0)
    assert loss.metric(y, raw, w) == pytest.approx(np.sum(scale * bce(y, raw)) / np.sum(w if weighted else 1.0 + 0 * y))


def test_ghm_regression_equals_the_papers_algorithm():
    rng = np.random.default_rng(1)
    y = rng.normal(0, 1, 400)
    raw = y + rng.standard_t(2, 400) * 0.05
    mu = 0.02
    loss = bl.get_loss("ghm_regression", mu=mu, hessian_floor=0.0)
    diff = raw - y
    paper_loss = np.sqrt(diff * diff + mu * mu) - mu
    g = np.abs(diff / np.sqrt(mu * mu + diff * diff))
    beta = paper_ghm_weights(g, 10, 0.0, None, None)
    assert_allclose(loss(y, raw), beta * paper_loss, rtol=1e-9, atol=1e-15)
    grad, hess = loss.grad_hess(y, raw)
    s = np.sqrt(diff * diff + mu * mu)
    assert_allclose(grad, beta * diff / s, rtol=1e-12, atol=1e-300)
    assert_allclose(hess, beta * mu**2 / s**3, rtol=1e-12)


def _rounds(loss, y, rounds, rng):
    """Engine-style rounds: validated labels once, then _weighted_grad_hess per round."""
    labels, _, _ = loss._validate(y, np.zeros(y.shape[0]), None)
    raws = [rng.normal(0, 2 + r, y.shape[0]) for r in range(rounds)]
    return labels, raws, [loss._weighted_grad_hess(labels, raw, None)[0] for raw in raws]


@pytest.mark.parametrize("bins", [1, 3, 7, 10, 30])
def test_ghm_bins_equal_the_papers_edge_comparisons_at_the_edges(bins):
    """bin_index (floor, then corrected) = edges[b] <= g < edges[b + 1], also for g on an
    edge, one float away from it, and g = 1."""
    loss = bl.get_loss("ghm_logistic", bins=bins)
    edges = np.array([float(x) / bins for x in range(bins + 1)])
    edges[-1] += 1e-6
    g = np.concatenate([edges[:-1], np.nextafter(edges[:-1], 2), np.nextafter(edges[1:-1], -1),
                        [1.0, np.nextafter(1.0, 0)], np.random.default_rng(0).random(1000)])
    g = g[(g >= 0) & (g <= 1)]
    expected = np.array([np.flatnonzero((value >= edges[:-1]) & (value < edges[1:]))[0] for value in g])
    np.testing.assert_array_equal(loss.bin_index(g), expected)


def test_ghm_momentum_follows_the_paper_over_the_rounds_of_one_run():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 300).astype(float)
    loss = bl.get_loss("ghm_logistic", bins=30, momentum=0.75)
    labels, raws, grads = _rounds(loss, y, 5, rng)
    acc_sum, updates = np.zeros(30), np.zeros(30)
    for raw, grad in zip(raws, grads, strict=True):
        beta = paper_ghm_weights(np.abs(expit(raw) - y), 30, 0.75, acc_sum, updates)
        assert_allclose(grad, beta * (expit(raw) - y), rtol=1e-10, atol=1e-15)
    # the first round of a run equals the momentum-free weights
    plain = bl.get_loss("ghm_logistic", bins=30).grad_hess(y, raws[0])[0]
    assert_allclose(grads[0], plain, rtol=1e-12)
    # later rounds differ from momentum-free weights (the average remembers round 1)
    assert not np.allclose(grads[-1], bl.get_loss("ghm_logistic", bins=30).grad_hess(y, raws[-1])[0])


def test_ghm_momentum_state_is_per_run_and_reset_by_a_new_fit_copy_or_pickle():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 200).astype(float)
    loss = bl.get_loss("ghm_logistic", momentum=0.9)
    _, raws, first_run = _rounds(loss, y, 3, np.random.default_rng(4))
    # a new run (newly validated labels, as every new fit has) starts afresh ...
    _, _, second_run = _rounds(loss, y, 3, np.random.default_rng(4))
    for a, b in zip(first_run, second_run, strict=True):
        assert_allclose(a, b, rtol=0)
    # ... and so do pickled / copied / cloned losses, which keep only the parameters
    for other in (pickle.loads(pickle.dumps(loss)), copy.deepcopy(loss), copy.copy(loss)):
        assert other == loss and other._moving is not loss._moving
        _, _, run = _rounds(other, y, 3, np.random.default_rng(4))
        assert_allclose(run[-1], first_run[-1], rtol=0)
    # the same labels continue the average until reset_state()
    labels, _, _ = loss._validate(y, raws[0], None)
    loss._weighted_grad_hess(labels, raws[0], None)
    continued = loss._weighted_grad_hess(labels, raws[1], None)[0]
    assert_allclose(continued, first_run[1], rtol=0)
    loss.reset_state()
    assert_allclose(loss._weighted_grad_hess(labels, raws[1], None)[0],
                    bl.get_loss("ghm_logistic").grad_hess(y, raws[1])[0], rtol=1e-12)


def test_ghm_state_is_thread_safe_per_object():
    """Concurrent runs on one loss object keep separate, correct averages."""
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 2000).astype(float)
    loss = bl.get_loss("ghm_logistic", bins=20, momentum=0.5)
    expected = _rounds(bl.get_loss("ghm_logistic", bins=20, momentum=0.5), y, 20, np.random.default_rng(6))[2]
    results = [None] * 6

    def run(slot):
        results[slot] = _rounds(loss, y, 20, np.random.default_rng(6))[2]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        for a, b in zip(result, expected, strict=True):
            assert_allclose(a, b, rtol=0)


def test_ghm_down_weights_crowded_easy_rows_and_outliers():
    """The point of GHM: easy rows (g ~ 0) and a cluster of flipped labels (g ~ 1) both get
    beta < 1, the sparse middle gets beta > 1 (unlike focal, which up-weights outliers)."""
    rng = np.random.default_rng(7)
    y = np.r_[np.ones(700), np.ones(100), np.zeros(200)]
    raw = np.r_[rng.uniform(4, 6, 700), rng.uniform(-1.5, 1.5, 100), rng.uniform(4, 6, 200)]
    loss = bl.get_loss("ghm_logistic")
    beta = loss.harmonizing_weights(y, raw)
    easy, middle, flipped = beta[:700], beta[700:800], beta[800:]
    assert easy.max() < 1 and flipped.max() < 1 and middle.min() > 1
    focal = bl.get_loss("focal", alpha=None)
    relative = focal(y, raw) / bce(y, raw)
    assert relative[800:].min() > relative[700:800].max()  # focal favours the flipped rows


def test_ghm_init_score_is_zero_for_even_bins_and_one_class_raises():
    y = np.r_[np.ones(10), np.zeros(90)]
    assert bl.get_loss("ghm_logistic").init_score(y) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="both classes"):
        bl.get_loss("ghm_logistic").init_score(np.ones(5))


@pytest.mark.parametrize(
    "params,message",
    [({"bins": 0}, "bins"), ({"momentum": 1.0}, "momentum"), ({"bins": 2.5}, "bins")],
)
def test_ghm_parameters_are_validated(params, message):
    with pytest.raises((ValueError, TypeError), match=message):
        bl.get_loss("ghm_logistic", **params)


# ----------------------------------------------------------------------------- soft targets
def test_kl_divergence_is_cross_entropy_minus_target_entropy_and_zero_at_a_perfect_fit():
    rng = np.random.default_rng(8)
    y = rng.uniform(0, 1, 50)
    raw = rng.normal(0, 2, 50)
    soft = bl.get_loss("logistic", soft_labels=True)
    kl = bl.get_loss("kl_divergence")
    entropy = -(y * np.log(y) + (1 - y) * np.log1p(-y))
    assert_allclose(kl(y, raw), soft(y, raw) - entropy, rtol=1e-10)
    assert_allclose(kl.grad_hess(y, raw)[0], soft.grad_hess(y, raw)[0])
    assert_allclose(kl(y, np.log(y / (1 - y))), 0.0, atol=1e-12)
    targets = rng.dirichlet(np.ones(3), 40)
    logits = rng.normal(0, 2, (40, 3))
    ce = bl.get_loss("softmax_cross_entropy")
    entropy = -(targets * np.log(targets)).sum(axis=1)
    assert_allclose(kl(targets, logits), ce(targets, logits) - entropy, rtol=1e-9)
    assert_allclose(kl(targets, np.log(targets)), 0.0, atol=1e-12)
    assert_allclose(kl.transform(logits).sum(axis=1), 1.0)
    # init score: the link of the weighted mean target
    w = rng.uniform(0.5, 2, 40)
    mean = np.average(targets, axis=0, weights=w)
    assert_allclose(bl.links.SoftmaxLink().inverse(kl.init_score(targets, w)), mean)


def test_one_hot_probability_targets_equal_class_ids():
    rng = np.random.default_rng(9)
    labels = rng.integers(0, 4, 60)
    labels[:4] = np.arange(4)
    raw = rng.normal(0, 2, (60, 4))
    w = rng.uniform(0.5, 2.0, 60)
    loss = bl.get_loss("softmax_cross_entropy", class_weight=[1, 2, 0.5, 1], label_smoothing=0.1)
    onehot = np.eye(4)[labels]
    assert_allclose(loss(onehot, raw, w), loss(labels, raw, w), rtol=1e-12)
    for a, b in zip(loss.grad_hess(onehot, raw, w), loss.grad_hess(labels, raw, w), strict=True):
        assert_allclose(a, b, rtol=1e-10, atol=1e-15)
    assert_allclose(loss.init_score(onehot, w), loss.init_score(labels, w), rtol=1e-10)
    hard = bl.get_loss("logistic")
    soft = bl.get_loss("logistic", soft_labels=True, pos_weight=None)
    y = (labels % 2).astype(float)
    assert_allclose(soft(y, raw[:, 0]), hard(y, raw[:, 0]))


@pytest.mark.parametrize(
    "name,params,y,message",
    [
        ("logistic", {}, [0.0, 0.3], "soft_labels=True"),
        ("logistic", {"soft_labels": True}, [0.0, 1.2], r"\[0, 1\]"),
        ("kl_divergence", {}, [[0.5, 0.6], [1.0, 0.0]], "sum to 1"),
        ("kl_divergence", {}, [-0.1, 0.5], r"\[0, 1\]"),
        ("softmax_cross_entropy", {}, [[0.2, 0.8], [1.2, -0.2]], r"\[0, 1\]"),
        ("softmax_cross_entropy", {"class_weight": [1, 1, 1]}, [[0.2, 0.8]], "3 classes"),
        ("multilabel_logistic", {"pos_weight": [1.0, 2.0]}, [[0, 1, 1]], "pos_weight"),
    ],
)
def test_bad_probability_targets_raise(name, params, y, message):
    loss = bl.get_loss(name, **params)
    y = np.asarray(y, dtype=float)
    raw = np.zeros(y.shape)
    with pytest.raises(ValueError, match=message):
        loss(y, raw)


def test_soft_labels_and_pos_weight_parameters_are_validated():
    with pytest.raises(TypeError, match="soft_labels"):
        bl.get_loss("logistic", soft_labels=1)
    with pytest.raises(ValueError, match="pos_weight"):
        bl.get_loss("multilabel_logistic", pos_weight=[1.0, 0.0])
    with pytest.raises(TypeError, match="power"):
        bl.get_loss("multiclass_hinge", power=1.5)
    with pytest.raises(ValueError, match="power"):
        bl.get_loss("multiclass_hinge", power=3)


# ----------------------------------------------------------------------------- hinge
@pytest.mark.parametrize("power", [1, 2])
def test_multiclass_hinge_init_score_is_the_best_constant(power):
    """Against a dense search of the constant's two free coordinates (k = 3, centred)."""
    y = np.r_[np.zeros(50), np.ones(30), np.full(20, 2)].astype(int)
    loss = bl.get_loss("multiclass_hinge", power=power)
    init = loss.init_score(y)
    assert init.sum() == pytest.approx(0.0, abs=1e-9)
    grid = np.linspace(-2, 2, 161)
    best = min(
        loss.metric(y, np.broadcast_to([a, b, -a - b], (100, 3)).copy()) for a in grid for b in grid
    )
    assert loss.metric(y, np.broadcast_to(init, (100, 3)).copy()) <= best + 1e-12


def test_multiclass_hinge_predictions_are_margins():
    loss = bl.get_loss("multiclass_hinge")
    raw = np.array([[3.0, -1.0, 0.5]])
    assert_allclose(loss.transform(raw), raw)
    assert not loss.has_probabilities
