"""``%lambda debug``, tracebacks at the ``%%lambda`` cell's lines, and pdb in a real Jupyter kernel.

The kernel tests answer pdb's prompts on the kernel's stdin channel (``input_request``
messages, as JupyterLab does when a person types), with ``jupyter_client``.
"""

from __future__ import annotations

import re
import textwrap
import time

import pytest
from IPython.core.error import UsageError

import lambda_magic as lm

SPLIT = textwrap.dedent(
    """\
    import os

    def lambda_handler(event, context):
        total = sum(event["prices"])
        share = total / event["people"]
        return {"share": share, "stage": os.environ["STAGE"]}
    """
)

STOPS = textwrap.dedent(
    """\
    def lambda_handler(event, context):
        x = event["x"] * 2
        before = context.get_remaining_time_in_millis()
        breakpoint()
        y = x + 1
        return {"y": y, "before": before, "after": context.get_remaining_time_in_millis()}
    """
)


@pytest.mark.parametrize("isolation", ["inline", "process"])
def test_debug_verb_opens_a_post_mortem_with_typed_commands(shell, capsys, isolation):
    shell.run_cell_magic("lambda", f"split --isolation {isolation} --env STAGE=dev", SPLIT)
    inv = shell.run_line_magic("lambda", 'invoke split {"prices": [3, 4], "people": 0}')
    assert inv.error_type == "ZeroDivisionError"
    capsys.readouterr()
    shell.run_line_magic("lambda", "debug --commands 'p total; p os.environ[\"STAGE\"]; q'")
    out = capsys.readouterr().out
    assert "post-mortem: ZeroDivisionError: division by zero" in out
    assert "(Pdb) p total\n7\n" in out
    assert "'dev'" in out
    assert ("re-running its event in an inline environment" in out) == (isolation == "process")


def test_debug_verb_of_a_request_id_and_its_errors(shell, capsys):
    with pytest.raises(UsageError, match="no invocation has failed yet"):
        shell.run_line_magic("lambda", "debug")
    shell.run_cell_magic("lambda", "split --isolation inline --env STAGE=dev", SPLIT)
    first = shell.run_line_magic("lambda", 'invoke split {"prices": [1], "people": 0}')
    shell.run_line_magic("lambda", 'invoke split {"prices": [5], "people": 1}')
    shell.run_line_magic("lambda", f"debug {first.request_id} --commands 'p total; q'")
    assert "(Pdb) p total\n1\n" in capsys.readouterr().out
    with pytest.raises(UsageError, match="no invocation nope is kept"):
        shell.run_line_magic("lambda", "debug nope")


def test_lm_debug_and_debugger_commands(shell, capsys):
    lm.register("split", SPLIT, isolation="inline", env={"STAGE": "dev"})
    failed = lm.invoke("split", {"prices": [2, 2], "people": 0})
    with lm.debugger_commands("p total", "q"):
        said = lm.debug()
    assert said == f"post-mortem of {failed.request_id} (ZeroDivisionError) ended"
    assert "(Pdb) p total\n4\n" in capsys.readouterr().out


# --- tracebacks at cell lines ------------------------------------------------------------------


def test_error_frames_in_the_panel_name_the_cell_and_line(shell):
    shell.run_cell(f"%%lambda split --env STAGE=dev\n{SPLIT}", store_history=True)
    count = shell.last_execution_result.execution_count  # the cell that registered
    shell.run_cell('inv = %lambda invoke split {"prices": [3], "people": 0}', store_history=True)
    inv = shell.user_ns["inv"]
    html = inv._repr_html_()
    # line 5 of lambda_function.py is line 6 of the cell (the %%lambda line is line 1)
    assert f"Cell In[{count}], line 6, in lambda_handler" in html
    assert "(File &quot;/var/task/lambda_function.py&quot;, line 5)" in html
    # the error document keeps AWS's stackTrace as AWS has it
    assert inv.error["stackTrace"][0].startswith('  File "/var/task/lambda_function.py", line 5, in lambda_handler')
    assert not any("Cell In" in frame for frame in inv.error["stackTrace"])


