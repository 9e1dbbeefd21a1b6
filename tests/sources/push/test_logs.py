"""CloudWatch Logs subscription filters with a function as destination, through boto3 as a student
writes them: the awslogs event, the filter pattern applied, AWS's refusals, and one function alarming
on another's errors."""

from __future__ import annotations

import gzip
import json
import random
import re
import string
import time

import pytest

from lambda_magic.common.errors import InvalidParameterValueException
from lambda_magic.sources.push.logs import CANNOT_EXECUTE, decode_awslogs
from tests.runtime.helpers import code

ACCOUNT = "123456789012"
REGION = "us-east-1"
GROUP = "/app/orders"
STREAM = "web-1"

#: Returns the decoded DATA_MESSAGE it was sent (the test reads it from the invocation's payload).
ALARM = code(
    """
    import base64, gzip, json

    def lambda_handler(event, context):
        message = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
        print("ALARM got", len(message["logEvents"]), "event(s)")
        return {"event": event, "message": message}
    """
)

#: Logs what it is told, and fails when told to.
OTHER = code(
    """
    def lambda_handler(event, context):
        for line in event.get("lines", []):
            print(line)
        if event.get("fail"):
            raise ValueError("ERROR the order could not be stored")
        return "ok"
    """
)


def group_arn(group: str) -> str:
    return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*"


@pytest.fixture
def logs(account, push):
    client = account.cloud.client("logs")
    client.create_log_group(logGroupName=GROUP)
    client.create_log_stream(logGroupName=GROUP, logStreamName=STREAM)
    return client


@pytest.fixture
def alarm(account, lambda_client):
    function = account.register("alarm", ALARM)
    return function


def allow_logs(lambda_client, group: str = GROUP, sid: str = "logs") -> None:
    lambda_client.add_permission(
        FunctionName="alarm",
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal="logs.amazonaws.com",
        SourceArn=group_arn(group),
        SourceAccount=ACCOUNT,
    )


def now_ms() -> int:
    return int(time.time() * 1000)


def put(logs, *messages: str, group: str = GROUP, stream: str = STREAM) -> None:
    start = now_ms()
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": start + i, "message": m} for i, m in enumerate(messages)],
    )


def received(account, name: str = "alarm") -> list[dict]:
    """What the function returned, in the order of the log events it was sent (deliveries run
    concurrently, so the invocations may end in any order)."""
    assert account.wait(timeout=30)
    payloads = [record.payload for record in account.invocation_records(name) if record.status == "success"]
    return sorted(payloads, key=lambda p: [(e["timestamp"], e["id"]) for e in p["message"]["logEvents"]])


# --- the event -------------------------------------------------------------------------------------


def test_put_log_events_invokes_the_function_with_the_awslogs_event(account, logs, alarm, lambda_client):
    allow_logs(lambda_client)
    logs.put_subscription_filter(logGroupName=GROUP, filterName="all", filterPattern="", destinationArn=alarm.arn)
    before = now_ms()
    put(logs, "first line", "second line")

    [payload] = received(account)
    event, message = payload["event"], payload["message"]
    assert list(event) == ["awslogs"] and list(event["awslogs"]) == ["data"]
    assert decode_awslogs(event) == message
    assert message["messageType"] == "DATA_MESSAGE"
    assert message["owner"] == ACCOUNT
    assert message["logGroup"] == GROUP
    assert message["logStream"] == STREAM
    assert message["subscriptionFilters"] == ["all"]
    events = message["logEvents"]
    assert [e["message"] for e in events] == ["first line", "second line"]
    assert all(set(e) == {"id", "timestamp", "message"} for e in events)
    assert all(isinstance(e["id"], str) and re.fullmatch(r"\d{56}", e["id"]) for e in events)
    assert len({e["id"] for e in events}) == 2
    assert events[0]["timestamp"] >= before and events[1]["timestamp"] == events[0]["timestamp"] + 1
    [record] = account.invocation_records("alarm")
    assert record.trigger == f"logs:{GROUP}"


