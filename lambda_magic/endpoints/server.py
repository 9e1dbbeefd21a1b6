"""One small loopback HTTP server that every endpoint module shares.

A threaded ``http.server`` on 127.0.0.1 and a free port, started on first need
(:attr:`LoopbackServer.url`) and stopped with :meth:`stop`.  Its threads are daemon
threads of the kernel process, so the server ends with the kernel, even on SIGKILL.
Nothing but loopback is ever bound.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

HOST = "127.0.0.1"


@dataclass
class Request:
    """One HTTP request as an endpoint sees it."""

    method: str
    path: str  # still percent-encoded
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case
    body: bytes
    peer: tuple[str, int]
    #: The header lines as sent (names in the client's casing, repeats kept, in order).
    raw_headers: list[tuple[str, str]] = field(default_factory=list)
    #: The request target as sent (path and query, still percent-encoded).
    target: str = ""


@dataclass
class Response:
    """What an endpoint answers."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: Further header lines sent as they are after ``headers`` (a name may repeat: ``Set-Cookie``).
    header_lines: list[tuple[str, str]] = field(default_factory=list)


Handler = Callable[[Request], Response]


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 that calls ``handle`` for every request.

    :meth:`reserve` binds the address at once (so it can be handed out before anything
    serves); a watcher thread starts serving when the first connection waits, or
    :meth:`start` does.  Connections made meanwhile wait in the socket's backlog."""

    def __init__(self, name: str, handle: Handler, port: int = 0, *, tls: ssl.SSLContext | None = None):
        self.name = name
        self._handle = handle
        #: With a server-side TLS context the server speaks HTTPS (the handshake runs on the
        #: connection's own thread, at its first read).
        self.tls = tls
        #: The port to bind (0: any free one); once bound, the port it got, so that a restart
        #: keeps the address clients already hold when it is still free.
        self.preferred_port = port
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        """The port (the server starts on first need)."""
        return self.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https://`` with TLS; the server starts on first need)."""
        return f"{'https' if self.tls else 'http'}://{HOST}:{self.start()}"

    def reserve(self) -> int:
        """Bind the address now (once) and start serving when a first connection waits; the port."""
        with self._lock:
            return self._reserve()

    def _reserve(self) -> int:
        if self._listener is None:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # rebind right after a stop
            try:
                listener.bind((HOST, self.preferred_port))
            except OSError:  # taken meanwhile: any free port
                listener.bind((HOST, 0))
            listener.listen(socket.SOMAXCONN)
            self._listener = listener
            self.preferred_port = listener.getsockname()[1]
            threading.Thread(
                target=self._watch, args=(listener,), name=f"lambda_magic-{self.name}-watch", daemon=True
            ).start()
        return self.preferred_port

    def _watch(self, listener: socket.socket) -> None:
        """Start serving when a connection waits on the reserved socket (ends once served or stopped)."""
        while True:
            with self._lock:
                if self._listener is not listener or self._server is not None:
                    return
            try:
                waiting, _, _ = select.select([listener], [], [], 0.5)
            except (OSError, ValueError):  # closed by stop()
                return
            if waiting:
                with self._lock:
                    if self._listener is listener and self._server is None:
                        self._serve(listener)
                return

    def start(self) -> int:
        """Start serving (once); returns the port."""
        with self._lock:
            port = self._reserve()
            if self._server is None:
                assert self._listener is not None
                self._serve(self._listener)
            return port

    def _serve(self, listener: socket.socket) -> None:
        from ._http import Server as _Server  # http.server: imported on first start
        from ._http import make_handler

        if self.tls is not None:
            listener = self.tls.wrap_socket(listener, server_side=True, do_handshake_on_connect=False)
        server = _Server(listener, make_handler(self.name, self._handle))
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.5}, name=f"lambda_magic-{self.name}", daemon=True
        )
        thread.start()
        self._server, self._thread = server, thread

    def stop(self) -> None:
        """Stop serving and free the port (a later :meth:`reserve` or :meth:`start` binds it again)."""
        with self._lock:
            server, thread, listener = self._server, self._thread, self._listener
            self._server = self._thread = self._listener = None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.close_connections()
        elif listener is not None:
            listener.close()
        if thread is not None:
            thread.join(timeout=5)


def account_client(account: Any, service: str, url: str, **options: Any) -> Any:
    """A boto3 client for ``service`` at ``url`` (a server of the account), with the account's
    region and dummy credentials."""
    import boto3

    credentials = account.settings.credentials()
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=account.settings.region,
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials["AWS_SESSION_TOKEN"],
        **options,
    )
