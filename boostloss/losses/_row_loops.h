/* Compiled loops of the losses that are not separable: softmax (a row at a time) and the
 * overlap losses Dice/Tversky (sums over all rows first). Same conventions as _loops.h:
 * float64 math, weights multiplied in, the Hessian floor, one rounding to the output dtype,
 * a returned flag for non-finite stored values, no threads.
 *
 * Softmax runs on blocks of rows: every per-row quantity (max, sum of exponentials, ...)
 * lives in an array over the block's rows, and each pass over the k columns updates the whole
 * block, so the inner loops run over rows and vectorise for either layout (C order from
 * XGBoost, class-major from LightGBM); exp(raw - max) of the block is kept in the scratch
 * array passed in (block * (k + 8) doubles, see bl_softmax_scratch_size).
 */
#ifndef BOOSTLOSS_ROW_LOOPS_H
#define BOOSTLOSS_ROW_LOOPS_H

#include "_loops.h"

/* rows per block: the block's exponentials (k * block doubles) stay within 512 KiB */
BL_INLINE ptrdiff_t bl_softmax_block(ptrdiff_t k) {
    ptrdiff_t block = 65536 / (k > 0 ? k : 1);
    return block > 256 ? 256 : (block < 1 ? 1 : block);
}

BL_INLINE ptrdiff_t bl_softmax_scratch_size(ptrdiff_t k) {
    return bl_softmax_block(k) * (k + 8);
}

/* Per block of rows b < nb starting at row i0: top[b] = max_j raw, s[j * block + b] =
 * exp(raw - top) (max-shifted: no overflow), total[b] = sum_j s. */
#define BL_SOFTMAX_EXPONENTIALS()                                                       \
    for (ptrdiff_t b = 0; b < nb; b++) top[b] = (double)raw[(i0 + b) * raw_rs];        \
    for (ptrdiff_t j = 1; j < k; j++)                                                   \
        for (ptrdiff_t b = 0; b < nb; b++)                                              \
            top[b] = bl_max(top[b], (double)raw[(i0 + b) * raw_rs + j * raw_cs]);      \
    for (ptrdiff_t b = 0; b < nb; b++) total[b] = 0.0;                                  \
    for (ptrdiff_t j = 0; j < k; j++)                                                   \
        for (ptrdiff_t b = 0; b < nb; b++) {                                            \
            double e = bl_exp((double)raw[(i0 + b) * raw_rs + j * raw_cs] - top[b]);    \
            s[j * block + b] = e;                                                       \
            total[b] += e;                                                              \
        }

/* the store loop over the block's elements; GRAD_HESS sets g and h for row b, column j */
#define BL_SOFTMAX_STORE(OUT, GRAD_HESS)                                                     \
    if (w) {                                                                                 \
        for (ptrdiff_t j = 0; j < k; j++)                                                    \
            for (ptrdiff_t b = 0; b < nb; b++) {                                             \
                GRAD_HESS                                                                    \
                flag |= bl_store_w##OUT(grad, hess, (i0 + b) * out_rs + j * out_cs, g, h,     \
                                        w[i0 + b]);                                          \
            }                                                                                \
    } else {                                                                                 \
        for (ptrdiff_t j = 0; j < k; j++)                                                    \
            for (ptrdiff_t b = 0; b < nb; b++) {                                             \
                GRAD_HESS                                                                    \
                flag |= bl_store_##OUT(grad, hess, (i0 + b) * out_rs + j * out_cs, g, h);    \
            }                                                                                \
    }

#define BL_SOFTMAX_ARGUMENTS(RAW_T, OUT_T)                                                   \
    const double *restrict y, const RAW_T *restrict raw, ptrdiff_t raw_rs, ptrdiff_t raw_cs,  \
        const double *restrict w, OUT_T *restrict grad, OUT_T *restrict hess,                 \
        ptrdiff_t out_rs, ptrdiff_t out_cs, ptrdiff_t n, ptrdiff_t k,                         \
        const double *restrict class_weight, double *restrict scratch

