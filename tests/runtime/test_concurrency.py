"""Concurrency and throttling: reserved concurrency, the account limit, 10 requests per second
per unit of concurrency, the scaling rate, and 429 TooManyRequestsException (lambda-semantics
§8.6-8.11).  Time-dependent limits run on the manual clock."""

from __future__ import annotations

import pytest

import lambda_magic
from lambda_magic.runtime import InvalidParameterValueException, TooManyRequestsException
from lambda_magic.runtime.clock import AccountClock
from lambda_magic.runtime.concurrency import ConcurrencyGovernor

from .async_helpers import GATED, governor_slots, held, manual
from .helpers import OK

AWS_REASONS = {
    "ConcurrentInvocationLimitExceeded",
    "FunctionInvocationRateLimitExceeded",
    "ReservedFunctionConcurrentInvocationLimitExceeded",
    "ReservedFunctionInvocationRateLimitExceeded",
    "CallerRateLimitExceeded",
    "ConcurrentSnapshotCreateLimitExceeded",
}


def throttle_rows(account, name):
    return [r for r in account.invocation_records(name) if r.status == "throttled"]


def test_the_exception_is_the_public_one():
    assert lambda_magic.TooManyRequestsException is TooManyRequestsException
    exc = TooManyRequestsException("ConcurrentInvocationLimitExceeded", 1, "f")
    assert exc.status_code == 429
    assert "Rate Exceeded." in str(exc)


# --- reserved concurrency ---------------------------------------------------------------------------


@pytest.mark.parametrize("reserved", [1, 2])
def test_reserved_concurrency_admits_n_and_throttles_the_next(account, shared, reserved):
    account.register("fn", GATED, timeout_s=30, reserved_concurrency=reserved)
    with held(account, "fn", shared, reserved) as running:
        with pytest.raises(TooManyRequestsException) as caught:
            account.invoke("fn", {"gate": str(shared / "other")})
        assert account.governor.in_flight("fn") == reserved  # the throttle took nothing
    exc = caught.value
    assert exc.status_code == 429
    assert exc.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert exc.retry_after_seconds >= 1
    assert exc.function_name == "fn"
    assert [f.result().payload for f in running] == [{"gate": True}] * reserved  # the admitted ones ran
    [row] = throttle_rows(account, "fn")
    assert (row.status, row.status_code, row.invocation_type) == ("throttled", 429, "RequestResponse")
    assert row.throttle_reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert row.error_type == "TooManyRequestsException"
    assert row.function_error is None and row.attempt is None
    assert "throttled" in row.headline() and row.throttle_reason in row.headline()
    assert account.governor.peak["fn"] == reserved
    # Once the environments are free, calls are admitted again.
    assert account.invoke("fn", {"gate": str(shared / "gate-fn-None")}).status == "success"
    assert len(throttle_rows(account, "fn")) == 1


def test_reserved_concurrency_zero_throttles_every_synchronous_call(account):
    account.register("off", OK, reserved_concurrency=0)
    for _ in range(3):
        with pytest.raises(TooManyRequestsException) as caught:
            account.invoke("off")
        assert caught.value.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    rows = account.invocation_records("off")
    assert [r.status for r in rows] == ["throttled"] * 3
    assert len({r.request_id for r in rows}) == 3
    assert account.environments() == []  # nothing was started


def test_put_function_concurrency_changes_and_removes_the_reservation(account):
    account.register("fn", OK)
    assert account.invoke("fn").status == "success"
    account.put_function_concurrency("fn", 0)
    assert account.get_function("fn").reserved_concurrency == 0
    with pytest.raises(TooManyRequestsException):
        account.invoke("fn")
    account.put_function_concurrency("fn", None)  # removed: the unreserved pool again
    assert account.get_function("fn").reserved_concurrency is None
    assert account.invoke("fn").status == "success"
    # Updating the code keeps the reservation (it belongs to the function).
    account.put_function_concurrency("fn", 0)
    account.register("fn", OK.replace("True", "1"))
    with pytest.raises(TooManyRequestsException):
        account.invoke("fn")


