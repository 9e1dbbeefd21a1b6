"""Asynchronous invocation: the queue, retries, maximum event age, throttle back-off,
destinations and the books of each queue (lambda-semantics §5.3-5.8, §8.10; issue 4).

Everything runs on the manual clock, so attempts happen at exact AWS times.
"""

from __future__ import annotations

import threading
import time

import pytest

from lambda_magic.runtime import InvalidParameterValueException, ResourceNotFoundException

from .async_helpers import ECHO, FAILING, GATED, governor_slots, held, manual, record_timestamp
from .helpers import OK, code, wait_until

RECORD_KEYS = {"version", "timestamp", "requestContext", "requestPayload", "responseContext", "responsePayload"}

#: Fails on the first attempt of each event, succeeds afterwards (the marker lives in a shared dir).
FLAKY = code(
    """
    import os
    def lambda_handler(event, context):
        marker = os.path.join(event["dir"], context.aws_request_id)
        if not os.path.exists(marker):
            open(marker, "w").close()
            raise ConnectionError("first attempt fails")
        return {"recovered": event["n"]}
    """
)

TIMES_OUT = code(
    """
    import time
    def lambda_handler(event, context):
        time.sleep(30)
    """
)

CRASHES = code(
    """
    import os
    def lambda_handler(event, context):
        print("about to exit")
        os._exit(7)
    """
)


def ledger(account, name):
    return account.async_ledgers()[name]


def settled(account, name):
    """The function's books after everything ended: balanced, nothing pending."""
    books = ledger(account, name)
    assert books.balances(), books
    assert books.pending == 0, books
    return books


# --- accepting -------------------------------------------------------------------------------------


def test_event_is_accepted_with_202_before_it_runs(account, shared):
    manual(account)
    account.register("gated", GATED, timeout_s=30)
    gate = shared / "gate"
    queued = account.invoke("gated", {"gate": str(gate)}, invocation_type="Event")
    assert (queued.status_code, queued.status, queued.invocation_type) == (202, "queued", "Event")
    assert queued.payload is None and queued.function_error is None
    assert queued.start == account.clock.time()
    books = ledger(account, "gated")
    assert (books.received, books.pending, books.succeeded) == (1, 1, 0)
    assert books.balances()
    assert account.invocation_records("gated") == []  # the handler is still waiting for the gate
    assert account.wait(timeout=0.2) is False
    gate.touch()
    assert account.wait(timeout=30) is True
    [run] = account.invocation_records("gated")
    assert (run.request_id, run.attempt, run.status, run.status_code) == (queued.request_id, 1, "success", 202)
    assert run.invocation_type == "Event"
    books = settled(account, "gated")
    assert (books.received, books.succeeded, books.retries) == (1, 1, 0)


def test_events_to_unknown_functions_are_refused_not_queued(account):
    with pytest.raises(ResourceNotFoundException):
        account.invoke("nobody", invocation_type="Event")
    assert account.async_ledgers() == {}


# --- retries -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("retries", [None, 0, 1, 2])
def test_a_failing_event_is_retried_max_retry_attempts_times(account, retries):
    manual(account)
    t0 = account.clock.time()
    account.register("fails", FAILING)
    if retries is not None:
        account.configure_async("fails", max_retry_attempts=retries)
    expected = 2 if retries is None else retries  # AWS's default is 2
    queued = account.invoke("fails", {"n": 1}, invocation_type="Event")
    assert account.wait(timeout=10) is True
    records = account.invocation_records("fails")
    assert [r.attempt for r in records] == list(range(1, expected + 2))
    assert [r.start - t0 for r in records] == [0, 60, 180][: expected + 1]  # about 1 min, then 2 min later
    for record in records:
        assert record.request_id == queued.request_id  # every attempt of one event has its id
        assert f"attempt for {queued.request_id}" in record.log_lines  # ...and so does the handler's context
        assert (record.status, record.function_error, record.error_type) == ("error", "Unhandled", "ValueError")
        assert (record.invocation_type, record.status_code) == ("Event", 202)
        assert record.billed_duration_ms >= 1 and record.cost_usd > 0  # each attempt is billed
    starts = [e for e in account.log_events("fails", request_id=queued.request_id) if e.message.startswith("START ")]
    assert len(starts) == expected + 1
    books = settled(account, "fails")
    assert books.received == 1
    assert books.retries == expected
    assert books.succeeded == 0
    assert dict(books.dropped) == {"RetriesExhausted": 1}  # no destination: a counted drop


