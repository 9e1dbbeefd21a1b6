"""Linux-only calls are capabilities; LAMBDA_MAGIC_PORTABLE=1 turns them all off, so Linux runs the code
paths macOS takes: memory measured by the environment itself, a shared /tmp the invocation admits to."""

from __future__ import annotations

import os
import uuid

import pytest

from lambda_magic.runtime import LocalAccount, platform

from .helpers import code, is_gone, proc, wait_until


@pytest.fixture
def portable_account(monkeypatch):
    monkeypatch.setenv(platform.PORTABLE_VARIABLE, "1")
    acct = LocalAccount()
    try:
        yield acct
    finally:
        acct.shutdown()


def test_the_switch_turns_every_linux_only_capability_off(monkeypatch):
    monkeypatch.setenv(platform.PORTABLE_VARIABLE, "1")
    switched = platform.capabilities()
    assert switched.portable
    assert all(not c.available and platform.PORTABLE_VARIABLE in c.reason for c in switched.all())
    lines = switched.describe().splitlines()
    assert len(lines) == len(switched.all()) and all(": no (" in line for line in lines)
    monkeypatch.setenv(platform.PORTABLE_VARIABLE, "0")
    assert platform.capabilities().portable is False
    monkeypatch.delenv(platform.PORTABLE_VARIABLE)
    native = platform.capabilities()
    assert not native.portable
    for capability in native.all():  # each one either works here or says why not
        assert capability.available or capability.reason


def test_maxrss_is_converted_by_the_os_not_by_the_switch(monkeypatch):
    monkeypatch.setenv(platform.PORTABLE_VARIABLE, "1")
    expected = 2048 if platform.sys.platform == "darwin" else 2048 * 1024
    assert platform.maxrss_bytes(2048) == expected


PORTABLE = code(
    """
    import os, tempfile
    def lambda_handler(event, context):
        with open(event["tmp_file"], "w") as marker:  # /tmp literally
            marker.write("from the environment")
        keep = b"x" * (event["mb"] << 20)  # touched, so resident
        return {"tmpdir": tempfile.gettempdir(), "size": len(keep),
                "portable_visible": "LAMBDA_MAGIC_PORTABLE" in os.environ}
    """
)


def test_a_fresh_account_under_the_switch_runs_measures_and_admits_a_shared_tmp(portable_account):
    portable_account.register("fn", PORTABLE, memory_mb=256)
    marker = f"/tmp/lambda-magic-portable-{uuid.uuid4().hex}"
    try:
        invocation = portable_account.invoke("fn", {"tmp_file": marker, "mb": 80})
        assert invocation.status == "success", invocation.payload
        assert os.path.exists(marker)  # the machine's /tmp: shared, as the invocation says
    finally:
        if os.path.exists(marker):
            os.unlink(marker)
    assert invocation.payload["portable_visible"] is False  # the switch is the emulator's, not the handler's
    assert invocation.payload["tmpdir"] != "/tmp"  # TMPDIR is still the environment's own
    [note] = [line for line in invocation.limitations if "/tmp" in line]
    assert "shared" in note and f"{platform.PORTABLE_VARIABLE}=1" in note
    [(env, _)] = portable_account.environments()
    assert env.memory_probe == "rusage"  # measured by the environment (getrusage), not through /proc
    assert 80 <= invocation.max_memory_used_mb < 256
    assert f"Max Memory Used: {invocation.max_memory_used_mb} MB" in invocation.report


def test_growing_past_the_memory_is_out_of_memory_under_the_switch(portable_account):
    portable_account.register(
        "hog",
        code(
            """
        def lambda_handler(event, context):
            keep = []
            while True:
                keep.append(b"x" * (1 << 20))  # 1 MB at a time, touched
        """
        ),
        memory_mb=128,
        timeout_s=30,
    )
    invocation = portable_account.invoke("hog")
    assert invocation.error_type == "Runtime.OutOfMemory"
    assert invocation.max_memory_used_mb >= 128
    portable_account.register("ok", "def lambda_handler(e, c):\n    return 1\n")
    assert portable_account.invoke("ok").payload == 1  # and the account carries on


def test_the_template_ends_on_shutdown_under_the_switch(monkeypatch):
    monkeypatch.setenv(platform.PORTABLE_VARIABLE, "1")
    account = LocalAccount()
    try:
        account.register("fn", "def lambda_handler(e, c):\n    return 1\n")
        assert account.invoke("fn").payload == 1
        template = proc(account.template().pid)
        [(env, _)] = account.environments()
        environment = proc(env.pid)
    finally:
        account.shutdown()
    assert wait_until(lambda: is_gone(template) and is_gone(environment), timeout=10)


def test_an_environment_ended_at_its_deadline_still_has_a_memory_figure_under_the_switch(portable_account):
    # Without /proc the kernel cannot read the process's peak before ending it: the template reaps it with
    # wait4 and hands back its ru_maxrss.
    portable_account.register(
        "slow",
        code(
            """
        import time
        def lambda_handler(event, context):
            keep = b"x" * (40 << 20)
            time.sleep(30)
        """
        ),
        memory_mb=256,
        timeout_s=1,
    )
    invocation = portable_account.invoke("slow")
    assert invocation.status == "timeout"
    assert invocation.max_memory_used_mb is not None and invocation.max_memory_used_mb >= 40
    assert f"Max Memory Used: {invocation.max_memory_used_mb} MB" in invocation.report
