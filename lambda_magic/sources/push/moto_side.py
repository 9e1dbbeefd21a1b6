"""The push sources' side inside the local cloud's server process (imported there only).

:func:`install` patches moto so that where a service would call its own Lambda
backend (which cannot run the notebook's functions), it calls the account
instead, through ``call(payload)``; ``payload["op"]`` names the account-side
operation a source registered with :meth:`PushSources.on`.  Each source's moto
side is a module in :data:`MOTO_PATCHES` with an ``install(call)`` of its own.

A server loads this module once, but an account may be reset and ask again:
every ``install`` must patch only once (mark what it patched and check the mark).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

#: Each source's moto side, installed in this order.
MOTO_PATCHES: tuple[str, ...] = (
    "lambda_magic.sources.push.sns_moto",
    "lambda_magic.sources.push.events_moto",
    "lambda_magic.sources.push.logs_moto",
    "lambda_magic.sources.push.s3_moto",
    "lambda_magic.sources.push.schedules_moto",
)

Call = Callable[[dict[str, Any]], Any]
#: The attribute that marks a function or class as patched by lambda_magic.
MARK = "_lambda_magic_patched"


def patch(owner: Any, name: str, replacement: Callable[..., Any]) -> bool:
    """Set ``owner.name = replacement`` once (True), keeping the original as
    ``replacement.original``; False when it was patched already."""
    current = getattr(owner, name)
    if getattr(current, MARK, False):
        return False
    replacement.original = current  # type: ignore[attr-defined]
    setattr(replacement, MARK, True)
    setattr(owner, name, replacement)
    return True


def install(call: Call) -> None:
    for module in MOTO_PATCHES:
        importlib.import_module(module).install(call)
