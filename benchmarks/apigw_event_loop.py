"""What serving an HTTP API from one event loop could buy: a diagnostic prototype beside ``apigw_load.py``.

``apigw_load.py`` measures the product, whose server gives each keep-alive connection a thread that
blocks while the environment runs the function.  This script measures, with the same clients,
handler and baseline echo, in alternating rounds:

* ``as_served``: the product, unchanged;
* ``threaded_worker``: the product's server and ``handle()`` with the environment round trip
  short-circuited (all of the request's Python work: route, event, records, logs, answer), then a
  blocking round trip of a request-sized ``wire`` frame to a forked worker process that answers at
  once: the same structure as the product, with a trivial environment;
* ``event_loop``: one ``selectors`` thread for every connection (a minimal HTTP/1.1 reader), the same
  ``handle()``, and the round trip to the same workers started without waiting: the loop serves the
  other connections until a worker answers.

The prototypes answer from a stand-in environment and keep the product's records of a short-circuited
invocation: upper bounds for a redesign, never the product's figures.  The ratio to the echo is taken
per round (median over rounds).  Prints one JSON document.  Run: ``python benchmarks/apigw_event_loop.py``
(~40 s).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import statistics
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _bench import emit, machine
from apigw_breakdown import _replaced
from apigw_load import SECONDS_PER_ROUND, THREADS, WARMUP_S, _cpu_per_request, _load, serving

from lambda_magic.endpoints.server import LoopbackServer, Request, Response
from lambda_magic.runtime import wire
from lambda_magic.runtime.environment import InvokeResult, ProcessEnvironment

ROUNDS = 3
PATH = "/items/42"
WORKERS = THREADS
#: What an environment answers for ``{"statusCode": 200, "body": "ok"}`` (the product's reply frame).
REPLY = ("success", b'{"statusCode": 200, "body": "ok"}', None, True, 0, 0.1, 40, (0, 0), 0.05)
#: A frame the size of the product's invoke request (request id, ~800-byte payload, deadline, ARN...).
REQUEST = ("4f2c" * 9, b"x" * 800, 0, "arn:aws:lambda:us-east-1:123456789012:function:items", None, None, "Root=1-0")


@contextlib.contextmanager
def _workers(count: int) -> Iterator[list[socket.socket]]:
    """Forked processes that answer each frame with ``REPLY`` at once; ended by their pids afterwards."""
    channels, pids = [], []
    try:
        for _ in range(count):
            ours, theirs = socket.socketpair()
            pid = os.fork()
            if pid == 0:  # the worker
                ours.close()
                while wire.recv(theirs) is not None:
                    wire.send(theirs, REPLY)
                os._exit(0)
            theirs.close()
            channels.append(ours)
            pids.append(pid)
        yield channels
    finally:
        for channel in channels:
            channel.close()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)


def _no_round_trip(stack: contextlib.ExitStack) -> None:
    """``ProcessEnvironment.invoke`` answers at once, without the environment."""

    def invoke(self: ProcessEnvironment, request: tuple, timeout_s: float) -> InvokeResult:
        self.invocations += 1
        return InvokeResult("success", 0.1, REPLY[1], None, True, [], 0, 40, served_ms=0.05)

    stack.enter_context(_replaced(ProcessEnvironment, "invoke", invoke))


def _threaded(handle: Callable[[Request], Response], channels: list[socket.socket]) -> LoopbackServer:
    """The product's server: ``handle()``, then a blocking round trip to a free worker."""
    free, lock = list(channels), threading.Lock()

    def serve(request: Request) -> Response:
        response = handle(request)
        with lock:
            channel = free.pop()
        try:
            wire.send(channel, REQUEST)
            wire.recv(channel)
        finally:
            with lock:
                free.append(channel)
        return response

    server = LoopbackServer("threaded-worker", serve)
    server.start()
    return server


