"""HTML panels and text forms of invocations."""

import html as html_module
import re

import pytest

import lambda_magic as lm

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(autouse=True)
def clean():
    lm.reset()
    yield
    lm.reset()


def _normalise(text):
    text = UUID.sub("<id>", text)
    text = re.sub(r"\d+\.\d+ ms", "<t> ms", text)
    text = re.sub(r"Billed Duration: \d+ ms", "Billed Duration: <b> ms", text)
    return re.sub(r"Max Memory Used: \d+ MB", "Max Memory Used: <m> MB", text)


def test_success_panel_shows_result_timing_memory_cost_and_log():
    lm.register("f", "def lambda_handler(event, context):\n    print('working')\n    return {'ok': True}\n")
    html = lm.invoke("f", {})._repr_html_()
    assert "200 success" in html and "cold start" in html
    assert "&quot;ok&quot;: true" in html
    assert "Init " in html and "Billed" in html
    assert "MB used of 128 MB" in html
    assert "$0.0000" in html
    assert "INIT_START" in html and "working" in html and "REPORT RequestId" in html


def test_error_panel_shows_type_message_and_stack():
    lm.register("f", "def lambda_handler(event, context):\n    return 1 / 0\n")
    inv = lm.invoke("f", {})
    html = inv._repr_html_()
    assert "ZeroDivisionError" in html and "division by zero" in html
    assert "/var/task/lambda_function.py" in html
    assert "lambda_magic" not in html.replace("lambda-magic-invocation", "")


def test_text_form_is_deterministic_apart_from_ids_and_timings():
    code = "def lambda_handler(event, context):\n    print('line one')\n    return {'n': event['n']}\n"
    lm.register("f", code)
    first = _normalise(repr(lm.invoke("f", {"n": 1})))
    lm.register("f", code)  # next invoke is cold again
    second = _normalise(repr(lm.invoke("f", {"n": 1})))
    assert first == second
    assert first.splitlines()[0] == "Invocation f ($LATEST, RequestResponse): 200 success, cold start"
    assert 'Result: {"n": 1}' in first


def test_queued_and_dry_run_panels():
    lm.register("f", "def lambda_handler(event, context):\n    return 1\n")
    assert "202 queued" in lm.invoke("f", invocation_type="Event")._repr_html_()
    assert "204 dry-run" in lm.invoke("f", invocation_type="DryRun")._repr_html_()
    lm.wait()


def test_inline_panel_states_its_limitations():
    lm.register("f", "def lambda_handler(event, context):\n    return 1\n", isolation="inline")
    inv = lm.invoke("f", {})
    assert "inline isolation" in inv._repr_html_()
    assert "not measured (inline)" in inv._repr_html_()
    assert "note: inline isolation" in repr(inv)


# --- long output: the first and last lines, the hidden count, bounded bytes -------------------

BIG = "def lambda_handler(event, context):\n    for i in range(200_000):\n        print('line', i)\n    return 1\n"


def _hidden(text):
    text = html_module.unescape(text)
    match = re.search(r"\.\.\. ([\d,]+) lines hidden \(lm\.logs\(request_id=\"([0-9a-f-]+)\"\) has them all\)", text)
    assert match, "no hidden-lines line"
    return int(match.group(1).replace(",", "")), match.group(2)


def _log_line_count(inv):
    return sum(event.count("\n") + 1 for event in inv.init_log_lines + inv.log_lines)


def test_a_200000_line_invocation_has_a_small_panel_and_text_that_say_what_is_hidden():
    lm.register("big", BIG, memory_mb=1769, timeout_s=30)  # one vCPU: 200,000 prints are seconds of CPU
    inv = lm.invoke("big", {})
    assert inv.status == "success"
    html, text = inv._repr_html_(), repr(inv)
    total = _log_line_count(inv)
    assert total > 100_000  # whatever the log store keeps, it is far more than a panel shows
    assert len(html.encode()) < 20_000 and len(text.encode()) < 5_000
    hidden, request_id = _hidden(html)
    assert request_id == inv.request_id
    assert hidden == total - 100  # the panel shows the first 50 and the last 50 lines
    assert f"Log ({total:,} lines: the first 50 and the last 50; {hidden:,} hidden)" in html
    assert "line 0\n" in html and "REPORT RequestId" in html  # head and tail both shown
    text_hidden, _ = _hidden(text)
    assert text_hidden == total - 40
    assert text.splitlines()[-1].startswith("  REPORT RequestId:")
    assert "max-height:24em;overflow:auto" in html  # the shown lines scroll inside a bounded area


