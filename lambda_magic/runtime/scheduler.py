"""Timers on the account clock, and knowing when the account is idle.

Work (an async event waiting for its retry, later a poller's next poll) is
scheduled at an account time.  Activity (queued and running events, synchronous
invocations) is counted, so that ``wait`` knows when nothing is left and the
``auto`` clock knows when it may skip ahead to the next timer.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .clock import AccountClock


class Scheduler:
    """One timer thread per account; callbacks must be quick (they hand work on)."""

    def __init__(self, clock: AccountClock):
        self.clock = clock
        self._cond = threading.Condition()
        self._timers: list[tuple[float, int, bool, Callable[[], None]]] = []  # work
        self._house: list[tuple[float, int, bool, Callable[[], None]]] = []  # housekeeping
        self._pending_work_timers = 0
        self._seq = itertools.count()
        self._activity = 0
        self._waiters = 0  # threads in wait()
        self._thread: threading.Thread | None = None
        self._stopped = False
        #: Errors raised by timer callbacks (the clock goes on).
        self.errors: list[str] = []
        clock.on_change(self._wake)

    # --- activity --------------------------------------------------------------------------------

    def add_activity(self, n: int = 1) -> None:
        with self._cond:
            self._activity += n

    def done_activity(self, n: int = 1) -> None:
        with self._cond:
            self._activity -= n
            # Only a waiter, or the timer thread with work timers to skip ahead to, cares that
            # the account went idle: waking the timer thread after every warm invoke would put
            # a thread switch (and the GIL) on the invoke's critical path.
            if self._activity <= 0 and (self._waiters or self._timers):
                self._cond.notify_all()

    @contextmanager
    def activity(self) -> Iterator[None]:
        """Count the enclosed work as activity (the auto clock does not skip during it)."""
        self.add_activity()
        try:
            yield
        finally:
            self.done_activity()

    # --- timers ------------------------------------------------------------------------------------

    def call_at(self, clock_time: float, callback: Callable[[], None], *, work: bool = True) -> int:
        """Run ``callback`` (on the timer thread) at account time ``clock_time``; returns
        the timer's number (for :meth:`cancel`).

        ``work`` timers are what ``wait`` waits for and what the auto clock skips
        ahead to; housekeeping timers (``work=False``, e.g. reaping) are neither.
        """
        with self._cond:
            number = next(self._seq)
            heapq.heappush(self._timers if work else self._house, (clock_time, number, work, callback))
            self._pending_work_timers += work
            self._ensure_thread()
            self._cond.notify_all()
            return number

    def call_later(self, delay_s: float, callback: Callable[[], None], *, work: bool = True) -> int:
        return self.call_at(self.clock.time() + delay_s, callback, work=work)

    def cancel(self, number: int) -> bool:
        """Forget timer ``number`` unless it ran already (a timeout whose answer came); True if found."""
        with self._cond:
            for heap in (self._timers, self._house):
                for i, entry in enumerate(heap):
                    if entry[1] == number:
                        heap.pop(i)
                        heapq.heapify(heap)
                        self._pending_work_timers -= entry[2]
                        self._cond.notify_all()
                        return True
        return False

    def _ensure_thread(self) -> None:
        if self._thread is None and not self._stopped:
            self._thread = threading.Thread(target=self._run, name="lambda-clock", daemon=True)
            self._thread.start()

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopped:
                    return
                if not self._timers and not self._house:
                    self._cond.wait()
                    continue
                now = self.clock.time()
                heap = None
                if self._timers and self._timers[0][0] <= now:
                    heap = self._timers
                elif self._house and self._house[0][0] <= now:
                    heap = self._house
                if heap is None:
                    if self._timers and self._activity <= 0 and self.clock.skips_idle_time:
                        self.clock.jump_to(self._timers[0][0])  # nothing is running: skip the idle time
                        continue
                    due = min(h[0][0] for h in (self._timers, self._house) if h)
                    real = self.clock.real_seconds_until(due)
                    self._cond.wait(None if real is None else min(real, 5.0))
                    continue
                _, _, work, callback = heapq.heappop(heap)
                if work:
                    self._pending_work_timers -= 1
                    self._activity += 1  # until the callback has handed its work on
            try:
                callback()
            except Exception as exc:  # one failing timer must not stop the clock: keep it visible
                self.errors.append(f"{type(exc).__name__}: {exc}")
            finally:
                if work:
                    self.done_activity()

    # --- waiting -------------------------------------------------------------------------------

    def idle(self) -> bool:
        with self._cond:
            return self._activity <= 0 and self._pending_work_timers == 0

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until no activity and no work timer is left; False if ``timeout_s`` passed.

        With the ``manual`` clock, waiting moves the clock to each next work timer,
        so everything scheduled still happens, in order, at its AWS time.
        """
        import time

        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._cond:
            self._waiters += 1
            try:
                return self._wait_idle(deadline)
            finally:
                self._waiters -= 1

    def _wait_idle(self, deadline: float | None) -> bool:
        """``wait``'s loop (called with the condition held)."""
        import time

        while self._activity > 0 or self._pending_work_timers > 0:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            if self._activity <= 0 and self.clock.mode == "manual" and self._timers:
                next_work = self._timers[0][0]
                if next_work > self.clock.time():
                    self._cond.release()
                    try:
                        self.clock.jump_to(next_work)
                    finally:
                        self._cond.acquire()
                    continue
            self._cond.wait(0.5 if remaining is None else min(remaining, 0.5))
        return True

    def pending_timers(self) -> int:
        with self._cond:
            return self._pending_work_timers

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._timers.clear()
            self._house.clear()
            self._pending_work_timers = 0
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None
        with self._cond:
            self._stopped = False

    def clear(self) -> None:
        """Forget every timer (reset)."""
        with self._cond:
            self._timers.clear()
            self._house.clear()
            self._pending_work_timers = 0
            self._cond.notify_all()
