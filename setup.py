"""Build script: the compiled grad/hess kernels (C loops behind Cython) and the shipped datasets.

Metadata lives in pyproject.toml; this file only adds what setuptools cannot declare there:

- ``boostloss.losses._kernels``, compiled from ``boostloss/losses/_kernels.pyx`` and the C loops
  it includes (``_loops.h``, ``_row_loops.h``, ``_vector_math.h``, ``_leaf_stats.h``; Cython is a
  pinned build requirement). The extension is ``optional``: on a machine without a C
  compiler the install still succeeds and boostloss falls back to the numpy reference
  (with a one-time warning, see ``boostloss/losses/_compiled.py``).
- ``datasets/`` (CSV + README at the repository root) copied into the wheel as
  ``boostloss/_datasets``, where ``boostloss.datasets`` looks for package data. A source
  checkout and an editable install read ``datasets/`` directly.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithDatasets(build_py):
    """build_py, then copy ``datasets/`` to ``<build_lib>/boostloss/_datasets``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads datasets/ from the checkout
        target = Path(self.build_lib) / "boostloss" / "_datasets"
        shutil.copytree(ROOT / "datasets", target, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


# The C loops (boostloss/losses/_loops.h) are written so that the compiler vectorises them;
# it may do so only if it can evaluate both sides of a select, which -fno-trapping-math allows
# (boostloss never reads the floating-point exception flags). Not -ffast-math: the loops rely
# on IEEE NaN/inf and on the rounding tricks of _vector_math.h.
UNIX_FLAGS = ["-O3", "-fno-trapping-math", "-fno-math-errno"]

kernels = Extension(
    "boostloss.losses._kernels",
    ["boostloss/losses/_kernels.pyx"],
    include_dirs=["boostloss/losses"],
    depends=["boostloss/losses/_loops.h", "boostloss/losses/_row_loops.h",
             "boostloss/losses/_vector_math.h", "boostloss/losses/_leaf_stats.h"],
    extra_compile_args=[] if sys.platform == "win32" else UNIX_FLAGS,
    optional=True,  # no compiler: install anyway, the numpy reference runs
)

setup(
    ext_modules=cythonize([kernels], language_level=3),
    cmdclass={"build_py": BuildPyWithDatasets},
)
