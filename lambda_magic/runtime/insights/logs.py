"""Logs Insights over an account's function logs (the ``/aws/lambda/NAME`` log groups)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from ...common.errors import ResourceNotFoundException
from .evaluate import QueryResult, run_query
from .lexer import MalformedQueryException

GROUP_PREFIX = "/aws/lambda/"


def epoch_ms(value: float | datetime | str | None) -> float | None:
    """Epoch milliseconds from a datetime, an ISO string or epoch *seconds* (as StartQuery takes them)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        return value.timestamp() * 1000
    return float(value) * 1000


def function_names(account: Any, log_groups: str | Sequence[str] | None) -> set[str] | None:
    """The functions whose groups are named (``/aws/lambda/NAME`` or ``NAME``); None = every one."""
    if log_groups is None:
        return None
    groups = [log_groups] if isinstance(log_groups, str) else list(log_groups)
    if not groups:
        raise MalformedQueryException("name at least one log group, or none for every function's")
    names = {group.removeprefix(GROUP_PREFIX) for group in groups}
    known = {event.function for event in account.log_events()}
    missing = sorted(names - known - set(account.registry.names()))
    if missing:
        raise ResourceNotFoundException(
            f"The specified log group does not exist: {GROUP_PREFIX}{missing[0]} (no function has logged there)"
        )
    return names


def events(account: Any, functions: set[str] | None, start_ms: float | None, end_ms: float | None) -> Iterator[dict]:
    """The kept log events of ``functions`` between ``start_ms`` and ``end_ms`` (inclusive)."""
    account_id = account.settings.account_id
    for event in account.log_events():
        if functions is not None and event.function not in functions:
            continue
        if start_ms is not None and event.timestamp_ms < start_ms:
            continue
        if end_ms is not None and event.timestamp_ms > end_ms:
            continue
        row = {
            "@timestamp": int(event.timestamp_ms),
            "@message": event.message,
            "@logStream": event.log_stream,
            "@log": f"{account_id}:{GROUP_PREFIX}{event.function}",
            "@ingestionTime": int(event.timestamp_ms),
        }
        if event.request_id:
            row["@requestId"] = event.request_id
        yield row


def query_account(
    account: Any,
    query: str,
    log_groups: str | Iterable[str] | None = None,
    start: float | datetime | str | None = None,
    end: float | datetime | str | None = None,
    limit: int | None = None,
) -> QueryResult:
    """Run ``query`` over the account's function logs (every group, or ``log_groups``)."""
    groups = log_groups if log_groups is None or isinstance(log_groups, str) else list(log_groups)
    names = function_names(account, groups)
    return run_query(query, events(account, names, epoch_ms(start), epoch_ms(end)), limit=limit)