def test_reservations_must_leave_100_unreserved(account):
    account.register("a", OK)
    account.register("b", OK)
    with pytest.raises(InvalidParameterValueException) as caught:
        account.put_function_concurrency("a", 901)  # 1000 - 901 < 100
    assert "\n" not in str(caught.value) and "100" in str(caught.value)
    assert account.governor.reserved("a") is None  # refused: nothing changed
    account.put_function_concurrency("a", 900)
    account.put_function_concurrency("a", 500)  # its own reservation is not counted twice
    with pytest.raises(InvalidParameterValueException):
        account.put_function_concurrency("b", 401)
    account.put_function_concurrency("b", 400)
    with pytest.raises(InvalidParameterValueException):
        account.register("c", OK, reserved_concurrency=1)  # nothing left to reserve
    assert account.registry.latest("c") is None
    with pytest.raises(InvalidParameterValueException):
        account.configure(account_concurrency=999)  # below 900 reserved + 100
    assert account.governor.account_limit == 1000
    account.configure(account_concurrency=1200)
    account.register("c", OK, reserved_concurrency=200)
    assert account.governor.reserved("c") == 200


@pytest.mark.parametrize("value", [-1, 1.5, True, "5"])
def test_reserved_concurrency_must_be_a_whole_number(account, value):
    account.register("fn", OK)
    with pytest.raises(InvalidParameterValueException):
        account.put_function_concurrency("fn", value)
    with pytest.raises(InvalidParameterValueException):
        account.register("other", OK, reserved_concurrency=value)


def test_account_concurrency_below_100_is_refused(account):
    with pytest.raises(InvalidParameterValueException):
        account.configure(account_concurrency=99)
    assert account.settings.account_concurrency == 1000


# --- the account limit ---------------------------------------------------------------------------------


def test_the_account_limit_throttles_unreserved_functions_only(account):
    """Unreserved functions share the account limit minus every reservation; a reserved
    function keeps its guaranteed share when the pool is used up."""
    account.configure(account_concurrency=200)
    account.register("free", OK)
    account.register("kept", OK, reserved_concurrency=100)  # leaves 100 unreserved
    with governor_slots(account, "busy", 100):  # 100 unreserved invocations in flight elsewhere
        assert account.governor.available("free") == 0
        with pytest.raises(TooManyRequestsException) as caught:
            account.invoke("free")
        assert caught.value.reason == "ConcurrentInvocationLimitExceeded"
        assert account.invoke("kept").status == "success"  # reserved concurrency is guaranteed
    assert account.invoke("free").status == "success"
    [row] = throttle_rows(account, "free")
    assert row.throttle_reason == "ConcurrentInvocationLimitExceeded"
    # Raising the limit makes room at once.
    with governor_slots(account, "busy", 100):
        account.configure(account_concurrency=201)
        assert account.invoke("free").status == "success"


# --- 10 requests per second per unit of concurrency (synchronous only) ------------------------------


def test_the_eleventh_call_in_a_second_is_throttled_with_reserved_concurrency_1(account):
    manual(account)
    account.register("fn", OK, reserved_concurrency=1)
    for _ in range(10):
        assert account.invoke("fn").status == "success"
    with pytest.raises(TooManyRequestsException) as caught:
        account.invoke("fn")
    assert caught.value.reason == "ReservedFunctionInvocationRateLimitExceeded"
    assert caught.value.retry_after_seconds >= 1
    account.clock.advance(1)
    for _ in range(10):
        assert account.invoke("fn").status == "success"
    with pytest.raises(TooManyRequestsException):
        account.invoke("fn")
    account.clock.advance(0.5)  # the allowance refills continuously: half a second, five calls
    for _ in range(5):
        assert account.invoke("fn").status == "success"
    with pytest.raises(TooManyRequestsException):
        account.invoke("fn")
    reasons = [r.throttle_reason for r in throttle_rows(account, "fn")]
    assert reasons == ["ReservedFunctionInvocationRateLimitExceeded"] * 3
    assert len([r for r in account.invocation_records("fn") if r.status == "success"]) == 25


def test_the_request_rate_scales_with_the_reservation(account):
    manual(account)
    account.register("fn", OK, reserved_concurrency=3)
    results = []
    for _ in range(31):
        try:
            results.append(account.invoke("fn").status)
        except TooManyRequestsException as exc:
            results.append(exc.reason)
    assert results == ["success"] * 30 + ["ReservedFunctionInvocationRateLimitExceeded"]


