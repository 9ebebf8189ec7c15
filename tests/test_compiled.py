"""The compiled (numba) kernels agree with the numpy reference for every loss setting."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from boostloss.losses import _compiled

from .loss_cases import SETTINGS, build, make_data, setting_id

pytestmark = pytest.mark.skipif(not _compiled.available(), reason="numba is not installed")


def _extreme_copy(loss, raw):
    """The same shape with |raw| up to 1e6 (log link: 300) in some rows."""
    extreme = raw.copy()
    bound = 300.0 if loss.link.name == "log" else 1e6
    extreme.flat[::3] = bound
    extreme.flat[1::5] = -bound
    return extreme


@pytest.mark.parametrize("setting", SETTINGS, ids=[setting_id(s) for s in SETTINGS])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_kernel_matches_numpy_reference(setting, dtype):
    loss = build(setting)
    rng = np.random.default_rng(0)
    y, raw = make_data(loss, 500, rng)
    labels = loss.validate_labels(y)
    weight = rng.uniform(0.1, 2.0, y.shape[0])
    for scores in (raw, _extreme_copy(loss, raw)):
        scores = scores.astype(dtype)
        for w in (None, weight):
            reference = loss._reference_grad_hess(labels, scores, w)
            compiled = _compiled.grad_hess(loss, labels, scores, w, np.float64)
            if compiled is None and (
                loss.name not in _compiled._STATE["kernels"] or loss._uses_reference_only(labels)
            ):
                pytest.skip(f"{setting_id(setting)} runs on the numpy reference (no kernel)")
            assert compiled is not None, f"{loss.name} has no compiled kernel"
            for fast, slow in zip(compiled, reference, strict=True):
                assert fast.shape == slow.shape
                assert np.all(np.isfinite(fast))
                assert_allclose(fast, slow, rtol=1e-9, atol=1e-300)
            assert np.all(compiled[1] > 0)


def test_compiled_kernel_writes_requested_dtype_and_single_column_shape():
    loss = build(("logistic", {}))
    y = np.array([0.0, 1.0, 1.0])
    raw = np.array([[0.5], [-2.0], [3.0]], dtype=np.float32)
    grad, hess = _compiled.grad_hess(loss, y, raw, None, np.float32)
    assert grad.dtype == np.float32 and grad.shape == (3, 1)
    reference = loss._reference_grad_hess(y, raw, None)
    assert_allclose(grad, reference[0], rtol=1e-6)
    assert_allclose(hess, reference[1], rtol=1e-6)


def test_thread_setting_is_validated_and_restored():
    import numba

    assert _compiled.get_num_threads() == 1  # the default: engines own the cores
    before = numba.get_num_threads()
    loss = build(("huber", {}))
    reference = _compiled.grad_hess(loss, np.zeros(1000), np.linspace(-3, 3, 1000), None)
    _compiled.set_num_threads(None)
    try:
        parallel = _compiled.grad_hess(loss, np.zeros(1000), np.linspace(-3, 3, 1000), None)
        assert numba.get_num_threads() == before
        assert_allclose(parallel[0], reference[0])
    finally:
        _compiled.set_num_threads(1)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="threads"):
            _compiled.set_num_threads(bad)


def test_use_compiled_kernels_switches_the_public_path():
    import boostloss as bl

    loss = bl.get_loss("focal")
    y = np.array([0.0, 1.0, 1.0, 0.0])
    raw = np.array([-3.0, 0.5, 4.0, 2.0])
    assert _compiled.compiled_kernels_mode() is False  # opt-in
    assert not _compiled.enabled(_compiled.AUTO_MIN_ELEMENTS)
    reference = loss.grad_hess(y, raw)
    bl.use_compiled_kernels("auto")
    assert not _compiled.enabled(raw.size)  # small calls stay on numpy in auto mode
    assert _compiled.enabled(_compiled.AUTO_MIN_ELEMENTS)
    bl.use_compiled_kernels(True)
    try:
        assert _compiled.enabled(raw.size)
        fast = loss.grad_hess(y, raw)
        bl.use_compiled_kernels(False)
        assert not _compiled.enabled(_compiled.AUTO_MIN_ELEMENTS)
    finally:
        bl.use_compiled_kernels(False)
    for a, b in zip(fast, reference, strict=True):
        assert_allclose(a, b, rtol=1e-12)
    with pytest.raises(TypeError, match="mode"):
        bl.use_compiled_kernels("yes")


def test_auto_mode_uses_the_kernels_for_large_calls(monkeypatch):
    """Above the threshold a call runs the numba kernel: replace it and see it called."""
    import boostloss as bl

    loss = bl.get_loss("logistic")
    n = _compiled.AUTO_MIN_ELEMENTS
    rng = np.random.default_rng(1)
    y = (rng.random(n) < 0.4).astype(np.float64)
    raw = rng.normal(size=n)
    calls = []
    original = _compiled.grad_hess

    def counting(*args, **kwargs):
        calls.append(args[2].size)
        return original(*args, **kwargs)

    monkeypatch.setattr(_compiled, "grad_hess", counting)
    bl.use_compiled_kernels("auto")
    try:
        fast = loss._weighted_grad_hess(y, raw, None)
        loss._weighted_grad_hess(y[:1000], raw[:1000], None)
    finally:
        bl.use_compiled_kernels(False)
    assert calls == [n]
    reference = loss._reference_grad_hess(y, raw, None)
    for a, b in zip(fast, reference, strict=True):
        assert_allclose(a, b, rtol=1e-12)
