"""The account clock: auto, real, scaled and manual time (issue 4, "The account clock").

The mapping itself is tested against a fake wall clock (exact, no timing); the
account-level tests use the manual clock, except the one that shows what ``auto``
does for a failing async event.
"""

from __future__ import annotations

import threading
import time
from datetime import timezone

import pytest

from lambda_magic.runtime import InvalidParameterValueException
from lambda_magic.runtime import clock as clock_module
from lambda_magic.runtime.clock import AccountClock

from .async_helpers import FAILING, GATED, manual
from .helpers import OK, wait_until

T0 = 1_700_000_000.0


class FakeWallClock:
    """Stands in for the ``time`` module inside clock.py: the test moves the wall clock."""

    def __init__(self, now: float = T0):
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def wall(monkeypatch):
    fake = FakeWallClock()
    monkeypatch.setattr(clock_module, "time", fake)
    return fake


# --- the mapping from wall-clock to account time ------------------------------------------------


def test_real_and_auto_follow_the_wall_clock(wall):
    for mode in ("real", "auto"):
        clock = AccountClock(mode)
        start = clock.time()
        assert start == wall.now
        wall.now += 7.25
        assert clock.time() == pytest.approx(start + 7.25)
        assert clock.real_seconds_until(clock.time() + 30) == pytest.approx(30)
        assert clock.skips_idle_time is (mode == "auto")


def test_scaled_runs_scale_times_faster(wall):
    clock = AccountClock("scaled", scale=60)
    start = clock.time()
    wall.now += 2
    assert clock.time() == pytest.approx(start + 120)
    # A wall-clock instant maps to account time by the same factor (handler timestamps).
    assert clock.from_real(wall.now + 0.5) == pytest.approx(start + 150)
    assert clock.from_real(wall.now - 1) == pytest.approx(start + 60)
    # 600 account seconds from now are 10 wall seconds away.
    assert clock.real_seconds_until(clock.time() + 600) == pytest.approx(10)
    assert clock.real_seconds_until(clock.time() - 5) == 0.0
    assert clock.skips_idle_time is False
    assert "scaled x60" in repr(clock)


def test_manual_stands_still_until_advanced(wall):
    clock = AccountClock("manual")
    start = clock.time()
    wall.now += 3600
    assert clock.time() == start
    assert clock.real_seconds_until(start + 1) is None  # never arrives by itself
    assert clock.from_real(wall.now + 100) == start  # handler timestamps all read "now"
    clock.advance(90)
    assert clock.time() == start + 90
    clock.advance(0.5)
    assert clock.time() == start + 90.5
    wall.now += 10
    assert clock.time() == start + 90.5
    assert clock.now() == clock.now().astimezone(timezone.utc)
    assert clock.now().timestamp() == pytest.approx(start + 90.5)


def test_advance_and_jump_only_move_forward(wall):
    clock = AccountClock("manual")
    start = clock.time()
    with pytest.raises(InvalidParameterValueException, match="only moves forward"):
        clock.advance(-1)
    assert clock.time() == start
    clock.jump_to(start - 100)  # behind: nothing happens
    assert clock.time() == start
    clock.jump_to(start + 42)
    assert clock.time() == start + 42


def test_advance_works_in_every_mode(wall):
    for mode in ("auto", "real", "scaled"):
        clock = AccountClock(mode, scale=10)
        start = clock.time()
        clock.advance(300)
        assert clock.time() == pytest.approx(start + 300)
        wall.now += 1
        assert clock.time() == pytest.approx(start + 300 + (10 if mode == "scaled" else 1))


def test_switching_modes_never_moves_time_backwards(wall):
    clock = AccountClock("real")
    readings = [clock.time()]
    steps = [
        (lambda: None, 10, T0 + 10),  # real: +10 wall = +10
        (lambda: clock.set_mode("scaled", 60), 1, T0 + 70),  # scaled x60: +1 wall = +60
        (lambda: clock.set_mode("manual"), 100, T0 + 70),  # manual: the wall moves, time does not
        (lambda: clock.advance(5), 0, T0 + 75),
        (lambda: clock.set_mode("scaled"), 1, T0 + 135),  # the scale is remembered (60)
        (lambda: clock.set_mode("auto"), 2, T0 + 137),
        (lambda: clock.set_mode("real"), 3, T0 + 140),
    ]
    for change, wall_step, expected in steps:
        change()
        assert clock.time() >= readings[-1]  # the switch itself never goes back
        wall.now += wall_step
        readings.append(clock.time())
        assert readings[-1] == pytest.approx(expected)
    assert readings == sorted(readings)


