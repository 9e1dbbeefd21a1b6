"""A class installs the package, not a clone.

The sdist and wheel come from ``python -m build`` run on a clean copy of the tree (the wheel
is built from the sdist, so a file the sdist forgets is missing from the wheel too) and pass
``twine check --strict``.  The wheel goes into a fresh virtual environment (its dependencies
from the package index), holds every file of the package tree (templates, prices, the events
README, ``py.typed``), and notebook 01 runs there in a kernel that is that environment's
Python, with no path to this clone.  Everything lives in one temporary directory, removed
afterwards; the kernel and every process under it are ended by pid.
"""

from __future__ import annotations

import email.parser
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import nbformat
import psutil
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lambda_magic"
NOTEBOOK = ROOT / "notebooks" / "01_first_function.ipynb"
KERNEL_NAME = "lambda-magic-wheel"
#: Building, installing pandas, matplotlib, moto and friends into a new venv, and running the
#: notebook take minutes on a busy machine (the default per-test timeout is 300 s).
SLOW_S = 1500
#: What a checkout holds that is not source: environments, caches, build output.
_NOT_SOURCE = (
    ".git",
    ".venv",
    "venv",
    ".tox",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.pyc",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".ipynb_checkpoints",
)
#: Environment variables that would let the fresh venv see this clone or the outer venv.
_LEAKS = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONSAFEPATH", "JUPYTER_PATH")


def _package_files() -> set[str]:
    """Every file of the package tree as the wheel should hold it (``lambda_magic/...``)."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def _clean_env(venv: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _LEAKS}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    return env


def _run(command: list, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=SLOW_S
    )
    assert done.returncode == 0, (
        f"{command[:4]} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done.stdout


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="lambda-magic-packaging-") as name:
        yield Path(name)


@pytest.fixture(scope="module")
def dists(workdir: Path) -> dict[str, Path]:
    """``python -m build`` in a clean copy of the tree: the sdist, then the wheel built from it.

    A copy, because setuptools reuses a ``*.egg-info/SOURCES.txt`` left by an editable install,
    which could hold a file that package-data forgets.
    """
    source, out = workdir / "source", workdir / "dist"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*_NOT_SOURCE))
    _run([sys.executable, "-m", "build", "--outdir", out, source], cwd=workdir)
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


@pytest.fixture(scope="module")
def venv(workdir: Path, dists: dict[str, Path]) -> Path:
    """A fresh venv with the wheel (dependencies from the index) and ipykernel, nothing else."""
    where = workdir / "venv"
    _run([sys.executable, "-m", "venv", where], cwd=workdir, env=_clean_env(where))
    python = where / "bin" / "python"
    _run([python, "-m", "pip", "install", "--quiet", dists["wheel"], "ipykernel"], cwd=workdir, env=_clean_env(where))
    return where


@pytest.mark.timeout(SLOW_S)
def test_the_distributions_pass_twine_check(dists):
    out = _run([sys.executable, "-m", "twine", "check", "--strict", dists["sdist"], dists["wheel"]], cwd=ROOT)
    assert out.count("PASSED") == 2, out


@pytest.mark.timeout(SLOW_S)
def test_the_wheel_metadata_says_what_pypi_shows(dists):
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.parser.Parser().parsestr(wheel.read(name).decode())
    assert metadata["Name"] == "lambda_magic"
    assert metadata["License-Expression"] == "MIT"
    assert "LICENSE" in metadata.get_all("License-File", [])
    assert metadata["Description-Content-Type"].startswith("text/markdown")
    assert metadata["Requires-Python"] == ">=3.10"
    assert "%%lambda" in metadata.get_payload()  # the README is the long description
    classifiers = metadata.get_all("Classifier", [])
    assert {"Operating System :: MacOS", "Operating System :: POSIX :: Linux"} <= set(classifiers)


@pytest.mark.timeout(SLOW_S)
def test_the_wheel_and_sdist_hold_every_file_of_the_package(dists):
    expected = _package_files()
    assert any(name.startswith("lambda_magic/events/templates/") for name in expected)
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        in_wheel = set(wheel.namelist())
    assert expected - in_wheel == set()
    assert not any(name.startswith(("tests/", "notebooks/", "benchmarks/")) for name in in_wheel)
    with tarfile.open(dists["sdist"]) as sdist:
        top = sdist.getnames()[0].split("/")[0]
        in_sdist = {name.removeprefix(f"{top}/") for name in sdist.getnames()}
    assert {"README.md", "LICENSE", "pyproject.toml", "CHANGELOG.md"} | expected <= in_sdist


_PROBE = """
import json, sys
from importlib import resources
import lambda_magic
from lambda_magic.events import Catalog
from lambda_magic.runtime.billing import PriceList

