"""Dead-letter queues and queue destinations for asynchronous invocation (lambda-semantics §5.6-5.8),
through the account's local cloud (an embedded moto server)."""

from __future__ import annotations

import json

import pytest

from .async_helpers import ECHO, FAILING, manual
from .helpers import OK

pytest.importorskip("moto.server", reason="the local cloud needs moto[server]")


@pytest.fixture
def sqs(account):
    manual(account)
    return account.cloud.client("sqs")


def make_queue(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def messages(sqs, url):
    found = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not batch:
            return found
        found.extend(batch)
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def attributes(message):
    return {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}


def test_the_dead_letter_queue_gets_the_event_alone_with_its_attributes(account, sqs):
    url, arn = make_queue(sqs, "dlq")
    account.register("fails", FAILING)
    account.configure_async("fails", max_retry_attempts=1, dead_letter_target=arn)
    queued = account.invoke("fails", {"order": 42}, invocation_type="Event")
    assert account.wait(timeout=10) is True
    assert len(account.invocation_records("fails")) == 2  # retried first
    [message] = messages(sqs, url)
    assert json.loads(message["Body"]) == {"order": 42}  # only the event, no invocation record
    assert attributes(message) == {
        "RequestID": queued.request_id,
        "ErrorCode": "200",
        "ErrorMessage": "planned failure",
    }
    books = account.async_ledgers()["fails"]
    assert books.balances() and books.pending == 0
    assert (books.dead_lettered, books.dead_letter_errors, sum(books.dropped.values())) == (1, 0, 0)


def test_a_missing_dead_letter_queue_is_counted(account, sqs):
    _, arn = make_queue(sqs, "dlq")
    account.register("fails", FAILING)
    account.configure_async("fails", max_retry_attempts=0, dead_letter_target=arn.replace(":dlq", ":gone"))
    account.invoke("fails", invocation_type="Event")
    assert account.wait(timeout=10) is True
    books = account.async_ledgers()["fails"]
    assert books.balances() and books.pending == 0
    assert (books.dead_lettered, books.dead_letter_errors) == (0, 1)
    assert dict(books.dropped) == {"RetriesExhausted": 1}


def test_a_failure_destination_and_a_dead_letter_queue_both_receive_but_the_event_counts_once(account, sqs):
    url, arn = make_queue(sqs, "dlq")
    account.register("fails", FAILING)
    account.register("sink", ECHO)
    account.configure_async("fails", max_retry_attempts=0, on_failure="sink", dead_letter_target=arn)
    queued = account.invoke("fails", {"x": 1}, invocation_type="Event")
    assert account.wait(timeout=10) is True
    assert [r.payload["requestContext"]["requestId"] for r in account.invocation_records("sink")] == [queued.request_id]
    [message] = messages(sqs, url)
    assert attributes(message)["RequestID"] == queued.request_id
    books = account.async_ledgers()["fails"]
    assert books.balances()
    assert (books.to_failure_destination, books.dead_lettered, books.finished) == (1, 0, 1)


def test_reserved_concurrency_zero_sends_events_straight_to_the_dead_letter_queue(account, sqs):
    url, arn = make_queue(sqs, "dlq")
    account.register("stopped", OK, reserved_concurrency=0)
    account.configure_async("stopped", dead_letter_target=arn)
    queued = account.invoke("stopped", {"y": 2}, invocation_type="Event")
    assert account.wait(timeout=10) is True
    assert account.invocation_records("stopped") == []  # never attempted
    [message] = messages(sqs, url)
    assert json.loads(message["Body"]) == {"y": 2}
    assert attributes(message)["RequestID"] == queued.request_id
    books = account.async_ledgers()["stopped"]
    assert books.balances() and books.dead_lettered == 1


def test_a_queue_as_on_failure_destination_gets_the_invocation_record(account, sqs):
    url, arn = make_queue(sqs, "failures")
    fails = account.register("fails", FAILING)
    account.configure_async("fails", max_retry_attempts=0, on_failure=arn)
    queued = account.invoke("fails", {"z": 3}, invocation_type="Event")
    assert account.wait(timeout=10) is True
    [message] = messages(sqs, url)
    record = json.loads(message["Body"])
    assert record["version"] == "1.0"
    assert record["requestContext"] == {
        "requestId": queued.request_id,
        "functionArn": f"{fails.arn}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 1,
    }
    assert record["requestPayload"] == {"z": 3}
    assert record["responseContext"]["functionError"] == "Unhandled"
    books = account.async_ledgers()["fails"]
    assert books.balances() and books.to_failure_destination == 1
