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
    message is visible, so a poller never receives one whose sender is not known yet."""
    from moto.sqs.models import Queue

    from .push.moto_side import patch

    signer = _signer_of(call)

    def add_message(self: Any, message: Any) -> None:
        key = signer() if signer is not None else _ENVIRONMENT_KEY_PREFIX
        if key and key.startswith(_ENVIRONMENT_KEY_PREFIX) and (signer is None or len(key) == _ENVIRONMENT_KEY_LENGTH):
            try:
                call({"op": OPERATION, "queue": self.name, "ids": [message.id]})
            except Exception:  # the books must never fail a send
                pass
        return add_message.original(self, message)  # type: ignore[attr-defined]

    patch(Queue, "add_message", add_message)


def _signer_of(call: Any) -> Callable[[], str | None] | None:
    """The server's ``signer()`` (the access key of the request being served) behind ``call``
    (``functools.partial(link.call, module)``), so that only requests an environment signed
    cost a call to the account; None when it cannot be found (then every add is reported)."""
    link = getattr(getattr(call, "func", None), "__self__", None)
    signer = getattr(link, "signer", None)
    return signer if callable(signer) else None