def test_invalid_modes_and_scales_are_refused_in_one_line(wall):
    clock = AccountClock("manual")
    start = clock.time()
    for mode, scale in [("warp", None), ("scaled", 0), ("scaled", -2)]:
        with pytest.raises(InvalidParameterValueException) as caught:
            clock.set_mode(mode, scale)
        assert "\n" not in str(caught.value)
    assert clock.mode == "manual"
    assert clock.time() == start


def test_listeners_hear_every_change(wall):
    clock = AccountClock("manual")
    heard = []
    clock.on_change(lambda: heard.append(clock.time()))
    clock.advance(1)
    clock.jump_to(clock.time() + 1)
    clock.set_mode("real")
    assert heard == [T0 + 1, T0 + 2, T0 + 2]


# --- the clock of an account ------------------------------------------------------------------


def test_account_clock_mode_comes_from_settings(account):
    assert account.clock.mode == "auto"  # the default
    account.configure(clock_mode="scaled", clock_scale=600)
    assert (account.clock.mode, account.clock.scale) == ("scaled", 600)
    real = time.time()
    assert account.clock.from_real(real + 1) - account.clock.from_real(real) == pytest.approx(600)
    with pytest.raises(InvalidParameterValueException):
        account.configure(clock_mode="sideways")
    assert account.clock.mode == "scaled"
    assert account.settings.clock_mode == "scaled"


def test_auto_settles_three_attempts_at_once_with_aws_spacing(account):
    """Out of the box a failing async event's three attempts (about three AWS minutes)
    settle in moments, while invocations and logs show AWS's spacing (issue 4)."""
    assert account.clock.mode == "auto"
    account.register("fails", FAILING)
    queued = account.invoke("fails", {"n": 1}, invocation_type="Event")
    assert account.wait(timeout=10) is True
    records = account.invocation_records("fails")
    assert [r.attempt for r in records] == [1, 2, 3]
    starts = [r.start for r in records]
    assert starts[0] >= queued.start
    # ~60 s before the second attempt, ~120 s before the third (plus the run time of an attempt)
    assert starts[1] - starts[0] == pytest.approx(60, abs=5)
    assert starts[2] - starts[1] == pytest.approx(120, abs=5)
    # The log events carry the same account time: each attempt's START line.
    start_lines = [
        e for e in account.log_events("fails", request_id=queued.request_id) if e.message.startswith("START RequestId:")
    ]
    assert len(start_lines) == 3
    stamps = [e.timestamp_ms / 1000 for e in start_lines]
    assert stamps[1] - stamps[0] == pytest.approx(60, abs=5)
    assert stamps[2] - stamps[1] == pytest.approx(120, abs=5)
    for stamp, record in zip(stamps, records):
        assert stamp == pytest.approx(record.start, abs=1)
    # The account clock skipped the idle minutes: it is now ahead of the wall clock.
    assert account.clock.time() - time.time() >= 175


def test_auto_does_not_skip_while_work_runs(account, shared):
    """While something runs, auto time is real time: a synchronous call in flight keeps
    a pending retry from being jumped to."""
    account.register("fails", FAILING)
    account.register("gated", GATED, timeout_s=30)
    gate = shared / "gate"

    result = {}
    runner = threading.Thread(target=lambda: result.setdefault("r", account.invoke("gated", {"gate": str(gate)})))
    runner.start()
    try:
        assert wait_until(lambda: account.governor.in_flight("gated") == 1)
        account.invoke("fails", invocation_type="Event")
        assert wait_until(lambda: len(account.invocation_records("fails")) == 1)
        first = account.invocation_records("fails")[0].start
        time.sleep(0.3)
        assert len(account.invocation_records("fails")) == 1  # the retry is a minute away in real time
        assert account.clock.time() - first < 30
    finally:
        gate.touch()
        runner.join(30)
    assert result["r"].payload == {"gate": True}
    assert account.wait(timeout=10) is True
    assert [r.attempt for r in account.invocation_records("fails")] == [1, 2, 3]


