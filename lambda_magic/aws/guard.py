"""The cost guard: deploys and invokes that reach AWS, counted per kernel, stopped past a limit."""

from __future__ import annotations

from collections.abc import Callable

from ..common.errors import LambdaMagicError


class CallLimitReached(LambdaMagicError):
    """A deploy or invoke past ``max_calls`` that was refused: nothing was sent."""


class CallGuard:
    """Counts the calls that cost money (deploys, invokes); past ``max_calls`` each next one asks.

    ``ask`` is ``input`` in a notebook (answer ``yes`` to make that one call); ``None`` refuses
    without asking.  ``max_calls=None`` counts without a limit.
    """

    def __init__(self, max_calls: int | None = None, *, ask: Callable[[str], str] | None = input, used: int = 0):
        if max_calls is not None and (isinstance(max_calls, bool) or not isinstance(max_calls, int) or max_calls < 0):
            raise LambdaMagicError(f"max_calls must be a whole number >= 0 or None, got {max_calls!r}")
        self.max_calls = max_calls
        self.ask = ask
        #: Deploys and invokes sent so far in this kernel.
        self.used = used

    def check(self, what: str) -> None:
        """Count one call about to be made (``what``: e.g. ``"invoke hello"``), or raise
        :class:`CallLimitReached` before anything is sent."""
        self.check_many(1, what)

    def check_many(self, count: int, what: str) -> None:
        """Count ``count`` calls about to be made together (e.g. a power tuning's versions and
        invokes): past ``max_calls`` it asks once for all of them, or raises before any is sent."""
        if self.max_calls is not None and self.used + count > self.max_calls:
            reason = f"{self.used} AWS calls made, max_calls={self.max_calls}"
            if self.ask is None:
                raise CallLimitReached(f"refused {what}: {reason} (raise it with use_backend('aws', max_calls=N))")
            more = "one more" if count == 1 else f"{count} more"
            try:
                answer = self.ask(f"{reason}. Make {more} ({what})? [yes/no] ")
            except (EOFError, OSError):  # no one to answer (a script without stdin, captured stdin)
                answer = ""
            if answer.strip().lower() not in ("y", "yes"):
                raise CallLimitReached(f"refused {what}: {reason}, and the answer was not yes")
        self.used += count
