/* The compiled grad/hess loops: one element function per loss, one loop per layout.
 *
 * Each loss is an element function bl_<loss>(y, raw, p, &g, &h) (p: the loss's parameters,
 * see boostloss/losses/_compiled.py) computing grad and hess in float64 with the formulas and
 * Hessian surrogates documented on the loss classes (the numpy reference in the losses/ modules;
 * tests/test_compiled.py holds the two equal). The loops around them (BL_SEPARABLE,
 * BL_COLUMNS) read raw scores as the engines give them (float32 from XGBoost, float64 from
 * LightGBM), and store through bl_store_*, which
 *
 *   1. floors the Hessian at BL_MIN_HESSIAN (only where it underflowed; NaN stays NaN),
 *   2. multiplies the sample weight in (and floors again where a positive weight times a
 *      tiny Hessian underflowed),
 *   3. rounds once to the output dtype; float32 Hessians are kept >= FLT_MIN (the engine
 *      guard of boostloss._adapter: an engine must never see a zero Hessian),
 *   4. ORs a flag whose top bit is set when a stored value is not finite (beyond the output
 *      dtype's range, or NaN), so the engines' guard needs no second pass over the outputs.
 *
 * Every branch here is a select (both sides computed, one kept), every loop has restrict
 * pointers and no calls: the compiler vectorises them. BL_CLONES compiles each loop for
 * AVX-512, AVX2+FMA and the baseline, and picks one when the module loads (GCC's
 * target_clones, an ifunc: Linux/glibc x86-64 only; elsewhere the baseline build runs).
 * No threads: inside an engine callback the engine's OpenMP pool owns the cores.
 */
#ifndef BOOSTLOSS_LOOPS_H
#define BOOSTLOSS_LOOPS_H

#include <stddef.h>
#include "_vector_math.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) \
    && defined(__GLIBC__) && __GNUC__ >= 12
#define BL_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define BL_CLONES
#endif

#define BL_MIN_HESSIAN 2.2250738585072014e-308 /* smallest positive normal float64 */

/* -------------------------------------------------------------------- storing one value */
BL_INLINE uint32_t bl_store_f(float *grad, float *hess, ptrdiff_t at, double g, double h) {
    h = h < BL_MIN_HESSIAN ? BL_MIN_HESSIAN : h;
    float sg = (float)g, sh = (float)h;
    sh = sh < FLT_MIN ? FLT_MIN : sh;
    grad[at] = sg;
    hess[at] = sh;
    /* exponent all ones (inf or NaN) -> the top bit of the sum */
    return ((bl_bits32(sg) & 0x7f800000u) + 0x00800000u) | ((bl_bits32(sh) & 0x7f800000u) + 0x00800000u);
}

BL_INLINE uint32_t bl_store_wf(float *grad, float *hess, ptrdiff_t at, double g, double h,
                                   double w) {
    h = h < BL_MIN_HESSIAN ? BL_MIN_HESSIAN : h;
    g = g * w;
    h = h * w;
    h = h < BL_MIN_HESSIAN && w > 0 ? BL_MIN_HESSIAN : h; /* tiny weight x tiny Hessian */
    float sg = (float)g, sh = (float)h;
    sh = sh < FLT_MIN ? FLT_MIN : sh;
    grad[at] = sg;
    hess[at] = sh;
    return ((bl_bits32(sg) & 0x7f800000u) + 0x00800000u) | ((bl_bits32(sh) & 0x7f800000u) + 0x00800000u);
}

#define BL_EXPONENT64 0x7ff0000000000000ULL
#define BL_EXPONENT64_CARRY 0x0010000000000000ULL

BL_INLINE uint64_t bl_store_d(double *grad, double *hess, ptrdiff_t at, double g, double h) {
    h = h < BL_MIN_HESSIAN ? BL_MIN_HESSIAN : h;
    grad[at] = g;
    hess[at] = h;
    return ((bl_bits(g) & BL_EXPONENT64) + BL_EXPONENT64_CARRY) | ((bl_bits(h) & BL_EXPONENT64) + BL_EXPONENT64_CARRY);
}

