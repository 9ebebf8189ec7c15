"""The guard of issue 12: one property over the public surface, inputs from the whole space.

Property: a call either returns finite values of the documented shape and dtype (Hessians
> 0 where the weight is > 0 in float64, and > 0 everywhere *as the engine receives them*,
float32), or raises ValueError / TypeError with a message under 1,000 characters. Anything
else (another exception, NaN, inf, a zero Hessian in the engine's array, a wrong shape, a
message that grows with the data) fails.

Surfaces: every registered loss's ``__call__`` / ``grad_hess`` / ``metric`` /
``init_score`` (with parameters drawn from and beyond their ranges); the adapters'
objective callables with real ``xgboost.DMatrix`` / ``lightgbm.Dataset`` objects; the
scikit-learn estimators' ``fit`` / ``predict`` on both engines.

Inputs: labels, raw scores and weights drawn from each loss's domain *and* from outside it:
every dtype numpy has (float16/32/64, ints, uint64, bool, object, complex, datetime64,
timedelta64, strings, bytes), masked arrays, non-contiguous views, Fortran order, Python
lists, the float extremes (±1e308, ±3.4e38, 5e-324, 0, NaN, inf) and odd shapes (empty,
0-d, (n, 1), 3-D, mismatched lengths).

Budget (derandomized under CI, see conftest.py): 21 losses x 30 examples for the losses,
60 examples per engine for the adapters, 12 per engine for the estimators; about 30 s on
one core. ``BOOSTLOSS_GUARD_SCALE=k`` multiplies the counts for a longer local search (with
HYPOTHESIS_PROFILE=dev it explores new examples every run). The process-killing cases (engine refusals, huge labels) are in
tests/test_reliability.py, each in a subprocess.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import boostloss as bl

MESSAGE_LIMIT = 1000
# BOOSTLOSS_GUARD_SCALE=k multiplies every count, for a longer local search.
_SCALE = int(os.environ.get("BOOSTLOSS_GUARD_SCALE", "1"))
LOSS_EXAMPLES = 30 * _SCALE
ADAPTER_EXAMPLES = 60 * _SCALE
ESTIMATOR_EXAMPLES = 12 * _SCALE

GUARD_SETTINGS = settings(
    max_examples=LOSS_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
)

# ---------------------------------------------------------------------- the input space
EXTREMES = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0, 1e-12, 5e-324, 1e-308, 1e-45, 1e-30, 300.0,
            -300.0, 710.0, 1e6, -1e6, 1e38, 3.5e38, -3.5e38, 1e155, 1e300, 1.7e308,
            -1.7e308, np.nan, np.inf, -np.inf]
DTYPES = ["float64", "float32", "float16", "int64", "uint64", "uint8", "bool", "object",
          "complex", "datetime64", "timedelta64", "str", "bytes", "masked", "view",
          "fortran", "list"]

# parameter values tried for every parameter of every loss: valid, edges, and junk
PARAMETER_POOL = [None, 0, 0.0, -1.0, 1e-308, 5e-324, 1e-100, 1e-30, 0.1, 0.5, 0.9, 1.0, 1.5,
                  2, 3, 88.0, 100.0, 1e100, 1e155, 1e300, np.inf, np.nan, True, "exact",
                  "lightgbm", "nope", [0.1, 0.5, 0.9], [0.05, 0.05 + 1e-12], [1.0, 2.0, 1.0],
                  {0: 1.0, 1: 2.0, 2: 1.0}, [1, 10**400], [], 10**400, 2**31]


def _floats():
    return st.one_of(
        st.sampled_from(EXTREMES),
        st.floats(-1e6, 1e6, allow_nan=False),
        st.floats(allow_nan=True, allow_infinity=True),
    )


def _domain_labels(loss, n, draw):
    """Labels mostly inside the loss's domain (so the maths is reached), sometimes not."""
    if draw(st.integers(0, 9)) == 0:
        return np.array(draw(st.lists(_floats(), min_size=n, max_size=n)), dtype=np.float64)
    if loss.task == "multiclass":
        k = loss.n_outputs or 3
        return np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)), float)
    if loss.output_kind == "multilabel":
        values = draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=n * 3, max_size=n * 3))
        return np.array(values).reshape(n, 3)
    if loss.task == "binary":
        return np.array(draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=n, max_size=n)))
    low = 0.0 if loss.link.name == "log" else -1e6
    elements = st.one_of(st.floats(low, 1e6), st.sampled_from([low, 0.0, 1.0, 1e6]))
    return np.abs(np.array(draw(st.lists(elements, min_size=n, max_size=n)))) if low == 0 else (
        np.array(draw(st.lists(elements, min_size=n, max_size=n))))


