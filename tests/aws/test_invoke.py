"""Invoke on the AWS backend: moto runs no handler without Docker, so answers come from botocore's Stubber."""

from __future__ import annotations

import base64
import io
import json

import pytest
from botocore.stub import ANY, Stubber

from lambda_magic.aws.results import decode_tail, parse_report

from .helpers import HANDLER

RID = "0f3c5a8e-1111-4222-8333-444455556666"
TAIL = (
    f"START RequestId: {RID} Version: $LATEST\n"
    "hello from the handler\n"
    f"END RequestId: {RID}\n"
    f"REPORT RequestId: {RID}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t"
    "Max Memory Used: 41 MB\tInit Duration: 150.50 ms\t\n"
)


def _answer(payload: dict, *, function_error: str | None = None, tail: str = TAIL, status: int = 200) -> dict:
    answer = {
        "StatusCode": status,
        "Payload": io.BytesIO(json.dumps(payload).encode()),
        "ExecutedVersion": "$LATEST",
        "LogResult": base64.b64encode(tail.encode()).decode(),
        "ResponseMetadata": {"RequestId": RID, "HTTPStatusCode": status},
    }
    if function_error:
        answer["FunctionError"] = function_error
    return answer


def test_report_line_figures():
    line = TAIL.splitlines()[-1]
    assert parse_report(line) == {
        "duration_ms": 12.34,
        "billed_duration_ms": 13,
        "memory_size_mb": 128,
        "max_memory_used_mb": 41,
        "init_duration_ms": 150.5,
    }


def test_log_tail_is_decoded_into_lines():
    assert decode_tail(base64.b64encode(TAIL.encode()).decode())[1] == "hello from the handler"
    assert decode_tail(None) == []


def test_a_successful_invoke_gives_an_invocation(aws):
    aws.register("hello", HANDLER)
    with Stubber(aws.client("lambda")) as stub:
        stub.add_response(
            "invoke",
            _answer({"hello": "Ada"}),
            {"FunctionName": "hello", "InvocationType": "RequestResponse", "LogType": "Tail", "Payload": ANY},
        )
        inv = aws.invoke("hello", {"name": "Ada"})
    assert (inv.status, inv.status_code, inv.payload, inv.request_id) == ("success", 200, {"hello": "Ada"}, RID)
    assert (inv.duration_ms, inv.billed_duration_ms, inv.max_memory_used_mb) == (12.34, 13, 41)
    assert inv.cold_start and inv.init_duration_ms == 150.5
    assert "hello from the handler" in inv.log_lines
    assert inv.backend == "aws"
    assert aws.invocation_records("hello") == [inv]


def test_a_function_error_is_the_error_document(aws):
    error = {"errorMessage": "boom", "errorType": "ValueError", "stackTrace": ['  File "x", line 1\n']}
    with Stubber(aws.client("lambda")) as stub:
        stub.add_response("invoke", _answer(error, function_error="Unhandled"))
        inv = aws.invoke("hello", {})
    assert (inv.status, inv.function_error, inv.error_type, inv.error_message) == (
        "error",
        "Unhandled",
        "ValueError",
        "boom",
    )
    assert "ValueError: boom" in repr(inv)


def test_a_timeout_is_status_timeout(aws):
    error = {"errorMessage": "2026-12-02T20:00:00Z 1f Task timed out after 3.00 seconds"}
    with Stubber(aws.client("lambda")) as stub:
        stub.add_response("invoke", _answer(error, function_error="Unhandled"))
        assert aws.invoke("hello").status == "timeout"


def test_an_event_invoke_is_accepted_with_202_and_sends_no_log_type(aws):
    with Stubber(aws.client("lambda")) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202, "Payload": io.BytesIO(b""), "ResponseMetadata": {"RequestId": RID}},
            {"FunctionName": "hello", "InvocationType": "Event", "Payload": ANY},
        )
        inv = aws.invoke("hello", {"k": 1}, invocation_type="Event")
    assert (inv.status_code, inv.status) == (202, "queued")


def test_invoking_a_missing_function_is_awss_error(aws):
    with Stubber(aws.client("lambda")) as stub:
        stub.add_client_error("invoke", "ResourceNotFoundException", "Function not found: nope", 404)
        with pytest.raises(Exception, match="ResourceNotFoundException: Function not found: nope"):
            aws.invoke("nope")


def test_logs_come_from_filter_log_events(aws):
    import time

    now = int(time.time() * 1000)
    logs = aws.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/hello")
    logs.create_log_stream(logGroupName="/aws/lambda/hello", logStreamName="2026/12/02/[$LATEST]abc")
    logs.put_log_events(
        logGroupName="/aws/lambda/hello",
        logStreamName="2026/12/02/[$LATEST]abc",
        logEvents=[{"timestamp": now + i, "message": line} for i, line in enumerate(TAIL.strip("\n").splitlines())],
    )
    events = aws.log_events("hello")
    assert [e.message for e in events][1] == "hello from the handler"
    assert events[0].request_id == RID and events[0].level == "SYSTEM"
    assert len(aws.log_events("hello", filter_pattern="REPORT")) == 1
    assert aws.log_events("nothing-logged-yet") == []


def test_versions_aliases_concurrency_and_async_config_are_the_real_calls(aws):
    aws.register("hello", HANDLER)
    aws.register("dest", HANDLER)
    version = aws.publish_version("hello")
    assert version.version == "1"
    aws.create_alias("hello", "live", "1")
    lam = aws.client("lambda")
    assert lam.get_alias(FunctionName="hello", Name="live")["FunctionVersion"] == "1"
    aws.put_function_concurrency("hello", 5)
    assert lam.get_function_concurrency(FunctionName="hello")["ReservedConcurrentExecutions"] == 5
    assert aws.get_function("hello").reserved_concurrency == 5
    aws.configure_async("hello", max_retry_attempts=0, on_failure="dest")
    config = lam.get_function_event_invoke_config(FunctionName="hello")
    assert config["MaximumRetryAttempts"] == 0
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == aws.function_arn("dest")
