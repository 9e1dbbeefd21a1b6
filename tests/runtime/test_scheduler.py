"""Timers on the account clock, activity counting and ``wait`` (the scheduler)."""

from __future__ import annotations

import threading

import pytest

from lambda_magic.runtime.clock import AccountClock
from lambda_magic.runtime.scheduler import Scheduler

from .async_helpers import Gate
from .helpers import wait_until


@pytest.fixture
def clock():
    return AccountClock("manual")


@pytest.fixture
def scheduler(clock):
    sched = Scheduler(clock)
    try:
        yield sched
    finally:
        sched.stop()


def test_a_manual_timer_runs_only_when_the_clock_reaches_it(clock, scheduler):
    t0 = clock.time()
    gate = Gate(clock)
    scheduler.call_at(t0 + 10, gate)
    assert scheduler.pending_timers() == 1 and not scheduler.idle()
    clock.advance(9.99)
    assert not gate.event.wait(0.2)
    clock.advance(0.01)
    assert gate.event.wait(5)
    assert gate.at == [t0 + 10]
    assert scheduler.wait(timeout_s=5) is True
    assert scheduler.pending_timers() == 0 and scheduler.idle()


def test_wait_drives_the_manual_clock_through_timers_in_time_order(clock, scheduler):
    t0 = clock.time()
    ran = []
    for offset in (30, 10, 20):
        scheduler.call_at(t0 + offset, lambda o=offset: ran.append((o, clock.time())))
    assert scheduler.wait(timeout_s=10) is True
    assert ran == [(10, t0 + 10), (20, t0 + 20), (30, t0 + 30)]
    assert clock.time() == t0 + 30  # it stops at the last timer


def test_timers_scheduled_by_timers_are_waited_for(clock, scheduler):
    """A retry schedules the next retry: wait() follows the chain to its end."""
    t0 = clock.time()
    ran = []

    def step():
        ran.append(clock.time())
        if len(ran) < 3:
            scheduler.call_later(60 * len(ran), step)

    scheduler.call_later(1, step)
    assert scheduler.wait(timeout_s=10) is True
    assert ran == [t0 + 1, t0 + 61, t0 + 181]


def test_housekeeping_timers_are_not_work(clock, scheduler):
    t0 = clock.time()
    reaped = Gate(clock)
    scheduler.call_at(t0 + 100, reaped, work=False)
    assert scheduler.pending_timers() == 0 and scheduler.idle()
    assert scheduler.wait(timeout_s=5) is True
    assert clock.time() == t0  # wait() does not jump to housekeeping
    assert not reaped.event.is_set()
    clock.advance(100)  # but it runs when its time comes
    assert reaped.event.wait(5)


def test_activity_keeps_wait_busy_and_stops_manual_jumps(clock, scheduler):
    t0 = clock.time()
    gate = Gate(clock)
    scheduler.call_at(t0 + 10, gate)
    scheduler.add_activity()
    assert scheduler.wait(timeout_s=0.3) is False
    assert clock.time() == t0 and not gate.event.is_set()  # nothing jumped while work ran
    scheduler.done_activity()
    assert scheduler.wait(timeout_s=5) is True
    assert gate.at == [t0 + 10]


def test_activity_context_counts_while_inside(clock, scheduler):
    with scheduler.activity():
        assert not scheduler.idle()
        assert scheduler.wait(timeout_s=0.1) is False
    assert scheduler.idle()
    assert scheduler.wait(timeout_s=0) is True


def test_auto_skips_idle_time_to_the_next_timer():
    clock = AccountClock("auto")
    scheduler = Scheduler(clock)
    try:
        t0 = clock.time()
        gate = Gate(clock)
        scheduler.call_at(t0 + 3600, gate)  # an hour away
        assert gate.event.wait(10), "the auto clock did not skip to the timer"
        assert gate.at[0] >= t0 + 3600
        assert clock.time() >= t0 + 3600
    finally:
        scheduler.stop()


def test_auto_does_not_skip_while_there_is_activity():
    clock = AccountClock("auto")
    scheduler = Scheduler(clock)
    try:
        t0 = clock.time()
        gate = Gate(clock)
        scheduler.add_activity()
        scheduler.call_at(t0 + 3600, gate)
        assert not gate.event.wait(0.3)
        assert clock.time() < t0 + 60
        scheduler.done_activity()
        assert gate.event.wait(10)
        assert gate.at[0] >= t0 + 3600
        assert scheduler.wait(timeout_s=5) is True
    finally:
        scheduler.stop()


def test_scaled_timers_run_in_scaled_time():
    clock = AccountClock("scaled", scale=3600)  # an hour a second
    scheduler = Scheduler(clock)
    try:
        t0 = clock.time()
        gate = Gate(clock)
        scheduler.call_at(t0 + 360, gate)  # 0.1 s of wall time away
        assert gate.event.wait(10)
        assert gate.at[0] >= t0 + 360
    finally:
        scheduler.stop()


def test_stop_forgets_timers_and_the_scheduler_starts_again(clock, scheduler):
    t0 = clock.time()
    forgotten = Gate(clock)
    scheduler.call_at(t0 + 5, forgotten)
    scheduler.stop()
    assert scheduler.pending_timers() == 0
    clock.advance(10)
    assert not forgotten.event.wait(0.2)
    later = Gate(clock)
    scheduler.call_later(5, later)
    assert scheduler.wait(timeout_s=5) is True
    assert later.at == [t0 + 15]


def test_clear_forgets_timers(clock, scheduler):
    t0 = clock.time()
    scheduler.call_at(t0 + 5, Gate(clock))
    scheduler.call_at(t0 + 6, Gate(clock), work=False)
    scheduler.clear()
    assert scheduler.pending_timers() == 0
    assert scheduler.wait(timeout_s=1) is True
    assert clock.time() == t0


def test_many_threads_scheduling_at_once_all_run(clock, scheduler):
    t0 = clock.time()
    ran = []
    lock = threading.Lock()

    def add(i):
        def callback():
            with lock:
                ran.append(i)

        scheduler.call_at(t0 + (i % 7), callback)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert scheduler.wait(timeout_s=10) is True
    assert sorted(ran) == list(range(200))
    assert clock.time() == t0 + 6


def test_a_failing_callback_does_not_stop_later_timers(clock, scheduler):
    t0 = clock.time()

    failed = threading.Event()

    def broken():
        failed.set()
        raise RuntimeError("a callback failed")

    later = Gate(clock)
    scheduler.call_at(t0 + 1, broken, work=False)  # e.g. the idle-environment reaper
    scheduler.call_at(t0 + 2, later)
    clock.advance(1)
    assert failed.wait(5)
    clock.advance(1)
    assert later.event.wait(2), "the timer after a failing callback never ran"
    assert scheduler.errors == ["RuntimeError: a callback failed"]  # kept visible
    assert scheduler.wait(timeout_s=5) is True


def test_wait_honours_its_timeout_while_a_timer_callback_is_still_running(clock, scheduler):
    t0 = clock.time()
    release = threading.Event()
    scheduler.call_at(t0 + 1, lambda: release.wait(10))
    scheduler.call_at(t0 + 2, Gate(clock))
    clock.advance(1)
    assert wait_until(lambda: scheduler.pending_timers() == 1)  # the first callback has started
    assert scheduler.wait(timeout_s=0.3) is False
    assert clock.time() == t0 + 1  # no jump while the callback counts as activity
    release.set()
    assert scheduler.wait(timeout_s=5) is True
    assert clock.time() == t0 + 2
