"""X-Ray's default sampling rule, as Lambda applies it to a function with active tracing.

"By default, the X-Ray SDK records the first request each second, and five percent of
any additional requests" (the default rule: a reservoir of 1 per second, then a fixed
rate of 0.05).  Lambda's own sampling is not configurable.  The second is the account
clock's, so a manual clock that stands still keeps one second open (one request, then
5%), and ``advance`` opens the next.
"""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Callable

#: The default rule: the reservoir (requests per second always recorded) and the fixed rate after it.
RESERVOIR_PER_SECOND = 1
FIXED_RATE = 0.05


class Sampler:
    """Decides, per request, whether an actively traced function records it (thread-safe).

    ``rng`` draws the fixed-rate decisions (a float in ``[0, 1)``); pass a seeded
    ``random.Random().random`` to replay a sequence."""

    def __init__(self, clock: Callable[[], float], rng: Callable[[], float] | None = None):
        self._clock = clock
        #: The fixed-rate draws (replace with a seeded ``random.Random(n).random`` to replay them).
        self.rng = rng or random.Random(os.urandom(16)).random
        self._lock = threading.Lock()
        self._second: int | None = None
        self._taken = 0
        #: Decisions so far: (by the reservoir, by the fixed rate, not sampled).
        self.counts = [0, 0, 0]

    def sample(self) -> bool:
        """One request: True to record it."""
        second = int(self._clock())
        with self._lock:
            if second != self._second:
                self._second, self._taken = second, 0
            if self._taken < RESERVOIR_PER_SECOND:
                self._taken += 1
                self.counts[0] += 1
                return True
            sampled = self.rng() < FIXED_RATE
            self.counts[1 if sampled else 2] += 1
            return sampled
