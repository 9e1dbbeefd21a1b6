"""Function errors are data with Lambda's shapes (lambda-semantics §4): status 200, Unhandled, error body."""

from __future__ import annotations

import json
import math
import re

import pytest

from lambda_magic.runtime import (
    InvalidRequestContentException,
    LambdaMagicError,
    RequestTooLargeException,
)
from lambda_magic.common import limits

from .helpers import OK, UUID, code

RAISES = code(
    """
    def helper(value):
        raise ValueError(f"bad value {value}")

    def lambda_handler(event, context):
        return helper(event.get("value"))
    """
)

#: A handler that is quick on {"warm": true} and does one of several endless things otherwise.
TIMEOUTS = code(
    """
    import re, time

    def lambda_handler(event, context):
        if event.get("warm"):
            return "warm"
        kind = event["kind"]
        if kind == "busy":
            while True:
                pass
        if kind == "sleep":
            time.sleep(60)
        if kind == "sum":
            return sum(range(10 ** 12))
        if kind == "regex":
            return bool(re.match(r"(a+)+$", "a" * 64 + "b"))
    """
)


def assert_unhandled(invocation, error_type):
    assert invocation.status_code == 200
    assert invocation.function_error == "Unhandled"
    assert invocation.error_type == error_type
    assert invocation.payload["errorType"] == error_type
    assert invocation.error_message == invocation.payload["errorMessage"]


def report_fields(report: str) -> list[str]:
    return report.split("\t")


# --- exceptions raised by the handler ----------------------------------------------------------------------------


def test_exception_is_an_unhandled_function_error_with_the_runtimes_body(account):
    account.register("fn", RAISES)
    invocation = account.invoke("fn", {"value": 42})
    assert_unhandled(invocation, "ValueError")
    assert invocation.status == "error"
    body = invocation.payload
    assert set(body) == {"errorMessage", "errorType", "requestId", "stackTrace"}
    assert body["errorMessage"] == "bad value 42"
    assert body["requestId"] == invocation.request_id
    stack = body["stackTrace"]
    assert isinstance(stack, list) and len(stack) == 2
    assert stack[0].startswith('  File "/var/task/lambda_function.py", line 5, in lambda_handler\n')
    assert stack[1].startswith('  File "/var/task/lambda_function.py", line 2, in helper\n')
    assert 'raise ValueError(f"bad value {value}")' in stack[1]
    assert not any("lambda_magic" in frame or "bootstrap" in frame for frame in stack)
    assert json.loads(json.dumps(body)) == body


def test_exception_is_logged_as_one_error_event(account):
    account.register("fn", RAISES)
    invocation = account.invoke("fn", {"value": 1})
    errors = [line for line in invocation.log_lines if line.startswith("[ERROR]")]
    assert len(errors) == 1
    event = errors[0]
    lines = event.split("\n")
    assert lines[0] == "[ERROR] ValueError: bad value 1"
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[2] == '\u00a0\u00a0File "/var/task/lambda_function.py", line 5, in lambda_handler'
    assert "lambda_magic" not in event
    stored = [e for e in account.log_events("fn", request_id=invocation.request_id) if e.message.startswith("[ERROR]")]
    assert len(stored) == 1 and stored[0].level == "ERROR"


def test_exception_report_has_no_status_field(account):
    # Errors raised by the handler do not add "Status: error" (only runtime errors do).
    account.register("fn", RAISES)
    invocation = account.invoke("fn", {"value": 1})
    assert "Status:" not in invocation.report


def test_exception_without_message(account):
    account.register("fn", code("def lambda_handler(e, c):\n    raise KeyError\n"))
    invocation = account.invoke("fn")
    assert_unhandled(invocation, "KeyError")
    assert invocation.payload["errorMessage"] == ""
    assert any(line.split("\n")[0] == "[ERROR] KeyError" for line in invocation.log_lines)


def test_handler_with_the_wrong_signature_is_a_type_error(account):
    account.register("fn", "def lambda_handler(event):\n    return event\n")
    invocation = account.invoke("fn")
    assert_unhandled(invocation, "TypeError")
    assert "takes 1 positional argument but 2 were given" in invocation.error_message


def test_custom_exception_class_name_is_the_error_type(account):
    account.register(
        "fn",
        code(
            """
        class PaymentDeclined(Exception):
            pass
        def lambda_handler(event, context):
            raise PaymentDeclined("card expired")
        """
        ),
    )
    invocation = account.invoke("fn")
    assert_unhandled(invocation, "PaymentDeclined")
    assert invocation.error_message == "card expired"