def _raw_shape(loss, n, draw):
    k = loss.n_outputs or 3
    good = (n, k) if loss.is_multi_output else (n,)
    odd = [(n, 1), (n + 1,), (), (n, k, 1), (0,), (n, k + 1), (1, n)]
    return good if draw(st.integers(0, 4)) else draw(st.sampled_from(odd))


def _as_kind(array: np.ndarray, kind: str):
    """``array`` (float64) in the requested dtype or container."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finite = np.nan_to_num(array, nan=0.0, posinf=1e18, neginf=-1e18)
        if kind in ("float64", "float32", "float16"):
            return array.astype(kind)
        if kind in ("int64", "uint64", "uint8"):
            return np.clip(finite, np.iinfo(kind).min, min(np.iinfo(kind).max, 1e18)).astype(kind)
        if kind == "bool":
            return finite != 0
        if kind == "object":
            return array.astype(object)
        if kind == "complex":
            return array.astype(np.complex128)
        if kind == "datetime64":
            return np.clip(finite, -1e15, 1e15).astype("datetime64[s]")
        if kind == "timedelta64":
            return np.clip(finite, -1e15, 1e15).astype("timedelta64[s]")
        if kind == "str":
            return array.astype(str)
        if kind == "bytes":
            return array.astype(bytes)
        if kind == "masked":
            mask = np.zeros(array.shape, dtype=bool)
            mask.flat[:1] = True
            return np.ma.masked_array(array, mask=mask)
        if kind == "view":
            return np.repeat(array, 2, axis=0)[::2] if array.ndim else array
        if kind == "fortran":
            return np.asfortranarray(array)
        return array.tolist()


@st.composite
def loss_and_params(draw, name):
    cls = bl.registry.LOSSES[name]
    params = {}
    for parameter in cls.param_names():
        if draw(st.booleans()):
            params[parameter] = draw(st.sampled_from(PARAMETER_POOL))
    return params


@st.composite
def loss_inputs(draw, loss):
    n = draw(st.integers(0, 7))
    y = _domain_labels(loss, n, draw)
    shape = _raw_shape(loss, n, draw)
    raw = np.array(draw(st.lists(_floats(), min_size=int(np.prod(shape)),
                                 max_size=int(np.prod(shape)))), dtype=np.float64).reshape(shape)
    if draw(st.integers(0, 2)) == 0:  # mostly moderate scores: the maths, not only the checks
        raw = np.clip(np.nan_to_num(raw), -50, 50)
    weight = None
    if draw(st.booleans()):
        w_n = n if draw(st.integers(0, 5)) else n + 1
        weight = np.array(draw(st.lists(st.one_of(st.floats(0, 10), _floats()), min_size=w_n,
                                        max_size=w_n)), dtype=np.float64)
    kinds = [draw(st.sampled_from(DTYPES)) if draw(st.integers(0, 2)) == 0 else "float64"
             for _ in range(3)]
    return (_as_kind(y, kinds[0]), _as_kind(raw, kinds[1]),
            None if weight is None else _as_kind(weight, kinds[2]))


# ---------------------------------------------------------------------- the property
def _acceptable_error(exc: BaseException) -> None:
    assert isinstance(exc, (ValueError, TypeError)), f"{type(exc).__name__}: {exc}"
    assert len(str(exc)) < MESSAGE_LIMIT, f"message of {len(str(exc))} characters"


def _positive_weight_mask(weight, shape):
    if weight is None:
        return np.ones(shape, dtype=bool)
    w = np.asarray(weight, dtype=np.float64)
    return np.broadcast_to((w > 0).reshape((-1,) + (1,) * (len(shape) - 1)), shape)


def _check_loss_calls(loss, y, raw, weight):
    n_raw_shape = np.shape(raw)
    for method in ("__call__", "grad_hess", "metric", "init_score"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if method == "init_score":
                    result = loss.init_score(y, weight)
                elif method == "__call__":
                    result = loss(y, raw, weight)
                else:
                    result = getattr(loss, method)(y, raw, weight)
        except Exception as exc:  # the property: ValueError/TypeError with a short message
            _acceptable_error(exc)
            continue
        if method == "__call__":
            assert isinstance(result, np.ndarray) and result.dtype == np.float64
            assert result.shape == (n_raw_shape[0],) and np.all(np.isfinite(result))
        elif method == "grad_hess":
            grad, hess = result
            for array in (grad, hess):
                assert isinstance(array, np.ndarray) and array.dtype == np.float64
                assert array.shape == n_raw_shape and np.all(np.isfinite(array))
            assert np.all(hess >= 0)
            assert np.all(hess[_positive_weight_mask(weight, hess.shape)] > 0)
        elif method == "metric":
            assert isinstance(result, float) and np.isfinite(result)
        else:  # a float, or one value per output column (taken from the labels)
            assert np.all(np.isfinite(result))
            if loss.is_multi_output:
                assert isinstance(result, np.ndarray) and result.ndim == 1 and result.size >= 1
            else:
                assert isinstance(result, float)


@pytest.mark.parametrize("name", bl.available_losses())
@GUARD_SETTINGS
@given(data=st.data())
def test_every_loss_returns_finite_documented_values_or_a_short_value_or_type_error(name, data):
    params = data.draw(loss_and_params(name))
    try:
        loss = bl.get_loss(name, **params)
    except Exception as exc:
        _acceptable_error(exc)
        return
    y, raw, weight = data.draw(loss_inputs(loss))
    _check_loss_calls(loss, y, raw, weight)


# ---------------------------------------------------------------------- adapters
xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

ENGINE_LOSSES = [name for name in bl.available_losses()]


@st.composite
def engine_case(draw):
    name = draw(st.sampled_from(ENGINE_LOSSES))
    params = draw(loss_and_params(name))
    n = draw(st.integers(1, 6))
    return name, params, n, draw(st.data())


def _engine_inputs(loss, n, data):
    y = _domain_labels(loss, n, data.draw)
    weight = None
    if data.draw(st.booleans()):
        weight = np.array(data.draw(st.lists(st.one_of(st.floats(0, 10), _floats()),
                                             min_size=n, max_size=n)), dtype=np.float64)
    k = loss.n_outputs or 3
    columns = k if loss.is_multi_output else 1
    if data.draw(st.integers(0, 5)) == 0:
        columns = data.draw(st.sampled_from([1, 2, 4]))
    raw = np.array(data.draw(st.lists(st.one_of(st.floats(-800, 800), st.sampled_from(EXTREMES)),
                                      min_size=n * columns, max_size=n * columns)))
    raw = raw.reshape(n, columns) if columns > 1 else raw
    return y, weight, raw


def _check_engine_arrays(grad, hess, expected_shape):
    for array in (grad, hess):
        assert isinstance(array, np.ndarray) and array.dtype == np.float32
        assert array.shape == expected_shape and np.all(np.isfinite(array))
    assert np.all(hess > 0), "a Hessian the engine receives is not > 0"


def _check_engine_objective(case, make_objective, make_data, engine_raw):
    """The property for one objective callable on a real engine dataset. The engine's own
    refusal to build the dataset (its data checks) is not boostloss's surface: skipped."""
    name, params, n, data = case
    try:
        loss = bl.get_loss(name, **params)
        objective = make_objective(loss)
    except Exception as exc:
        _acceptable_error(exc)
        return
    y, weight, raw = _engine_inputs(loss, n, data)
    X = np.arange(n * 2, dtype=np.float64).reshape(n, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            dataset = make_data(X, y, weight)
        except Exception:
            return
        raw = engine_raw(raw)
        try:
            grad, hess = objective(raw, dataset)
        except Exception as exc:
            _acceptable_error(exc)
            return
    _check_engine_arrays(grad, hess, raw.shape)


@settings(GUARD_SETTINGS, max_examples=ADAPTER_EXAMPLES)
@given(case=engine_case())
def test_xgboost_objective_on_a_real_dmatrix(case):
    _check_engine_objective(
        case, bl.xgboost.objective,
        lambda X, y, w: xgb.DMatrix(X, label=y, weight=w),
        lambda raw: raw.astype(np.float32),  # XGBoost hands float32 margins
    )


@settings(GUARD_SETTINGS, max_examples=ADAPTER_EXAMPLES)
@given(case=engine_case())
def test_lightgbm_objective_on_a_real_dataset(case):
    _check_engine_objective(
        case, bl.lightgbm.objective,
        lambda X, y, w: lgb.Dataset(X, label=y, weight=w, params={
            "verbose": -1, "feature_pre_filter": False}).construct(),
        lambda raw: np.asfortranarray(raw) if raw.ndim == 2 else raw,  # class-major view
    )


# ---------------------------------------------------------------------- estimators
ESTIMATOR_LOSSES = ["squared_error", "huber", "poisson", "quantile", "logistic", "focal",
                    "softmax_cross_entropy", "dice"]


@st.composite
def estimator_case(draw):
    name = draw(st.sampled_from(ESTIMATOR_LOSSES))
    loss = bl.get_loss(name)
    n = draw(st.integers(1, 12))
    y = _domain_labels(loss, n, draw)
    kind = draw(st.sampled_from(DTYPES)) if draw(st.integers(0, 3)) == 0 else "float64"
    weight = None
    if draw(st.booleans()):
        weight = np.array(draw(st.lists(st.one_of(st.floats(0, 10), _floats()), min_size=n,
                                        max_size=n)), dtype=np.float64)
    x_values = draw(st.lists(st.one_of(st.floats(-5, 5), st.sampled_from(EXTREMES)),
                             min_size=n * 2, max_size=n * 2))
    X = np.array(x_values, dtype=np.float64).reshape(n, 2)
    return name, loss, X, _as_kind(y, kind), weight


def _check_estimator(backend, case):
    name, loss, X, y, weight = case
    estimator_class = bl.BoostLossClassifier if loss.task in ("binary", "multiclass") else (
        bl.BoostLossRegressor)
    model = estimator_class(loss=name, backend=backend, n_estimators=2, n_jobs=1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y, sample_weight=weight)
            prediction = model.predict(np.nan_to_num(X, nan=0.0, posinf=1.0, neginf=-1.0))
    except Exception as exc:
        _acceptable_error(exc)
        return
    prediction = np.asarray(prediction)
    assert prediction.shape[0] == X.shape[0]
    if prediction.dtype.kind == "f":
        assert np.all(np.isfinite(prediction))


@settings(GUARD_SETTINGS, max_examples=ESTIMATOR_EXAMPLES)
@given(case=estimator_case())
def test_estimator_fit_predict_xgboost(case):
    _check_estimator("xgboost", case)


@settings(GUARD_SETTINGS, max_examples=ESTIMATOR_EXAMPLES)
@given(case=estimator_case())
def test_estimator_fit_predict_lightgbm(case):
    _check_estimator("lightgbm", case)
