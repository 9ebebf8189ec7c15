"""Generic contract tests for every loss and parameter setting in ``loss_cases.SETTINGS``.

Derivatives are checked against 4-point finite differences of the loss itself (gradient)
and of the gradient (Hessian), in float64, away from kinks. Surrogate Hessians are checked
against their documented formula.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import minimize, minimize_scalar

import boostloss as bl
from boostloss.losses.base import MIN_HESSIAN

from .loss_cases import SETTINGS, build, hessian_floor_of, make_data, setting_id

CASES = pytest.mark.parametrize("setting", SETTINGS, ids=[setting_id(s) for s in SETTINGS])
STEP = 1e-4


def four_point(function, x: np.ndarray, step: float) -> np.ndarray:
    """(-f(x+2h) + 8 f(x+h) - 8 f(x-h) + f(x-2h)) / 12h, elementwise in x's perturbation."""
    return (-function(x + 2 * step) + 8 * function(x + step) - 8 * function(x - step) + function(x - 2 * step)) / (
        12 * step
    )


def numerical_grad(loss, y, raw) -> np.ndarray:
    """d loss_i / d raw_i (or raw_ij), from differences of the per-sample loss values."""
    if not loss.separable:
        total = lambda r: loss(y, r).sum()  # noqa: E731
        grad = np.empty_like(raw)
        for i in range(raw.shape[0]):
            basis = np.zeros_like(raw)
            basis[i] = 1.0
            grad[i] = four_point(lambda t, b=basis: np.array(total(raw + t * b)), np.array(0.0), STEP)
        return grad
    if raw.ndim == 1:
        return four_point(lambda r: loss(y, r), raw, STEP)
    grad = np.empty_like(raw)
    for j in range(raw.shape[1]):
        basis = np.zeros_like(raw)
        basis[:, j] = 1.0
        grad[:, j] = four_point(lambda t, b=basis: loss(y, raw + t * b), 0.0, STEP)
    return grad


def numerical_hess(loss, y, raw) -> np.ndarray:
    """Diagonal second derivative from 4-point differences of the analytic gradient."""
    gradient = lambda r: loss.grad_hess(y, r)[0]  # noqa: E731
    if raw.ndim == 1:
        return four_point(gradient, raw, STEP)
    hess = np.empty_like(raw)
    for j in range(raw.shape[1]):
        basis = np.zeros_like(raw)
        basis[:, j] = 1.0
        hess[:, j] = four_point(lambda t, b=basis, j=j: gradient(raw + t * b)[:, j], 0.0, STEP)
    return hess


def expected_hessian(loss, y, raw, exact: np.ndarray) -> np.ndarray:
    """The Hessian each loss documents, given the exact (finite-difference) one."""
    if loss.hessian_type == "constant":
        return np.ones_like(raw)
    if loss.name == "focal":
        return loss.grad_hess(y, raw)[1]  # checked against its own formula in test_focal_*
    if loss.name == "softmax_focal":
        return loss.grad_hess(y, raw)[1]
    if loss.name in ("dice", "tversky"):
        return np.abs(loss.grad_hess(y, raw)[0])
    if loss.batch_weighted:  # GHM: beta times the base loss's Hessian (floored before beta)
        beta = loss.harmonizing_weights(loss.validate_labels(y), raw)
        return beta * np.maximum(exact / beta, max(hessian_floor_of(loss), MIN_HESSIAN))
    if loss.name == "multiclass_hinge":  # power * (active pairs) / k, floored
        rows = np.arange(raw.shape[0])
        labels = y.astype(int)
        active = (loss.margin - raw[rows, labels][:, None] + raw > 0).astype(float)
        active[rows, labels] = 0.0
        curvature = loss.power * active
        curvature[rows, labels] = loss.power * active.sum(axis=1)
        return np.maximum(curvature, loss.hessian_floor) / raw.shape[1]
    if loss.name == "poisson":
        return np.exp(loss.max_delta_step) * exact
    if loss.name == "softmax_cross_entropy":
        factor = {"exact": 1.0, "xgboost": 2.0}[loss.hessian]
        return factor * exact
    if getattr(loss, "hessian", None) == "irls":  # psi(e)/e = grad / (raw - y), exact at e = 0
        e = y - raw
        grad = numerical_grad(loss, y, raw)
        irls = np.where(np.abs(e) > 1e-6, grad / np.where(np.abs(e) > 1e-6, -e, 1.0), exact)
        return np.maximum(irls, max(hessian_floor_of(loss), MIN_HESSIAN))
    return np.maximum(exact, max(hessian_floor_of(loss), MIN_HESSIAN))


