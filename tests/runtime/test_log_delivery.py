"""The functions' logs in the local cloud's CloudWatch Logs, read back through boto3 and the AWS CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from lambda_magic.runtime.log_delivery import (
    MAX_AGE_MS,
    MAX_AHEAD_MS,
    MAX_BATCH_BYTES,
    MAX_BATCH_EVENTS,
    MAX_BATCH_SPAN_MS,
    MAX_MESSAGE_BYTES,
    LogDelivery,
    batches,
    in_window,
)

from .helpers import LOG_STREAM, code, wait_until

GROUP = "/aws/lambda/talker"
TALKER = code(
    """
    import logging
    logging.getLogger().setLevel(logging.INFO)
    print("cold init")

    def lambda_handler(event, context):
        print("said:", event.get("say"))
        logging.info("info %s", event.get("say"))
        if event.get("blank"):
            print("")
        return context.log_stream_name
    """
)
#: Reads its own log group through boto3, as a handler on AWS would.
READER = code(
    """
    import boto3
    logs = boto3.client("logs")

    def lambda_handler(event, context):
        if "say" in event:
            print("marker", event["say"])
            logs.describe_log_groups(limit=1)  # the cloud is in use
            return None
        found = logs.filter_log_events(logGroupName=context.log_group_name, filterPattern="marker")
        return sorted((e["logStreamName"], e["message"]) for e in found["events"])
    """
)
USES_S3 = code(
    """
    import boto3

    def lambda_handler(event, context):
        print("buckets", len(boto3.client("s3").list_buckets()["Buckets"]))
    """
)


def stored(account, name: str) -> list[tuple[str, int, str]]:
    """What ``%lambda logs`` shows, as CloudWatch keeps it: (stream, whole ms, message)."""
    return [(e.log_stream, int(e.timestamp_ms), e.message or "\n") for e in account.log_events(name)]


def filtered(logs, group: str, **options) -> list[tuple[str, int, str]]:
    """Every event ``FilterLogEvents`` returns for the group (all pages), per stream in time order."""
    events = [
        event
        for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group, **options)
        for event in page["events"]
    ]
    return sorted((e["logStreamName"], e["timestamp"], e["message"]) for e in events)


def arrived(logs, group: str) -> list[tuple[str, int, str]] | None:
    """``filtered``, or None while the group does not exist yet."""
    try:
        return filtered(logs, group)
    except logs.exceptions.ResourceNotFoundException:
        return None


def by_stream(rows: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
    # CloudWatch Logs orders events by timestamp; within one millisecond its order is not defined (an
    # INIT_START line and the init code's first print can share one), so both sides sort by message there.
    return sorted(rows)


def head_to_tail(logs, group: str, stream: str) -> list[tuple[str, int, str]]:
    """``GetLogEvents`` of one stream from its head, every page."""
    rows, token = [], None
    while True:
        options = {"nextToken": token} if token else {"startFromHead": True}
        page = logs.get_log_events(logGroupName=group, logStreamName=stream, **options)
        rows += [(stream, e["timestamp"], e["message"]) for e in page["events"]]
        if not page["events"] or page["nextForwardToken"] == token:
            return rows
        token = page["nextForwardToken"]


def test_nothing_is_delivered_and_no_server_starts_while_the_cloud_is_not_in_use(account):
    account.register("talker", TALKER)
    account.invoke("talker", {"say": "hi"})
    assert account.wait(30)
    assert not account.cloud.running
    assert LogDelivery.NAME not in account.extensions()


def test_a_logs_client_finds_every_invocation_logged_before_the_cloud_was_used(account):
    account.register("talker", TALKER)
    streams = {account.invoke("talker", {"say": f"call {n}", "blank": n == 1}).payload for n in range(3)}
    account.register("talker", TALKER)  # a new $LATEST: a second environment, a second stream
    streams.add(account.invoke("talker", {"say": "after update"}).payload)
    assert not account.cloud.running

    logs = account.cloud.client("logs")  # asking for the logs API delivers what was logged so far

    assert filtered(logs, GROUP) == by_stream(stored(account, "talker"))
    described = logs.describe_log_streams(logGroupName=GROUP)["logStreams"]
    assert {s["logStreamName"] for s in described} == streams and len(streams) == 2
    assert all(LOG_STREAM.match(name) for name in streams)
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]] == [
        GROUP
    ]
    for stream in streams:  # each stream holds its events in the order they were written
        assert head_to_tail(logs, GROUP, stream) == [e for e in stored(account, "talker") if e[0] == stream]
    assert "\n" in [e[2] for e in stored(account, "talker")]  # print("") arrives as a newline
    messages = [e[2] for e in filtered(logs, GROUP, filterPattern='"said: call 2"')]
    assert messages == ["said: call 2"]


def test_a_logs_client_made_first_reads_what_wait_delivered_at_once(account):
    """Make the logs client, then invoke, then ``wait()``: the events are there at the first
    read, even though nothing had started the cloud's server before the read."""
    logs = account.cloud.client("logs")
    account.register("talker", TALKER)
    account.invoke("talker", {"say": "first"})
    assert account.wait(30)
    assert LogDelivery.of(account).pending() == 0
    assert filtered(logs, GROUP) == by_stream(stored(account, "talker"))
    account.invoke("talker", {"say": "second"})
    assert account.wait(30)
    assert filtered(logs, GROUP) == by_stream(stored(account, "talker"))


