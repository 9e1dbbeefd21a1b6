"""How often the kernel checks a busy environment's memory while it waits on its answer."""

from __future__ import annotations

import threading

_WATCH_MS = 25
#: Up to this many environments waited on at once, each one's memory is checked every
#: ``_WATCH_MS``; with more, every interval stretches in proportion (1,000 busy environments:
#: every 625 ms), so the kernel makes about 1,600 checks a second however many run.  At 40 a
#: second per environment, 1,000 busy environments took both CPUs of a 2-core machine (each
#: check is a wake-up, the GIL and a /proc read), and made starting them 3.5 times slower.
_WATCH_FULL_RATE = 40


class WaitingCount:
    """How many invocations and inits of one account wait on their environments now (its
    template holds one): the memory watch's interval stretches with it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0

    def add(self, delta: int) -> None:
        with self._lock:
            self.now += delta

    def watch_ms(self) -> int:
        """The memory watch's interval now (ms): ``_WATCH_MS``, longer when many environments are waited on."""
        return max(_WATCH_MS, _WATCH_MS * self.now // _WATCH_FULL_RATE)
