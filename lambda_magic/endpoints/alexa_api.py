"""The ``apiEndpoint`` of the Alexa requests the account sends: a loopback address (an account extension).

A skill calls Alexa's service APIs (progressive responses, reminders, customer profile...)
at ``context.System.apiEndpoint`` with ``apiAccessToken``.  On this machine that address is
loopback, so a skill's token and calls never leave it; nothing is emulated behind it: every
call is answered 501 with Alexa's error document ``{"code", "message"}``, and counted.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from .server import LoopbackServer, Request, Response

EXTENSION = "alexa_api"


class AlexaServiceAPI:
    """Answers every call to Alexa's service APIs with an honest "not emulated" error."""

    def __init__(self, account: Any, port: int = 0):
        self.account = account
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self.server = LoopbackServer("alexa-api", self.handle, port)
        self.server.reserve()

    @classmethod
    def of(cls, account: Any) -> AlexaServiceAPI:
        return account.extension(EXTENSION, lambda: cls(account))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.preferred_port}"

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.calls.append((request.method, request.path))
        body = {
            "code": "NOT_IMPLEMENTED",
            "message": f"lambda_magic does not emulate Alexa's service API {request.method} {request.path}",
        }
        return Response(501, {"Content-Type": "application/json"}, json.dumps(body).encode())

    def stop(self) -> None:
        self.server.stop()
