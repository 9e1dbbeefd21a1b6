"""X-Ray in the notebook: ``%%lambda NAME --tracing Active``, ``lm.register(..., tracing=...)``,
``lm.traces()`` (one row per segment and subsegment) and ``lm.trace(id)`` (the waterfall)."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import lambda_magic as lm
from lambda_magic.display.trace_frame import TRACE_COLUMNS
from lambda_magic.display.trace_panel import TracePanel
from lambda_magic.runtime.xray_header import TraceHeader

HANDLER = """
import os


def lambda_handler(event, context):
    if event.get("fail"):
        raise RuntimeError("card declined")
    return os.environ["_X_AMZN_TRACE_ID"]
"""


@pytest.fixture
def shell():
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "lambda_magic")
    lm.reset()
    yield ip
    lm.reset()


def test_the_cell_option_sets_active_tracing(shell):
    shell.run_cell_magic("lambda", "pay --tracing Active --isolation inline", HANDLER)
    assert lm.account().get_function("pay").config.tracing == "Active"
    shell.run_cell_magic("lambda", "pay --isolation inline", HANDLER)
    assert lm.account().get_function("pay").config.tracing == "PassThrough"
    with pytest.raises(UsageError, match="tracing"):
        shell.run_cell_magic("lambda", "pay --tracing Sometimes", HANDLER)


def test_traces_frame_and_waterfall(shell):
    lm.register("pay", HANDLER, tracing="Active", isolation="inline")
    root = TraceHeader.parse(lm.invoke("pay", {}).payload).root
    frame = lm.traces()
    assert list(frame.columns) == TRACE_COLUMNS
    assert set(frame["trace_id"]) == {root}
    assert list(frame["name"]) == ["pay", "pay", "Initialization", "Invocation", "Overhead"]
    assert list(frame["depth"]) == [0, 1, 2, 2, 2]
    assert list(frame["origin"][:2]) == ["AWS::Lambda", "AWS::Lambda::Function"]
    assert str(frame["start"].dt.tz) == "UTC" and (frame["duration_ms"] >= 0).all()
    assert not frame["fault"].any()
    panel = lm.trace(root)
    assert isinstance(panel, TracePanel)
    html = panel._repr_html_()
    for name in ("pay (AWS::Lambda)", "pay (AWS::Lambda::Function)", "Initialization", "Invocation", "Overhead"):
        assert name in html
    assert html.count("position:absolute") == 5  # one bar per segment and subsegment
    text = repr(panel).splitlines()
    assert text[0].startswith(f"Trace {root}") and text[3].startswith("    Initialization  +")


def test_a_fault_shows_in_the_frame_and_the_picture(shell):
    lm.register("pay", HANDLER, tracing="Active", isolation="inline")
    assert lm.invoke("pay", {"fail": True}).status == "error"
    frame = lm.traces("pay")
    faulted = frame[frame["fault"]]
    assert list(faulted["name"]) == ["pay", "Invocation"]
    assert "fault" in repr(lm.trace())  # the most recent trace
    assert len(lm.traces("another")) == 0


def test_trace_errors_are_one_line(shell):
    with pytest.raises(lm.InvalidParameterValueException, match="no traces yet"):
        lm.trace()
    with pytest.raises(lm.InvalidParameterValueException, match="not an X-Ray trace id"):
        lm.trace("abc")
    with pytest.raises(lm.InvalidParameterValueException, match="is not kept"):
        lm.trace("1-00000000-000000000000000000000000")


def test_the_traces_and_trace_verbs(shell):
    lm.register("pay", HANDLER, tracing="Active", isolation="inline")
    root = TraceHeader.parse(lm.invoke("pay", {}).payload).root
    frame = shell.run_line_magic("lambda", "traces pay")
    assert set(frame["trace_id"]) == {root}
    assert shell.run_line_magic("lambda", f"trace {root}").trace_id == root
    assert shell.run_line_magic("lambda", "trace").trace_id == root
    with pytest.raises(UsageError, match="not an X-Ray trace id"):
        shell.run_line_magic("lambda", "trace nope")


def test_logs_insights_finds_the_trace_of_a_report_line(shell):
    lm.register("pay", HANDLER, tracing="Active", isolation="inline")
    header = TraceHeader.parse(lm.invoke("pay", {}).payload)
    found = lm.insights("fields @xrayTraceId, @xraySegmentId | filter ispresent(@xrayTraceId)", "pay")
    assert list(found["@xrayTraceId"]) == [header.root]
    assert list(found["@xraySegmentId"]) == [header.parent]  # the function segment: lm.trace(...) shows it
