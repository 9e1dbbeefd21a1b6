"""Process execution environments: variables, isolation, warm reuse, concurrency, reaping."""

from __future__ import annotations

import os
import re
import sys
import threading

from lambda_magic.runtime.sandbox import TASK_ROOT_NOTE

from .helpers import LOG_STREAM, OK, code, wait_until

ENVIRON = code(
    """
    import os, time
    def lambda_handler(event, context):
        return {"environ": dict(os.environ), "stream": context.log_stream_name, "tz": time.strftime("%z")}
    """
)

STATEFUL = code(
    """
    import os, tempfile
    CALLS = []
    def lambda_handler(event, context):
        CALLS.append(context.aws_request_id)
        path = os.path.join(tempfile.gettempdir(), "kept.txt")
        before = open(path).read() if os.path.exists(path) else ""
        with open(path, "a") as f:
            f.write("x")
        return {"calls": len(CALLS), "file": before, "pid": os.getpid(), "tmp": tempfile.gettempdir()}
    """
)

LAMBDA_VARIABLES = (
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "_HANDLER",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "TZ",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "_X_AMZN_TRACE_ID",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LANG",
    "PATH",
)


def test_lambda_environment_variables(account):
    account.register("env-fn", ENVIRON, memory_mb=512, handler="lambda_handler")
    invocation = account.invoke("env-fn")
    environ = invocation.payload["environ"]
    for name in LAMBDA_VARIABLES:
        assert name in environ, name
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert environ["AWS_LAMBDA_FUNCTION_NAME"] == "env-fn"
    assert environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert environ["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert environ["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/env-fn"
    assert environ["AWS_LAMBDA_LOG_STREAM_NAME"] == invocation.payload["stream"] == invocation.log_stream
    assert LOG_STREAM.match(environ["AWS_LAMBDA_LOG_STREAM_NAME"])
    assert environ["AWS_REGION"] == environ["AWS_DEFAULT_REGION"] == "us-east-1"
    assert environ["AWS_EXECUTION_ENV"] == f"AWS_Lambda_{runtime}"
    assert environ["_HANDLER"] == "lambda_function.lambda_handler"
    if not any(TASK_ROOT_NOTE in note for note in invocation.limitations):
        assert environ["LAMBDA_TASK_ROOT"] == "/var/task"  # the code is mounted there
    else:  # no mount namespace (macOS, LAMBDA_MAGIC_PORTABLE=1): the variable names the real folder
        assert os.path.isfile(os.path.join(environ["LAMBDA_TASK_ROOT"], "lambda_function.py"))
    assert environ["LAMBDA_RUNTIME_DIR"] == "/var/runtime"
    assert environ["TZ"] == ":UTC"
    assert invocation.payload["tz"] == "+0000"
    assert environ["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert environ["LANG"] == "en_US.UTF-8"
    assert re.fullmatch(
        r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=[01].*", environ["_X_AMZN_TRACE_ID"]
    )


def test_runtime_setting_shows_in_execution_env(account):
    account.register("fn", ENVIRON, runtime="python3.12", handler="lambda_function.lambda_handler")
    environ = account.invoke("fn").payload["environ"]
    assert environ["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert environ["_HANDLER"] == "lambda_function.lambda_handler"


def test_trace_id_changes_every_invocation(account):
    account.register("fn", code("import os\ndef lambda_handler(e, c):\n    return os.environ['_X_AMZN_TRACE_ID']\n"))
    ids = {account.invoke("fn").payload for _ in range(3)}
    assert len(ids) == 3


def test_function_variables_are_set_literally(account):
    env = {"GREETING": "hello world", "EMPTY": "", "DOLLAR": "$HOME", "UNICODE": "é✓"}
    account.register("fn", ENVIRON, env=env)
    environ = account.invoke("fn").payload["environ"]
    for key, value in env.items():
        assert environ[key] == value


def test_kernel_variables_do_not_leak_into_the_environment(account, monkeypatch):
    monkeypatch.setenv("LAMBDA_MAGIC_TEST_SECRET", "kernel-only")
    monkeypatch.setenv("PYTHONSTARTUP", "/nonexistent")
    account.register("fn", ENVIRON)
    environ = account.invoke("fn").payload["environ"]
    assert "LAMBDA_MAGIC_TEST_SECRET" not in environ
    assert "PYTHONSTARTUP" not in environ


def test_handler_changes_to_its_environment_do_not_reach_the_kernel(account):
    account.register(
        "fn",
        code(
            """
        import os, sys
        def lambda_handler(event, context):
            os.environ["SET_BY_HANDLER"] = "1"
            sys.modules["planted_by_handler"] = sys
            return os.getpid()
        """
        ),
    )
    pid = account.invoke("fn").payload
    assert pid != os.getpid()
    assert "SET_BY_HANDLER" not in os.environ
    assert "planted_by_handler" not in sys.modules
    assert "lambda_function" not in sys.modules


def test_globals_and_tmp_files_survive_warm_invocations(account):
    account.register("fn", STATEFUL)
    first, second, third = (account.invoke("fn") for _ in range(3))
    assert [i.cold_start for i in (first, second, third)] == [True, False, False]
    assert [i.payload["calls"] for i in (first, second, third)] == [1, 2, 3]
    assert [i.payload["file"] for i in (first, second, third)] == ["", "x", "xx"]
    assert first.payload["pid"] == second.payload["pid"] == third.payload["pid"]
    assert first.init_duration_ms is not None
    assert second.init_duration_ms is None and third.init_duration_ms is None


def test_an_environment_is_a_process_of_its_own(account):
    account.register("fn", STATEFUL)
    invocation = account.invoke("fn")
    [(env, state)] = account.environments()
    assert state == "idle"
    assert env.pid == invocation.payload["pid"] != os.getpid()
    assert env.pid != account.template().pid
    assert env.log_stream_name == invocation.log_stream


def test_handled_errors_keep_the_environment_warm(account):
    account.register(
        "fn",
        code(
            """
        N = [0]
        def lambda_handler(event, context):
            N[0] += 1
            if event.get("fail"):
                raise ValueError("bad input")
            return N[0]
        """
        ),
    )
    account.invoke("fn")
    failed = account.invoke("fn", {"fail": True})
    after = account.invoke("fn")
    assert failed.error_type == "ValueError" and failed.cold_start is False
    assert after.cold_start is False
    assert after.payload == 3


def test_concurrent_invocations_run_in_distinct_environments(account, shared):
    account.register(
        "fn",
        code(
            """
        import os, time
        def lambda_handler(event, context):
            while not os.path.exists(event["gate"]):  # all four are in flight before any finishes
                time.sleep(0.01)
            time.sleep(0.3)
            return {"pid": os.getpid(), "stream": context.log_stream_name}
        """
        ),
        timeout_s=30,
    )
    gate = shared / "gate"
    results = [None] * 4

    def call(index):
        results[index] = account.invoke("fn", {"i": index, "gate": str(gate)})

    threads = [threading.Thread(target=call, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    assert wait_until(lambda: [s for _, s in account.environments()].count("busy") == 4, timeout=20)
    gate.touch()
    for thread in threads:
        thread.join()
    assert all(r is not None and r.status == "success" for r in results)
    assert len({r.payload["pid"] for r in results}) == 4
    assert len({r.payload["stream"] for r in results}) == 4
    assert len({r.log_stream for r in results}) == 4
    assert all(r.cold_start for r in results)
    assert len(account.environments()) == 4
    assert all(state == "idle" for _, state in account.environments())
    # The next (sequential) invocation reuses one of them.
    again = account.invoke("fn", {"gate": str(gate)})
    assert again.cold_start is False
    assert again.payload["stream"] in {r.payload["stream"] for r in results}
    # Each invocation's log lines are in its own stream.
    for r in results:
        streams = {e.log_stream for e in account.log_events("fn", request_id=r.request_id)}
        assert streams == {r.log_stream}


def test_idle_environments_are_reaped(account):
    account.configure(idle_timeout_s=0.5)
    account.register("fn", STATEFUL)
    first = account.invoke("fn")
    [(env, _)] = account.environments()
    assert wait_until(lambda: account.environments() == [], timeout=10)
    assert env.alive is False
    again = account.invoke("fn")
    assert again.cold_start is True
    assert again.payload["calls"] == 1
    assert again.payload["pid"] != first.payload["pid"]


def test_timeout_resets_the_environment_globals_are_lost(account):
    account.register(
        "fn",
        code(
            """
        import time
        CALLS = [0]
        def lambda_handler(event, context):
            CALLS[0] += 1
            if event.get("hang"):
                time.sleep(30)
            return CALLS[0]
        """
        ),
        timeout_s=1,
    )
    account.invoke("fn")
    assert account.invoke("fn").payload == 2
    assert account.invoke("fn", {"hang": True}).status == "timeout"
    after = account.invoke("fn")
    assert after.cold_start is True and after.payload == 1


def test_tmp_is_kept_across_the_reset_after_a_timeout(account):
    # lambda-semantics §4.4 / §8.3: after a timeout globals are lost but /tmp is kept.
    account.register(
        "fn",
        code(
            """
        import os, tempfile, time
        def lambda_handler(event, context):
            path = os.path.join(tempfile.gettempdir(), "marker")
            if event.get("write"):
                open(path, "w").write("kept")
            if event.get("hang"):
                time.sleep(30)
            return open(path).read() if os.path.exists(path) else None
        """
        ),
        timeout_s=1,
    )
    assert account.invoke("fn", {"write": True}).payload == "kept"
    assert account.invoke("fn", {"hang": True}).status == "timeout"
    after = account.invoke("fn")
    assert after.cold_start is True
    assert after.payload == "kept"


def test_tmp_is_private_to_each_environment(account, shared):
    account.register(
        "fn",
        code(
            """
        import os, tempfile, time
        def lambda_handler(event, context):
            name = event["name"]
            if name:
                with open(os.path.join(tempfile.gettempdir(), name), "w") as f:
                    f.write("mine")
            while not os.path.exists(event["gate"]):  # hold the environment so the next call gets another
                time.sleep(0.01)
            return {"tmp": tempfile.gettempdir(), "files": sorted(os.listdir(tempfile.gettempdir()))}
        """
        ),
        timeout_s=30,
    )
    import tempfile
    import uuid

    name = f"lambda-magic-{uuid.uuid4().hex}"
    gate = shared / "gate"
    results = {}
    writer = threading.Thread(target=lambda: results.update(a=account.invoke("fn", {"name": name, "gate": str(gate)})))
    writer.start()
    assert wait_until(lambda: len(account.environments()) == 1, timeout=10)
    reader = threading.Thread(target=lambda: results.update(b=account.invoke("fn", {"name": "", "gate": str(gate)})))
    reader.start()
    assert wait_until(lambda: len(account.environments()) == 2, timeout=10)
    gate.touch()
    writer.join(30)
    reader.join(30)
    a, b = results["a"], results["b"]
    assert a.status == b.status == "success"
    assert a.log_stream != b.log_stream
    assert name in a.payload["files"]
    assert name not in b.payload["files"]  # the other environment's /tmp
    assert not os.path.exists(os.path.join(tempfile.gettempdir(), name))  # nor the machine's
    if not any("/tmp" in note for note in a.limitations):  # a private /tmp could be mounted
        assert a.payload["tmp"] == "/tmp"


def test_native_output_of_child_processes_is_logged(account):
    account.register(
        "fn",
        code(
            """
        import os, subprocess
        def lambda_handler(event, context):
            os.write(1, b"native stdout\\n")
            subprocess.run(["echo", "from a child"], check=True)
            return 1
        """
        ),
    )
    lines = account.invoke("fn").log_lines
    assert "native stdout" in lines
    assert "from a child" in lines


def test_background_thread_state_survives_warm_invocations(account):
    account.register(
        "fn",
        code(
            """
        import threading, time
        TICKS = [0]
        def tick():
            while True:
                TICKS[0] += 1
                time.sleep(0.01)
        threading.Thread(target=tick, daemon=True).start()
        def lambda_handler(event, context):
            return TICKS[0]
        """
        ),
    )
    first = account.invoke("fn").payload
    assert wait_until(lambda: account.invoke("fn").payload > first, timeout=5)


def test_shared_template_is_reused_across_environments(account):
    account.register("a", OK)
    account.register("b", OK)
    template = account.template().pid
    account.invoke("a")
    account.invoke("b")
    assert account.template().pid == template
    assert len(account.environments()) == 2


def test_the_memory_watch_stretches_when_many_environments_are_waited_on():
    """Each waiting invocation checks its environment's memory every 25 ms; beyond 40 waited on
    at once the interval grows in proportion, so the kernel's checks stay ~1,600 a second (at
    1,000 busy environments, 40 checks a second each took both CPUs of a 2-core machine)."""
    from lambda_magic.runtime.environment import WaitingCount

    waiting = WaitingCount()
    for count, interval_ms in ((1, 25), (40, 25), (1000, 625)):
        waiting.now = count
        assert waiting.watch_ms() == interval_ms


def test_busy_environments_are_counted_while_waited_on_and_the_count_returns_to_zero(account, shared):
    account.register(
        "held",
        code(
            """
        import os, time
        def lambda_handler(event, context):
            while not os.path.exists(event["gate"]):
                time.sleep(0.01)
            return os.getpid()
        """
        ),
        timeout_s=30,
    )
    gate = shared / "gate"
    waiting = account.template().waiting  # the account's own count
    assert waiting.now == 0
    results = [None] * 3

    def call(index):
        results[index] = account.invoke("held", {"gate": str(gate)})

    threads = [threading.Thread(target=call, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    assert wait_until(lambda: [s for _, s in account.environments()].count("busy") == 3, timeout=20)
    assert wait_until(lambda: waiting.now == 3, timeout=20)
    gate.touch()
    for thread in threads:
        thread.join()
    assert all(r is not None and r.status == "success" for r in results)
    assert waiting.now == 0
