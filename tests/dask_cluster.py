"""One Dask cluster at a time across the test processes.

``pytest -n 2`` would otherwise run two LocalClusters side by side (test_dask.py in one
worker, the Dask example in the other), each with LightGBM ranks picking ports on the same
host at the same moment. A CI run stalled in its first LightGBM Dask training; whether
the two clusters caused it could not be shown, but nothing is lost by not overlapping them
on a 2-core machine.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from filelock import FileLock

LOCK_PATH = Path(tempfile.gettempdir()) / "boostloss-tests-dask-cluster.lock"
# Longer than any holder needs (all of test_dask.py takes about a minute on 2 cores). The
# operating system releases the lock when its holder dies (say, a test that pytest-timeout
# killed), so a crash never blocks the other worker.
LOCK_WAIT_SECONDS = 900


def dask_cluster_lock() -> FileLock:
    """The inter-process lock to hold while a test's Dask cluster runs."""
    return FileLock(LOCK_PATH, timeout=LOCK_WAIT_SECONDS)
