"""The X-Ray trace header, ``X-Amzn-Trace-Id`` (in Lambda: ``_X_AMZN_TRACE_ID``).

``Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1``: the trace
id is ``1-``, the epoch seconds in 8 hex digits, ``-`` and 96 random bits (24 hex digits);
``Parent`` is the id (16 hex digits) of the segment or subsegment that made the call;
``Sampled`` is ``1`` (record), ``0`` (do not) or ``?`` (the receiver decides).  Other
fields (``Lineage``, Lambda's chain of requests) are kept as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TRACE_ID = re.compile(r"^1-[0-9a-f]{8}-[0-9a-f]{24}$")
_SEGMENT_ID = re.compile(r"^[0-9a-f]{16}$")


def is_trace_id(value: object) -> bool:
    """True for ``1-<8 hex>-<24 hex>``."""
    return isinstance(value, str) and bool(_TRACE_ID.match(value))


def is_segment_id(value: object) -> bool:
    """True for 16 hex digits (a segment or subsegment id)."""
    return isinstance(value, str) and bool(_SEGMENT_ID.match(value))


def new_trace_id(epoch_s: float, random: bytes) -> str:
    """A trace id for a request that started at ``epoch_s`` (``random``: at least 12 bytes)."""
    return f"1-{int(epoch_s):08x}-{random[:12].hex()}"


@dataclass(frozen=True)
class TraceHeader:
    """One parsed trace header; ``sampled`` is True, False or None (``?`` or missing)."""

    root: str
    parent: str | None = None
    sampled: bool | None = None
    lineage: str | None = None

    @classmethod
    def parse(cls, text: str | None) -> TraceHeader | None:
        """The header's fields, or None when it has no valid ``Root``."""
        if not text:
            return None
        fields: dict[str, str] = {}
        for part in text.split(";"):
            key, _, value = part.strip().partition("=")
            fields[key] = value
        root = fields.get("Root", "")
        if not is_trace_id(root):
            return None
        parent = fields.get("Parent")
        sampled = {"1": True, "0": False}.get(fields.get("Sampled", ""))
        return cls(root, parent if is_segment_id(parent) else None, sampled, fields.get("Lineage"))

    def __str__(self) -> str:
        text = f"Root={self.root}"
        if self.parent:
            text += f";Parent={self.parent}"
        text += ";Sampled=" + {True: "1", False: "0", None: "?"}[self.sampled]
        if self.lineage:
            text += f";Lineage={self.lineage}"
        return text