def test_a_frame_of_other_code_is_not_given_a_cell(shell):
    """Version 1 was registered by one cell, $LATEST by another: each frame names its own cell."""
    shell.run_cell(f"%%lambda split --env STAGE=dev\n{SPLIT}", store_history=True)
    first = shell.last_execution_result.execution_count
    shell.run_line_magic("lambda", "publish split")
    changed = SPLIT.replace("    total = sum(", "    # the total\n    total = sum(")
    shell.run_cell(f"%%lambda split --env STAGE=dev\n{changed}", store_history=True)
    second = shell.last_execution_result.execution_count
    old = shell.run_line_magic("lambda", 'invoke split {"prices": [3], "people": 0} --qualifier 1')
    new = shell.run_line_magic("lambda", 'invoke split {"prices": [3], "people": 0}')
    assert f"Cell In[{first}], line 6, in lambda_handler" in old._repr_html_()
    assert f"Cell In[{second}], line 7, in lambda_handler" in new._repr_html_()


def test_code_registered_from_python_keeps_aws_frames(shell):
    lm.register("split", SPLIT, env={"STAGE": "dev"})
    html = lm.invoke("split", {"prices": [3], "people": 0})._repr_html_()
    assert "Cell In[" not in html
    assert "File &quot;/var/task/lambda_function.py&quot;, line 5, in lambda_handler" in html


# --- a real kernel -----------------------------------------------------------------------------


@pytest.fixture
def kernel():
    """A Jupyter kernel with the extension loaded; ``run(code, answers)`` answers each input
    request (pdb's prompt) with the next of ``answers``, after ``answers``' delay if a tuple."""
    from jupyter_client import KernelManager

    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()

    def run(code, answers=(), timeout=120):
        pending = list(answers)
        prompts = []
        outputs = []

        def stdin_hook(msg):
            prompts.append(msg["content"]["prompt"])
            answer = pending.pop(0) if pending else ""
            if isinstance(answer, tuple):
                delay, answer = answer
                time.sleep(delay)  # a person thinking at the prompt
            client.input(answer)

        reply = client.execute_interactive(
            code, timeout=timeout, output_hook=outputs.append, allow_stdin=True, stdin_hook=stdin_hook
        )
        text = "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")
        return reply["content"], re.sub(r"\x1b\[[0-9;]*m", "", text), prompts

    try:
        client.wait_for_ready(timeout=60)
        reply, _, _ = run("%load_ext lambda_magic\nimport lambda_magic as lm")
        assert reply["status"] == "ok"
        yield run
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.mark.slow  # a Jupyter kernel, and 3 s at a breakpoint
@pytest.mark.parametrize("isolation", ["process", "inline"])
def test_breakpoint_in_a_real_kernel_reads_the_stdin_channel_with_the_deadline_suspended(kernel, isolation):
    run = kernel
    reply, _, _ = run(f"%%lambda stops --timeout 1 --isolation {isolation}\n{STOPS}")
    assert reply["status"] == "ok"
    reply, out, prompts = run(
        'r = %lambda invoke stops {"x": 21}\nprint(r.status, r.payload["y"], 0 < r.payload["after"] <= '
        'r.payload["before"], r.duration_ms < 3000)',
        answers=[(3, "p x"), "n", "p y", "c"],  # 3 s at the prompt with a 1 s timeout
    )
    assert reply["status"] == "ok", reply
    assert prompts == ["(Pdb) "] * 4
    assert "lambda_function.py(5)lambda_handler()\n-> y = x + 1\n" in out
    assert "42\n" in out and "43\n" in out
    assert out.endswith("success 43 True True\n")


@pytest.mark.slow  # a Jupyter kernel
def test_post_mortems_in_a_real_kernel(kernel):
    run = kernel
    reply, _, _ = run(f"%%lambda split --env STAGE=dev\n{SPLIT}")
    assert reply["status"] == "ok"
    reply, _, _ = run('r = %lambda invoke split {"prices": [3, 4], "people": 0}')
    assert reply["status"] == "ok"
    reply, out, prompts = run("%lambda debug", answers=["p total", "q"])
    assert reply["status"] == "ok"
    assert "re-running its event in an inline environment" in out
    assert '-> share = total / event["people"]' in out and "7\n" in out
    assert prompts == ["(Pdb) ", "(Pdb) "]

    # inline isolation: IPython's own %debug opens at the handler's frame right after the failed invoke
    reply, _, _ = run(f"%%lambda split --isolation inline --env STAGE=dev\n{SPLIT}")
    run("1 / 0")  # an earlier, unrelated error in the kernel
    run('r = %lambda invoke split {"prices": [5], "people": 0}')
    reply, out, _ = run("%debug", answers=["p total", "q"])
    assert reply["status"] == "ok"
    assert "share = total / event" in out and "5\n" in out
