"""A debugger inside the environment: ``breakpoint()`` / ``pdb.set_trace()`` in a handler, and post-mortems.

The pdb commands are typed by the account's ``KernelDebugger.commands`` (what
``lm.debugger_commands`` uses); the real kernel's stdin channel is exercised in
``tests/magics/test_debug_verb.py``.  Holding the debugger for 3 s is a pdb command
(``!__import__('time').sleep(3)``) run at the breakpoint, as a person would take time.
"""

from __future__ import annotations

import pytest

from lambda_magic.common.errors import ResourceNotFoundException
from lambda_magic.runtime.debugger import NO_INPUT_MESSAGE, QUIT_MESSAGE
from lambda_magic.runtime.debugger_post_mortem import debugger_of, post_mortem
from lambda_magic.runtime.sandbox import TASK_ROOT_NOTE

from .helpers import code

ISOLATIONS = ["process", "inline"]

STOPS = code(
    """
    import os

    def lambda_handler(event, context):
        x = event["x"] * 2
        before = context.get_remaining_time_in_millis()
        breakpoint()
        y = x + 1
        after = context.get_remaining_time_in_millis()
        return {"x": x, "y": y, "before": before, "after": after, "root": os.environ["LAMBDA_TASK_ROOT"]}
    """
)

SET_TRACE = code(
    """
    import pdb

    def lambda_handler(event, context):
        word = "inside"
        pdb.set_trace()
        return word.upper()
    """
)

SPLIT = code(
    """
    import os

    def lambda_handler(event, context):
        total = sum(event["prices"])
        share = total / event["people"]
        return {"share": share, "stage": os.environ["STAGE"]}
    """
)

HOLD_3_S = "!__import__('time').sleep(3)"


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_breakpoint_opens_pdb_that_prints_steps_and_continues(account, capsys, isolation):
    account.register("stops", STOPS, isolation=isolation)
    with debugger_of(account).commands("p x", "n", "p y", "c"):
        inv = account.invoke("stops", {"x": 21})
    out = capsys.readouterr().out
    assert inv.status == "success", inv
    assert inv.payload["y"] == 43
    # on the line after breakpoint(), at the code's path as Lambda names it (without a mount namespace,
    # as on macOS or under LAMBDA_MAGIC_PORTABLE=1, a process environment's code is in its real folder)
    task_root = "/var/task" if not any(TASK_ROOT_NOTE in note for note in inv.limitations) else inv.payload["root"]
    assert f"> {task_root}/lambda_function.py(7)lambda_handler()" in out
    assert "-> y = x + 1" in out
    assert "(Pdb) p x\n42\n" in out
    assert "(Pdb) p y\n43\n" in out
    assert not any("Pdb" in line for line in inv.log_lines)  # the debugger talks to the notebook, not the log


def test_pdb_set_trace_is_the_remote_debugger_too(account, capsys):
    account.register("trace", SET_TRACE)
    with debugger_of(account).commands("p word", "c"):
        inv = account.invoke("trace")
    assert inv.payload == "INSIDE"
    assert "(Pdb) p word\n'inside'\n" in capsys.readouterr().out


@pytest.mark.slow  # holds the debugger for 3 s
@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_the_deadline_is_suspended_while_the_debugger_holds(account, isolation):
    """A 1 s timeout, 3 s at the breakpoint: no timeout; the remaining time is what it was at the stop."""
    account.register("held", STOPS, timeout_s=1, isolation=isolation)
    with debugger_of(account).commands(HOLD_3_S, "c"):
        inv = account.invoke("held", {"x": 1})
    assert inv.status == "success", inv
    before, after = inv.payload["before"], inv.payload["after"]
    assert 0 < after <= before <= 1000  # the 3 s held are not counted
    assert inv.duration_ms < 3000  # Duration leaves out the time the debugger held the invocation
    assert "Status: timeout" not in inv.report


@pytest.mark.slow
def test_the_deadline_still_counts_once_the_handler_runs_on(account):
    """Suspended only while held: a handler that sleeps past its timeout after `continue` times out."""
    sleeper = STOPS.replace("y = x + 1", "y = x + 1; __import__('time').sleep(3)")
    account.register("late", sleeper, timeout_s=1)
    with debugger_of(account).commands("c"):
        inv = account.invoke("late", {"x": 1})
    assert inv.status == "timeout"
    assert inv.error_type == "Sandbox.Timedout"


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_quit_ends_the_invocation_with_bdbquit(account, capsys, isolation):
    account.register("quits", STOPS, isolation=isolation)
    with debugger_of(account).commands("q"):
        inv = account.invoke("quits", {"x": 1})
    assert inv.status == "error"
    assert inv.error_type == "BdbQuit"
    assert inv.error_message == QUIT_MESSAGE
    stack = "".join(inv.error["stackTrace"])
    assert "lambda_function.py" in stack and "bdb.py" not in stack
    # the environment serves the next invocation
    with debugger_of(account).commands("c"):
        assert account.invoke("quits", {"x": 2}).payload["y"] == 5


def test_no_input_ends_the_invocation_and_says_why(account):
    """Nobody to type (pytest's stdin, nbclient): pdb reads the end of input and quits."""
    account.register("alone", STOPS)
    inv = account.invoke("alone", {"x": 1})
    assert inv.error_type == "BdbQuit"
    assert inv.error_message == NO_INPUT_MESSAGE


