"""Dask collections as per-partition pieces on the workers (plumbing for ``boostloss.dask``).

Dask hands boostloss labels, weights and features as collections split into row partitions
(``dask.array`` chunks along axis 0, or ``dask.dataframe`` partitions). The distributed init
scores and metrics run one small function per partition on the worker that holds it and
combine the per-partition results on the client, in partition order (so results do not
depend on scheduling). Labels and weights are validated on the workers, partition by
partition, with the loss's own checks; an error names the partition.

Dask itself is imported lazily: ``require_dask`` raises an ImportError naming the extra.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._validation import as_float_array, check_sample_weight
from ..losses.base import Loss

__all__ = [
    "require_dask",
    "is_dask_collection",
    "n_row_partitions",
    "row_partitions",
    "check_aligned",
    "constant_like",
    "TargetParts",
]


def require_dask() -> None:
    """Import dask and distributed, or raise an ImportError that says how to install them."""
    try:
        import dask  # noqa: F401
        import dask.array  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:  # pragma: no cover - exercised only without dask
        raise ImportError(
            "boostloss.dask needs dask[dataframe,distributed]: pip install boostloss[dask]"
        ) from exc


def is_dask_collection(value: Any) -> bool:
    import dask

    return dask.is_dask_collection(value)


def _kind(name: str, collection: Any) -> str:
    import dask.array as da
    import dask.dataframe as dd

    if isinstance(collection, da.Array):
        return "array"
    if isinstance(collection, (dd.DataFrame, dd.Series)):
        return "frame"
    raise TypeError(
        f"{name} must be a dask.array.Array, dask.dataframe.DataFrame or dask.dataframe.Series, "
        f"got {type(collection).__name__}. For in-memory data use boostloss.xgboost / "
        "boostloss.lightgbm (or dask.array.from_array(x, chunks=...))."
    )


def n_row_partitions(name: str, collection: Any) -> int:
    """Number of row partitions (chunks along axis 0, or dataframe partitions)."""
    if _kind(name, collection) == "array":
        return len(collection.chunks[0])
    return int(collection.npartitions)


def row_partitions(name: str, collection: Any) -> list:
    """One ``dask.delayed`` object per row partition, in order (columns kept together)."""
    if _kind(name, collection) == "array":
        if collection.ndim == 1:
            return list(collection.to_delayed().ravel())
        if collection.ndim == 2:
            whole_rows = collection.rechunk({1: -1})
            return list(whole_rows.to_delayed()[:, 0])
        raise ValueError(f"{name} must be 1-D or 2-D, got {collection.ndim} dimensions.")
    return list(collection.to_delayed())


def check_aligned(name: str, collection: Any, reference_name: str, reference: Any) -> None:
    """Raise if two collections are not split into the same row partitions."""
    n_parts = n_row_partitions(name, collection)
    n_reference = n_row_partitions(reference_name, reference)
    if n_parts != n_reference:
        raise ValueError(
            f"{name} has {n_parts} row partitions but {reference_name} has {n_reference}; "
            "they must be split the same way (same chunks / npartitions). Build them from "
            "one dataframe, or rechunk one like the other."
        )
    if _kind(name, collection) == "array" and _kind(reference_name, reference) == "array":
        rows, reference_rows = collection.chunks[0], reference.chunks[0]
        known = not any(np.isnan(rows)) and not any(np.isnan(reference_rows))
        if known and tuple(rows) != tuple(reference_rows):
            raise ValueError(
                f"{name} has row chunks {rows} but {reference_name} has {reference_rows}; "
                f"rechunk with {name}.rechunk({{0: {reference_name}.chunks[0]}})."
            )


def _constant_frame_part(part, value: np.ndarray):
    import pandas as pd

    n = len(part)
    if value.ndim == 0:
        return pd.Series(np.full(n, float(value)), index=part.index, name="init_score")
    columns = [f"init_score_{j}" for j in range(value.size)]
    return pd.DataFrame(np.tile(value, (n, 1)), index=part.index, columns=columns)


def constant_like(reference: Any, value) -> Any:
    """A lazy collection of rows all equal to ``value``, partitioned like ``reference``.

    ``value`` is a scalar (result shape (n,)) or a (k,) vector (result shape (n, k)). The
    constant is created on the workers; nothing of size n travels over the network.
    """
    import dask.array as da

    value = np.asarray(value, dtype=np.float64)
    if _kind("reference", reference) == "array":
        rows = reference.chunks[0]
        if value.ndim == 0:
            return da.full((reference.shape[0],), float(value), chunks=(rows,), dtype=np.float64)
        ones = da.ones((reference.shape[0], value.size), chunks=(rows, value.size))
        return ones * value
    meta = _constant_frame_part(reference._meta, value)
    return reference.map_partitions(_constant_frame_part, value, meta=meta)


def _to_numpy(part) -> np.ndarray:
    if hasattr(part, "to_numpy"):
        return part.to_numpy()
    return np.asarray(part)


def _check_partition_weight(weight, n_samples: int) -> np.ndarray:
    """Validated weights of one partition (an all-zero partition is fine; the sum is checked globally)."""
    weight = as_float_array("sample_weight", weight)
    if weight.ndim == 1 and weight.shape[0] == n_samples and weight.size and np.all(weight == 0):
        return weight
    checked = check_sample_weight(weight, n_samples)
    assert checked is not None
    return checked


def _prepare_part(loss: Loss, labels, weight, index: int):
    """Validate one partition's labels (internal form) and weights on its worker."""
    try:
        y = _to_numpy(labels)
        if y.ndim == 2 and y.shape[1] == 1 and loss.output_kind != "multilabel":
            y = y[:, 0]
        if y.shape[0] == 0:
            return np.empty((0,) + y.shape[1:], dtype=np.float64), None
        y_internal = loss.validate_labels(y)
        w = None if weight is None else _check_partition_weight(_to_numpy(weight), y.shape[0])
    except ValueError as exc:
        raise ValueError(f"row partition {index}: {exc}") from exc
    return y_internal, w