def test_only_matching_events_are_sent_one_invocation_per_call(account, logs, alarm, lambda_client):
    allow_logs(lambda_client)
    logs.put_subscription_filter(
        logGroupName=GROUP, filterName="errors", filterPattern="?ERROR ?FATAL", destinationArn=alarm.arn
    )
    put(logs, "INFO fine", "ERROR disk full", "DEBUG noise", "FATAL out of memory")
    put(logs, "INFO nothing to see", "WARN still nothing")  # no match: no invocation
    put(logs, "ERROR again")

    payloads = received(account)
    assert [[e["message"] for e in p["message"]["logEvents"]] for p in payloads] == [
        ["ERROR disk full", "FATAL out of memory"],
        ["ERROR again"],
    ]


def test_json_and_space_delimited_patterns(account, logs, alarm, lambda_client):
    allow_logs(lambda_client)
    logs.put_subscription_filter(
        logGroupName=GROUP, filterName="slow", filterPattern="{ $.latency > 500 }", destinationArn=alarm.arn
    )
    logs.put_subscription_filter(
        logGroupName=GROUP,
        filterName="server-errors",
        filterPattern="[ip, user, status = 5*, bytes]",
        destinationArn=alarm.arn,
    )
    put(logs, '{"latency": 900, "path": "/a"}', '{"latency": 20}', "10.0.0.1 frank 503 120", "10.0.0.1 frank 200 5")

    by_filter = {p["message"]["subscriptionFilters"][0]: p["message"]["logEvents"] for p in received(account)}
    assert [e["message"] for e in by_filter["slow"]] == ['{"latency": 900, "path": "/a"}']
    [delimited] = by_filter["server-errors"]
    assert delimited["message"] == "10.0.0.1 frank 503 120"
    assert delimited["extractedFields"] == {"$ip": "10.0.0.1", "$user": "frank", "$status": "503", "$bytes": "120"}


# --- AWS's refusals ----------------------------------------------------------------------------------


def test_a_function_without_the_permission_is_refused(account, logs, alarm, lambda_client):
    with pytest.raises(logs.exceptions.InvalidParameterException, match=re.escape(CANNOT_EXECUTE)):
        logs.put_subscription_filter(logGroupName=GROUP, filterName="f", filterPattern="", destinationArn=alarm.arn)
    allow_logs(lambda_client, group="/app/another-group")  # the permission of another group does not do
    with pytest.raises(logs.exceptions.InvalidParameterException, match="Could not execute the lambda function"):
        logs.put_subscription_filter(logGroupName=GROUP, filterName="f", filterPattern="", destinationArn=alarm.arn)
    assert logs.describe_subscription_filters(logGroupName=GROUP)["subscriptionFilters"] == []


def test_a_missing_function_is_refused(account, logs):
    missing = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:nobody"
    with pytest.raises(logs.exceptions.InvalidParameterException, match=re.escape(CANNOT_EXECUTE)):
        logs.put_subscription_filter(logGroupName=GROUP, filterName="f", filterPattern="", destinationArn=missing)


def test_an_invalid_filter_pattern_is_refused(account, logs, alarm, lambda_client):
    allow_logs(lambda_client)
    with pytest.raises(logs.exceptions.InvalidParameterException, match="Invalid filter pattern"):
        logs.put_subscription_filter(
            logGroupName=GROUP, filterName="f", filterPattern="{ $.a = ", destinationArn=alarm.arn
        )


def test_at_most_two_filters_per_group_and_a_filter_can_be_updated(account, logs, alarm, lambda_client):
    allow_logs(lambda_client)
    for name in ("one", "two"):
        logs.put_subscription_filter(logGroupName=GROUP, filterName=name, filterPattern="", destinationArn=alarm.arn)
    with pytest.raises(logs.exceptions.LimitExceededException, match=re.escape("Resource limit exceeded.")):
        logs.put_subscription_filter(logGroupName=GROUP, filterName="three", filterPattern="", destinationArn=alarm.arn)
    # changing one of the two is not over the limit (moto refused it)
    logs.put_subscription_filter(logGroupName=GROUP, filterName="two", filterPattern="ERROR", destinationArn=alarm.arn)
    filters = logs.describe_subscription_filters(logGroupName=GROUP)["subscriptionFilters"]
    assert {f["filterName"]: f["filterPattern"] for f in filters} == {"one": "", "two": "ERROR"}