@CASES
def test_grad_matches_finite_differences(setting):
    loss = build(setting)
    rng = np.random.default_rng(0)
    y, raw = make_data(loss, 40, rng)
    grad, hess = loss.grad_hess(y, raw)
    assert grad.shape == raw.shape and hess.shape == raw.shape
    assert grad.dtype == np.float64 and hess.dtype == np.float64
    numeric = numerical_grad(loss, y, raw)
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-9 * max(1.0, np.abs(numeric).max()))


@CASES
def test_hess_matches_finite_differences_or_documented_surrogate(setting):
    loss = build(setting)
    rng = np.random.default_rng(1)
    y, raw = make_data(loss, 40, rng)
    _, hess = loss.grad_hess(y, raw)
    exact = numerical_hess(loss, y, raw)
    expected = expected_hessian(loss, y, raw, exact)
    assert_allclose(hess, expected, rtol=1e-5, atol=1e-9 * max(1.0, np.abs(expected).max()))
    assert np.all(hess > 0)


@CASES
def test_weights_multiply_loss_grad_hess_and_metric_is_weighted_mean(setting):
    loss = build(setting)
    rng = np.random.default_rng(2)
    y, raw = make_data(loss, 30, rng)
    w = rng.uniform(0.1, 3.0, y.shape[0])
    if loss.separable:
        assert_allclose(loss(y, raw, w), w * loss(y, raw), rtol=1e-12)
        grad, hess = loss.grad_hess(y, raw)
        grad_w, hess_w = loss.grad_hess(y, raw, w)
        column = w if raw.ndim == 1 else w[:, None]
        assert_allclose(grad_w, column * grad, rtol=1e-12)
        assert_allclose(hess_w, column * hess, rtol=1e-12)
        assert loss.metric(y, raw, w) == pytest.approx(np.sum(w * loss(y, raw)) / w.sum(), rel=1e-12)
    elif loss.batch_weighted:
        # GHM: weights multiply the rows and enter the bin counts; integer weights equal
        # repeating rows, for values, gradients and the metric.
        counts = rng.integers(1, 4, y.shape[0])
        repeated = np.repeat(np.arange(y.shape[0]), counts)
        beta = loss.harmonizing_weights(loss.validate_labels(y), raw, w.astype(float))
        plain = loss(y, raw) / loss.harmonizing_weights(loss.validate_labels(y), raw)
        assert_allclose(loss(y, raw, w), w * beta * plain, rtol=1e-12)
        assert_allclose(loss(y, raw, counts), np.bincount(repeated, loss(y[repeated], raw[repeated])),
                        rtol=1e-12)
        grad, _ = loss.grad_hess(y, raw, counts)
        assert_allclose(grad, np.bincount(repeated, loss.grad_hess(y[repeated], raw[repeated])[0]),
                        rtol=1e-12, atol=1e-15)
        assert loss.metric(y, raw, counts) == pytest.approx(loss.metric(y[repeated], raw[repeated]))
    else:
        # Batch losses: weights enter the soft counts; metric is the (weighted) batch value.
        values = loss(y, raw, w)
        assert np.all(values == values[0])
        assert loss.metric(y, raw, w) == pytest.approx(values[0])
        assert loss.metric(y, raw, w) != pytest.approx(loss.metric(y, raw))
        # Integer weights equal repeating rows: the batch value is the same.
        counts = rng.integers(1, 4, y.shape[0])
        repeated = np.repeat(np.arange(y.shape[0]), counts)
        assert loss.metric(y, raw, counts) == pytest.approx(loss.metric(y[repeated], raw[repeated]))
    # Zero weights equal dropping the rows, for the metric.
    w0 = np.where(np.arange(y.shape[0]) % 3 == 0, 0.0, w)
    keep = w0 > 0
    assert loss.metric(y, raw, w0) == pytest.approx(loss.metric(y[keep], raw[keep], w0[keep]), rel=1e-12)


