"""``%%lambda NAME --file PATH``: modules and data written in other cells (``%%writefile``) join
the function's package; ``--layer ARN`` adds a published layer."""

import io
import zipfile

import pytest
from IPython.core.error import UsageError

import lambda_magic as lm

CELL = "import utils\ndef lambda_handler(event, context):\n    return utils.shout(event['text'])\n"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def names(function_name):
    with zipfile.ZipFile(io.BytesIO(lm.package(function_name))) as archive:
        return archive.namelist()


def test_a_module_written_with_writefile_is_importable(shell, workdir):
    shell.run_cell_magic("writefile", "utils.py", "def shout(text):\n    return text.upper() + '!'\n")
    shell.run_cell_magic("lambda", "shout --file utils.py", CELL)
    assert lm.invoke("shout", {"text": "hi"}).payload == "HI!"
    assert names("shout") == ["lambda_function.py", "utils.py"]


def test_the_file_is_read_when_the_cell_runs_and_rerunning_picks_up_edits(shell, workdir):
    shell.run_cell_magic("writefile", "utils.py", "def shout(text):\n    return 'v1'\n")
    shell.run_cell_magic("lambda", "shout --file utils.py", CELL)
    first = lm.account().get_function("shout").code_sha256
    shell.run_cell_magic("writefile", "utils.py", "def shout(text):\n    return 'v2'\n")
    assert lm.invoke("shout", {"text": "x"}).payload == "v1"  # the package is what was deployed
    shell.run_cell_magic("lambda", "shout --file utils.py", CELL)
    assert lm.invoke("shout", {"text": "x"}).payload == "v2"
    assert lm.account().get_function("shout").code_sha256 != first


def test_folders_data_files_and_several_files(shell, workdir):
    (workdir / "helpers").mkdir()
    (workdir / "helpers" / "__init__.py").write_text("")
    (workdir / "helpers" / "fmt.py").write_text("def fmt(x):\n    return f'<{x}>'\n")
    (workdir / "words.txt").write_text("alpha\nbeta\n")
    (workdir / "utils.py").write_text("def shout(text):\n    return text.upper()\n")
    cell = (
        "import os, utils\nfrom helpers.fmt import fmt\n"
        "def lambda_handler(event, context):\n"
        "    words = open(os.path.join(os.environ['LAMBDA_TASK_ROOT'], 'words.txt')).read().split()\n"
        "    return [fmt(utils.shout(w)) for w in words]\n"
    )
    shell.run_cell_magic("lambda", "multi --file utils.py --file helpers --file words.txt", cell)
    assert lm.invoke("multi").payload == ["<ALPHA>", "<BETA>"]
    assert names("multi") == ["helpers/__init__.py", "helpers/fmt.py", "lambda_function.py", "utils.py", "words.txt"]


def test_the_handler_may_live_in_a_file_module(shell, workdir):
    (workdir / "app.py").write_text("def handler(event, context):\n    return 'from app.py'\n")
    shell.run_cell_magic("lambda", "fromfile --file app.py --handler app.handler", "# the code is in app.py\n")
    assert lm.account().get_function("fromfile").config.handler_setting == "app.handler"
    assert lm.invoke("fromfile").payload == "from app.py"


def test_a_missing_file_is_one_line_saying_what_to_do(shell, workdir):
    with pytest.raises(UsageError) as caught:
        shell.run_cell_magic("lambda", "shout --file nothere.py", CELL)
    message = str(caught.value)
    assert "nothere.py" in message and "%%writefile" in message and "\n" not in message
    assert lm.account().list_functions() == []


def test_a_file_may_not_replace_the_cells_module(shell, workdir):
    (workdir / "lambda_function.py").write_text("x = 1\n")
    with pytest.raises(UsageError, match=r"lambda_function\.py"):
        shell.run_cell_magic("lambda", "shout --file lambda_function.py", CELL)


def test_layer_option(shell, workdir):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("python/utils.py", "def shout(text):\n    return 'layer:' + text\n")
    layer = lm.publish_layer_version("utils", zip_file=buffer.getvalue())
    shell.run_cell_magic("lambda", f"shout --layer {layer.arn}", CELL)
    assert lm.invoke("shout", {"text": "x"}).payload == "layer:x"
