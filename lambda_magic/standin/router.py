"""One listening socket on 127.0.0.1 in front of several HTTP servers, routed per connection.

An AWS SDK signs every request with SigV4, whose credential scope names the service
(``Credential=AKID/DATE/REGION/SERVICE/aws4_request`` in ``Authorization``, or the
``X-Amz-Credential`` query parameter of a presigned URL).  The router reads the head
of a connection's first request, picks the upstream for that service, sends it what
it read and then splices bytes both ways until either side closes.  boto3 and the AWS
CLI keep one connection pool per service client, so a connection never changes
service; a request that names none (unsigned) goes to the default upstream.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import urllib.parse
from collections.abc import Callable

from ..endpoints._http_head import read_headers

HOST = "127.0.0.1"
#: The most a request head may take before the router gives up on the connection.
MAX_HEAD_BYTES = 1 << 20
_CHUNK = 65536

#: Maps a service name (``None``: unsigned) to the ``(host, port)`` that serves it.
Upstream = Callable[[str | None], tuple[str, int]]


class RouterError(OSError):
    """The router could not listen (e.g. the port is in use)."""


def _scope_service(credential: str) -> str | None:
    """The service of a SigV4 (or SigV4a) credential ``AKID/DATE[/REGION]/SERVICE/aws4_request``."""
    parts = credential.strip().split("/")
    if len(parts) >= 4 and parts[-1] == "aws4_request":
        return parts[-2] or None
    return None


def service_of(head: bytes) -> str | None:
    """The service a request head is signed for, or None when it names none."""
    request_line, _, rest = head.partition(b"\n")
    words = request_line.decode("iso-8859-1").split()
    if len(words) >= 2:
        query = urllib.parse.urlsplit(words[1]).query
        for value in urllib.parse.parse_qs(query).get("X-Amz-Credential", []):
            if service := _scope_service(value):
                return service

    class _Head:  # what read_headers reads from (a handler's rfile) and answers on
        rfile = io.BytesIO(rest)

        @staticmethod
        def send_error(*_: object) -> None:
            return None

    headers = read_headers(_Head)
    authorization = (headers.get("Authorization") if headers is not None else None) or ""
    for field in authorization.split(","):
        name, equals, value = field.strip().partition("=")
        if equals and name.rsplit(" ", 1)[-1] == "Credential":
            return _scope_service(value)
    return None


def _read_head(connection: socket.socket) -> bytes | None:
    """Everything received up to (at least) the end of the first request head; None if the
    client closed first or sent more than :data:`MAX_HEAD_BYTES` without one."""
    data = b""
    while b"\r\n\r\n" not in data and b"\n\n" not in data:
        if len(data) > MAX_HEAD_BYTES:
            return None
        chunk = connection.recv(_CHUNK)
        if not chunk:
            return None
        data += chunk
    return data


def _pump(source: socket.socket, target: socket.socket) -> None:
    """Copy ``source`` to ``target`` until EOF, then half-close ``target``."""
    try:
        while chunk := source.recv(_CHUNK):
            target.sendall(chunk)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


class Router:
    """Accepts connections on ``127.0.0.1:port`` and hands each to ``upstream(service)``."""

    def __init__(self, upstream: Upstream, port: int = 0):
        self.upstream = upstream
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._listener.bind((HOST, port))
            self._listener.listen(socket.SOMAXCONN)
        except OSError as exc:
            self._listener.close()
            raise RouterError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from None
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closed = False
        #: How many connections went to each service (``None``: unsigned), for tests and logs.
        self.routed: dict[str | None, int] = {}
        self._thread = threading.Thread(target=self._accept, daemon=True, name=f"stand-in router :{self.port}")

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # closed
            if not self._track(connection):
                connection.close()
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True, name="stand-in connection").start()

    def _track(self, *sockets: socket.socket) -> bool:
        with self._lock:
            if self._closed:
                return False
            self._open.update(sockets)
            return True

    def _forget(self, *sockets: socket.socket) -> None:
        with self._lock:
            self._open.difference_update(sockets)
        for sock in sockets:
            sock.close()

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            head = _read_head(client)
            if head is None:
                return
            service = service_of(head)
            with self._lock:
                self.routed[service] = self.routed.get(service, 0) + 1
            upstream = socket.create_connection(self.upstream(service))
            if not self._track(upstream):
                return
            upstream.sendall(head)
            back = threading.Thread(target=_pump, args=(upstream, client), daemon=True, name="stand-in splice")
            back.start()
            _pump(client, upstream)
            back.join()
        except OSError:
            pass
        finally:
            self._forget(client, *([upstream] if upstream is not None else []))

    def close(self) -> None:
        """Stop accepting and cut every open connection."""
        with self._lock:
            self._closed = True
            still_open, self._open = list(self._open), set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        for sock in still_open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread.is_alive():
            self._thread.join(5)
