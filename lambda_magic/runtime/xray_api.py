"""X-Ray's API over the account's traces: ``PutTraceSegments``, ``GetTraceSummaries``,
``BatchGetTraces`` (the local cloud's X-Ray answers these from here, see
:mod:`.xray_moto`: moto's own answers are guesses, e.g. every ``ResponseTime`` is 1 and
durations are whole seconds).

A trace's summary is computed from its documents: ``Duration`` (first start to last
end, seconds), ``ResponseTime`` (the entry segment's duration: the one with no parent
in the trace), ``HasError``/``HasFault``/``HasThrottle`` (any entity flagged),
``Annotations`` and ``ServiceIds`` (each segment's name and origin).  The time range
is ``TimeRangeType`` ``TraceId`` (the trace's start, the default), ``Event`` (its last
update) or ``Service`` (its segments' ends).  ``FilterExpression`` takes a subset of
X-Ray's language: ``service("name")``, ``ok``, ``error``, ``fault``, ``throttle``,
``duration``/``responsetime`` compared with a number, ``annotation.KEY = value``,
joined with ``AND``; anything else is refused with ``InvalidRequestException``.
"""

from __future__ import annotations

import json
import operator
import re
import time
from collections.abc import Callable
from typing import Any

from .xray_store import InvalidSegment, TraceStore, is_subsegment, walk

_COMPARE = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_TERM = re.compile(
    r"""^\s*(?:
      service\(\s*"(?P<service>[^"]*)"\s*\)
    | (?P<flag>ok|error|fault|throttle)
    | (?P<metric>duration|responsetime)\s*(?P<op1>>=|<=|!=|=|<|>)\s*(?P<number>-?\d+(?:\.\d+)?)
    | annotation\.(?P<key>[A-Za-z0-9_]+)\s*(?P<op2>!=|=)\s*(?P<value>"[^"]*"|-?\d+(?:\.\d+)?|true|false)
    )\s*$""",
    re.VERBOSE | re.IGNORECASE,
)


class XRayError(Exception):
    """An X-Ray API error: ``code`` (AWS's ``__type``) and message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def answer(store: TraceStore, payload: dict[str, Any]) -> dict[str, Any]:
    """One call from the local cloud: ``{"op": ..., "params": {...}}`` -> the response body,
    or ``{"error": code, "message": ...}``."""
    params = payload.get("params") or {}
    try:
        op = payload.get("op")
        if op == "xray.put":
            return put_trace_segments(store, params.get("TraceSegmentDocuments"))
        if op == "xray.summaries":
            return get_trace_summaries(store, params)
        if op == "xray.batch_get":
            return batch_get_traces(store, params.get("TraceIds"))
        raise XRayError("InvalidRequestException", f"unknown operation {op!r}")
    except XRayError as exc:
        return {"error": exc.code, "message": str(exc)}


def put_trace_segments(store: TraceStore, documents: Any) -> dict[str, Any]:
    if not isinstance(documents, list):
        raise XRayError("MissingParameter", "Parameter TraceSegmentDocuments is missing")
    unprocessed = []
    for text in documents:
        try:
            try:
                doc = json.loads(text)
            except (TypeError, ValueError):
                raise InvalidSegment("JSONFormatError", "Bad JSON data") from None
            store.put(doc)
        except InvalidSegment as exc:
            item = {"ErrorCode": exc.code, "Message": str(exc)}
            if exc.segment_id:
                item["Id"] = exc.segment_id
            unprocessed.append(item)
    return {"UnprocessedTraceSegments": unprocessed}


def summary(trace_id: str, docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``TraceSummary`` of one trace's documents."""
    entities = [e for doc in docs for e, _, _ in walk(doc)]
    start = min(float(e["start_time"]) for e in entities)
    end = max(float(e.get("end_time") or e["start_time"]) for e in entities)
    ids = {e.get("id") for e in entities}
    segments = [d for d in docs if not is_subsegment(d)]
    roots = sorted((d for d in segments if d.get("parent_id") not in ids), key=lambda d: d["start_time"])
    entry = roots[0] if roots else min(docs, key=lambda d: d["start_time"])
    annotations: dict[str, list[dict[str, Any]]] = {}
    for e in entities:
        for key, value in (e.get("annotations") or {}).items():
            kind = (
                "BooleanValue"
                if isinstance(value, bool)
                else "NumberValue"
                if isinstance(value, (int, float))
                else "StringValue"
            )
            annotations.setdefault(key, []).append({"AnnotationValue": {kind: value}})
    services: dict[tuple[str, str], dict[str, Any]] = {}
    for d in segments:
        kind = str(d.get("origin") or "client")
        services.setdefault((d["name"], kind), {"Name": d["name"], "Names": [d["name"]], "Type": kind})
    result: dict[str, Any] = {
        "Id": trace_id,
        "StartTime": start,
        "Duration": round(end - start, 3),
        "ResponseTime": round(float(entry.get("end_time") or entry["start_time"]) - float(entry["start_time"]), 3),
        "HasFault": any(e.get("fault") for e in entities),
        "HasError": any(e.get("error") for e in entities),
        "HasThrottle": any(e.get("throttle") for e in entities),
        "IsPartial": any(e.get("in_progress") for e in entities),
        "Annotations": annotations,
        "ServiceIds": list(services.values()),
        "EntryPoint": {"Name": entry["name"], "Names": [entry["name"]], "Type": str(entry.get("origin") or "client")},
    }
    status = ((entry.get("http") or {}).get("response") or {}).get("status")
    if status is not None:
        result["Http"] = {"HttpStatus": status}
    return result


