"""Kinesis records per second per shard through an event source mapping.

A stream in the embedded local cloud (moto) holds ``RECORDS`` records of 100 bytes per shard;
a mapping (TRIM_HORIZON, trivial handler, process isolation) drains it, timed from
``create_event_source_mapping`` until ``wait()`` returns with every record checkpointed.
Records per second per shard = records in one shard / that time.

Baselines in the same run, on the same server and stream: a plain boto3 loop
(``get_shard_iterator`` + ``get_records`` of the batch size until caught up) per shard, and the
same loop that also invokes the function with each batch (the least a consumer does).

Each figure is the median of ``REPEATS`` passes over the same records (every pass reads the
stream from its start; a mapping pass is a new mapping).  Prints one JSON document.
Run: ``python benchmarks/kinesis_mapping.py``.
"""

from __future__ import annotations

import base64
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _bench import BENCH_MEMORY_MB, TRIVIAL_CODE, emit, machine

from lambda_magic.runtime.account import LocalAccount
from lambda_magic.sources import EventSourceMappings

RECORDS = 3_000  # per shard
REPEATS = 3
RUNS = ({"shards": 1, "batch_size": 100}, {"shards": 2, "batch_size": 100}, {"shards": 1, "batch_size": 500})


def fill(account: LocalAccount, name: str, shards: int) -> str:
    kinesis = account.cloud.client("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    payload = b"x" * 100
    for shard in range(shards):
        key = str(shard * (2**128 // shards) + 1)  # inside the shard's hash range
        for start in range(0, RECORDS, 500):
            kinesis.put_records(
                StreamName=name,
                Records=[
                    {"Data": payload, "PartitionKey": "p", "ExplicitHashKey": key}
                    for _ in range(min(500, RECORDS - start))
                ],
            )
    return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]


def plain_loop(account: LocalAccount, arn: str, batch_size: int, invoke: str | None) -> dict:
    """Read every shard to its end, one after the other (optionally invoking per batch)."""
    kinesis = account.cloud.client("kinesis")
    shards = [s["ShardId"] for s in kinesis.list_shards(StreamARN=arn)["Shards"]]
    started = time.perf_counter()
    count = calls = 0
    for shard in shards:
        iterator = kinesis.get_shard_iterator(StreamARN=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ]
        while True:
            page = kinesis.get_records(StreamARN=arn, ShardIterator=iterator, Limit=batch_size)
            calls += 1
            iterator, records = page["NextShardIterator"], page["Records"]
            if not records:
                break
            count += len(records)
            if invoke:
                event = {
                    "Records": [
                        {
                            "kinesis": {
                                "data": base64.b64encode(r["Data"]).decode(),
                                "sequenceNumber": r["SequenceNumber"],
                            }
                        }
                        for r in records
                    ]
                }
                assert account.invoke(invoke, event).status == "success"
    elapsed = time.perf_counter() - started
    return {
        "records": count,
        "get_records_calls": calls,
        "seconds": round(elapsed, 3),
        "records_per_s_per_shard": round(count / len(shards) / elapsed, 1),
    }


def mapping_run(account: LocalAccount, name: str, arn: str, shards: int, batch_size: int) -> dict:
    mappings = EventSourceMappings.of(account)
    before = len(account.invocation_records(name))
    started = time.perf_counter()
    mapping = mappings.create(name, arn, starting_position="TRIM_HORIZON", batch_size=batch_size)
    drained = account.wait(120)
    elapsed = time.perf_counter() - started
    poller = mappings.get(mapping.uuid)
    ages = [age for _, _, age in poller.iterator_ages]
    done = poller.stats["records_done"]
    mappings.delete(mapping.uuid)
    return {
        "records": done,
        "seconds": round(elapsed, 3),
        "records_per_s_per_shard": round(done / shards / elapsed, 1),
        "invocations": poller.stats["invocations"],
        "iterator_age_ms_max": max(ages, default=None),
        "checks": {
            "drained": drained,
            "all_records": done == RECORDS * shards,
            "all_succeeded": all(inv.status == "success" for inv in account.invocation_records(name)[before:]),
        },
    }


def median_of(passes: list[dict]) -> dict:
    """The pass with the median rate, with every pass's rate beside it."""
    ranked = sorted(passes, key=lambda p: p["records_per_s_per_shard"])
    return {
        **ranked[len(ranked) // 2],
        "passes_records_per_s_per_shard": [p["records_per_s_per_shard"] for p in passes],
    }


def main() -> None:
    started = time.time()
    account = LocalAccount()
    results, baselines = {}, {}
    try:
        for run in RUNS:
            label = f"{run['shards']}_shards_batch_{run['batch_size']}"
            name = f"k{run['shards']}b{run['batch_size']}"
            account.register(name, TRIVIAL_CODE, memory_mb=BENCH_MEMORY_MB)
            account.invoke(name, {})  # warm one environment, as the loop's invoke is warm too
            arn = fill(account, name, run["shards"])
            reading = median_of([plain_loop(account, arn, run["batch_size"], None) for _ in range(REPEATS)])
            invoking = median_of([plain_loop(account, arn, run["batch_size"], name) for _ in range(REPEATS)])
            passes = []
            for _ in range(REPEATS):
                passes.append(mapping_run(account, name, arn, run["shards"], run["batch_size"]))
            results[f"mapping_{label}"] = result = median_of(passes)
            baselines[f"get_records_loop_{label}"] = reading
            baselines[f"get_records_and_invoke_loop_{label}"] = invoking
            result["vs_get_records_loop"] = round(
                result["records_per_s_per_shard"] / reading["records_per_s_per_shard"], 3
            )
            result["vs_get_records_and_invoke_loop"] = round(
                result["records_per_s_per_shard"] / invoking["records_per_s_per_shard"], 3
            )
    finally:
        account.shutdown()
    emit(
        {
            "benchmark": "kinesis_mapping",
            "description": __doc__.split("\n\n")[0],
            "machine": machine(),
            "records_per_shard": RECORDS,
            "results": results,
            "baselines": baselines,
            "targets": [],  # the issue asks for the figure, with no target
            "elapsed_s": round(time.time() - started, 2),
        }
    )


if __name__ == "__main__":
    main()
