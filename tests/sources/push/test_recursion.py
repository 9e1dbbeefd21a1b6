"""Recursive loop detection: a chain of requests that comes back to the same function is
stopped the 17th time around, as Lambda does (DG invocation-recursion), whatever it loops
through: the Lambda API, an SQS queue (and, through ``caller_request_id``, S3 and SNS)."""

from __future__ import annotations

import json

import pytest

from lambda_magic.display.flow import flow_frame
from lambda_magic.runtime.lineage import RECURSION_LIMIT

pytestmark = pytest.mark.slow  # handlers call the local cloud and the Lambda API with boto3

SELF_INVOKER = """
import json
import boto3

client = boto3.client("lambda")


def lambda_handler(event, context):
    n = event.get("n", 0) + 1
    client.invoke(FunctionName=context.function_name, InvocationType="Event", Payload=json.dumps({"n": n}))
    return n
"""

SYNC_SELF_INVOKER = """
import json
import boto3

client = boto3.client("lambda")


def lambda_handler(event, context):
    n = event.get("n", 0) + 1
    try:
        answer = client.invoke(FunctionName=context.function_name, Payload=json.dumps({"n": n}))
    except client.exceptions.RecursiveInvocationException as exc:
        return {"n": n, "stopped": type(exc).__name__, "message": str(exc)}
    return json.loads(answer["Payload"].read())
"""

QUEUE_LOOP = """
import json
import os
import boto3

sqs = boto3.client("sqs")


def lambda_handler(event, context):
    for record in event["Records"]:
        n = json.loads(record["body"])["n"] + 1
        sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps({"n": n}))
    return n
"""


def _runs(account, name):
    return [r for r in account.invocation_records(name) if r.status in ("success", "error", "timeout")]


def test_a_function_invoking_itself_asynchronously_is_stopped_after_16_times(account, lambda_api):
    account.register("loop", SELF_INVOKER, timeout_s=30)
    account.invoke("loop", {"n": 0}, invocation_type="Event")
    assert account.wait(timeout=120)
    runs = _runs(account, "loop")
    assert sorted(r.payload for r in runs) == list(range(1, RECURSION_LIMIT + 1))
    assert all(r.status == "success" for r in runs)
    # each call names its caller: one chain from the cell's event to the 16th
    by_id = {r.request_id: r for r in runs}
    chained = [r for r in runs if r.caller_request_id in by_id]
    assert len(chained) == RECURSION_LIMIT - 1
    ledger = account.async_ledgers()["loop"]
    assert ledger.dropped["RecursiveInvocationException"] == 1
    assert ledger.received == RECURSION_LIMIT + 1 and ledger.succeeded == RECURSION_LIMIT and ledger.balances()
    assert account.metrics.totals("loop")["RecursiveInvocationsDropped"] == 1
    (stopped,) = account.lineage.stopped
    assert (
        stopped.function_name == "loop" and stopped.caller_request_id == max(runs, key=lambda r: r.payload).request_id
    )
    # the flow map: the cell started it, the function called itself 16 times, the last one stopped
    flow = flow_frame(account.invocation_records(), account.lineage)
    rows = {(r.source, r.target): (r.count, r.errors, r.stopped) for r in flow.itertuples()}
    assert rows == {("cell", "loop"): (1, 0, 0), ("loop", "loop"): (RECURSION_LIMIT, 1, 1)}
    middle = sorted(runs, key=lambda r: r.payload)[7]
    chain = flow_frame(account.invocation_records(), account.lineage, request_id=middle.request_id)
    assert len(chain) == RECURSION_LIMIT + 1  # the whole chain, up and down


def test_the_stopped_event_goes_to_the_on_failure_destination(account, lambda_api, failure_queue):
    account.register("loop", SELF_INVOKER, timeout_s=30)
    account.configure_async("loop", on_failure=failure_queue.arn)
    account.invoke("loop", {"n": 0}, invocation_type="Event")
    assert account.wait(timeout=120)
    (record,) = failure_queue.messages()
    assert record["requestContext"]["condition"] == "RecursiveInvocationException"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert record["requestPayload"] == {"n": RECURSION_LIMIT}
    assert "responseContext" not in record
    ledger = account.async_ledgers()["loop"]
    assert ledger.to_failure_destination == 1 and not ledger.dropped and ledger.balances()
    assert account.metrics.totals("loop")["RecursiveInvocationsDropped"] == 1


