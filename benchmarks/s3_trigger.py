"""``put_object`` -> handler start through an S3 trigger, beside moto's own S3 -> SQS delivery.

Both on the same embedded moto server in the same run, the account clock in ``real`` mode:

* trigger: a bucket whose LambdaFunctionConfiguration (``lm.add_trigger``) names a trivial
  handler (process isolation, warm).  Latency = the invocation record's start timestamp
  minus a ``time.time()`` taken just before ``put_object``;
* queue (the baseline): a bucket whose QueueConfiguration names an SQS queue (moto delivers
  it itself).  Latency = ``time.time()`` once a long-polling ``receive_message`` returned the
  message minus a ``time.time()`` taken just before ``put_object`` (the record in the message is
  the complete one lambda_magic's moto side builds; the delivery is moto's own, inside the call).

Puts alternate between the two (after a warm-up), so a slow phase of the machine hits both.
Target: the trigger's median and p99 at most 2x the queue's.

Prints one JSON document.  Run: ``python benchmarks/s3_trigger.py``.
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _bench import BENCH_MEMORY_MB, TRIVIAL_CODE, emit, machine, target

from lambda_magic.endpoints.lambda_api import LambdaAPI
from lambda_magic.runtime.account import LocalAccount
from lambda_magic.runtime.settings import AccountSettings
from lambda_magic.sources.push import PushSources

PUTS = 200
WARMUP = 10
TARGET_RATIO = 2.0
BODY = b"x" * 1024


def summary(seconds: list[float]) -> dict:
    values = sorted(seconds)
    n = len(values)

    def ms(value: float) -> float:
        return round(value * 1000, 3)

    return {
        "n": n,
        "median_ms": ms(statistics.median(values)),
        "p90_ms": ms(values[max(math.ceil(0.9 * n) - 1, 0)]),
        "p99_ms": ms(values[max(math.ceil(0.99 * n) - 1, 0)]),
        "mean_ms": ms(statistics.fmean(values)),
        "min_ms": ms(values[0]),
        "max_ms": ms(values[-1]),
    }


def trigger_put(account: LocalAccount, s3, n: int) -> float:
    key = f"in/{n}.bin"
    started = time.time()
    s3.put_object(Bucket="bench-trigger", Key=key, Body=BODY)
    account.wait()
    run = account.invocation_records("bench-s3")[-1]
    assert run.event["Records"][0]["s3"]["object"]["key"] == key and run.status == "success"
    return run.start - started


def queue_put(s3, sqs, url: str, n: int) -> float:
    key = f"in/{n}.bin"
    started = time.time()
    s3.put_object(Bucket="bench-queue", Key=key, Body=BODY)
    while True:
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10).get("Messages", [])
        if messages:
            break
    received = time.time()
    (message,) = messages
    assert f'"key": "{key}"' in message["Body"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return received - started


def main() -> None:
    began = time.time()
    account = LocalAccount(AccountSettings(clock_mode="real"))
    try:
        api = LambdaAPI.of(account)
        push = PushSources.of(account, policy=api.policy, lambda_client=api.client)
        s3 = account.cloud.client("s3")
        sqs = account.cloud.client("sqs")
        s3.create_bucket(Bucket="bench-trigger")
        s3.create_bucket(Bucket="bench-queue")
        url = sqs.create_queue(QueueName="bench-s3")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        s3.put_bucket_notification_configuration(
            Bucket="bench-queue",
            NotificationConfiguration={
                "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
            },
        )
        sqs.purge_queue(QueueUrl=url)  # the s3:TestEvent
        account.register("bench-s3", TRIVIAL_CODE, memory_mb=BENCH_MEMORY_MB)
        push.add_trigger("bench-s3", "s3:bench-trigger")
        triggered, queued = [], []
        for n in range(WARMUP + PUTS):
            order = ("trigger", "queue") if n % 2 else ("queue", "trigger")
            for consumer in order:
                if consumer == "trigger":
                    latency = trigger_put(account, s3, n)
                    if n >= WARMUP:
                        triggered.append(latency)
                else:
                    latency = queue_put(s3, sqs, url, n)
                    if n >= WARMUP:
                        queued.append(latency)
        runs = account.invocation_records("bench-s3")
        checks = {
            "invocations": len(runs),
            "expected": WARMUP + PUTS,
            "all_succeeded": all(run.status == "success" for run in runs),
            "all_triggered_by_the_bucket": all(run.trigger == "s3:bench-trigger" for run in runs),
            "dropped": sum(push.dropped.values()),
        }
        isolation = account.settings.isolation
    finally:
        account.shutdown()
    result, baseline = summary(triggered), summary(queued)
    median_ratio = result["median_ms"] / baseline["median_ms"]
    p99_ratio = result["p99_ms"] / baseline["p99_ms"]
    result["median_vs_queue"] = round(median_ratio, 3)
    result["p99_vs_queue"] = round(p99_ratio, 3)
    result["checks"] = checks
    emit(
        {
            "benchmark": "s3_trigger",
            "description": __doc__.split("\n\n")[0],
            "machine": machine(),
            "config": {
                "puts": PUTS,
                "warmup_puts": WARMUP,
                "object_bytes": len(BODY),
                "handler": TRIVIAL_CODE.strip(),
                "isolation": isolation,
                "clock_mode": "real",
            },
            "results": {"put_object_to_handler_start": result},
            "baselines": {"moto_s3_to_sqs_received": baseline},
            "targets": [
                target("results.put_object_to_handler_start.median_vs_queue", median_ratio, TARGET_RATIO, "x"),
                target("results.put_object_to_handler_start.p99_vs_queue", p99_ratio, TARGET_RATIO, "x"),
            ],
            "elapsed_s": round(time.time() - began, 2),
        }
    )


if __name__ == "__main__":
    main()