def test_deep_recursion_is_an_ordinary_error(account):
    account.register(
        "fn",
        code(
            """
        def down(n):
            return down(n + 1)
        def lambda_handler(event, context):
            if event.get("ok"):
                return "fine"
            return down(0)
        """
        ),
    )
    invocation = account.invoke("fn")
    assert_unhandled(invocation, "RecursionError")
    assert "maximum recursion depth" in invocation.error_message
    assert all("lambda_magic" not in frame for frame in invocation.payload["stackTrace"])
    after = account.invoke("fn", {"ok": True})
    assert after.payload == "fine" and after.cold_start is False


# --- timeouts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["busy", "sleep", "sum", "regex"])
def test_timeout(account, kind):
    account.register("fn", TIMEOUTS, timeout_s=1)
    assert account.invoke("fn", {"warm": True}).payload == "warm"
    invocation = account.invoke("fn", {"kind": kind})
    assert_unhandled(invocation, "Sandbox.Timedout")
    assert invocation.status == "timeout"
    assert invocation.cold_start is False
    assert invocation.error_message == f"RequestId: {invocation.request_id} Error: Task timed out after 1.00 seconds"
    assert invocation.payload == {"errorType": "Sandbox.Timedout", "errorMessage": invocation.error_message}
    assert invocation.report.endswith("\tStatus: timeout")
    assert invocation.duration_ms >= 1000
    assert invocation.billed_duration_ms >= 1000
    assert invocation.log_lines[-1] == invocation.report
    assert invocation.log_lines[-2] == f"END RequestId: {invocation.request_id}"
    # The environment was ended: the next invocation starts a new one.
    after = account.invoke("fn", {"warm": True})
    assert after.payload == "warm"
    assert after.cold_start is True
    assert after.log_stream == invocation.log_stream  # a reset keeps the environment's log stream


@pytest.mark.parametrize("crash", ["hang", "exit"])
def test_the_invoke_after_a_reset_carries_a_suppressed_init(account, crash):
    # lambda-semantics §8.3: after a timeout or crash the next invoke re-initialises inside the invoke:
    # no INIT_START, no Init Duration in REPORT, the init time is part of Duration.
    account.register(
        "fn",
        code(
            """
        import os, time
        time.sleep(0.1)
        INITS = [0]
        INITS[0] += 1
        def lambda_handler(event, context):
            if event.get("hang"):
                time.sleep(60)
            if event.get("exit"):
                os._exit(1)
            return INITS[0]
        """
        ),
        timeout_s=1,
    )
    first = account.invoke("fn")
    assert first.init_duration_ms is not None and first.init_log_lines
    broken = account.invoke("fn", {crash: True})
    assert broken.error_type == ("Sandbox.Timedout" if crash == "hang" else "Runtime.ExitError")
    after = account.invoke("fn")
    assert after.status == "success" and after.payload == 1  # module globals were rebuilt
    assert after.cold_start is True
    assert after.init_duration_ms is None
    assert "Init Duration" not in after.report
    assert not any(line.startswith("INIT_START") for line in after.init_log_lines + after.log_lines)
    assert after.duration_ms >= 100  # the init's sleep is inside Duration
    assert after.billed_duration_ms == math.ceil(after.duration_ms)


def test_timeout_message_uses_the_configured_timeout(account):
    account.register("fn", TIMEOUTS, timeout_s=2)
    invocation = account.invoke("fn", {"kind": "sleep"})
    assert invocation.error_message.endswith("Error: Task timed out after 2.00 seconds")


def test_output_before_a_timeout_is_kept(account):
    account.register(
        "fn",
        code(
            """
        import logging, time
        def lambda_handler(event, context):
            print("about to hang")
            logging.getLogger().warning("still here")
            time.sleep(60)
        """
        ),
        timeout_s=1,
    )
    invocation = account.invoke("fn")
    assert invocation.status == "timeout"
    assert "about to hang" in invocation.log_lines
    assert any(line.startswith("[WARNING]") and line.endswith("still here") for line in invocation.log_lines)


