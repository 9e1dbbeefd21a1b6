"""The lecture notebooks run from top to bottom, and carry the references nbval compares.

nbval compares outputs but lets a magic's ``UsageError`` pass (the kernel reports it
as a stderr stream, not as an ``error`` output), so this module executes every
notebook with nbclient, which fails on any ``execute_reply`` with ``status=error``.

Conventions for ``notebooks/*.ipynb``:

* every code cell has stored outputs, except cells tagged ``no-output``, which must
  have none (for example ``%load_ext lambda_magic``);
* the stored notebook was executed in one pass (execution counts 1, 2, 3, ...) and
  holds no execution timestamps (``--ExecutePreprocessor.record_timing=False``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT_S = 120
NO_OUTPUT_TAG = "no-output"


def _execute(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    return client.execute()


def _code_cells(path: Path) -> list[tuple[int, nbformat.NotebookNode]]:
    notebook = nbformat.read(path, as_version=4)
    return [(index, cell) for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]


def test_there_are_lecture_notebooks() -> None:
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR}"


# --- export (issue 14): the notebook's account, exported before its closing reset, passes cfn-lint ---
_RESETS = ("%lambda reset", "lm.reset()")
_EXPORT_CELL = """import lambda_magic as _lm
if _lm.account().list_functions():
    _lm.export("sam", {path!r})"""


def _with_export_cell(notebook: nbformat.NotebookNode, template: Path) -> None:
    """Insert a cell exporting the account before the notebook's closing reset (else at the end)."""
    code = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    last = code[-1] if code else len(notebook.cells)
    at = last if code and notebook.cells[last].source.strip() in _RESETS else len(notebook.cells)
    notebook.cells.insert(at, nbformat.v4.new_code_cell(_EXPORT_CELL.format(path=str(template))))


def _cfn_lint(template: Path) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("cfn-lint")
    command = [str(script) if script.exists() else "cfn-lint", "--non-zero-exit-code", "error", str(template)]
    return subprocess.run(command, capture_output=True, text=True, timeout=CELL_TIMEOUT_S)


# --- end export ---


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_notebook_executes_without_errors(path: Path, tmp_path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    template = tmp_path / "template.yaml"
    _with_export_cell(notebook, template)
    executed = _execute(notebook)  # raises CellExecutionError on any error, UsageErrors included
    errors = [
        (index, output.get("ename"))
        for index, cell in enumerate(executed.cells)
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert errors == []
    if template.exists():  # the export of the notebook's account (none when it ends with no function)
        linted = _cfn_lint(template)
        assert linted.returncode == 0, linted.stdout + linted.stderr


def test_usage_error_from_a_magic_fails_execution() -> None:
    """The trap nbval falls into: a mistyped verb must fail the run, not pass silently."""
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("%load_ext lambda_magic"),
            nbformat.v4.new_code_cell("%lambda invok hello"),
            nbformat.v4.new_code_cell("print('not reached')"),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    with pytest.raises(CellExecutionError) as failure:
        _execute(notebook)
    assert failure.value.ename == "UsageError"
    assert "unknown verb 'invok'" in failure.value.evalue
    assert notebook.cells[2].outputs == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_code_cells_have_stored_outputs(path: Path) -> None:
    missing, unexpected = [], []
    for index, cell in _code_cells(path):
        output_free = NO_OUTPUT_TAG in cell.metadata.get("tags", [])
        first_line = cell.source.splitlines()[0] if cell.source else ""
        if output_free and cell.outputs:
            unexpected.append((index, first_line))
        elif not output_free and not cell.outputs:
            missing.append((index, first_line))
    assert missing == [], (
        "code cells without stored outputs (nbval has nothing to compare): execute the notebook with "
        "`jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.record_timing=False`, "
        f"or tag a cell {NO_OUTPUT_TAG!r} if it is meant to show nothing"
    )
    assert unexpected == [], f"cells tagged {NO_OUTPUT_TAG!r} have outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_notebook_was_executed_in_one_pass_without_timestamps(path: Path) -> None:
    cells = _code_cells(path)
    counts = [cell.execution_count for _, cell in cells]
    assert counts == list(range(1, len(cells) + 1)), "re-execute the whole notebook from the top"
    timed = [index for index, cell in cells if "execution" in cell.metadata]
    assert timed == [], "cell metadata holds execution timestamps: use --ExecutePreprocessor.record_timing=False"
