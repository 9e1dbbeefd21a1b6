"""The event catalog is core: importing and rendering it loads no notebook or data-frame library."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

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
