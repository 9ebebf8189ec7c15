"""The wheel works on its own: build it, install it into a fresh virtual environment, and
load every shipped dataset from the installed package (package data), not from the checkout.

The fresh venv is made with ``python -m venv --without-pip``; the wheel is installed into it
by this interpreter's pip (``pip --python``) with ``--no-deps --no-index``, so nothing is
downloaded at install time. Its dependencies (numpy, scipy, pandas, and the engines, typer
and rich for the console script) come from this interpreter's site-packages through a
``.pth`` file: the parent is itself usually a virtual environment, whose packages
``--system-site-packages`` would not see. The wheel's own ``boostloss`` comes first on
``sys.path``, and the checks run from a directory outside the repository with no
``PYTHONPATH``, so nothing can fall back to the checkout.

Building uses the PEP 517 backend (setuptools, which compiles the Cython kernels): without
build isolation when setuptools >= 77 and Cython are installed here, otherwise pip fetches
them into an isolated build environment. The installed wheel must carry the compiled
kernels and use them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import boostloss.datasets as bd

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 300


def run(args: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["OMP_NUM_THREADS"] = "1"
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=TIMEOUT, **kwargs)
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _build_requirements_installed() -> bool:
    """setuptools >= 77 (PEP 639 license field) and Cython importable in this interpreter."""
    if importlib.util.find_spec("Cython") is None:
        return False
    import setuptools

    return int(setuptools.__version__.split(".")[0]) >= 77


def build_and_install(work: Path) -> dict:
    """Build the wheel and install it into a fresh venv under ``work``; returns paths."""
    dist = work / "dist"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(dist), str(ROOT)]
    if _build_requirements_installed():
        build.insert(4, "--no-build-isolation")
    run(build, cwd=work)
    (wheel,) = dist.glob("boostloss-*.whl")

    venv = work / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=work)
    python = venv / "bin" / "python"
    purelib = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                       cwd=work).stdout.strip())
    parents = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
               *site.getsitepackages()}
    (purelib / "zz_parent_site_packages.pth").write_text(
        "\n".join(sorted(p for p in parents if Path(p).is_dir())) + "\n"
    )
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "--quiet", str(wheel)], cwd=work)
    outside = work / "elsewhere"
    outside.mkdir()
    return {"wheel": wheel, "venv": venv, "python": python, "purelib": purelib, "cwd": outside}


def check_wheel_contents(installed: dict) -> None:
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for name in bd.list_datasets():
        assert f"boostloss/_datasets/{bd.dataset_info(name).file_name}" in names
    assert "boostloss/_datasets/README.md" in names
    assert any(n.startswith("boostloss/losses/_kernels") and n.endswith((".so", ".pyd"))
               for n in names), "the compiled kernels are missing from the wheel"
    assert any(n.endswith("entry_points.txt") for n in names)


LOAD_ALL = """
import json, pathlib, boostloss, boostloss.datasets as bd, boostloss.datasets._shipped as shipped
from boostloss.losses import _compiled
out = {"module": boostloss.__file__, "data_dir": str(shipped._package_data_dir()), "datasets": {},
       "kernels": _compiled.enabled()}
for name in bd.list_datasets():
    info = bd.dataset_info(name)
    frame = bd.load_frame(name)
    X, y = bd.load_dataset(name)
    Xa, ya = bd.load_dataset(name, as_frame=False)
    out["datasets"][name] = {
        "frame": list(frame.shape), "X": list(X.shape), "y": len(y), "Xa": list(Xa.shape),
        "expected": [info.n_rows, info.n_columns],
        "file": str(shipped._dataset_file(info.file_name)),
    }
    if info.task == "time_series":
        assert len(bd.load_series(name)) == info.n_rows
print(json.dumps(out))
"""


def check_datasets_load(installed: dict) -> None:
    result = run([str(installed["python"]), "-c", LOAD_ALL], cwd=installed["cwd"])
    report = json.loads(result.stdout)
    purelib = str(installed["purelib"])
    assert report["kernels"], "the installed wheel does not use its compiled kernels"
    assert report["module"].startswith(purelib), report["module"]
    assert report["data_dir"].startswith(purelib)
    assert str(ROOT) not in result.stdout
    assert sorted(report["datasets"]) == bd.list_datasets()
    for name, shapes in report["datasets"].items():
        assert shapes["file"].startswith(purelib), (name, shapes["file"])
        assert shapes["frame"] == shapes["expected"], name
        assert shapes["y"] == shapes["expected"][0] == shapes["X"][0] == shapes["Xa"][0], name


def check_console_script(installed: dict) -> None:
    script = installed["venv"] / "bin" / "boostloss"
    assert script.exists()
    listing = run([str(script), "datasets"], cwd=installed["cwd"])
    for name in bd.list_datasets():
        assert name in listing.stdout
    compare = run([str(script), "compare", "--cv", "2", "--n-estimators", "3", "--losses",
                   "mse,huber", "--quiet"], cwd=installed["cwd"])
    assert "shipped dataset 'engel'" in compare.stdout
    assert "huber" in compare.stdout and "failed" not in compare.stdout


def test_wheel_installs_into_a_fresh_venv_and_loads_every_dataset(tmp_path):
    """One test (one build): pytest-xdist would otherwise build the wheel once per worker."""
    installed = build_and_install(tmp_path)
    check_wheel_contents(installed)
    check_datasets_load(installed)
    check_console_script(installed)
