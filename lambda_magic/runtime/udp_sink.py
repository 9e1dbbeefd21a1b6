"""A UDP socket on 127.0.0.1 that takes datagrams and never blocks a sender.

The account's X-Ray daemon address points here (a later X-Ray daemon reads the
segments).  Nothing reads the socket in the background: datagrams wait in the
socket's receive buffer (the operating system's, bounded; when it is full new
datagrams are dropped, and ``sendto`` still returns at once), and
:meth:`UdpSink.received` moves them into a small bounded buffer of the most
recent ones.
"""

from __future__ import annotations

import collections
import socket
import threading

_MAX_DATAGRAM = 65535


class UdpSink:
    """A bound UDP socket on loopback and the last ``keep`` datagrams it received."""

    def __init__(self, keep: int = 64):
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.setblocking(False)
        self.host, self.port = self._socket.getsockname()[:2]
        self._kept: collections.deque[bytes] = collections.deque(maxlen=keep)
        self._lock = threading.Lock()

    def received(self) -> list[bytes]:
        """The most recent datagrams (oldest first, at most ``keep``), after reading what waits."""
        with self._lock:
            while self._socket.fileno() != -1:
                try:
                    self._kept.append(self._socket.recv(_MAX_DATAGRAM))
                except (BlockingIOError, InterruptedError):
                    break
            return list(self._kept)

    def take(self) -> list[bytes]:
        """The datagrams that arrived since the last call (also kept for :meth:`received`)."""
        new: list[bytes] = []
        with self._lock:
            while self._socket.fileno() != -1:
                try:
                    new.append(self._socket.recv(_MAX_DATAGRAM))
                except (BlockingIOError, InterruptedError):
                    break
            self._kept.extend(new)
        return new

    def close(self) -> None:
        with self._lock:
            self._socket.close()