def test_init_time_does_not_count_against_the_function_timeout(account):
    # Init has its own 10 s limit; the invoke phase gets the full function timeout (lambda-semantics §4.9, §8.1).
    account.register(
        "fn",
        code(
            """
        import time
        time.sleep(0.6)
        def lambda_handler(event, context):
            time.sleep(0.6)
            return "done"
        """
        ),
        timeout_s=1,
    )
    invocation = account.invoke("fn")
    assert invocation.status == "success", invocation.payload
    assert invocation.payload == "done"


def test_cold_timeout_duration_is_at_least_the_timeout(account):
    account.register(
        "fn",
        code(
            """
        import time
        time.sleep(0.2)
        def lambda_handler(event, context):
            time.sleep(60)
        """
        ),
        timeout_s=1,
    )
    invocation = account.invoke("fn")
    assert invocation.status == "timeout"
    assert invocation.cold_start is True
    assert invocation.duration_ms >= 1000


# --- init errors (lambda-semantics §4.7) ---------------------------------------------------------------------

INIT_ERRORS = {
    "import": (
        "import no_such_module_for_lambda_magic\ndef lambda_handler(e, c):\n    return 1\n",
        {},
        "Runtime.ImportModuleError",
        "Unable to import module 'lambda_function': No module named 'no_such_module_for_lambda_magic'",
    ),
    "from-import": (
        "from json import no_such_name\ndef lambda_handler(e, c):\n    return 1\n",
        {},
        "Runtime.ImportModuleError",
        "Unable to import module 'lambda_function': cannot import name 'no_such_name' from 'json'…",
    ),
    "handler-missing": (
        "def handler(e, c):\n    return 1\n",
        {},
        "Runtime.HandlerNotFound",
        "Handler 'lambda_handler' missing on module 'lambda_function'",
    ),
    "custom-handler-missing": (
        OK,
        {"handler": "main"},
        "Runtime.HandlerNotFound",
        "Handler 'main' missing on module 'lambda_function'",
    ),
    "syntax": (
        "def lambda_handler(e, c)\n    return 1\n",
        {},
        "Runtime.UserCodeSyntaxError",
        "Syntax error in module 'lambda_function': expected ':' (lambda_function.py, line 1)",
    ),
    "indentation": (
        "def lambda_handler(e, c):\nreturn 1\n",
        {},
        "Runtime.UserCodeSyntaxError",
        "Syntax error in module 'lambda_function': expected an indented block after function definition on line 1 "
        "(lambda_function.py, line 2)",
    ),
    "module-level-exception": (
        "CONFIG = {}\nTABLE = CONFIG['table']\ndef lambda_handler(e, c):\n    return 1\n",
        {},
        "KeyError",
        "'table'",
    ),
}


@pytest.mark.parametrize("source, kwargs, error_type, message", INIT_ERRORS.values(), ids=list(INIT_ERRORS))
def test_init_errors(account, source, kwargs, error_type, message):
    account.register("fn", source, **kwargs)
    invocation = account.invoke("fn")
    assert_unhandled(invocation, error_type)
    if message.endswith("…"):  # the rest names a path on this machine
        assert invocation.error_message.startswith(message[:-1])
    else:
        assert invocation.error_message == message
    body = invocation.payload
    assert body["requestId"] == ""
    assert isinstance(body["stackTrace"], list)
    assert invocation.cold_start is True
    # The failed init is reported; a "suppressed init" is retried inside the invoke and fails again.
    assert any(
        line.startswith("INIT_REPORT") and "Phase: init\tStatus: error" in line for line in invocation.init_log_lines
    )
    assert any(
        line.startswith("INIT_REPORT") and "Phase: invoke\tStatus: error" in line for line in invocation.log_lines
    )
    assert invocation.log_lines[0] == f"START RequestId: {invocation.request_id} Version: $LATEST"
    assert invocation.log_lines[-1] == invocation.report
    assert any(line.startswith(f"[ERROR] {error_type}: ") for line in invocation.log_lines)
    # Every invoke tries again, cold; nothing stays around.
    again = account.invoke("fn")
    assert again.cold_start is True and again.error_type == error_type
    assert account.environments() == []