def test_pythonbreakpoint_0_disables_breakpoint(account):
    account.register("off", STOPS, env={"PYTHONBREAKPOINT": "0"})
    inv = account.invoke("off", {"x": 1})
    assert inv.status == "success"
    assert inv.payload["y"] == 3


def test_breakpoint_during_init_is_skipped(account):
    account.register("init", "breakpoint()\n\ndef lambda_handler(event, context):\n    return 1\n")
    assert account.invoke("init").payload == 1


def test_commands_are_dropped_after_the_block(account):
    account.register("stops", STOPS)
    with debugger_of(account).commands("c", "p 'unused'"):
        account.invoke("stops", {"x": 1})
    inv = account.invoke("stops", {"x": 1})  # nothing left to type: no input
    assert inv.error_message == NO_INPUT_MESSAGE


# --- post-mortem -------------------------------------------------------------------------------


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_post_mortem_opens_pdb_where_the_handler_raised(account, capsys, isolation):
    account.register("split", SPLIT, isolation=isolation, env={"STAGE": "dev"})
    failed = account.invoke("split", {"prices": [3, 4], "people": 0})
    assert failed.error_type == "ZeroDivisionError"
    capsys.readouterr()
    with debugger_of(account).commands("p total", "p os.environ['STAGE']", "q"):
        said = post_mortem(account)
    out = capsys.readouterr().out
    assert said == f"post-mortem of {failed.request_id} (ZeroDivisionError) ended"
    assert "post-mortem: ZeroDivisionError: division by zero" in out
    assert '-> share = total / event["people"]' in out
    assert "(Pdb) p total\n7\n" in out
    assert "(Pdb) p os.environ['STAGE']\n'dev'\n" in out  # the function's environment variables
    rerun = "ran with process isolation: re-running its event in an inline environment"
    assert (rerun in out) == (isolation == "process")
    assert len(account.invocation_records()) == 1  # the re-run is not an invocation


def test_post_mortem_of_a_given_request_id(account, capsys):
    account.register("split", SPLIT, isolation="inline", env={"STAGE": "dev"})
    first = account.invoke("split", {"prices": [1], "people": 0})
    account.invoke("split", {"prices": [2, 2], "people": 0})
    with debugger_of(account).commands("p total", "q"):
        post_mortem(account, first.request_id)
    assert "(Pdb) p total\n1\n" in capsys.readouterr().out


def test_post_mortem_says_when_the_rerun_does_not_fail(account, shared, capsys):
    """A failure that depended on state: the re-run succeeds, and the post-mortem says so."""
    flaky = code(
        f"""
        import os
        MARK = {str(shared / "failed-once")!r}

        def lambda_handler(event, context):
            if not os.path.exists(MARK):
                open(MARK, "w").close()
                raise RuntimeError("first time only")
            return "fine"
        """
    )
    account.register("flaky", flaky)
    account.invoke("flaky")
    said = post_mortem(account)
    assert said == "the re-run did not fail (success): nothing to debug (it may depend on state or time)"


def test_post_mortem_needs_a_failed_invocation(account):
    account.register("split", SPLIT, env={"STAGE": "dev"})
    with pytest.raises(ResourceNotFoundException, match="no invocation has failed yet"):
        post_mortem(account)
    ok = account.invoke("split", {"prices": [2], "people": 1})
    with pytest.raises(ResourceNotFoundException, match="did not fail"):
        post_mortem(account, ok.request_id)
    with pytest.raises(ResourceNotFoundException, match="no invocation nope is kept"):
        post_mortem(account, "nope")


def test_a_background_invocation_has_no_console_but_scripted_commands_work(account, capsys):
    """An Event invocation runs on a worker thread: no cell to type in, so pdb reads the end of input."""
    account.register("stops", STOPS)
    account.invoke("stops", {"x": 1}, invocation_type="Event")
    assert account.wait(timeout=60)
    background = [inv for inv in account.invocation_records("stops") if inv.invocation_type == "Event"]
    assert background[-1].error_message == NO_INPUT_MESSAGE
    with debugger_of(account).commands("p x", "c"):
        account.invoke("stops", {"x": 5}, invocation_type="Event")
        assert account.wait(timeout=60)
    last = [inv for inv in account.invocation_records("stops") if inv.invocation_type == "Event"][-1]
    assert last.payload["y"] == 11
    assert "(Pdb) p x\n10\n" in capsys.readouterr().out


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_kernel_interrupt_at_the_prompt_stops_the_invocation(account, monkeypatch, isolation):
    """Kernel > Interrupt while pdb waits for a command: recorded as interrupted, nothing left tracing."""
    import builtins
    import sys

    from lambda_magic.common.errors import InvocationInterrupted

    def interrupted(prompt=""):
        raise KeyboardInterrupt

    monkeypatch.setattr(builtins, "input", interrupted)
    account.register("stops", STOPS, isolation=isolation)
    with pytest.raises(InvocationInterrupted):
        account.invoke("stops", {"x": 1})
    assert sys.gettrace() is None or "pytest" in type(sys.gettrace()).__module__  # pdb's trace is gone
    assert [inv.status for inv in account.invocation_records("stops")] == ["interrupted"]
    monkeypatch.undo()
    with debugger_of(account).commands("c"):
        assert account.invoke("stops", {"x": 1}).payload["y"] == 3  # a new environment serves the next one
