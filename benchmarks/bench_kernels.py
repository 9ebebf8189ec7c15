"""Time every loss's grad/hess kernel against the memory-bandwidth floor.

For each loss (default parameters, or the ones in ``SETTINGS``) this prints the median time
of grad/hess on ``--rows`` samples (multi-output losses: ``--rows`` x ``--outputs``):

- ``public``: ``loss.grad_hess`` as a user calls it (validation included, default
  settings, so the numpy reference unless ``BOOSTLOSS_COMPILED`` says otherwise);
- ``np ref``: the numpy reference in one call on validated labels (float64);
- ``np blk32``: the engines' numpy path (row blocks, float32 raw in and grad/hess out, as
  XGBoost hands them over), with the compiled kernels switched off;
- ``numba`` / ``numba32``: the compiled kernels on one thread (as inside an engine),
  float64 and float32 in/out; ``numba mt``: on ``--threads`` threads (default all cores);

next to the time of copying the same number of float64 bytes.

    python benchmarks/bench_kernels.py                 # 1M rows, 10 outputs, 7 repeats
    python benchmarks/bench_kernels.py --rows 200000 --repeats 3
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import boostloss as bl
from boostloss.losses import _compiled

SETTINGS: dict[str, dict] = {
    "quantile": {"alpha": [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]},
}


def median_time(function, repeats: int) -> float:
    function()  # warm-up: page faults, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--outputs", type=int, default=10, help="columns for multi-output losses")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--losses", nargs="*", default=None, help="subset of loss names")
    parser.add_argument("--threads", type=int, default=None, help="compiled-kernel threads (default: all cores)")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    names = args.losses or bl.available_losses()
    compiled = _compiled.available()
    print(
        f"grad_hess kernels: median of {args.repeats} runs, numpy {np.__version__}; "
        f"numba kernels: {'yes' if compiled else 'not installed'} (threads for the last column: "
        f"{args.threads or 'all cores'})"
    )
    header = (
        f"{'loss':<24}{'shape':>14}{'copy ms':>9}{'public':>9}{'np ref':>9}{'np blk32':>9}"
        f"{'numba':>9}{'numba32':>9}{'numba mt':>10}{'best ms/1M':>11}{'x copy':>8}"
    )
    print(header)
    print("-" * len(header))
    for name in names:
        loss = bl.get_loss(name, **SETTINGS.get(name, {}))
        if loss.task == "multiclass":
            loss = bl.get_loss(name, n_classes=args.outputs)
        y, raw = make_inputs(loss, args.rows, args.outputs, rng)
        raw32 = raw.astype(np.float32)
        labels = loss.validate_labels(y)
        destination = np.empty_like(raw)
        times = {
            "copy": median_time(lambda: np.copyto(destination, raw), args.repeats),  # noqa: B023
            "public": median_time(lambda: loss.grad_hess(y, raw), args.repeats),  # noqa: B023
            "numpy": median_time(lambda: loss._reference_grad_hess(labels, raw, None), args.repeats),  # noqa: B023
        }
        mode = _compiled.compiled_kernels_mode()
        bl.use_compiled_kernels(False)  # the engines' numpy path: row blocks, float32 out
        times["numpy32"] = median_time(
            lambda: loss._weighted_grad_hess(labels, raw32, None, np.float32), args.repeats  # noqa: B023
        )
        bl.use_compiled_kernels(mode)
        # losses without a kernel (GHM, KL, multiclass hinge, per-label pos_weight) print '-'
        if compiled and _compiled.grad_hess(loss, labels[:8], raw[:8], None) is not None:
            _compiled.set_num_threads(1)
            times["numba"] = median_time(lambda: _compiled.grad_hess(loss, labels, raw, None), args.repeats)  # noqa: B023
            times["numba32"] = median_time(
                lambda: _compiled.grad_hess(loss, labels, raw32, None, np.float32), args.repeats  # noqa: B023
            )
            _compiled.set_num_threads(args.threads)
            times["numba mt"] = median_time(lambda: _compiled.grad_hess(loss, labels, raw, None), args.repeats)  # noqa: B023
            _compiled.set_num_threads(1)
        best = min(v for k, v in times.items() if k != "copy")
        cells = "".join(
            f"{1e3 * times[key]:>{width}.1f}" if key in times else f"{'-':>{width}}"
            for key, width in (("public", 9), ("numpy", 9), ("numpy32", 9), ("numba", 9), ("numba32", 9), ("numba mt", 10))
        )
        print(
            f"{name:<24}{str(raw.shape):>14}{1e3 * times['copy']:>9.1f}{cells}"
            f"{1e3 * best * 1e6 / raw.size:>11.1f}{best / times['copy']:>8.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