@CASES
def test_init_score_minimises_metric_over_constants(setting):
    loss = build(setting)
    rng = np.random.default_rng(3)
    y, raw = make_data(loss, 200, rng)
    w = rng.uniform(0.2, 2.0, y.shape[0])
    for weight in (None, w):
        init = loss.init_score(y, weight)
        k = raw.shape[1] if raw.ndim == 2 else None
        if k is None:
            assert isinstance(init, float)

            def objective(c, weight=weight):
                return loss.metric(y, np.full(raw.shape, c), weight)

            best = minimize_scalar(objective, bracket=(init - 1.0, init + 1.0)).x
            ours, theirs = objective(init), objective(best)
            scale = max(1.0, abs(theirs))
            if loss.separable or loss.batch_weighted:
                assert ours <= theirs + 1e-9 * scale
            else:  # dice/tversky: documented as the logit of the prevalence
                prevalence = np.average(y, weights=weight)
                assert init == pytest.approx(np.log(prevalence / (1 - prevalence)))
            continue
        init = np.asarray(init)
        assert init.shape == (k,)

        def objective_k(c, weight=weight):
            return loss.metric(y, np.broadcast_to(c, raw.shape).copy(), weight)

        best = minimize(objective_k, init + 0.3, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20000}).x
        assert objective_k(init) <= objective_k(best) + 1e-9 * max(1.0, abs(objective_k(best)))
        for j in range(k):
            for delta in (-1e-3, 1e-3):
                moved = init.copy()
                moved[j] += delta
                assert objective_k(init) <= objective_k(moved) + 1e-12


@CASES
def test_float32_inputs_are_accepted_and_computed_in_float64(setting):
    loss = build(setting)
    rng = np.random.default_rng(4)
    y, raw = make_data(loss, 25, rng)
    y32, raw32 = y.astype(np.float32), raw.astype(np.float32)
    grad, hess = loss.grad_hess(y32, raw32)
    assert grad.dtype == np.float64 and hess.dtype == np.float64
    reference = loss.grad_hess(y32.astype(np.float64), raw32.astype(np.float64))
    assert_allclose(grad, reference[0], rtol=1e-12)
    assert_allclose(hess, reference[1], rtol=1e-12)
    assert loss(y32, raw32).dtype == np.float64


@CASES
def test_pickle_round_trip_and_repr(setting):
    loss = build(setting)
    clone = pickle.loads(pickle.dumps(loss))
    assert clone == loss
    rng = np.random.default_rng(5)
    y, raw = make_data(loss, 10, rng)
    assert_allclose(clone(y, raw), loss(y, raw))
    assert loss.name in bl.available_losses()
    assert type(loss).__name__ in repr(loss)
    assert bl.get_loss(loss.name, **loss.get_params()) == loss


@CASES
def test_loss_shape_and_transform(setting):
    loss = build(setting)
    rng = np.random.default_rng(6)
    y, raw = make_data(loss, 12, rng)
    values = loss(y, raw)
    assert values.shape == (12,) and np.all(np.isfinite(values))
    response = loss.transform(raw)
    assert response.shape == raw.shape
    if loss.has_probabilities:
        assert np.all((response >= 0) & (response <= 1))
        if loss.task == "multiclass":
            assert_allclose(response.sum(axis=1), 1.0)


