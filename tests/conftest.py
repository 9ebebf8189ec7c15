"""Shared test configuration.

Hypothesis runs derandomized under CI (``CI`` set, as `.ci/run` has it), so a CI run is
reproducible; locally it explores new examples every run. Override with HYPOTHESIS_PROFILE.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
