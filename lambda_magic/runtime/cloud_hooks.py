"""Calls from the local cloud's server process back to the account: the hooks.

moto never calls the notebook's functions: where a service "invokes Lambda" (an S3
notification, an SNS subscription, a logs subscription filter, a rule's target) it
asks its own Lambda backend.  A *hook module* changes that inside the server
process: it is imported there, its ``install(call)`` patches moto, and the patched
code calls ``call(payload)`` to reach a handler on the account's side, which
answers (or raises, and the hook sees :class:`~lambda_magic.runtime.cloud_server.HookError`).

The link is a socket pair made when the server starts: JSON lines both ways, each
call with an id, answered in any order, several at a time.  Every call carries the
access key id that signed the request moto is serving (``signer``), so the account
knows which execution environment, and so which invocation, made it.

:class:`CloudHooks` belongs to the account and outlives its clouds (a region change
makes a new cloud; the hooks load into it too)::

    account.cloud_hooks.add("lambda_magic.sources.push.moto_side", handler)

``handler(payload, signer)`` runs on a small thread pool and returns a JSON value.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

#: How long adding a hook waits for a running server to load it.
LOAD_TIMEOUT_S = 30.0
#: Environment variable naming the hook modules a new server loads before it is ready.
MODULES_VARIABLE = "LAMBDA_MAGIC_CLOUD_HOOKS"

Handler = Callable[[dict[str, Any], "str | None"], Any]


def refuse_calls(payload: dict[str, Any], signer: str | None) -> Any:
    """The handler of a hook module that patches moto but never calls the account."""
    raise RuntimeError("this hook module does not call the account")


class CloudHooks:
    """Hook modules by name, with their account-side handlers (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handlers: dict[str, Handler] = {}
        self._links: list[_Link] = []

    def add(self, module: str, handler: Handler) -> None:
        """Load ``module`` into the cloud's server (now if it runs, else when it starts) and
        answer its calls with ``handler``.  Adding a module again replaces its handler."""
        with self._lock:
            self._handlers[module] = handler
            links = [link for link in self._links if module not in link.loaded]
        for link in links:
            link.load(module)  # a module is loaded once per server: its install() patches moto once

    def discard(self, module: str) -> None:
        """Stop answering ``module``'s calls (they fail in the server; moto's own behaviour stays patched)."""
        with self._lock:
            self._handlers.pop(module, None)

    def modules(self) -> list[str]:
        with self._lock:
            return list(self._handlers)

    def handler(self, module: str) -> Handler | None:
        with self._lock:
            return self._handlers.get(module)

    # --- the link to one server process (made by the cloud) ------------------------------------

    def connect(self) -> tuple[socket.socket, Callable[[], None]]:
        """A socket for a server process about to start (its end), and ``start()`` to call once it runs."""
        ours, theirs = socket.socketpair()
        link = _Link(self, ours)
        link.loaded.update(self.modules())  # the server loads these at its start

        def start() -> None:
            with self._lock:
                self._links.append(link)
                missed = [module for module in self._handlers if module not in link.loaded]
            link.start()
            for module in missed:  # added while the server started: no one else will load them
                link.load(module)

        return theirs, start

    def _forget(self, link: _Link) -> None:
        with self._lock:
            if link in self._links:
                self._links.remove(link)


class _Link:
    """The account's end of one server process's socket."""

    def __init__(self, hooks: CloudHooks, sock: socket.socket):
        self._hooks = hooks
        self._sock = sock
        self._write_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lambda_magic cloud hook")
        self._loads: dict[int, threading.Event] = {}
        #: The hook modules this server has been asked to load.
        self.loaded: set[str] = set()
        self._next = 0
        self._state_lock = threading.Lock()

    def start(self) -> None:
        threading.Thread(target=self._read, daemon=True, name="lambda_magic cloud hooks").start()

    def load(self, module: str) -> None:
        self.loaded.add(module)
        with self._state_lock:
            self._next += 1
            number, loaded = self._next, threading.Event()
            self._loads[number] = loaded
        try:
            self._send({"id": number, "load": module})
        except OSError:
            return  # the server has ended; the next one loads every module at its start
        loaded.wait(LOAD_TIMEOUT_S)

    def _send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode()
        with self._write_lock:
            self._sock.sendall(data)

    def _read(self) -> None:
        try:
            with self._sock.makefile("rb") as lines:
                for line in lines:
                    message = json.loads(line)
                    if "loaded" in message:
                        with self._state_lock:
                            done = self._loads.pop(message["id"], None)
                        if done is not None:
                            done.set()
                    else:
                        self._pool.submit(self._answer, message)
        except (OSError, ValueError):
            pass
        finally:
            self._hooks._forget(self)
            self._pool.shutdown(wait=False)
            with self._state_lock:
                for waiting in self._loads.values():
                    waiting.set()
            self._sock.close()

    def _answer(self, message: dict[str, Any]) -> None:
        handler = self._hooks.handler(message["hook"])
        reply: dict[str, Any] = {"id": message["id"]}
        if handler is None:
            reply["error"] = f"no handler for {message['hook']} in this account"
        else:
            try:
                reply["result"] = handler(message["call"], message.get("signer"))
            except Exception as exc:  # the hook sees the failure; the server keeps serving
                reply["error"] = f"{type(exc).__name__}: {exc}"
        try:
            try:
                self._send(reply)
            except (TypeError, ValueError) as exc:  # an answer JSON cannot carry: say so, never leave the call waiting
                self._send({"id": message["id"], "error": f"the account's answer is not JSON: {exc}"})
        except OSError:
            pass  # the server has ended