/* Softmax cross-entropy with class weights c and label smoothing eps (target
 * (1 - eps) 1{j = y} + eps / k); p = softmax(raw). With scale = (1 - eps) c_y + (eps / k) C
 * (C = sum_j c_j): grad_j = scale p_j - (eps / k) c_j, except at the label
 * grad_y = -scale (1 - p_y) + (eps / k) (C - c_y), 1 - p_y summed from the other classes;
 * hess_j = factor scale p_j (1 - p_j) (factor: 1 exact, 2 XGBoost's, k / (k - 1) LightGBM's). */
#define BL_SOFTMAX_CE(RAW_T, OUT_T, OUT, SUFFIX)                                              \
    BL_CLONES static int bl_softmax_cross_entropy_##SUFFIX(                                   \
        BL_SOFTMAX_ARGUMENTS(RAW_T, OUT_T), double eps, double factor) {  /* a, b */            \
        BL_FLAG_##OUT flag = 0;                                                               \
        ptrdiff_t block = bl_softmax_block(k);                                                \
        double *top = scratch, *total = scratch + block, *others = scratch + 2 * block;       \
        double *scale = scratch + 3 * block, *s = scratch + 8 * block;                        \
        double c_total = 0.0, spread = eps / (double)k, g, h;                                 \
        for (ptrdiff_t j = 0; j < k; j++) c_total += class_weight[j];                         \
        for (ptrdiff_t i0 = 0; i0 < n; i0 += block) {                                         \
            ptrdiff_t nb = n - i0 < block ? n - i0 : block;                                   \
            BL_SOFTMAX_EXPONENTIALS()                                                         \
            for (ptrdiff_t b = 0; b < nb; b++) others[b] = 0.0;                               \
            for (ptrdiff_t j = 0; j < k; j++)                                                 \
                for (ptrdiff_t b = 0; b < nb; b++)                                            \
                    others[b] += y[i0 + b] != (double)j ? s[j * block + b] : 0.0;             \
            for (ptrdiff_t b = 0; b < nb; b++) {                                              \
                total[b] = 1.0 / total[b]; /* from here on: its inverse */                    \
                others[b] *= total[b];                                                        \
                scale[b] = (1.0 - eps) * class_weight[(ptrdiff_t)y[i0 + b]]                   \
                           + spread * c_total;                                                \
            }                                                                                 \
            BL_SOFTMAX_STORE(OUT, {                                                           \
                double p = s[j * block + b] * total[b];                                       \
                int at_label = y[i0 + b] == (double)j;                                        \
                g = at_label ? -scale[b] * others[b] + spread * (c_total - class_weight[j])   \
                             : p * scale[b] - spread * class_weight[j];                       \
                h = (at_label ? p * others[b] : p * (1.0 - p)) * (factor * scale[b]);         \
            })                                                                                \
        }                                                                                     \
        return (flag & BL_TOP_BIT_##OUT) != 0;                                                \
    }

/* Softmax focal loss, t = p_y, FL = -c_y (1 - t)^gamma log t. log t = (raw_y - max) -
 * log1p(the terms beside the largest, whose term is exactly 1): relative precision as t -> 1.
 * 1 - t is summed from the other classes. With ratio = t log t / (1 - t) (-1 at t = 1):
 * slope = c (1 - t)^gamma (1 - gamma ratio), grad_j = -slope (1{j = y} - p_j),
 * hess_j = slope p_j (1 - p_j) + max(curv ((1{j = y} - p_j) / (1 - t))^2, 0),
 * curv = gamma c t (1 - t)^(gamma + 1) (2 + log t - (gamma - 1) ratio). */
#define BL_SOFTMAX_FOCAL(RAW_T, OUT_T, OUT, SUFFIX)                                           \
    BL_CLONES static int bl_softmax_focal_##SUFFIX(                                           \
        BL_SOFTMAX_ARGUMENTS(RAW_T, OUT_T), double gamma, double unused) {                    \
        (void)unused;                                                                         \
        BL_FLAG_##OUT flag = 0;                                                               \
        ptrdiff_t block = bl_softmax_block(k);                                                \
        double *top = scratch, *total = scratch + block, *rest = scratch + 2 * block;         \
        double *one_minus_t = scratch + 3 * block, *slope = scratch + 4 * block;              \
        double *curvature = scratch + 5 * block, *safe = scratch + 6 * block;                 \
        double *seen_top = scratch + 7 * block, *s = scratch + 8 * block, g, h;               \
        for (ptrdiff_t i0 = 0; i0 < n; i0 += block) {                                         \
            ptrdiff_t nb = n - i0 < block ? n - i0 : block;                                   \
            BL_SOFTMAX_EXPONENTIALS()                                                         \
            for (ptrdiff_t b = 0; b < nb; b++) {                                              \
                rest[b] = 0.0;                                                                \
                one_minus_t[b] = 0.0;                                                         \
                seen_top[b] = 0.0;                                                            \
            }                                                                                 \
            for (ptrdiff_t j = 0; j < k; j++)                                                 \
                for (ptrdiff_t b = 0; b < nb; b++) {                                          \
                    double term = s[j * block + b];                                           \
                    double first_top = (term == 1.0) & (seen_top[b] == 0.0);                  \
                    seen_top[b] += first_top;                                                 \
                    rest[b] += first_top != 0.0 ? 0.0 : term;                                 \
                    one_minus_t[b] += y[i0 + b] != (double)j ? term : 0.0;                    \
                }                                                                             \
            for (ptrdiff_t b = 0; b < nb; b++) {                                              \
                ptrdiff_t label = (ptrdiff_t)y[i0 + b];                                       \
                double inverse = 1.0 / total[b];                                              \
                double log_t = ((double)raw[(i0 + b) * raw_rs + label * raw_cs] - top[b])     \
                               - bl_log1p(rest[b]);                                           \
                double t = s[label * block + b] * inverse;                                    \
                double omt = one_minus_t[b] * inverse;                                        \
                double positive = omt > 0;                                                    \
                double ratio = positive != 0.0 ? t * log_t / omt : -1.0;                      \
                double c = class_weight[label];                                               \
                total[b] = inverse;                                                           \
                one_minus_t[b] = omt;                                                         \
                safe[b] = positive != 0.0 ? omt : 1.0;                                        \
                slope[b] = c * bl_pow(omt, gamma) * (1.0 - gamma * ratio);                    \
                curvature[b] = gamma * c * t * bl_pow(omt, gamma + 1.0)                       \
                               * (2.0 + log_t - (gamma - 1.0) * ratio);                       \
            }                                                                                 \
            BL_SOFTMAX_STORE(OUT, {                                                           \
                double p = s[j * block + b] * total[b];                                       \
                double indicator_minus_p = y[i0 + b] == (double)j ? one_minus_t[b] : -p;      \
                double direction = indicator_minus_p / safe[b];                               \
                g = -slope[b] * indicator_minus_p;                                            \
                h = slope[b] * p * (1.0 - p)                                                  \
                    + bl_max(curvature[b] * direction * direction, 0.0);                      \
            })                                                                                \
        }                                                                                     \
        return (flag & BL_TOP_BIT_##OUT) != 0;                                                \
    }

/* Softmax cross-entropy against probability targets t (n, k) of any strides (y_rs, y_cs):
 * with class weights c and label smoothing eps, a_j = c_j ((1 - eps) t_j + eps / k),
 * A = sum_j a_j, p = softmax(raw): grad_j = A p_j - a_j, hess_j = factor A p_j (1 - p_j)
 * (boostloss.losses.soft.soft_cross_entropy_grad_hess; KL divergence: c = 1, eps = 0). */
#define BL_SOFTMAX_SOFT(RAW_T, OUT_T, OUT, SUFFIX)                                            \
    BL_CLONES static int bl_softmax_soft_##SUFFIX(                                            \
        const double *restrict y, ptrdiff_t y_rs, ptrdiff_t y_cs, const RAW_T *restrict raw,  \
        ptrdiff_t raw_rs, ptrdiff_t raw_cs, const double *restrict w, OUT_T *restrict grad,   \
        OUT_T *restrict hess, ptrdiff_t out_rs, ptrdiff_t out_cs, ptrdiff_t n, ptrdiff_t k,   \
        const double *restrict class_weight, double *restrict scratch, double eps,           \
        double factor) {                                                                      \
        BL_FLAG_##OUT flag = 0;                                                               \
        ptrdiff_t block = bl_softmax_block(k);                                                \
        double *top = scratch, *total = scratch + block, *mass = scratch + 2 * block;         \
        double *s = scratch + 8 * block, spread = eps / (double)k, g, h;                      \
        for (ptrdiff_t i0 = 0; i0 < n; i0 += block) {                                         \
            ptrdiff_t nb = n - i0 < block ? n - i0 : block;                                   \
            BL_SOFTMAX_EXPONENTIALS()                                                         \
            for (ptrdiff_t b = 0; b < nb; b++) mass[b] = 0.0;                                 \
            for (ptrdiff_t j = 0; j < k; j++)                                                 \
                for (ptrdiff_t b = 0; b < nb; b++)                                            \
                    mass[b] += class_weight[j]                                                \
                               * ((1.0 - eps) * y[(i0 + b) * y_rs + j * y_cs] + spread);      \
            for (ptrdiff_t b = 0; b < nb; b++) total[b] = 1.0 / total[b]; /* its inverse */   \
            BL_SOFTMAX_STORE(OUT, {                                                           \
                double p = s[j * block + b] * total[b];                                       \
                double a = class_weight[j]                                                    \
                           * ((1.0 - eps) * y[(i0 + b) * y_rs + j * y_cs] + spread);          \
                g = mass[b] * p - a;                                                          \
                h = factor * (mass[b] * p * (1.0 - p));                                       \
            })                                                                                \
        }                                                                                     \
        return (flag & BL_TOP_BIT_##OUT) != 0;                                                \
    }

/* the four (raw, output) dtype pairs of a loop macro taking (RAW_T, OUT_T, OUT, SUFFIX) */
#define BL_FOR_DTYPES(MACRO)      \
    MACRO(float, float, f, ff)    \
    MACRO(float, double, d, fd)   \
    MACRO(double, float, f, df)   \
    MACRO(double, double, d, dd)

BL_FOR_DTYPES(BL_SOFTMAX_CE)
BL_FOR_DTYPES(BL_SOFTMAX_FOCAL)
BL_FOR_DTYPES(BL_SOFTMAX_SOFT)

/* Dice (a = 2, fp = fn = 1) and Tversky (a = 1) on p = sigmoid(raw), soft counts
 * TP = sum w y p, P = sum w p, A = sum w y; N = a TP + s, D = a TP + fp (P - TP) +
 * fn (A - TP) + s, loss = 1 - N / D. With r = N / D, d loss / d p_i = ((a - fn) r - a) / D for
 * a positive row, fp r / D for a negative one; grad_i = n d loss / d p_i p_i (1 - p_i) (the
 * batch loss scaled by n to the per-row scale), hess_i = |grad_i| (Gauss-Newton surrogate). Two
 * passes: the sums (on blocks of rows, eight partial sums: vectorised), then grad/hess. */
#define BL_OVERLAP_BLOCK 1024 /* a multiple of 8 */

BL_INLINE double bl_lanes_sum(const double *lanes) {
    return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]))
           + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}