def test_success_after_a_failure_stops_retrying(account, shared):
    manual(account)
    t0 = account.clock.time()
    account.register("flaky", FLAKY)
    account.register("sink", ECHO)
    account.configure_async("flaky", on_success="sink")
    queued = account.invoke("flaky", {"dir": str(shared), "n": 5}, invocation_type="Event")
    assert account.wait(timeout=10) is True
    records = account.invocation_records("flaky")
    assert [(r.attempt, r.status) for r in records] == [(1, "error"), (2, "success")]
    assert {r.request_id for r in records} == {queued.request_id}
    assert records[0].error_type == "ConnectionError"
    assert records[1].payload == {"recovered": 5}
    assert records[1].start == t0 + 60
    assert account.clock.time() == t0 + 60  # no third attempt was scheduled
    books = settled(account, "flaky")
    assert (books.succeeded, books.retries, sum(books.dropped.values())) == (1, 1, 0)
    [delivered] = account.invocation_records("sink")
    context = delivered.payload["requestContext"]
    assert (context["condition"], context["approximateInvokeCount"]) == ("Success", 2)
    assert delivered.payload["responsePayload"] == {"recovered": 5}


def test_timeouts_are_function_errors_and_are_retried(account):
    manual(account)
    account.register("slow", TIMES_OUT, timeout_s=1)
    account.register("sink", ECHO)
    account.configure_async("slow", max_retry_attempts=1, on_failure="sink")
    queued = account.invoke("slow", invocation_type="Event")
    assert account.wait(timeout=30) is True
    records = account.invocation_records("slow")
    assert [r.attempt for r in records] == [1, 2]
    for record in records:
        assert (record.status, record.function_error, record.error_type) == ("timeout", "Unhandled", "Sandbox.Timedout")
        assert record.request_id == queued.request_id
    books = settled(account, "slow")
    assert (books.retries, books.to_failure_destination) == (1, 1)
    [delivered] = account.invocation_records("sink")
    record = delivered.payload
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in record["responsePayload"]["errorMessage"]


def test_crashes_are_function_errors_and_are_retried(account):
    manual(account)
    account.register("crashes", CRASHES)
    queued = account.invoke("crashes", invocation_type="Event")
    assert account.wait(timeout=30) is True
    records = account.invocation_records("crashes")
    assert [r.attempt for r in records] == [1, 2, 3]
    for record in records:
        assert (record.status, record.function_error, record.error_type) == ("error", "Unhandled", "Runtime.ExitError")
        assert record.request_id == queued.request_id
        assert "about to exit" in record.log_lines  # each retry really ran again (in a reset environment)
    books = settled(account, "crashes")
    assert (books.retries, dict(books.dropped)) == (2, {"RetriesExhausted": 1})


# --- maximum event age ---------------------------------------------------------------------------------


def test_an_event_older_than_the_maximum_age_is_not_retried(account):
    """Attempts at 0 s and 60 s; the third would be at 180 s, past the 100 s age."""
    manual(account)
    t0 = account.clock.time()
    account.register("fails", FAILING)
    account.register("sink", ECHO)
    account.configure_async("fails", max_event_age_s=100, on_failure="sink")
    queued = account.invoke("fails", {"k": "v"}, invocation_type="Event")
    assert account.wait(timeout=10) is True
    assert [(r.attempt, r.start - t0) for r in account.invocation_records("fails")] == [(1, 0), (2, 60)]
    [delivered] = account.invocation_records("sink")
    record = delivered.payload
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestContext"]["requestId"] == queued.request_id
    assert record["timestamp"] == record_timestamp(t0 + 180)
    assert record["requestPayload"] == {"k": "v"}
    books = settled(account, "fails")
    assert (books.retries, books.to_failure_destination, sum(books.dropped.values())) == (2, 1, 0)


