"""X-Ray for the account's functions: tracing mode, sampling, the trace header each
invocation gets, and the segments Lambda itself records.

A function's ``TracingConfig`` mode is ``PassThrough`` (the default: "Lambda will only
trace the request from an upstream service if it contains a tracing header with
sampled=1") or ``Active`` (Lambda also samples requests that come without a decision,
with X-Ray's default rule).  Lambda records two segments for each traced request.
The trace header reaches the handler as ``_X_AMZN_TRACE_ID``::

    Root=1-<epoch hex>-<24 hex>;Parent=<function segment id>;Sampled=1;Lineage=...

An SDK in Lambda (the X-Ray SDK, Powertools Tracer) builds a read-only facade segment
from it (``Root`` the trace, ``Parent`` its id) and sends every closed subsegment to the
daemon with ``parent_id`` = ``Parent``: so ``Parent`` is the id of the function segment
Lambda records here.  For a sampled invocation (DG: "Lambda records ... one for the
Lambda service and one for the function"):

* ``AWS::Lambda`` (the service): from the request to the response;
* ``AWS::Lambda::Function``, child of the first, with subsegments ``Initialization``
  (a cold start's init phase), ``Invocation`` (the handler) and ``Overhead`` (after
  the response).

Propagation: a Lambda API ``Invoke`` that carries ``X-Amzn-Trace-Id`` (botocore sends
the function's own header from inside a handler; a patched SDK sends its subsegment's
id as ``Parent``) joins that trace, its decision honoured (``Sampled=?``: Active
functions sample).  Otherwise, every trigger here names the invocation that caused it
(the handler that sent the SQS message, published to SNS or EventBridge, wrote to
S3...: ``caller_request_id``), where on AWS the header travels with the message
(SQS's ``AWSTraceHeader``...): the invocation joins the caller's trace, with its
sampling decision and the caller's function segment as parent.  An async retry
(same request id) stays in its trace.  Times are wall-clock epoch seconds, as the SDKs
inside the handlers write them.
"""

from __future__ import annotations

import collections
import os
import random
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ..common.errors import InvalidParameterValueException
from .xray_daemon import XRayDaemon
from .xray_header import TraceHeader, new_trace_id
from .xray_sampling import Sampler
from .xray_store import TraceStore

if TYPE_CHECKING:
    from .account import LocalAccount
    from .function import Function
    from .invocation import Invocation

#: ``TracingConfig`` modes.
TRACING_MODES = ("PassThrough", "Active")
#: Trace contexts remembered by request id, for the invocations they cause (at most; else as
#: many as the account retains invocations of, and no fewer than 100).
CONTEXTS_KEPT = 100_000
#: The hook module that makes the local cloud's X-Ray API answer from the account's traces.
XRAY_HOOK = "lambda_magic.runtime.xray_moto"


def check_tracing_mode(mode: object) -> str:
    """``Active`` or ``PassThrough`` (any case), else InvalidParameterValueException."""
    for known in TRACING_MODES:
        if isinstance(mode, str) and mode.lower() == known.lower():
            return known
    raise InvalidParameterValueException(f"tracing {mode!r}: choose Active or PassThrough")


@dataclass(frozen=True)
class TraceContext:
    """One invocation's place in a trace."""

    trace_id: str
    #: The id of the function segment (``Parent`` in the handler's header).
    segment_id: str
    sampled: bool
    #: The caller's segment (the parent of this invocation's service segment), if any.
    upstream: str | None
    header: str


def report_xray_line(context: TraceContext) -> str:
    """What a traced invocation's REPORT line ends with (DG python-logging: the ``XRAY`` line)."""
    return f"\t\nXRAY TraceId: {context.trace_id}\tSegmentId: {context.segment_id}\tSampled: true"


def report_tracing(context: TraceContext) -> dict[str, str]:
    """The ``tracing`` object of a traced invocation's ``platform.report`` (JSON log format)."""
    return {"spanId": context.segment_id, "type": "X-Amzn-Trace-Id", "value": context.header}


def xray(account: LocalAccount) -> XRay:
    """The account's X-Ray (made on first use)."""
    service: XRay = account.extension("xray", lambda: XRay(account))
    return service


