"""The SQS event source mapping against the real embedded moto server.

The expected behaviour is AWS's (lambda-semantics §6.1; Lambda DG "Using Lambda with Amazon
SQS", "services-sqs-configure", "services-sqs-errorhandling", "services-sqs-scaling"):

* batches of up to BatchSize gathered within the batching window, the ``aws:sqs`` record shape;
* success deletes; a function error returns the batch after the visibility timeout with
  ApproximateReceiveCount raised, and the queue's redrive policy moves it to the DLQ;
* ReportBatchItemFailures: empty/null answers are complete success, invalid identifiers
  fail the whole batch, otherwise exactly the listed messages return;
* messages that match no filter are deleted without an invoke;
* FIFO order per message group survives failures;
* a queue visibility timeout shorter than the function timeout is refused.

Time runs on the account's ``auto`` clock: a visibility timeout passes at once in wall time.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import defaultdict

import pytest

from lambda_magic.common.errors import InvalidParameterValueException, ResourceNotFoundException
from lambda_magic.events.encodings import sqs_attributes_md5

RECORD_KEYS = [
    "messageId",
    "receiptHandle",
    "body",
    "attributes",
    "messageAttributes",
    "md5OfBody",
    "eventSource",
    "eventSourceARN",
    "awsRegion",
]

ECHO = """
def lambda_handler(event, context):
    return {"bodies": [r["body"] for r in event["Records"]]}
"""


class Queue:
    """A queue in the account's local cloud."""

    def __init__(self, account, name: str, dlq: Queue | None = None, max_receive: int = 3, **attributes):
        self.sqs = account.cloud.client("sqs")
        attrs = {key: str(value) for key, value in attributes.items()}
        if name.endswith(".fifo"):
            attrs.setdefault("FifoQueue", "true")
            attrs.setdefault("ContentBasedDeduplication", "true")
        if dlq is not None:
            attrs["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq.arn, "maxReceiveCount": str(max_receive)})
        self.url = self.sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        self.arn = self.attributes("QueueArn")["QueueArn"]

    def attributes(self, *names: str) -> dict[str, str]:
        return self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=list(names))["Attributes"]

    def send(self, *bodies: str, **extra) -> None:
        for start in range(0, len(bodies), 10):
            entries = [
                {"Id": str(i), "MessageBody": body, **extra} for i, body in enumerate(bodies[start : start + 10])
            ]
            answer = self.sqs.send_message_batch(QueueUrl=self.url, Entries=entries)
            assert not answer.get("Failed"), answer["Failed"]

    def counts(self) -> tuple[int, int, int]:
        got = self.attributes(
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"
        )
        return (
            int(got["ApproximateNumberOfMessages"]),
            int(got["ApproximateNumberOfMessagesNotVisible"]),
            int(got["ApproximateNumberOfMessagesDelayed"]),
        )

    def drain(self) -> list[dict]:
        """Every message now in the queue (received and deleted)."""
        found = []
        while True:
            got = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0, AttributeNames=["All"]
            ).get("Messages", [])
            if not got:
                return found
            found += got
            self.sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)],
            )


def deliveries(account, name: str) -> list:
    """The function's invocations in the order they started."""
    return sorted(account.invocation_records(name), key=lambda r: r.start)


def bodies_of(invocation) -> list[str]:
    return [record["body"] for record in invocation.event["Records"]]


def count_of(record: dict) -> int:
    return int(record["attributes"]["ApproximateReceiveCount"])


# --- batches and their shape ------------------------------------------------------------------------


