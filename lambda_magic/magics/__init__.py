"""The IPython magics (a thin shell over the Python API)."""

from __future__ import annotations

from typing import Any

from .lambda_magic import LambdaMagic

__all__ = ["LambdaMagic", "load", "unload"]


def load(ipython: Any) -> LambdaMagic:
    magics = LambdaMagic(shell=ipython)
    ipython.register_magics(magics)
    ipython.configurables.append(magics)
    return magics


def unload(ipython: Any) -> None:
    from .. import api

    for kind in ("line", "cell"):
        ipython.magics_manager.magics[kind].pop("lambda", None)
    ipython.configurables[:] = [c for c in ipython.configurables if not isinstance(c, LambdaMagic)]
    api.account().shutdown()
