"""Small helpers for the runtime tests: handler source, process checks, polling."""

from __future__ import annotations

import os
import re
import textwrap
import time
from collections.abc import Callable, Iterable

import psutil

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
LOG_STREAM = re.compile(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$")


def code(source: str) -> str:
    """Handler source written indented inside a test, dedented."""
    return textwrap.dedent(source).lstrip("\n")


OK = code(
    """
    def lambda_handler(event, context):
        return {"ok": True, "event": event}
    """
)


def shared_dir() -> str:
    """A fresh directory both this process and an environment can see.

    Environments get a private ``/tmp`` (as on Lambda), so gates and markers shared
    with a handler must live elsewhere."""
    import tempfile

    for base in ("/dev/shm", "/var/tmp"):
        if os.path.isdir(base) and os.access(base, os.W_OK):
            return tempfile.mkdtemp(prefix="lambda-magic-test-", dir=base)
    raise RuntimeError("no directory outside /tmp to share with environments")


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def proc(pid: int) -> psutil.Process:
    """A handle that knows the process's start time, so pid reuse is not mistaken for survival."""
    return psutil.Process(pid)


def is_gone(process: psutil.Process) -> bool:
    """True once the process has exited (a zombie waiting for its reaper counts as gone)."""
    try:
        if not process.is_running():
            return True
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def all_gone(processes: Iterable[psutil.Process], timeout: float = 10.0) -> bool:
    processes = list(processes)
    return wait_until(lambda: all(is_gone(p) for p in processes), timeout)


def survivors(processes: Iterable[psutil.Process]) -> list[int]:
    return [p.pid for p in processes if not is_gone(p)]


def template_processes() -> set[int]:
    """Live template (zygote) processes started by this test process."""
    found = set()
    for child in psutil.Process().children():
        try:
            if "lambda_magic.runtime.zygote" in " ".join(child.cmdline()) and not is_gone(child):
                found.add(child.pid)
        except psutil.Error:
            pass
    return found
