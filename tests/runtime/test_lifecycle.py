"""Nothing outlives its owner: environments, the template and whatever handlers start end with the
account, with the interpreter, and when the kernel is killed outright."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import psutil
import pytest

from .helpers import OK, all_gone, is_gone, proc, survivors, template_processes

#: Run in another interpreter (or kernel): start two environments whose handlers leave children behind
#: (one in the environment's process group, one in a session of its own), then report every pid.
SCRIPT = textwrap.dedent(
    """
    import json, os, threading
    import lambda_magic.runtime as r

    HANDLER = '''
    import subprocess, time
    def lambda_handler(event, context):
        plain = subprocess.Popen(["sleep", "300"])
        detached = subprocess.Popen(["sleep", "300"], start_new_session=True)
        time.sleep(event.get("hold", 0))
        return [plain.pid, detached.pid, __import__("os").getpid()]
    '''
    a = r.LocalAccount()
    a.register("spawner", HANDLER.strip() + "\\n")
    results, errors = [], []

    def call():
        try:
            results.append(a.invoke("spawner", {"hold": 0.3}).payload)
        except BaseException as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=call) for _ in range(2)]
    for t in threads: t.start()
    for t in threads: t.join()
    envs = [env.pid for env, _ in a.environments()]
    children = [pid for payload in results for pid in payload[:2]]
    print("PIDS " + json.dumps({"owner": os.getpid(), "template": a.template().pid, "environments": envs,
                                "children": children, "handler_pids": [p[2] for p in results],
                                "errors": errors}), flush=True)
    """
)


def describe(pids: dict) -> list[psutil.Process]:
    assert pids["errors"] == []
    assert len(pids["environments"]) == 2
    assert sorted(pids["environments"]) == sorted(pids["handler_pids"])
    assert len(pids["children"]) == 4
    processes = [proc(pids["template"])] + [proc(p) for p in pids["environments"] + pids["children"]]
    assert not any(is_gone(p) for p in processes)  # all alive before the owner dies
    return processes


def kill_leftovers(processes):
    for p in processes:
        if not is_gone(p):
            try:
                p.kill()
            except psutil.Error:
                pass


def parse_pids(line: str) -> dict:
    assert line.startswith("PIDS "), line
    return json.loads(line[5:])


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "exit"])
def test_nothing_survives_the_interpreter(how):
    script = (
        SCRIPT
        + {
            "SIGKILL": "import time\ntime.sleep(300)\n",
            "SIGTERM": "import time\ntime.sleep(300)\n",
            "exit": "import sys, time\nsys.stdin.readline()\n",  # then exit normally, without shutdown()
        }[how]
    )
    owner = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    processes = []
    try:
        pids = parse_pids(owner.stdout.readline())
        processes = describe(pids)
        if how == "exit":
            owner.stdin.write("\n")
            owner.stdin.flush()
            assert owner.wait(timeout=30) == 0
        else:
            owner.send_signal(getattr(signal, how))
            owner.wait(timeout=10)
        assert all_gone(processes, timeout=10), survivors(processes)
    finally:
        if owner.poll() is None:
            owner.kill()
        owner.wait()
        kill_leftovers(processes)


@pytest.mark.slow  # starts a Jupyter kernel: a few seconds on a slow machine
def test_nothing_survives_a_killed_jupyter_kernel():
    from jupyter_client import KernelManager

    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    processes = []
    try:
        client.wait_for_ready(timeout=60)
        output = []

        def collect(message):
            if message["msg_type"] == "stream":
                output.append(message["content"]["text"])
            elif message["msg_type"] == "error":
                output.append("\n".join(message["content"]["traceback"]))

        reply = client.execute_interactive(SCRIPT, timeout=60, output_hook=collect)
        assert reply["content"]["status"] == "ok", "".join(output)
        [line] = [line for line in "".join(output).splitlines() if line.startswith("PIDS ")]
        pids = parse_pids(line)
        kernel = proc(pids["owner"])
        assert kernel.pid == manager.provisioner.pid
        processes = describe(pids)
        os.kill(kernel.pid, signal.SIGKILL)
        assert all_gone([kernel] + processes, timeout=10), survivors([kernel] + processes)
    finally:
        client.stop_channels()
        try:
            manager.shutdown_kernel(now=True)
        except Exception:
            pass
        kill_leftovers(processes)


def test_shutdown_ends_template_environments_and_children(account):
    account.register(
        "fn",
        textwrap.dedent(
            """
        import subprocess
        def lambda_handler(event, context):
            return [subprocess.Popen(["sleep", "300"]).pid,
                    subprocess.Popen(["sleep", "300"], start_new_session=True).pid]
        """
        ),
    )
    children = [proc(pid) for pid in account.invoke("fn").payload]
    [(env, _)] = account.environments()
    template = account.template()
    root_dir = template.root_dir
    processes = [proc(template.pid), proc(env.pid)] + children
    assert os.path.isdir(root_dir)
    account.shutdown()
    assert all_gone(processes, timeout=10), survivors(processes)
    assert not os.path.exists(root_dir)


def test_account_is_usable_after_shutdown_with_a_new_template(account):
    account.register("fn", OK)
    account.invoke("fn")
    old = account.template().pid
    account.shutdown()
    invocation = account.invoke("fn")
    assert invocation.status == "success"
    assert invocation.cold_start is True
    assert account.template().pid != old


def test_shutdown_twice_is_harmless(account):
    account.register("fn", OK)
    account.invoke("fn")
    account.shutdown()
    account.shutdown()
    assert account.environments() == []


def test_template_starts_lazily_and_is_shared(account):
    before = template_processes()
    account.register("inline", OK, isolation="inline")
    account.invoke("inline")
    assert template_processes() == before  # inline functions need no template
    account.register("a", OK)
    template = account.template()
    template_process = proc(template.pid)
    assert template_processes() == before | {template.pid}
    account.register("b", OK)
    account.invoke("a")
    account.invoke("b")
    assert account.template() is template
    assert template_processes() == before | {template.pid}
    account.shutdown()
    assert all_gone([template_process])


def test_environment_dies_with_its_template(account):
    account.register("fn", OK)
    account.invoke("fn")
    [(env, _)] = account.environments()
    environment = proc(env.pid)
    template = proc(account.template().pid)
    template.kill()
    assert all_gone([template, environment], timeout=10), survivors([template, environment])


def test_delete_ends_the_environment_process(account):
    account.register("fn", OK)
    account.invoke("fn")
    [(env, _)] = account.environments()
    environment = proc(env.pid)
    account.delete_function("fn")
    assert all_gone([environment], timeout=10)


def test_reset_ends_every_environment_process(account):
    account.register("a", OK)
    account.register("b", OK)
    account.invoke("a")
    account.invoke("b")
    processes = [proc(env.pid) for env, _ in account.environments()]
    assert len(processes) == 2
    account.reset()
    assert all_gone(processes, timeout=10)
    assert account.environments() == []