@pytest.mark.parametrize("destination", [True, False])
def test_an_event_waiting_behind_reserved_concurrency_expires(account, shared, destination):
    """The only environment is busy; the event waits (queued or throttled and backing off),
    the clock passes its maximum age, and the event is discarded without running."""
    manual(account)
    account.register("one", GATED, timeout_s=30, reserved_concurrency=1)
    account.register("sink", ECHO)
    account.configure_async("one", max_event_age_s=60, on_failure="sink" if destination else None)
    gate = shared / "gate-one-None"  # the gate `held` opens: the event would succeed if it ran
    with held(account, "one", shared, 1):
        queued = account.invoke("one", {"gate": str(gate)}, invocation_type="Event")
        time.sleep(0.3)
        books = ledger(account, "one")
        assert (books.pending, books.in_flight, books.succeeded) == (1, 0, 0)  # it waits (queued or backing off)
        account.clock.advance(61)
    assert account.wait(timeout=10) is True
    ran = [r for r in account.invocation_records("one") if r.request_id == queued.request_id]
    assert all(r.status == "throttled" for r in ran)  # at most throttled, never run
    books = settled(account, "one")
    assert books.received == 1 and books.succeeded == 0
    if destination:
        assert books.to_failure_destination == 1 and sum(books.dropped.values()) == 0
        [delivered] = account.invocation_records("sink")
        context = delivered.payload["requestContext"]
        assert (context["requestId"], context["condition"], context["approximateInvokeCount"]) == (
            queued.request_id,
            "EventAgeExceeded",
            0,
        )
    else:
        assert dict(books.dropped) == {"EventAgeExceeded": 1}
        assert account.invocation_records("sink") == []


# --- destinations -----------------------------------------------------------------------------------------


def test_on_failure_destination_receives_the_invocation_record(account):
    manual(account)
    t0 = account.clock.time()
    fails = account.register("fails", FAILING)
    account.register("sink", ECHO)
    account.configure_async("fails", on_failure="sink")
    queued = account.invoke("fails", {"order": 7, "items": ["a", "b"]}, invocation_type="Event")
    assert account.wait(timeout=10) is True
    last = account.invocation_records("fails")[-1]
    [delivered] = account.invocation_records("sink")
    assert (delivered.invocation_type, delivered.trigger, delivered.status) == ("Event", "destination:fails", "success")
    record = delivered.payload  # what the destination's handler received
    assert set(record) == RECORD_KEYS
    assert record["version"] == "1.0"
    assert record["timestamp"] == record_timestamp(t0 + 180)  # when the last attempt failed
    assert record["requestContext"] == {
        "requestId": queued.request_id,
        "functionArn": f"{fails.arn}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] == {"order": 7, "items": ["a", "b"]}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"] == last.payload
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["responsePayload"]["errorMessage"] == "planned failure"
    books = settled(account, "fails")
    assert (books.to_failure_destination, sum(books.dropped.values()), books.destination_delivery_failures) == (1, 0, 0)
    sink_books = settled(account, "sink")
    assert (sink_books.received, sink_books.succeeded) == (1, 1)


def test_on_success_destination_given_as_an_arn(account):
    manual(account)
    t0 = account.clock.time()
    works = account.register("works", OK)
    sink = account.register("sink", ECHO)
    account.configure_async("works", on_success=sink.arn)
    queued = account.invoke("works", {"n": 1}, invocation_type="Event")
    assert account.wait(timeout=10) is True
    [delivered] = account.invocation_records("sink")
    assert delivered.payload == {
        "version": "1.0",
        "timestamp": record_timestamp(t0),
        "requestContext": {
            "requestId": queued.request_id,
            "functionArn": f"{works.arn}:$LATEST",
            "condition": "Success",
            "approximateInvokeCount": 1,
        },
        "requestPayload": {"n": 1},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "responsePayload": {"ok": True, "event": {"n": 1}},
    }
    books = settled(account, "works")
    assert (books.succeeded, books.to_failure_destination, books.destination_delivery_failures) == (1, 0, 0)


