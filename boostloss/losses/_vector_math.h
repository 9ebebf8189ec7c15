/* Branch-free exp, expm1, log and log1p in float64 that compilers vectorise.
 *
 * libm's exp is a function call per element, which stops a loop from being vectorised; these
 * are inline, use only +, *, /, comparisons selected without branches and integer bit
 * operations on the float64 representation, so a loop that calls them runs 4 (AVX2) or 8
 * (AVX-512) elements at once. Accuracy (tests/test_compiled.py checks the kernels built on
 * them against the numpy reference):
 *
 *   bl_exp    within 1 ulp on the normal range; inf above 709.78, gradual underflow to 0
 *             below -708.4 (subnormals within 1 ulp of the subnormal spacing), NaN -> NaN.
 *   bl_expm1  within 2 ulp; x + x^2/2 + ... on |x| < 0.35 (no cancellation), exp(x) - 1 else.
 *   bl_log    within 2 ulp for x > 0 (subnormals included); log(0) = -inf, log(inf) = inf,
 *             x < 0 or NaN -> NaN.
 *   bl_log1p  within 2 ulp for x >= -1 (Goldberg's correction of log(1 + x));
 *             bl_log1p_unit the same for x in [0, 1] only.
 *
 * Method: exp(x) = 2^k exp(r), k = round(x / ln 2), r = x - k ln 2 (Cody-Waite, two-part
 * ln 2), |r| <= 0.347, exp(r) by its Taylor series to degree 13 (truncation < 1e-17); 2^k is
 * built as 2^k1 * 2^k2 (k1 = k / 2) so that both factors are normal numbers over the whole
 * range. log(x) = e ln 2 + log(m), x = m 2^e with m in [sqrt(1/2), sqrt(2)),
 * log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.172, series to s^21.
 * Rounding to an integer uses the 1.5 * 2^52 shifter (exact for |v| < 2^51); the compiler
 * may not fold it away because these files are not built with -ffast-math.
 */
#ifndef BOOSTLOSS_VECTOR_MATH_H
#define BOOSTLOSS_VECTOR_MATH_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* Always inlined: GCC does not inline a function compiled for the baseline into one cloned
 * for AVX2 / AVX-512 (BL_CLONES in _loops.h) unless told to, and a call in a loop stops its
 * vectorisation. */
#if defined(__GNUC__)
#define BL_INLINE static inline __attribute__((always_inline))
#else
#define BL_INLINE static inline
#endif

BL_INLINE double bl_from_bits(uint64_t u) { double d; memcpy(&d, &u, sizeof d); return d; }
BL_INLINE uint64_t bl_bits(double d) { uint64_t u; memcpy(&u, &d, sizeof u); return u; }
BL_INLINE uint32_t bl_bits32(float f) { uint32_t u; memcpy(&u, &f, sizeof u); return u; }

#define BL_SHIFTER 0x1.8p52

/* max and min as Cython writes them: the first argument unless the second is strictly
 * larger (smaller), so a NaN first argument propagates. */
BL_INLINE double bl_max(double a, double b) { return b > a ? b : a; }
BL_INLINE double bl_min(double a, double b) { return b < a ? b : a; }

/* 2^k for an integer-valued k in [-1022, 1023] */
BL_INLINE double bl_pow2(double k) {
    return bl_from_bits(bl_bits(k + (BL_SHIFTER + 1023.0)) << 52);
}

/* (exp(x) - 1) / x = sum_k x^k / (k + 1)!, k = 0..12, by Horner: exp(r) = 1 + r q(r) on
 * |r| <= 0.347 (truncation < 1e-17), expm1(x) = x q(x) on |x| < 0.35 */
BL_INLINE double bl_exp_series(double x) {
    double q = 1.0 / 6227020800.0;
    q = q * x + 1.0 / 479001600.0;
    q = q * x + 1.0 / 39916800.0;
    q = q * x + 1.0 / 3628800.0;
    q = q * x + 1.0 / 362880.0;
    q = q * x + 1.0 / 40320.0;
    q = q * x + 1.0 / 5040.0;
    q = q * x + 1.0 / 720.0;
    q = q * x + 1.0 / 120.0;
    q = q * x + 1.0 / 24.0;
    q = q * x + 1.0 / 6.0;
    q = q * x + 0.5;
    return q * x + 1.0;
}

