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


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_notebook_executes_without_errors(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    executed = _execute(notebook)  # raises CellExecutionError on any error, UsageErrors included
    errors = [
        (index, output.get("ename"))
        for index, cell in enumerate(executed.cells)
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert errors == []


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
