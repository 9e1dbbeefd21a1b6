"""Which invocation sent which SQS message: the SQS poller's view of the chain of requests.

On AWS a function's SDK sends its X-Ray trace header with every call and SQS keeps it as
the message's ``AWSTraceHeader`` system attribute; Lambda's poller reads it back, which is
how recursive loop detection follows a chain through a queue.  Here the local cloud's
server (moto, another process) tells the account, as each message is added to a queue,
who signed the request that added it (:func:`install`, a cloud hook module); the account
maps the signer to the invocation running in that execution environment and remembers
the message id (:func:`watch`).  Messages SNS or S3 deliver to a queue count as sent by
whoever published to the topic or wrote the object.  The poller then names the sender as
the batch's ``caller_request_id``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..runtime.lineage import request_of_signer

if TYPE_CHECKING:
    from ..runtime.account import LocalAccount

#: This module, as the cloud hook module the server loads.
MODULE = __name__
OPERATION = "sqs.sent"
#: Execution environments sign with dummy access keys of this form (``runtime.environment``).
_ENVIRONMENT_KEY_PREFIX, _ENVIRONMENT_KEY_LENGTH = "ASIALM", 20


# --- the account's side --------------------------------------------------------------------


def watch(account: LocalAccount) -> None:
    """Load the moto side into the account's local cloud (now or when it starts) and record
    what it reports in ``account.lineage``."""
    account.cloud_hooks.add(MODULE, functools.partial(_sent, account))


def _sent(account: LocalAccount, payload: dict[str, Any], signer: str | None) -> None:
    if payload.get("op") != OPERATION:
        return None
    request_id = request_of_signer(account, signer)
    if request_id is not None:
        account.lineage.sent(request_id, f"sqs:{payload['queue']}", list(payload.get("ids") or ()))
    return None


# --- the local cloud's side (imported in the server process) -----------------------------------


def install(call: Callable[[dict[str, Any]], Any]) -> None:
    """Patch moto's ``Queue.add_message`` (every send, batch, SNS and S3 delivery goes through
    it) to report messages added by a request an execution environment signed, before the
    message is visible, so a poller never receives one whose sender is not known yet.

    Also keep the sender's X-Ray trace header (``X-Amzn-Trace-Id``, which botocore sends from
    inside a function) as the message's ``AWSTraceHeader`` system attribute, as SQS does and
    moto does not: the function that reads the queue sees it in the record's attributes."""
    import threading
    from urllib.parse import unquote

    from moto.sqs.models import Queue
    from moto.sqs.responses import SQSResponse

    from .push.moto_side import patch

    signer = _signer_of(call)
    serving = threading.local()  # the trace header of the SendMessage(Batch) this thread serves

    def add_message(self: Any, message: Any) -> None:
        trace = getattr(serving, "trace", None)
        if trace and not (message.system_attributes or {}).get("AWSTraceHeader"):
            message.system_attributes = {
                **(message.system_attributes or {}),
                "AWSTraceHeader": {"StringValue": unquote(trace), "DataType": "String"},
            }
        key = signer() if signer is not None else _ENVIRONMENT_KEY_PREFIX
        if key and key.startswith(_ENVIRONMENT_KEY_PREFIX) and (signer is None or len(key) == _ENVIRONMENT_KEY_LENGTH):
            try:
                call({"op": OPERATION, "queue": self.name, "ids": [message.id]})
            except Exception:  # the books must never fail a send
                pass
        return add_message.original(self, message)  # type: ignore[attr-defined]

    def traced(name: str) -> Callable[..., Any]:
        def serve(self: Any) -> Any:
            serving.trace = (getattr(self, "headers", None) or {}).get("X-Amzn-Trace-Id")
            try:
                return serve.original(self)  # type: ignore[attr-defined]
            finally:
                serving.trace = None

        serve.__name__ = name
        return serve

    patch(Queue, "add_message", add_message)
    for name in ("send_message", "send_message_batch"):
        patch(SQSResponse, name, traced(name))


def _signer_of(call: Any) -> Callable[[], str | None] | None:
    """The server's ``signer()`` (the access key of the request being served) behind ``call``
    (``functools.partial(link.call, module)``), so that only requests an environment signed
    cost a call to the account; None when it cannot be found (then every add is reported)."""
    link = getattr(getattr(call, "func", None), "__self__", None)
    signer = getattr(link, "signer", None)
    return signer if callable(signer) else None
