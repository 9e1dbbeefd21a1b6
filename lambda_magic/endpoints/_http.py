"""The ``http.server`` side of :class:`~.server.LoopbackServer` (imported on its first start)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ._http_head import parse_request_head
from .server import Handler, Request, Response


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # rebind the same port right after a stop (Linux: never two listeners)

    def __init__(self, listener: socket.socket, handler: type[BaseHTTPRequestHandler]):
        """Serve on ``listener``, a socket already bound and listening (the reserved address)."""
        super().__init__(listener.getsockname(), handler, bind_and_activate=False)
        self.socket.close()
        self.socket = listener
        self.server_address = listener.getsockname()
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]
        self.connections: set[Any] = set()
        self.connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (reset, broken pipe) is no error; nothing goes to the kernel's stderr."""

    def close_connections(self) -> None:
        """End the kept-alive connections too: a stopped server answers nothing more."""
        with self.connections_lock:
            connections, self.connections = self.connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


def make_handler(name: str, handle: Handler) -> type[BaseHTTPRequestHandler]:
    dates = [(0, "")]  # (second, its Date header), replaced whole: a reader never sees half of it

    class _RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: botocore reuses its connections
        disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall

        def setup(self) -> None:
            super().setup()
            server: Any = self.server
            with server.connections_lock:
                server.connections.add(self.connection)

        def finish(self) -> None:
            server: Any = self.server
            with server.connections_lock:
                server.connections.discard(self.connection)
            with contextlib.suppress(OSError):
                super().finish()

        server_version = name

        def parse_request(self) -> bool:
            """The request line and headers, read without the email package (see ``_http_head``)."""
            parsed = parse_request_head(self)
            return super().parse_request() if parsed is None else parsed

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            split = urlsplit(self.path)
            headers = {name.lower(): value for name, value in self.headers.items()}
            request = Request(
                self.command,
                split.path,
                parse_qs(split.query, keep_blank_values=True) if split.query else {},
                headers,
                body,
                self.client_address,
                list(self.headers.items()),
                self.path,
            )
            try:
                response = handle(request)
            except Exception as exc:  # the endpoint failed: a 500 the SDK understands, never a hung client
                message = f"{type(exc).__name__}: {exc}".encode()
                response = Response(
                    500, {"x-amzn-ErrorType": "ServiceException", "Content-Type": "text/plain"}, message
                )
            self.send_response(response.status)
            for key, value in response.headers.items():
                self.send_header(key, value)
            for key, value in response.header_lines:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(response.body)))
            if self.request_version == "HTTP/0.9" or not hasattr(self, "_headers_buffer"):
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(response.body)
                return
            self._headers_buffer.append(b"\r\n")
            if self.command != "HEAD":  # headers and body in one write: one system call, one segment
                self._headers_buffer.append(response.body)
            self.flush_headers()

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass  # no access log on the kernel's stderr

        def date_time_string(self, timestamp: float | None = None) -> str:
            """The ``Date`` header, formatted once per second (as ``http.server`` formats it)."""
            if timestamp is not None:
                return super().date_time_string(timestamp)
            second = int(time.time())
            cached = dates[0]
            if cached[0] != second:
                cached = dates[0] = (second, formatdate(second, usegmt=True))
            return cached[1]

        def log_message(self, format: str, *args: object) -> None:
            pass  # no access log on the kernel's stderr

    return _RequestHandler