def test_events_logged_while_the_cloud_runs_arrive_by_themselves_and_wait_flushes(account):
    account.cloud.client("s3").list_buckets()  # the cloud is in use: its server has started
    assert wait_until(lambda: LogDelivery.NAME in account.extensions(), 30)
    logs = account.cloud.client("logs")
    account.register("talker", TALKER)

    account.invoke("talker", {"say": "background"})
    # no wait(): the shipper delivers on its own (within about a second)
    assert wait_until(lambda: arrived(logs, GROUP) == by_stream(stored(account, "talker")), 30)

    for n in range(5):
        account.invoke("talker", {"say": f"flushed {n}"})
    assert account.wait(30)  # wait() flushes: everything is there when it returns
    assert filtered(logs, GROUP) == by_stream(stored(account, "talker"))
    assert LogDelivery.of(account).pending() == 0


def test_a_handler_reads_its_own_earlier_logs_through_boto3(account):
    account.register("reader", READER)
    stream = account.invoke("reader", {"say": "one"}).log_stream  # the handler's call starts the cloud...
    assert account.invoke("reader", {"say": "two"}).status == "success"
    assert account.wait(30)  # ...and wait() delivers (on AWS: about a second later)

    answer = account.invoke("reader", {})

    assert answer.status == "success", answer.error_message
    assert answer.payload == [[stream, "marker one"], [stream, "marker two"]]


def test_events_logged_before_a_handler_started_the_cloud_are_delivered(account):
    account.register("talker", TALKER)
    account.register("s3user", USES_S3, timeout_s=30)  # a client made in the handler: 7 % of a CPU at 128 MB
    account.invoke("talker", {"say": "before the cloud"})
    assert not account.cloud.running

    assert account.invoke("s3user").status == "success"  # this handler's call starts the server
    assert account.wait(30)

    logs = account.cloud.client("logs")
    assert filtered(logs, GROUP) == by_stream(stored(account, "talker"))
    assert filtered(logs, "/aws/lambda/s3user") == by_stream(stored(account, "s3user"))
    assert any(message.startswith("buckets 0") for _, _, message in stored(account, "s3user"))


def test_the_aws_cli_reads_what_lambda_logs_shows(account):
    account.register("talker", TALKER)
    for n in range(3):
        account.invoke("talker", {"say": f"cli {n}"})
    account.cloud.client("logs")
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": account.settings.region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "awscli",
            "logs",
            "filter-log-events",
            "--endpoint-url",
            account.cloud.endpoint(),
            "--log-group-name",
            GROUP,
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    events = json.loads(done.stdout)["events"]
    rows = by_stream([(e["logStreamName"], e["timestamp"], e["message"]) for e in events])
    assert rows == by_stream(stored(account, "talker"))
    assert "said: cli 2" in [e["message"] for e in events]


def test_reset_empties_the_cloud_and_delivery_starts_again_from_nothing(account):
    account.register("talker", TALKER)
    account.invoke("talker", {"say": "old"})
    logs = account.cloud.client("logs")
    assert filtered(logs, GROUP)

    account.reset()

    assert logs.describe_log_groups()["logGroups"] == []
    account.register("talker", TALKER)
    account.invoke("talker", {"say": "new"})
    assert account.wait(30)
    rows = filtered(logs, GROUP)  # the group and stream were created again
    assert rows == by_stream(stored(account, "talker"))
    assert "said: new" in [m for _, _, m in rows] and "said: old" not in [m for _, _, m in rows]


def test_a_cloud_that_starts_again_empty_gets_every_event_again(account):
    account.register("talker", TALKER)
    account.invoke("talker", {"say": "first server"})
    account.cloud.client("logs")
    account.cloud.stop()
    account.invoke("talker", {"say": "while stopped"})

    logs = account.cloud.client("logs")  # a new, empty server

    assert filtered(logs, GROUP) == by_stream(stored(account, "talker"))


