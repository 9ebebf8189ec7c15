"""Every script in examples/ runs, every Python snippet in README.md runs, and the README's
two commands are the ones CI runs.

Examples run in a subprocess from a temporary directory with ``--quick`` (the agreed flag
for small settings) when the script accepts it, and as they are otherwise; a script that
writes a chart and takes ``--out`` writes it into the temporary directory, not the checkout.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .dask_cluster import dask_cluster_lock

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
README = (ROOT / "README.md").read_text(encoding="utf-8")
TIMEOUT = 240  # seconds per script; each runs in a few seconds with --quick on an idle machine



def _huber_improves(stdout: str) -> None:
    improvement = int(re.search(r"huber lowers the test RMSE by (-?\d+)% relative", stdout).group(1))
    assert improvement > 0, stdout


def _logistic_matches_native(stdout: str) -> None:
    gap = float(re.search(r"max \|p_native - p_logistic\| on the test rows: (\S+)", stdout).group(1))
    assert gap < 1e-6, stdout


def _grid_search_reports_best(stdout: str) -> None:
    assert re.search(r"best: loss='\w+' loss_params=.*held-out MAE \d+", stdout), stdout


def _dask_prints_only_what_it_ran(stdout: str) -> None:
    # LightGBM's network log (workers binding ports, "Connected to rank") stays off stdout.
    assert "[LightGBM]" not in stdout and "open ports" not in stdout, stdout[:2000]
    assert stdout.lstrip().startswith("loss"), stdout[:2000]


def _online_keeps_coverage(stdout: str) -> None:
    coverage = {m.group(1): float(m.group(2)) for m in
                re.finditer(r"^(split CQR|split \+ dtaci|cv\+ \+ dtaci)\s+(\S+)", stdout,
                            flags=re.MULTILINE)}
    assert len(coverage) == 3, stdout
    assert abs(coverage["split + dtaci"] - 0.9) <= 0.02, stdout
    assert abs(coverage["cv+ + dtaci"] - 0.9) <= 0.02, stdout


def _distillation_helps(stdout: str) -> None:
    gain = float(re.search(r"distillation adds (-?[\d.]+) points", stdout).group(1))
    assert gain > 0, stdout


def _ghm_table_has_every_loss(stdout: str) -> None:
    for loss in ("logistic", "focal(", "ghm_logistic(bins=10)", "ghm_logistic(bins=30, momentum=0.75)"):
        assert re.search(re.escape(loss) + r".* 0\.\d{4} ± ", stdout), stdout


# What these examples must print (the others only need to exit with 0 and print something).
CHECKS = {
    "huber_vs_mse_xgboost.py": _huber_improves,
    "focal_vs_logistic_lightgbm.py": _logistic_matches_native,
    "pipeline_gridsearch.py": _grid_search_reports_best,
    "dask_training.py": _dask_prints_only_what_it_ran,
    "online_intervals.py": _online_keeps_coverage,
    "distillation_kl_xgboost.py": _distillation_helps,
    "ghm_vs_focal_noisy_labels.py": _ghm_table_has_every_loss,
}


def run_python(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "MPLBACKEND": "Agg",
        # pytest -n 2 runs two of these at once on CI's 2 cores: one engine thread each.
        "OMP_NUM_THREADS": "1",
    }
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT)


def example_args(script: Path, tmp_path: Path) -> list[str]:
    text = script.read_text(encoding="utf-8")
    args = [str(script)]
    if "--quick" in text:
        args.append("--quick")
    if re.search(r"add_argument\(\s*[\"']--out[\"']", text):
        args += ["--out", str(tmp_path / f"{script.stem}.png")]
    return args


def test_examples_are_found():
    assert set(CHECKS) <= {p.name for p in EXAMPLES}


def uses_dask_cluster(script: Path) -> bool:
    return "LocalCluster(" in script.read_text(encoding="utf-8")


def example_case(script: Path):
    if not uses_dask_cluster(script):
        return pytest.param(script, id=script.name)
    # as tests/test_dask.py: distributed training's network can stall (an upstream flake),
    # so such an example gets one more try and never runs beside test_dask.py's cluster
    return pytest.param(script, id=script.name,
                        marks=pytest.mark.flaky(reruns=1, only_rerun=None))


@pytest.mark.parametrize("script", [example_case(p) for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    args = example_args(script, tmp_path)
    if uses_dask_cluster(script):
        with dask_cluster_lock():
            result = run_python(args, tmp_path)
    else:
        result = run_python(args, tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert result.stdout.strip(), "an example should print its results"
    check = CHECKS.get(script.name)
    if check is not None:
        check(result.stdout)


# ----------------------------------------------------------------------------- README
def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.DOTALL)


def section(markdown: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown,
                      flags=re.DOTALL | re.MULTILINE)
    assert match, f"README.md has no '## {heading}' section"
    return match.group(1)


def bash_commands(text: str) -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


README_SNIPPETS = python_blocks(README)


def test_readme_has_the_three_quickstarts():
    quickstart = section(README, "Quickstart")
    assert len(python_blocks(quickstart)) == 3
    assert "xgb.train(" in quickstart and "obj=bl.xgboost.objective" in quickstart
    assert "lgb.train(" in quickstart and "bl.BoostLossClassifier(" in quickstart


@pytest.mark.parametrize("snippet", README_SNIPPETS,
                         ids=[f"snippet{i}" for i in range(len(README_SNIPPETS))])
def test_readme_snippet_runs(snippet, tmp_path):
    path = tmp_path / "snippet.py"
    path.write_text(snippet, encoding="utf-8")
    result = run_python([str(path)], tmp_path)
    assert result.returncode == 0, snippet + "\n" + result.stderr[-4000:]


def test_readme_commands_match_ci():
    # Where to run the first command: a clone, its folder, a virtual environment.
    clone, venv, install = bash_commands(section(README, "Install and first run"))[:3]
    assert clone.startswith("git clone") and "&& cd boostloss" in clone
    assert venv.startswith("python -m venv .venv && source .venv/bin/activate")
    assert install == 'pip install -e ".[all]" && boostloss --version && boostloss compare'
    tests = bash_commands(section(README, "Running the tests"))
    assert tests == ['pip install -e ".[all,test]" && python -m pytest -n 2 -q']
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_commands = [line.strip() for line in ci.splitlines() if line.strip().startswith("python -m pytest")]
    assert ci_commands == ["python -m pytest -n 2 -q"]
    assert 'pip install --quiet -e ".[all,test]"' in ci


def test_readme_loss_tables_cover_every_registered_loss():
    import boostloss as bl

    losses = section(README, "Losses")
    for name in bl.available_losses():
        assert re.search(rf"^\| `{name}`", losses, flags=re.MULTILINE), name
        cls = bl.registry.LOSSES[name]
        for parameter, default in cls.param_defaults().items():
            written = {f"`{parameter}={default!r}`", f"`{parameter}={default}`",
                       f'`{parameter}="{default}"`'}
            assert any(w in losses for w in written), (
                f"{name}: the README does not give {parameter}'s default {default!r}"
            )