BL_INLINE uint64_t bl_store_wd(double *grad, double *hess, ptrdiff_t at, double g, double h,
                                   double w) {
    h = h < BL_MIN_HESSIAN ? BL_MIN_HESSIAN : h;
    g = g * w;
    h = h * w;
    h = h < BL_MIN_HESSIAN && w > 0 ? BL_MIN_HESSIAN : h;
    grad[at] = g;
    hess[at] = h;
    return ((bl_bits(g) & BL_EXPONENT64) + BL_EXPONENT64_CARRY) | ((bl_bits(h) & BL_EXPONENT64) + BL_EXPONENT64_CARRY);
}

#define BL_TOP_BIT_f 0x80000000u
#define BL_TOP_BIT_d 0x8000000000000000ULL
#define BL_FLAG_f uint32_t
#define BL_FLAG_d uint64_t

/* ------------------------------------------------------------------- shared pieces */
BL_INLINE double bl_sign(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }

/* sigmoid(r), and sigmoid(-r) in *q, from one exp(-|r|): no overflow, no 1 - p cancellation */
BL_INLINE double bl_sigmoid_pair(double r, double *q) {
    double e = bl_exp(-fabs(r));
    double inverse = 1.0 / (1.0 + e);
    double right = r >= 0;  /* exact 0/1 arithmetic: inverse or e * inverse, no branch */
    *q = inverse * ((1.0 - right) + right * e);
    return inverse * (right + (1.0 - right) * e);
}

/* ------------------------------------------------------- regression (identity link) */
BL_INLINE void bl_squared_error(double y, double r, const double *p, double *g, double *h) {
    (void)p;
    *g = r - y;
    *h = 1.0;
}

BL_INLINE void bl_absolute_error(double y, double r, const double *p, double *g, double *h) {
    (void)p;
    *g = bl_sign(r - y);
    *h = 1.0;
}

/* p = (delta, floor, irls): irls hess = max(delta / max(|e|, delta), floor);
 * exact: 1 inside delta, else floor. e = y - raw. */
BL_INLINE void bl_huber(double y, double r, const double *p, double *g, double *h) {
    double delta = p[0], floor = p[1], irls_hessian = p[2], e = y - r;
    double irls = bl_max(delta / bl_max(fabs(e), delta), floor);
    double exact = fabs(e) <= delta ? 1.0 : floor;
    *g = -bl_min(bl_max(e, -delta), delta);
    *h = irls_hessian != 0 ? irls : exact;
}

/* p = (beta, floor) */
BL_INLINE void bl_smooth_l1(double y, double r, const double *p, double *g, double *h) {
    double beta = p[0], floor = p[1], e = y - r;  /* loaded unconditionally: vectorisable */
    *g = -bl_min(bl_max(e, -beta), beta) / beta;
    *h = fabs(e) < beta ? 1.0 / beta : floor;
}

/* p = (delta, floor, irls): irls hess = max(1 / h, floor), exact max(1 / h^3, floor),
 * h = sqrt(1 + x^2), x = e / delta */
BL_INLINE void bl_pseudo_huber(double y, double r, const double *p, double *g, double *h) {
    double delta = p[0], floor = p[1], irls = p[2], x = (y - r) / delta;
    /* hypot(1, x) without overflow: past |x| = 1e150, sqrt(1 + x^2) rounds to |x| */
    double root = fabs(x) < 1e150 ? sqrt(1.0 + x * x) : fabs(x);
    *g = -delta * x / root;
    *h = bl_max(irls != 0 ? 1.0 / root : 1.0 / (root * root * root), floor);
}

/* p = (floor, irls): irls hess = max(tanh|e| / |e|, floor) (1 at e = 0), exact
 * max(sech^2 e, floor); grad = -tanh(e), all from one exp(-2|e|) */
