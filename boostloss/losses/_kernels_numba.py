"""numba kernels for ``boostloss.losses._compiled`` (imported only when numba is installed).

One ``prange`` loop per loss, computing in float64 whatever dtype comes in and writing into
caller-provided output arrays. Each follows the formula and Hessian surrogate documented on
its loss class in ``boostloss/losses``; ``tests/test_compiled.py`` holds them to that.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = ["KERNELS"]

MIN_HESSIAN = float(np.finfo(np.float64).tiny)


jit = njit(parallel=True, cache=True, nogil=True)


@njit(inline="always")
def finish(i, g, h, w, grad, hess):
    if h < MIN_HESSIAN:
        h = MIN_HESSIAN
    if w.shape[0]:
        g *= w[i]
        h *= w[i]
    grad[i] = g
    hess[i] = h


@njit(inline="always")
def finish2(i, j, g, h, w, grad, hess):
    if h < MIN_HESSIAN:
        h = MIN_HESSIAN
    if w.shape[0]:
        g *= w[i]
        h *= w[i]
    grad[i, j] = g
    hess[i, j] = h


@njit(inline="always")
def log1p_fast(x):
    """log(1 + x) for x >= 0 to about 1 ulp, about 1.7x faster than glibc's log1p.

    u = fl(1 + x) = (1 + x)(1 + d); log u - ((u - 1) - x) / u removes the rounding d to
    first order (Goldberg's correction); at u == 1 it returns x exactly.
    """
    u = 1.0 + x
    return math.log(u) - ((u - 1.0) - x) / u


@njit(inline="always")
def log1pexp(x):  # softplus(x) = log(1 + exp(x)) without overflow
    if x > 0:
        return x + log1p_fast(math.exp(-x))
    return log1p_fast(math.exp(x))


@njit(inline="always")
def sigmoid_pair(r):  # (sigmoid(r), sigmoid(-r)) from one exp, no cancellation
    e = math.exp(-abs(r))
    inv = 1.0 / (1.0 + e)
    if r >= 0:
        return inv, e * inv
    return e * inv, inv


# ------------------------------------------------------------- regression (identity)
@jit
def squared_error(y, raw, w, grad, hess):
    for i in prange(raw.shape[0]):
        finish(i, np.float64(raw[i]) - y[i], 1.0, w, grad, hess)


@jit
def absolute_error(y, raw, w, grad, hess):
    for i in prange(raw.shape[0]):
        d = np.float64(raw[i]) - y[i]
        g = 1.0 if d > 0 else (-1.0 if d < 0 else 0.0)
        finish(i, g, 1.0, w, grad, hess)


@jit
def huber(y, raw, w, grad, hess, delta, floor, scale, strict, irls):
    # scale = 1 (huber) or 1/beta (smooth_l1); strict: |e| < delta is the quadratic zone;
    # irls: hess = max(delta / max(|e|, delta), floor) = max(min(1, delta/|e|), floor)
    for i in prange(raw.shape[0]):
        e = y[i] - np.float64(raw[i])
        a = abs(e)
        inside = a < delta if strict else a <= delta
        c = min(max(e, -delta), delta)
        h = max(delta / max(a, delta), floor) if irls else (scale if inside else floor)
        finish(i, -c * scale, h, w, grad, hess)


@jit
def pseudo_huber(y, raw, w, grad, hess, delta, floor, irls):
    for i in prange(raw.shape[0]):
        x = (y[i] - np.float64(raw[i])) / delta
        a = abs(x)
        # sqrt(1 + x^2) without overflow; math.hypot is exact too but several times slower
        h = math.sqrt(1.0 + x * x) if a < 1e150 else a
        curvature = 1.0 / h if irls else 1.0 / (h * h * h)
        finish(i, -delta * x / h, max(curvature, floor), w, grad, hess)


@jit
def log_cosh(y, raw, w, grad, hess, floor, irls):
    for i in prange(raw.shape[0]):
        e = y[i] - np.float64(raw[i])
        a = abs(e)
        t = math.exp(-2.0 * a)
        one_plus_t = 1.0 + t
        s = 1.0 if e > 0 else (-1.0 if e < 0 else 0.0)
        if irls:  # tanh(|e|) / |e| without cancellation near 0; 1 at e = 0
            curvature = -math.expm1(-2.0 * a) / (one_plus_t * a) if a > 0 else 1.0
        else:
            curvature = 4.0 * t / (one_plus_t * one_plus_t)
        finish(i, -s * (1.0 - t) / one_plus_t, max(curvature, floor), w, grad, hess)


@jit
def fair(y, raw, w, grad, hess, c, floor, irls):
    for i in prange(raw.shape[0]):
        e = y[i] - np.float64(raw[i])
        d = abs(e) + c
        curvature = c / d if irls else (c / d) ** 2
        finish(i, -c * e / d, max(curvature, floor), w, grad, hess)


@jit
def expectile(y, raw, w, grad, hess, alpha):
    for i in prange(raw.shape[0]):
        e = y[i] - np.float64(raw[i])
        k = 2.0 * ((1.0 - alpha) if e < 0 else alpha)
        finish(i, -k * e, k, w, grad, hess)


@jit
def quantile(y, raw, w, grad, hess, alpha):
    for i in prange(raw.shape[0]):
        e = y[i] - np.float64(raw[i])
        finish(i, (1.0 if e <= 0 else 0.0) - alpha, 1.0, w, grad, hess)


@jit
def quantile_multi(y, raw, w, grad, hess, levels):
    for i in prange(raw.shape[0]):
        for j in range(raw.shape[1]):
            e = y[i] - np.float64(raw[i, j])
            finish2(i, j, (1.0 if e <= 0 else 0.0) - levels[j], 1.0, w, grad, hess)


# ------------------------------------------------------------- log link
@jit
def poisson(y, raw, w, grad, hess, max_delta_step):
    for i in prange(raw.shape[0]):
        r = np.float64(raw[i])
        mean = math.exp(r)
        h = math.exp(r + max_delta_step) if max_delta_step else mean
        finish(i, mean - y[i], h, w, grad, hess)


@jit
def gamma(y, raw, w, grad, hess):
    for i in prange(raw.shape[0]):
        scaled = y[i] * math.exp(-np.float64(raw[i]))
        finish(i, 1.0 - scaled, scaled, w, grad, hess)


@jit
def tweedie(y, raw, w, grad, hess, rho):
    for i in prange(raw.shape[0]):
        r = np.float64(raw[i])
        first = y[i] * math.exp((1.0 - rho) * r)
        second = math.exp((2.0 - rho) * r)
        finish(i, second - first, (rho - 1.0) * first + (2.0 - rho) * second, w, grad, hess)


# ------------------------------------------------------------- binary
@jit
def logistic(y, raw, w, grad, hess, pos_weight, eps):
    for i in prange(raw.shape[0]):
        target = y[i] * (1.0 - eps) + 0.5 * eps
        p, q = sigmoid_pair(np.float64(raw[i]))
        positive = pos_weight * target
        finish(
            i, (1.0 - target) * p - positive * q, p * q * (positive + 1.0 - target), w, grad, hess
        )


@jit
def multilabel_logistic(y, raw, w, grad, hess):
    for i in prange(raw.shape[0]):
        for j in range(raw.shape[1]):
            p, q = sigmoid_pair(np.float64(raw[i, j]))
            finish2(i, j, (1.0 - y[i, j]) * p - y[i, j] * q, p * q, w, grad, hess)


@jit
def focal(y, raw, w, grad, hess, gamma_, alpha, balanced):
    for i in prange(raw.shape[0]):
        positive = y[i] > 0.5
        s = 1.0 if positive else -1.0
        z = s * np.float64(raw[i])
        # one exp and one log give q, u, -log q and log u (selects, not branches: the
        # labels' and margins' signs are unpredictable):
        # softplus(+-z) = max(+-z, 0) + log1p(exp(-|z|))
        e = math.exp(-abs(z))
        inverse = 1.0 / (1.0 + e)
        small = e * inverse
        right_side = z >= 0
        q = inverse if right_side else small
        u = small if right_side else inverse
        tail = log1p_fast(e)
        log_term = max(-z, 0.0) + tail  # -log q
        if gamma_ == 2.0:
            modulator = u * u
        elif gamma_ == 1.0:
            modulator = u
        elif gamma_ == 0.0:
            modulator = 1.0
        else:
            modulator = math.exp(-gamma_ * (max(z, 0.0) + tail))  # u^gamma
        balance = (alpha if positive else 1.0 - alpha) if balanced else 1.0
        scale = balance * modulator
        g = -s * scale * (gamma_ * q * log_term + u)
        curvature = u * (2.0 * gamma_ + 1.0) + gamma_ * log_term * max(gamma_ * q - u, 0.0)
        finish(i, g, scale * q * curvature, w, grad, hess)


@jit
def squared_hinge(y, raw, w, grad, hess, floor):
    for i in prange(raw.shape[0]):
        s = 2.0 * y[i] - 1.0
        slack = max(0.0, 1.0 - s * np.float64(raw[i]))
        finish(i, -2.0 * s * slack, 2.0 if slack > 0 else floor, w, grad, hess)


@jit
def smooth_hinge(y, raw, w, grad, hess, floor):
    for i in prange(raw.shape[0]):
        s = 2.0 * y[i] - 1.0
        m = s * np.float64(raw[i])
        if m >= 1.0:
            slope, h = 0.0, floor
        elif m > 0.0:
            slope, h = m - 1.0, 1.0
        else:
            slope, h = -1.0, floor
        finish(i, s * slope, h, w, grad, hess)


# ------------------------------------------------------------- multiclass
ROWS_PER_CHUNK = 1024  # rows sharing one scratch buffer of exp(raw - max)


@njit(inline="always")
def softmax_row(raw, i, scratch):
    """Fill scratch with exp(raw[i] - max) (one exp per element); return (max, sum)."""
    k = raw.shape[1]
    top = np.float64(raw[i, 0])
    for j in range(1, k):
        top = max(top, np.float64(raw[i, j]))
    total = 0.0
    for j in range(k):
        scratch[j] = math.exp(np.float64(raw[i, j]) - top)
        total += scratch[j]
    return top, total


@jit
def softmax_cross_entropy(y, raw, w, grad, hess, c, eps, factor):
    n, k = raw.shape
    c_total = 0.0
    for j in range(k):
        c_total += c[j]
    for chunk in prange((n + ROWS_PER_CHUNK - 1) // ROWS_PER_CHUNK):
        scratch = np.empty(k)
        for i in range(chunk * ROWS_PER_CHUNK, min(n, (chunk + 1) * ROWS_PER_CHUNK)):
            label = y[i]
            _, total = softmax_row(raw, i, scratch)
            inverse = 1.0 / total
            others = 0.0  # 1 - p_label, summed from the small probabilities
            for j in range(k):
                if j != label:
                    others += scratch[j] * inverse
            true_weight = (1.0 - eps) * c[label]
            scale = true_weight + (eps / k) * c_total
            for j in range(k):
                p = scratch[j] * inverse
                if j == label:
                    g = -scale * others + (eps / k) * (c_total - c[label])
                    h = p * others
                else:
                    g = p * scale - (eps / k) * c[j]
                    h = p * (1.0 - p)
                finish2(i, j, g, factor * scale * h, w, grad, hess)


@jit
def softmax_focal(y, raw, w, grad, hess, gamma_, c):
    n, k = raw.shape
    for chunk in prange((n + ROWS_PER_CHUNK - 1) // ROWS_PER_CHUNK):
        scratch = np.empty(k)
        for i in range(chunk * ROWS_PER_CHUNK, min(n, (chunk + 1) * ROWS_PER_CHUNK)):
            label = y[i]
            top, total = softmax_row(raw, i, scratch)
            inverse = 1.0 / total
            log_t = np.float64(raw[i, label]) - top - math.log(total)
            t = scratch[label] * inverse
            one_minus_t = 0.0
            for j in range(k):
                if j != label:
                    one_minus_t += scratch[j] * inverse
            if one_minus_t > 0:
                safe = one_minus_t
                ratio = t * log_t / one_minus_t
            else:
                safe = 1.0
                ratio = -1.0
            weight = c[label]
            powered = one_minus_t**gamma_
            modulated = weight * powered
            slope = modulated * (1.0 - gamma_ * ratio)
            bracket = 2.0 + log_t - (gamma_ - 1.0) * ratio
            curvature = gamma_ * weight * t * powered * one_minus_t * bracket
            inverse_safe = 1.0 / safe
            for j in range(k):
                p = scratch[j] * inverse
                indicator_minus_p = one_minus_t if j == label else -p
                direction = indicator_minus_p * inverse_safe
                h = slope * p * (1.0 - p) + max(curvature * direction * direction, 0.0)
                finish2(i, j, -slope * indicator_minus_p, h, w, grad, hess)


# ------------------------------------------------------------- overlap (batch)
@jit
def overlap(y, raw, w, grad, hess, a, fp_weight, fn_weight, smooth):
    n = raw.shape[0]
    weighted = w.shape[0] > 0
    true_positive = 0.0
    predicted = 0.0
    actual = 0.0
    for i in prange(n):
        r = np.float64(raw[i])
        e = math.exp(-abs(r))
        hess[i] = e  # reused below; in a float32 buffer e keeps float32's relative precision
        p = 1.0 / (1.0 + e) if r >= 0 else e / (1.0 + e)
        wi = w[i] if weighted else 1.0
        true_positive += wi * p * y[i]
        predicted += wi * p
        actual += wi * y[i]
    false_positive = predicted - true_positive
    false_negative = actual - true_positive
    numerator = a * true_positive + smooth
    denominator = (
        a * true_positive + fp_weight * false_positive + fn_weight * false_negative + smooth
    )
    # d loss / d p_i = (numerator * slope_i - a * y_i * denominator) / denominator^2 with
    # slope_i = a y_i + fp (1 - y_i) - fn y_i, i.e. linear in y_i: n * (base + per_label * y_i)
    inverse_square = 1.0 / (denominator * denominator)
    base = n * numerator * fp_weight * inverse_square
    per_label = n * (numerator * (a - fp_weight - fn_weight) - a * denominator) * inverse_square
    for i in prange(n):
        e = np.float64(hess[i])
        inverse = 1.0 / (1.0 + e)
        slope = (base + per_label * y[i]) * (e * inverse * inverse)  # d p / d raw = p q
        h = max(abs(slope), MIN_HESSIAN)
        if weighted:
            slope *= w[i]
            h *= w[i]
        grad[i] = slope
        hess[i] = h


def class_weight(loss, k):
    return (
        np.ones(k) if loss.class_weight is None else np.asarray(loss.class_weight, dtype=np.float64)
    )


def softmax_factor(loss, k):
    return {"exact": 1.0, "xgboost": 2.0, "lightgbm": k / (k - 1.0)}[loss.hessian]


def run_quantile(loss, y, raw, w, g, h):
    if raw.ndim == 2:
        quantile_multi(y, raw, w, g, h, loss.levels)
    else:
        quantile(y, raw, w, g, h, float(loss.levels[0]))


KERNELS = {
    "squared_error": lambda loss, y, r, w, g, h: squared_error(y, r, w, g, h),
    "absolute_error": lambda loss, y, r, w, g, h: absolute_error(y, r, w, g, h),
    "huber": lambda loss, y, r, w, g, h: huber(
        y, r, w, g, h, loss.delta, loss.hessian_floor, 1.0, False, loss.hessian == "irls"
    ),
    "smooth_l1": lambda loss, y, r, w, g, h: huber(
        y, r, w, g, h, loss.beta, loss.effective_hessian_floor, 1.0 / loss.beta, True, False
    ),
    "pseudo_huber": lambda loss, y, r, w, g, h: pseudo_huber(
        y, r, w, g, h, loss.delta, loss.hessian_floor, loss.hessian == "irls"
    ),
    "log_cosh": lambda loss, y, r, w, g, h: log_cosh(
        y, r, w, g, h, loss.hessian_floor, loss.hessian == "irls"
    ),
    "fair": lambda loss, y, r, w, g, h: fair(
        y, r, w, g, h, loss.c, loss.hessian_floor, loss.hessian == "irls"
    ),
    "expectile": lambda loss, y, r, w, g, h: expectile(y, r, w, g, h, loss.alpha),
    "quantile": run_quantile,
    "poisson": lambda loss, y, r, w, g, h: poisson(y, r, w, g, h, loss.max_delta_step),
    "gamma": lambda loss, y, r, w, g, h: gamma(y, r, w, g, h),
    "tweedie": lambda loss, y, r, w, g, h: tweedie(y, r, w, g, h, loss.power),
    "logistic": lambda loss, y, r, w, g, h: logistic(
        y, r, w, g, h, 1.0 if loss.pos_weight is None else loss.pos_weight, loss.label_smoothing
    ),
    "multilabel_logistic": lambda loss, y, r, w, g, h: multilabel_logistic(y, r, w, g, h),
    "focal": lambda loss, y, r, w, g, h: focal(
        y, r, w, g, h, loss.gamma, 0.0 if loss.alpha is None else loss.alpha, loss.alpha is not None
    ),
    "squared_hinge": lambda loss, y, r, w, g, h: squared_hinge(y, r, w, g, h, loss.hessian_floor),
    "smooth_hinge": lambda loss, y, r, w, g, h: smooth_hinge(y, r, w, g, h, loss.hessian_floor),
    "softmax_cross_entropy": lambda loss, y, r, w, g, h: softmax_cross_entropy(
        y,
        r,
        w,
        g,
        h,
        class_weight(loss, r.shape[1]),
        loss.label_smoothing,
        softmax_factor(loss, r.shape[1]),
    ),
    "softmax_focal": lambda loss, y, r, w, g, h: softmax_focal(
        y, r, w, g, h, loss.gamma, class_weight(loss, r.shape[1])
    ),
    "dice": lambda loss, y, r, w, g, h: overlap(y, r, w, g, h, 2.0, 1.0, 1.0, loss.smooth),
    "tversky": lambda loss, y, r, w, g, h: overlap(
        y, r, w, g, h, 1.0, loss.alpha, loss.beta, loss.smooth
    ),
}