class XRay:
    """Sampling, trace contexts, Lambda's own segments and the daemon's store (thread-safe)."""

    def __init__(self, account: LocalAccount):
        self._account = account
        self._lock = threading.Lock()
        self._random = random.Random(os.urandom(32))
        self._samplers: dict[str, Sampler] = {}
        self._contexts: collections.OrderedDict[str, TraceContext] = collections.OrderedDict()
        self.store = TraceStore(lambda: account.settings.retained_invocations)
        self.daemon = XRayDaemon(self.store, lambda: account.endpoints.xray.take())

    # --- sampling and the header ------------------------------------------------------------

    def sampler(self, function_name: str) -> Sampler:
        """The function's sampler (default rule, on the account clock)."""
        with self._lock:
            sampler = self._samplers.get(function_name)
            if sampler is None:
                sampler = self._samplers[function_name] = Sampler(self._account.clock.time)
            return sampler

    def begin(
        self,
        function: Function,
        request_id: str,
        caller_request_id: str | None,
        started_at: float,
        entropy: bytes,
        incoming: str | None = None,
    ) -> TraceContext:
        """The trace context of an invocation about to run (``entropy``: 20 random bytes;
        ``incoming``: the trace header the request came with, if any)."""
        with self._lock:
            again = self._contexts.get(request_id)  # an async retry: the same trace
            upstream = self._contexts.get(caller_request_id) if caller_request_id else None
        received = TraceHeader.parse(unquote(incoming)) if incoming else None
        if again is not None:
            trace_id, sampled, parent = again.trace_id, again.sampled, again.upstream
        elif received is not None:  # the header the call carried (the SDK's subsegment as Parent)
            trace_id, parent = received.root, received.parent
            if received.sampled is None:  # "?": the receiver decides; PassThrough traces only Sampled=1
                sampled = function.config.tracing == "Active" and self.sampler(function.name).sample()
            else:
                sampled = received.sampled
        elif upstream is not None:
            trace_id, sampled, parent = upstream.trace_id, upstream.sampled, upstream.segment_id
        else:
            trace_id, parent = new_trace_id(started_at, entropy), None
            sampled = function.config.tracing == "Active" and self.sampler(function.name).sample()
        segment_id = entropy[12:20].hex()
        header = TraceHeader(trace_id, segment_id, sampled, f"1:{entropy[:4].hex()}:0")
        context = TraceContext(trace_id, segment_id, sampled, parent, str(header))
        retained = self._account.settings.retained_invocations
        kept = CONTEXTS_KEPT if retained is None else min(CONTEXTS_KEPT, max(retained, 100))
        with self._lock:
            self._contexts[request_id] = context
            self._contexts.move_to_end(request_id)
            while len(self._contexts) > kept:
                self._contexts.popitem(last=False)
        return context

    def context(self, request_id: str) -> TraceContext | None:
        """The trace context an invocation ran with (None when forgotten or never run)."""
        with self._lock:
            return self._contexts.get(request_id)

    # --- Lambda's own segments ----------------------------------------------------------------

    def finish(
        self,
        context: TraceContext,
        function: Function,
        invocation: Invocation,
        started_at: float,
        invoke_started_at: float,
        returned_at: float | None = None,
    ) -> None:
        """Record Lambda's segments for a sampled invocation that ended now (its request came
        at ``started_at``, the invoke phase ran from ``invoke_started_at`` until the runtime
        answered at ``returned_at``: None when it never ran), and collect what the handler's
        SDK sent."""
        if not context.sampled:
            return
        for doc in self._lambda_segments(context, function, invocation, started_at, invoke_started_at, returned_at):
            self.store.put(doc)
        self.collect()

    def _id(self) -> str:
        with self._lock:
            return f"{self._random.getrandbits(64):016x}"

    def _lambda_segments(
        self,
        context: TraceContext,
        function: Function,
        invocation: Invocation,
        started_at: float,
        invoke_started_at: float,
        returned_at: float | None,
    ) -> list[dict[str, Any]]:
        ended = time.time()
        invoke_end = (
            returned_at if returned_at is not None else invoke_started_at + (invocation.duration_ms or 0) / 1000
        )
        arn = function.arn if function.version == "$LATEST" else function.version_arn
        aws = {"request_id": invocation.request_id, "function_arn": arn}
        service: dict[str, Any] = {
            "id": self._id(),
            "trace_id": context.trace_id,
            "name": function.name,
            "origin": "AWS::Lambda",
            "start_time": started_at,
            "end_time": ended,
            "resource_arn": arn,
            "http": {"response": {"status": invocation.status_code}},
            "aws": dict(aws),
        }
        if context.upstream:
            service["parent_id"] = context.upstream
        subsegments: list[dict[str, Any]] = []
        function_start = invoke_started_at
        if invocation.init_duration_ms is not None:  # a cold start's init phase, before the invoke
            function_start = invoke_started_at - invocation.init_duration_ms / 1000
            subsegments.append(self._subsegment("Initialization", function_start, invoke_started_at))
        invoke = self._subsegment("Invocation", invoke_started_at, invoke_end)
        if invocation.error is not None:
            invoke["fault"] = True
            invoke["cause"] = {
                "working_directory": "/var/task",
                "exceptions": [
                    {
                        "id": self._id(),
                        "type": str(invocation.error.get("errorType") or "Error"),
                        "message": str(invocation.error.get("errorMessage") or ""),
                    }
                ],
            }
        subsegments.append(invoke)
        subsegments.append(self._subsegment("Overhead", invoke_end, max(invoke_end, ended)))
        function_segment: dict[str, Any] = {
            "id": context.segment_id,
            "trace_id": context.trace_id,
            "parent_id": service["id"],
            "name": function.name,
            "origin": "AWS::Lambda::Function",
            "start_time": function_start,
            "end_time": max(invoke_end, ended),
            "resource_arn": arn,
            "aws": {**aws, "function_version": function.version},
            "subsegments": subsegments,
        }
        if invocation.error is not None:
            function_segment["fault"] = True
        return [service, function_segment]

    def _subsegment(self, name: str, start: float, end: float) -> dict[str, Any]:
        return {"id": self._id(), "name": name, "start_time": start, "end_time": end}

    # --- the daemon and the local cloud ----------------------------------------------------------

    def collect(self) -> None:
        """Move what waits on the daemon's socket into the store."""
        self.daemon.collect()

    def answer(self, payload: dict[str, Any], signer: str | None = None) -> Any:
        """The local cloud's X-Ray API calls (``PutTraceSegments``, ``GetTraceSummaries``,
        ``BatchGetTraces``), answered from this store (see :mod:`.xray_api`)."""
        from .xray_api import answer

        self.collect()
        return answer(self.store, payload)

    def clear(self) -> None:
        with self._lock:
            self._contexts.clear()
            self._samplers.clear()
        self.store.clear()