BL_INLINE double bl_exp(double x) {
    double xc = x < -746.0 ? -746.0 : x;  /* NaN fails both comparisons and stays NaN */
    xc = xc > 710.0 ? 710.0 : xc;
    double k = (xc * 0x1.71547652b82fep0 + BL_SHIFTER) - BL_SHIFTER;  /* round(x / ln 2) */
    double r = xc - k * 0x1.62e42fefa3800p-1;  /* ln 2, high part: k * it is exact */
    r = r - k * 0x1.ef35793c76730p-45;          /* ln 2, low part */
    double p = bl_exp_series(r) * r + 1.0;
    double k1 = (k * 0.5 + BL_SHIFTER) - BL_SHIFTER;
    return p * bl_pow2(k1) * bl_pow2(k - k1);
}

BL_INLINE double bl_expm1(double x) {
    double large = bl_exp(x) - 1.0;
    return fabs(x) < 0.35 ? x * bl_exp_series(x) : large;
}

/* log(m) for m in [sqrt(1/2), sqrt(2)]: 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.172,
 * series to s^21 */
BL_INLINE double bl_log_reduced(double m) {
    double s = (m - 1.0) / (m + 1.0);
    double z = s * s;
    double t = 1.0 / 21.0;
    t = t * z + 1.0 / 19.0;
    t = t * z + 1.0 / 17.0;
    t = t * z + 1.0 / 15.0;
    t = t * z + 1.0 / 13.0;
    t = t * z + 1.0 / 11.0;
    t = t * z + 1.0 / 9.0;
    t = t * z + 1.0 / 7.0;
    t = t * z + 1.0 / 5.0;
    t = t * z + 1.0 / 3.0;
    return 2.0 * s + 2.0 * s * z * t;
}

BL_INLINE double bl_log(double x) {
    int tiny = x < DBL_MIN;
    double scaled = tiny ? x * 0x1p54 : x;  /* subnormals: normalise first */
    uint64_t bits = bl_bits(scaled);
    /* the biased exponent as a double, without an int64 -> double conversion */
    double e = bl_from_bits((bits >> 52) | 0x4330000000000000ULL) - (0x1p52 + 1023.0);
    double m = bl_from_bits((bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
    int above = m > 0x1.6a09e667f3bcdp0;  /* sqrt(2) */
    m = above ? 0.5 * m : m;
    e = e + (above ? 1.0 : 0.0) - (tiny ? 54.0 : 0.0);
    double log_m = bl_log_reduced(m);
    double result = e * 0x1.62e42fefa3800p-1 + (log_m + e * 0x1.ef35793c76730p-45);
    result = x == 0.0 ? -INFINITY : result;
    result = x == INFINITY ? INFINITY : result;
    return (x < 0.0) | (x != x) ? NAN : result;
}

BL_INLINE double bl_log1p(double x) {
    double u = 1.0 + x;
    /* log(u) misses what rounding 1 + x lost: add it back, (x - (u - 1)) / u */
    double corrected = bl_log(u) + (x - (u - 1.0)) / u;
    return u == 1.0 ? x : (u == INFINITY ? INFINITY : corrected);
}

/* log1p(x) for x in [0, 1] (NaN -> NaN): the general bl_log1p without its special cases,
 * whose selects kept loops such as the focal loss's from vectorising. 1 + x is in [1, 2]:
 * halved above sqrt(2). */
BL_INLINE double bl_log1p_unit_with(double x, double inverse_u);

BL_INLINE double bl_log1p_unit(double x) {
    return bl_log1p_unit_with(x, 1.0 / (1.0 + x));
}

/* the same, given 1 / (1 + x) (a caller that has it saves a division) */
BL_INLINE double bl_log1p_unit_with(double x, double inverse_u) {
    double u = 1.0 + x;
    double above = u > 0x1.6a09e667f3bcdp0;
    double m = u * (1.0 - 0.5 * above);
    double log_u = above * 0x1.62e42fefa3800p-1 + (bl_log_reduced(m)
                                                  + above * 0x1.ef35793c76730p-45);
    double corrected = log_u + (x - (u - 1.0)) * inverse_u;
    return u == 1.0 ? x : corrected;
}

/* x^a for x >= 0 (x^0 = 1, 0^a = 0 for a > 0) */
BL_INLINE double bl_pow(double x, double a) {
    return a == 0.0 ? 1.0 : bl_exp(a * bl_log(x));
}

#endif