def test_manual_time_does_not_move_by_itself(account):
    manual(account)
    start = account.clock.time()
    account.register("ok", OK)
    first = account.invoke("ok", {"n": 1})
    time.sleep(0.05)
    second = account.invoke("ok", {"n": 2})
    assert account.clock.time() == start
    assert first.start == second.start == start  # invocations are stamped with account time
    stamps = {e.timestamp_ms for e in account.log_events("ok")}
    assert stamps == {start * 1000}


def test_manual_advance_releases_a_retry_exactly_on_time(account):
    manual(account)
    t0 = account.clock.time()
    account.register("fails", FAILING)
    queued = account.invoke("fails", invocation_type="Event")
    assert wait_until(lambda: account.scheduler.pending_timers() == 1)  # the first attempt failed
    [first] = account.invocation_records("fails")
    assert (first.attempt, first.start) == (1, t0)
    ledger = account.async_ledgers()["fails"]
    assert (ledger.delayed, ledger.retries, ledger.pending) == (1, 1, 1)
    account.clock.advance(59.5)
    time.sleep(0.2)
    assert len(account.invocation_records("fails")) == 1  # not due yet
    account.clock.advance(0.5)
    assert wait_until(lambda: len(account.invocation_records("fails")) == 2)
    second = account.invocation_records("fails")[1]
    assert (second.attempt, second.request_id) == (2, queued.request_id)
    assert second.start == t0 + 60
    # wait() drives the manual clock through what is left: the third attempt, 120 s later.
    assert account.wait(timeout=10) is True
    third = account.invocation_records("fails")[2]
    assert (third.attempt, third.start) == (3, t0 + 180)
    assert account.clock.time() == t0 + 180  # and no further: nothing else was waiting
    assert account.async_ledgers()["fails"].pending == 0


def test_scaled_retries_happen_at_scaled_account_times(account):
    account.configure(clock_mode="scaled", clock_scale=600)  # a minute in a tenth of a second
    account.register("fails", FAILING)
    account.invoke("fails", invocation_type="Event")
    assert account.wait(timeout=10) is True
    starts = [r.start for r in account.invocation_records("fails")]
    assert len(starts) == 3
    assert starts[1] - starts[0] >= 60  # a timer never fires before its account time
    assert starts[2] - starts[1] >= 120


def test_account_time_never_goes_back_across_mode_changes(account):
    account.register("ok", OK)
    readings = [account.clock.time()]
    for change in (
        {"clock_mode": "manual"},
        {"clock_mode": "scaled", "clock_scale": 120},
        {"clock_mode": "real"},
        {"clock_mode": "manual"},
        {"clock_mode": "auto"},
    ):
        account.configure(**change)
        readings.append(account.clock.time())
        readings.append(account.invoke("ok").start)
        if change == {"clock_mode": "manual"}:
            account.clock.advance(30)
            assert account.clock.time() == readings[-2] + 30
            readings.append(account.clock.time())
    assert readings == sorted(readings)
    assert readings[-1] - readings[0] >= 60  # the two manual advances count


def test_idle_environments_are_reaped_on_account_time(account):
    manual(account)
    t0 = account.clock.time()
    account.register("ok", OK)
    assert account.invoke("ok").cold_start is True
    assert account.wait(timeout=5) is True
    assert account.clock.time() == t0  # wait() does not jump to housekeeping
    account.clock.advance(account.settings.idle_timeout_s - 10)
    time.sleep(0.3)
    assert [state for _, state in account.environments()] == ["idle"]  # not idle long enough yet
    account.clock.advance(20)
    assert wait_until(lambda: account.environments() == [])
    assert account.invoke("ok").cold_start is True