root = resources.files("lambda_magic")
def walk(node, prefix):
    for child in node.iterdir():
        if child.is_dir():
            yield from walk(child, prefix + child.name + "/")
        elif not child.name.endswith(".pyc"):
            yield prefix + child.name
print(json.dumps({"file": lambda_magic.__file__, "version": lambda_magic.__version__,
                  "files": sorted(walk(root, "lambda_magic/")), "templates": len(Catalog.load()),
                  "prices": type(PriceList.load()).__name__, "prefix": sys.prefix}))
"""


@pytest.mark.timeout(SLOW_S)
def test_the_installed_package_has_its_data_files(venv, workdir):
    """Imported with ``python -I`` from an empty directory: only the venv's site-packages count."""
    out = _run([venv / "bin" / "python", "-I", "-c", _PROBE], cwd=workdir, env=_clean_env(venv))
    found = json.loads(out)
    assert Path(found["file"]).is_relative_to(venv), found["file"]
    assert found["prefix"] == str(venv)
    assert _package_files() - set(found["files"]) == set()
    templates = list((PACKAGE / "events" / "templates").glob("*/*.json"))
    assert found["templates"] == len(templates)
    assert found["prices"] == "PriceList"  # prices.json read from the installed package


def _kernel_manager(workdir: Path, venv: Path) -> KernelManager:
    """A kernel spec whose kernel is the venv's Python (found only in our own spec directory)."""
    spec_dir = workdir / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "lambda_magic from the wheel",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    specs = KernelSpecManager(kernel_dirs=[str(workdir / "kernels")], ensure_native_kernel=False)
    return KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)


def _end(km: KernelManager) -> list[int]:
    """Shut the kernel down, then end by pid whatever it started that outlived it; those pids."""
    pid = km.provisioner.pid if km.has_kernel and km.provisioner else None
    children = []
    if pid is not None:
        try:
            children = psutil.Process(pid).children(recursive=True)
        except psutil.NoSuchProcess:
            pass
    if km.has_kernel:
        km.shutdown_kernel(now=False)
    _, alive = psutil.wait_procs(children, timeout=30)
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=10)
    return [process.pid for process in alive]


@pytest.mark.timeout(SLOW_S)
def test_notebook_01_runs_on_the_installed_wheel(venv, workdir):
    """The lecture notebook, copied next to nothing of this clone, runs in the venv's kernel."""
    run_dir = workdir / "class"
    run_dir.mkdir(exist_ok=True)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.cells.append(
        nbformat.v4.new_code_cell("import sys, lambda_magic\nprint(lambda_magic.__file__)\nprint(sys.executable)")
    )
    km = _kernel_manager(workdir, venv)
    client = NotebookClient(
        notebook, km=km, timeout=120, kernel_name=KERNEL_NAME, resources={"metadata": {"path": str(run_dir)}}
    )
    try:
        executed = client.execute(env=_clean_env(venv))  # raises CellExecutionError on any error
    finally:
        leftovers = _end(km)
    where, executable = executed.cells[-1].outputs[0]["text"].split()
    assert Path(where).is_relative_to(venv) and not Path(where).is_relative_to(ROOT), where
    assert Path(executable).parent == venv / "bin", executable
    greetings = [
        output.get("data", {}).get("text/plain", "") + output.get("text", "")
        for cell in executed.cells
        if cell.cell_type == "code" and '{"name": "Ada"}' in cell.source
        for output in cell.outputs
    ]
    assert any("Hello, Ada!" in text for text in greetings), greetings
    assert leftovers == [], f"processes outlived the kernel's shutdown: {leftovers}"
