"""The module-level Python API (``import lambda_magic as lm``), on one default account."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Mapping

from .display.presenter import DisplayPresenter
from .runtime.account import LocalAccount
from .runtime.function import Function
from .runtime.invocation import Invocation

if TYPE_CHECKING:
    import pandas as pd


class _DefaultAccount:
    """Holds the one account the module-level API acts on (created on first use)."""

    def __init__(self) -> None:
        self._account: LocalAccount | None = None
        self._lock = threading.Lock()

    def get(self) -> LocalAccount:
        with self._lock:
            if self._account is None:
                self._account = LocalAccount(presenter=DisplayPresenter())
            return self._account


_default = _DefaultAccount()


def account() -> LocalAccount:
    """The local account behind the module-level API."""
    return _default.get()


def register(name: str, code: str, **config: Any) -> Function:
    """Register ``code`` as function ``name`` (see ``LocalAccount.register`` for options)."""
    return account().register(name, code, **config)


def invoke(
    name: str,
    event: Any = None,
    *,
    invocation_type: str = "RequestResponse",
    qualifier: str | None = None,
    client_context: Mapping[str, Any] | None = None,
) -> Invocation:
    """Invoke function ``name`` with ``event``; returns the :class:`Invocation`."""
    return account().invoke(name, event, invocation_type=invocation_type, qualifier=qualifier,
                            client_context=client_context)


def delete(name: str) -> None:
    """Delete function ``name`` and end its environments (its logs stay)."""
    account().delete_function(name)


def functions() -> "pd.DataFrame":
    """Every registered function as a DataFrame."""
    from .display.frames import functions_frame

    return functions_frame(account().list_functions())


def invocations(name: str | None = None) -> "pd.DataFrame":
    """Every invocation (of ``name``, or of all functions) as a DataFrame."""
    from .display.frames import invocations_frame

    if name is not None:
        account().get_function(name)
    return invocations_frame(account().invocation_records(name))


def logs(
    name: str | None = None,
    *,
    request_id: str | None = None,
    filter_pattern: str | None = None,
    tail: int | None = None,
) -> "pd.DataFrame":
    """Log events as a DataFrame, filtered like CloudWatch's ``FilterLogEvents``."""
    from .display.frames import logs_frame

    return logs_frame(account().log_events(name, request_id=request_id, filter_pattern=filter_pattern, tail=tail))


def wait(timeout: float | None = None) -> bool:
    """Return when no queued ``Event`` invocation is left (False if ``timeout`` passed)."""
    return account().wait(timeout)


def reset() -> None:
    """Forget every function, environment, invocation and log."""
    account().reset()
