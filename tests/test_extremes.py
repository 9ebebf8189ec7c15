"""Property-based tests: for random and extreme inputs every loss stays finite.

|raw| and |y - raw| go up to 1e6 (log-link losses: |raw| up to 300, past which the mean
itself overflows float64), in float32 and float64. loss, grad and hess must be finite and
hess strictly positive.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from .loss_cases import N_CLASSES, N_LABELS, SETTINGS, build, setting_id

EXTREME = 1e6
LOG_LINK_EXTREME = 300.0


def _floats(bound: float):
    # Mix ordinary values with the extremes themselves and values near 0.
    return st.one_of(
        st.floats(-bound, bound, allow_nan=False, allow_infinity=False),
        st.sampled_from([-bound, bound, 0.0, -1e-12, 1e-12, 1.0, -1.0]),
    )


@st.composite
def labels_and_raw(draw, loss):
    n = draw(st.integers(1, 12))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    if loss.task == "multiclass":
        y = draw(arrays(np.int64, n, elements=st.integers(0, N_CLASSES - 1)))
        raw = draw(arrays(np.float64, (n, N_CLASSES), elements=_floats(EXTREME)))
    elif loss.output_kind == "multilabel":
        y = draw(arrays(np.float64, (n, N_LABELS), elements=st.sampled_from([0.0, 1.0])))
        raw = draw(arrays(np.float64, (n, N_LABELS), elements=_floats(EXTREME)))
    elif loss.task == "binary":
        y = draw(arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0])))
        raw = draw(arrays(np.float64, n, elements=_floats(EXTREME)))
    elif loss.link.name == "log":
        low = 1e-6 if loss.name == "gamma" else 0.0
        y = draw(arrays(np.float64, n, elements=st.one_of(st.floats(low, EXTREME), st.sampled_from([low, EXTREME]))))
        raw = draw(arrays(np.float64, n, elements=_floats(LOG_LINK_EXTREME)))
    else:
        y = draw(arrays(np.float64, n, elements=_floats(EXTREME / 2)))
        shape = (n, loss.n_outputs) if loss.output_kind == "multi_quantile" else n
        raw = draw(arrays(np.float64, shape, elements=_floats(EXTREME / 2)))
    return y.astype(dtype) if loss.task != "multiclass" else y, raw.astype(dtype)


def run_over_domain(loss, check, max_examples: int = 40) -> None:
    """check(y, raw, weight) on hypothesis samples of the loss's domain (``labels_and_raw``),
    with and without sample weights."""

    @settings(max_examples=max_examples, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(data=labels_and_raw(loss), weighted=st.booleans())
    def run(data, weighted):
        y, raw = data
        check(y, raw, np.linspace(0.5, 2.0, y.shape[0]) if weighted else None)

    run()


@pytest.mark.parametrize("setting", SETTINGS, ids=[setting_id(s) for s in SETTINGS])
def test_extreme_inputs_stay_finite_with_positive_hessian(setting):
    loss = build(setting)

    def check(y, raw, weight):
        values = loss(y, raw, weight)
        grad, hess = loss.grad_hess(y, raw, weight)
        assert np.all(np.isfinite(values)), values
        assert np.all(np.isfinite(grad)), grad
        assert np.all(np.isfinite(hess)), hess
        assert np.all(hess > 0), hess
        assert np.isfinite(loss.metric(y, raw, weight))
        assert np.all(np.isfinite(loss.transform(raw)))

    run_over_domain(loss, check)


@pytest.mark.parametrize("name", ["logistic", "focal", "softmax_cross_entropy", "multilabel_logistic"])
def test_probabilities_at_huge_logits_are_exact_limits(name):
    import boostloss as bl

    loss = bl.get_loss(name)
    if name == "softmax_cross_entropy":
        raw = np.array([[1e6, -1e6, 0.0]])
        assert np.allclose(loss.transform(raw), [[1.0, 0.0, 0.0]])
        # A confidently right prediction has (almost) zero loss, a confidently wrong one 2e6.
        assert loss([0], raw)[0] == pytest.approx(0.0, abs=1e-300)
        assert loss([1], raw)[0] == pytest.approx(2e6)
        return
    raw = np.array([[1e6, -1e6]]) if name == "multilabel_logistic" else np.array([1e6, -1e6])
    y = np.array([[1.0, 1.0]]) if name == "multilabel_logistic" else np.array([1.0, 1.0])
    values = loss(y, raw)
    assert np.all(np.isfinite(values))
    if name == "logistic":
        assert values[0] == 0.0 and values[1] == pytest.approx(1e6)
