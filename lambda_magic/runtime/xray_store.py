"""The segment documents the account's X-Ray daemon collected, by trace (bounded).

X-Ray keeps, per segment or independent subsegment id, the last complete document
(a complete one overwrites an ``in_progress`` one).  A segment document may embed
subsegments; the X-Ray SDK in Lambda sends each closed subsegment on its own
(``type: "subsegment"`` with ``trace_id`` and ``parent_id``, the id of its parent
segment or subsegment), and X-Ray folds those into their parents when it answers
``BatchGetTraces``: :meth:`TraceStore.assembled` does the same.

Memory is bounded like the other stores: the most recent ``kept()`` traces (oldest
dropped first, counted in ``dropped``) and at most ``DOCUMENTS_PER_TRACE`` documents
in one trace.
"""

from __future__ import annotations

import collections
import copy
import threading
from collections.abc import Callable, Iterator
from typing import Any

from .xray_header import is_segment_id, is_trace_id

#: X-Ray's limit on one segment document.
DOCUMENT_MAX_BYTES = 64 * 1024
#: Documents kept in one trace (more are refused).
DOCUMENTS_PER_TRACE = 1_000
#: Traces kept at most, whatever the account's retention.
TRACES_KEPT = 10_000


class InvalidSegment(ValueError):
    """A document X-Ray would not take: ``code`` as in ``UnprocessedTraceSegments``."""

    def __init__(self, code: str, message: str, segment_id: str | None = None):
        super().__init__(message)
        self.code = code
        self.segment_id = segment_id


def check_document(doc: Any) -> None:
    """Raise :class:`InvalidSegment` unless ``doc`` is a segment or independent subsegment."""
    if not isinstance(doc, dict):
        raise InvalidSegment("JSONFormatError", "Bad JSON data")
    seg_id = doc.get("id")
    if not is_segment_id(seg_id):
        raise InvalidSegment("MissingParam", "Missing segment ID" if seg_id is None else f"Invalid segment ID {seg_id}")
    for key in ("name", "trace_id", "start_time"):
        if key not in doc:
            raise InvalidSegment("MissingParam", f"Missing {key}", seg_id)
    if not is_trace_id(doc["trace_id"]):
        raise InvalidSegment("InvalidTraceId", f"Invalid trace ID {doc['trace_id']}", seg_id)
    if "end_time" not in doc and doc.get("in_progress") is not True:
        raise InvalidSegment("MissingParam", "Missing end_time or in_progress", seg_id)
    if doc.get("type") == "subsegment" and not is_segment_id(doc.get("parent_id")):
        raise InvalidSegment("MissingParam", "Missing parent_id of an independent subsegment", seg_id)


def is_subsegment(doc: dict[str, Any]) -> bool:
    """An independent subsegment (sent on its own), not a segment."""
    return doc.get("type") == "subsegment"


def walk(entity: dict[str, Any], parent: str | None = None, depth: int = 0) -> Iterator[tuple[dict, str | None, int]]:
    """``(entity, parent id, depth)`` for an entity and every subsegment it embeds."""
    yield entity, parent, depth
    for sub in entity.get("subsegments") or ():
        if isinstance(sub, dict):
            yield from walk(sub, entity.get("id"), depth + 1)