BL_INLINE void bl_log_cosh(double y, double r, const double *p, double *g, double *h) {
    double floor = p[0], irls_hessian = p[1], e = y - r, a = fabs(e);
    double t = bl_exp(-2.0 * a);
    double one_plus_t = 1.0 + t;
    double irls = a > 0 ? -bl_expm1(-2.0 * a) / (one_plus_t * a) : 1.0;
    double exact = 4.0 * t / (one_plus_t * one_plus_t);
    *g = -bl_sign(e) * (1.0 - t) / one_plus_t;
    *h = bl_max(irls_hessian != 0 ? irls : exact, floor);
}

/* p = (c, floor, irls): irls hess = max(c / (|e| + c), floor), exact its square */
BL_INLINE void bl_fair(double y, double r, const double *p, double *g, double *h) {
    double c = p[0], floor = p[1], irls = p[2], e = y - r, d = fabs(e) + c;
    *g = -c * e / d;
    *h = bl_max(irls != 0 ? c / d : (c / d) * (c / d), floor);
}

/* p = (alpha,): weight k = 2 alpha above, 2 (1 - alpha) below; grad -k e, hess k */
BL_INLINE void bl_expectile(double y, double r, const double *p, double *g, double *h) {
    double alpha = p[0], e = y - r;
    double negative = e < 0;
    double k = 2.0 * (negative * (1.0 - alpha) + (1.0 - negative) * alpha);
    *g = -k * e;
    *h = k;
}

/* p = (level,): grad 1{y - raw <= 0} - level, hess 1 */
BL_INLINE void bl_quantile(double y, double r, const double *p, double *g, double *h) {
    double level = p[0];
    *g = (y - r <= 0 ? 1.0 : 0.0) - level;
    *h = 1.0;
}

/* ------------------------------------------------------------------------ log link */
/* p = (max_delta_step, exp(max_delta_step)): grad exp(raw) - y, hess exp(raw + step) */
BL_INLINE void bl_poisson(double y, double r, const double *p, double *g, double *h) {
    double mean = bl_exp(r), step_factor = p[1];
    *g = mean - y;
    *h = mean * step_factor;
}

BL_INLINE void bl_gamma(double y, double r, const double *p, double *g, double *h) {
    (void)p;
    double scaled = y * bl_exp(-r);
    *g = 1.0 - scaled;
    *h = scaled;
}

/* p = (rho,) */
BL_INLINE void bl_tweedie(double y, double r, const double *p, double *g, double *h) {
    double rho = p[0];
    double first = y * bl_exp((1.0 - rho) * r);
    double second = bl_exp((2.0 - rho) * r);
    *g = second - first;
    *h = (rho - 1.0) * first + (2.0 - rho) * second;
}

/* -------------------------------------------------------------------------- binary */
/* p = (pos_weight, label_smoothing); the target y (1 - eps) + eps / 2 is y when eps = 0 */
BL_INLINE void bl_logistic(double y, double r, const double *p, double *g, double *h) {
    double pos_weight = p[0], eps = p[1];
    double target = y * (1.0 - eps) + 0.5 * eps;
    double q, prob = bl_sigmoid_pair(r, &q);
    double positive = pos_weight * target;
    *g = (1.0 - target) * prob - positive * q;
    *h = prob * q * (positive + 1.0 - target);
}

/* Focal loss on the sign margin z = s raw (s = 2y - 1), q = sigmoid(z), u = 1 - q;
 * p = (gamma, alpha, balanced: 0 or 1, gamma == 2, gamma == 1, gamma == 0). bl_focal takes gamma in {0, 1, 2} (powers of u by products),
 * bl_focal_power any gamma (u^gamma = exp(-gamma (max(z, 0) + log1p(exp(-|z|))))). */