def test_many_events_go_in_batches_within_cloudwatchs_limits(account):
    lines = code(
        """
        def lambda_handler(event, context):
            for n in range(event["n"]):
                print(str(n).rjust(event["width"], "."))
        """
    )
    account.register("many", lines, timeout_s=60)
    for _ in range(2):
        account.invoke("many", {"n": 7_000, "width": 8})  # 14,000 events in one stream: two batches by count
    for _ in range(2):
        account.invoke("many", {"n": 600, "width": 1_000})  # 1.2 MB: two batches by size
    assert len(stored(account, "many")) > MAX_BATCH_EVENTS

    logs = account.cloud.client("logs")

    [stream] = {e[0] for e in stored(account, "many")}
    assert head_to_tail(logs, "/aws/lambda/many", stream) == stored(account, "many")
    assert LogDelivery.of(account).delivered == len(stored(account, "many"))


# --- the batches themselves -----------------------------------------------------------------


def event(timestamp_ms: float, message: str) -> tuple:
    return (timestamp_ms, "f", "stream", None, None, message)


def test_batches_keep_putlogevents_limits_and_time_order():
    events = [event(1_000 + (n * 7919) % 25_000 + 0.9, "x" * 200) for n in range(25_000)]
    out = list(batches(events))
    sent = [e for batch, _ in out for e in batch]
    assert len(sent) == 25_000 and all(cut == 0 for _, cut in out)
    assert [e["timestamp"] for e in sent] == sorted(int(e[0]) for e in events)  # sorted, whole ms
    for batch, _ in out:
        assert len(batch) <= MAX_BATCH_EVENTS
        assert sum(len(e["message"].encode()) + 26 for e in batch) <= MAX_BATCH_BYTES
    assert [len(batch) for batch, _ in out] == [4_639] * 5 + [1_805]  # 226 bytes each: the size limit splits first


def test_batches_split_at_24_hours_cut_1_mb_messages_and_send_empty_lines_as_newlines():
    day = MAX_BATCH_SPAN_MS
    events = [
        event(0, "a"),
        event(day, "b"),
        event(day + 1, "c"),
        event(day + 5, ""),
        event(day + 6, "é" * MAX_MESSAGE_BYTES),
    ]
    out = list(batches(events))
    assert [[e["message"][:1] for e in batch] for batch, _ in out] == [["a", "b"], ["c", "\n"], ["é"]]
    assert [cut for _, cut in out] == [0, 0, 1]
    last = out[-1][0][-1]["message"]
    assert len(last.encode()) <= MAX_MESSAGE_BYTES and set(last) == {"é"}  # cut on a character boundary


@pytest.mark.parametrize(("size", "calls"), [(524_262, 1), (524_263, 2)])
def test_batches_fill_exactly_to_the_byte_limit(size, calls):
    # two messages of 524,262 bytes plus 26 each make exactly 1,048,576 bytes
    assert len(list(batches([event(1, "x" * size), event(2, "y" * size)]))) == calls


def test_events_more_than_two_hours_ahead_of_real_time_are_counted_as_rejected_as_cloudwatch_does(account):
    # the account clock may run ahead of real time (skipped waits, schedules); CloudWatch
    # takes events at most 2 hours in the future and counts the rest as rejected
    account.register("talker", TALKER)
    account.invoke("talker", {"say": "now"})
    on_time = len(stored(account, "talker"))
    account.clock.advance(3 * 3600)
    account.invoke("talker", {"say": "three hours later"})

    logs = account.cloud.client("logs")

    delivery = LogDelivery.of(account)
    assert filtered(logs, GROUP) == by_stream(stored(account, "talker"))[:on_time]
    assert delivery.rejected == len(stored(account, "talker")) - on_time > 0
    assert delivery.failure is None and delivery.pending() == 0


def test_in_window_keeps_what_cloudwatch_accepts():
    now = 1_800_000_000_000
    events = [
        event(now - MAX_AGE_MS - 1, "too old"),
        event(now - MAX_AGE_MS, "oldest"),
        event(now, "now"),
        event(now + MAX_AHEAD_MS, "newest"),
        event(now + MAX_AHEAD_MS + 1, "too new"),
    ]
    kept, rejected = in_window(events, now)
    assert [e[5] for e in kept] == ["oldest", "now", "newest"] and rejected == 2


def test_invocations_do_not_wait_for_a_delivery_in_progress(account):
    account.register("talker", TALKER)
    logs = account.cloud.client("logs")
    logs.describe_log_groups()  # the server runs
    delivery = LogDelivery.of(account)
    server = account.cloud.pid
    os.kill(server, signal.SIGSTOP)  # the cloud hangs: a delivery in progress cannot finish
    try:
        account.invoke("talker", {"say": "queued"})
        assert wait_until(lambda: delivery.pending() == 0, 30)  # the shipper took them and waits on the cloud
        answer = account.invoke("talker", {"say": "while the shipper is stuck"})
        assert answer.status == "success"
        assert delivery.pending() == len(answer.log_lines)  # only queued
    finally:
        os.kill(server, signal.SIGCONT)
    assert account.wait(60)
    assert filtered(logs, GROUP) == by_stream(stored(account, "talker"))
