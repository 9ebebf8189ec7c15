"""The compiled kernels (C loops behind Cython) agree with the numpy reference for every loss setting.

What the engines receive is float32, so agreement is measured there: every grad/hess value
within 2 float32 ulp of the reference rounded to float32, for float32 and float64 raw
scores, with and without weights, over the hypothesis domain of tests/test_extremes.py
(|raw| and |y - raw| up to 1e6, log link up to 300, values near 0). Where a formula
subtracts nearly equal terms (tweedie's grad at y = exp(raw), log_cosh's 1 - exp(-2|e|) at
e ~ 1e-12) the float64 reference is itself only accurate to a few float64 ulp of those
terms, whose size the row's larger of |grad| and |hess| gives; a difference within 4 float64
eps of that is accepted too. In float64 they agree to a relative 1e-12 on moderate inputs.

The kernels are built by ``pip install`` (setup.py). A checkout used through PYTHONPATH
needs ``python setup.py build_ext --inplace`` once: the first test says so.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import boostloss as bl
from boostloss._adapter import FLOAT32_TINY, float32_grad_hess
from boostloss.losses import Logistic, _compiled

from .loss_cases import SETTINGS, build, make_data, setting_id
from .test_extremes import run_over_domain

# Every loss the retired numba kernels covered has a compiled kernel.
COVERED = {
    "squared_error", "absolute_error", "huber", "smooth_l1", "pseudo_huber", "log_cosh",
    "fair", "expectile", "quantile", "poisson", "gamma", "tweedie", "logistic", "focal",
    "squared_hinge", "smooth_hinge", "softmax_cross_entropy", "softmax_focal",
    "multilabel_logistic", "dice", "tversky",
}


def kernel_applies(setting) -> bool:
    """The dispatch runs a kernel for this setting (not for the losses without one: GHM and
    multiclass hinge)."""
    loss = build(setting)
    y, raw = make_data(loss, 8, np.random.default_rng(0))
    return _compiled.grad_hess(loss, loss.validate_labels(y), raw, None) is not None


KERNEL_SETTINGS = [s for s in SETTINGS if kernel_applies(s)]
REFERENCE_SETTINGS = [s for s in SETTINGS if s not in KERNEL_SETTINGS]


def test_extension_is_built_and_on_by_default():
    assert _compiled.available(), (
        "boostloss/losses/_kernels is not built: pip install -e . (or python setup.py "
        "build_ext --inplace for a checkout on PYTHONPATH)"
    )
    assert _compiled.enabled()
    assert COVERED <= set(_compiled.kernel_names())


def float32_ulps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance in float32 units in the last place (0 for equal values, +0 == -0)."""
    def ordered(x):
        bits = np.asarray(x, dtype=np.float32).view(np.int32).astype(np.int64)
        return np.where(bits < 0, -(bits & 0x7FFFFFFF), bits)

    return np.abs(ordered(a) - ordered(b))


def reference_float32(loss, y, raw, weight):
    """The reference as the engines receive it: float32, Hessians floored at float32's
    smallest normal number (the engine guard, which the kernels apply as they store)."""
    with np.errstate(over="ignore"):
        grad, hess = (np.asarray(v, dtype=np.float32)
                      for v in loss._reference_grad_hess(y, raw, weight))
    return [grad, np.where(hess < FLOAT32_TINY, np.float32(FLOAT32_TINY), hess)]


def assert_engine_values_agree(loss, y, raw, weight, compiled):
    """compiled float32 (grad, hess) vs the float64 reference: 2 float32 ulp, or within the
    reference's own rounding error where its formula cancels (see the module docstring)."""
    reference = loss._reference_grad_hess(y, raw, weight)
    engine = reference_float32(loss, y, raw, weight)
    scale = np.maximum(np.abs(reference[0]), np.abs(reference[1]))
    for fast, slow, slow32, what in zip(compiled, reference, engine, ("grad", "hess"), strict=True):
        assert fast.dtype == np.float32 and fast.shape == slow.shape
        with np.errstate(over="ignore", invalid="ignore"):
            ulps = float32_ulps(fast, slow32)
            cancelled = np.abs(fast - slow) <= 4 * np.finfo(np.float64).eps * scale
        bad = (ulps > 2) & ~cancelled
        assert not bad.any(), (what, raw[bad], fast[bad], slow[bad])


