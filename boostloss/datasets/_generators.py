"""Seeded synthetic generators (``make_*``) for benchmarks and statistical tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - typing only
    pass
from ._checks import _check_dtype, _check_int, _check_random_state, _check_real

# ---------------------------------------------------------------------------
# Pieces of the generating models
# ---------------------------------------------------------------------------

# Multiplies the unit-variance linear predictor X @ beta inside the logit of the
# classification generators: a strong but not separable signal (ROC AUC about 0.9).
_LOGIT_SCALE = 3.0
# Rows per block when a generator needs an (n_rows, n_classes) temporary.
_CHUNK_ROWS = 1 << 16


def _unit_coefficients(n_features: int) -> np.ndarray:
    """beta_j proportional to (-1)**j / sqrt(j + 1), scaled to unit Euclidean norm.

    With standard normal features, ``X @ beta`` is then standard normal.
    """
    j = np.arange(n_features, dtype=np.float64)
    beta = np.where(j % 2 == 0, 1.0, -1.0) / np.sqrt(j + 1.0)
    return beta / np.linalg.norm(beta)


def _standard_normal_features(
    rng: np.random.Generator, n_samples: int, n_features: int, dtype: np.dtype
) -> np.ndarray:
    # Drawn directly in the target dtype: no float64 copy of a float32 matrix.
    return rng.standard_normal((n_samples, n_features), dtype=dtype)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # exp(-log(1 + exp(-z))) via logaddexp: no overflow for large |z|.
    return np.exp(-np.logaddexp(0.0, -z))


def _intercept_for_rate(rate: float, scale: float) -> float:
    """Intercept b with E[sigmoid(scale * Z + b)] = rate for Z ~ N(0, 1).

    The expectation is a 101-node Gauss-Hermite quadrature (exact to ~1e-12 here); the
    root is found by bisection, the expectation being increasing in b.
    """
    nodes, weights = np.polynomial.hermite_e.hermegauss(101)
    weights = weights / weights.sum()
    low, high = -60.0, 60.0
    for _ in range(200):
        mid = 0.5 * (low + high)
        if weights @ _sigmoid(scale * nodes + mid) < rate:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


# ---------------------------------------------------------------------------
# Generators
# ---------------------------------------------------------------------------


def make_regression_outliers(
    n_samples: int,
    n_features: int = 20,
    outlier_fraction: float = 0.05,
    noise: str = "student_t",
    *,
    random_state: Any = None,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """Linear regression with heavy-tailed noise and gross outliers.

    Model::

        X[i, j] ~ N(0, 1)                          i.i.d.
        beta_j  = c * (-1)**j / sqrt(j + 1)          c such that ||beta|| = 1
        y[i]    = X[i] @ beta + 0.5 * e[i] + o[i]
        e[i]    ~ Student t (3 degrees of freedom)   if noise == "student_t"
                  N(0, 1)                            if noise == "gaussian"
        o[i]    = s[i] * u[i] on round(outlier_fraction * n_samples) rows drawn
                  without replacement, 0 elsewhere; s = +-1 with equal
                  probability, u ~ Uniform(5, 10)

    ``X @ beta`` has unit variance, so every outlier lies 5 to 10 signal standard
    deviations (10 to 20 noise scales) off the regression plane; the outliers are
    symmetric, so least squares stays unbiased but inefficient, and the conditional
    median is ``X @ beta``.

    Parameters
    ----------
    n_samples : int
        Number of rows, ``>= 1``.
    n_features : int, default 20
        Number of features, ``>= 1``.
    outlier_fraction : float, default 0.05
        Fraction of rows shifted by an outlier, in ``[0, 0.5)``.
    noise : {"student_t", "gaussian"}, default "student_t"
        Distribution of the regular noise.
    random_state : None, int >= 0 or numpy Generator
        Seed; the same seed gives the same data.
    dtype : float32 or float64, default float64
        dtype of ``X`` and ``y``. ``float32`` draws different numbers than ``float64``
        for the same seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    """
    n_samples = _check_int("n_samples", n_samples, 1)
    n_features = _check_int("n_features", n_features, 1)
    outlier_fraction = _check_real(
        "outlier_fraction", outlier_fraction, 0.0, 0.5, low_open=False, high_open=True
    )
    if noise not in ("student_t", "gaussian"):
        raise ValueError(f"noise must be 'student_t' or 'gaussian', got {noise!r}.")
    dtype = _check_dtype(dtype)
    rng = _check_random_state(random_state)

    X = _standard_normal_features(rng, n_samples, n_features, dtype)
    y = X @ _unit_coefficients(n_features).astype(dtype)
    if noise == "student_t":
        y += (0.5 * rng.standard_t(3.0, size=n_samples)).astype(dtype)
    else:
        y += 0.5 * rng.standard_normal(n_samples, dtype=dtype)
    n_outliers = int(round(outlier_fraction * n_samples))
    if n_outliers:
        rows = rng.choice(n_samples, size=n_outliers, replace=False)
        signs = np.where(rng.random(n_outliers) < 0.5, -1.0, 1.0)
        y[rows] += (signs * rng.uniform(5.0, 10.0, size=n_outliers)).astype(dtype)
    return X, y


def make_heteroscedastic(
    n_samples: int,
    n_features: int = 10,
    *,
    random_state: Any = None,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """Linear regression whose noise scale grows with the first feature.

    Model::

        X[i, j]  ~ N(0, 1)                         i.i.d.
        beta_j   = c * (-1)**j / sqrt(j + 1)         c such that ||beta|| = 1
        sigma(x) = 0.25 + 0.75 * |x_0|
        y[i]     = X[i] @ beta + sigma(X[i]) * e[i],   e[i] ~ N(0, 1)

    The true conditional quantile at level ``q`` is therefore
    ``X @ beta + sigma(X) * Phi^{-1}(q)`` (``Phi`` the standard normal CDF), so interval
    forecasts can be scored against the truth: the central 90% interval is
    ``X @ beta +- 1.6449 * sigma(X)``.

    Parameters
    ----------
    n_samples : int
        Number of rows, ``>= 1``.
    n_features : int, default 10
        Number of features, ``>= 1``; the noise scale depends on column 0.
    random_state : None, int >= 0 or numpy Generator
        Seed; the same seed gives the same data.
    dtype : float32 or float64, default float64
        dtype of ``X`` and ``y``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    """
    n_samples = _check_int("n_samples", n_samples, 1)
    n_features = _check_int("n_features", n_features, 1)
    dtype = _check_dtype(dtype)
    rng = _check_random_state(random_state)

    X = _standard_normal_features(rng, n_samples, n_features, dtype)
    y = X @ _unit_coefficients(n_features).astype(dtype)
    scale = dtype.type(0.25) + dtype.type(0.75) * np.abs(X[:, 0])
    y += scale * rng.standard_normal(n_samples, dtype=dtype)
    return X, y


def make_imbalanced_classification(
    n_samples: int,
    n_features: int = 20,
    positive_rate: float = 0.05,
    *,
    random_state: Any = None,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """Binary labels from a logistic model with a rare positive class.

    Model::

        X[i, j] ~ N(0, 1)                          i.i.d.
        beta_j  = c * (-1)**j / sqrt(j + 1)          c such that ||beta|| = 1
        p[i]    = sigmoid(3 * X[i] @ beta + b)
        y[i]    ~ Bernoulli(p[i])

    The intercept ``b`` is solved numerically so that ``E[p] = positive_rate`` exactly
    (``X @ beta`` is standard normal); the realised positive rate is binomial around
    it. ``p`` is the true probability, so calibration can be checked against it.

    Parameters
    ----------
    n_samples : int
        Number of rows, ``>= 1``.
    n_features : int, default 20
        Number of features, ``>= 1``.
    positive_rate : float, default 0.05
        Expected fraction of positive labels, in ``(0, 1)``.
    random_state : None, int >= 0 or numpy Generator
        Seed; the same seed gives the same data.
    dtype : float32 or float64, default float64
        dtype of ``X`` and ``y``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Labels 0.0 and 1.0.
    """
    n_samples = _check_int("n_samples", n_samples, 1)
    n_features = _check_int("n_features", n_features, 1)
    positive_rate = _check_real(
        "positive_rate", positive_rate, 0.0, 1.0, low_open=True, high_open=True
    )
    dtype = _check_dtype(dtype)
    rng = _check_random_state(random_state)

    X = _standard_normal_features(rng, n_samples, n_features, dtype)
    intercept = _intercept_for_rate(positive_rate, _LOGIT_SCALE)
    logit = _LOGIT_SCALE * (X @ _unit_coefficients(n_features)) + intercept
    y = (rng.random(n_samples) < _sigmoid(logit)).astype(dtype)
    return X, y


def make_multiclass(
    n_samples: int,
    n_features: int = 20,
    n_classes: int = 5,
    *,
    random_state: Any = None,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """Class labels from a multinomial logistic (softmax) model.

    Model::

        W[j, k] ~ N(0, 4 / n_features)             drawn first from the seed
        X[i, j] ~ N(0, 1)                          i.i.d.
        p[i]    = softmax(X[i] @ W)
        y[i]    ~ Categorical(p[i])                values 0, ..., n_classes - 1

    Each logit has variance about 4, so classes are well but not perfectly separable.
    Probabilities and draws are computed in blocks of rows, so memory beyond ``X`` is
    ``O(n_samples)``.

    Parameters
    ----------
    n_samples : int
        Number of rows, ``>= 1``.
    n_features : int, default 20
        Number of features, ``>= 1``.
    n_classes : int, default 5
        Number of classes, ``>= 2``.
    random_state : None, int >= 0 or numpy Generator
        Seed; the same seed gives the same data.
    dtype : float32 or float64, default float64
        dtype of ``X`` and ``y``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Class indices stored as floats.
    """
    n_samples = _check_int("n_samples", n_samples, 1)
    n_features = _check_int("n_features", n_features, 1)
    n_classes = _check_int("n_classes", n_classes, 2)
    dtype = _check_dtype(dtype)
    rng = _check_random_state(random_state)

    W = rng.normal(0.0, 2.0 / np.sqrt(n_features), size=(n_features, n_classes))
    X = _standard_normal_features(rng, n_samples, n_features, dtype)
    uniform = rng.random(n_samples)
    y = np.empty(n_samples, dtype=dtype)
    for start in range(0, n_samples, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, n_samples)
        logits = X[start:stop] @ W
        # Max-shifted softmax: exp never overflows.
        logits -= logits.max(axis=1, keepdims=True)
        prob = np.exp(logits)
        cdf = np.cumsum(prob, axis=1)
        cdf /= cdf[:, -1:]
        # Inverse-CDF draw; the clip guards against u exceeding a rounded cdf[-1].
        y[start:stop] = np.minimum((uniform[start:stop, None] > cdf).sum(axis=1), n_classes - 1)
    return X, y


def make_counts(
    n_samples: int,
    n_features: int = 10,
    *,
    mean_count: float = 2.0,
    random_state: Any = None,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson counts with a log-linear mean.

    Model::

        X[i, j] ~ N(0, 1)                          i.i.d.
        beta_j  = c * (-1)**j / sqrt(j + 1)          c such that ||beta|| = 1
        mu[i]   = exp(b + 0.5 * X[i] @ beta),      b = log(mean_count) - 0.125
        y[i]    ~ Poisson(mu[i])

    ``0.5 * X @ beta`` is N(0, 0.25), so ``E[mu] = exp(b + 0.125) = mean_count``; the
    marginal counts are over-dispersed (variance above the mean) while each count given
    ``X`` is exactly Poisson, the setting of Poisson deviance and log-link losses.

    Parameters
    ----------
    n_samples : int
        Number of rows, ``>= 1``.
    n_features : int, default 10
        Number of features, ``>= 1``.
    mean_count : float, default 2.0
        Expected count ``E[y]``, in ``(0, 1e6]``.
    random_state : None, int >= 0 or numpy Generator
        Seed; the same seed gives the same data.
    dtype : float32 or float64, default float64
        dtype of ``X`` and ``y``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Non-negative integers stored as floats.
    """
    n_samples = _check_int("n_samples", n_samples, 1)
    n_features = _check_int("n_features", n_features, 1)
    mean_count = _check_real("mean_count", mean_count, 0.0, 1e6, low_open=True, high_open=False)
    dtype = _check_dtype(dtype)
    rng = _check_random_state(random_state)

    X = _standard_normal_features(rng, n_samples, n_features, dtype)
    log_mu = np.log(mean_count) - 0.125 + 0.5 * (X @ _unit_coefficients(n_features))
    y = rng.poisson(np.exp(log_mu)).astype(dtype)
    return X, y


