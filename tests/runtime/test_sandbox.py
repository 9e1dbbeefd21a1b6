"""An environment's private /tmp hides the machine's /tmp but keeps what Python needs."""

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

PROBE = textwrap.dedent("""\
    import json, os, sys
    from lambda_magic.runtime.sandbox import mount_private_tmp
    private, kept, other = sys.argv[1:4]
    ok = mount_private_tmp(private, [kept + "/lib/site-packages"])
    print(json.dumps({
        "ok": ok,
        "kept_visible": os.path.exists(kept + "/lib/site-packages/marker.py"),
        "other_visible": os.path.exists(other),
        "private_visible": os.path.exists("/tmp/mine"),
    }))
    """)


def test_private_tmp_keeps_needed_directories_under_tmp():
    with tempfile.TemporaryDirectory(dir="/tmp") as root:
        base = Path(root)
        kept = base / "venv"
        (kept / "lib" / "site-packages").mkdir(parents=True)
        (kept / "lib" / "site-packages" / "marker.py").write_text("")
        other = Path(tempfile.mkdtemp(dir="/tmp")) / "secret"
        other.write_text("x")
        private = base / "private"
        private.mkdir()
        (private / "mine").write_text("")
        done = subprocess.run(
            [sys.executable, "-c", PROBE, str(private), str(kept), str(other)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        if not result["ok"]:
            pytest.skip("this machine allows no mount namespace (the environment falls back to a shared /tmp)")
        assert result == {"ok": True, "kept_visible": True, "other_visible": False, "private_visible": True}
