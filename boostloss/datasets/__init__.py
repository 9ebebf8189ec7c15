"""Shipped real datasets and seeded synthetic generators.

Two halves, two modules (``_shipped`` and ``_generators``):

* **Real data** (``list_datasets``, ``dataset_info``, ``load_dataset``, ``load_frame``,
  ``load_series``). Small CSV files copied offline from data that scikit-learn and
  statsmodels bundle in their wheels (provenance, licenses and column meanings are in
  ``datasets/README.md``; ``datasets/_make_datasets.py`` regenerates them). Nothing is
  ever downloaded. Each file is looked up first as package data,
  ``importlib.resources.files("boostloss") / "_datasets"`` (where the wheel puts the
  repository's ``datasets/`` folder), then in the ``datasets/`` folder of a source
  checkout. The facts about each dataset (file, target, task, license, shape) are data
  in ``DATASETS``, the dict at the bottom of ``_shipped.py``; the tests are generated from it.
* **Synthetic data** (``make_*``). Seeded generators for benchmarks and statistical
  tests, written to produce millions of rows quickly: features are drawn directly in the
  requested dtype (``float32`` halves the memory), and temporaries are one row-vector or
  one bounded chunk, never another ``n_samples x n_features`` array. Every docstring states
  the generating model, so tests can compare fitted values with the truth.

Only numpy is imported at module level; pandas (an optional dependency, installed by
``pip install boostloss[sklearn]``) is imported inside the functions that return frames.
"""

from ._generators import (
    make_counts,
    make_heteroscedastic,
    make_imbalanced_classification,
    make_multiclass,
    make_multilabel,
    make_regression_outliers,
)
from ._shipped import (
    DATASETS,
    TASKS,
    DatasetInfo,
    dataset_info,
    list_datasets,
    load_dataset,
    load_frame,
    load_series,
    make_lag_features,
)

__all__ = [
    "DATASETS",
    "TASKS",
    "DatasetInfo",
    "dataset_info",
    "list_datasets",
    "load_dataset",
    "load_frame",
    "load_series",
    "make_counts",
    "make_heteroscedastic",
    "make_imbalanced_classification",
    "make_lag_features",
    "make_multiclass",
    "make_multilabel",
    "make_regression_outliers",
]
