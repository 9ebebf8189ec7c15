"""Optional compiled grad/hess kernels (numba), beside the numpy reference in ``losses/``.

The engines call an objective every boosting round on every row, so its cost is paid
hundreds of times per fit. The numpy reference makes one temporary array per operation;
these kernels make one pass over the data, compute in float64 whatever dtype comes in, and
write grad and hess straight into output arrays of the dtype the engine ingests (float32
for XGBoost, float64 for LightGBM).

They implement exactly the formulas (and Hessian surrogates) documented on each loss class;
``tests/test_compiled.py`` checks every loss and parameter setting against the reference.
Each kernel is a ``prange`` loop; ``set_num_threads`` chooses how many threads it uses:
one by default, because inside an engine callback more threads fight the engine's OpenMP
pool (measured slower), more for standalone use.

They are opt-in: ``boostloss.use_compiled_kernels(True)`` or the environment variable
``BOOSTLOSS_COMPILED=1`` (with numba installed: ``pip install boostloss[fast]``). Measured
here, importing numba and loading the cached kernels costs about 0.45 s and 100 MiB of
resident memory once per process, which outweighs the per-round saving (about 15 ms per
1M-element logistic round) on small and medium data; see benchmarks/bench_engines.py.
Otherwise, and for losses without a kernel, the numpy reference runs.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = [
    "available",
    "enabled",
    "use_compiled_kernels",
    "grad_hess",
    "set_num_threads",
    "get_num_threads",
]

_STATE: dict[str, object] = {
    "checked": False,
    "numba": None,
    "threads": 1,
    "kernels": {},
    "enabled": os.environ.get("BOOSTLOSS_COMPILED", "0") == "1",
}


def use_compiled_kernels(enabled: bool = True) -> None:
    """Switch the losses' grad/hess to the compiled (numba) kernels, or back to numpy.

    Raises ImportError when enabling without numba installed.
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be True or False, got {enabled!r}.")
    if enabled and not available():
        raise ImportError("compiled kernels need numba: pip install 'boostloss[fast]'.")
    _STATE["enabled"] = enabled


def enabled() -> bool:
    """True if the losses use the compiled kernels (see ``use_compiled_kernels``)."""
    return bool(_STATE["enabled"]) and available()


def available() -> bool:
    """True if numba imports (the kernels can be used)."""
    if not _STATE["checked"]:
        _STATE["checked"] = True
        try:
            import numba

            from ._kernels_numba import KERNELS

            _STATE["numba"] = numba
            _STATE["kernels"] = KERNELS
        except ImportError:
            _STATE["numba"] = None
    return _STATE["numba"] is not None


def set_num_threads(threads: int | None) -> None:
    """Threads the kernels use: 1 (the default) or more; None means numba's default (all cores).

    One thread is the default because the kernels mostly run inside an engine's training
    loop, where a second pool of threads fights the engine's OpenMP threads for the same
    cores (measured: slower than one thread). Raise it for standalone use of ``grad_hess``.
    """
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be an integer >= 1 or None, got {threads!r}.")
    _STATE["threads"] = threads


def get_num_threads() -> int | None:
    """The thread setting of the kernels (see ``set_num_threads``)."""
    return _STATE["threads"]  # type: ignore[return-value]


def grad_hess(loss, y: np.ndarray, raw: np.ndarray, weight: np.ndarray | None, dtype=np.float64):
    """(grad, hess) from the compiled kernel of ``loss``, or None if it has none."""
    if not available():
        return None
    runner = _STATE["kernels"].get(loss.name)
    if runner is None:
        return None
    numba = _STATE["numba"]
    previous = numba.get_num_threads()
    threads = _STATE["threads"]
    threads = numba.config.NUMBA_NUM_THREADS if threads is None else min(int(threads), numba.config.NUMBA_NUM_THREADS)
    if threads != previous:
        numba.set_num_threads(threads)
    try:
        shape = raw.shape
        if raw.ndim == 2 and not loss.is_multi_output:  # (n, 1) single output
            raw = raw[:, 0]
        raw = np.ascontiguousarray(raw)
        grad = np.empty(raw.shape, dtype=dtype)
        hess = np.empty(raw.shape, dtype=dtype)
        w = _EMPTY if weight is None else np.ascontiguousarray(weight, dtype=np.float64)
        runner(loss, np.ascontiguousarray(y), raw, w, grad, hess)
        grad, hess = grad.reshape(shape), hess.reshape(shape)
    finally:
        if threads != previous:
            numba.set_num_threads(previous)
    return grad, hess


_EMPTY = np.empty(0, dtype=np.float64)
