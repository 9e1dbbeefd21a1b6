"""Ticks on the poller's own thread, for a poller whose poll blocks (the SQS long poll).

``Poller`` runs ``poll()`` on the account's timer thread, which suits a poll that returns
at once.  An SQS poll waits: a long poll (up to ``WaitTimeSeconds``) or a batching window.
This mixin keeps the base's rhythm (work and housekeeping ticks on the account clock) but
hands each tick to one thread of the poller's own: the timer callback only wakes it.  A work
tick stays scheduler activity until it has run, as it would on the timer thread, so
``account.wait()`` and the auto clock see it.  Ticks never overlap; ticks asked for while one
runs are merged into the next.

(This is a candidate for ``Poller`` itself; see the report of issue 5's SQS poller.)
"""

from __future__ import annotations

import functools
import threading

from .base import Poller


class ThreadedTicks(Poller):
    """A poller whose ticks run on its own thread (subclasses still implement ``poll``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._wanted = False
        self._held = 0  # work hand-offs whose activity the coming tick releases
        self._closed = False
        #: True while the running tick was asked for as work (more is expected now).
        self._work_tick = False

    def _schedule(self, delay_s: float, *, work: bool) -> None:
        with self._lock:
            if self._stopped or (self._scheduled and not work):
                return
            self._scheduled = True
        self.account.scheduler.call_later(delay_s, functools.partial(self._hand_off, work), work=work)

    def _hand_off(self, work: bool) -> None:
        """On the timer thread: wake the poller's thread (a work tick stays activity until it ran)."""
        with self._cond:
            if self._closed:
                return
            if work:
                self.account.scheduler.add_activity()
                self._held += 1
            self._wanted = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"poller-{self.resource_name}", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._wanted and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                self._wanted = False
                held, self._held = self._held, 0
            self._work_tick = held > 0
            try:
                self._tick()
            finally:
                if held:
                    self.account.scheduler.done_activity(held)

    def stop(self) -> None:
        super().stop()
        with self._cond:
            self._closed = True
            held, self._held = self._held, 0
            self._cond.notify_all()
        if held:
            self.account.scheduler.done_activity(held)
