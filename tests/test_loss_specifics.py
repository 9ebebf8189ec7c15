"""Per-loss facts: PyTorch reference values, surrogate formulas, identities between losses,
label encodings, and the behaviour of init scores where no finite minimiser exists."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

import boostloss as bl

from .test_losses import four_point

DATA = Path(__file__).parent / "data"
TORCH_VECTORS = json.loads((DATA / "torch_vectors.json").read_text())
# probability targets, kl_divergence, multiclass_hinge, per-label pos_weight
TORCH_VECTORS_MORE = json.loads((DATA / "torch_vectors_more.json").read_text())
TORCH_CASES = TORCH_VECTORS["cases"] + TORCH_VECTORS_MORE["cases"]


@pytest.mark.parametrize(
    "case",
    TORCH_CASES,
    ids=[f"{c['loss']}-{i}" for i, c in enumerate(TORCH_CASES)],
)
def test_matches_pytorch_reference_vectors(case):
    """Values and gradients from PyTorch 2.13 (float64), logits up to +-50 included."""
    loss = bl.get_loss(case["loss"], **case["params"])
    y, raw = np.array(case["y_true"]), np.array(case["raw"])
    assert_allclose(loss(y, raw), case["value"], rtol=1e-10, atol=1e-12)
    grad, hess = loss.grad_hess(y, raw)
    assert_allclose(grad, case["grad"], rtol=1e-10, atol=1e-12)
    if "hess_exact" in case:
        exact = np.array(case["hess_exact"])
        positive = exact > 0
        # Where the true second derivative is positive we return it; elsewhere a floor.
        assert_allclose(hess[positive], exact[positive], rtol=1e-10, atol=1e-14)
        assert np.all(hess > 0)


# ----------------------------------------------------------------------------- surrogates
@pytest.mark.parametrize("gamma,alpha", [(2.0, 0.25), (0.5, None), (3.0, 0.7), (1.0, 0.5)])
def test_focal_exact_hessian_and_surrogate(gamma, alpha):
    loss = bl.get_loss("focal", gamma=gamma, alpha=alpha)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300).astype(float)
    raw = rng.uniform(-8, 8, 300)
    exact = loss.exact_hessian(y, raw)
    assert_allclose(exact, _fd_second(loss, y, raw), rtol=1e-5, atol=1e-8)
    _, hess = loss.grad_hess(y, raw)
    # (to 1e-12 relative, the float64 agreement of the compiled kernel with the reference
    # (tests/test_compiled.py): they round the cancelling terms differently)
    assert np.all(hess > 0) and np.all(hess >= exact - 1e-12 * np.abs(exact))
    z = (2 * y - 1) * raw
    q = 1 / (1 + np.exp(-z))
    exact_region = q >= 1 / (1 + gamma)
    assert_allclose(hess[exact_region], exact[exact_region], rtol=1e-12)
    assert np.any(exact < 0), "the test data should reach the region where the surrogate matters"


def _fd_second(loss, y, raw):
    """Second derivative from differences of the loss values (moderate inputs only)."""
    step = 1e-3
    f = lambda r: loss(y, r)  # noqa: E731
    return (-f(raw + 2 * step) + 16 * f(raw + step) - 30 * f(raw) + 16 * f(raw - step) - f(raw - 2 * step)) / (
        12 * step * step
    )


@pytest.mark.parametrize("gamma", [0.5, 2.0, 3.0])
def test_softmax_focal_exact_diagonal_and_surrogate(gamma):
    loss = bl.get_loss("softmax_focal", gamma=gamma, class_weight=[1.0, 0.5, 2.0])
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 200)
    raw = rng.normal(0, 3, (200, 3))
    exact = loss.exact_hessian_diagonal(y, raw)
    numeric = np.empty_like(raw)
    for j in range(3):
        basis = np.zeros_like(raw)
        basis[:, j] = 1
        numeric[:, j] = four_point(lambda t, b=basis, j=j: loss.grad_hess(y, raw + t * b)[0][:, j], 0.0, 1e-4)
    # The surrogate equals the exact diagonal wherever the exact one is >= the positive part.
    _, hess = loss.grad_hess(y, raw)
    # (to 1e-12 relative, the float64 agreement of the compiled kernel with the reference
    # (tests/test_compiled.py): they round the cancelling terms differently)
    assert np.all(hess > 0) and np.all(hess >= exact - 1e-12 * np.abs(exact))
    # The exact diagonal itself matches differences of the (analytic) gradient.
    fd_exact = np.empty_like(raw)
    for j in range(3):
        basis = np.zeros_like(raw)
        basis[:, j] = 1
        value = lambda t, b=basis: loss(y, raw + t * b)  # noqa: E731
        fd_exact[:, j] = (-value(2e-3) + 16 * value(1e-3) - 30 * value(0.0) + 16 * value(-1e-3) - value(-2e-3)) / (12e-6)
    assert_allclose(exact, fd_exact, rtol=1e-4, atol=1e-7)
    assert np.any(exact < 0)
    agree = np.isclose(hess, exact, rtol=1e-12, atol=0.0)
    assert agree.mean() > 0.3
    assert_allclose(hess[agree], numeric[agree], rtol=1e-5, atol=1e-9)


def test_dice_and_tversky_hessian_is_gradient_magnitude():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 50).astype(float)
    raw = rng.normal(0, 2, 50)
    for loss in (bl.get_loss("dice"), bl.get_loss("tversky", alpha=0.7, beta=0.3)):
        grad, hess = loss.grad_hess(y, raw)
        assert_allclose(hess, np.abs(grad))


@pytest.mark.parametrize(
    "name,params,inside",
    [
        ("huber", {"delta": 2.0, "hessian": "exact"}, lambda e: np.abs(e) <= 2.0),
        ("smooth_l1", {"beta": 2.0}, lambda e: np.abs(e) < 2.0),
        ("pseudo_huber", {"delta": 1.0, "hessian": "exact"}, lambda e: (1 + e**2) ** -1.5 >= 0.1),
        ("log_cosh", {"hessian": "exact"}, lambda e: 1 / np.cosh(e) ** 2 >= 0.1),
        ("fair", {"c": 1.0, "hessian": "exact"}, lambda e: 1 / (1 + np.abs(e)) ** 2 >= 0.1),
    ],
)
def test_robust_losses_floor_only_the_tails(name, params, inside):
    loss = bl.get_loss(name, **params)
    e = np.linspace(-50, 50, 2001)
    raw = -e  # y = 0
    y = np.zeros_like(e)
    _, hess = loss.grad_hess(y, raw)
    floor = getattr(loss, "effective_hessian_floor", loss.hessian_floor)
    assert_allclose(hess[~inside(e)], floor)
    assert np.all(hess[inside(e)] >= floor - 1e-12)


def test_hessian_floor_zero_gives_exact_pseudo_huber_and_log_cosh():
    e = np.linspace(-30, 30, 601)
    y = np.zeros_like(e)
    _, hess = bl.get_loss("pseudo_huber", delta=2.0, hessian="exact",
                          hessian_floor=0).grad_hess(y, -e)
    assert_allclose(hess, (1 + (e / 2) ** 2) ** -1.5, rtol=1e-12)
    _, hess = bl.get_loss("log_cosh", hessian="exact", hessian_floor=0).grad_hess(y, -e)
    assert_allclose(hess, 1 / np.cosh(e) ** 2, rtol=1e-10)


@pytest.mark.parametrize(
    "name,params,irls",
    [
        ("huber", {"delta": 2.0}, lambda e: np.minimum(1.0, 2.0 / np.abs(e))),
        ("pseudo_huber", {"delta": 2.0}, lambda e: 1 / np.sqrt(1 + (e / 2) ** 2)),
        ("log_cosh", {}, lambda e: np.tanh(np.abs(e)) / np.abs(e)),
        ("fair", {"c": 2.0}, lambda e: 2.0 / (np.abs(e) + 2.0)),
    ],
)
def test_irls_hessian_is_psi_over_e_above_the_exact_one_and_the_default(name, params, irls):
    """hessian="irls" (the default, issue 16): psi(e)/e, 1 at e = 0, never below the exact
    second derivative (the quadratic it defines majorizes the loss), and a leaf of outliers
    still moves by at most the weighted mean of its residuals."""
    loss = bl.get_loss(name, **params)
    assert loss.hessian == "irls" and loss.hessian_floor == 0.0
    e = np.concatenate([np.linspace(-1e6, -1e-3, 999), [0.0], np.linspace(1e-3, 1e6, 999)])
    y = np.zeros_like(e)
    grad, hess = loss.grad_hess(y, -e)
    nonzero = e != 0
    assert_allclose(hess[nonzero], irls(e[nonzero]), rtol=1e-10)
    assert hess[~nonzero] == pytest.approx(1.0)
    exact = bl.get_loss(name, **params, hessian="exact", hessian_floor=0.0 if name != "huber" else 1e-300)
    assert np.all(hess >= exact.grad_hess(y, -e)[1] * (1 - 1e-12))
    # The Newton step of a leaf holding every row is the IRLS weighted mean of the residuals.
    assert -grad.sum() / hess.sum() == pytest.approx(np.sum(hess * e) / hess.sum(), rel=1e-9, abs=1e-9)


def test_hessian_must_be_irls_or_exact():
    with pytest.raises(ValueError, match="hessian must be 'irls'.*got 'newton'"):
        bl.get_loss("huber", hessian="newton")


# ----------------------------------------------------------------------------- identities
def _regression_data(n=200, seed=3):
    rng = np.random.default_rng(seed)
    y = rng.normal(0, 3, n)
    return y, y + rng.normal(0, 2, n)


def test_expectile_half_is_squared_error():
    y, raw = _regression_data()
    assert_allclose(bl.get_loss("expectile", alpha=0.5)(y, raw), bl.get_loss("mse")(y, raw))
    g1, h1 = bl.get_loss("expectile", alpha=0.5).grad_hess(y, raw)
    g2, h2 = bl.get_loss("squared_error").grad_hess(y, raw)
    assert_allclose(g1, g2)
    assert_allclose(h1, h2)


def test_twice_median_pinball_is_absolute_error():
    y, raw = _regression_data()
    assert_allclose(2 * bl.get_loss("quantile", alpha=0.5)(y, raw), bl.get_loss("mae")(y, raw))


def test_multi_quantile_is_sum_of_single_levels():
    y, raw = _regression_data()
    levels = [0.1, 0.5, 0.9]
    raw_q = raw[:, None] + np.array([-1.0, 0.0, 1.0])
    multi = bl.get_loss("quantile", alpha=levels)
    assert_allclose(multi(y, raw_q), sum(bl.get_loss("quantile", alpha=a)(y, raw_q[:, j]) for j, a in enumerate(levels)))
    grad, _ = multi.grad_hess(y, raw_q)
    for j, a in enumerate(levels):
        assert_allclose(grad[:, j], bl.get_loss("quantile", alpha=a).grad_hess(y, raw_q[:, j])[0])
    assert_allclose(multi.init_score(y), [bl.get_loss("quantile", alpha=a).init_score(y) for a in levels])
    assert multi.init_score(y)[1] == pytest.approx(np.median(y))


def test_smooth_l1_is_huber_over_beta():
    y, raw = _regression_data()
    beta = 0.7
    assert_allclose(bl.get_loss("smooth_l1", beta=beta)(y, raw), bl.get_loss("huber", delta=beta)(y, raw) / beta)


def test_tversky_half_half_is_dice_with_double_smooth():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 100).astype(float)
    raw = rng.normal(0, 2, 100)
    w = rng.uniform(0.5, 2, 100)
    tversky = bl.get_loss("tversky", alpha=0.5, beta=0.5, smooth=0.5)
    dice = bl.get_loss("dice", smooth=1.0)
    assert tversky.metric(y, raw, w) == pytest.approx(dice.metric(y, raw, w), rel=1e-12)
    assert_allclose(tversky.grad_hess(y, raw, w)[0], dice.grad_hess(y, raw, w)[0], rtol=1e-10)


def test_dice_matches_its_formula_and_gradient_scale():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 30).astype(float)
    raw = rng.normal(0, 1, 30)
    w = rng.uniform(0.5, 2, 30)
    p = 1 / (1 + np.exp(-raw))
    expected = 1 - (2 * np.sum(w * p * y) + 1) / (np.sum(w * p) + np.sum(w * y) + 1)
    dice = bl.get_loss("dice")
    assert dice.metric(y, raw, w) == pytest.approx(expected, rel=1e-12)
    # grad_hess is the gradient of sum(loss(...)) = n * batch value.
    step = 1e-6
    i = 7
    bumped = raw.copy()
    bumped[i] += step
    lowered = raw.copy()
    lowered[i] -= step
    numeric = 30 * (dice.metric(y, bumped, w) - dice.metric(y, lowered, w)) / (2 * step)
    assert dice.grad_hess(y, raw, w)[0][i] == pytest.approx(numeric, rel=1e-6)


def test_focal_without_modulation_is_weighted_logistic():
    rng = np.random.default_rng(6)
    y = rng.integers(0, 2, 100).astype(float)
    raw = rng.normal(0, 3, 100)
    focal = bl.get_loss("focal", gamma=0.0, alpha=None)
    assert_allclose(focal(y, raw), bl.get_loss("logistic")(y, raw), rtol=1e-12)
    assert_allclose(focal.grad_hess(y, raw)[1], bl.get_loss("logistic").grad_hess(y, raw)[1], rtol=1e-12)


def test_softmax_focal_without_modulation_is_cross_entropy():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 3, 100)
    raw = rng.normal(0, 3, (100, 3))
    cw = [1.0, 2.0, 0.5]
    focal = bl.get_loss("softmax_focal", gamma=0.0, class_weight=cw)
    ce = bl.get_loss("cross_entropy", class_weight=cw)
    assert_allclose(focal(y, raw), ce(y, raw), rtol=1e-12)
    for a, b in zip(focal.grad_hess(y, raw), ce.grad_hess(y, raw), strict=True):
        assert_allclose(a, b, rtol=1e-10, atol=1e-15)


def test_multilabel_logistic_is_sum_of_column_logistics():
    rng = np.random.default_rng(8)
    y = rng.integers(0, 2, (50, 3)).astype(float)
    raw = rng.normal(0, 2, (50, 3))
    total = sum(bl.get_loss("logistic")(y[:, j], raw[:, j]) for j in range(3))
    assert_allclose(bl.get_loss("multilabel_logistic")(y, raw), total)


def test_softmax_hessian_conventions():
    rng = np.random.default_rng(9)
    y = rng.integers(0, 4, 50)
    raw = rng.normal(0, 2, (50, 4))
    exact = bl.get_loss("softmax_cross_entropy").grad_hess(y, raw)[1]
    assert_allclose(bl.get_loss("softmax_cross_entropy", hessian="xgboost").grad_hess(y, raw)[1], 2 * exact)
    assert_allclose(bl.get_loss("softmax_cross_entropy", hessian="lightgbm").grad_hess(y, raw)[1], 4 / 3 * exact)


# ----------------------------------------------------------------------------- labels
@pytest.mark.parametrize(
    "name,params",
    [("logistic", {}), ("logistic", {"pos_weight": 2.0, "label_smoothing": 0.1}), ("focal", {}), ("squared_hinge", {}), ("smooth_hinge", {}), ("dice", {}), ("tversky", {}), ("multilabel_logistic", {})],
)
def test_plus_minus_one_labels_equal_zero_one(name, params):
    loss = bl.get_loss(name, **params)
    rng = np.random.default_rng(10)
    shape = (40, 2) if name == "multilabel_logistic" else (40,)
    y01 = rng.integers(0, 2, shape).astype(float)
    y01.flat[0], y01.flat[1] = 0.0, 1.0
    y01[-1] = 1 - y01[0]
    ypm = 2 * y01 - 1
    raw = rng.normal(0, 2, shape)
    assert_allclose(loss(ypm, raw), loss(y01, raw))
    for a, b in zip(loss.grad_hess(ypm, raw), loss.grad_hess(y01, raw), strict=True):
        assert_allclose(a, b)
    assert_allclose(loss.init_score(ypm), loss.init_score(y01))


@pytest.mark.parametrize("labels", [[0, 1, 0.5], [-1, 0, 1], [0, 2, 1], [1, 1, -0.5]])
def test_binary_losses_reject_fractional_or_mixed_labels(labels):
    for name in ("logistic", "focal", "squared_hinge", "dice"):
        with pytest.raises(ValueError, match=r"\{0, 1\}"):
            bl.get_loss(name).grad_hess(np.array(labels, float), np.zeros(3))


def test_multiclass_label_checks():
    loss = bl.get_loss("softmax_cross_entropy")
    raw = np.zeros((3, 3))
    with pytest.raises(ValueError, match="out of range for raw with 3 columns"):
        loss.grad_hess([0, 1, 3], raw)
    with pytest.raises(ValueError, match="integers"):
        loss.grad_hess([0, 1.5, 2], raw)
    with pytest.raises(ValueError, match="negative"):
        loss.grad_hess([0, -1, 2], raw)
    with pytest.raises(ValueError, match="3 classes"):
        bl.get_loss("cross_entropy", n_classes=3).grad_hess([0, 1, 3], np.zeros((3, 4)))
    with pytest.raises(ValueError, match="4 columns"):
        bl.get_loss("cross_entropy", class_weight=[1, 1, 1, 1]).grad_hess([0, 1, 2], raw)
    with pytest.raises(ValueError, match="zero .weighted. count"):
        loss.init_score([0, 1, 1, 3])


@pytest.mark.parametrize(
    "name,labels,match",
    [
        ("poisson", [1.0, -1.0, 2.0], ">= 0"),
        ("tweedie", [1.0, -0.1, 2.0], ">= 0"),
        ("gamma", [1.0, 0.0, 2.0], "> 0"),
    ],
)
def test_log_link_label_domains(name, labels, match):
    with pytest.raises(ValueError, match=match):
        bl.get_loss(name).grad_hess(labels, np.zeros(3))


@pytest.mark.parametrize("name", ["logistic", "focal", "dice", "tversky", "poisson", "tweedie", "multilabel_logistic"])
def test_no_finite_init_score_raises(name):
    loss = bl.get_loss(name)
    y = np.zeros((5, 2)) if name == "multilabel_logistic" else np.zeros(5)
    with pytest.raises(ValueError, match="infinite|no finite"):
        loss.init_score(y)


def test_init_score_closed_forms():
    rng = np.random.default_rng(11)
    w = rng.uniform(0.5, 2, 400)
    counts = rng.poisson(3.0, 400).astype(float)
    for name in ("poisson", "tweedie"):
        assert bl.get_loss(name).init_score(counts, w) == pytest.approx(np.log(np.average(counts, weights=w)))
    y = rng.integers(0, 2, 400).astype(float)
    assert bl.get_loss("logistic").init_score(y, w) == pytest.approx(np.log(np.average(y, weights=w) / (1 - np.average(y, weights=w))))
    classes = rng.integers(0, 3, 400)
    freq = np.bincount(classes, weights=w) / w.sum()
    assert_allclose(bl.get_loss("softmax_cross_entropy").init_score(classes, w), np.log(freq) - np.log(freq).mean())
    assert bl.get_loss("mae").init_score(np.array([1.0, 2.0, 3.0, 10.0])) == pytest.approx(2.5)


# ----------------------------------------------------------------------------- parameters
@pytest.mark.parametrize(
    "name,params,match",
    [
        ("huber", {"delta": 0.0}, "delta"),
        ("huber", {"delta": -1.0}, "delta"),
        ("huber", {"hessian": "exact", "hessian_floor": 0.0}, "hessian_floor"),
        ("smooth_l1", {"beta": 0.0}, "beta"),
        ("pseudo_huber", {"delta": float("nan")}, "delta"),
        ("pseudo_huber", {"hessian_floor": -0.1}, "hessian_floor"),
        ("log_cosh", {"hessian_floor": -1.0}, "hessian_floor"),
        ("fair", {"c": 0.0}, "c"),
        ("expectile", {"alpha": 1.0}, "alpha"),
        ("expectile", {"alpha": 0.0}, "alpha"),
        ("quantile", {"alpha": 1.2}, "alpha"),
        ("quantile", {"alpha": [0.1, 0.1]}, "repeat"),
        ("quantile", {"alpha": []}, "at least one"),
        ("quantile", {"alpha": [0.5, 0.0]}, r"alpha\[1\]"),
        ("tweedie", {"power": 2.0}, "power"),
        ("tweedie", {"power": 1.0}, "power"),
        ("poisson", {"max_delta_step": -1.0}, "max_delta_step"),
        ("logistic", {"pos_weight": 0.0}, "pos_weight"),
        ("logistic", {"label_smoothing": 1.0}, "label_smoothing"),
        ("logistic", {"label_smoothing": -0.1}, "label_smoothing"),
        ("focal", {"gamma": -1.0}, "gamma"),
        ("focal", {"alpha": 1.5}, "alpha"),
        ("squared_hinge", {"hessian_floor": 0.0}, "hessian_floor"),
        ("softmax_cross_entropy", {"class_weight": [1.0, -1.0]}, "class_weight"),
        ("softmax_cross_entropy", {"class_weight": [0.0, 0.0]}, "class_weight"),
        ("softmax_cross_entropy", {"hessian": "newton"}, "hessian"),
        ("softmax_cross_entropy", {"n_classes": 1}, "n_classes"),
        ("softmax_cross_entropy", {"n_classes": 3, "class_weight": [1, 1]}, "n_classes"),
        ("softmax_focal", {"gamma": -0.5}, "gamma"),
        ("dice", {"smooth": 0.0}, "smooth"),
        ("tversky", {"alpha": -0.1}, "alpha"),
        ("tversky", {"beta": -0.1}, "beta"),
    ],
)
def test_invalid_parameters_raise_value_error_naming_them(name, params, match):
    with pytest.raises(ValueError, match=match):
        bl.get_loss(name, **params)


@pytest.mark.parametrize("value", ["1.0", True, None, [1.0]])
def test_non_numeric_parameters_raise_type_error(value):
    with pytest.raises(TypeError, match="delta"):
        bl.get_loss("huber", delta=value)


def test_registry_names_aliases_and_errors():
    names = bl.available_losses()
    assert names == sorted(names) and "huber" in names
    assert bl.get_loss("MSE").name == "squared_error"
    assert bl.get_loss("l1").name == "absolute_error"
    assert bl.get_loss("pinball", alpha=0.3).name == "quantile"
    assert bl.get_loss("bce").name == "logistic" and bl.get_loss("log_loss").name == "logistic"
    assert bl.get_loss("cross-entropy").name == "softmax_cross_entropy"
    assert bl.get_loss("multiclass").name == "softmax_cross_entropy"
    with pytest.raises(ValueError, match="unknown loss 'hubber'.*huber"):
        bl.get_loss("hubber")
    with pytest.raises(ValueError, match="unknown parameters \\['gamma'\\].*delta"):
        bl.get_loss("huber", gamma=1.0)
    loss = bl.get_loss("huber")
    assert bl.get_loss(loss) is loss
    with pytest.raises(TypeError, match="not both"):
        bl.get_loss(loss, delta=2.0)
    with pytest.raises(TypeError):
        bl.get_loss(3)


def test_import_boostloss_does_not_import_engines():
    import subprocess
    import sys

    code = "import sys, boostloss; assert not {'xgboost','lightgbm','sklearn','dask'} & set(sys.modules), sorted(m for m in sys.modules if m in {'xgboost','lightgbm','sklearn','dask'})"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_engine_modules_load_lazily_as_attributes():
    import boostloss as bl

    for name in ("xgboost", "lightgbm", "dask", "datasets", "intervals", "sklearn"):
        assert getattr(bl, name).__name__ == f"boostloss.{name}"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        bl.nope  # noqa: B018
