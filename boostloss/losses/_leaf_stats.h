/* Leaf renewal helpers (boostloss/lightgbm/_renewal.py): compiled twins of its numpy
 * ``assign_leaves`` and unweighted ``leaf_quantiles``, which ran every boosting round of an
 * absolute_error / quantile model on every row. Results are identical to the numpy ones
 * (tests/test_lightgbm_renewal.py holds them equal).
 */
#ifndef BOOSTLOSS_LEAF_STATS_H
#define BOOSTLOSS_LEAF_STATS_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "_loops.h" /* BL_CLONES */

/* Each row's leaf from the change of its score: the sorted leaf value nearest to delta[i]
 * (ties between two neighbours go to the lower one, as numpy's version; found by counting
 * the values below delta[i] for up to 64 leaves, else a binary search), leaf[i] =
 * order[nearest], or -1 where that value is tied with another leaf (tied[nearest] = 1, else 0).
 * Rows farther than ``tolerance`` from every value are counted; *worst gets the one farthest
 * away (or the first NaN). Returns the count of such rows. */
#define BL_ASSIGN_BLOCK 1024

BL_CLONES static ptrdiff_t bl_assign_leaves(
    const double *restrict delta, ptrdiff_t n, const double *restrict sorted_values,
    const int64_t *restrict order, const int64_t *restrict tied, ptrdiff_t n_leaves,
    double tolerance, int64_t *restrict leaf, ptrdiff_t *worst) {
    ptrdiff_t unmatched = 0;
    double worst_distance = -1.0;
    ptrdiff_t position[BL_ASSIGN_BLOCK];
    *worst = -1;
    for (ptrdiff_t i0 = 0; i0 < n; i0 += BL_ASSIGN_BLOCK) {
        ptrdiff_t nb = n - i0 < BL_ASSIGN_BLOCK ? n - i0 : BL_ASSIGN_BLOCK;
        const double *d = delta + i0;
        /* position = the first index whose value is >= d (numpy searchsorted, side left) */
        if (n_leaves <= 64) {  /* count the values below d, leaf by leaf over the block's
                                * rows: vectorised across rows, no branches */
            double count[BL_ASSIGN_BLOCK]; /* counted in doubles: the lanes of d's compares */
            for (ptrdiff_t b = 0; b < nb; b++) count[b] = 0.0;
            for (ptrdiff_t j = 0; j < n_leaves; j++) {
                double value = sorted_values[j];
                for (ptrdiff_t b = 0; b < nb; b++) count[b] += value < d[b];
            }
            for (ptrdiff_t b = 0; b < nb; b++) position[b] = (ptrdiff_t)count[b];
        } else {
            for (ptrdiff_t b = 0; b < nb; b++) {
                ptrdiff_t base = 0, size = n_leaves;
                while (size > 1) {
                    ptrdiff_t half = size / 2;
                    base = sorted_values[base + half] < d[b] ? base + half : base;
                    size -= half;
                }
                position[b] = base + (sorted_values[base] < d[b]);
            }
        }
        int any_unmatched = 0;
        for (ptrdiff_t b = 0; b < nb; b++) {  /* no branches: vectorised (gathers) */
            ptrdiff_t right = position[b] < n_leaves - 1 ? position[b] : n_leaves - 1;
            ptrdiff_t left = position[b] - 1 > 0 ? position[b] - 1 : 0;
            double to_left = fabs(d[b] - sorted_values[left]);
            double to_right = fabs(d[b] - sorted_values[right]);
            ptrdiff_t nearest = to_left <= to_right ? left : right;
            any_unmatched |= !(fabs(d[b] - sorted_values[nearest]) <= tolerance);
            int64_t is_tied = tied[nearest]; /* 0/1, int64: gathered like order (no byte gathers) */
            leaf[i0 + b] = order[nearest] * (1 - is_tied) - is_tied;
        }
        if (any_unmatched) {  /* rare (the caller raises): count them, find the worst */
            for (ptrdiff_t b = 0; b < nb; b++) {
                ptrdiff_t right = position[b] < n_leaves - 1 ? position[b] : n_leaves - 1;
                ptrdiff_t left = position[b] - 1 > 0 ? position[b] - 1 : 0;
                double distance = fmin(fabs(d[b] - sorted_values[left]),
                                       fabs(d[b] - sorted_values[right]));
                if (!(distance <= tolerance)) {
                    unmatched++;
                    double rank = distance == distance ? distance : INFINITY; /* NaN: worst */
                    if (rank > worst_distance) {
                        worst_distance = rank;
                        *worst = i0 + b;
                    }
                }
            }
        }
    }
    return unmatched;
}

static void bl_swap(double *a, double *b) {
    double t = *a;
    *a = *b;
    *b = t;
}