def test_no_success_record_for_a_failure_and_no_failure_record_for_a_success(account):
    manual(account)
    account.register("works", OK)
    account.register("fails", FAILING)
    account.register("good", ECHO)
    account.register("bad", ECHO)
    for name in ("works", "fails"):
        account.configure_async(name, max_retry_attempts=0, on_success="good", on_failure="bad")
    ok = account.invoke("works", invocation_type="Event")
    failed = account.invoke("fails", invocation_type="Event")
    assert account.wait(timeout=10) is True
    assert [r.payload["requestContext"]["requestId"] for r in account.invocation_records("good")] == [ok.request_id]
    assert [r.payload["requestContext"]["requestId"] for r in account.invocation_records("bad")] == [failed.request_id]


def test_synchronous_calls_never_reach_destinations(account):
    account.register("fails", FAILING)
    account.register("sink", ECHO)
    account.configure_async("fails", on_failure="sink", on_success="sink")
    result = account.invoke("fails")
    assert result.function_error == "Unhandled"
    assert account.wait(timeout=10) is True
    assert len(account.invocation_records("fails")) == 1  # no retries either (§5.2)
    assert account.invocation_records("sink") == []


@pytest.mark.parametrize("destination", [True, False])
def test_reserved_concurrency_zero_sends_events_straight_to_failure(account, destination):
    manual(account)
    account.register("stopped", OK, reserved_concurrency=0)
    account.register("sink", ECHO)
    if destination:
        account.configure_async("stopped", on_failure="sink")
    queued = account.invoke("stopped", {"x": 1}, invocation_type="Event")
    assert queued.status_code == 202  # still accepted
    assert account.wait(timeout=10) is True
    assert account.invocation_records("stopped") == []  # no attempt, no throttle row
    books = settled(account, "stopped")
    assert (books.received, books.retries, books.succeeded) == (1, 0, 0)
    if destination:
        assert books.to_failure_destination == 1
        [delivered] = account.invocation_records("sink")
        record = delivered.payload
        assert record["requestContext"]["requestId"] == queued.request_id
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == 0
        assert record["requestPayload"] == {"x": 1}
        assert "responseContext" not in record  # nothing ran, so there is no response
    else:
        assert dict(books.dropped) == {"RetriesExhausted": 1}


@pytest.mark.parametrize("when", ["never registered", "deleted"])
def test_a_missing_failure_destination_is_a_counted_delivery_failure(account, when):
    manual(account)
    account.register("fails", FAILING)
    if when == "deleted":
        account.register("ghost", ECHO)
    account.configure_async("fails", max_retry_attempts=0, on_failure="ghost")
    if when == "deleted":
        account.delete_function("ghost")
    queued = account.invoke("fails", invocation_type="Event")
    assert account.wait(timeout=10) is True
    books = settled(account, "fails")
    assert books.received == 1
    assert books.destination_delivery_failures == 1
    assert books.to_failure_destination == 0
    assert dict(books.dropped) == {"RetriesExhausted": 1}  # dropped and counted, not lost
    [(target, record)] = account.async_invoker.undeliverable
    assert target == "ghost"
    assert record["requestContext"]["requestId"] == queued.request_id


def test_a_missing_success_destination_is_counted_but_the_event_succeeded(account):
    manual(account)
    account.register("works", OK)
    account.configure_async("works", on_success="ghost")
    account.invoke("works", invocation_type="Event")
    assert account.wait(timeout=10) is True
    books = settled(account, "works")
    assert (books.succeeded, books.destination_delivery_failures, sum(books.dropped.values())) == (1, 1, 0)


def test_an_event_whose_function_is_deleted_before_its_retry_is_dropped(account):
    manual(account)
    account.register("fails", FAILING)
    account.invoke("fails", invocation_type="Event")
    assert wait_until(lambda: account.scheduler.pending_timers() == 1)  # waiting for its retry
    account.delete_function("fails")
    assert account.wait(timeout=10) is True
    books = settled(account, "fails")
    assert (books.received, books.retries, dict(books.dropped)) == (1, 1, {"FunctionNotFound": 1})
    assert len(account.invocation_records("fails")) == 1


