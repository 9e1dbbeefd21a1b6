"""The IPython magics (a thin shell over the Python API)."""

from __future__ import annotations

from typing import Any

from .completion import MATCHER_ID, make_matcher
from .lambda_magic import LambdaMagic

__all__ = ["LambdaMagic", "load", "unload"]


def load(ipython: Any) -> LambdaMagic:
    magics = LambdaMagic(shell=ipython)
    ipython.register_magics(magics)
    ipython.configurables.append(magics)
    completer = getattr(ipython, "Completer", None)
    if completer is not None:  # tab completion of verbs, names, templates and options
        _remove_matcher(completer)
        completer.custom_matchers.append(make_matcher(magics))
    return magics


def unload(ipython: Any) -> None:
    from .. import api

    for kind in ("line", "cell"):
        ipython.magics_manager.magics[kind].pop("lambda", None)
    ipython.configurables[:] = [c for c in ipython.configurables if not isinstance(c, LambdaMagic)]
    if getattr(ipython, "Completer", None) is not None:
        _remove_matcher(ipython.Completer)
    api.account().shutdown()


def _remove_matcher(completer: Any) -> None:
    completer.custom_matchers[:] = [
        m for m in completer.custom_matchers if getattr(m, "matcher_identifier", None) != MATCHER_ID
    ]
