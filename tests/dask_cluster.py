"""One Dask training at a time across the test processes.

``pytest -n 2`` would otherwise train on two LocalClusters side by side (a test_dask.py
test in one worker, the Dask example or another test_dask.py test in the other), each with
LightGBM ranks picking ports on the same host at the same moment. A CI run stalled in its
first LightGBM Dask training; whether two clusters caused it could not be shown, but
nothing is lost by not overlapping them on a 2-core machine. The lock is held per test
(test_dask.py) or per example run, never for a whole module: a wait then lasts one test,
well inside the per-test timeouts, which count fixture time too.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from filelock import FileLock

LOCK_PATH = Path(tempfile.gettempdir()) / "boostloss-tests-dask-cluster.lock"
# Longer than any holder needs (one Dask test: seconds; the Dask example: under a minute
# on 2 cores). The operating system releases the lock when its holder dies (say, a test
# that pytest-timeout killed), so a crash never blocks the other worker.
LOCK_WAIT_SECONDS = 300


def dask_cluster_lock() -> FileLock:
    """The inter-process lock to hold while a test trains on its Dask cluster."""
    return FileLock(LOCK_PATH, timeout=LOCK_WAIT_SECONDS)