class TraceStore:
    """Segment documents by trace id, then by document id (thread-safe)."""

    def __init__(self, kept: Callable[[], int | None] = lambda: TRACES_KEPT):
        self._kept = kept
        self._lock = threading.Lock()
        self._traces: collections.OrderedDict[str, dict[str, dict[str, Any]]] = collections.OrderedDict()
        #: Traces dropped by retention, and documents refused because their trace was full.
        self.dropped = 0
        self.refused = 0

    def put(self, doc: dict[str, Any]) -> None:
        """Keep a document (a complete one replaces an earlier one with the same id)."""
        check_document(doc)
        kept = self._kept()
        limit = TRACES_KEPT if kept is None else min(max(kept, 1), TRACES_KEPT)
        with self._lock:
            trace = self._traces.get(doc["trace_id"])
            if trace is None:
                trace = self._traces[doc["trace_id"]] = {}
                while len(self._traces) > limit:
                    self._traces.popitem(last=False)
                    self.dropped += 1
            earlier = trace.get(doc["id"])
            if earlier is not None and doc.get("in_progress") and not earlier.get("in_progress"):
                return  # a complete document is never replaced by an in-progress one
            if earlier is None and len(trace) >= DOCUMENTS_PER_TRACE:
                self.refused += 1
                return
            trace[doc["id"]] = doc

    def trace_ids(self) -> list[str]:
        """The kept traces, oldest first."""
        with self._lock:
            return list(self._traces)

    def documents(self, trace_id: str) -> list[dict[str, Any]]:
        """The trace's documents as sent (segments and independent subsegments)."""
        with self._lock:
            return list((self._traces.get(trace_id) or {}).values())

    def assembled(self, trace_id: str) -> list[dict[str, Any]]:
        """The trace's segments with every independent subsegment folded into its parent
        (a subsegment whose parent is missing stays a document of its own)."""
        docs = copy.deepcopy(self.documents(trace_id))
        entities: dict[str, dict[str, Any]] = {}
        for doc in docs:
            for entity, _parent, _depth in walk(doc):
                entities.setdefault(entity["id"], entity)
        segments, orphans = [], []
        for doc in sorted(docs, key=lambda d: d.get("start_time", 0)):
            if not is_subsegment(doc):
                segments.append(doc)
                continue
            parent = entities.get(doc["parent_id"])
            if parent is None or parent is doc:
                orphans.append(doc)
                continue
            sub = {k: v for k, v in doc.items() if k not in ("type", "trace_id", "parent_id")}
            parent.setdefault("subsegments", []).append(sub)
            entities[doc["id"]] = sub
        return segments + orphans

    def clear(self) -> None:
        with self._lock:
            self._traces.clear()
            self.dropped = self.refused = 0


#: The columns of :func:`trace_rows`.
ROW_FIELDS = (
    "trace_id",
    "id",
    "name",
    "kind",
    "origin",
    "namespace",
    "operation",
    "start",
    "end",
    "duration_ms",
    "parent",
    "depth",
    "function",
    "error",
    "fault",
    "throttle",
    "in_progress",
)
_LAMBDA_ORIGINS = ("AWS::Lambda::Function", "AWS::Lambda")


def trace_rows(trace_id: str, segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per segment and subsegment of an assembled trace, in tree order (each entity
    after its parent, siblings by start time); ``depth`` counts ancestors across segments
    (a function segment is one below its ``AWS::Lambda`` service segment)."""
    parents: dict[str, str | None] = {}
    entities: dict[str, tuple[dict[str, Any], str]] = {}
    for doc in segments:
        for entity, parent, depth in walk(doc):
            kind = "segment" if depth == 0 and not is_subsegment(doc) else "subsegment"
            entities[entity["id"]] = (entity, kind)
            parents[entity["id"]] = parent if depth else doc.get("parent_id")
    children: dict[str | None, list[str]] = {}
    for entity_id, parent in parents.items():
        children.setdefault(parent if parent in entities else None, []).append(entity_id)
    rows: list[dict[str, Any]] = []

    def visit(entity_id: str, depth: int, function: str | None) -> None:
        entity, kind = entities[entity_id]
        if kind == "segment" and entity.get("origin") in _LAMBDA_ORIGINS:
            function = entity.get("name")
        start = float(entity.get("start_time") or 0.0)
        end = entity.get("end_time")
        rows.append(
            {
                "trace_id": trace_id,
                "id": entity_id,
                "name": entity.get("name"),
                "kind": kind,
                "origin": entity.get("origin") if kind == "segment" else None,
                "namespace": entity.get("namespace"),
                "operation": (entity.get("aws") or {}).get("operation"),
                "start": start,
                "end": None if end is None else float(end),
                "duration_ms": None if end is None else (float(end) - start) * 1000,
                "parent": parents.get(entity_id),
                "depth": depth,
                "function": function,
                "error": bool(entity.get("error")),
                "fault": bool(entity.get("fault")),
                "throttle": bool(entity.get("throttle")),
                "in_progress": bool(entity.get("in_progress")),
            }
        )
        kids = sorted(children.get(entity_id, ()), key=lambda i: float(entities[i][0].get("start_time") or 0.0))
        for kid in kids:
            visit(kid, depth + 1, function)

    for root in sorted(children.get(None, ()), key=lambda i: float(entities[i][0].get("start_time") or 0.0)):
        visit(root, 0, None)
    return rows
