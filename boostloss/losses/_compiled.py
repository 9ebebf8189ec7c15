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

When they run: ``boostloss.use_compiled_kernels(True)`` (environment variable
``BOOSTLOSS_COMPILED=1``) for every call, ``"auto"`` (``=auto``) for calls on at least
``AUTO_MIN_ELEMENTS`` elements, ``False`` (``=0``, the default) never; they need numba
(``pip install boostloss[fast]``). They are off by default because importing numba and
loading the cached kernels costs about 0.45-0.9 s and 100 MiB of resident memory once per
process (measured), more than they save in a single fit of moderate size: at 400k rows x
30 rounds, a fit in a fresh process took 1.4-1.6x the native time with them and 1.1-1.2x
without, and its peak memory 1.3x instead of 1.03x (benchmarks/bench_engines.py).
They pay off for large data and for processes that train repeatedly, where the import
is paid once (``--in-process`` in that benchmark). For losses without a kernel the numpy
reference runs.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = [
    "AUTO_MIN_ELEMENTS",
    "available",
    "compiled_kernels_mode",
    "enabled",
    "use_compiled_kernels",
    "grad_hess",
    "set_num_threads",
    "get_num_threads",
]

AUTO_MIN_ELEMENTS = 250_000
_ENV_MODES = {"0": False, "1": True, "auto": "auto"}


def _mode_from_environment() -> bool | str:
    value = os.environ.get("BOOSTLOSS_COMPILED", "0").strip().lower()
    if value not in _ENV_MODES:
        raise ValueError(
            f"BOOSTLOSS_COMPILED must be 0, 1 or auto, got {value!r}; unset it for the default (0)."
        )
    return _ENV_MODES[value]


_STATE: dict[str, object] = {
    "checked": False,
    "numba": None,
    "threads": 1,
    "kernels": {},
    "mode": _mode_from_environment(),
}


def use_compiled_kernels(mode: bool | str = True) -> None:
    """Choose when the losses' grad/hess run the compiled (numba) kernels.

    ``True``: always; ``False`` (the default): never, the numpy reference runs; ``"auto"``:
    when numba is installed and a call has at least ``AUTO_MIN_ELEMENTS`` elements.
    Raises ImportError for ``True`` without numba installed.
    """
    if mode != "auto" and not isinstance(mode, bool):
        raise TypeError(f"mode must be True, False or 'auto', got {mode!r}.")
    if mode is True and not available():
        raise ImportError("compiled kernels need numba: pip install 'boostloss[fast]'.")
    _STATE["mode"] = mode


def compiled_kernels_mode() -> bool | str:
    """The current setting of ``use_compiled_kernels``: True, False or "auto"."""
    return _STATE["mode"]  # type: ignore[return-value]


def enabled(n_elements: int | None = None) -> bool:
    """True if a grad/hess call on ``n_elements`` elements runs the compiled kernels.

    Without ``n_elements``: whether they run for every call (mode True and numba present).
    """
    mode = _STATE["mode"]
    if mode == "auto":
        if n_elements is None or n_elements < AUTO_MIN_ELEMENTS:
            return False
        return available()
    return bool(mode) and available()


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
    reference_only = getattr(loss, "_uses_reference_only", None)  # options a kernel lacks
    if reference_only is not None and reference_only(y):
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