# --- throttles ------------------------------------------------------------------------------------------------


def test_a_throttled_event_is_requeued_with_backoff_and_runs_later(account):
    """The account's unreserved concurrency is used up: the event is throttled (a 429
    row), requeued 1 s, then 2 s later, and runs once concurrency is free (§5.4)."""
    manual(account)
    account.configure(account_concurrency=100)
    t0 = account.clock.time()
    account.register("f", OK)

    def throttled_and_waiting(times):  # the n-th throttle happened, its back-off timer is set, the worker is done
        books = ledger(account, "f")
        return books.throttles == times and books.in_flight == 0 and account.scheduler.pending_timers() == 1

    with governor_slots(account, "busy", 100):
        queued = account.invoke("f", {"n": 1}, invocation_type="Event")
        assert wait_until(lambda: throttled_and_waiting(1))
        [row] = account.invocation_records("f")
        assert (row.status, row.status_code, row.throttle_reason) == (
            "throttled",
            429,
            "ConcurrentInvocationLimitExceeded",
        )
        assert (row.request_id, row.invocation_type, row.attempt, row.start) == (queued.request_id, "Event", 1, t0)
        assert row.error_type == "TooManyRequestsException"
        books = ledger(account, "f")
        assert (books.delayed, books.pending, books.retries) == (1, 1, 0) and books.balances()
        account.clock.advance(1)
        assert wait_until(lambda: throttled_and_waiting(2))
        account.clock.advance(2)
        assert wait_until(lambda: throttled_and_waiting(3))
    assert account.wait(timeout=10) is True
    records = account.invocation_records("f")
    assert [(r.status, r.start - t0) for r in records] == [
        ("throttled", 0),
        ("throttled", 1),
        ("throttled", 3),
        ("success", 7),
    ]
    assert records[-1].attempt == 1  # throttles are not retries
    books = settled(account, "f")
    assert (books.received, books.succeeded, books.throttles, books.retries) == (1, 1, 3, 0)


def test_throttle_backoff_doubles_up_to_five_minutes_until_the_event_expires(account):
    manual(account)
    account.configure(account_concurrency=100)
    t0 = account.clock.time()
    account.register("f", OK)
    with governor_slots(account, "busy", 100):
        account.invoke("f", invocation_type="Event")
        assert account.wait(timeout=30) is True
    starts = [r.start - t0 for r in account.invocation_records("f")]
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert gaps[:9] == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert set(gaps[9:]) == {300}  # at most 5 minutes
    assert starts[-1] <= 21_600  # the default maximum age, 6 hours...
    assert account.clock.time() - t0 > 21_600  # ...after which the event is discarded
    books = settled(account, "f")
    assert books.throttles == len(starts)
    assert dict(books.dropped) == {"EventAgeExceeded": 1}
    assert books.succeeded == 0


def test_events_wait_for_reserved_concurrency_instead_of_being_lost(account, shared):
    manual(account)
    account.register("pair", GATED, timeout_s=30, reserved_concurrency=2)
    gate = shared / "async-gate"
    ids = {account.invoke("pair", {"gate": str(gate)}, invocation_type="Event").request_id for _ in range(6)}
    assert wait_until(lambda: account.governor.in_flight("pair") == 2)
    time.sleep(0.3)
    assert account.governor.in_flight("pair") == 2  # never more than the reservation
    books = ledger(account, "pair")
    assert (books.in_flight, books.queued) == (2, 4) and books.balances()
    gate.touch()
    assert account.wait(timeout=30) is True
    assert {r.request_id for r in account.invocation_records("pair")} == ids
    assert account.governor.peak["pair"] == 2
    books = settled(account, "pair")
    assert (books.received, books.succeeded) == (6, 6)


# --- configuration ------------------------------------------------------------------------------------------------


