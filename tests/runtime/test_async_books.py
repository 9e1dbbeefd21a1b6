"""Nothing is lost: thousands of async events to handlers that fail at random, and the books balance
exactly (issue 4: "every accepted event ends as a success, a destination or dead-letter record,
or a counted drop with its reason").

The fate of every attempt (ok, exception, crash, timeout) is drawn in advance from a seeded
generator and carried in the event; the handler counts its attempts in a shared directory and
does what the fate says.  So the outcome of every event is known exactly, and the test checks
the ledgers, the invocation rows and the failure destination against it.
"""

from __future__ import annotations

import collections
import os
import random

import pytest

from .async_helpers import ECHO, FATED, manual

EVENTS = 2000
SEED = 20240604

#: name -> (max_retry_attempts, on_failure destination, reserved concurrency)
FUNCTIONS = {
    "orders": (2, "sink", None),
    "payments": (1, None, None),
    "emails": (2, "sink", 2),
    "audits": (0, None, None),
}

STATUS_OF_FATE = {
    "ok": ("success", None),
    "error": ("error", "RuntimeError"),
    "crash": ("error", "Runtime.ExitError"),
    "timeout": ("timeout", "Sandbox.Timedout"),
}


def draw_fate(rng: random.Random) -> str:
    x = rng.random()
    if x < 1 / 200:
        return "timeout"  # rare: each one holds a worker for the 1 s timeout
    if x < 1 / 200 + 1 / 40:
        return "crash"
    if x < 0.45:
        return "error"
    return "ok"


def expected_outcome(fates: list[str], retries: int) -> tuple[int, bool]:
    """(attempts, succeeded) for an event with these fates and this many retries."""
    for attempt, fate in enumerate(fates[: retries + 1], start=1):
        if fate == "ok":
            return attempt, True
    return retries + 1, False


@pytest.mark.slow
def test_thousands_of_randomly_failing_events_balance_exactly(account, shared):
    manual(account)
    account.configure(async_workers=8)
    account.register("sink", ECHO)
    for name, (retries, destination, reserved) in FUNCTIONS.items():
        account.register(name, FATED, timeout_s=1, reserved_concurrency=reserved)
        account.configure_async(name, max_retry_attempts=retries, on_failure=destination)

    rng = random.Random(SEED)
    sent = {}  # request id -> (function, event)
    names = list(FUNCTIONS)
    for n in range(EVENTS):
        name = names[n % len(names)]
        event = {"dir": str(shared), "fn": name, "n": n, "fates": [draw_fate(rng) for _ in range(3)]}
        queued = account.invoke(name, event, invocation_type="Event")
        assert queued.status_code == 202
        sent[queued.request_id] = (name, event)
    assert len(sent) == EVENTS  # one request id per event

    assert account.wait(timeout=240) is True

    # What must have happened to each event.
    expected = {rid: expected_outcome(event["fates"], FUNCTIONS[name][0]) for rid, (name, event) in sent.items()}
    ledgers = account.async_ledgers()

    # --- the books of every queue balance ---
    for name, (retries, destination, _) in FUNCTIONS.items():
        mine = {rid: outcome for rid, outcome in expected.items() if sent[rid][0] == name}
        successes = sum(1 for _, ok in mine.values() if ok)
        failures = len(mine) - successes
        books = ledgers[name]
        assert books.balances(), (name, books)
        assert books.received == EVENTS // len(FUNCTIONS), (name, books)
        assert books.pending == 0, (name, books)
        assert books.succeeded == successes, (name, books)
        assert books.retries == sum(attempts - 1 for attempts, _ in mine.values()), (name, books)
        assert books.destination_delivery_failures == 0, (name, books)
        if destination:
            assert books.to_failure_destination == failures, (name, books)
            assert sum(books.dropped.values()) == 0, (name, books)
        else:
            assert books.to_failure_destination == 0, (name, books)
            assert dict(books.dropped) == ({"RetriesExhausted": failures} if failures else {}), (name, books)
    assert sum(ledgers[name].finished for name in FUNCTIONS) == EVENTS  # nothing silently lost

    # --- the invocation rows agree, attempt by attempt ---
    rows = collections.defaultdict(list)
    throttled = collections.Counter()
    for record in account.invocation_records():
        if record.function_name == "sink":
            continue
        if record.status == "throttled":
            throttled[record.function_name] += 1
            continue
        rows[record.request_id].append(record)
    assert set(rows) == set(sent)
    for name in FUNCTIONS:
        assert ledgers[name].throttles == throttled[name]
    ran = collections.Counter()
    for rid, attempts in rows.items():
        name, event = sent[rid]
        count, _ = expected[rid]
        ran.update(event["fates"][:count])
        attempts.sort(key=lambda r: r.attempt)
        assert [r.attempt for r in attempts] == list(range(1, count + 1)), (rid, event)
        for record, fate in zip(attempts, event["fates"]):
            assert record.function_name == name
            assert record.event["n"] == event["n"]
            assert (record.status, record.error_type) == STATUS_OF_FATE[fate], (rid, event, record.attempt)
        # The handler's own count (one mark per attempt that reached it) agrees.
        assert os.path.getsize(shared / f"{name}-{event['n']}") == count

    assert all(ran[fate] > 0 for fate in STATUS_OF_FATE), ran  # every kind of ending really happened

    # --- the failure destination got exactly one record per failed event ---
    records = [r.payload for r in account.invocation_records("sink")]
    assert all(r is not None for r in records)
    delivered = {record["requestContext"]["requestId"]: record for record in records}
    assert len(delivered) == len(records)  # no duplicates
    failed_with_destination = {
        rid for rid, (attempts, ok) in expected.items() if not ok and FUNCTIONS[sent[rid][0]][1] == "sink"
    }
    assert set(delivered) == failed_with_destination
    for rid, record in delivered.items():
        name, event = sent[rid]
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == FUNCTIONS[name][0] + 1
        assert record["requestContext"]["functionArn"].endswith(f":function:{name}:$LATEST")
        assert record["requestPayload"] == event
        assert record["responseContext"]["functionError"] == "Unhandled"
        last_fate = event["fates"][FUNCTIONS[name][0]]
        assert record["responsePayload"]["errorType"] == STATUS_OF_FATE[last_fate][1]
    sink = ledgers["sink"]
    assert sink.balances() and sink.pending == 0
    assert sink.received == sink.succeeded == len(failed_with_destination)
    assert sink.received == sum(ledgers[name].to_failure_destination for name in FUNCTIONS)