class _EventLoop:
    """One selector thread serving every keep-alive connection (GET without a body is enough here)."""

    def __init__(self, handle: Callable[[Request], Response], channels: list[socket.socket]):
        self._handle, self._free = handle, list(channels)
        self._waiting: list[tuple[socket.socket, Response]] = []
        self._buffers: dict[socket.socket, bytes] = {}
        self._selector = selectors.DefaultSelector()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.setblocking(False)
        self._wake, self._woken = socket.socketpair()
        self._selector.register(self._listener, selectors.EVENT_READ, "listen")
        self._selector.register(self._woken, selectors.EVENT_READ, "stop")
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._run, name="event-loop", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._wake.send(b"x")
        self._thread.join(timeout=5)
        for sock in [*self._buffers, self._listener, self._wake, self._woken]:
            sock.close()

    def _run(self) -> None:
        while True:
            for key, _ in self._selector.select():
                if key.data == "stop":
                    return
                if key.data == "listen":
                    self._accept()
                elif key.data == "connection":
                    self._read(key.fileobj)  # type: ignore[arg-type]
                else:
                    self._answer(key.fileobj, *key.data)  # type: ignore[arg-type]

    def _accept(self) -> None:
        connection, _ = self._listener.accept()
        connection.setblocking(True)  # the answers are small: a send never waits for the client
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffers[connection] = b""
        self._selector.register(connection, selectors.EVENT_READ, "connection")

    def _read(self, connection: socket.socket) -> None:
        chunk = connection.recv(65536)
        if not chunk:
            self._selector.unregister(connection)
            del self._buffers[connection]
            connection.close()
            return
        data = self._buffers[connection] + chunk
        while b"\r\n\r\n" in data:
            head, _, data = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ")
            raw = [(name, value) for name, _, value in (line.partition(": ") for line in lines[1:])]
            headers = {name.lower(): value for name, value in raw}
            request = Request(method, target, {}, headers, b"", connection.getpeername(), raw, target)
            self._start(connection, self._handle(request))
        self._buffers[connection] = data

    def _start(self, connection: socket.socket, response: Response) -> None:
        if not self._free:
            self._waiting.append((connection, response))
            return
        channel = self._free.pop()
        wire.send(channel, REQUEST)
        self._selector.register(channel, selectors.EVENT_READ, (connection, response))

    def _answer(self, channel: socket.socket, connection: socket.socket, response: Response) -> None:
        self._selector.unregister(channel)
        wire.recv(channel)
        self._free.append(channel)
        headers = "".join(f"{name}: {value}\r\n" for name, value in response.headers.items())
        length = len(response.body)
        head = f"HTTP/1.1 {response.status} OK\r\nServer: event-loop\r\n{headers}Content-Length: {length}\r\n\r\n"
        connection.sendall(head.encode() + response.body)
        if self._waiting:
            self._start(*self._waiting.pop(0))


def main() -> None:
    with serving() as (_, api, echo_port), _workers(2 * WORKERS) as channels:
        threaded = _threaded(api.handle, channels[:WORKERS])  # one worker per client thread each
        loop = _EventLoop(api.handle, channels[WORKERS:])
        try:
            _load(api.port, PATH, WARMUP_S)  # the environments start
            cases: dict[str, tuple[int, bool]] = {
                "as_served": (api.port, False),
                "threaded_worker": (threaded.port, True),
                "event_loop": (loop.port, True),
            }
            rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
            for round_number in range(ROUNDS + 1):  # the first round warms up and is not kept
                for name, (port, short_circuited) in cases.items():
                    with contextlib.ExitStack() as stack:
                        if short_circuited:
                            _no_round_trip(stack)
                        count, _, errors, cpu = _load(port, PATH, WARMUP_S if round_number == 0 else SECONDS_PER_ROUND)
                    echo_count, *_ = _load(echo_port, PATH, WARMUP_S if round_number == 0 else SECONDS_PER_ROUND)
                    if round_number:
                        rounds[name].append({"count": count, "errors": errors, "cpu": cpu, "echo_count": echo_count})
        finally:
            loop.stop()
            threaded.stop()
        figures = {
            name: {
                "requests_per_s_rounds": [round(r["count"] / SECONDS_PER_ROUND, 1) for r in runs],
                "baseline_requests_per_s_rounds": [round(r["echo_count"] / SECONDS_PER_ROUND, 1) for r in runs],
                "ratio_to_baseline_median": round(statistics.median(r["count"] / r["echo_count"] for r in runs), 3),
                "process_cpu_us_per_request": _cpu_per_request([(r["count"], *r["cpu"]) for r in runs]),
                "non_200": sum(r["errors"] for r in runs),
            }
            for name, runs in rounds.items()
        }
        emit(
            {
                "benchmark": "apigw_event_loop",
                "threads": THREADS,
                "rounds": ROUNDS,
                "seconds_per_round": SECONDS_PER_ROUND,
                "note": "the prototypes answer from a stand-in environment: upper bounds for a redesign",
                "figures": figures,
                "machine": machine(),
            }
        )


if __name__ == "__main__":
    main()
