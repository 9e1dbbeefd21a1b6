"""Handlers that call other notebook functions with boto3, as they would on AWS."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow  # starts the local cloud (boto3 in a handler reaches it)

WORKER = """
def lambda_handler(event, context):
    return {"square": event["n"] * event["n"]}
"""

ORCHESTRATOR = """
import json
from concurrent.futures import ThreadPoolExecutor

import boto3

client = boto3.client("lambda")


def call(n, kind="RequestResponse", name="worker"):
    answer = client.invoke(FunctionName=name, InvocationType=kind, Payload=json.dumps({"n": n}))
    return answer["StatusCode"], answer["Payload"].read().decode()


def lambda_handler(event, context):
    if event["mode"] == "sync":
        return call(event["n"])
    if event["mode"] == "event":
        return call(event["n"], "Event")
    if event["mode"] == "fan-out":
        with ThreadPoolExecutor(10) as pool:
            return [json.loads(body)["square"] for _, body in pool.map(call, range(10))]
    try:
        call(1, name="missing")
    except client.exceptions.ResourceNotFoundException as exc:
        return {"caught": type(exc).__name__, "message": str(exc)}
"""


@pytest.fixture
def functions(account, api):
    account.register("worker", WORKER)
    account.register("orchestrator", ORCHESTRATOR, timeout_s=60)
    return account


def _calls(account, caller):
    return [r for r in account.invocation_records("worker") if r.caller_request_id == caller.request_id]


def test_a_synchronous_call_reaches_the_other_function(functions):
    caller = functions.invoke("orchestrator", {"mode": "sync", "n": 7})
    assert caller.status == "success", caller.error
    status, body = caller.payload
    assert (status, json.loads(body)) == (200, {"square": 49})
    [worker] = _calls(functions, caller)
    assert (worker.trigger, worker.invocation_type, worker.status) == ("api", "RequestResponse", "success")


def test_an_event_call_is_queued_and_runs(functions):
    caller = functions.invoke("orchestrator", {"mode": "event", "n": 3})
    assert caller.payload == [202, ""]
    assert functions.wait(60)
    [worker] = _calls(functions, caller)
    assert (worker.invocation_type, worker.status, worker.payload) == ("Event", "success", {"square": 9})


def test_a_fan_out_of_ten_records_who_called_whom(functions):
    caller = functions.invoke("orchestrator", {"mode": "fan-out"})
    assert caller.payload == [n * n for n in range(10)]
    workers = _calls(functions, caller)
    assert len(workers) == 10
    assert {w.status for w in workers} == {"success"}


def test_a_missing_function_raises_the_typed_error_in_the_handler(functions):
    caller = functions.invoke("orchestrator", {"mode": "missing"})
    assert caller.payload["caught"] == "ResourceNotFoundException"
    assert "Function not found: arn:aws:lambda:" in caller.payload["message"]


def test_the_caller_column_is_in_the_invocations_frame(functions):
    import lambda_magic.display.frames as frames

    caller = functions.invoke("orchestrator", {"mode": "sync", "n": 2})
    frame = frames.invocations_frame(functions.invocation_records())
    row = frame[frame["function"] == "worker"].iloc[0]
    assert row["caller_request_id"] == caller.request_id
    assert frame[frame["function"] == "orchestrator"]["caller_request_id"].isna().all()


def test_an_inline_handler_calling_an_inline_function_gets_a_clear_error_not_a_hang(account, api):
    account.register("worker", WORKER, isolation="inline")
    # a session of its own: the kernel's default boto3 session predates the inline environment's variables
    inline_client = (
        'boto3.session.Session().client("lambda", '
        "config=__import__('botocore.config').config.Config(retries={'total_max_attempts': 1}))"
    )
    account.register(
        "orchestrator", ORCHESTRATOR.replace('boto3.client("lambda")', inline_client), isolation="inline", timeout_s=60
    )
    caller = account.invoke("orchestrator", {"mode": "sync", "n": 2})
    assert caller.error_type == "ResourceConflictException"
    assert "inline handler cannot wait for another inline function" in caller.error_message
    account.register("worker", WORKER)  # a process worker is fine
    caller = account.invoke("orchestrator", {"mode": "sync", "n": 2})
    assert caller.status == "success", caller.error
    assert json.loads(caller.payload[1]) == {"square": 4}