/* pass 1 on one block: p, w y and w of its rows, then four partial sums of each count */
#define BL_OVERLAP_SUMS(WEIGHT)                                                          \
    for (ptrdiff_t b = 0; b < nb; b++) {                                                 \
        double q, weight = WEIGHT;                                                       \
        double p = bl_sigmoid_pair((double)raw[i0 + b], &q);                             \
        wyp_block[b] = weight * y[i0 + b] * p;                                           \
        wp_block[b] = weight * p;                                                        \
        wy_block[b] = weight * y[i0 + b];                                                \
    }                                                                                    \
    for (ptrdiff_t b = nb; b < BL_OVERLAP_BLOCK; b++)                                    \
        wyp_block[b] = wp_block[b] = wy_block[b] = 0.0;                                  \
    /* eight lanes of partial sums: a fixed-length inner loop the compiler vectorises */  \
    for (ptrdiff_t b = 0; b < BL_OVERLAP_BLOCK; b += 8)                                  \
        for (int lane = 0; lane < 8; lane++) {                                           \
            sums[0][lane] += wyp_block[b + lane];                                        \
            sums[1][lane] += wp_block[b + lane];                                         \
            sums[2][lane] += wy_block[b + lane];                                         \
        }
#define BL_OVERLAP_GRAD_HESS(...)                                                        \
    for (ptrdiff_t i = 0; i < n; i++) {                                                  \
        /* p (1 - p) = e / (1 + e)^2 with e = exp(-|raw|), whatever the sign of raw */      \
        double e = bl_exp(-fabs((double)raw[i])), inverse = 1.0 / (1.0 + e);                \
        double positive = y[i] > 0.5; /* 0/1 arithmetic, not a branch */                  \
        g = ((e * inverse) * inverse)                                                    \
            * (positive * rows_per_positive + (1.0 - positive) * rows_per_negative);      \
        h = fabs(g);                                                                     \
        flag |= __VA_ARGS__;                                                             \
    }
