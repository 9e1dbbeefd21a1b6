"""The local cloud's X-Ray API, moto's side (imported in the local cloud's server only).

moto's X-Ray keeps the documents ``PutTraceSegments`` sends, but its summaries are
guesses (``ResponseTime`` always 1, ``Duration`` in whole seconds, no annotations or
services, naive local times, ``FilterExpression`` a 500), it never folds independent
subsegments into their parents, and it never sees what the handlers' SDKs sent to
the account's daemon.  Patched here: ``PutTraceSegments``, ``GetTraceSummaries`` and
``BatchGetTraces`` ask the account, whose store holds the daemon's segments, Lambda's
own, and what was put through this API (see :mod:`.xray_api`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

#: The account's operations by the response methods moto dispatches to: named after the URL path up
#: to moto 5.2.5, after the action from 5.2.6 on (both are patched; moto calls one of them).
_OPERATIONS = {
    "trace_segments": "xray.put",
    "put_trace_segments": "xray.put",
    "trace_summaries": "xray.summaries",
    "get_trace_summaries": "xray.summaries",
    "traces": "xray.batch_get",
    "batch_get_traces": "xray.batch_get",
}


def install(call: Callable[[dict[str, Any]], Any]) -> None:
    from moto.xray.responses import XRayResponse

    def answered(op: str) -> Callable[[Any], Any]:
        def method(self: Any) -> Any:
            try:
                result = call({"op": op, "params": self.request_params})
            except Exception as exc:  # the account has gone or failed: X-Ray's own 500
                return json.dumps({"__type": "InternalFailure", "message": str(exc)}), {"status": 500}
            if isinstance(result, dict) and "error" in result:
                status = 500 if result["error"] == "InternalFailure" else 400
                return json.dumps({"__type": result["error"], "message": result.get("message", "")}), {"status": status}
            return json.dumps(result)

        return method

    for name, op in _OPERATIONS.items():
        setattr(XRayResponse, name, answered(op))
