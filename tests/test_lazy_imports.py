"""Importing the package or loading the extension must not pull in pandas or ipywidgets."""

import subprocess
import sys
import textwrap

HEAVY = ("pandas", "ipywidgets", "matplotlib")


def _modules_after(code: str) -> set[str]:
    probe = textwrap.dedent(code) + "\nimport sys\nprint(' '.join(sorted(sys.modules)))\n"
    output = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(output.split())


def test_import_lambda_magic_is_light():
    modules = _modules_after("import lambda_magic")
    assert not [name for name in HEAVY if name in modules]


def test_load_ext_is_light_until_a_dataframe_is_asked_for():
    modules = _modules_after(
        """
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        shell.run_line_magic("load_ext", "lambda_magic")
        shell.run_cell_magic("lambda", "f", "def lambda_handler(event, context):\\n    return 1\\n")
        assert shell.run_line_magic("lambda", "invoke f").payload == 1
        """
    )
    assert not [name for name in HEAVY if name in modules]
    modules = _modules_after(
        """
        import lambda_magic as lm
        lm.functions()
        """
    )
    assert "pandas" in modules  # imported on first need, not before
