"""Inline isolation: the handler runs in the calling process (for breakpoints), with stated limitations."""

from __future__ import annotations

import logging
import os
import sys

import pytest

from .helpers import OK, code

COUNTER = code(
    """
    import os
    CALLS = [0]
    def lambda_handler(event, context):
        CALLS[0] += 1
        print("call", CALLS[0])
        return {"calls": CALLS[0], "pid": os.getpid(), "name": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
                "memory": context.memory_limit_in_mb, "stream": context.log_stream_name}
    """
)


def test_inline_runs_in_this_process_and_keeps_globals(account):
    account.register("fn", COUNTER, isolation="inline", memory_mb=256)
    first, second = account.invoke("fn"), account.invoke("fn")
    assert first.status == second.status == "success"
    assert first.payload["pid"] == os.getpid()
    assert [first.payload["calls"], second.payload["calls"]] == [1, 2]
    assert first.cold_start and not second.cold_start
    assert first.payload["name"] == "fn"
    assert first.payload["memory"] == "256"
    assert first.payload["stream"] == second.payload["stream"] == first.log_stream
    assert "call 1" in first.log_lines and "call 2" in second.log_lines
    assert first.isolation == "inline"


def test_inline_limitations_are_stated_on_every_invocation(account):
    account.register("fn", OK, isolation="inline")
    for invocation in (account.invoke("fn"), account.invoke("fn")):
        assert invocation.limitations
        text = " ".join(invocation.limitations)
        assert "inline" in text
        assert "deadline" in text and "memory" in text
        assert "note: " + invocation.limitations[0] in repr(invocation)
    account.register("proc", OK)
    assert account.invoke("proc").limitations == ()


def test_inline_memory_is_not_measured(account):
    account.register("fn", OK, isolation="inline")
    invocation = account.invoke("fn")
    assert invocation.max_memory_used_mb is None


def test_inline_timeout_is_reported_but_the_handler_is_not_stopped(account, tmp_path):
    marker = tmp_path / "finished"
    account.register(
        "fn",
        code(
            f"""
        import time
        def lambda_handler(event, context):
            time.sleep(1.2)
            open({str(marker)!r}, "w").write("finished")
            return "late"
        """
        ),
        isolation="inline",
        timeout_s=1,
    )
    invocation = account.invoke("fn")
    assert marker.read_text() == "finished"  # it ran to the end
    assert invocation.status == "timeout"
    assert invocation.error_type == "Sandbox.Timedout"
    assert invocation.function_error == "Unhandled"
    assert invocation.error_message == f"RequestId: {invocation.request_id} Error: Task timed out after 1.00 seconds"
    assert invocation.report.endswith("Status: timeout")
    assert invocation.duration_ms >= 1000
    # As after any timeout, the next invocation starts a new environment.
    assert account.invoke("fn").cold_start is True


def test_inline_restores_the_process_state(account, capsys):
    environ_before = dict(os.environ)
    root = logging.getLogger()
    handlers_before, level_before = list(root.handlers), root.level
    stdout_before, stderr_before = sys.stdout, sys.stderr
    account.register(
        "fn",
        code(
            """
        import logging, os, sys
        def lambda_handler(event, context):
            print("to the log, not the terminal")
            print("stderr too", file=sys.stderr)
            logging.getLogger().warning("a warning")
            return os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        """
        ),
        isolation="inline",
        env={"INLINE_ONLY": "yes"},
    )
    invocation = account.invoke("fn")
    assert invocation.payload == "fn"
    assert "to the log, not the terminal" in invocation.log_lines
    assert "stderr too" in invocation.log_lines
    assert any(line.startswith("[WARNING]\t") and line.endswith("a warning") for line in invocation.log_lines)
    assert dict(os.environ) == environ_before
    assert "AWS_LAMBDA_FUNCTION_NAME" not in os.environ and "INLINE_ONLY" not in os.environ
    assert sys.stdout is stdout_before and sys.stderr is stderr_before
    assert root.handlers == handlers_before and root.level == level_before
    captured = capsys.readouterr()
    assert "to the log" not in captured.out and "stderr too" not in captured.err


def test_inline_handler_writes_to_os_environ_do_not_reach_the_caller(account):
    before = dict(os.environ)
    account.register(
        "fn",
        code(
            """
        import os
        def lambda_handler(event, context):
            os.environ["SET_INLINE"] = "1"
            os.environ.pop("HOME", None)
            return sorted(os.environ)[:1]
        """
        ),
        isolation="inline",
    )
    account.invoke("fn")
    assert dict(os.environ) == before


def test_inline_state_is_restored_after_an_error(account):
    environ_before = dict(os.environ)
    stdout_before = sys.stdout
    account.register("fn", "def lambda_handler(e, c):\n    raise ValueError('inline boom')\n", isolation="inline")
    invocation = account.invoke("fn")
    assert invocation.error_type == "ValueError"
    assert invocation.payload["stackTrace"][0].startswith('  File "/var/task/lambda_function.py", line 2')
    assert not any("lambda_magic" in frame for frame in invocation.payload["stackTrace"])
    assert sum(line.startswith("[ERROR] ValueError: inline boom") for line in invocation.log_lines) == 1
    assert dict(os.environ) == environ_before
    assert sys.stdout is stdout_before


def test_inline_module_is_not_in_sys_modules(account):
    account.register("fn", OK, isolation="inline")
    account.invoke("fn")
    assert "lambda_function" not in sys.modules


def test_inline_init_errors(account):
    account.register("fn", "import no_such_module_inline\n", isolation="inline")
    invocation = account.invoke("fn")
    assert invocation.error_type == "Runtime.ImportModuleError"
    assert (
        invocation.error_message == "Unable to import module 'lambda_function': No module named 'no_such_module_inline'"
    )


def test_inline_sys_exit_is_contained(account):
    account.register("fn", "import sys\ndef lambda_handler(e, c):\n    sys.exit(3)\n", isolation="inline")
    invocation = account.invoke("fn")
    assert invocation.error_type == "Runtime.ExitError"
    assert (
        invocation.error_message
        == f"RequestId: {invocation.request_id} Error: Runtime exited with error: exit status 3"
    )
    assert account.invoke("fn").cold_start is True


def test_inline_can_be_the_account_default(account):
    account.configure(isolation="inline")
    assert account.register("fn", OK).config.isolation == "inline"
    assert account.invoke("fn").payload == {"ok": True, "event": {}}


def test_inline_re_register_forgets_globals(account):
    account.register("fn", COUNTER, isolation="inline")
    account.invoke("fn")
    account.invoke("fn")
    account.register("fn", COUNTER, isolation="inline")
    assert account.invoke("fn").payload["calls"] == 1


@pytest.mark.parametrize("fmt", ["Text", "JSON"])
def test_inline_log_formats(account, fmt):
    account.register(
        "fn",
        "import logging\ndef lambda_handler(e, c):\n    logging.error('inline error')\n",
        isolation="inline",
        log_format=fmt,
    )
    lines = account.invoke("fn").log_lines
    if fmt == "JSON":
        assert any('"message": "inline error"' in line for line in lines)
    else:
        assert any(line.startswith("[ERROR]\t") and line.endswith("\tinline error") for line in lines)