BL_INLINE void bl_focal_with(double y, double r, const double *p, double *g, double *h,
                                 int general_power) {
    double gamma = p[0], alpha = p[1], balanced = p[2];
    double s = 2.0 * y - 1.0, z = s * r;
    double e = bl_exp(-fabs(z));
    double inverse = 1.0 / (1.0 + e);
    double right = z >= 0;  /* selects by 0/1 arithmetic: GCC kept branches for ?: here */
    double q = inverse * (right + (1.0 - right) * e);
    double u = inverse * ((1.0 - right) + right * e);
    double log1p_e = bl_log1p_unit_with(e, inverse);  /* e in [0, 1] */
    double log_term = (z < 0 ? -z : 0.0) + log1p_e;  /* -log q = softplus(-z) */
    double modulator;
    if (general_power)
        modulator = gamma == 0.0 ? 1.0 : bl_exp(-gamma * ((z > 0 ? z : 0.0) + log1p_e));
    else
        /* u^2, u or 1 by arithmetic on the 0/1 factors p[3..5] (set outside the loop: a
         * select on a loop-invariant condition kept GCC from vectorising it) */
        modulator = p[3] * (u * u) + p[4] * u + p[5];
    double positive = y > 0.5;
    double balance = balanced * (positive * alpha + (1.0 - positive) * (1.0 - alpha))
                     + (1.0 - balanced);
    double scale = balance * modulator;
    double curvature = u * (2.0 * gamma + 1.0) + gamma * log_term * bl_max(gamma * q - u, 0.0);
    *g = -s * scale * (gamma * q * log_term + u);
    *h = scale * q * curvature;
}

BL_INLINE void bl_focal(double y, double r, const double *p, double *g, double *h) {
    bl_focal_with(y, r, p, g, h, 0);
}

BL_INLINE void bl_focal_power(double y, double r, const double *p, double *g, double *h) {
    bl_focal_with(y, r, p, g, h, 1);
}

/* p = (floor,): slack = max(0, 1 - s raw); grad -2 s slack; hess 2 inside, floor outside */
BL_INLINE void bl_squared_hinge(double y, double r, const double *p, double *g, double *h) {
    double s = 2.0 * y - 1.0, floor = p[0];
    double slack = bl_max(0.0, 1.0 - s * r);
    double inside = slack > 0;  /* 0/1 arithmetic: GCC kept a branch for the select */
    *g = -2.0 * s * slack;
    *h = inside * 2.0 + (1.0 - inside) * floor;
}

/* p = (floor,): pieces m >= 1, 0 < m < 1, m <= 0 of the margin m = s raw */
BL_INLINE void bl_smooth_hinge(double y, double r, const double *p, double *g, double *h) {
    double s = 2.0 * y - 1.0, m = s * r, floor = p[0];
    double middle = (m > 0.0) & (m < 1.0);
    double low = m <= 0.0;
    *g = s * (middle * (m - 1.0) - low);
    *h = middle + (1.0 - middle) * floor;
}

/* ------------------------------------------------------------------------- the loops */
/* BL_SEPARABLE(loss, RAW, OUT): bl_<loss>_<RAW><OUT>(y, raw, w, grad, hess, n, p) over
 * contiguous vectors; w NULL without sample weights. Returns nonzero if a stored value is
 * not finite. */
#define BL_SEPARABLE(LOSS, RAW_T, OUT_T, OUT, SUFFIX)                                       \
    BL_CLONES static int bl_##LOSS##_##SUFFIX(                                              \
        const double *restrict y, const RAW_T *restrict raw, const double *restrict w,      \
        OUT_T *restrict grad, OUT_T *restrict hess, ptrdiff_t n, const double *restrict p) { \
        BL_FLAG_##OUT flag = 0;                                                             \
        double g, h;                                                                        \
        if (w) {                                                                            \
            for (ptrdiff_t i = 0; i < n; i++) {                                             \
                bl_##LOSS(y[i], (double)raw[i], p, &g, &h);                                 \
                flag |= bl_store_w##OUT(grad, hess, i, g, h, w[i]);                         \
            }                                                                               \
        } else {                                                                            \
            for (ptrdiff_t i = 0; i < n; i++) {                                             \
                bl_##LOSS(y[i], (double)raw[i], p, &g, &h);                                 \
                flag |= bl_store_##OUT(grad, hess, i, g, h);                                \
            }                                                                               \
        }                                                                                   \
        return (flag & BL_TOP_BIT_##OUT) != 0;                                              \
    }

/* BL_COLUMNS(loss, RAW, OUT): the same over an (n, k) array of any strides (in elements),
 * one column at a time: y[i * y_rs + j * y_cs] (y_cs = 0: one label per row), the column's
 * parameters at p + j * p_cs (p_cs = 0: shared). */
/* the loop over one element (i, j); STORE is the store call */
#define BL_COLUMNS_ELEMENT(LOSS, ...)                                                        \
    {                                                                                        \
        ptrdiff_t at = i * out_rs + j * out_cs;                                              \
        bl_##LOSS(y[i * y_rs + j * y_cs], (double)raw[i * raw_rs + j * raw_cs], p + j * p_cs, \
                  &g, &h);                                                                   \
        flag |= __VA_ARGS__;                                                                 \
    }