@CASES
def test_wrong_shapes_and_bad_labels_raise(setting):
    loss = build(setting)
    rng = np.random.default_rng(7)
    y, raw = make_data(loss, 10, rng)
    with pytest.raises(ValueError, match="raw|shape"):
        loss.grad_hess(y, raw[:-1])
    with pytest.raises(ValueError, match="sample_weight"):
        loss.grad_hess(y, raw, np.ones(9))
    with pytest.raises(ValueError, match="non-negative"):
        loss.grad_hess(y, raw, -np.ones(10))
    bad = y.copy()
    bad.flat[0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        loss.grad_hess(bad, raw)
    bad.flat[0] = np.inf
    with pytest.raises(ValueError, match="finite"):
        loss(bad, raw)
    bad_raw = raw.copy()
    bad_raw.flat[0] = np.nan
    with pytest.raises(ValueError, match="raw must be finite"):
        loss.grad_hess(y, bad_raw)
    with pytest.raises(TypeError, match="raw must be real, got complex"):
        loss.grad_hess(y, raw + 1j)
    with pytest.raises(TypeError, match="sample_weight must be real, got complex"):
        loss(y, raw, np.ones(10) + 0j)
    with pytest.raises(ValueError, match="at least one sample"):
        loss.init_score(y[:0])
    with pytest.raises(ValueError, match="at least one sample"):
        loss.metric(y[:0], raw[:0])


def test_every_registered_loss_is_covered_by_the_settings():
    assert {name for name, _ in SETTINGS} == set(bl.available_losses())


@CASES
def test_scikit_learn_clone_gives_an_equal_fresh_loss(setting):
    from sklearn.base import clone

    loss = build(setting)
    copy = clone(loss)
    assert copy == loss and copy is not loss


@CASES
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_blockwise_engine_path_equals_one_call(setting, dtype, monkeypatch):
    """The engines' path evaluates separable losses in row blocks; blocks must not matter.

    The block size is shrunk to 7 elements so that 200 rows take many uneven blocks; with
    weights, output in the engine's dtype, and 2-D raw of single-output losses. This is the
    numpy path (the compiled kernels off; tests/test_compiled.py holds those to the
    reference).
    """
    from boostloss.losses import _compiled, base

    monkeypatch.setitem(_compiled._STATE, "mode", False)
    loss = build(setting)
    rng = np.random.default_rng(3)
    y, raw = make_data(loss, 200, rng)
    weight = rng.uniform(0.5, 2.0, 200)
    y, raw, weight = loss._validate(y, raw, weight)
    expected = loss._reference_grad_hess(y, raw, weight)
    monkeypatch.setattr(base, "_BLOCK_ELEMENTS", 7)
    for scores in ([raw] if raw.ndim == 2 else [raw, raw[:, None]]):
        grad, hess = loss._weighted_grad_hess(y, scores, weight, dtype)
        assert grad.dtype == dtype and hess.dtype == dtype
        assert grad.shape == scores.shape and hess.shape == scores.shape
        tolerance = 1e-6 if dtype == np.float32 else 1e-14
        assert_allclose(grad.reshape(expected[0].shape), expected[0], rtol=tolerance, atol=1e-300)
        assert_allclose(hess.reshape(expected[1].shape), expected[1], rtol=tolerance, atol=1e-300)
        if scores.ndim == 2:  # LightGBM's layout
            grad_f, hess_f = loss._weighted_grad_hess(y, scores, weight, dtype, "F")
            assert grad_f.flags.f_contiguous and hess_f.flags.f_contiguous
            np.testing.assert_array_equal(grad_f, grad)
            np.testing.assert_array_equal(hess_f, hess)


@CASES
def test_inputs_are_never_modified(setting):
    """Neither the public methods nor the engines' path write into y, raw or the weights,
    whatever the memory order of raw (LightGBM hands multi-output scores in Fortran order)."""
    loss = build(setting)
    rng = np.random.default_rng(5)
    y, raw = make_data(loss, 60, rng)
    weight = rng.uniform(0.5, 2.0, 60)
    for scores in (raw, np.asfortranarray(raw)):
        copies = (y.copy(), scores.copy(), weight.copy())
        loss.grad_hess(y, scores, weight)
        loss(y, scores, weight)
        loss.metric(y, scores, weight)
        labels, checked, w = loss._validate(y, scores, weight)
        loss._weighted_grad_hess(labels, checked, w, np.float32)
        for after, before in zip((y, scores, weight), copies, strict=True):
            np.testing.assert_array_equal(after, before)