def test_configure_async_returns_the_settings_and_a_put_replaces_them(account):
    manual(account)
    account.register("fails", FAILING)
    account.register("sink", ECHO)
    config = account.configure_async("fails", max_retry_attempts=1, max_event_age_s=3600, on_failure="sink")
    assert (config.max_retry_attempts, config.max_event_age_s, config.on_failure, config.on_success) == (
        1,
        3600,
        "sink",
        None,
    )
    config = account.configure_async("fails", max_retry_attempts=0)  # a put overwrites everything (§5.5)
    assert (config.max_event_age_s, config.on_failure) == (21_600, None)
    account.invoke("fails", invocation_type="Event")
    assert account.wait(timeout=10) is True
    assert len(account.invocation_records("fails")) == 1
    assert account.invocation_records("sink") == []


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"max_retry_attempts": -1}, "0-2"),
        ({"max_retry_attempts": 3}, "0-2"),
        ({"max_event_age_s": 59}, "60-21600"),
        ({"max_event_age_s": 21_601}, "60-21600"),
        ({"max_event_age_s": 0}, "60-21600"),
        ({"on_failure": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}, "table/orders"),
        ({"on_success": "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"}, "stream/clicks"),
        ({"on_failure": "not a name!"}, "not a name!"),
        ({"on_success": "x" * 65}, "x" * 65),
        ({"dead_letter_target": "some-function"}, "some-function"),  # a DLQ is a queue or topic, not a function
    ],
)
def test_configure_async_refuses_bad_settings_in_one_line(account, settings, words):
    account.register("f", OK)
    account.register("sink", ECHO)
    account.configure_async("f", max_retry_attempts=1, on_failure="sink")
    with pytest.raises(InvalidParameterValueException) as caught:
        account.configure_async("f", **settings)
    message = str(caught.value)
    assert words in message
    assert "\n" not in message
    assert account.async_invoker.configs["f"].on_failure == "sink"  # the old settings stay


def test_an_s3_bucket_is_refused_as_on_success_destination(account):
    account.register("f", OK)
    account.configure_async("f", on_failure="arn:aws:s3:::failures")  # allowed
    with pytest.raises(InvalidParameterValueException):
        account.configure_async("f", on_success="arn:aws:s3:::successes")


@pytest.mark.parametrize("retries, age", [(0, 60), (2, 21_600), (1, 300)])
def test_configure_async_accepts_the_bounds(account, retries, age):
    account.register("f", OK)
    config = account.configure_async("f", max_retry_attempts=retries, max_event_age_s=age)
    assert (config.max_retry_attempts, config.max_event_age_s) == (retries, age)


def test_configure_async_of_an_unknown_function(account):
    with pytest.raises(ResourceNotFoundException):
        account.configure_async("nobody", max_retry_attempts=0)


@pytest.mark.parametrize(
    "settings",
    [
        {"max_retry_attempts": 1.5},
        {"max_retry_attempts": True},
        {"max_retry_attempts": "2"},
        {"max_event_age_s": 60.5},
        {"max_event_age_s": "600"},
    ],
)
def test_configure_async_refuses_values_that_are_not_whole_numbers(account, settings):
    account.register("f", OK)
    with pytest.raises(InvalidParameterValueException):
        account.configure_async("f", **settings)


# --- workers, fairness, waiting, shutting down ---------------------------------------------------------------------


def test_one_functions_backlog_does_not_hold_up_another(account, shared):
    """Each function has its own queue; workers take from them in turn."""
    manual(account)
    account.configure(async_workers=1)
    account.register("busy", GATED, timeout_s=30)
    account.register("quiet", GATED, timeout_s=30)
    gate = shared / "gate"
    first = account.invoke("busy", {"gate": str(gate)}, invocation_type="Event")
    assert wait_until(lambda: account.governor.in_flight("busy") == 1)  # the only worker is taken
    for _ in range(20):
        account.invoke("busy", {"gate": str(gate)}, invocation_type="Event")
    quiet = account.invoke("quiet", {"gate": str(gate)}, invocation_type="Event")
    gate.touch()
    assert account.wait(timeout=30) is True
    order = [r.request_id for r in account.invocation_records()]
    assert order[0] == first.request_id
    assert order.index(quiet.request_id) <= 2, "the quiet function waited behind the busy one's backlog"
    assert len(order) == 22


