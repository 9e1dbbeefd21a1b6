"""Requirements vendored into a package, built for Lambda's platform rather than this machine's.

``pip install --platform manylinux2014_x86_64 (or _aarch64) --only-binary=:all:
--python-version 3.12 --implementation cp --target DIR``: wheels only (nothing is compiled
here), for the function's architecture and runtime.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence

from ..common.errors import InvalidParameterValueException

PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
_SKIPPED = frozenset({"__pycache__", "bin"})


def pip_command(
    requirements: Sequence[str], target: str, *, architecture: str, runtime: str, pip_args: Sequence[str] = ()
) -> list[str]:
    """The pip command line that installs ``requirements`` (specifiers, or ``-r FILE``) for Lambda."""
    if architecture not in PLATFORMS:
        raise InvalidParameterValueException(f"architecture {architecture!r}: use x86_64 or arm64")
    version = runtime.removeprefix("python")
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--platform",
        PLATFORMS[architecture],
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        version,
        "--target",
        target,
        *pip_args,
        *requirements,
    ]


def vendor(
    requirements: Sequence[str], *, architecture: str, runtime: str, pip_args: Sequence[str] = ()
) -> dict[str, bytes]:
    """The installed files (path in the package -> bytes) of ``requirements`` for the function's platform."""
    with tempfile.TemporaryDirectory(prefix="lambda-magic-vendor-") as target:
        command = pip_command(requirements, target, architecture=architecture, runtime=runtime, pip_args=pip_args)
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
            raise InvalidParameterValueException(f"requirements could not be vendored for {architecture}: {last}")
        files: dict[str, bytes] = {}
        for folder, dirs, names in os.walk(target):
            dirs[:] = sorted(d for d in dirs if d not in _SKIPPED)
            for name in names:
                path = os.path.join(folder, name)
                with open(path, "rb") as file:
                    files[os.path.relpath(path, target).replace(os.sep, "/")] = file.read()
        return files