/* column by column (class-major, LightGBM), or row by row when the rows are contiguous
 * (C order, XGBoost): the inner loop runs over contiguous elements either way */
#define BL_COLUMNS_LOOP(LOSS, OUT, ...)                                                           \
    if (out_cs == 1 && raw_cs == 1 && y_cs == 1 && p_cs == 0 && out_rs == k && raw_rs == k    \
        && y_rs == k && !w) {                                                                \
        /* C-contiguous, shared parameters, no weights: one flat contiguous loop */           \
        for (ptrdiff_t i = 0; i < n * k; i++) {                                              \
            bl_##LOSS(y[i], (double)raw[i], p, &g, &h);                                      \
            flag |= bl_store_##OUT(grad, hess, i, g, h);                                     \
        }                                                                                    \
    } else if (out_cs == 1 && raw_cs == 1 && out_rs != 1) {                                  \
        for (ptrdiff_t i = 0; i < n; i++)                                                    \
            for (ptrdiff_t j = 0; j < k; j++) BL_COLUMNS_ELEMENT(LOSS, __VA_ARGS__)          \
    } else {                                                                                 \
        for (ptrdiff_t j = 0; j < k; j++)                                                    \
            for (ptrdiff_t i = 0; i < n; i++) BL_COLUMNS_ELEMENT(LOSS, __VA_ARGS__)          \
    }

