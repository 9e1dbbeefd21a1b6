"""The account's X-Ray daemon: the segments SDKs send to ``AWS_XRAY_DAEMON_ADDRESS``.

The daemon protocol is one UDP datagram per document: a header line, a newline,
then the segment (or independent subsegment) JSON::

    {"format": "json", "version": 1}
    {"trace_id": "1-5759e988-bd862e3fe1be46a994272793", "id": "defdfd9912dc5a56", ...}

The X-Ray SDK writes the header without spaces, so the first line is parsed as JSON,
not compared byte for byte.  The socket is the account's :class:`UdpSink`; nothing
reads it in the background: datagrams wait in the operating system's receive
buffer until :meth:`XRayDaemon.collect` moves them into the :class:`TraceStore`
(after each traced invocation, and before every query).  A datagram that is not
the protocol, or a document X-Ray would refuse, is counted in ``rejected`` and
dropped, as the daemon logs and drops it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from .xray_store import DOCUMENT_MAX_BYTES, InvalidSegment, TraceStore


def parse_datagram(data: bytes) -> dict[str, Any]:
    """The document in one daemon datagram; ValueError when it is not the protocol."""
    header, newline, body = data.partition(b"\n")
    if not newline:
        raise ValueError("no header line")
    try:
        fields = json.loads(header)
    except ValueError:
        raise ValueError("the header line is not JSON") from None
    if not isinstance(fields, dict) or fields.get("format") != "json" or fields.get("version") != 1:
        raise ValueError('the header is not {"format": "json", "version": 1}')
    if len(body) > DOCUMENT_MAX_BYTES:
        raise ValueError(f"the document is over {DOCUMENT_MAX_BYTES} bytes")
    doc = json.loads(body)
    if not isinstance(doc, dict):
        raise ValueError("the document is not a JSON object")
    return doc


class XRayDaemon:
    """Moves what SDKs sent to the daemon's socket into a trace store (thread-safe)."""

    def __init__(self, store: TraceStore, take: Callable[[], list[bytes]]):
        self._store = store
        self._take = take  # the datagrams waiting on the socket
        self._lock = threading.Lock()
        self.received = 0
        self.rejected = 0

    def collect(self) -> int:
        """Read every waiting datagram; returns how many documents were kept."""
        kept = 0
        with self._lock:
            for data in self._take():
                self.received += 1
                try:
                    self._store.put(parse_datagram(data))
                except (ValueError, InvalidSegment):
                    self.rejected += 1
                    continue
                kept += 1
        return kept
