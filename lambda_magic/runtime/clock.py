"""The account clock: the one source of time for every delay AWS fixes.

Async retry back-off (about 1 and 2 minutes), throttle back-off, maximum event
age, idle-environment reaping, later polling intervals and schedules all run on
it.  Four modes:

* ``auto`` (default): real time, but while no work is running the clock jumps
  straight to the next timer that work is waiting for.  A failing async event's
  three attempts, about three AWS minutes apart, settle in milliseconds, while
  the timestamps still show AWS's spacing.
* ``real``: wall-clock time, nothing skipped.
* ``scaled``: time runs ``scale`` times faster than the wall clock.
* ``manual``: time stands still until :meth:`advance` (for tests and demos).

Handler execution itself is never scaled: durations are always real.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

from ..common.errors import InvalidParameterValueException

MODES = ("auto", "real", "scaled", "manual")


class AccountClock:
    """Maps wall-clock time to account time: ``anchor_clock + (real - anchor_real) * rate``."""

    def __init__(self, mode: str = "auto", scale: float = 60.0):
        self._changed = threading.Lock()
        self._anchor = (time.time(), time.time(), 1.0)  # (real, clock, rate), replaced atomically
        self._listeners: list[Callable[[], None]] = []
        self.mode = "auto"
        self.scale = 1.0
        self.set_mode(mode, scale)

    # --- reading -------------------------------------------------------------------------------

    def time(self) -> float:
        """Now, in epoch seconds of account time."""
        real, clock, rate = self._anchor
        return clock + (time.time() - real) * rate

    @property
    def anchor(self) -> tuple[float, float, float]:
        """``(real, clock, rate)``: account time = clock + (wall time - real) x rate."""
        return self._anchor

    def from_real(self, real_epoch_s: float) -> float:
        """The account time of a wall-clock instant (used for timestamps written by handlers)."""
        real, clock, rate = self._anchor
        return clock + (real_epoch_s - real) * rate

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), timezone.utc)

    def real_seconds_until(self, clock_time: float) -> float | None:
        """Wall-clock seconds until ``clock_time`` arrives by itself (None: never, manual)."""
        _, _, rate = self._anchor
        if rate == 0:
            return None
        return max((clock_time - self.time()) / rate, 0.0)

    @property
    def skips_idle_time(self) -> bool:
        return self.mode == "auto"

    # --- changing --------------------------------------------------------------------------------

    def set_mode(self, mode: str, scale: float | None = None) -> None:
        """Switch mode (``auto``, ``real``, ``scaled`` with ``scale``, ``manual``); time continues."""
        if mode not in MODES:
            raise InvalidParameterValueException(f"clock mode {mode!r}: choose one of {', '.join(MODES)}")
        if scale is not None and scale <= 0:
            raise InvalidParameterValueException("the clock scale must be a positive factor, e.g. 60")
        with self._changed:
            now_clock = self.time()
            self.mode = mode
            if scale is not None:
                self.scale = float(scale)
            rate = {"auto": 1.0, "real": 1.0, "scaled": self.scale, "manual": 0.0}[mode]
            self._anchor = (time.time(), now_clock, rate)
        self._notify()

    def advance(self, seconds: float) -> None:
        """Move account time forward (any mode); timers that fall due run."""
        if seconds < 0:
            raise InvalidParameterValueException("the clock only moves forward")
        with self._changed:
            real, clock, rate = self._anchor
            now = time.time()
            self._anchor = (now, clock + (now - real) * rate + seconds, rate)
        self._notify()

    def jump_to(self, clock_time: float) -> None:
        """Move account time forward to ``clock_time`` if it is ahead (used by ``auto``)."""
        with self._changed:
            ahead = clock_time - self.time()
            if ahead <= 0:
                return
            real, clock, rate = self._anchor
            now = time.time()
            self._anchor = (now, clock + (now - real) * rate + ahead, rate)
        self._notify()

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever the clock is advanced, jumps or changes mode."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in self._listeners:
            listener()

    def __repr__(self) -> str:
        scale = f" x{self.scale:g}" if self.mode == "scaled" else ""
        return f"AccountClock({self.mode}{scale}, now {self.now():%Y-%m-%d %H:%M:%S.%f}"[:-3] + "Z)"