def test_exactly_200000_lines_hide_all_but_the_first_and_last():
    from lambda_magic.runtime.invocation import Invocation

    lines = [f"line {i}" for i in range(200_000)]
    inv = Invocation(
        "00000000-0000-4000-8000-000000000000",
        "f",
        "$LATEST",
        "RequestResponse",
        200,
        "success",
        log_lines=lines,
        presenter=lm.account().presenter,
    )
    html, text = inv._repr_html_(), repr(inv)
    assert _hidden(html) == (199_900, "00000000-0000-4000-8000-000000000000")
    assert _hidden(text)[0] == 199_960
    assert "line 49\n... 199,900 lines hidden" in html and html.count("lines hidden") == 1
    assert text.splitlines()[-1] == "  line 199999" and "  line 19\n  ... 199,960 lines hidden" in text
    assert len(html.encode()) < 10_000 and len(text.encode()) < 2_000


def test_short_logs_are_shown_whole_and_multi_line_events_count_as_lines():
    from lambda_magic.runtime.invocation import Invocation

    inv = Invocation(
        "00000000-0000-4000-8000-000000000000",
        "f",
        "$LATEST",
        "RequestResponse",
        200,
        "success",
        log_lines=["one", "two\nthree"],
        presenter=lm.account().presenter,
    )
    assert "hidden" not in inv._repr_html_() and "Log (3 lines)" in inv._repr_html_()
    assert repr(inv).endswith("Log:\n  one\n  two\n  three")


def test_a_huge_single_line_and_a_huge_result_are_cut_saying_how_much():
    lm.register("wide", "def lambda_handler(event, context):\n    print('x' * 500_000)\n    return 'y' * 500_000\n")
    inv = lm.invoke("wide", {})
    html = inv._repr_html_()
    assert len(html.encode()) < 60_000
    assert "(498,000 more characters)" in html
    assert "more characters: the invocation&#x27;s payload has them all" in html
    assert len(inv.payload) == 500_000  # the data itself is whole


# --- the calling service's verdict: green only when the call succeeds ---------------------------


def _service_badge(html):
    row = html.split(">Service</th>")[1].split("</td>")[0]
    return re.search(r'<span style="background:(#[0-9a-f]{6});color:#fff[^>]*>([^<]+)</span>', row).groups()


def test_a_verdict_that_says_the_call_fails_is_not_green():
    from lambda_magic.display.theme import STATUS

    lm.register("gw", "def lambda_handler(event, context):\n    return {'statusCode': 500, 'body': 'boom'}\n")
    inv = lm.invoke("gw", template="apigateway/aws-proxy")
    assert inv.verdict.ok and "answers 500" in inv.verdict.summary  # a valid answer asking for a failure
    assert _service_badge(inv._repr_html_()) == (STATUS["warning"], "! fails")
    assert STATUS["warning"] != STATUS["success"]


def test_a_broken_answer_is_red_and_a_success_is_green():
    from lambda_magic.display.theme import STATUS

    lm.register("gw", "def lambda_handler(event, context):\n    return {'statusCode': 200, 'body': 'hi'}\n")
    assert _service_badge(lm.invoke("gw", template="apigateway/aws-proxy")._repr_html_()) == (STATUS["success"], "✓ ok")
    lm.register("gw", "def lambda_handler(event, context):\n    raise ValueError('no')\n")
    inv = lm.invoke("gw", template="apigateway/aws-proxy")
    assert not inv.verdict.ok
    assert _service_badge(inv._repr_html_()) == (STATUS["error"], "✗ problem")


def test_partial_batch_failures_are_not_green():
    lm.register(
        "q",
        "def lambda_handler(event, context):\n"
        "    return {'batchItemFailures': [{'itemIdentifier': event['Records'][0]['messageId']}]}\n",
    )
    from lambda_magic.display.panels import verdict_tone
    from lambda_magic.events.contracts import check_response

    event = lm.event("sqs/receive-message", records=["a", "b"])
    inv = lm.invoke("q", event)
    verdict = check_response(
        "sqs-batch", event, inv.payload, inv.function_error, function_response_types=("ReportBatchItemFailures",)
    )
    assert verdict.ok and verdict.details["failed_item_ids"]
    assert verdict_tone(verdict) == "fails"