class TargetParts:
    """Validated labels and weights of a distributed dataset, one future per row partition.

    Each future holds ``(labels_internal, weight_or_None)`` on the worker that computed it.
    ``map(fn, **kwargs)`` runs ``fn(labels, weight, **kwargs)`` next to every partition and
    returns the results to the client in partition order.
    """

    def __init__(self, client, futures: Sequence[Any], n_outputs_hint: int | None = None):
        self.client = client
        self.futures = list(futures)
        self.n_outputs_hint = n_outputs_hint

    @classmethod
    def from_collections(cls, client, loss: Loss, labels, sample_weight=None) -> TargetParts:
        import dask

        label_parts = row_partitions("y", labels)
        if sample_weight is None:
            weight_parts: list = [None] * len(label_parts)
        else:
            check_aligned("sample_weight", sample_weight, "y", labels)
            weight_parts = row_partitions("sample_weight", sample_weight)
        tasks = [
            dask.delayed(_prepare_part, pure=True)(loss, y_part, w_part, i)
            for i, (y_part, w_part) in enumerate(zip(label_parts, weight_parts, strict=True))
        ]
        return cls(client, client.compute(tasks))

    def map(self, fn: Callable[..., Any], **kwargs: Any) -> list:
        """``[fn(labels, weight, **kwargs) for each partition]``, computed on the workers."""
        futures = self.client.map(_apply_to_part, self.futures, fn=fn, **kwargs, pure=False)
        try:
            return self.client.gather(futures)
        finally:
            for future in futures:
                future.release()

    def release(self) -> None:
        for future in self.futures:
            future.release()
        self.futures = []

    def __enter__(self) -> TargetParts:
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()


def _apply_to_part(part, fn, **kwargs):
    labels, weight = part
    return fn(labels, weight, **kwargs)