def test_a_permission_removed_afterwards_drops_the_delivery(account, push, logs, alarm, lambda_client):
    allow_logs(lambda_client)
    logs.put_subscription_filter(logGroupName=GROUP, filterName="f", filterPattern="", destinationArn=alarm.arn)
    lambda_client.remove_permission(FunctionName="alarm", StatementId="logs")
    put(logs, "ERROR nobody hears this")
    assert received(account) == []
    assert push.dropped[("alarm", f"logs:{GROUP}", "AccessDenied")] == 1


def test_filter_log_events_speaks_the_same_language(account, logs):
    put(logs, '{"level": "ERROR", "code": 500}', '{"level": "INFO", "code": 200}', "ERROR plain")
    found = logs.filter_log_events(logGroupName=GROUP, filterPattern='{ $.level = "ERROR" && $.code >= 500 }')
    assert [e["message"] for e in found["events"]] == ['{"level": "ERROR", "code": 500}']
    found = logs.filter_log_events(logGroupName=GROUP, filterPattern="ERROR -level")
    assert [e["message"] for e in found["events"]] == ["ERROR plain"]
    with pytest.raises(logs.exceptions.InvalidParameterException, match="Invalid filter pattern"):
        logs.filter_log_events(logGroupName=GROUP, filterPattern="[a, b")


# --- one function alarming on another's errors ----------------------------------------------------


def test_a_subscription_on_another_functions_group_alarms_on_its_errors(account, push, alarm, lambda_client):
    account.register("other", OTHER)
    group = "/aws/lambda/other"
    logs = account.cloud.client("logs")
    account.invoke("other", {"lines": ["warming up"]})  # Lambda creates the group with the first logs
    assert account.wait(timeout=30)
    allow_logs(lambda_client, group=group)
    logs.put_subscription_filter(
        logGroupName=group, filterName="errors", filterPattern="ERROR", destinationArn=alarm.arn
    )

    fine = account.invoke("other", {"lines": ["all good"]})
    failed = account.invoke("other", {"lines": ["about to fail"], "fail": True})
    assert fine.status == "success" and failed.status != "success"
    payloads = received(account)

    assert payloads, "the alarm was not invoked"
    messages = [e["message"] for p in payloads for e in p["message"]["logEvents"]]
    assert any("ERROR the order could not be stored" in m for m in messages)
    assert not any("all good" in m or "about to fail" in m for m in messages)
    assert {p["message"]["logGroup"] for p in payloads} == {group}
    assert {p["message"]["logStream"] for p in payloads} == {failed.log_stream}
    records = account.invocation_records("alarm")
    assert {r.trigger for r in records} == {f"logs:{group}"}
    assert {r.caller_request_id for r in records} == {failed.request_id}
    # no loop: the alarm's own lines ("ALARM got ...") went to its own group, which nothing watches
    assert account.wait(timeout=30)
    assert len(account.invocation_records("alarm")) == len(payloads)
    assert all(not e.message.startswith("ALARM") for e in account.log_events("other"))


def test_add_trigger_subscribes_with_the_permission(account, push, alarm, lambda_client):
    account.register("other", OTHER)
    trigger = push.add_trigger("alarm", "logs:/aws/lambda/other", filter_pattern="ERROR")
    assert trigger.source == "logs:/aws/lambda/other" and trigger.function_name == "alarm"
    assert trigger.settings == {"filter_pattern": "ERROR", "filter_name": "lambda-magic-alarm"}
    logs = account.cloud.client("logs")
    [subscription] = logs.describe_subscription_filters(logGroupName="/aws/lambda/other")["subscriptionFilters"]
    assert subscription["destinationArn"] == alarm.arn and subscription["filterPattern"] == "ERROR"
    policy = lambda_client.get_policy(FunctionName="alarm")["Policy"]
    assert "logs.amazonaws.com" in policy and group_arn("/aws/lambda/other") in policy

    failed = account.invoke("other", {"fail": True})
    payloads = received(account)
    assert len(payloads) == 1
    assert account.invocation_records("alarm")[0].caller_request_id == failed.request_id