@pytest.mark.parametrize("setting", KERNEL_SETTINGS, ids=[setting_id(s) for s in KERNEL_SETTINGS])
def test_kernel_within_2_float32_ulp_of_reference_over_the_domain(setting):
    loss = build(setting)

    def check(y, raw, weight):
        labels = loss.validate_labels(y)
        compiled = _compiled.grad_hess(loss, labels, raw, weight, np.float32)
        assert compiled is not None
        assert_engine_values_agree(loss, labels, raw, weight, compiled)

    run_over_domain(loss, check, max_examples=60)


@pytest.mark.parametrize("setting", KERNEL_SETTINGS, ids=[setting_id(s) for s in KERNEL_SETTINGS])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_matches_reference_in_float64(setting, dtype):
    loss = build(setting)
    rng = np.random.default_rng(0)
    y, raw = make_data(loss, 300, rng)
    labels = loss.validate_labels(y)
    raw = raw.astype(dtype)
    for weight in (None, rng.uniform(0.1, 2.0, y.shape[0])):
        compiled = _compiled.grad_hess(loss, labels, raw, weight)
        for fast, slow in zip(compiled, loss._reference_grad_hess(labels, raw, weight), strict=True):
            assert fast.dtype == np.float64
            assert_allclose(fast, slow, rtol=1e-12, atol=1e-300)
        assert np.all(compiled[1] > 0)


@pytest.mark.parametrize("name", ["softmax_cross_entropy", "softmax_focal", "quantile"])
def test_two_dimensional_outputs_in_the_requested_layout(name):
    """LightGBM takes class-major (Fortran) buffers, XGBoost C order; (n, 1) stays (n, 1)."""
    loss = bl.get_loss(name, **({"alpha": [0.1, 0.9]} if name == "quantile" else {}))
    rng = np.random.default_rng(3)
    y, raw = make_data(loss, 50, rng)
    labels = loss.validate_labels(y)
    raw = raw.astype(np.float32)
    reference = reference_float32(loss, labels, raw, None)
    for order in ("C", "F"):
        grad, hess = _compiled.grad_hess(loss, labels, raw, None, np.float32, order)
        assert grad.flags[f"{order}_CONTIGUOUS"] and hess.flags[f"{order}_CONTIGUOUS"]
        assert float32_ulps(grad, reference[0]).max() <= 2
        assert float32_ulps(hess, reference[1]).max() <= 2
    column = np.asfortranarray(raw[:, :1]) if name == "quantile" else None
    if column is not None:  # a single level handed over as (n, 1)
        single = bl.get_loss("quantile", alpha=0.1)
        grad, _ = _compiled.grad_hess(single, labels, column, None, np.float32)
        assert grad.shape == (50, 1)
        assert_array_equal(grad, reference_float32(single, labels, column, None)[0])


def test_single_output_column_and_weights_keep_shape_and_dtype():
    loss = bl.get_loss("logistic")
    y = np.array([0.0, 1.0, 1.0])
    raw = np.array([[0.5], [-2.0], [3.0]], dtype=np.float32)
    grad, hess = loss._weighted_grad_hess(y, raw, np.array([1.0, 2.0, 0.5]), np.float32)
    assert grad.dtype == np.float32 and grad.shape == (3, 1) and hess.shape == (3, 1)
    reference = reference_float32(loss, y, raw, np.array([1.0, 2.0, 0.5]))
    assert float32_ulps(grad, reference[0]).max() <= 2


def test_a_loss_or_parameter_without_a_kernel_runs_the_reference(monkeypatch):
    """A parameter the kernel does not implement (or a user's subclass) must not reach a
    kernel that would ignore it."""

    class Shifted(Logistic):  # a user's loss: same name, different math
        def _grad_hess(self, y, raw):
            grad, hess = super()._grad_hess(y, raw)
            return grad + 1.0, hess

    y, raw = np.array([0.0, 1.0]), np.array([0.3, -0.2])
    assert _compiled.grad_hess(Shifted(), y, raw, None) is None
    grad, _ = Shifted()._weighted_grad_hess(y, raw, None)
    assert_allclose(grad, Logistic()._reference_grad_hess(y, raw, None)[0] + 1.0)
    monkeypatch.setitem(_compiled._KERNELS, "logistic",
                        (("pos_weight",), _compiled._KERNELS["logistic"][1]))
    assert _compiled.grad_hess(Logistic(label_smoothing=0.1), y, raw, None) is None