def make_multilabel(
    n_samples: int,
    n_features: int = 20,
    n_labels: int = 5,
    positive_rate: float = 0.2,
    *,
    random_state: Any = None,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """Several binary labels per row, each from its own logistic model.

    Model::

        w_k     = g_k / ||g_k||,   g_k ~ N(0, I)    drawn first from the seed
        X[i, j] ~ N(0, 1)                          i.i.d.
        p[i, k] = sigmoid(3 * X[i] @ w_k + b)
        y[i, k] ~ Bernoulli(p[i, k])                independent given X

    ``b`` is solved so that every label has ``E[p] = positive_rate``. Labels are
    correlated only through the shared features (through ``w_k @ w_l``).

    Parameters
    ----------
    n_samples : int
        Number of rows, ``>= 1``.
    n_features : int, default 20
        Number of features, ``>= 1``.
    n_labels : int, default 5
        Number of labels (columns of ``y``), ``>= 1``.
    positive_rate : float, default 0.2
        Expected fraction of positives of each label, in ``(0, 1)``.
    random_state : None, int >= 0 or numpy Generator
        Seed; the same seed gives the same data.
    dtype : float32 or float64, default float64
        dtype of ``X`` and ``y``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_labels)
        Labels 0.0 and 1.0.
    """
    n_samples = _check_int("n_samples", n_samples, 1)
    n_features = _check_int("n_features", n_features, 1)
    n_labels = _check_int("n_labels", n_labels, 1)
    positive_rate = _check_real(
        "positive_rate", positive_rate, 0.0, 1.0, low_open=True, high_open=True
    )
    dtype = _check_dtype(dtype)
    rng = _check_random_state(random_state)

    W = rng.standard_normal((n_features, n_labels))
    W /= np.linalg.norm(W, axis=0, keepdims=True)
    X = _standard_normal_features(rng, n_samples, n_features, dtype)
    intercept = _intercept_for_rate(positive_rate, _LOGIT_SCALE)
    y = np.empty((n_samples, n_labels), dtype=dtype)
    for start in range(0, n_samples, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, n_samples)
        prob = _sigmoid(_LOGIT_SCALE * (X[start:stop] @ W) + intercept)
        y[start:stop] = rng.random(prob.shape) < prob
    return X, y
