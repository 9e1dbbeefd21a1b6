"""What caused each invocation, and Lambda's recursive loop detection built on it.

AWS tracks a *chain of requests* with the X-Ray trace header's ``Lineage``: every
event a supported service hands to Lambda carries, per function, how many times
that function has already run in the chain, and a function's SDK passes the count
on with every call it makes (SQS keeps it as the message's ``AWSTraceHeader``).
"If your function is invoked approximately 16 times in the same chain of requests,
then Lambda automatically stops the next function invocation in that request chain"
(Lambda DG, invocation-recursion), unless the function's ``RecursiveLoop`` is
``Allow``.

Here each invocation names its cause by request id (``caller_request_id``: the
invocation whose handler called the Lambda API, published the S3 object or SNS
message, or sent the SQS message; for a destination, the source invocation), and
:class:`Lineage` keeps, per request id, how many times each function appears in its
chain: the parent's counts plus one for the function itself.  An async retry keeps
its request id and so its counts.  Messages sent by an invocation are remembered by
message id, so the SQS poller can name the sender of a batch, as ``AWSTraceHeader``
does on AWS.  Everything is bounded: the oldest entries go first.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..common.errors import InvalidParameterValueException, LambdaMagicError

if TYPE_CHECKING:
    from .account import LocalAccount

#: Lambda stops the next invocation once a function ran this many times in one chain of requests.
RECURSION_LIMIT = 16
#: ``RecursiveLoop`` values (``PutFunctionRecursionConfig``); ``Terminate`` is the default.
RECURSIVE_LOOP_VALUES = ("Allow", "Terminate")
#: Request ids (and message ids) remembered; the oldest are forgotten first.
KEPT = 100_000
#: Stopped invocations kept for the flow map.
STOPPED_KEPT = 1_000


class RecursiveInvocationException(LambdaMagicError):
    """Lambda stopped an invocation that is part of a recursive loop (AWS's own name, HTTP 400)."""

    MESSAGE = (
        "Lambda has detected your function being invoked in a recursive loop with other "
        "Amazon Web Services resources and stopped your function's invocation."
    )


@dataclass(frozen=True)
class Stopped:
    """An invocation recursion detection stopped (it never ran)."""

    request_id: str
    function_name: str
    caller_request_id: str | None
    trigger: str
    invocation_type: str
    time: float
    #: How many times the function had run in the chain already.
    count: int


class Lineage:
    """The account's chains of requests (thread-safe)."""

    def __init__(self, account: LocalAccount):
        self._account = account
        self._lock = threading.Lock()
        #: request id -> {function name: times it appears in the chain up to this request}
        self._counts: collections.OrderedDict[str, dict[str, int]] = collections.OrderedDict()
        #: message id -> the request id of the invocation that sent it
        self._senders: collections.OrderedDict[str, str] = collections.OrderedDict()
        #: (request id, resource such as ``sqs:queue``, how) -> messages or records it sent there
        self._sends: collections.OrderedDict[tuple[str, str, str], int] = collections.OrderedDict()
        self._recursive_loop: dict[str, str] = {}
        self.stopped: collections.deque[Stopped] = collections.deque(maxlen=STOPPED_KEPT)

    def _kept(self) -> int:
        """Requests remembered: as many as the account retains invocations of (bounded memory)."""
        retained = self._account.settings.retained_invocations
        return KEPT if retained is None else min(KEPT, max(retained, 100))

    # --- configuration ----------------------------------------------------------------------

    def recursive_loop(self, function_name: str) -> str:
        """The function's ``RecursiveLoop`` setting (``Terminate`` unless set to ``Allow``)."""
        with self._lock:
            return self._recursive_loop.get(function_name, "Terminate")

    @staticmethod
    def check_recursive_loop(value: Any) -> None:
        if value not in RECURSIVE_LOOP_VALUES:
            raise InvalidParameterValueException(
                f"recursive_loop {value!r}: choose one of {', '.join(RECURSIVE_LOOP_VALUES)}"
            )

    def set_recursive_loop(self, function_name: str, value: str) -> None:
        """``PutFunctionRecursionConfig``: ``Allow`` lets the function run in a recursive loop."""
        self.check_recursive_loop(value)
        with self._lock:
            self._recursive_loop[function_name] = value

    def forget_function(self, function_name: str) -> None:
        with self._lock:
            self._recursive_loop.pop(function_name, None)

    # --- the chain ---------------------------------------------------------------------------

    def admit(
        self,
        function_name: str,
        request_id: str,
        caller_request_id: str | None,
        *,
        trigger: str = "direct",
        invocation_type: str = "RequestResponse",
    ) -> None:
        """Count an invocation in its chain (once per request id: a retry is the same request).

        Raises :class:`RecursiveInvocationException` (and counts ``RecursiveInvocationsDropped``)
        when the function already ran ``RECURSION_LIMIT`` times in the chain and its
        ``RecursiveLoop`` is ``Terminate``.
        """
        with self._lock:
            counts = self._counts.get(request_id)
            if counts is None:
                parent = self._counts.get(caller_request_id) if caller_request_id else None
                counts = dict(parent) if parent else {}
                counts[function_name] = counts.get(function_name, 0) + 1
                self._counts[request_id] = counts
                while len(self._counts) > self._kept():
                    self._counts.popitem(last=False)
            count = counts.get(function_name, 0)
            stop = count > RECURSION_LIMIT and self._recursive_loop.get(function_name, "Terminate") == "Terminate"
        if not stop:
            return
        now = self._account.clock.time()
        self.stopped.append(
            Stopped(request_id, function_name, caller_request_id, trigger, invocation_type, now, count - 1)
        )
        self._account.metrics.count(function_name, "RecursiveInvocationsDropped", now)
        raise RecursiveInvocationException(RecursiveInvocationException.MESSAGE)

    def count(self, request_id: str, function_name: str) -> int:
        """How many times ``function_name`` appears in the chain up to ``request_id``."""
        with self._lock:
            return (self._counts.get(request_id) or {}).get(function_name, 0)

    # --- what invocations sent ------------------------------------------------------------------

    def sent(
        self,
        request_id: str,
        resource: str,
        message_ids: list[str] | tuple[str, ...] = (),
        *,
        how: str = "sent",
    ) -> None:
        """The invocation ``request_id`` sent ``message_ids`` (or one record) to ``resource``
        (``how``: ``sent`` by its handler, or Lambda's ``destination`` or ``dead-letter`` delivery)."""
        with self._lock:
            for message_id in message_ids:
                self._senders[message_id] = request_id
                self._senders.move_to_end(message_id)
            while len(self._senders) > KEPT:
                self._senders.popitem(last=False)
            key = (request_id, resource, how)
            self._sends[key] = self._sends.get(key, 0) + (len(message_ids) or 1)
            while len(self._sends) > KEPT:
                self._sends.popitem(last=False)

    def sender(self, function_name: str, message_ids: list[str]) -> str | None:
        """The invocation that sent these messages (a batch: the sender whose chain holds
        ``function_name`` most often, so that a loop is never hidden by a fresh message)."""
        with self._lock:
            senders = [s for m in message_ids if (s := self._senders.get(m)) is not None]
            if not senders:
                return None
            return max(senders, key=lambda s: (self._counts.get(s) or {}).get(function_name, 0))

    def sends(self) -> list[tuple[str, str, str, int]]:
        """``(request id, resource, how, count)`` of everything invocations were seen sending."""
        with self._lock:
            return [(*key, n) for key, n in self._sends.items()]

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
            self._senders.clear()
            self._sends.clear()
            self._recursive_loop.clear()
            self.stopped.clear()


def resource_of_arn(arn: str) -> str:
    """``sqs:QUEUE``, ``sns:TOPIC``, ``events:BUS``, ``s3:BUCKET`` or ``lambda:FUNCTION`` for an ARN
    (the ARN itself when it is none of these)."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn":
        return arn
    service, rest = parts[2], ":".join(parts[5:])
    if service == "lambda" and rest.startswith("function:"):
        return "lambda:" + rest.split(":")[1]
    if service == "events":
        return "events:" + rest.removeprefix("event-bus/")
    return f"{service}:{rest}"


def request_of_signer(account: Any, signer: str | None) -> str | None:
    """The request id of the invocation running in the environment whose access key signed
    (None for keys outside the account's environments, or an environment between requests)."""
    from .environment import environment_of_access_key

    env_id = environment_of_access_key(signer or "")
    if env_id is None:
        return None
    for env, _state in account.pool.environments():
        if env.env_id == env_id:
            return getattr(env, "request_id", None)
    return None
