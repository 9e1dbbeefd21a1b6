"""%lambda configure-async / concurrency / publish / alias / provision / load / timeline / metrics / queue / clock."""

import pandas as pd
import pytest
from IPython.core.error import UsageError

import lambda_magic as lm
from lambda_magic.display.queue import QueuePanel
from lambda_magic.display.timeline import Timeline

OK = "def lambda_handler(event, context):\n    return 1\n"
FAIL = "def lambda_handler(event, context):\n    raise ValueError('no')\n"
VERSION = "def lambda_handler(event, context):\n    return context.function_version\n"


def test_reserved_concurrency_option_and_verb(shell, capsys):
    shell.run_cell_magic("lambda", "f --reserved-concurrency 3", OK)
    assert lm.account().governor.reserved("f") == 3
    shell.run_line_magic("lambda", "concurrency f 0")
    assert "reserved concurrency 0" in capsys.readouterr().out
    with pytest.raises(lm.TooManyRequestsException) as throttled:
        lm.invoke("f")
    assert throttled.value.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert throttled.value.status_code == 429
    shell.run_line_magic("lambda", "concurrency f none")
    assert lm.invoke("f").payload == 1


def test_configure_async_verb_sends_failures_to_the_destination(shell, capsys):
    shell.run_cell_magic("lambda", "fails", FAIL)
    shell.run_cell_magic(
        "lambda", "sink", "def lambda_handler(event, context):\n    return event['requestContext']['condition']\n"
    )
    shell.run_line_magic("lambda", "configure-async fails --max-retry-attempts 1 --on-failure sink")
    assert "on failure -> sink" in capsys.readouterr().out
    lm.invoke("fails", {"n": 1}, invocation_type="Event")
    shell.run_line_magic("lambda", "wait")
    attempts = [r.attempt for r in lm.account().invocation_records("fails")]
    assert attempts == [1, 2]
    [record] = lm.account().invocation_records("sink")
    assert record.payload == "RetriesExhausted"
    panel = shell.run_line_magic("lambda", "queue")
    assert isinstance(panel, QueuePanel)
    assert "fails: received 1" in repr(panel) and "to failure destination 1" in repr(panel)


def test_publish_alias_and_provision(shell, capsys):
    shell.run_cell_magic("lambda", "v", VERSION)
    shell.run_line_magic("lambda", "publish v")
    shell.run_line_magic("lambda", "alias v live 1")
    shell.run_line_magic("lambda", "provision v live 1")
    out = capsys.readouterr().out
    assert "published version 1" in out and "v:live -> version 1" in out and "1 of 1 provisioned" in out
    invocation = lm.invoke("v", qualifier="live")
    assert invocation.payload == "1" and not invocation.cold_start and invocation.init_duration_ms is None


def test_load_verb_returns_a_frame(shell):
    shell.run_cell_magic("lambda", "f", OK)
    frame = shell.run_line_magic("lambda", "load f --count 6 --concurrency 2")
    assert isinstance(frame, pd.DataFrame) and len(frame) == 6
    assert set(frame["status"]) == {"success"}
    frame = shell.run_line_magic("lambda", "load f --count 3 --type Event --template s3/put")
    assert len(frame) == 3 and set(frame["invocation_type"]) == {"Event"}


def test_timeline_and_metrics_verbs(shell):
    shell.run_cell_magic("lambda", "f", OK)
    lm.invoke_many("f", 4, concurrency=2, progress=False)
    timeline = shell.run_line_magic("lambda", "timeline f")
    assert isinstance(timeline, Timeline)
    assert repr(timeline).startswith("Timeline: 4 invocations in ")
    assert timeline._repr_png_().startswith(b"\x89PNG")
    metrics = shell.run_line_magic("lambda", "metrics f --period 10s")
    assert int(metrics["Invocations"].sum()) == 4 and int(metrics["Errors"].sum()) == 0


def test_clock_verb(shell):
    try:
        clock = shell.run_line_magic("lambda", "clock manual")
        before = clock.time()
        shell.run_line_magic("lambda", "clock --advance 90")
        assert clock.time() - before == pytest.approx(90, abs=0.5)
        assert repr(shell.run_line_magic("lambda", "clock")).startswith("AccountClock(manual")
    finally:
        shell.run_line_magic("lambda", "clock auto")


@pytest.mark.parametrize(
    "line, fragment",
    [
        ("concurrency f lots", "whole number or 'none'"),
        ("concurrency f 5000", "unreserved"),
        ("configure-async f --max-retry-attempts 5", "0-2"),
        ("configure-async f --max-event-age 10", "60-21600"),
        ("configure-async f --on-failure arn:aws:dynamodb:us-east-1:123456789012:table/t", "cannot be a destination"),
        ("alias f live 9", "does not exist"),
        ("provision f $LATEST 1", "not $LATEST"),
        ("load f --concurrency 2", "--count"),
        ("load f --count 0", "at least 1"),
        ("metrics f --period banana", "not a pandas frequency"),
        ("clock fast", "invalid choice"),
        ("timeline nobody", "Function not found"),
    ],
)
def test_scaling_mistakes_are_usage_errors(shell, line, fragment):
    shell.run_cell_magic("lambda", "f", OK)
    error = shell.run_cell(f"%lambda {line}").error_in_exec
    assert isinstance(error, UsageError), error
    assert fragment in str(error) and "\n" not in str(error)