def test_the_stopped_event_goes_to_the_dead_letter_queue(account, lambda_api, failure_queue):
    account.register("loop", SELF_INVOKER, timeout_s=30)
    account.configure_async("loop", dead_letter_target=failure_queue.arn)
    account.invoke("loop", {"n": 0}, invocation_type="Event")
    assert account.wait(timeout=120)
    assert failure_queue.messages() == [{"n": RECURSION_LIMIT}]
    assert account.async_ledgers()["loop"].dead_lettered == 1


def test_a_synchronous_call_around_the_loop_answers_recursive_invocation_exception(account, lambda_api):
    account.register("loop", SYNC_SELF_INVOKER, timeout_s=60)
    result = account.invoke("loop", {"n": 0})
    assert result.status == "success", result.error
    assert result.payload["n"] == RECURSION_LIMIT
    assert result.payload["stopped"] == "RecursiveInvocationException"
    assert "recursive loop" in result.payload["message"]
    assert len(_runs(account, "loop")) == RECURSION_LIMIT
    assert account.metrics.totals("loop")["RecursiveInvocationsDropped"] == 1


def test_recursion_config_through_the_lambda_api_and_allow_opts_out(account, lambda_api, lambda_client):
    account.register("loop", SELF_INVOKER, timeout_s=30)
    assert lambda_client.get_function_recursion_config(FunctionName="loop")["RecursiveLoop"] == "Terminate"
    answer = lambda_client.put_function_recursion_config(FunctionName="loop", RecursiveLoop="Allow")
    assert answer["RecursiveLoop"] == "Allow"
    assert lambda_client.get_function_recursion_config(FunctionName="loop")["RecursiveLoop"] == "Allow"
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException, match="recursiveLoop"):
        lambda_client.put_function_recursion_config(FunctionName="loop", RecursiveLoop="Sometimes")
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function_recursion_config(FunctionName="missing")
    # allowed: the chain runs on past 16 (the handler is stopped by hand at 20)
    account.register("loop", SELF_INVOKER.replace("    client.invoke", "    if n < 20:\n        client.invoke"))
    account.invoke("loop", {"n": 0}, invocation_type="Event")
    assert account.wait(timeout=120)
    assert len(_runs(account, "loop")) == 20
    assert account.metrics.totals("loop")["RecursiveInvocationsDropped"] == 0


def test_fan_out_is_not_a_loop(account, lambda_api):
    """Invocations side by side are not a chain: only the function's own ancestors count."""
    account.register("leaf", "def lambda_handler(event, context):\n    return event")
    account.register(
        "fan",
        "import boto3, json\nclient = boto3.client('lambda')\n"
        "def lambda_handler(event, context):\n"
        "    for i in range(20):\n"
        "        client.invoke(FunctionName='leaf', InvocationType='Event', Payload=json.dumps(i))\n",
        timeout_s=30,
    )
    account.invoke("fan", {})
    assert account.wait(timeout=120)
    assert len(_runs(account, "leaf")) == 20
    assert not account.lineage.stopped


