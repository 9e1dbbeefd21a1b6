"""Kernel > Interrupt while a synchronous invoke waits: one line, the invocation recorded, the environment stopped.

SIGINT is delivered for real (``os.kill(os.getpid(), SIGINT)`` from a thread) once the
handler has printed and started to sleep; a marker file it writes says when.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest
from IPython.core.error import UsageError

import lambda_magic as lm
from lambda_magic import InvocationInterrupted

MESSAGE = "invocation interrupted; the environment was stopped"

SLOW = textwrap.dedent(
    """
    import time

    def lambda_handler(event, context):
        print("working on", event["n"], flush=True)
        if event.get("marker"):
            open(event["marker"], "w").close()
            time.sleep(120)
        return {"done": event["n"]}
    """
)

SLOW_INIT = textwrap.dedent(
    """
    import os, time
    print("loading the model", flush=True)
    open(os.environ["MARKER"], "w").close()
    time.sleep(120)

    def lambda_handler(event, context):
        return 1
    """
)


@pytest.fixture
def shared():
    """A directory this process and the environments both see (environments have a private /tmp)."""
    base = next(b for b in ("/dev/shm", "/var/tmp") if os.path.isdir(b) and os.access(b, os.W_OK))
    path = Path(tempfile.mkdtemp(prefix="lambda-magic-interrupt-", dir=base))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def interrupt_when(marker: Path) -> threading.Thread:
    """SIGINT to this process (as Kernel > Interrupt does) once ``marker`` exists."""

    def wait_then_interrupt():
        for _ in range(6000):  # up to a minute: the handler writes the marker right after its print
            if marker.exists():
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.01)

    thread = threading.Thread(target=wait_then_interrupt, daemon=True)
    thread.start()
    return thread


def environment_processes() -> list[psutil.Process]:
    return [psutil.Process(env.pid) for env, _ in lm.account().environments() if hasattr(env, "pid")]


def ended(process: psutil.Process) -> bool:
    """True once the process has ended (a zombie has ended); waits for a SIGKILL to land, up to 10 s."""
    for _ in range(1000):
        try:
            if not process.is_running() or process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.01)
    return False


@pytest.mark.parametrize("isolation", ["process", "inline"])
def test_python_api_records_then_raises_keyboard_interrupt(shell, shared, isolation):
    lm.register("slow", SLOW, isolation=isolation)
    assert lm.invoke("slow", {"n": 0}).payload == {"done": 0}  # warm now
    processes = environment_processes()
    assert len(processes) == (isolation == "process")
    marker = shared / "sleeping"
    interrupter = interrupt_when(marker)
    with pytest.raises(KeyboardInterrupt) as caught:
        lm.invoke("slow", {"n": 1, "marker": str(marker)})
    interrupter.join()
    assert isinstance(caught.value, InvocationInterrupted) and str(caught.value) == MESSAGE
    interrupted = caught.value.invocation
    assert interrupted.status == "interrupted" and not interrupted.cold_start

    frame = lm.invocations("slow")
    assert frame["status"].tolist() == ["success", "interrupted"]
    assert frame["request_id"].iloc[-1] == interrupted.request_id
    logged = lm.logs("slow", request_id=interrupted.request_id)["message"].tolist()
    assert logged[0].startswith("START RequestId: " + interrupted.request_id)
    assert "working on 1" in logged
    assert logged[-1] == f"[lambda_magic] {MESSAGE} (RequestId: {interrupted.request_id})"
    assert "working on 1" in interrupted.log_lines

    assert lm.account().environments() == []  # stopped, not back in the pool
    assert all(ended(process) for process in processes)  # the process itself ended
    after = lm.invoke("slow", {"n": 2})
    assert after.cold_start and after.payload == {"done": 2}
    assert lm.invocations("slow")["status"].tolist() == ["success", "interrupted", "success"]


@pytest.mark.parametrize("isolation", ["process", "inline"])
def test_interrupted_init_keeps_its_log_lines(shell, shared, isolation):
    marker = shared / "loading"
    lm.register("model", SLOW_INIT, isolation=isolation, env={"MARKER": str(marker)})
    interrupter = interrupt_when(marker)
    with pytest.raises(InvocationInterrupted) as caught:
        lm.invoke("model")
    interrupter.join()
    interrupted = caught.value.invocation
    assert interrupted.cold_start
    assert interrupted.init_log_lines[0].startswith("INIT_START")
    assert "loading the model" in interrupted.init_log_lines
    assert lm.invocations("model")["status"].tolist() == ["interrupted"]
    assert "loading the model" in lm.logs("model")["message"].tolist()
    assert lm.account().environments() == []


@pytest.mark.parametrize("isolation", ["process", "inline"])
def test_the_magic_says_one_line(shell, shared, isolation, capsys):
    shell.run_cell_magic("lambda", f"slow --isolation {isolation}", SLOW)
    marker = shared / "sleeping"
    shell.user_ns["slow_event"] = {"n": 7, "marker": str(marker)}
    interrupter = interrupt_when(marker)
    result = shell.run_cell("%lambda invoke slow $slow_event")
    interrupter.join()
    error = result.error_in_exec
    assert isinstance(error, UsageError) and str(error) == MESSAGE
    out = capsys.readouterr()
    assert (out.out + out.err).strip() == f"UsageError: {MESSAGE}"  # no traceback through the package
    (record,) = lm.account().invocation_records("slow")
    assert record.status == "interrupted" and "working on 7" in record.log_lines
    assert MESSAGE in repr(record)
    html = record._repr_html_()
    assert "interrupted" in html and MESSAGE in html
    assert shell.run_line_magic("lambda", 'invoke slow {"n": 8}').cold_start


@pytest.fixture(scope="module")
def kernel():
    """A real Jupyter kernel (ipykernel) with the extension loaded: ``(manager, client, run)``."""
    from jupyter_client import KernelManager

    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()

    def run(code, timeout=60):
        outputs = []
        reply = client.execute_interactive(code, timeout=timeout, output_hook=outputs.append)
        return reply["content"], outputs

    try:
        client.wait_for_ready(timeout=60)
        reply, _ = run("%load_ext lambda_magic\nimport lambda_magic as lm")
        assert reply["status"] == "ok"
        yield manager, client, run
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def streamed(outputs):
    return "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")


@pytest.mark.slow  # a Jupyter kernel
def test_kernel_interrupt_in_a_real_kernel_is_one_line(kernel, shared):
    manager, _, run = kernel
    marker = shared / "sleeping"
    reply, _ = run("%%lambda slow\n" + SLOW)
    assert reply["status"] == "ok"

    interrupter = threading.Thread(target=lambda: (_wait_for(marker), manager.interrupt_kernel()), daemon=True)
    interrupter.start()
    reply, outputs = run(f'%lambda invoke slow {{"n": 3, "marker": "{marker}"}}', timeout=120)
    interrupter.join()
    assert (reply["status"], reply["ename"]) == ("error", "UsageError")
    assert [m for m in outputs if m["msg_type"] == "error"] == []  # no traceback output
    assert streamed(outputs) == f"UsageError: {MESSAGE}\n"

    reply, outputs = run(
        "print(lm.invocations('slow')['status'].tolist(), 'working on 3' in lm.logs('slow')['message'].tolist())"
    )
    assert reply["status"] == "ok"
    assert streamed(outputs) == "['interrupted'] True\n"


@pytest.mark.slow  # a Jupyter kernel
def test_tab_completion_in_a_real_kernel(kernel):
    _, client, run = kernel
    reply, _ = run("lm.register('orders', 'def lambda_handler(event, context):\\n    return 1\\n')")
    assert reply["status"] == "ok"
    for code, expected in [
        ("%lambda inv", ["invocations", "invoke"]),
        ("%lambda invoke ord", ["orders"]),
        ("%%lambda orders --time", ["--timeout"]),
    ]:
        msg_id = client.complete(code, len(code))
        answer = client.get_shell_msg(timeout=30)
        assert answer["parent_header"]["msg_id"] == msg_id
        content = answer["content"]
        assert content["status"] == "ok" and content["matches"] == expected, code
        assert content["cursor_end"] == len(code)
        assert code[content["cursor_start"] :] == code.split()[-1]  # replaces the word being typed


def _wait_for(marker: Path) -> None:
    for _ in range(6000):
        if marker.exists():
            return
        time.sleep(0.01)
