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
 * order[nearest], or -1 where that value is tied with another leaf (tied[nearest] != 0).
 * Rows farther than ``tolerance`` from every value are counted; *worst gets the one farthest
 * away (or the first NaN). Returns the count of such rows. */
#define BL_ASSIGN_BLOCK 1024

BL_CLONES static ptrdiff_t bl_assign_leaves(
    const double *restrict delta, ptrdiff_t n, const double *restrict sorted_values,
    const int64_t *restrict order, const uint8_t *restrict tied, ptrdiff_t n_leaves,
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
            for (ptrdiff_t b = 0; b < nb; b++) position[b] = 0;
            for (ptrdiff_t j = 0; j < n_leaves; j++) {
                double value = sorted_values[j];
                for (ptrdiff_t b = 0; b < nb; b++) position[b] += value < d[b];
            }
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
        for (ptrdiff_t b = 0; b < nb; b++) {
            ptrdiff_t right = position[b] < n_leaves - 1 ? position[b] : n_leaves - 1;
            ptrdiff_t left = position[b] - 1 > 0 ? position[b] - 1 : 0;
            double to_left = fabs(d[b] - sorted_values[left]);
            double to_right = fabs(d[b] - sorted_values[right]);
            ptrdiff_t nearest = to_left <= to_right ? left : right;
            double distance = fabs(d[b] - sorted_values[nearest]);
            if (!(distance <= tolerance)) {  /* rare: the caller raises */
                unmatched++;
                double rank = distance == distance ? distance : INFINITY; /* NaN: the worst */
                if (rank > worst_distance) {
                    worst_distance = rank;
                    *worst = i0 + b;
                }
            }
            int64_t is_tied = tied[nearest] != 0; /* ties are common: arithmetic, no branch */
            leaf[i0 + b] = order[nearest] * (1 - is_tied) - is_tied;
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

/* Rearrange values[0..n) so that values[k] is the k-th smallest, everything before it <=
 * and after it >= (quickselect, median of three; after 2 log2(n) rounds without finishing,
 * sorts the rest: O(n log n) at worst). */
static void bl_select(double *values, ptrdiff_t n, ptrdiff_t k) {
    ptrdiff_t low = 0, high = n - 1;
    int budget = 2;
    for (ptrdiff_t m = n; m > 1; m >>= 1) budget += 2;
    while (high > low) {
        if (--budget < 0) {
            qsort(values + low, (size_t)(high - low + 1), sizeof(double), bl_compare_doubles);
            return;
        }
        ptrdiff_t middle = low + (high - low) / 2;
        if (values[middle] < values[low]) bl_swap(&values[middle], &values[low]);
        if (values[high] < values[low]) bl_swap(&values[high], &values[low]);
        if (values[high] < values[middle]) bl_swap(&values[high], &values[middle]);
        double pivot = values[middle];
        ptrdiff_t i = low, j = high;
        while (i <= j) {  /* Hoare partition */
            while (values[i] < pivot) i++;
            while (pivot < values[j]) j--;
            if (i <= j) {
                bl_swap(&values[i], &values[j]);
                i++;
                j--;
            }
        }
        if (k <= j)
            high = j;
        else if (k >= i)
            low = i;
        else
            return;  /* j < k < i: values[k] == pivot, in place */
    }
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