def test_switching_off_runs_the_reference_and_bad_modes_are_refused(monkeypatch):
    loss = bl.get_loss("focal")
    y, raw = np.array([0.0, 1.0, 1.0, 0.0]), np.array([-3.0, 0.5, 4.0, 2.0])
    calls = []
    original = _compiled.grad_hess
    monkeypatch.setattr(_compiled, "grad_hess", lambda *a, **k: calls.append(1) or original(*a, **k))
    fast = loss.grad_hess(y, raw)
    bl.use_compiled_kernels(False)
    try:
        slow = loss.grad_hess(y, raw)
    finally:
        bl.use_compiled_kernels(True)
    assert calls == [1]
    for a, b in zip(fast, slow, strict=True):
        assert_allclose(a, b, rtol=1e-12)
    with pytest.raises(TypeError, match="mode"):
        bl.use_compiled_kernels("auto")


def test_missing_extension_falls_back_to_numpy_with_one_warning(monkeypatch):
    monkeypatch.setitem(_compiled._STATE, "module", False)  # as if the build had failed
    monkeypatch.setitem(_compiled._STATE, "warned", False)
    loss = bl.get_loss("huber")
    y, raw = np.zeros(5), np.linspace(-3, 3, 5)
    with pytest.warns(RuntimeWarning, match="compiled kernels are not built"):
        grad, hess = loss.grad_hess(y, raw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss.grad_hess(y, raw)  # warned once only
    assert_allclose(grad, loss._reference_grad_hess(y, raw, None)[0])
    with pytest.raises(ImportError, match="not built"):
        bl.use_compiled_kernels(True)


def test_kernels_flag_the_values_they_store_beyond_the_output_range():
    """The engines' float32 guard is this flag: no second pass over grad/hess."""
    loss = bl.get_loss("poisson")
    y, raw = np.zeros(4), np.array([0.0, 100.0, 1.0, np.nan])  # exp(100) ~ 2.7e43
    with np.errstate(invalid="ignore"):
        assert _compiled.checked_grad_hess(loss, y, raw, None, np.float32)[2] == 1
        assert _compiled.checked_grad_hess(loss, y, raw, None, np.float64)[2] == 1  # the NaN
        finite_nan_free = (y[:3], raw[:3], None)  # exp(100) overflows float32 only
        assert _compiled.checked_grad_hess(loss, *finite_nan_free, np.float32)[2] == 1
        assert _compiled.checked_grad_hess(loss, *finite_nan_free, np.float64)[2] == 0
    assert _compiled.checked_grad_hess(loss, y[:1], raw[:1], None, np.float32)[2] == 0


@pytest.mark.parametrize(
    "setting", REFERENCE_SETTINGS, ids=[setting_id(s) for s in REFERENCE_SETTINGS]
)
def test_settings_without_a_kernel_run_the_reference_on_the_engine_path(setting):
    loss = build(setting)
    rng = np.random.default_rng(1)
    y, raw = make_data(loss, 50, rng)
    labels = loss.validate_labels(y)
    engine = float32_grad_hess(loss, labels, raw.astype(np.float32), None)
    reference = reference_float32(loss, labels, raw.astype(np.float32), None)
    for got, want in zip(engine, reference, strict=True):
        assert_array_equal(got, want)


def test_output_buffers_are_reused_only_while_nothing_else_holds_them():
    """The engine callables write each round into the previous round's arrays, unless the
    caller still holds them (then the kept arrays stay as they were)."""
    from boostloss._adapter import OutputBuffers

    loss = bl.get_loss("logistic")
    rng = np.random.default_rng(4)
    y = loss.validate_labels(rng.integers(0, 2, 1000))
    first_raw, second_raw = rng.normal(size=1000), rng.normal(size=1000)
    buffers = OutputBuffers()
    kept_grad, kept_hess = float32_grad_hess(loss, y, first_raw, None, "C", buffers)
    kept_copy = kept_grad.copy()
    grad, hess = float32_grad_hess(loss, y, second_raw, None, "C", buffers)
    assert grad is not kept_grad and hess is not kept_hess
    assert_array_equal(kept_grad, kept_copy)  # untouched by the second round
    address = grad.ctypes.data
    del grad, hess, kept_grad, kept_hess
    grad, hess = float32_grad_hess(loss, y, first_raw, None, "C", buffers)
    assert grad.ctypes.data == address  # nothing held the last pair: reused
    assert_array_equal(grad, kept_copy)
    assert_array_equal((grad, hess), float32_grad_hess(loss, y, first_raw, None))
    view = grad[:10]
    del grad, hess
    grad, _ = float32_grad_hess(loss, y, second_raw, None, "C", buffers)
    assert grad.ctypes.data != view.ctypes.data  # a view holds its base: not reused