@pytest.fixture
def loop_queue(account):
    sqs = account.cloud.client("sqs")
    dlq = sqs.create_queue(QueueName="loop-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName="loop",
        Attributes={
            "VisibilityTimeout": "30",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs, url, arn, dlq


def test_a_function_sending_to_the_queue_that_triggers_it_is_stopped(account, mappings, loop_queue):
    sqs, url, arn, dlq = loop_queue
    account.register("looper", QUEUE_LOOP, timeout_s=30, env={"QUEUE_URL": url})
    mappings.create("looper", arn, batch_size=1)
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": 0}))
    assert account.wait(timeout=120)
    runs = _runs(account, "looper")
    assert sorted(r.payload for r in runs) == list(range(1, RECURSION_LIMIT + 1))
    # the 17th message is never processed: it comes back (its receive count rising) and the
    # queue's redrive policy moves it to the dead-letter queue, as on AWS
    moved = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"]) for m in moved] == [{"n": RECURSION_LIMIT}]
    assert account.metrics.totals("looper")["RecursiveInvocationsDropped"] == 2  # once per receive
    assert (
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
            "ApproximateNumberOfMessages"
        ]
        == "0"
    )
    # SQS keeps the sender's trace header, as on AWS; the cell's own message has none
    records = [r.event["Records"][0] for r in sorted(runs, key=lambda r: r.payload)]
    assert "AWSTraceHeader" not in records[0]["attributes"]
    assert all(r["attributes"]["AWSTraceHeader"].startswith("Root=1-") for r in records[1:])
    # every batch after the first names the invocation that sent its message
    by_id = {r.request_id: r for r in runs}
    assert sum(1 for r in runs if r.caller_request_id in by_id) == RECURSION_LIMIT - 1
    flow = flow_frame(account.invocation_records(), account.lineage)
    rows = {(r.source, r.target): (r.count, r.errors, r.stopped) for r in flow.itertuples()}
    assert rows == {
        ("sqs:loop", "looper"): (RECURSION_LIMIT + 2, 2, 2),  # 16 batches ran, the 17th message stopped twice
        ("looper", "sqs:loop"): (RECURSION_LIMIT, 0, 0),  # the messages the handler sent
    }


def test_a_push_source_loop_is_stopped_through_caused_by(account, push):
    """What the S3 and SNS sources do: each delivery names the invocation whose handler wrote
    the object or message (``caused_by``), here a function writing into its own bucket."""
    account.register("resize", "def lambda_handler(event, context):\n    return event['n']", isolation="inline")
    arn = account.get_function("resize").arn
    cause = None
    for n in range(RECURSION_LIMIT + 3):
        queued = push.deliver(
            arn,
            {"n": n},
            trigger="s3:photos",
            principal="s3.amazonaws.com",
            source_arn=None,
            caused_by=cause,
            check_policy=False,
        )
        assert account.wait(timeout=60)
        cause = queued.request_id
    runs = _runs(account, "resize")
    assert sorted(r.payload for r in runs) == list(range(RECURSION_LIMIT))
    # the 17th is stopped; what it would have caused never ran either (each one's chain holds 17+)
    assert account.async_ledgers()["resize"].dropped["RecursiveInvocationException"] == 3
    assert account.metrics.totals("resize")["RecursiveInvocationsDropped"] == 3
    flow = flow_frame(account.invocation_records(), account.lineage)
    rows = {(r.source, r.target): (r.count, r.errors, r.stopped) for r in flow.itertuples()}
    assert rows == {
        ("s3:photos", "resize"): (RECURSION_LIMIT + 3, 3, 3),
        ("resize", "s3:photos"): (RECURSION_LIMIT, 0, 0),
    }


def test_a_destination_names_the_invocation_it_reports(account, lambda_api):
    account.register("flaky", "def lambda_handler(event, context):\n    raise ValueError('no')", isolation="inline")
    account.register(
        "audit",
        "def lambda_handler(event, context):\n    return event['requestContext']['condition']",
        isolation="inline",
    )
    account.configure_async("flaky", max_retry_attempts=1, on_failure="audit")
    queued = account.invoke("flaky", {}, invocation_type="Event")
    assert account.wait(timeout=60)
    (audit,) = account.invocation_records("audit")
    assert audit.caller_request_id == queued.request_id and audit.trigger == "destination:flaky"
    assert [r.attempt for r in account.invocation_records("flaky")] == [1, 2]
    flow = flow_frame(account.invocation_records(), account.lineage)
    rows = {(r.source, r.target, r.trigger): (r.count, r.errors) for r in flow.itertuples()}
    assert rows == {
        ("cell", "flaky", "direct"): (1, 1),
        ("flaky", "flaky", "retry"): (1, 1),
        ("flaky", "audit", "destination"): (1, 0),
    }