def test_import_error_body_is_exactly_lambdas(account):
    account.register("fn", "import pytz_not_installed_here\n")
    body = account.invoke("fn").payload
    assert body == {
        "errorMessage": "Unable to import module 'lambda_function': No module named 'pytz_not_installed_here'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }


def test_syntax_error_stack_trace_points_at_the_line(account):
    account.register("fn", "x = 1\ndef lambda_handler(e, c)\n    return 1\n")
    body = account.invoke("fn").payload
    assert body["stackTrace"][0].strip() == 'File "/var/task/lambda_function.py" Line 2'


def test_module_level_exception_trace_is_the_users(account):
    account.register("fn", "CONFIG = {}\nTABLE = CONFIG['table']\n")
    stack = account.invoke("fn").payload["stackTrace"]
    assert stack and stack[0].startswith('  File "/var/task/lambda_function.py", line 2, in <module>')
    assert not any("lambda_magic" in frame for frame in stack)


def test_fixing_the_code_after_an_init_error_works(account):
    account.register("fn", "import no_such_module_for_lambda_magic\n")
    assert account.invoke("fn").error_type == "Runtime.ImportModuleError"
    account.register("fn", OK)
    assert account.invoke("fn", {"a": 1}).payload == {"ok": True, "event": {"a": 1}}


def test_init_timeout_is_retried_inside_the_invoke(account, monkeypatch):
    monkeypatch.setattr(limits, "INIT_TIMEOUT_S", 0.3)
    account.register(
        "fn",
        code(
            """
        import time
        time.sleep(0.6)
        def lambda_handler(event, context):
            return "initialised"
        """
        ),
        timeout_s=3,
    )
    invocation = account.invoke("fn")
    assert any("Phase: init\tStatus: timeout" in line for line in invocation.init_log_lines)
    # The suppressed init succeeded under the function timeout: no Init Duration, init time inside Duration.
    assert invocation.status == "success"
    assert invocation.payload == "initialised"
    assert invocation.init_duration_ms is None
    assert "Init Duration" not in invocation.report
    assert invocation.duration_ms >= 600
    assert invocation.cold_start is True


def test_init_timeout_then_function_timeout(account, monkeypatch):
    monkeypatch.setattr(limits, "INIT_TIMEOUT_S", 0.3)
    account.register("fn", "import time\ntime.sleep(30)\ndef lambda_handler(e, c):\n    return 1\n", timeout_s=1)
    invocation = account.invoke("fn")
    assert_unhandled(invocation, "Sandbox.Timedout")
    assert invocation.status == "timeout"
    assert invocation.error_message == f"RequestId: {invocation.request_id} Error: Task timed out after 1.00 seconds"
    assert invocation.report.endswith("Status: timeout")


def test_init_timeout_report_has_a_memory_figure(account, monkeypatch):
    monkeypatch.setattr(limits, "INIT_TIMEOUT_S", 0.3)
    account.register("fn", "import time\ntime.sleep(30)\n", timeout_s=1)
    invocation = account.invoke("fn")
    assert invocation.status == "timeout"
    assert re.search(r"\tMax Memory Used: \d+ MB", invocation.report), invocation.report


def test_init_error_report_has_a_memory_figure(account):
    account.register("fn", "import no_such_module_for_lambda_magic\n")
    invocation = account.invoke("fn")
    assert re.search(r"\tMax Memory Used: \d+ MB\t", invocation.report), invocation.report


# --- the runtime exits ---------------------------------------------------------------------------------------

EXITS = {
    "sys.exit(3)": ("import sys\n", "sys.exit(3)", "Runtime exited with error: exit status 3"),
    "os._exit(3)": ("import os\n", "os._exit(3)", "Runtime exited with error: exit status 3"),
    "SIGSEGV": (
        "import os, signal\n",
        "os.kill(os.getpid(), signal.SIGSEGV)",
        "Runtime exited with error: signal: segmentation fault",
    ),
    "sys.exit()": ("import sys\n", "sys.exit()", "Runtime exited without providing a reason"),
    "os.abort()": ("import os\n", "os.abort()", "Runtime exited with error: signal: aborted"),
}


@pytest.mark.parametrize("imports, statement, reason", EXITS.values(), ids=list(EXITS))
def test_exit_is_a_runtime_exit_error(account, imports, statement, reason):
    source = (
        imports
        + f"def lambda_handler(event, context):\n    if event.get('ok'):\n        return 'ok'\n    {statement}\n"
    )
    account.register("fn", source)
    assert account.invoke("fn", {"ok": True}).payload == "ok"
    invocation = account.invoke("fn")
    assert_unhandled(invocation, "Runtime.ExitError")
    assert invocation.error_message == f"RequestId: {invocation.request_id} Error: {reason}"
    assert invocation.status == "error"
    assert invocation.report.endswith("\tStatus: error\tError Type: Runtime.ExitError")
    after = account.invoke("fn", {"ok": True})
    assert after.payload == "ok"
    assert after.cold_start is True


def test_exit_during_init(account):
    account.register("fn", "import sys\nsys.exit(2)\n")
    invocation = account.invoke("fn")
    assert_unhandled(invocation, "Runtime.ExitError")
    assert "exit status 2" in invocation.error_message


# --- results and payloads (lambda-semantics §4.8, §4.10) ----------------------------------------------------------


def test_unserialisable_result_is_a_marshal_error(account):
    account.register(
        "fn",
        code(
            """
        import datetime
        def lambda_handler(event, context):
            return {"now": datetime.datetime(2024, 1, 1)}
        """
        ),
    )
    invocation = account.invoke("fn")
    assert_unhandled(invocation, "Runtime.MarshalError")
    assert invocation.error_message == "Unable to marshal response: Object of type datetime is not JSON serializable"
    assert invocation.payload["requestId"] == invocation.request_id
    assert any(
        line.startswith("[ERROR] Runtime.MarshalError: Unable to marshal response") for line in invocation.log_lines
    )
    assert invocation.report.endswith("Status: error\tError Type: Runtime.MarshalError")


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("None", None),
        ("'text'", "text"),
        ("[1, 2.5, True, None]", [1, 2.5, True, None]),
        ("{'a': {'b': []}}", {"a": {"b": []}}),
        ("Decimal('10')", 10),
        ("Decimal('2.5')", 2.5),
        ("(1, 2)", [1, 2]),
    ],
)
def test_results_are_json(account, expression, expected):
    account.register("fn", f"from decimal import Decimal\ndef lambda_handler(e, c):\n    return {expression}\n")
    invocation = account.invoke("fn")
    assert invocation.status == "success"
    assert invocation.payload == expected
    assert invocation.function_error is None and invocation.error_type is None