def test_async_events_have_no_request_rate_limit(account):
    manual(account)
    account.register("fn", OK, reserved_concurrency=1)
    ids = {account.invoke("fn", {"n": n}, invocation_type="Event").request_id for n in range(25)}
    assert account.wait(timeout=30) is True
    records = account.invocation_records("fn")
    assert {r.request_id for r in records} == ids
    assert all(r.status == "success" for r in records)
    books = account.async_ledgers()["fn"]
    assert (books.succeeded, books.throttles) == (25, 0)


def test_unreserved_functions_get_ten_times_the_unreserved_pool():
    clock = AccountClock("manual")
    governor = ConcurrencyGovernor(clock, account_limit=100)
    for _ in range(1000):
        governor.acquire("fn", synchronous=True, new_environment=False)
        governor.release("fn")
    with pytest.raises(TooManyRequestsException) as caught:
        governor.acquire("fn", synchronous=True, new_environment=False)
    assert caught.value.reason == "FunctionInvocationRateLimitExceeded"
    governor.acquire("fn", synchronous=False, new_environment=False)  # async calls are not rate limited
    governor.release("fn")
    governor.acquire("other", synchronous=True, new_environment=False)  # the limit is per function
    governor.release("other")
    clock.advance(0.25)  # 250 more (a quarter of a second: exact in binary, like 1 s and 0.5 s)
    for _ in range(250):
        governor.acquire("fn", synchronous=True, new_environment=False)
        governor.release("fn")
    with pytest.raises(TooManyRequestsException):
        governor.acquire("fn", synchronous=True, new_environment=False)
    assert governor.in_flight() == 0


# --- the scaling rate: 1,000 new environments per function every 10 s ------------------------------


def test_scaling_rate_allows_1000_new_environments_then_100_a_second():
    clock = AccountClock("manual")
    governor = ConcurrencyGovernor(clock, account_limit=5000)
    for _ in range(1000):
        governor.acquire("fn", synchronous=False, new_environment=True)
    assert governor.in_flight("fn") == 1000
    with pytest.raises(TooManyRequestsException) as caught:
        governor.acquire("fn", synchronous=False, new_environment=True)
    assert caught.value.reason in AWS_REASONS
    assert caught.value.retry_after_seconds >= 1
    assert governor.in_flight("fn") == 1000  # the throttled call was not counted
    governor.acquire("fn", synchronous=False, new_environment=False)  # a warm environment is no new one
    governor.acquire("other", synchronous=False, new_environment=True)  # each function has its own rate
    clock.advance(1)  # refills continuously: 100 a second
    for _ in range(100):
        governor.acquire("fn", synchronous=False, new_environment=True)
    with pytest.raises(TooManyRequestsException):
        governor.acquire("fn", synchronous=False, new_environment=True)
    clock.advance(60)  # unused capacity does not pile up beyond 1,000
    for _ in range(1000):
        governor.acquire("fn", synchronous=False, new_environment=True)
    with pytest.raises(TooManyRequestsException):
        governor.acquire("fn", synchronous=False, new_environment=True)
    assert governor.peak["fn"] == 2101


def test_release_returns_concurrency_to_the_right_pool():
    clock = AccountClock("manual")
    governor = ConcurrencyGovernor(clock, account_limit=200)
    governor.set_reserved("kept", 100)
    for _ in range(100):
        governor.acquire("free", synchronous=False, new_environment=False)
    for _ in range(100):
        governor.acquire("kept", synchronous=False, new_environment=False)
    with pytest.raises(TooManyRequestsException):
        governor.acquire("free", synchronous=False, new_environment=False)
    with pytest.raises(TooManyRequestsException):
        governor.acquire("kept", synchronous=False, new_environment=False)
    for _ in range(100):
        governor.release("kept")  # frees reserved capacity, not the unreserved pool
    assert governor.available("free") == 0
    assert governor.available("kept") == 100
    governor.release("free")
    assert governor.available("free") == 1
    governor.acquire("free", synchronous=False, new_environment=False)


def test_a_refused_configure_changes_nothing(account):
    with pytest.raises(InvalidParameterValueException):
        account.configure(account_concurrency=500, clock_mode="sideways")
    assert account.settings.account_concurrency == 1000
    assert account.governor.account_limit == 1000
