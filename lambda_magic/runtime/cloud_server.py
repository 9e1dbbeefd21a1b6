"""The local cloud's server process: moto on the kernel's listening socket, ended with its parent.

Run as ``python -m lambda_magic.runtime.cloud_server CONTROL_FD LISTEN_FD HOOKS_FD``.  The
kernel reserved the address (``LISTEN_FD``, a socket listening on 127.0.0.1) and
started this process when a first connection waited on it: moto serves that
socket, backlog included, and prints ``ready`` once it does.  When the control
pipe reaches EOF (the kernel stopped the cloud, or ended, even by SIGKILL) or
its parent changes, it exits.  Docker is pointed at a closed port so that moto
can never start a container.

``HOOKS_FD`` is this process's end of the account's hook link (see
:mod:`lambda_magic.runtime.cloud_hooks`): the hook modules named in
``LAMBDA_MAGIC_CLOUD_HOOKS`` are installed before ``ready``, others when the
account asks, and each reaches the account through :meth:`AccountLink.call`.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import re
import select
import socket
import sys
import threading
from typing import Any

_ACCESS_KEY = re.compile(r"Credential=([^/,\s]+)/")
#: How long a hook waits for the account's answer.
CALL_TIMEOUT_S = 30.0


class HookError(RuntimeError):
    """The account could not answer a hook's call (its handler raised, or it has gone)."""


class AccountLink:
    """This process's end of the hook link: calls to the account, and loading hook modules."""

    def __init__(self, fd: int):
        self._sock = socket.socket(fileno=fd)
        self._write_lock = threading.Lock()
        self._lock = threading.Lock()
        self._pending: dict[int, list[Any]] = {}
        self._next = 0
        self._closed = False
        #: The ``Authorization`` header of the request this thread serves.
        self.request = threading.local()

    def signer(self) -> str | None:
        """The access key id that signed the request this thread serves (None if unsigned)."""
        match = _ACCESS_KEY.search(getattr(self.request, "authorization", None) or "")
        return match.group(1) if match else None

    def call(self, hook: str, payload: dict[str, Any]) -> Any:
        """Ask the account's handler of ``hook``; its answer, or :class:`HookError`."""
        done = threading.Event()
        slot: list[Any] = [done, None]
        with self._lock:
            if self._closed:
                raise HookError("the account has gone")
            self._next += 1
            number = self._next
            self._pending[number] = slot
        try:
            self._send({"id": number, "hook": hook, "call": payload, "signer": self.signer()})
            if not done.wait(CALL_TIMEOUT_S):
                raise HookError(f"the account did not answer {hook} within {CALL_TIMEOUT_S:.0f} s")
        finally:
            with self._lock:
                self._pending.pop(number, None)
        reply = slot[1]
        if reply is None or "error" in reply:
            raise HookError(reply["error"] if reply else "the account has gone")
        return reply.get("result")

    def install(self, module: str) -> None:
        importlib.import_module(module).install(functools.partial(self.call, module))

    def _send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode()
        with self._write_lock:
            self._sock.sendall(data)

    def serve(self) -> None:
        """Read answers and load requests until the account closes its end."""
        threading.Thread(target=self._read, daemon=True, name="account link").start()

    def _read(self) -> None:
        try:
            with self._sock.makefile("rb") as lines:
                for line in lines:
                    message = json.loads(line)
                    if "load" in message:
                        try:
                            self.install(message["load"])
                        finally:
                            self._send({"id": message["id"], "loaded": True})
                        continue
                    with self._lock:
                        slot = self._pending.get(message["id"])
                    if slot is not None:
                        slot[1] = message
                        slot[0].set()
        except (OSError, ValueError):
            pass
        finally:
            with self._lock:
                self._closed = True
                for slot in self._pending.values():
                    slot[0].set()

    def middleware(self, app: Any) -> Any:
        """Wrap the WSGI app so that hooks know who signed the request they run in."""

        def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
            self.request.authorization = environ.get("HTTP_AUTHORIZATION")
            try:
                return app(environ, start_response)
            finally:
                self.request.authorization = None

        return wrapped


def main(control_fd: int, listen_fd: int, hooks_fd: int | None = None) -> None:
    os.environ["DOCKER_HOST"] = "tcp://127.0.0.1:9"  # a closed port: no containers, ever
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    handler_class: Any
    try:
        from moto.moto_server.werkzeug_app import MotoRequestHandler as handler_class
    except ImportError:  # older moto: werkzeug's own handler
        handler_class = None

    parent = os.getppid()
    app: Any = DomainDispatcherApplication(create_backend_app)
    if hooks_fd is not None:
        link = AccountLink(hooks_fd)
        for module in filter(None, os.environ.get("LAMBDA_MAGIC_CLOUD_HOOKS", "").split(",")):
            link.install(module)
        link.serve()
        app = link.middleware(app)
    server = make_server(
        "127.0.0.1",
        0,
        app,
        threaded=True,
        request_handler=handler_class,
        fd=listen_fd,
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", flush=True)
    poller = select.poll()
    poller.register(control_fd, select.POLLIN | select.POLLHUP)
    try:
        while os.getppid() == parent:
            if poller.poll(500) and not os.read(control_fd, 1):
                break
    finally:
        os._exit(0)


if __name__ == "__main__":
    main(*(int(argument) for argument in sys.argv[1:4]))
