"""The event catalog is core: importing and rendering it loads no notebook or data-frame library."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import lambda_magic.events as events
from lambda_magic.events import Catalog

HEAVY = ("IPython", "pandas", "ipywidgets", "matplotlib")


def test_importing_and_rendering_loads_no_heavy_library():
    probe = textwrap.dedent(
        """
        import json, sys
        from lambda_magic.events import Catalog
        catalog = Catalog.load()
        events = [catalog.render(t.id) for t in catalog.templates()]
        print(json.dumps({"n": len(events), "loaded": sorted({m.split(".")[0] for m in sys.modules})}))
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["n"] == len(Catalog.load())
    assert [name for name in HEAVY if name in out["loaded"]] == []


def test_event_sources_do_not_import_heavy_libraries():
    offenders = []
    for path in Path(events.__file__).parent.glob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith(("import ", "from ")) and any(
                    f" {name}" in stripped.split("#")[0] or f" {name}." in stripped for name in HEAVY):
                offenders.append(f"{path.name}:{number}: {stripped}")
    assert offenders == []
