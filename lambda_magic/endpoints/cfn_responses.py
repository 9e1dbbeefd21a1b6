"""CloudFormation's ``ResponseURL``: an HTTPS server on 127.0.0.1 that takes PUTs as S3 does.

On AWS the URL is a presigned S3 PUT URL and the custom resource's answer is the object
it uploads.  Here the account serves every such URL itself (an account extension): an
``https://127.0.0.1:PORT/<stack id>|<logical id>|<request id>?X-Amz-...`` address
whose signature is a long random token, certified by the account's local CA
(:mod:`.cfn_tls`), which every execution environment trusts.  As S3 does, the server
takes a PUT with any ``Content-Type`` and any body and answers 200 with an empty body and
an ``ETag``; what CloudFormation then makes of the document (at most 4,096 bytes, its
``Status``, ...) is the stack's business (:mod:`.cfn_stacks`) or, for an event invoked by
hand, the verdict's.  A wrong signature, an unknown or expired URL, or another method is
refused with S3's 403 error document.

Every event the account renders from a ``cloudformation/*`` template gets a fresh URL
here (:meth:`ResponseUrls.prepare`), so ``cfnresponse.send`` and crhelper reach it.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from .cfn_tls import BUNDLE_VARIABLES, LocalAuthority
from .server import LoopbackServer, Request, Response

EXTENSION = "cloudformation_responses"
#: How long a presigned ResponseURL is valid (CloudFormation signs for two hours).
EXPIRES_S = 7200


@dataclass
class Arrival:
    """One PUT that reached a ResponseURL."""

    body: bytes
    content_type: str | None
    at: float  # account time


@dataclass
class PendingResponse:
    """An issued ResponseURL and what arrived at it."""

    url: str
    signature: str
    issued_at: float
    arrivals: list[Arrival] = field(default_factory=list)
    #: Set when the first document arrives (or a waiter's timeout fired).
    done: threading.Event = field(default_factory=threading.Event)
    timed_out: bool = False
    timer: int | None = None
    #: Called (on the server's thread) with the first arrival, before the PUT is answered.
    on_arrival: Callable[[Arrival], None] | None = None

    @property
    def first(self) -> Arrival | None:
        return self.arrivals[0] if self.arrivals else None


def _amz_date(epoch_s: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch_s))


def _s3_error(status: int, code: str, message: str) -> Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
        f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
    ).encode()
    return Response(status, {"Content-Type": "application/xml"}, body)


class ResponseUrls:
    """The account's ResponseURL server (HTTPS, started on first need) and its issued URLs."""

    def __init__(self, account: Any, port: int = 0):
        self.account = account
        self.authority = LocalAuthority()
        self.server = LoopbackServer("cloudformation-responses", self.handle, port, tls=self.authority.server_context())
        self.port = self.server.reserve()
        self._lock = threading.Lock()
        self._pending: dict[str, PendingResponse] = {}  # by unquoted path
        for name in BUNDLE_VARIABLES:
            account.endpoints.set_file(name, str(self.authority.bundle_file))
        account.event_hooks["cloudformation"] = self.prepare

    @classmethod
    def of(cls, account: Any, **options: Any) -> ResponseUrls:
        """The account's ResponseURL server (made on first use)."""
        return account.extension(EXTENSION, lambda: cls(account, **options))

    # --- issuing -----------------------------------------------------------------------------------

    def issue(self, stack_id: str, logical_id: str, request_id: str) -> PendingResponse:
        """A fresh presigned-looking URL for one request (the server starts serving)."""
        settings = self.account.settings
        now = self.account.clock.time()
        signature = secrets.token_hex(32)
        key_id = hashlib.sha256(f"{settings.account_id}/cfn".encode()).hexdigest()[:16].upper()
        path = f"/{quote(stack_id, safe='')}%7C{quote(logical_id, safe='')}%7C{request_id}"
        credential = f"AKIA{key_id}%2F{_amz_date(now)[:8]}%2F{settings.region}%2Fs3%2Faws4_request"
        query = (
            f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={_amz_date(now)}&X-Amz-SignedHeaders=host"
            f"&X-Amz-Expires={EXPIRES_S}&X-Amz-Credential={credential}&X-Amz-Signature={signature}"
        )
        self.server.start()
        pending = PendingResponse(f"https://127.0.0.1:{self.port}{path}?{query}", signature, now)
        with self._lock:
            self._pending[unquote(path)] = pending
        return pending

    def prepare(self, template_id: str, event: dict) -> None:
        """Point a rendered ``cloudformation/*`` event's ``ResponseURL`` at this server."""
        if isinstance(event, dict) and "ResponseURL" in event:
            ids = [str(event.get(key, "")) for key in ("StackId", "LogicalResourceId", "RequestId")]
            event["ResponseURL"] = self.issue(*ids).url

    def find(self, url: Any) -> PendingResponse | None:
        """The issued URL ``url`` (None if it is not one of this server's)."""
        if not isinstance(url, str) or not url.startswith(f"https://127.0.0.1:{self.port}/"):
            return None
        path = url.split("?", 1)[0][len(f"https://127.0.0.1:{self.port}") :]
        with self._lock:
            return self._pending.get(unquote(path))

    def arrived(self, event: Any) -> bytes | None:
        """The last document PUT to ``event``'s ResponseURL, if any arrived."""
        pending = self.find(event.get("ResponseURL") if isinstance(event, dict) else None)
        if pending is None or not pending.arrivals:
            return None
        return pending.arrivals[-1].body

    def expect(self, pending: PendingResponse, timeout_s: float) -> None:
        """Give up on ``pending`` after ``timeout_s`` of account time (a work timer: ``wait`` and the
        auto clock count it); an arrival cancels it."""
        with self._lock:
            if pending.done.is_set():
                return
            pending.timer = self.account.scheduler.call_later(timeout_s, lambda: self._time_out(pending))

    def _time_out(self, pending: PendingResponse) -> None:
        with self._lock:
            if pending.done.is_set():
                return
            pending.timed_out = True
            pending.timer = None
            pending.done.set()

    # --- serving -----------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        with self._lock:
            pending = self._pending.get(unquote(request.path))
        if pending is None:
            return _s3_error(403, "AccessDenied", "Access Denied")
        if request.query.get("X-Amz-Signature", [""])[-1] != pending.signature:
            return _s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        if self.account.clock.time() > pending.issued_at + EXPIRES_S:
            return _s3_error(403, "AccessDenied", "Request has expired")
        if request.method != "PUT":
            return _s3_error(403, "SignatureDoesNotMatch", f"The URL is signed for PUT, not {request.method}.")
        arrival = Arrival(request.body, request.headers.get("content-type"), self.account.clock.time())
        with self._lock:
            pending.arrivals.append(arrival)
            first = len(pending.arrivals) == 1 and not pending.timed_out
            if first and pending.timer is not None:
                self.account.scheduler.cancel(pending.timer)
                pending.timer = None
        if first:
            if pending.on_arrival is not None:
                pending.on_arrival(arrival)
            pending.done.set()
        etag = hashlib.md5(request.body).hexdigest()
        return Response(200, {"ETag": f'"{etag}"', "x-amz-request-id": uuid.uuid4().hex[:16].upper()})

    def stop(self) -> None:
        for name in BUNDLE_VARIABLES:
            self.account.endpoints.discard(name)
        if self.account.event_hooks.get("cloudformation") == self.prepare:
            del self.account.event_hooks["cloudformation"]
        with self._lock:
            pending = list(self._pending.values())
            self._pending.clear()
        for item in pending:
            self._time_out(item)
        self.server.stop()
        self.authority.close()