def test_async_workers_bound_how_many_events_run_at_once(account, shared):
    manual(account)
    account.configure(async_workers=2)
    account.register("fn", GATED, timeout_s=30)
    gate = shared / "gate"
    for _ in range(6):
        account.invoke("fn", {"gate": str(gate)}, invocation_type="Event")
    assert wait_until(lambda: account.governor.in_flight("fn") == 2)
    time.sleep(0.3)
    books = ledger(account, "fn")
    assert (books.in_flight, books.queued) == (2, 4)
    gate.touch()
    assert account.wait(timeout=30) is True
    assert account.governor.peak["fn"] == 2
    assert settled(account, "fn").succeeded == 6


def test_wait_also_waits_for_synchronous_calls_in_flight(account, shared):
    account.register("fn", GATED, timeout_s=30)
    with held(account, "fn", shared, 1):
        assert account.wait(timeout=0.2) is False
    assert account.wait(timeout=10) is True


def test_shutdown_counts_what_was_still_waiting_and_the_account_stays_usable(account):
    manual(account)
    account.register("fails", FAILING)
    account.invoke("fails", invocation_type="Event")
    assert wait_until(lambda: account.scheduler.pending_timers() == 1)  # waiting for its retry
    account.shutdown()
    books = settled(account, "fails")
    assert (books.received, dict(books.dropped)) == (1, {"AccountShutdown": 1})  # counted, not lost
    assert account.wait(timeout=5) is True
    account.register("works", OK)
    queued = account.invoke("works", invocation_type="Event")
    assert account.wait(timeout=10) is True
    [ran] = account.invocation_records("works")
    assert (ran.request_id, ran.status) == (queued.request_id, "success")


def test_the_books_balance_at_every_moment_not_only_at_the_end(account):
    manual(account)
    account.register("fn", OK)
    account.register("sink", ECHO)
    account.configure_async("fn", on_success="sink")  # sending the record widens the moment
    for n in range(300):
        account.invoke("fn", {"n": n}, invocation_type="Event")
    unbalanced = []
    done = threading.Event()
    waiter = threading.Thread(target=lambda: (account.wait(timeout=60), done.set()))
    waiter.start()
    while not done.is_set():
        books = ledger(account, "fn")
        if not books.balances():
            unbalanced.append(books)
    waiter.join()
    assert settled(account, "fn").succeeded == 300
    assert unbalanced == [], f"{len(unbalanced)} snapshots did not balance, e.g. {unbalanced[0]}"


@pytest.fixture
def thread_errors(monkeypatch):
    """Collects exceptions that end threads (a dying async worker) instead of letting them
    surface in whichever test runs next; request it before ``account``."""
    errors = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    return errors


#: Fails with a 600 KB error message: with a 600 KB event, its invocation record is over 1 MB.
FAILS_LOUDLY = code(
    """
    def lambda_handler(event, context):
        raise ValueError("x" * 600_000)
    """
)


@pytest.mark.parametrize("outcome", ["failure", "success"])
def test_an_oversized_invocation_record_is_counted_not_lost(thread_errors, account, outcome):
    manual(account)
    account.register("loud", FAILS_LOUDLY if outcome == "failure" else ECHO)
    account.register("sink", ECHO)
    account.configure_async("loud", max_retry_attempts=0, **{f"on_{outcome}": "sink"})
    account.invoke("loud", {"blob": "y" * 600_000}, invocation_type="Event")
    assert account.wait(timeout=10) is True
    books = ledger(account, "loud")
    assert books.balances(), books
    assert books.received == 1 and books.finished == 1


def test_an_oversized_invocation_record_does_not_stop_the_queue(thread_errors, account):
    manual(account)
    account.configure(async_workers=1)
    account.register("loud", FAILS_LOUDLY)
    account.register("sink", ECHO)
    account.register("works", OK)
    account.configure_async("loud", max_retry_attempts=0, on_failure="sink")
    account.invoke("loud", {"blob": "y" * 600_000}, invocation_type="Event")
    account.wait(timeout=10)
    queued = account.invoke("works", invocation_type="Event")
    assert account.wait(timeout=3) is True, "the event after the oversized record never ran"
    assert [r.request_id for r in account.invocation_records("works")] == [queued.request_id]
