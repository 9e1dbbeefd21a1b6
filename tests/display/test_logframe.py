"""How log events and wide tables display: like CloudWatch's console, still plain DataFrames for code."""

import html
import re

import pandas as pd
import pytest

import lambda_magic as lm
from lambda_magic.display.frames import LOG_COLUMNS
from lambda_magic.display.tabs import expand_tabs

TABS = (
    "def lambda_handler(event, context):\n"
    "    print('name\\tsize\\tkind')\n"
    "    print('x' * 300)\n"
    "    print('first line\\nsecond line')\n"
    "    return 1\n"
)


@pytest.fixture(autouse=True)
def clean():
    lm.reset()
    yield
    lm.reset()


def _messages_html(frame):
    return [html.unescape(m) for m in re.findall(r"<pre[^>]*>(.*?)</pre>", frame._repr_html_(), re.S)]


def test_logs_stay_a_dataframe_with_the_contract_columns():
    lm.register("f", TABS)
    inv = lm.invoke("f", {})
    frame = lm.logs("f")
    assert isinstance(frame, pd.DataFrame) and not frame.empty
    assert list(frame.columns) == LOG_COLUMNS
    assert "name\tsize\tkind" in frame["message"].tolist()  # the data keeps its tabs
    derived = frame[frame["request_id"] == inv.request_id]
    assert isinstance(derived, pd.DataFrame) and len(derived) < len(frame)
    assert frame.query("level == 'SYSTEM'")["level"].unique().tolist() == ["SYSTEM"]  # pandas' own query()
    assert frame.to_csv().count("\n") == len(frame) + 1


def test_messages_are_whole_left_aligned_wrapped_and_tabs_become_aligned_spaces():
    lm.register("f", TABS)
    lm.invoke("f", {})
    frame = lm.logs("f")
    shown = _messages_html(frame)
    assert "name    size    kind" in shown  # tab stops every 4 columns, at least 2 spaces apart
    assert "x" * 300 in shown  # not cut at pandas' 50 characters
    report = next(m for m in shown if m.startswith("REPORT RequestId"))
    assert "\t" not in report and re.search(r"ms {2,}Billed Duration: \d+ ms {2,}Memory Size", report)
    cell = frame._repr_html_().split("<pre")[1]
    assert "white-space:pre-wrap" in cell  # wrapped inside the output; the <pre> keeps columns without CSS
    assert 'text-align:left;vertical-align:top;min-width:24em"><pre' in frame._repr_html_()
    text = repr(frame)
    assert "name    size    kind" in text and "\t" not in text
    # a multi-line message continues under the message column, left-aligned
    first, second = (line for line in text.splitlines() if "first line" in line or "second line" in line)
    assert first.index("first line") == second.index("second line")
    header = text.splitlines()[0]
    assert header.split()[:5] == ["timestamp", "function", "level", "request_id", "message"]
    assert header.index("message") == first.index("first line")


def test_an_empty_result_says_so_in_words():
    lm.register("f", TABS)
    inv = lm.invoke("f", {})
    frame = lm.logs("f", filter_pattern="NOTHING-LIKE-THIS")
    assert isinstance(frame, pd.DataFrame) and frame.empty and list(frame.columns) == LOG_COLUMNS
    assert repr(frame) == "No log events match function f, filter pattern 'NOTHING-LIKE-THIS'."
    assert "<table" not in frame._repr_html_() and "No log events match function f" in frame._repr_html_()
    assert repr(lm.logs(request_id="no-such-id", tail=3)) == (
        "No log events match any function, request id no-such-id, the last 3."
    )
    assert repr(lm.logs("f")[lambda df: df["level"] == "NONE"]) == "No log events."
    assert not lm.logs("f", request_id=inv.request_id).empty


def test_the_magic_shows_the_same_words():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "lambda_magic")
    lm.register("f", TABS)
    frame = shell.run_line_magic("lambda", "logs f --filter NOTHING-LIKE-THIS")
    assert isinstance(frame, pd.DataFrame) and frame.empty
    assert repr(frame).startswith("No log events match function f")


def test_many_log_events_show_head_and_tail_like_pandas():
    lm.register("f", "def lambda_handler(event, context):\n    for i in range(300):\n        print('event', i)\n")
    lm.invoke("f", {})
    frame = lm.logs("f")
    with pd.option_context("display.max_rows", 60, "display.min_rows", 10):
        text, page = repr(frame), frame._repr_html_()
    assert f"... {len(frame) - 10:,} more rows ..." in text and f"... {len(frame) - 10:,} more rows ..." in page
    assert len(page) < 20_000
    assert "event 0" in page and "REPORT RequestId" in page


def test_frames_with_other_columns_fall_back_to_pandas():
    lm.register("f", TABS)
    lm.invoke("f", {})
    counts = lm.logs("f").groupby("level").size().to_frame("n")
    assert "n" in repr(counts)


def test_expand_tabs_keeps_columns_and_a_gap():
    assert expand_tabs("a\tb") == "a   b"
    assert expand_tabs("abc\td") == "abc     d"  # 1 space would be too little: on to the next stop
    assert expand_tabs("ab\tc\n\td") == "ab  c\n    d"


# --- wide tables scroll inside the output -------------------------------------------------------


def test_wide_tables_scroll_inside_the_output():
    lm.register("f", TABS)
    lm.invoke("f", {})
    for frame in (lm.invocations(), lm.functions(), lm.invoke("f", {}).to_frame()):
        assert isinstance(frame, pd.DataFrame)
        page = frame._repr_html_()
        assert page.startswith('<div class="lambda-magic-wide" style="overflow-x:auto;max-width:100%">')
        assert 'class="dataframe"' in page
    assert lm.invocations()["function"].tolist() == ["f", "f"]
    lm.invoke("f", {}, invocation_type="Event")
    lm.wait()
    queue = lm.queue()._repr_html_()
    assert "<table" in queue
    assert "overflow-x:auto" in queue.split("<table")[0]
