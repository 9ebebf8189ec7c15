# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Compiled grad/hess kernels, one loop per loss (built ahead of time, see setup.py).

Every kernel makes one pass: it reads raw scores (float32 as the engines hand them, or
float64), computes in float64 with exactly the formulas and Hessian surrogates documented on
the loss classes beside it (the numpy reference, ``tests/test_compiled.py`` holds them
equal), floors the Hessian at ``MIN_HESSIAN`` (it only replaces values that underflowed),
multiplies the sample weight in, and writes grad/hess once (float32 Hessians floored at
FLT_MIN, the engine guard of ``boostloss._adapter``), in the output arrays' dtype
(float32 or float64) and layout (any strides: C order for XGBoost, class-major for
LightGBM). No temporaries, no Python objects, no GIL and no threads: inside an engine
callback the engine's OpenMP pool owns the cores.

Arguments are always (y, raw, weight, grad, hess, *parameters): ``weight`` is an empty
float64 array when there are no sample weights. Each kernel returns how many grad/hess
values it stored that are not finite (beyond float32's range for float32 outputs, or NaN),
so the engines' float32 guard needs no second pass over the outputs. 1-D kernels take contiguous arrays;
2-D ones (multiclass, multi-quantile, multilabel) any strides. ``boostloss.losses._compiled``
chooses the kernel and its parameters from the loss object.
"""

from libc.float cimport DBL_MAX, FLT_MAX, FLT_MIN
from libc.math cimport exp, expm1, fabs, log, log1p, pow, sqrt
from libc.stdint cimport int64_t

ctypedef fused raw_t:
    float
    double

ctypedef fused out_t:
    float
    double

cdef extern from *:
    """
    #define BOOSTLOSS_MIN_HESSIAN 2.2250738585072014e-308  /* smallest positive normal float64 */
    """
    const double MIN_HESSIAN "BOOSTLOSS_MIN_HESSIAN"  # a C constant: no reload per element


cdef inline int put(out_t* grad, out_t* hess, Py_ssize_t at, Py_ssize_t row, double g,
                    double h, const double* weight) noexcept nogil:
    """Floor h, multiply the row's weight in, round once to the output dtype; return 1 if
    the stored grad or hess is not finite (beyond float32's range, or NaN), else 0."""
    cdef out_t stored_grad, stored_hess
    cdef double limit
    if h < MIN_HESSIAN:
        h = MIN_HESSIAN
    if weight != NULL:
        g = g * weight[row]
        h = h * weight[row]
        if h < MIN_HESSIAN and weight[row] > 0:  # tiny weight x tiny Hessian underflowed
            h = MIN_HESSIAN
    stored_grad = <out_t>g
    stored_hess = <out_t>h
    if out_t is float:
        # the engine guard's rule 4 (boostloss._adapter): float32 Hessians stay >= FLT_MIN,
        # also where the cast underflowed and on zero-weight rows; a NaN stays NaN
        if stored_hess < FLT_MIN:
            stored_hess = FLT_MIN
    grad[at] = stored_grad
    hess[at] = stored_hess
    limit = FLT_MAX if out_t is float else DBL_MAX
    # "|", not "or": no branch, so that the compiler can vectorise the loops
    return (<int>(not fabs(stored_grad) <= limit)) | (<int>(not stored_hess <= limit))


cdef inline const double* weights(const double[::1] weight) noexcept nogil:
    return &weight[0] if weight.shape[0] else NULL


cdef inline double sign(double x) noexcept nogil:
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


cdef inline double expit(double x) noexcept nogil:
    """sigmoid(x) as scipy's expit: 1 / (1 + exp(-x)) or exp(x) / (1 + exp(x)), no overflow."""
    cdef double e
    if x >= 0:
        return 1.0 / (1.0 + exp(-x))
    e = exp(x)
    return e / (1.0 + e)


cdef inline double sigmoid_pair(double r, double* q) noexcept nogil:
    """sigmoid(r), and sigmoid(-r) in q, from one exp(-|r|): no overflow, no 1 - p
    cancellation."""
    cdef double e = exp(-fabs(r))
    cdef double inverse = 1.0 / (1.0 + e)
    # select without a branch (the sign of r is unpredictable): exactly inverse or e * inverse
    cdef double right = r >= 0
    q[0] = inverse * ((1.0 - right) + right * e)
    return inverse * (right + (1.0 - right) * e)


# ------------------------------------------------------------- regression (identity link)
def squared_error(const double[::1] y, const raw_t[::1] raw, const double[::1] weight,
                  out_t[::1] grad, out_t[::1] hess):
    cdef Py_ssize_t i
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    with nogil:
        for i in range(raw.shape[0]):
            bad += put(&grad[0], &hess[0], i, i, <double>raw[i] - y[i], 1.0, w)
    return bad


def absolute_error(const double[::1] y, const raw_t[::1] raw, const double[::1] weight,
                   out_t[::1] grad, out_t[::1] hess):
    cdef Py_ssize_t i
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    with nogil:
        for i in range(raw.shape[0]):
            bad += put(&grad[0], &hess[0], i, i, sign(<double>raw[i] - y[i]), 1.0, w)
    return bad


def huber(const double[::1] y, const raw_t[::1] raw, const double[::1] weight,
          out_t[::1] grad, out_t[::1] hess, double delta, double floor, bint irls):
    """irls: hess = max(delta / max(|e|, delta), floor); exact: 1 inside delta, else floor."""
    cdef Py_ssize_t i
    cdef double e, h
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    with nogil:
        for i in range(raw.shape[0]):
            e = y[i] - <double>raw[i]
            if irls:
                h = max(delta / max(fabs(e), delta), floor)
            else:
                h = 1.0 if fabs(e) <= delta else floor
            bad += put(&grad[0], &hess[0], i, i, -min(max(e, -delta), delta), h, w)
    return bad


def smooth_l1(const double[::1] y, const raw_t[::1] raw, const double[::1] weight,
              out_t[::1] grad, out_t[::1] hess, double beta, double floor):
    cdef Py_ssize_t i
    cdef double e
    cdef double inside = 1.0 / beta
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    with nogil:
        for i in range(raw.shape[0]):
            e = y[i] - <double>raw[i]
            bad += put(&grad[0], &hess[0], i, i, -min(max(e, -beta), beta) / beta,
                       inside if fabs(e) < beta else floor, w)
    return bad


def pseudo_huber(const double[::1] y, const raw_t[::1] raw, const double[::1] weight,
                 out_t[::1] grad, out_t[::1] hess, double delta, double floor, bint irls):
    """irls: hess = max(1 / h, floor); exact: max(1 / h^3, floor), h = sqrt(1 + x^2)."""
    cdef Py_ssize_t i
    cdef double x, h
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    with nogil:
        for i in range(raw.shape[0]):
            x = (y[i] - <double>raw[i]) / delta
            # hypot(1, x) without overflow: past |x| = 1e150, sqrt(1 + x^2) rounds to |x|
            h = sqrt(1.0 + x * x) if fabs(x) < 1e150 else fabs(x)
            bad += put(&grad[0], &hess[0], i, i, -delta * x / h,
                       max(1.0 / h if irls else 1.0 / (h * h * h), floor), w)
    return bad


def log_cosh(const double[::1] y, const raw_t[::1] raw, const double[::1] weight,
             out_t[::1] grad, out_t[::1] hess, double floor, bint irls):
    """irls: hess = max(tanh|e| / |e|, floor) (1 at e = 0); exact: max(sech^2 e, floor)."""
    cdef Py_ssize_t i
    cdef double e, a, t, one_plus_t, curvature
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    with nogil:
        for i in range(raw.shape[0]):
            e = y[i] - <double>raw[i]
            a = fabs(e)
            t = exp(-2.0 * a)  # one exp, never overflows
            one_plus_t = 1.0 + t
            if irls:  # tanh(|e|) / |e| without cancellation near 0
                curvature = -expm1(-2.0 * a) / (one_plus_t * a) if a > 0 else 1.0
            else:
                curvature = 4.0 * t / (one_plus_t * one_plus_t)
            bad += put(&grad[0], &hess[0], i, i, -sign(e) * (1.0 - t) / one_plus_t,
                       max(curvature, floor), w)
    return bad


def fair(const double[::1] y, const raw_t[::1] raw, const double[::1] weight,
         out_t[::1] grad, out_t[::1] hess, double c, double floor, bint irls):
    """irls: hess = max(c / (|e| + c), floor); exact: max((c / (|e| + c))^2, floor)."""
    cdef Py_ssize_t i
    cdef double e, d
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    with nogil:
        for i in range(raw.shape[0]):
            e = y[i] - <double>raw[i]
            d = fabs(e) + c
            bad += put(&grad[0], &hess[0], i, i, -c * e / d,
                       max(c / d if irls else (c / d) * (c / d), floor), w)
    return bad


def expectile(const double[::1] y, const raw_t[::1] raw, const double[::1] weight,
              out_t[::1] grad, out_t[::1] hess, double alpha):
    cdef Py_ssize_t i
    cdef double e, k, negative
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    with nogil:
        for i in range(raw.shape[0]):
            e = y[i] - <double>raw[i]
            negative = e < 0  # selects by arithmetic (exact with 0/1): no branch, vectorisable
            k = 2.0 * (negative * (1.0 - alpha) + (1.0 - negative) * alpha)
            bad += put(&grad[0], &hess[0], i, i, -k * e, k, w)
    return bad


def quantile(const double[::1] y, const raw_t[:, :] raw, const double[::1] weight,
             out_t[:, :] grad, out_t[:, :] hess, const double[::1] levels):
    """Every level at once: raw (n, q); a single level is q = 1."""
    cdef Py_ssize_t i, j, at
    cdef Py_ssize_t rs = grad.strides[0] // sizeof(out_t), cs = grad.strides[1] // sizeof(out_t)
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    with nogil:
        for i in range(raw.shape[0]):
            for j in range(raw.shape[1]):
                at = i * rs + j * cs
                bad += put(&grad[0, 0], &hess[0, 0], at, i,
                           (1.0 if y[i] - <double>raw[i, j] <= 0 else 0.0) - levels[j], 1.0, w)
    return bad


# ------------------------------------------------------------- log link
def poisson(const double[::1] y, const raw_t[::1] raw, const double[::1] weight,
            out_t[::1] grad, out_t[::1] hess, double max_delta_step):
    cdef Py_ssize_t i
    cdef double r, mean
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    with nogil:
        for i in range(raw.shape[0]):
            r = raw[i]
            mean = exp(r)
            bad += put(&grad[0], &hess[0], i, i, mean - y[i],
                       exp(r + max_delta_step) if max_delta_step != 0 else mean, w)
    return bad


def gamma(const double[::1] y, const raw_t[::1] raw, const double[::1] weight,
          out_t[::1] grad, out_t[::1] hess):
    cdef Py_ssize_t i
    cdef double scaled
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    with nogil:
        for i in range(raw.shape[0]):
            scaled = y[i] * exp(-<double>raw[i])
            bad += put(&grad[0], &hess[0], i, i, 1.0 - scaled, scaled, w)
    return bad


def tweedie(const double[::1] y, const raw_t[::1] raw, const double[::1] weight,
            out_t[::1] grad, out_t[::1] hess, double rho):
    cdef Py_ssize_t i
    cdef double r, first, second
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    with nogil:
        for i in range(raw.shape[0]):
            r = raw[i]
            first = y[i] * exp((1.0 - rho) * r)
            second = exp((2.0 - rho) * r)
            bad += put(&grad[0], &hess[0], i, i, second - first,
                       (rho - 1.0) * first + (2.0 - rho) * second, w)
    return bad


# ------------------------------------------------------------- binary
def logistic(const double[::1] y, const raw_t[::1] raw, const double[::1] weight,
             out_t[::1] grad, out_t[::1] hess, double pos_weight, double eps):
    cdef Py_ssize_t i
    cdef double target, p, q, positive
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    with nogil:
        for i in range(raw.shape[0]):
            target = y[i] * (1.0 - eps) + 0.5 * eps if eps != 0 else y[i]
            p = sigmoid_pair(raw[i], &q)
            positive = pos_weight * target
            bad += put(&grad[0], &hess[0], i, i, (1.0 - target) * p - positive * q,
                       p * q * (positive + 1.0 - target), w)
    return bad


def multilabel_logistic(const double[:, :] y, const raw_t[:, :] raw, const double[::1] weight,
                        out_t[:, :] grad, out_t[:, :] hess):
    cdef Py_ssize_t i, j
    cdef Py_ssize_t rs = grad.strides[0] // sizeof(out_t), cs = grad.strides[1] // sizeof(out_t)
    cdef double p, q
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    with nogil:
        for i in range(raw.shape[0]):
            for j in range(raw.shape[1]):
                p = sigmoid_pair(raw[i, j], &q)
                bad += put(&grad[0, 0], &hess[0, 0], i * rs + j * cs, i,
                           (1.0 - y[i, j]) * p - y[i, j] * q, p * q, w)
    return bad


def focal(const double[::1] y, const raw_t[::1] raw, const double[::1] weight,
          out_t[::1] grad, out_t[::1] hess, double gamma_, double alpha, bint balanced):
    cdef Py_ssize_t i
    cdef double s, z, e, inverse, q, u, log_term, modulator, balance, scale, curvature
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    with nogil:
        for i in range(raw.shape[0]):
            s = 2.0 * y[i] - 1.0
            z = s * <double>raw[i]
            # q = sigmoid(z), u = sigmoid(-z) and -log q = softplus(-z) from one exp(-|z|)
            e = exp(-fabs(z))
            inverse = 1.0 / (1.0 + e)
            if z >= 0:
                q = inverse
                u = e * inverse
            else:
                q = e * inverse
                u = inverse
            log_term = (-z if z < 0 else 0.0) + log1p(e)
            if gamma_ == 2.0:
                modulator = u * u
            elif gamma_ == 1.0:
                modulator = u
            elif gamma_ == 0.0:
                modulator = 1.0
            else:
                modulator = pow(u, gamma_)
            if balanced:
                balance = alpha if y[i] > 0.5 else 1.0 - alpha
            else:
                balance = 1.0
            scale = balance * modulator
            curvature = u * (2.0 * gamma_ + 1.0) + gamma_ * log_term * max(gamma_ * q - u, 0.0)
            bad += put(&grad[0], &hess[0], i, i, -s * scale * (gamma_ * q * log_term + u),
                       scale * q * curvature, w)
    return bad


def squared_hinge(const double[::1] y, const raw_t[::1] raw, const double[::1] weight,
                  out_t[::1] grad, out_t[::1] hess, double floor):
    cdef Py_ssize_t i
    cdef double s, slack, inside
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    with nogil:
        for i in range(raw.shape[0]):
            s = 2.0 * y[i] - 1.0
            slack = max(0.0, 1.0 - s * <double>raw[i])
            inside = slack > 0  # selects by arithmetic (exact with 0/1): no branch
            bad += put(&grad[0], &hess[0], i, i, -2.0 * s * slack,
                       inside * 2.0 + (1.0 - inside) * floor, w)
    return bad


def smooth_hinge(const double[::1] y, const raw_t[::1] raw, const double[::1] weight,
                 out_t[::1] grad, out_t[::1] hess, double floor):
    cdef Py_ssize_t i
    cdef double s, m, slope, h, middle, low
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    with nogil:
        for i in range(raw.shape[0]):
            s = 2.0 * y[i] - 1.0
            m = s * <double>raw[i]
            # pieces m >= 1, 0 < m < 1, m <= 0 selected by arithmetic (exact with 0/1)
            middle = (m > 0.0) and (m < 1.0)
            low = m <= 0.0
            slope = middle * (m - 1.0) - low
            h = middle + (1.0 - middle) * floor
            bad += put(&grad[0], &hess[0], i, i, s * slope, h, w)
    return bad


# ------------------------------------------------------------- multiclass (softmax)
cdef inline double softmax_row(const raw_t* row, Py_ssize_t step, Py_ssize_t k,
                               double* scratch, double* top) noexcept nogil:
    """scratch[j] = exp(row[j * step] - max) (max-shifted: no overflow); returns their sum.
    (A pointer, not a memoryview: passing a memoryview would count references per row.)"""
    cdef Py_ssize_t j
    cdef double largest = row[0], total = 0.0
    for j in range(1, k):
        largest = max(largest, <double>row[j * step])
    for j in range(k):
        scratch[j] = exp(<double>row[j * step] - largest)
        total += scratch[j]
    top[0] = largest
    return total


def softmax_cross_entropy(const int64_t[::1] y, const raw_t[:, :] raw,
                          const double[::1] weight, out_t[:, :] grad, out_t[:, :] hess,
                          const double[::1] class_weight, double eps, double factor,
                          double[::1] scratch):
    cdef Py_ssize_t i, j, label, n = raw.shape[0], k = raw.shape[1]
    cdef Py_ssize_t rs = grad.strides[0] // sizeof(out_t), cs = grad.strides[1] // sizeof(out_t)
    cdef Py_ssize_t step = raw.strides[1] // sizeof(raw_t)
    cdef double c_total = 0.0, top, inverse, others, scale, p, g, h, spread = eps / k
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    cdef double* s = &scratch[0]
    with nogil:
        for j in range(k):
            c_total = c_total + class_weight[j]
        for i in range(n):
            label = y[i]
            inverse = 1.0 / softmax_row(&raw[i, 0], step, k, s, &top)
            others = 0.0  # 1 - p_label, summed from the small probabilities (no cancellation)
            for j in range(k):
                if j != label:
                    others = others + s[j] * inverse
            scale = (1.0 - eps) * class_weight[label] + spread * c_total
            for j in range(k):
                p = s[j] * inverse
                if j == label:
                    g = -scale * others + spread * (c_total - class_weight[label])
                    h = p * others
                else:
                    g = p * scale - spread * class_weight[j]
                    h = p * (1.0 - p)
                bad += put(&grad[0, 0], &hess[0, 0], i * rs + j * cs, i, g, h * (factor * scale), w)
    return bad


def softmax_focal(const int64_t[::1] y, const raw_t[:, :] raw, const double[::1] weight,
                  out_t[:, :] grad, out_t[:, :] hess, double gamma_,
                  const double[::1] class_weight, double[::1] scratch):
    cdef Py_ssize_t i, j, label, n = raw.shape[0], k = raw.shape[1]
    cdef Py_ssize_t rs = grad.strides[0] // sizeof(out_t), cs = grad.strides[1] // sizeof(out_t)
    cdef Py_ssize_t step = raw.strides[1] // sizeof(raw_t)
    cdef double top, total, inverse, log_t, t, one_minus_t, safe, ratio, c, slope
    cdef double curvature, p, indicator_minus_p, direction, rest
    cdef int seen_top
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    cdef double* s = &scratch[0]
    with nogil:
        for i in range(n):
            label = y[i]
            total = softmax_row(&raw[i, 0], step, k, s, &top)
            inverse = 1.0 / total
            # log(total) as log1p of the terms beside the (first) largest, whose term is
            # exactly 1: keeps log p_y's relative precision as p_y -> 1 (the reference's form)
            rest = 0.0
            seen_top = 0
            for j in range(k):
                if s[j] == 1.0 and not seen_top:
                    seen_top = 1
                else:
                    rest = rest + s[j]
            log_t = (<double>raw[i, label] - top) - log1p(rest)
            t = s[label] * inverse
            one_minus_t = 0.0  # summed from the other classes: full precision when t ~ 1
            for j in range(k):
                if j != label:
                    one_minus_t = one_minus_t + s[j] * inverse
            if one_minus_t > 0:
                safe = one_minus_t
                ratio = t * log_t / safe
            else:
                safe = 1.0
                ratio = -1.0  # the limit of t log t / (1 - t) as t -> 1
            c = class_weight[label]
            slope = c * pow(one_minus_t, gamma_) * (1.0 - gamma_ * ratio)
            curvature = (gamma_ * c * t * pow(one_minus_t, gamma_ + 1.0)
                         * (2.0 + log_t - (gamma_ - 1.0) * ratio))
            for j in range(k):
                p = s[j] * inverse
                indicator_minus_p = one_minus_t if j == label else -p
                direction = indicator_minus_p / safe
                bad += put(&grad[0, 0], &hess[0, 0], i * rs + j * cs, i, -slope * indicator_minus_p,
                           slope * p * (1.0 - p) + max(curvature * direction * direction, 0.0), w)
    return bad


# ------------------------------------------------------------- overlap (batch losses)
def overlap(const double[::1] y, const raw_t[::1] raw, const double[::1] weight,
            out_t[::1] grad, out_t[::1] hess, double a, double fp_weight, double fn_weight,
            double smooth):
    """Dice (a = 2, fp = fn = 1) and Tversky (a = 1): two passes, counts then gradients."""
    cdef Py_ssize_t i, n = raw.shape[0]
    cdef double p, q, wi, true_positive = 0.0, predicted = 0.0, actual = 0.0
    cdef double numerator, denominator, d_loss_d_p, slope, h
    cdef const double* w = weights(weight)
    cdef Py_ssize_t bad = 0
    with nogil:
        for i in range(n):
            p = expit(raw[i])
            wi = w[i] if w != NULL else 1.0
            true_positive = true_positive + wi * y[i] * p
            predicted = predicted + wi * p
            actual = actual + wi * y[i]
        numerator = a * true_positive + smooth
        denominator = (a * true_positive + fp_weight * (predicted - true_positive)
                       + fn_weight * (actual - true_positive) + smooth)
        for i in range(n):
            d_loss_d_p = (numerator * (a * y[i] + fp_weight * (1.0 - y[i]) - fn_weight * y[i])
                          - a * y[i] * denominator) / (denominator * denominator)
            p = sigmoid_pair(raw[i], &q)
            slope = p * q  # d p / d raw
            h = n * fabs(d_loss_d_p) * slope
            bad += put(&grad[0], &hess[0], i, i, n * d_loss_d_p * slope, h, w)
    return bad
