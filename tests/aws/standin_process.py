"""Starting and stopping an AWS stand-in process (``python -m lambda_magic.standin``) for the tests, by its pid."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys

import pytest

REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
READY_TIMEOUT_S = 120.0


def environment() -> dict[str, str]:
    drop = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_LAMBDA")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(CREDENTIALS, AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=os.devnull)
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return env


def start(*arguments: str) -> tuple[subprocess.Popen, str]:
    """A stand-in process and its URL (from its ready line, waited for with a bound)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "lambda_magic.standin", *arguments],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=environment(),
        text=True,
    )
    assert process.stdout is not None
    readable, _, _ = select.select([process.stdout], [], [], READY_TIMEOUT_S)
    line = process.stdout.readline() if readable else ""
    if not line.startswith("ready "):
        stop(process)
        pytest.fail(f"the stand-in did not start within {READY_TIMEOUT_S:.0f} s: {line!r}")
    return process, line.split()[1]


def stop(process: subprocess.Popen) -> int:
    os.kill(process.pid, signal.SIGTERM)
    try:
        return process.wait(30)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        raise
