"""Servers on loopback that speak AWS's wire protocols where the local cloud cannot:
the Lambda API first.  One small shared server base; each service a module.

Importing this package costs nothing: ``LambdaAPI`` and ``LoopbackServer`` load on first
use.  (``lambda_magic`` imports it before binding its public function ``endpoints()``, so
``lambda_magic.endpoints`` is that function while ``from lambda_magic.endpoints import
LambdaAPI`` still reaches this package.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .lambda_api import LambdaAPI
    from .server import LoopbackServer

__all__ = ["LambdaAPI", "LoopbackServer"]


def __getattr__(name: str) -> Any:
    if name == "LambdaAPI":
        from .lambda_api import LambdaAPI

        return LambdaAPI
    if name == "LoopbackServer":
        from .server import LoopbackServer

        return LoopbackServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