def test_batches_have_lambdas_record_shape_and_never_exceed_the_batch_size(account, mappings):
    queue = Queue(account, "shapes")
    account.register("shape", ECHO)
    queue.send(*[f"m{i}" for i in range(23)])
    attributes = {
        "text": {"DataType": "String", "StringValue": "hello"},
        "n": {"DataType": "Number", "StringValue": "42"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
        "custom": {"DataType": "String.label", "StringValue": "x"},
    }
    queue.sqs.send_message(QueueUrl=queue.url, MessageBody="with-attributes", MessageAttributes=attributes)
    mapping = mappings.create("shape", queue.arn)
    assert mapping.batch_size == 10 and mapping.maximum_batching_window_s == 0  # AWS's defaults
    assert account.wait(60)

    runs = deliveries(account, "shape")
    assert all(run.status == "success" and run.trigger == "sqs:shapes" for run in runs)
    assert all(1 <= len(run.event["Records"]) <= 10 for run in runs)
    assert sorted(b for run in runs for b in bodies_of(run)) == sorted(
        [f"m{i}" for i in range(23)] + ["with-attributes"]
    )
    assert queue.counts() == (0, 0, 0)  # success deleted every message

    records = [record for run in runs for record in run.event["Records"]]
    for record in records:
        assert list(record)[:6] == RECORD_KEYS[:6] and list(record)[-3:] == RECORD_KEYS[-3:]
        assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == queue.arn
        assert record["awsRegion"] == account.settings.region
        assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()
        assert list(record["attributes"]) == [
            "ApproximateReceiveCount",
            "SentTimestamp",
            "SenderId",
            "ApproximateFirstReceiveTimestamp",
        ]
        assert record["attributes"]["ApproximateReceiveCount"] == "1"
        assert all(isinstance(value, str) for value in record["attributes"].values())
    plain = next(r for r in records if r["body"] == "m0")
    assert plain["messageAttributes"] == {} and "md5OfMessageAttributes" not in plain

    rich = next(r for r in records if r["body"] == "with-attributes")
    assert rich["messageAttributes"] == {
        "text": {"stringValue": "hello", "stringListValues": [], "binaryListValues": [], "dataType": "String"},
        "n": {"stringValue": "42", "stringListValues": [], "binaryListValues": [], "dataType": "Number"},
        "blob": {"binaryValue": "AAH/", "stringListValues": [], "binaryListValues": [], "dataType": "Binary"},
        "custom": {"stringValue": "x", "stringListValues": [], "binaryListValues": [], "dataType": "String.label"},
    }
    # the service's MD5 of the attributes matches SQS's algorithm over Lambda's form of them
    assert rich["md5OfMessageAttributes"] == sqs_attributes_md5(rich["messageAttributes"])

    # the same keys as the catalog's sqs/receive-message template
    template = account.render_event("sqs/receive-message", {"message_attributes": {"a": "b"}})
    assert list(template["Records"][0]) == list(rich)

    described = mappings.get(mapping.uuid).describe()
    assert described["queue"] == "shapes" and described["processed"] == 24 and described["deleted"] == 24
    assert described["failed"] == described["filtered"] == 0 and described["in_flight_batches"] == 0


def test_a_small_batch_size_splits_the_queue(account, mappings):
    queue = Queue(account, "small")
    account.register("small", ECHO)
    queue.send(*[f"m{i}" for i in range(7)])
    mappings.create("small", queue.arn, batch_size=3)
    assert account.wait(60)
    runs = deliveries(account, "small")
    assert sorted(len(run.event["Records"]) for run in runs) == [1, 3, 3]


def test_the_batching_window_gathers_more_than_one_receive(account, mappings):
    queue = Queue(account, "window")
    account.register("window", ECHO)
    queue.send(*[f"m{i}" for i in range(35)])
    mappings.create("window", queue.arn, batch_size=50, maximum_batching_window_s=1)
    assert account.wait(60)
    runs = deliveries(account, "window")
    # a receive returns at most 10: the window gathered all 35 into one batch
    assert [len(run.event["Records"]) for run in runs] == [35]
    assert queue.counts() == (0, 0, 0)


def test_a_batch_never_exceeds_the_6_mb_payload(account, mappings):
    queue = Queue(account, "big")
    account.register("big", "def lambda_handler(event, context):\n    return len(event['Records'])\n")
    body = "x" * 900_000
    for i in range(8):
        queue.sqs.send_message(QueueUrl=queue.url, MessageBody=body + str(i))
    mappings.create("big", queue.arn)
    assert account.wait(60)
    runs = deliveries(account, "big")
    assert all(run.status == "success" for run in runs)
    assert sum(run.payload for run in runs) == 8 and len(runs) >= 2
    assert all(len(json.dumps(run.event)) <= 6 * 1024 * 1024 for run in runs)
    assert queue.counts() == (0, 0, 0)


# --- failures, the visibility timeout and the dead-letter queue ------------------------------------


POISON = """
def lambda_handler(event, context):
    if any(r["body"] == "poison" for r in event["Records"]):
        raise ValueError("cannot digest poison")
    return "ok"
"""


def test_a_failed_batch_returns_after_the_visibility_timeout_and_ends_in_the_dlq(account, mappings):
    dlq = Queue(account, "poison-dlq")
    queue = Queue(account, "poison", dlq=dlq, max_receive=3, VisibilityTimeout=30)
    account.register("poison", POISON, timeout_s=10)
    mapping = mappings.create("poison", queue.arn, batch_size=1)
    queue.send("poison", "fine")
    assert account.wait(60)

    runs = [run for run in deliveries(account, "poison") if bodies_of(run) == ["poison"]]
    assert [run.status for run in runs] == ["error"] * 3
    assert [count_of(run.event["Records"][0]) for run in runs] == [1, 2, 3]
    # each attempt came back after the visibility timeout, on the account clock
    assert all(later.start - earlier.start >= 30 for earlier, later in itertools.pairwise(runs))
    first_receive = {run.event["Records"][0]["attributes"]["ApproximateFirstReceiveTimestamp"] for run in runs}
    assert len(first_receive) == 1
    assert [m["Body"] for m in dlq.drain()] == ["poison"]
    assert queue.counts() == (0, 0, 0)
    stats = mappings.get(mapping.uuid).describe()
    assert stats["processed"] == 1 and stats["failed"] == 3 and stats["last_error"].startswith("ValueError")


# --- partial batch responses ------------------------------------------------------------------------

PARTIAL = """
import json, os

def lambda_handler(event, context):
    ids = {r["body"]: r["messageId"] for r in event["Records"]}
    if any(r["attributes"]["ApproximateReceiveCount"] != "1" for r in event["Records"]):
        return None  # second deliveries succeed
    answer = os.environ["ANSWER"]
    if answer == "raise":
        raise RuntimeError("the whole batch failed")
    for body, message_id in ids.items():
        answer = answer.replace("$" + body, message_id)
    return json.loads(answer)
"""

ALL, NONE = {"a", "b", "c"}, set()


@pytest.mark.parametrize(
    "answer, report, returned",
    [
        # complete success: null/empty answers and null/empty lists
        ("null", True, NONE),
        ("{}", True, NONE),
        ('{"batchItemFailures": []}', True, NONE),
        ('{"batchItemFailures": null}', True, NONE),
        ('{"statusCode": 200}', True, NONE),
        # exactly the listed messages return
        ('{"batchItemFailures": [{"itemIdentifier": "$b"}]}', True, {"b"}),
        ('{"batchItemFailures": [{"itemIdentifier": "$a"}, {"itemIdentifier": "$c"}]}', True, {"a", "c"}),
        # complete failure: invalid identifiers, an answer that is not an object, an error
        ('{"batchItemFailures": [{"itemIdentifier": ""}]}', True, ALL),
        ('{"batchItemFailures": [{"itemIdentifier": null}]}', True, ALL),
        ('{"batchItemFailures": [{"messageId": "$b"}]}', True, ALL),
        ('{"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]}', True, ALL),
        ('{"batchItemFailures": [{"itemIdentifier": "$b"}, {"itemIdentifier": ""}]}', True, ALL),
        ('"ok"', True, ALL),
        ("raise", True, ALL),
        # without ReportBatchItemFailures the answer is ignored: only an error returns the batch
        ('{"batchItemFailures": [{"itemIdentifier": "$b"}]}', False, NONE),
        ("raise", False, ALL),
    ],
)
def test_partial_batch_responses_follow_aws_rules(account, mappings, answer, report, returned):
    queue = Queue(account, "partial", VisibilityTimeout=5)
    account.register("partial", PARTIAL, env={"ANSWER": answer}, timeout_s=3)
    queue.send("a", "b", "c")  # in the queue before the mapping: one batch of three
    types = ["ReportBatchItemFailures"] if report else []
    mappings.create("partial", queue.arn, function_response_types=types)
    assert account.wait(60)
    runs = deliveries(account, "partial")
    assert sorted(bodies_of(runs[0])) == ["a", "b", "c"]
    again = {body for run in runs[1:] for body in bodies_of(run)}
    assert again == returned
    assert all(count_of(r) == 2 for run in runs[1:] for r in run.event["Records"])
    assert queue.counts() == (0, 0, 0)
    if report:
        assert runs[0].verdict is not None and runs[0].verdict.source == "Amazon SQS event source mapping"


# --- filters ------------------------------------------------------------------------------------------


def test_messages_matching_no_filter_are_deleted_without_an_invoke(account, mappings):
    queue = Queue(account, "filtered")
    account.register("filtered", ECHO)
    criteria = {
        "Filters": [
            {"Pattern": json.dumps({"body": {"kind": ["order"]}})},
            {"Pattern": json.dumps({"body": [{"prefix": "urgent:"}]})},
        ]
    }
    mapping = mappings.create("filtered", queue.arn, filter_criteria=criteria)
    keep = [json.dumps({"kind": "order", "n": 1}), "urgent: call back", json.dumps({"kind": "order", "n": 2})]
    drop = [json.dumps({"kind": "refund"}), "not urgent", json.dumps({"other": 1}), "{broken json"]
    queue.send(*(drop[:2] + keep[:1] + drop[2:] + keep[1:]))
    assert account.wait(60)
    delivered = [body for run in deliveries(account, "filtered") for body in bodies_of(run)]
    assert sorted(delivered) == sorted(keep)
    assert queue.counts() == (0, 0, 0)  # the others were deleted, not left behind
    stats = mappings.get(mapping.uuid).describe()
    assert stats["filtered"] == len(drop) and stats["deleted"] == len(drop) + len(keep)


def test_a_batch_filtered_away_entirely_invokes_nothing(account, mappings):
    queue = Queue(account, "nothing")
    account.register("nothing", ECHO)
    mappings.create("nothing", queue.arn, filter_criteria={"Filters": [{"Pattern": '{"body": {"x": [1]}}'}]})
    queue.send("a", "b", '{"x": 2}')
    assert account.wait(60)
    assert deliveries(account, "nothing") == [] and queue.counts() == (0, 0, 0)


# --- FIFO -------------------------------------------------------------------------------------------

FIFO_HANDLER = """
import os

FAIL_ONCE = set(os.environ["FAIL_ONCE"].split(","))

def lambda_handler(event, context):
    for r in event["Records"]:
        if r["body"] in FAIL_ONCE and r["attributes"]["ApproximateReceiveCount"] == "1":
            raise RuntimeError("failed at " + r["body"])
    return "ok"
"""

FIFO_REPORTING = """
import os

FAIL_ONCE = set(os.environ["FAIL_ONCE"].split(","))

def lambda_handler(event, context):
    # AWS's advice for FIFO: stop at the first failure, report it and every message after it
    for i, r in enumerate(event["Records"]):
        if r["body"] in FAIL_ONCE and r["attributes"]["ApproximateReceiveCount"] == "1":
            return {"batchItemFailures": [{"itemIdentifier": x["messageId"]} for x in event["Records"][i:]]}
    return {"batchItemFailures": []}
"""


def check_group_order(runs, sent: dict[str, list[str]]) -> None:
    """Every invocation holds, per group, the next unprocessed messages in order; a failed
    attempt leaves the group where it was; in the end each group was processed once, in order."""
    position = {group: 0 for group in sent}
    for run in runs:
        failed = set()
        if run.status != "success":
            failed = set(bodies_of(run))
        elif isinstance(run.payload, dict):
            ids = {f["itemIdentifier"] for f in run.payload.get("batchItemFailures") or []}
            failed = {r["body"] for r in run.event["Records"] if r["messageId"] in ids}
        per_group = defaultdict(list)
        for record in run.event["Records"]:
            per_group[record["attributes"]["MessageGroupId"]].append(record["body"])
        for group, bodies in per_group.items():
            start = position[group]
            assert bodies == sent[group][start : start + len(bodies)], (group, bodies, start)
            done = 0
            for body in bodies:
                if body in failed:
                    break
                done += 1
            assert all(body in failed for body in bodies[done:]), "a later message of a failed group was processed"
            position[group] += done
    assert position == {group: len(bodies) for group, bodies in sent.items()}


@pytest.mark.parametrize("handler", [FIFO_HANDLER, FIFO_REPORTING], ids=["errors", "reported"])
def test_fifo_keeps_order_per_message_group_under_failures(account, mappings, handler):
    queue = Queue(account, "orders.fifo", VisibilityTimeout=5)
    account.register("fifo", handler, env={"FAIL_ONCE": "g1-2,g2-0,g2-4,g3-5"}, timeout_s=3)
    sent = {group: [f"{group}-{i}" for i in range(7)] for group in ("g1", "g2", "g3")}
    for i in range(7):
        for group in sent:
            queue.sqs.send_message(QueueUrl=queue.url, MessageBody=sent[group][i], MessageGroupId=group)
    types = ["ReportBatchItemFailures"] if handler is FIFO_REPORTING else []
    mappings.create("fifo", queue.arn, batch_size=4, function_response_types=types)
    assert account.wait(60)
    runs = deliveries(account, "fifo")
    check_group_order(runs, sent)
    record = runs[0].event["Records"][0]
    assert list(record["attributes"]) == [
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SequenceNumber",
        "MessageGroupId",
        "SenderId",
        "MessageDeduplicationId",
        "ApproximateFirstReceiveTimestamp",
    ]
    assert record["attributes"]["SequenceNumber"].isdigit() and len(record["attributes"]["SequenceNumber"]) == 20
    assert queue.counts() == (0, 0, 0)


def test_fifo_mappings_refuse_what_aws_refuses(account, mappings):
    queue = Queue(account, "strict.fifo")
    account.register("strict", ECHO)
    with pytest.raises(InvalidParameterValueException, match="out of range"):
        mappings.create("strict", queue.arn, batch_size=11, maximum_batching_window_s=1)
    with pytest.raises(InvalidParameterValueException, match=r"^Batching window is not supported for FIFO queues$"):
        mappings.create("strict", queue.arn, maximum_batching_window_s=1)
    assert mappings.mappings() == []


# --- refusals ---------------------------------------------------------------------------------------


def test_a_visibility_timeout_shorter_than_the_function_timeout_is_refused(account, mappings):
    queue = Queue(account, "short", VisibilityTimeout=10)
    account.register("slow", ECHO, timeout_s=30)
    with pytest.raises(InvalidParameterValueException) as caught:
        mappings.create("slow", queue.arn)
    assert str(caught.value) == "Queue visibility timeout: 10 seconds is less than Function timeout: 30 seconds"
    account.register("slow", ECHO, timeout_s=10)  # equal is allowed
    assert mappings.create("slow", queue.arn).state == "Enabled"


def test_a_queue_that_does_not_exist_is_refused_in_one_line(account, mappings):
    account.register("lonely", ECHO)
    arn = f"arn:aws:sqs:{account.settings.region}:{account.settings.account_id}:missing"
    with pytest.raises(ResourceNotFoundException) as caught:
        mappings.create("lonely", arn)
    assert "missing does not exist" in str(caught.value) and "\n" not in str(caught.value)
    Queue(account, "elsewhere")
    with pytest.raises(ResourceNotFoundException, match="check the region"):
        mappings.create("lonely", f"arn:aws:sqs:eu-west-1:{account.settings.account_id}:elsewhere")


# --- nothing lost ----------------------------------------------------------------------------------

RANDOM_FAILURES = """
import hashlib

def fails(body, count):
    if body.endswith("7"):
        return True  # poison: always fails
    roll = int(hashlib.md5(f"{body}:{count}".encode()).hexdigest(), 16)
    return roll % 100 < 30

def lambda_handler(event, context):
    records = event["Records"]
    key = records[0]["messageId"] + records[0]["attributes"]["ApproximateReceiveCount"]
    if int(hashlib.md5(key.encode()).hexdigest(), 16) % 10 == 0:
        raise RuntimeError("the whole batch fails")
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records
                                  if fails(r["body"], r["attributes"]["ApproximateReceiveCount"])]}
"""


def test_a_randomly_failing_handler_loses_nothing(account, mappings):
    max_receive = 4
    dlq = Queue(account, "random-dlq")
    queue = Queue(account, "random", dlq=dlq, max_receive=max_receive, VisibilityTimeout=2)
    account.register("random", RANDOM_FAILURES, timeout_s=2)
    mapping = mappings.create("random", queue.arn, function_response_types=["ReportBatchItemFailures"])
    sent = [f"msg-{i:03d}" for i in range(300)]
    for start in range(0, len(sent), 50):  # keep the queue short, as the moto note asks
        queue.send(*sent[start : start + 50])
        assert account.wait(120)
    assert account.wait(120)

    attempts = defaultdict(list)  # body -> [(receive count, succeeded)]
    for run in deliveries(account, "random"):
        assert run.status in ("success", "error")
        reported = set()
        if run.status == "success":
            reported = {f["itemIdentifier"] for f in run.payload["batchItemFailures"]}
        for record in run.event["Records"]:
            ok = run.status == "success" and record["messageId"] not in reported
            attempts[record["body"]].append((count_of(record), ok))
    in_dlq = sorted(m["Body"] for m in dlq.drain())
    processed = sorted(body for body, tries in attempts.items() if tries[-1][1])

    # every message ends processed or in the dead-letter queue, never both, never neither
    assert sorted(processed + in_dlq) == sent
    assert {body for body in sent if body.endswith("7")} <= set(in_dlq)
    duplicates = 0
    for body, tries in attempts.items():
        tries.sort()
        assert [count for count, _ in tries] == list(range(1, len(tries) + 1))  # one delivery per receive
        assert not any(ok for _, ok in tries[:-1])  # each redelivery follows a failure (at least once)
        assert sum(ok for _, ok in tries) <= 1  # a processed message is deleted: never delivered again
        if body in in_dlq:
            assert len(tries) == max_receive and not tries[-1][1]
        duplicates += len(tries) - 1
    failures = sum(not ok for tries in attempts.values() for _, ok in tries)
    assert duplicates == failures - len(in_dlq) > 0  # every duplicate is explained by one failure
    assert queue.counts() == (0, 0, 0)
    stats = mappings.get(mapping.uuid).describe()
    assert stats["processed"] == len(processed) and stats["failed"] == failures


# --- throttling and the clock ---------------------------------------------------------------------------


def test_throttled_batches_are_retried_in_hand_until_the_visibility_timeout(account, mappings):
    dlq = Queue(account, "throttled-dlq")
    queue = Queue(account, "throttled", dlq=dlq, max_receive=2, VisibilityTimeout=10)
    account.register("throttled", ECHO, reserved_concurrency=0)  # every invoke is throttled
    mapping = mappings.create("throttled", queue.arn)
    queue.send("wanted")
    assert account.wait(60)
    poller = mappings.get(mapping.uuid)
    # retries with the batch in hand do not count as receives: two receives, more throttles
    assert poller.stats["received"] == 2 and poller.stats["throttles"] > 2
    assert all(run.status == "throttled" for run in account.invocation_records("throttled"))
    assert [m["Body"] for m in dlq.drain()] == ["wanted"]


def test_a_throttled_batch_goes_through_once_concurrency_is_back(account, mappings, eventually):
    account.configure(clock_mode="manual")  # the back-off waits for the clock
    queue = Queue(account, "later", VisibilityTimeout=60)
    account.register("later", ECHO, reserved_concurrency=0)
    mapping = mappings.create("later", queue.arn)
    queue.send("patient")
    poller = mappings.get(mapping.uuid)
    eventually(lambda: poller.stats["throttles"] >= 1, "a throttled invoke")
    account.put_function_concurrency("later", None)
    assert account.wait(60)
    runs = [run for run in account.invocation_records("later") if run.status == "success"]
    assert [bodies_of(run) for run in runs] == [["patient"]]
    assert count_of(runs[0].event["Records"][0]) == 1  # the same receive, retried in hand
    assert queue.counts() == (0, 0, 0)


def test_with_the_manual_clock_a_failed_message_waits_for_the_account_clock(account, mappings, eventually):
    account.configure(clock_mode="manual")
    queue = Queue(account, "manual", VisibilityTimeout=1)
    account.register("manual", POISON, timeout_s=1)
    mappings.create("manual", queue.arn)
    queue.send("poison")
    eventually(lambda: len(account.invocation_records("manual")) == 1, "the first attempt")
    import time

    time.sleep(1.5)  # moto's own (wall-clock) visibility timeout passes...
    assert len(account.invocation_records("manual")) == 1  # ...but the account's has not
    account.clock.advance(1)
    eventually(lambda: len(account.invocation_records("manual")) == 2, "the attempt after the visibility timeout")
    assert count_of(deliveries(account, "manual")[1].event["Records"][0]) == 2


# --- the mapping's life --------------------------------------------------------------------------------


def test_disable_enable_and_delete_stop_and_resume_polling(account, mappings, eventually):
    queue = Queue(account, "lifecycle")
    account.register("life", ECHO)
    mapping = mappings.create("life", queue.arn)
    queue.send("one")
    assert account.wait(60)
    assert [bodies_of(run) for run in deliveries(account, "life")] == [["one"]]

    assert mappings.set_enabled(mapping.uuid, False).state == "Disabled"
    queue.send("two", "three")
    assert account.wait(60)  # a disabled mapping does not hold wait()
    assert len(deliveries(account, "life")) == 1 and sum(queue.counts()) == 2  # still in the queue

    mappings.set_enabled(mapping.uuid, True)
    assert account.wait(60)
    assert sorted(b for run in deliveries(account, "life") for b in bodies_of(run)) == ["one", "three", "two"]
    assert queue.counts() == (0, 0, 0)

    mappings.delete(mapping.uuid)
    queue.send("four")
    assert account.wait(60)
    # a long poll running when the mapping went away gives what it got back at once
    eventually(lambda: queue.counts() == (1, 0, 0), "the message visible in the queue")
    assert len([b for run in deliveries(account, "life") for b in bodies_of(run)]) == 3
    assert [m["Body"] for m in queue.drain()] == ["four"]
    with pytest.raises(ResourceNotFoundException):
        mappings.get(mapping.uuid)


def test_the_handler_can_use_boto3_against_the_local_cloud(account, mappings):
    source = Queue(account, "inbox")
    target = Queue(account, "outbox")
    account.register(
        "forward",
        """
import boto3

sqs = boto3.client("sqs")
OUT = sqs.get_queue_url(QueueName="outbox")["QueueUrl"]

def lambda_handler(event, context):
    for record in event["Records"]:
        sqs.send_message(QueueUrl=OUT, MessageBody=record["body"].upper())
""",
        timeout_s=10,
    )
    mappings.create("forward", source.arn)
    source.send("hello", "world")
    assert account.wait(60)
    assert all(run.status == "success" for run in deliveries(account, "forward"))
    assert sorted(m["Body"] for m in target.drain()) == ["HELLO", "WORLD"]


def test_up_to_five_batches_run_at_once(account, mappings):
    queue = Queue(account, "parallel")
    account.register("parallel", "import time\n\ndef lambda_handler(event, context):\n    time.sleep(0.5)\n")
    queue.send(*[f"m{i}" for i in range(12)])
    mappings.create("parallel", queue.arn, batch_size=1)
    assert account.wait(60)
    runs = deliveries(account, "parallel")
    assert len(runs) == 12
    spans = [(run.start, run.start + run.duration_ms / 1000) for run in runs]
    overlap = max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)
    assert 2 <= overlap <= 5
    assert len({env.log_stream_name for env, _ in account.environments() if env.function_name == "parallel"}) <= 5