#define BL_COLUMNS(LOSS, RAW_T, OUT_T, OUT, SUFFIX)                                          \
    BL_CLONES static int bl_##LOSS##_columns_##SUFFIX(                                       \
        const double *restrict y, ptrdiff_t y_rs, ptrdiff_t y_cs,                            \
        const RAW_T *restrict raw, ptrdiff_t raw_rs, ptrdiff_t raw_cs,                       \
        const double *restrict w, OUT_T *restrict grad, OUT_T *restrict hess,                \
        ptrdiff_t out_rs, ptrdiff_t out_cs, ptrdiff_t n, ptrdiff_t k,                        \
        const double *restrict p, ptrdiff_t p_cs) {                                          \
        BL_FLAG_##OUT flag = 0;                                                              \
        double g, h;                                                                         \
        if (w) {                                                                             \
            BL_COLUMNS_LOOP(LOSS, OUT, bl_store_w##OUT(grad, hess, at, g, h, w[i]))          \
        } else {                                                                             \
            BL_COLUMNS_LOOP(LOSS, OUT, bl_store_##OUT(grad, hess, at, g, h))                 \
        }                                                                                    \
        return (flag & BL_TOP_BIT_##OUT) != 0;                                               \
    }

#define BL_ALL_DTYPES(MACRO, LOSS)        \
    MACRO(LOSS, float, float, f, ff)      \
    MACRO(LOSS, float, double, d, fd)     \
    MACRO(LOSS, double, float, f, df)     \
    MACRO(LOSS, double, double, d, dd)

/* the separable losses, in the order of enum bl_kernel */
#define BL_SEPARABLE_LOSSES(X)                                                    \
    X(squared_error) X(absolute_error) X(huber) X(smooth_l1) X(pseudo_huber)      \
    X(log_cosh) X(fair) X(expectile) X(poisson) X(gamma) X(tweedie) X(logistic)   \
    X(focal) X(focal_power) X(squared_hinge) X(smooth_hinge)
/* column losses: quantile (every level at once), logistic (multilabel, per-label pos_weight) */
#define BL_COLUMN_LOSSES(X) X(quantile) X(logistic)

#define BL_DEFINE_SEPARABLE(LOSS) BL_ALL_DTYPES(BL_SEPARABLE, LOSS)
#define BL_DEFINE_COLUMNS(LOSS) BL_ALL_DTYPES(BL_COLUMNS, LOSS)
BL_SEPARABLE_LOSSES(BL_DEFINE_SEPARABLE)
BL_COLUMN_LOSSES(BL_DEFINE_COLUMNS)

#define BL_ENUM(LOSS) BL_##LOSS,
#define BL_COLUMN_ENUM(LOSS) BL_COLUMN_##LOSS,
#define BL_NAME(LOSS) #LOSS,
enum bl_separable_kernel { BL_SEPARABLE_LOSSES(BL_ENUM) BL_SEPARABLE_COUNT };
enum bl_column_kernel { BL_COLUMN_LOSSES(BL_COLUMN_ENUM) BL_COLUMN_COUNT };
static const char *const BL_SEPARABLE_NAMES[] = {BL_SEPARABLE_LOSSES(BL_NAME)};
static const char *const BL_COLUMN_NAMES[] = {BL_COLUMN_LOSSES(BL_NAME)};

/* Function tables: [kernel][raw is float64][output is float64], called through void
 * pointers (the Cython side checks the dtypes). */
typedef int (*bl_separable_fn)(const double *, const void *, const double *, void *, void *,
                               ptrdiff_t, const double *);
typedef int (*bl_columns_fn)(const double *, ptrdiff_t, ptrdiff_t, const void *, ptrdiff_t,
                             ptrdiff_t, const double *, void *, void *, ptrdiff_t, ptrdiff_t,
                             ptrdiff_t, ptrdiff_t, const double *, ptrdiff_t);

#define BL_SEPARABLE_ROW(LOSS)                                                            \
    {{(bl_separable_fn)bl_##LOSS##_ff, (bl_separable_fn)bl_##LOSS##_fd},                  \
     {(bl_separable_fn)bl_##LOSS##_df, (bl_separable_fn)bl_##LOSS##_dd}},
#define BL_COLUMNS_ROW(LOSS)                                                              \
    {{(bl_columns_fn)bl_##LOSS##_columns_ff, (bl_columns_fn)bl_##LOSS##_columns_fd},      \
     {(bl_columns_fn)bl_##LOSS##_columns_df, (bl_columns_fn)bl_##LOSS##_columns_dd}},

static const bl_separable_fn BL_SEPARABLE_TABLE[BL_SEPARABLE_COUNT][2][2] = {
    BL_SEPARABLE_LOSSES(BL_SEPARABLE_ROW)};
static const bl_columns_fn BL_COLUMNS_TABLE[BL_COLUMN_COUNT][2][2] = {
    BL_COLUMN_LOSSES(BL_COLUMNS_ROW)};

BL_INLINE int bl_run_separable(int kernel, int raw_double, int out_double,
                                   const double *y, const void *raw, const double *w,
                                   void *grad, void *hess, ptrdiff_t n, const double *p) {
    return BL_SEPARABLE_TABLE[kernel][raw_double][out_double](y, raw, w, grad, hess, n, p);
}

BL_INLINE int bl_run_columns(int kernel, int raw_double, int out_double, const double *y,
                                 ptrdiff_t y_rs, ptrdiff_t y_cs, const void *raw,
                                 ptrdiff_t raw_rs, ptrdiff_t raw_cs, const double *w,
                                 void *grad, void *hess, ptrdiff_t out_rs, ptrdiff_t out_cs,
                                 ptrdiff_t n, ptrdiff_t k, const double *p, ptrdiff_t p_cs) {
    return BL_COLUMNS_TABLE[kernel][raw_double][out_double](
        y, y_rs, y_cs, raw, raw_rs, raw_cs, w, grad, hess, out_rs, out_cs, n, k, p, p_cs);
}

#endif
