"""The core is pure Python: importing and using it pulls in no notebook or data-frame library."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

HEAVY = ("IPython", "pandas", "ipywidgets", "matplotlib")

PROBE = textwrap.dedent(
    """
    import json, sys
    import lambda_magic.runtime as r

    account = r.LocalAccount()
    account.register("fn", "import logging\\ndef lambda_handler(event, context):\\n    logging.warning('w')\\n"
                           "    return event\\n")
    result = account.invoke("fn", {"x": 1})
    inline = account.register("inline", "def lambda_handler(e, c):\\n    return 2\\n", isolation="inline")
    second = account.invoke("inline")
    account.invoke("fn", {"y": 2}, invocation_type="Event")
    account.wait(30)
    account.log_events("fn", filter_pattern="w")
    repr(result)
    account.shutdown()
    print(json.dumps({
        "payloads": [result.payload, second.payload],
        "loaded": sorted({name.split(".")[0] for name in sys.modules}),
    }))
    """
)


def run(code: str) -> dict:
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_register_and_invoke_import_no_heavy_library():
    out = run(PROBE)
    assert out["payloads"] == [{"x": 1}, 2]  # the probe really ran
    assert [name for name in HEAVY if name in out["loaded"]] == []


def test_importing_the_runtime_is_light():
    out = run(
        "import json, sys\nimport lambda_magic.runtime\n"
        "print(json.dumps({'loaded': sorted({n.split('.')[0] for n in sys.modules})}))"
    )
    assert "lambda_magic" in out["loaded"]
    assert [name for name in HEAVY if name in out["loaded"]] == []


@pytest.mark.parametrize("package", ["lambda_magic.runtime", "lambda_magic.events"])
def test_core_sources_do_not_import_heavy_libraries(package):
    """The core layers (runtime/ and events/, subpackages included) name no heavy library at all."""
    import importlib
    from pathlib import Path

    root = Path(importlib.import_module(package).__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith(("import ", "from ")) and any(
                f" {name}" in stripped.split("#")[0] or f" {name}." in stripped for name in HEAVY
            ):
                offenders.append(f"{path.relative_to(root)}:{number}: {stripped}")
    assert offenders == []