#define BL_OVERLAP(RAW_T, OUT_T, OUT, SUFFIX)                                                 \
    BL_CLONES static int bl_overlap_##SUFFIX(                                                 \
        const double *restrict y, const RAW_T *restrict raw, const double *restrict w,        \
        OUT_T *restrict grad, OUT_T *restrict hess, ptrdiff_t n, double a, double fp_weight,  \
        double fn_weight, double smooth) {                                                    \
        BL_FLAG_##OUT flag = 0;                                                               \
        double wyp_block[BL_OVERLAP_BLOCK], wp_block[BL_OVERLAP_BLOCK];                       \
        double wy_block[BL_OVERLAP_BLOCK], sums[3][8] = {{0}};                                \
        for (ptrdiff_t i0 = 0; i0 < n; i0 += BL_OVERLAP_BLOCK) {                              \
            ptrdiff_t nb = n - i0 < BL_OVERLAP_BLOCK ? n - i0 : BL_OVERLAP_BLOCK;             \
            if (w) {                                                                          \
                BL_OVERLAP_SUMS(w[i0 + b])                                                    \
            } else {                                                                          \
                BL_OVERLAP_SUMS(1.0)                                                          \
            }                                                                                 \
        }                                                                                     \
        double true_positive = bl_lanes_sum(sums[0]), predicted = bl_lanes_sum(sums[1]);      \
        double actual = bl_lanes_sum(sums[2]);                                                \
        double numerator = a * true_positive + smooth;                                        \
        double denominator = a * true_positive + fp_weight * (predicted - true_positive)      \
                             + fn_weight * (actual - true_positive) + smooth;                 \
        /* written with the ratio N / D: never N D or D^2, which overflow for smooth = 1e155 */ \
        double ratio = numerator / denominator, rows = (double)n, g, h;                       \
        double rows_per_positive = rows * ((ratio * (a - fn_weight) - a) / denominator);      \
        double rows_per_negative = rows * (ratio * fp_weight / denominator);                  \
        if (w) {                                                                              \
            BL_OVERLAP_GRAD_HESS(bl_store_w##OUT(grad, hess, i, g, h, w[i]))                  \
        } else {                                                                              \
            BL_OVERLAP_GRAD_HESS(bl_store_##OUT(grad, hess, i, g, h))                         \
        }                                                                                     \
        return (flag & BL_TOP_BIT_##OUT) != 0;                                                \
    }

BL_FOR_DTYPES(BL_OVERLAP)

/* dispatch on the dtypes: raw_double / out_double are 1 for float64, 0 for float32 */
#define BL_PICK(NAME, FN, raw_double, out_double)                                     \
    ((raw_double) ? ((out_double) ? (FN)NAME##_dd : (FN)NAME##_df)                    \
                  : ((out_double) ? (FN)NAME##_fd : (FN)NAME##_ff))

enum bl_softmax_kernel { BL_SOFTMAX_CROSS_ENTROPY, BL_SOFTMAX_FOCAL };

/* kind BL_SOFTMAX_CROSS_ENTROPY: (a, b) = (eps, factor); BL_SOFTMAX_FOCAL: a = gamma */
BL_INLINE int bl_run_softmax(
    int kind, int raw_double, int out_double, const double *y, const void *raw,
    ptrdiff_t raw_rs, ptrdiff_t raw_cs, const double *w, void *grad, void *hess,
    ptrdiff_t out_rs, ptrdiff_t out_cs, ptrdiff_t n, ptrdiff_t k, const double *class_weight,
    double *scratch, double a, double b) {
    typedef int (*fn)(const double *, const void *, ptrdiff_t, ptrdiff_t, const double *,
                      void *, void *, ptrdiff_t, ptrdiff_t, ptrdiff_t, ptrdiff_t,
                      const double *, double *, double, double);
    fn run = kind == BL_SOFTMAX_FOCAL
                 ? BL_PICK(bl_softmax_focal, fn, raw_double, out_double)
                 : BL_PICK(bl_softmax_cross_entropy, fn, raw_double, out_double);
    return run(y, raw, raw_rs, raw_cs, w, grad, hess, out_rs, out_cs, n, k, class_weight,
               scratch, a, b);
}

BL_INLINE int bl_run_softmax_soft(
    int raw_double, int out_double, const double *y, ptrdiff_t y_rs, ptrdiff_t y_cs,
    const void *raw, ptrdiff_t raw_rs, ptrdiff_t raw_cs, const double *w, void *grad,
    void *hess, ptrdiff_t out_rs, ptrdiff_t out_cs, ptrdiff_t n, ptrdiff_t k,
    const double *class_weight, double *scratch, double eps, double factor) {
    typedef int (*fn)(const double *, ptrdiff_t, ptrdiff_t, const void *, ptrdiff_t, ptrdiff_t,
                      const double *, void *, void *, ptrdiff_t, ptrdiff_t, ptrdiff_t,
                      ptrdiff_t, const double *, double *, double, double);
    fn run = BL_PICK(bl_softmax_soft, fn, raw_double, out_double);
    return run(y, y_rs, y_cs, raw, raw_rs, raw_cs, w, grad, hess, out_rs, out_cs, n, k,
               class_weight, scratch, eps, factor);
}

BL_INLINE int bl_run_overlap(int raw_double, int out_double, const double *y,
                                 const void *raw, const double *w, void *grad, void *hess,
                                 ptrdiff_t n, double a, double fp_weight, double fn_weight,
                                 double smooth) {
    typedef int (*fn)(const double *, const void *, const double *, void *, void *, ptrdiff_t,
                      double, double, double, double);
    fn run = BL_PICK(bl_overlap, fn, raw_double, out_double);
    return run(y, raw, w, grad, hess, n, a, fp_weight, fn_weight, smooth);
}

#endif