def test_bytes_result_is_passed_through(account):
    account.register("fn", "def lambda_handler(e, c):\n    return b'\\x00raw'\n")
    invocation = account.invoke("fn")
    assert invocation.status == "success"
    assert invocation.body == b"\x00raw"


def test_event_is_decoded_json(account):
    account.register(
        "fn",
        code(
            """
        def lambda_handler(event, context):
            return [type(event).__name__, event]
        """
        ),
    )
    assert account.invoke("fn").payload == ["dict", {}]
    assert account.invoke("fn", [1, "a"]).payload == ["list", [1, "a"]]
    assert account.invoke("fn", "text").payload == ["str", "text"]
    assert account.invoke("fn", 3.5).payload == ["float", 3.5]
    assert account.invoke("fn", b'{"raw": true}').payload == ["dict", {"raw": True}]


@pytest.mark.parametrize("runtime, expected", [("python3.11", b'"caf\\u00e9"'), ("python3.12", '"café"'.encode())])
def test_non_ascii_results_follow_the_runtime_version(account, runtime, expected):
    account.register("fn", "def lambda_handler(e, c):\n    return 'café'\n", runtime=runtime)
    invocation = account.invoke("fn")
    assert invocation.body == expected
    assert invocation.payload == "café"


def test_request_over_6_mb_is_refused_and_nothing_runs(account):
    account.register("fn", OK)
    event = "x" * (limits.SYNC_PAYLOAD_MAX_BYTES - 1)  # quoted, it is 6 MB + 1 byte
    with pytest.raises(RequestTooLargeException) as caught:
        account.invoke("fn", event)
    assert caught.value.status_code == 413
    assert str(caught.value) == (
        "6291457 byte payload is too large for the RequestResponse invocation type (limit 6291456 bytes)"
    )
    assert isinstance(caught.value, LambdaMagicError)
    assert account.invocation_records() == []
    assert account.log_events() == []
    assert account.environments() == []


def test_request_of_exactly_6_mb_is_accepted(account):
    account.register("fn", "def lambda_handler(e, c):\n    return len(e)\n")
    assert account.invoke("fn", "x" * (limits.SYNC_PAYLOAD_MAX_BYTES - 2)).payload == limits.SYNC_PAYLOAD_MAX_BYTES - 2


