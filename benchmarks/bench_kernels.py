"""Time every loss's grad/hess kernel in milliseconds per 1M elements, beside the
memory-bandwidth floor.

For each registered loss (default parameters, or the ones in ``SETTINGS``) on ``--rows``
samples (multi-output losses: ``--rows // --outputs`` rows x ``--outputs`` columns, so every
loss handles the same number of elements), as the engines call it (validated labels, float32
raw scores in, float32 grad/hess out, no weights), this prints the median of ``--repeats``
interleaved runs (the three timings rotate within every repeat) of:

- ``copy``: copying the raw scores into two float32 arrays (the bytes a kernel must at least
  read and write): the memory-bandwidth floor;
- ``numpy``: the numpy reference path (row blocks; the compiled kernels switched off);
- ``compiled``: the engine path with the compiled kernel (``float32_grad_hess`` writing
  into the objective callables' reused output arrays; C loops in
  ``boostloss/losses/_loops.h`` and ``_row_loops.h``, one thread);

and the ratios compiled / copy and numpy / compiled. Timings are per 1M elements, in CPU time
of the calling thread (``time.thread_time``; everything here runs on that one thread), which
a shared, overloaded machine distorts far less than wall time.

    python benchmarks/bench_kernels.py                    # 1M elements, 10 outputs, 9 repeats
    python benchmarks/bench_kernels.py --rows 200000 --repeats 5 --losses logistic focal
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import boostloss as bl
from boostloss._adapter import OutputBuffers, float32_grad_hess
from boostloss.losses import _compiled

SETTINGS: dict[str, dict] = {
    "quantile": {"alpha": [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]},
}


def interleaved_medians(functions: dict, repeats: int) -> dict[str, float]:
    """Median CPU seconds of this thread in each function, the order rotating every repeat
    (after a warm-up)."""
    names = list(functions)
    for name in names:
        functions[name]()  # warm-up: page faults, caches, first-use costs
    times: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.thread_time()
            functions[name]()
            times[name].append(time.thread_time() - start)
    return {name: float(np.median(values)) for name, values in times.items()}


def make_inputs(loss, n: int, k: int, rng: np.random.Generator):
    if loss.task == "multiclass":
        return rng.integers(0, k, n).astype(np.float64), rng.normal(0, 2, (n, k))
    if loss.output_kind == "multilabel":
        return rng.integers(0, 2, (n, k)).astype(np.float64), rng.normal(0, 2, (n, k))
    if loss.task == "binary":
        return rng.integers(0, 2, n).astype(np.float64), rng.normal(0, 2, n)
    if loss.link.name == "log":
        raw = rng.normal(0.5, 1, n)
        y = rng.poisson(np.exp(raw)).astype(np.float64)
        if loss.name == "gamma":
            y += 0.5
        return y, raw
    y = rng.normal(0, 3, n)
    if loss.output_kind == "multi_quantile":
        return y, y[:, None] + rng.normal(0, 2, (n, loss.n_outputs))
    return y, y + rng.normal(0, 2, n)


def numpy_path(loss, labels, raw):
    """The engines' path with the compiled kernels off: the numpy reference in row blocks."""
    bl.use_compiled_kernels(False)
    try:
        return loss._weighted_grad_hess(labels, raw, None, np.float32)
    finally:
        bl.use_compiled_kernels(True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="elements per call")
    parser.add_argument("--outputs", type=int, default=10, help="columns for multi-output losses")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--losses", nargs="*", default=None, help="subset of loss names")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    names = args.losses or bl.available_losses()
    print(
        f"grad_hess per 1M elements (float32 in and out, as the engines call it), thread CPU ms, median of "
        f"{args.repeats} interleaved runs, numpy {np.__version__}, compiled kernels: "
        f"{'built' if _compiled.available() else 'NOT BUILT'}"
    )
    header = (
        f"{'loss':<24}{'shape':>16}{'copy ms':>9}{'numpy ms':>10}{'compiled ms':>13}"
        f"{'comp/copy':>11}{'np/comp':>9}"
    )
    print(header)
    print("-" * len(header))
    for name in names:
        loss = bl.get_loss(name, **SETTINGS.get(name, {}))
        if loss.task == "multiclass":
            loss = bl.get_loss(name, n_classes=args.outputs)
        multi = loss.is_multi_output
        rows = args.rows // args.outputs if multi else args.rows
        y, raw = make_inputs(loss, rows, args.outputs, rng)
        raw = raw.astype(np.float32)
        labels = loss.validate_labels(y)
        grad_floor, hess_floor = np.empty_like(raw), np.empty_like(raw)

        def copy(raw=raw, grad=grad_floor, hess=hess_floor):
            np.copyto(grad, raw)
            np.copyto(hess, raw)

        functions = {"copy": copy,
                     "numpy": lambda loss=loss, labels=labels, raw=raw: numpy_path(loss, labels, raw)}
        if _compiled.grad_hess(loss, labels, raw, None, np.float32) is not None:
            buffers = OutputBuffers()  # the engine callables' reused output arrays

            def compiled_path(loss=loss, labels=labels, raw=raw, buffers=buffers):
                float32_grad_hess(loss, labels, raw, None, "C", buffers)

            functions["compiled"] = compiled_path
        per_million = {key: 1e3 * value * 1e6 / raw.size
                       for key, value in interleaved_medians(functions, args.repeats).items()}
        compiled = per_million.get("compiled")
        cells = (f"{compiled:>13.2f}{compiled / per_million['copy']:>11.1f}"
                 f"{per_million['numpy'] / compiled:>9.1f}" if compiled else f"{'-':>13}{'-':>11}{'-':>9}")
        print(f"{name:<24}{str(raw.shape):>16}{per_million['copy']:>9.2f}{per_million['numpy']:>10.2f}"
              f"{cells}", flush=True)


if __name__ == "__main__":
    main()
