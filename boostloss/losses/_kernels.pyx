# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Compiled grad/hess kernels: the Python face of the C loops in ``_loops.h`` (separable
losses, element-wise multi-output losses) and ``_row_loops.h`` (softmax, Dice/Tversky).

The loops make one pass each: they read raw scores (float32 as XGBoost hands them, or
float64 as LightGBM does), compute in float64 with the formulas and Hessian surrogates
documented on the loss classes (the numpy reference; ``tests/test_compiled.py`` holds the two
equal), floor the Hessian, multiply the sample weight in and write grad/hess once, in the
output arrays' dtype (float32 or float64) and layout (any strides: C order for XGBoost,
class-major for LightGBM). They are vectorised (AVX-512 / AVX2 / baseline picked at load
time), allocate nothing per element, release the GIL and start no threads: inside an engine
callback the engine's OpenMP pool owns the cores.

Every function takes (kernel or y, raw, weight, grad, hess, ...): ``weight`` is an empty
float64 array when there are no sample weights. Each returns 1 if a value it stored is not
finite (beyond the output dtype's range, or NaN), else 0, so the engines' float32 guard needs
no second pass over the outputs. ``boostloss.losses._compiled`` chooses the kernel and its
parameters from the loss object.
"""

from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc

cdef extern from "_row_loops.h" nogil:
    int BL_SEPARABLE_COUNT
    int BL_COLUMN_COUNT
    const char* BL_SEPARABLE_NAMES[]
    const char* BL_COLUMN_NAMES[]
    int bl_run_separable(int kernel, int raw_double, int out_double, const double* y,
                         const void* raw, const double* w, void* grad, void* hess,
                         Py_ssize_t n, const double* p)
    int bl_run_columns(int kernel, int raw_double, int out_double, const double* y,
                       Py_ssize_t y_rs, Py_ssize_t y_cs, const void* raw, Py_ssize_t raw_rs,
                       Py_ssize_t raw_cs, const double* w, void* grad, void* hess,
                       Py_ssize_t out_rs, Py_ssize_t out_cs, Py_ssize_t n, Py_ssize_t k,
                       const double* p, Py_ssize_t p_cs)
    Py_ssize_t bl_softmax_scratch_size(Py_ssize_t k)
    int BL_SOFTMAX_CROSS_ENTROPY
    int BL_SOFTMAX_FOCAL
    int bl_run_softmax(int kind, int raw_double, int out_double, const double* y,
                       const void* raw, Py_ssize_t raw_rs, Py_ssize_t raw_cs, const double* w,
                       void* grad, void* hess, Py_ssize_t out_rs, Py_ssize_t out_cs,
                       Py_ssize_t n, Py_ssize_t k, const double* class_weight,
                       double* scratch, double a, double b)
    int bl_run_softmax_soft(int raw_double, int out_double, const double* y, Py_ssize_t y_rs,
                            Py_ssize_t y_cs, const void* raw, Py_ssize_t raw_rs,
                            Py_ssize_t raw_cs, const double* w, void* grad, void* hess,
                            Py_ssize_t out_rs, Py_ssize_t out_cs, Py_ssize_t n, Py_ssize_t k,
                            const double* class_weight, double* scratch, double eps,
                            double factor)
    int bl_run_overlap(int raw_double, int out_double, const double* y, const void* raw,
                       const double* w, void* grad, void* hess, Py_ssize_t n, double a,
                       double fp_weight, double fn_weight, double smooth)

cdef extern from "_leaf_stats.h" nogil:
    Py_ssize_t bl_assign_leaves(const double* delta, Py_ssize_t n, const double* sorted_values,
                                const int64_t* order, const int64_t* tied,
                                Py_ssize_t n_leaves, double tolerance, int64_t* leaf,
                                Py_ssize_t* worst)
    int bl_leaf_percentiles(const double* residual, const int64_t* leaf, Py_ssize_t n,
                            Py_ssize_t n_leaves, double level, double* out)

ctypedef fused raw_t:
    float
    double

ctypedef fused out_t:
    float
    double

#: separable loss name -> kernel number (the C enum's order)
SEPARABLE = {BL_SEPARABLE_NAMES[i].decode(): i for i in range(BL_SEPARABLE_COUNT)}
#: element-wise multi-output loss name -> kernel number
COLUMNS = {BL_COLUMN_NAMES[i].decode(): i for i in range(BL_COLUMN_COUNT)}
#: every kernel reads this many parameters (unused ones are 0)
PARAMETER_COUNT = 6


cdef inline int check_lengths(Py_ssize_t n, Py_ssize_t y_n, Py_ssize_t grad_n,
                              Py_ssize_t hess_n) except -1:
    if y_n != n or grad_n != n or hess_n != n:
        raise ValueError("y, raw, grad and hess must have the same length.")
    return 0


cdef inline const double* weights(const double[::1] weight, Py_ssize_t n) except? NULL:
    if weight.shape[0] == 0:
        return NULL
    if weight.shape[0] != n:
        raise ValueError(f"weight has {weight.shape[0]} rows, expected {n}.")
    return &weight[0]


cdef inline int check_outputs(Py_ssize_t n, Py_ssize_t k, const Py_ssize_t* y_shape,
                              const Py_ssize_t* grad_shape, const Py_ssize_t* grad_strides,
                              const Py_ssize_t* hess_shape, const Py_ssize_t* hess_strides,
                              bint y_has_columns) except -1:
    """y is (n,) or (n, k); grad and hess are (n, k) with the same strides (the kernels
    address both with grad's)."""
    if (y_shape[0] != n or (y_has_columns and y_shape[1] != k) or grad_shape[0] != n
            or grad_shape[1] != k or hess_shape[0] != n or hess_shape[1] != k
            or grad_strides[0] != hess_strides[0] or grad_strides[1] != hess_strides[1]):
        raise ValueError("y, raw, grad and hess do not match in shape or layout.")
    return 0


cdef inline double* softmax_scratch(Py_ssize_t k) except NULL:
    """The softmax kernels' block scratch (``bl_softmax_scratch_size``); free() it."""
    cdef double* scratch = <double*>malloc(bl_softmax_scratch_size(k) * sizeof(double))
    if scratch == NULL:
        raise MemoryError()
    return scratch


def separable(int kernel, const double[::1] y, const raw_t[::1] raw,
              const double[::1] weight, out_t[::1] grad, out_t[::1] hess,
              const double[::1] params):
    """One separable loss over contiguous vectors; ``kernel`` from ``SEPARABLE``."""
    cdef Py_ssize_t n = raw.shape[0]
    cdef int flag
    if not 0 <= kernel < BL_SEPARABLE_COUNT or params.shape[0] < PARAMETER_COUNT:
        raise ValueError("unknown kernel or too few parameters.")
    check_lengths(n, y.shape[0], grad.shape[0], hess.shape[0])
    cdef const double* w = weights(weight, n)
    if n == 0:
        return 0
    with nogil:
        flag = bl_run_separable(kernel, raw_t is double, out_t is double, &y[0], &raw[0], w,
                                &grad[0], &hess[0], n, &params[0])
    return flag


def columns(int kernel, const double[:, :] y, const raw_t[:, :] raw, const double[::1] weight,
            out_t[:, :] grad, out_t[:, :] hess, const double[:, ::1] params):
    """An element-wise loss over (n, k) arrays of any strides; ``y`` (n, k) (a broadcast
    view with column stride 0 for one label per row), ``params`` (k, PARAMETER_COUNT) for
    per-column parameters or (1, PARAMETER_COUNT) shared; ``kernel`` from ``COLUMNS``."""
    cdef Py_ssize_t n = raw.shape[0], k = raw.shape[1]
    cdef int flag
    if not 0 <= kernel < BL_COLUMN_COUNT or params.shape[1] < PARAMETER_COUNT:
        raise ValueError("unknown kernel or too few parameters.")
    check_outputs(n, k, y.shape, grad.shape, grad.strides, hess.shape, hess.strides, True)
    if params.shape[0] != 1 and params.shape[0] != k:
        raise ValueError("params must have one row, or one per column.")
    cdef const double* w = weights(weight, n)
    if n == 0 or k == 0:
        return 0
    cdef Py_ssize_t p_cs = 0 if params.shape[0] == 1 else params.shape[1]
    with nogil:
        flag = bl_run_columns(kernel, raw_t is double, out_t is double, &y[0, 0],
                              y.strides[0] // sizeof(double), y.strides[1] // sizeof(double),
                              &raw[0, 0], raw.strides[0] // sizeof(raw_t),
                              raw.strides[1] // sizeof(raw_t), w, &grad[0, 0], &hess[0, 0],
                              grad.strides[0] // sizeof(out_t), grad.strides[1] // sizeof(out_t),
                              n, k, &params[0, 0], p_cs)
    return flag


#: softmax kernel kinds for ``softmax``
SOFTMAX_CROSS_ENTROPY = BL_SOFTMAX_CROSS_ENTROPY
SOFTMAX_FOCAL = BL_SOFTMAX_FOCAL


def softmax(int kind, const double[::1] y, const raw_t[:, :] raw, const double[::1] weight,
            out_t[:, :] grad, out_t[:, :] hess, const double[::1] class_weight, double a,
            double b):
    """A softmax loss over (n, k): ``kind`` SOFTMAX_CROSS_ENTROPY with (a, b) = (label
    smoothing, Hessian factor), or SOFTMAX_FOCAL with a = gamma. ``y`` holds class ids
    0..k-1 as float64 (the validated labels; checked once per dataset by the caller)."""
    cdef Py_ssize_t n = raw.shape[0], k = raw.shape[1]
    cdef int flag
    if kind != BL_SOFTMAX_CROSS_ENTROPY and kind != BL_SOFTMAX_FOCAL:
        raise ValueError("unknown softmax kernel.")
    check_outputs(n, k, y.shape, grad.shape, grad.strides, hess.shape, hess.strides, False)
    if class_weight.shape[0] != k:
        raise ValueError("class_weight must have one entry per column of raw.")
    cdef const double* w = weights(weight, n)
    if n == 0 or k == 0:
        return 0
    cdef double* scratch = softmax_scratch(k)
    with nogil:
        flag = bl_run_softmax(
            kind, raw_t is double, out_t is double, &y[0], &raw[0, 0],
            raw.strides[0] // sizeof(raw_t), raw.strides[1] // sizeof(raw_t), w,
            &grad[0, 0], &hess[0, 0], grad.strides[0] // sizeof(out_t),
            grad.strides[1] // sizeof(out_t), n, k, &class_weight[0], scratch, a, b)
    free(scratch)
    return flag


def softmax_soft(const double[:, :] y, const raw_t[:, :] raw, const double[::1] weight,
                 out_t[:, :] grad, out_t[:, :] hess, const double[::1] class_weight,
                 double eps, double factor):
    """Softmax cross-entropy against probability targets ``y`` (n, k), any strides: class
    weights, label smoothing ``eps`` and the Hessian ``factor`` as the loss sets them (KL
    divergence: ones, 0, 1)."""
    cdef Py_ssize_t n = raw.shape[0], k = raw.shape[1]
    cdef int flag
    check_outputs(n, k, y.shape, grad.shape, grad.strides, hess.shape, hess.strides, True)
    if class_weight.shape[0] != k:
        raise ValueError("class_weight must have one entry per column of raw.")
    cdef const double* w = weights(weight, n)
    if n == 0 or k == 0:
        return 0
    cdef double* scratch = softmax_scratch(k)
    with nogil:
        flag = bl_run_softmax_soft(
            raw_t is double, out_t is double, &y[0, 0], y.strides[0] // sizeof(double),
            y.strides[1] // sizeof(double), &raw[0, 0], raw.strides[0] // sizeof(raw_t),
            raw.strides[1] // sizeof(raw_t), w, &grad[0, 0], &hess[0, 0],
            grad.strides[0] // sizeof(out_t), grad.strides[1] // sizeof(out_t), n, k,
            &class_weight[0], scratch, eps, factor)
    free(scratch)
    return flag


def overlap(const double[::1] y, const raw_t[::1] raw, const double[::1] weight,
            out_t[::1] grad, out_t[::1] hess, double a, double fp_weight, double fn_weight,
            double smooth):
    """Dice (a = 2, fp = fn = 1) and Tversky (a = 1): soft counts over all rows, then
    grad/hess."""
    cdef Py_ssize_t n = raw.shape[0]
    cdef int flag
    check_lengths(n, y.shape[0], grad.shape[0], hess.shape[0])
    cdef const double* w = weights(weight, n)
    if n == 0:
        return 0
    with nogil:
        flag = bl_run_overlap(raw_t is double, out_t is double, &y[0], &raw[0], w, &grad[0],
                              &hess[0], n, a, fp_weight, fn_weight, smooth)
    return flag


# ------------------------------------------------------------- leaf renewal (lightgbm)
def assign_leaves(const double[::1] delta, const double[::1] sorted_values,
                  const int64_t[::1] order, const int64_t[::1] tied, double tolerance,
                  int64_t[::1] leaf):
    """Each row's leaf (``boostloss.lightgbm._renewal.assign_leaves``): writes ``leaf``;
    returns (rows matching no leaf, the farthest such row or -1)."""
    cdef Py_ssize_t n = delta.shape[0], n_leaves = sorted_values.shape[0], worst = -1, unmatched
    if n_leaves == 0 or order.shape[0] != n_leaves or tied.shape[0] != n_leaves \
            or leaf.shape[0] != n:
        raise ValueError("delta, leaf values, order, tied and leaf do not match.")
    if n == 0:
        return 0, -1
    with nogil:
        unmatched = bl_assign_leaves(&delta[0], n, &sorted_values[0], &order[0], &tied[0],
                                     n_leaves, tolerance, &leaf[0], &worst)
    return unmatched, worst


def leaf_percentiles(const double[::1] residual, const int64_t[::1] leaf, Py_ssize_t n_leaves,
                     double level, double[::1] out):
    """LightGBM's percentile of each leaf's residuals into ``out`` (NaN for empty leaves;
    rows with leaf < 0 ignored), as ``_renewal.leaf_quantiles`` without weights."""
    cdef Py_ssize_t n = residual.shape[0]
    cdef int status
    if leaf.shape[0] != n or out.shape[0] != n_leaves:
        raise ValueError("residual, leaf and out do not match.")
    with nogil:
        status = bl_leaf_percentiles(&residual[0] if n else NULL, &leaf[0] if n else NULL, n,
                                     n_leaves, level, &out[0] if n_leaves else NULL)
    if status != 0:
        raise MemoryError()
