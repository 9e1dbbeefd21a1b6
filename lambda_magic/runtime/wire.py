"""Length-prefixed frames between the kernel and an execution environment.

Both ends are this package, so frames are pickles; one request is answered by
exactly one reply, so a reader never sees the start of the next frame.
"""

from __future__ import annotations

import pickle
import socket
import struct
from typing import Any

_HEADER = struct.Struct("!I")
_CHUNK = 1 << 16
#: What one read of a reply asks for.
CHUNK = _CHUNK


def send(sock: socket.socket, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEADER.pack(len(data)) + data)


def complete(data: bytes) -> bool:
    """Whether ``data``, the start of a frame, is the whole frame."""
    return len(data) >= _HEADER.size and len(data) >= _HEADER.unpack_from(data)[0] + _HEADER.size


def recv(sock: socket.socket, first: bytes | None = None) -> Any:
    """The next frame's object, or ``None`` when the peer has gone (EOF or reset);
    ``first``: its start, already read (not empty)."""
    try:
        data: bytes | None = sock.recv(_CHUNK) if first is None else first
        assert data is not None
        if len(data) < _HEADER.size:
            data = _fill(sock, data, _HEADER.size)
            if data is None:
                return None
        (size,) = _HEADER.unpack_from(data)
        end = size + _HEADER.size
        if len(data) < end:
            data = _fill(sock, data, end)
            if data is None:
                return None
        return pickle.loads(memoryview(data)[_HEADER.size : end])
    except (ConnectionError, OSError):
        return None


def _fill(sock: socket.socket, data: bytes, size: int) -> bytes | None:
    parts = [data]
    have = len(data)
    while have < size:
        chunk = sock.recv(max(size - have, _CHUNK))
        if not chunk:
            return None
        parts.append(chunk)
        have += len(chunk)
    return b"".join(parts)


# --- log event files ---------------------------------------------------------------------
# An environment appends each log event to a file as it happens, so that what was
# logged before a timeout or a crash is still there when the kernel reads it.


def encode_event(event: tuple[float, str | None, str]) -> bytes:
    timestamp_ms, level, message = event
    data = message.encode(errors="replace")
    return b"%.3f\t%s\t%d\n" % (timestamp_ms, (level or "").encode(), len(data)) + data + b"\n"


def decode_events(data: bytes) -> tuple[list[tuple[float, str | None, str]], int]:
    """The complete events in ``data`` and how many bytes they used (a frame cut
    short by a killed environment is left for later, or ignored)."""
    events = []
    position = 0
    while True:
        newline = data.find(b"\n", position)
        if newline < 0:
            break
        timestamp, level, size = data[position:newline].split(b"\t")
        start = newline + 1
        end = start + int(size)
        if end + 1 > len(data):
            break
        events.append((float(timestamp), level.decode() or None, data[start:end].decode(errors="replace")))
        position = end + 1
    return events, position
