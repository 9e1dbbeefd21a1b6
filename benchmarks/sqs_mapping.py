"""Messages per second through an SQS event source mapping, beside a plain boto3 loop.

Both consume from the same embedded moto server in the same run.  Each round puts
``CHUNK`` messages into a queue (ten ``SendMessageBatch`` calls) and then times how long
the consumer takes to empty it:

* mapping: an SQS event source mapping (batch size 10, no batching window) on a trivial
  handler (process isolation), enabled when the round starts and timed until
  ``account.wait()`` returns, i.e. every message was invoked and deleted;
* loop (the baseline): ``ReceiveMessage`` (10, long poll) + ``DeleteMessageBatch`` in one
  thread until every message of the round was deleted.

Rounds alternate between the two (after a warm-up round each; which one goes first alternates
too), so a slow phase of the machine hits both.  Queues stay short (``CHUNK`` messages), because moto's SQS cost
per call grows with the number of messages queued (issue 5's moto note).  Target: the mapping's rate
is at least 0.8 of the loop's.

Prints one JSON document.  Run: ``python benchmarks/sqs_mapping.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _bench import BENCH_MEMORY_MB, emit, machine, target

from lambda_magic.runtime.account import LocalAccount
from lambda_magic.sources import EventSourceMappings

CHUNK = 100
ROUNDS = 20
TARGET_RATIO = 0.8
HANDLER = "def lambda_handler(event, context):\n    return None\n"


def fill(sqs, url: str, round_no: int) -> None:
    for start in range(0, CHUNK, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "MessageBody": f'{{"round": {round_no}, "n": {start + i}}}'} for i in range(10)],
        )


def loop_round(sqs, url: str) -> float:
    """Receive and delete until the round's messages are gone; seconds taken."""
    started = time.perf_counter()
    deleted = 0
    while deleted < CHUNK:
        messages = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if messages:
            answer = sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
            deleted += len(answer.get("Successful", []))
    return time.perf_counter() - started


def mapping_round(account: LocalAccount, mappings: EventSourceMappings, uuid: str) -> float:
    started = time.perf_counter()
    mappings.set_enabled(uuid, True)
    account.wait()
    elapsed = time.perf_counter() - started
    mappings.set_enabled(uuid, False)
    return elapsed


def queue(sqs, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def summary(seconds: list[float]) -> dict:
    total = sum(seconds)
    return {
        "messages": CHUNK * len(seconds),
        "seconds": round(total, 3),
        "messages_per_s": round(CHUNK * len(seconds) / total, 1),
        "round_messages_per_s_median": round(statistics.median(CHUNK / s for s in seconds), 1),
        "round_messages_per_s_min": round(min(CHUNK / s for s in seconds), 1),
        "round_messages_per_s_max": round(max(CHUNK / s for s in seconds), 1),
    }


def main() -> None:
    started = time.time()
    account = LocalAccount()
    try:
        sqs = account.cloud.client("sqs")
        loop_url, _ = queue(sqs, "bench-loop")
        mapped_url, mapped_arn = queue(sqs, "bench-mapping")
        account.register("bench-sqs", HANDLER, memory_mb=BENCH_MEMORY_MB)
        mappings = EventSourceMappings.of(account)
        mapping = mappings.create("bench-sqs", mapped_arn, batch_size=10, enabled=False)
        loop_times, mapping_times = [], []
        for round_no in range(ROUNDS + 1):  # round 0 warms both up; the order alternates
            for consumer in ("loop", "mapping") if round_no % 2 else ("mapping", "loop"):
                if consumer == "loop":
                    fill(sqs, loop_url, round_no)
                    loop_s = loop_round(sqs, loop_url)
                else:
                    fill(sqs, mapped_url, round_no)
                    mapping_s = mapping_round(account, mappings, mapping.uuid)
            if round_no:
                loop_times.append(loop_s)
                mapping_times.append(mapping_s)
        poller = mappings.get(mapping.uuid)
        stats = dict(poller.stats)
        runs = account.invocation_records("bench-sqs")
        sizes = [len(run.event["Records"]) for run in runs]
        mapped = summary(mapping_times)
        mapped["checks"] = {
            "processed": stats.get("processed", 0),
            "expected": CHUNK * (ROUNDS + 1),
            "all_succeeded": all(run.status == "success" for run in runs),
            "invocations": len(runs),
            "mean_batch_size": round(statistics.fmean(sizes), 2) if sizes else None,
            "queue_empty": sqs.get_queue_attributes(
                QueueUrl=mapped_url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]["ApproximateNumberOfMessages"]
            == "0",
        }
        baseline = summary(loop_times)
    finally:
        account.shutdown()
    ratio = mapped["messages_per_s"] / baseline["messages_per_s"]
    mapped["rate_vs_loop"] = round(ratio, 3)
    emit(
        {
            "benchmark": "sqs_mapping",
            "description": __doc__.split("\n\n")[0],
            "machine": machine(),
            "config": {
                "messages_per_round": CHUNK,
                "rounds": ROUNDS,
                "batch_size": 10,
                "batching_window_s": 0,
                "handler": HANDLER.strip(),
                "isolation": account.settings.isolation,
            },
            "results": {"mapping": mapped},
            "baselines": {"boto3_receive_delete_loop": baseline},
            "targets": [target("results.mapping.rate_vs_loop", ratio, TARGET_RATIO, "x", higher_is_better=True)],
            "elapsed_s": round(time.time() - started, 2),
        }
    )


if __name__ == "__main__":
    main()