def test_async_request_of_exactly_1_mb_is_accepted(account):
    account.register("fn", "def lambda_handler(e, c):\n    return len(e)\n")
    queued = account.invoke("fn", "x" * (limits.ASYNC_PAYLOAD_MAX_BYTES - 2), invocation_type="Event")
    assert queued.status_code == 202
    assert account.wait(30)
    assert account.invocation_records("fn")[0].payload == limits.ASYNC_PAYLOAD_MAX_BYTES - 2


def test_async_request_over_1_mb_is_refused(account):
    account.register("fn", OK)
    with pytest.raises(RequestTooLargeException, match="Event invocation type"):
        account.invoke("fn", "x" * (limits.ASYNC_PAYLOAD_MAX_BYTES - 1), invocation_type="Event")
    assert account.wait(5)
    assert account.invocation_records() == []


def test_event_that_is_not_json_is_refused(account):
    account.register("fn", OK)
    with pytest.raises(InvalidRequestContentException):
        account.invoke("fn", b"{not json")
    with pytest.raises(InvalidRequestContentException):
        account.invoke("fn", {"when": object()})
    assert account.invocation_records() == []


def test_response_over_6_mb_is_an_error(account):
    account.register(
        "fn",
        code(
            """
        def lambda_handler(event, context):
            if event.get("ok"):
                return "small"
            return "x" * 7_000_000
        """
        ),
    )
    invocation = account.invoke("fn")
    assert_unhandled(invocation, "Function.ResponseSizeTooLarge")
    assert invocation.error_message == "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
    assert invocation.report.endswith("Status: error\tError Type: Function.ResponseSizeTooLarge")
    assert account.invoke("fn", {"ok": True}).payload == "small"


# --- out of memory -------------------------------------------------------------------------------------------

MEMORY = code(
    """
    def lambda_handler(event, context):
        kind = event.get("kind")
        if kind == "bomb":
            b = bytearray(10 ** 10)
            return len(b)
        if kind == "grow":
            chunks = []
            while True:
                chunks.append(bytearray(1 << 20))
                chunks[-1][::4096] = b"x" * 256
        if kind == "grow-200":
            chunks = [bytearray(1 << 20) for _ in range(200)]
            for chunk in chunks:
                chunk[::4096] = b"x" * 256
            return len(chunks)
        return "ok"
    """
)


@pytest.mark.parametrize("kind", ["bomb", "grow", "grow-200"])
def test_memory_exhaustion_is_out_of_memory(account, kind):
    account.register("fn", MEMORY, memory_mb=128)
    invocation = account.invoke("fn", {"kind": kind})
    assert_unhandled(invocation, "Runtime.OutOfMemory")
    assert re.fullmatch(f"RequestId: {UUID} Error: .+", invocation.error_message)
    assert invocation.error_message.startswith(f"RequestId: {invocation.request_id} Error: ")
    assert invocation.report.endswith("\tStatus: error\tError Type: Runtime.OutOfMemory")
    used = invocation.max_memory_used_mb
    assert isinstance(used, int) and used > 0
    assert f"Max Memory Used: {used} MB" in invocation.report
    if kind == "bomb":  # the allocation failed at once: little was used
        assert used < 128
    else:  # it really used more than it had
        assert used > 128
    after = account.invoke("fn")
    assert after.payload == "ok"
    assert after.cold_start is True


def test_memory_is_measured_not_the_configured_size(account):
    account.register("fn", MEMORY, memory_mb=1024)
    small = account.invoke("fn")
    assert 0 < small.max_memory_used_mb < 1024
    big = account.invoke("fn", {"kind": "grow-200"})
    assert big.status == "success" and big.payload == 200
    assert big.max_memory_used_mb >= 200
    # Max Memory Used is the environment's peak: it does not fall again.
    later = account.invoke("fn")
    assert later.cold_start is False
    assert later.max_memory_used_mb >= big.max_memory_used_mb


def test_out_of_memory_stops_near_the_configured_memory(account):
    account.register("fn", MEMORY, memory_mb=128)
    invocation = account.invoke("fn", {"kind": "grow"})
    assert invocation.error_type == "Runtime.OutOfMemory"
    assert invocation.max_memory_used_mb <= 2 * 128


def test_billed_duration_of_errors(account):
    account.register("fn", RAISES)
    invocation = account.invoke("fn")
    assert invocation.billed_duration_ms == math.ceil(invocation.duration_ms + invocation.init_duration_ms)
