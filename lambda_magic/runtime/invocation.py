"""The result of one invocation, with the attributes of DESIGN.md's public contract.

It renders itself as text (deterministic apart from ids and timings); HTML and
DataFrame forms come from a presenter injected by the display layer, so this
module stays free of IPython and pandas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol


class Presenter(Protocol):
    """What the display layer provides to render invocations."""

    def invocation_html(self, invocation: Invocation) -> str: ...

    def invocation_frame(self, invocation: Invocation) -> Any: ...


_UNSET = object()


@dataclass(eq=False, repr=False, slots=True)
class Invocation:
    """One invocation: result or error, timing, memory, billing and its log lines."""

    request_id: str
    function_name: str
    version: str
    invocation_type: str
    status_code: int
    #: ``success``, ``error`` or ``timeout`` once run; ``throttled`` (429); ``queued`` (Event) or ``dry-run``;
    #: ``interrupted`` when the kernel was interrupted while it waited (status_code 0: no response).
    status: str
    function_error: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    duration_ms: float | None = None
    billed_duration_ms: int | None = None
    init_duration_ms: float | None = None
    memory_size_mb: int | None = None
    max_memory_used_mb: int | None = None
    cold_start: bool = False
    log_lines: list[str] = field(default_factory=list)
    init_log_lines: list[str] = field(default_factory=list)
    report: str | None = None
    cost_usd: float | None = None
    trigger: str = "direct"
    start: float = 0.0
    timeout_s: int | None = None
    isolation: str | None = None
    log_stream: str | None = None
    limitations: tuple[str, ...] = ()
    #: What limited the environment's CPU: ``0.072 vCPU (cgroup-v1 ...)`` or ``off (why)``.
    cpu_share: str | None = None
    event: Any = None
    architecture: str | None = None
    body: bytes | None = None
    error: dict[str, Any] | None = None
    #: Attempt number of an asynchronous event (1, 2, 3); None for a synchronous call.
    attempt: int | None = None
    #: AWS's ``Reason`` when the invocation was throttled (status ``throttled``, 429).
    throttle_reason: str | None = None
    #: The template the event was built from, and the calling service's verdict on
    #: the answer (see ``lambda_magic.events.verdict``), when there is one.
    template: str | None = None
    verdict: Any = None
    #: For an asynchronous attempt: how long the event had waited in the queue (account seconds).
    event_age_s: float | None = None
    #: The request id of the invocation whose handler made this call through the Lambda API.
    caller_request_id: str | None = None
    #: Where it ran: ``local`` (this account's emulator) or ``aws`` (``lm.use_backend``).
    backend: str = "local"
    #: The qualifier the caller named (a version or an alias; None when unqualified): the
    #: ``Resource`` dimension of the AWS/Lambda metrics.
    qualifier: str | None = None
    presenter: Presenter | None = None
    _payload: Any = field(default=_UNSET)

    @property
    def payload(self) -> Any:
        """The decoded result, or the error document when ``function_error`` is set."""
        if self._payload is _UNSET:
            if self.error is not None:
                self._payload = self.error
            elif self.body is None:
                self._payload = None
            else:
                try:
                    self._payload = json.loads(self.body)
                except ValueError:
                    self._payload = self.body  # a handler that returned bytes
        return self._payload

    @property
    def start_time(self) -> datetime:
        """When the invocation started (UTC)."""
        return datetime.fromtimestamp(self.start, timezone.utc)

    @property
    def ok(self) -> bool:
        return self.status == "success" or self.status in ("queued", "dry-run")

    def to_frame(self) -> Any:
        """This invocation as a one-row DataFrame (the columns of ``lm.invocations()``)."""
        if self.presenter is None:
            raise RuntimeError("to_frame() needs the display layer; use lambda_magic.invoke(), which provides it")
        return self.presenter.invocation_frame(self)

    def _repr_html_(self) -> str | None:
        return None if self.presenter is None else self.presenter.invocation_html(self)

    def headline(self) -> str:
        """One line: what ran and how it ended."""
        text = f"{self.function_name} ({self.version}, {self.invocation_type}): {self.status_code}"
        if self.status == "interrupted":  # no response was given (status_code 0)
            text = f"{self.function_name} ({self.version}, {self.invocation_type}): {self.error_message}"
        elif self.status == "success":
            text += " success"
        elif self.status in ("queued", "dry-run"):
            text += f" {self.status}"
        elif self.status == "throttled":
            return text + f" throttled: TooManyRequestsException ({self.throttle_reason})"
        else:
            text += f" {self.status}, function error {self.function_error}: {self.error_type}"
        if self.cold_start:
            text += ", cold start"
        elif self.status not in ("queued", "dry-run"):
            text += ", warm start"
        return text

    def __repr__(self) -> str:
        lines = [f"Invocation {self.headline()}"]
        if self.status == "success":
            lines.append(f"Result: {_short(self.payload)}")
        elif self.error is not None:
            lines.append(f"Error: {self.error_type}: {self.error_message}")
            for frame in self.error.get("stackTrace") or []:
                lines.extend("  " + part for part in frame.rstrip("\n").splitlines())
        if self.verdict is not None:
            mark = "ok" if self.verdict.ok else "problem"
            lines.append(f"{self.verdict.source} ({mark}): {self.verdict.summary}")
            lines.extend(f"  - {problem}" for problem in self.verdict.problems)
        lines.extend(f"  note: {note}" for note in self.limitations)
        if self.init_log_lines or self.log_lines:
            from .log_excerpt import TEXT_HEAD, TEXT_TAIL, excerpt, hidden_line

            log = excerpt(self.init_log_lines + self.log_lines, TEXT_HEAD, TEXT_TAIL)
            lines.append("Log:")
            lines.extend("  " + line for line in log.head)
            if log.hidden:
                lines.append("  " + hidden_line(log.hidden, self.request_id))
            lines.extend("  " + line for line in log.tail)
        return "\n".join(lines)


def _short(value: Any, limit: int = 2000) -> str:
    if isinstance(value, bytes):
        text = repr(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
