"""HTML panels and text forms of invocations."""

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