def test_add_trigger_refuses_bad_settings_in_one_line(account, push, alarm):
    with pytest.raises(InvalidParameterValueException, match="Invalid filter pattern"):
        push.add_trigger("alarm", "logs:/app/x", filter_pattern="{ $.a = ")
    with pytest.raises(InvalidParameterValueException, match="unknown setting"):
        push.add_trigger("alarm", "logs:/app/x", events=["x"])
    logs = account.cloud.client("logs")
    for name in ("a", "b"):
        push.add_trigger("alarm", "logs:/app/x", filter_name=name)
    with pytest.raises(InvalidParameterValueException, match="LimitExceededException"):
        push.add_trigger("alarm", "logs:/app/x", filter_name="c")
    assert len(logs.describe_subscription_filters(logGroupName="/app/x")["subscriptionFilters"]) == 2


# --- other destinations and callers -----------------------------------------------------------------

WRITER = code(
    """
    import time
    import boto3

    def lambda_handler(event, context):
        boto3.client("logs").put_log_events(
            logGroupName="/app/orders", logStreamName="web-1",
            logEvents=[{"timestamp": int(time.time() * 1000), "message": "ERROR written by a handler"}],
        )
        return "written"
    """
)


def test_a_handler_writing_the_log_events_is_the_cause(account, logs, alarm, lambda_client):
    allow_logs(lambda_client)
    logs.put_subscription_filter(logGroupName=GROUP, filterName="f", filterPattern="ERROR", destinationArn=alarm.arn)
    account.register("writer", WRITER)
    writer = account.invoke("writer")
    assert writer.status == "success", writer.error_message
    [payload] = received(account)
    assert [e["message"] for e in payload["message"]["logEvents"]] == ["ERROR written by a handler"]
    assert account.invocation_records("alarm")[0].caller_request_id == writer.request_id


def test_a_kinesis_destination_gets_only_the_matching_events_too(account, logs):
    kinesis = account.cloud.client("kinesis")
    kinesis.create_stream(StreamName="audit", ShardCount=1)
    stream_arn = kinesis.describe_stream(StreamName="audit")["StreamDescription"]["StreamARN"]
    logs.put_subscription_filter(logGroupName=GROUP, filterName="k", filterPattern="ERROR", destinationArn=stream_arn)
    put(logs, "INFO skipped", "ERROR kept")
    put(logs, "INFO nothing")
    shard = kinesis.list_shards(StreamName="audit")["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName="audit", ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    [record] = records
    message = json.loads(gzip.decompress(record["Data"]))
    assert [e["message"] for e in message["logEvents"]] == ["ERROR kept"]
    assert re.fullmatch(r"\d{56}", message["logEvents"][0]["id"])


def test_a_json_pattern_on_a_json_logging_function(account, push, alarm, lambda_client):
    """With LogFormat JSON, ``{ $.level = "ERROR" }`` picks the error records (not the platform ones)."""
    account.register(
        "other",
        code(
            """
            import logging

            def lambda_handler(event, context):
                logging.getLogger().info("all fine so far")
                logging.getLogger().error("order %s failed", event["order"])
                return "logged"
            """
        ),
        log_format="JSON",
    )
    push.add_trigger("alarm", "logs:/aws/lambda/other", filter_pattern='{ $.level = "ERROR" }')
    invocation = account.invoke("other", {"order": 42})
    [payload] = received(account)
    [event] = payload["message"]["logEvents"]
    record = json.loads(event["message"])
    assert record["level"] == "ERROR" and record["message"] == "order 42 failed"
    assert record["requestId"] == invocation.request_id
    assert account.invocation_records("alarm")[0].caller_request_id == invocation.request_id


def test_a_batch_too_large_for_one_event_is_split(account, logs, alarm, lambda_client):
    """Ten 100 KB incompressible lines exceed the 1 MB asynchronous payload once gzipped and
    base64-encoded: they arrive in order over more than one invocation, none lost."""
    allow_logs(lambda_client)
    logs.put_subscription_filter(logGroupName=GROUP, filterName="f", filterPattern="", destinationArn=alarm.arn)
    rng = random.Random(7)
    lines = [
        f"{i:02d} " + "".join(rng.choices(string.ascii_letters + string.digits + string.punctuation, k=100_000))
        for i in range(10)
    ]
    put(logs, *lines)
    payloads = received(account)
    assert len(payloads) > 1
    assert [e["message"] for p in payloads for e in p["message"]["logEvents"]] == lines