def _matcher(expression: str | None) -> Callable[[dict[str, Any]], bool]:
    if not expression or not expression.strip():
        return lambda s: True
    tests: list[Callable[[dict[str, Any]], bool]] = []
    for term in re.split(r"\s+(?:AND|and)\s+|\s*&&\s*", expression.strip()):
        m = _TERM.match(term)
        if m is None:
            raise XRayError(
                "InvalidRequestException",
                f'FilterExpression {term.strip()!r}: the local X-Ray understands service("name"), ok, error, '
                "fault, throttle, duration/responsetime comparisons and annotation.KEY = value, joined with AND",
            )
        tests.append(_test(m))
    return lambda s: all(test(s) for test in tests)


def _test(m: re.Match[str]) -> Callable[[dict[str, Any]], bool]:
    if m["service"] is not None:
        name = m["service"]
        return lambda s: any(name in sid["Names"] for sid in s["ServiceIds"])
    if m["flag"]:
        flag = m["flag"].lower()
        if flag == "ok":
            return lambda s: not (s["HasError"] or s["HasFault"] or s["HasThrottle"])
        key = {"error": "HasError", "fault": "HasFault", "throttle": "HasThrottle"}[flag]
        return lambda s: bool(s[key])
    if m["metric"]:
        field, compare, number = (
            {"duration": "Duration"}.get(m["metric"].lower(), "ResponseTime"),
            _COMPARE[m["op1"]],
            float(m["number"]),
        )
        return lambda s: compare(s[field], number)
    key, equal, raw = m["key"], m["op2"] == "=", m["value"]
    wanted: Any
    if raw.startswith('"'):
        wanted = raw[1:-1]
    elif raw.lower() in ("true", "false"):
        wanted = raw.lower() == "true"
    else:
        wanted = float(raw)

    def values(s: dict[str, Any]) -> list[Any]:
        return [next(iter(v["AnnotationValue"].values())) for v in s["Annotations"].get(key, [])]

    return lambda s: (wanted in values(s)) == equal


def _epoch(value: Any, name: str) -> float:
    if value is None:
        raise XRayError("MissingParameter", f"Parameter {name} is missing")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise XRayError("InvalidRequestException", f"{name} is not a timestamp: {value!r}") from None


def get_trace_summaries(store: TraceStore, params: dict[str, Any]) -> dict[str, Any]:
    start, end = _epoch(params.get("StartTime"), "StartTime"), _epoch(params.get("EndTime"), "EndTime")
    if end < start:
        raise XRayError("InvalidRequestException", "EndTime must be after StartTime")
    range_type = params.get("TimeRangeType") or "TraceId"
    if range_type not in ("TraceId", "Event", "Service"):
        raise XRayError("InvalidRequestException", f"TimeRangeType {range_type!r}: choose TraceId, Event or Service")
    matches = _matcher(params.get("FilterExpression"))
    summaries, processed = [], 0
    for trace_id in reversed(store.trace_ids()):  # the most recent first, as X-Ray pages them
        docs = store.documents(trace_id)
        if not docs:
            continue
        s = summary(trace_id, docs)
        at = s["StartTime"] if range_type == "TraceId" else s["StartTime"] + s["Duration"]  # start, or last update
        if not start <= at <= end:
            continue
        processed += 1
        if matches(s):
            summaries.append(s)
    return {"TraceSummaries": summaries, "ApproximateTime": time.time(), "TracesProcessedCount": processed}


def batch_get_traces(store: TraceStore, trace_ids: Any) -> dict[str, Any]:
    if not isinstance(trace_ids, list):
        raise XRayError("MissingParameter", "Parameter TraceIds is missing")
    traces, unprocessed = [], []
    for trace_id in trace_ids:
        docs = store.assembled(trace_id)
        if not docs:
            unprocessed.append(trace_id)
            continue
        s = summary(trace_id, docs)
        traces.append(
            {
                "Id": trace_id,
                "Duration": s["Duration"],
                "LimitExceeded": False,
                "Segments": [{"Id": d["id"], "Document": json.dumps(d)} for d in docs],
            }
        )
    return {"Traces": traces, "UnprocessedTraceIds": unprocessed}