static int bl_compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Rearrange values[left..right] so that values[k] is the k-th smallest, everything before it
 * <= and after it >= (Floyd and Rivest's SELECT, 1975: on ranges above 600 values it first
 * selects within a sample around k, so that the pivot lands next to k and the partition
 * leaves a short range: about 1.5 n comparisons instead of quickselect's 3.4 n). Ranges that
 * are still open after 64 partitions are sorted: O(n log n) at worst. */
static void bl_select_range(double *values, ptrdiff_t left, ptrdiff_t right, ptrdiff_t k,
                            int depth) {
    int partitions = 0;
    while (right > left) {
        if (++partitions > 64 || depth > 16) {
            qsort(values + left, (size_t)(right - left + 1), sizeof(double), bl_compare_doubles);
            return;
        }
        if (right - left > 600) {
            double n = (double)(right - left + 1), i = (double)(k - left + 1);
            double z = log(n), s = 0.5 * exp(2.0 * z / 3.0);
            double sd = 0.5 * sqrt(z * s * (n - s) / n) * (i - n / 2 < 0 ? -1.0 : 1.0);
            double low = floor((double)k - i * s / n + sd);
            double high = floor((double)k + (n - i) * s / n + sd);
            ptrdiff_t new_left = low > (double)left ? (ptrdiff_t)low : left;
            ptrdiff_t new_right = high < (double)right ? (ptrdiff_t)high : right;
            bl_select_range(values, new_left, new_right, k, depth + 1);
        }
        double pivot = values[k];
        ptrdiff_t i = left, j = right;
        bl_swap(&values[left], &values[k]);
        if (values[right] > pivot) bl_swap(&values[right], &values[left]);
        while (i < j) {
            bl_swap(&values[i], &values[j]);
            i++;
            j--;
            while (values[i] < pivot) i++;
            while (values[j] > pivot) j--;
        }
        if (values[left] == pivot) {
            bl_swap(&values[left], &values[j]);
        } else {
            j++;
            bl_swap(&values[j], &values[right]);
        }
        if (j <= k) left = j + 1;
        if (k <= j) right = j - 1;
    }
}

static void bl_select(double *values, ptrdiff_t n, ptrdiff_t k) {
    bl_select_range(values, 0, n - 1, k, 0);
}

/* LightGBM's percentile of n values (boostloss.lightgbm._renewal.unweighted_quantile):
 * float_pos = (1 - level32) (n - 1), pos = int(float_pos) + 1; the pos-th and (pos+1)-th
 * largest interpolated with weight float_pos - (pos - 1); min if pos >= n. Reorders values. */
static double bl_lightgbm_percentile(double *values, ptrdiff_t n, double level) {
    if (n <= 1) return values[0];
    double float_pos = (1.0 - (double)(float)level) * (double)(n - 1);
    ptrdiff_t pos = (ptrdiff_t)float_pos + 1;
    if (pos >= n) {
        double smallest = values[0];
        for (ptrdiff_t i = 1; i < n; i++) smallest = values[i] < smallest ? values[i] : smallest;
        return smallest;
    }
    double bias = float_pos - (double)(pos - 1);
    ptrdiff_t k = n - pos;  /* the pos-th largest is the (n - pos)-th smallest, 0-based */
    bl_select(values, n, k);
    double upper = values[k], lower = values[0];
    for (ptrdiff_t i = 1; i < k; i++) lower = values[i] > lower ? values[i] : lower;
    return upper - (upper - lower) * bias;
}

/* Per leaf, LightGBM's percentile of the residuals of its rows (leaf[i] < 0: ignored);
 * NaN for a leaf without rows. Returns 0, or -1 if memory ran out. */
static int bl_leaf_percentiles(const double *residual, const int64_t *leaf, ptrdiff_t n,
                               ptrdiff_t n_leaves, double level, double *out) {
    ptrdiff_t *start = calloc((size_t)n_leaves + 1, sizeof(ptrdiff_t));
    double *grouped = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    ptrdiff_t *fill = malloc((size_t)(n_leaves > 0 ? n_leaves : 1) * sizeof(ptrdiff_t));
    if (start == NULL || grouped == NULL || fill == NULL) {
        free(start);
        free(grouped);
        free(fill);
        return -1;
    }
    for (ptrdiff_t i = 0; i < n; i++)
        if (leaf[i] >= 0 && leaf[i] < n_leaves) start[leaf[i] + 1]++;
    for (ptrdiff_t j = 0; j < n_leaves; j++) {
        start[j + 1] += start[j];
        fill[j] = start[j];
    }
    for (ptrdiff_t i = 0; i < n; i++)  /* counting sort: rows keep their order in a leaf */
        if (leaf[i] >= 0 && leaf[i] < n_leaves) grouped[fill[leaf[i]]++] = residual[i];
    for (ptrdiff_t j = 0; j < n_leaves; j++) {
        ptrdiff_t count = start[j + 1] - start[j];
        out[j] = count ? bl_lightgbm_percentile(grouped + start[j], count, level) : NAN;
    }
    free(start);
    free(grouped);
    free(fill);
    return 0;
}

#endif
