"""CloudWatch Logs on the AWS backend: ``FilterLogEvents`` and Logs Insights over functions' log groups."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from ..common.errors import InvalidParameterValueException
from ..runtime.logstore import LogEvent
from ..runtime.retention import Retained
from .errors import client_error
from .results import log_event

#: How often ``GetQueryResults`` is asked while a query runs.
POLL_INTERVAL_S = 0.2


def filter_log_events(
    logs: Any,
    functions: Sequence[str],
    *,
    request_id: str | None = None,
    filter_pattern: str | None = None,
    tail: int | None = None,
) -> Retained:
    """The log events of ``/aws/lambda/NAME`` for each of ``functions``, oldest first (``logs``: a boto3
    client); a group that does not exist yet has none (the function has not logged)."""
    events: list[LogEvent] = []
    for function in functions:
        params: dict[str, Any] = {"logGroupName": f"/aws/lambda/{function}"}
        if filter_pattern:
            params["filterPattern"] = filter_pattern
        try:
            for page in logs.get_paginator("filter_log_events").paginate(**params):
                events.extend(log_event(function, e) for e in page.get("events", []))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise client_error(exc) from None
    if request_id is not None:
        events = [e for e in events if e.request_id == request_id]
    events.sort(key=lambda e: e.timestamp_ms)
    return Retained(events[-tail:] if tail else events)


def run_insights(
    logs: Any,
    query: str,
    log_groups: Sequence[str],
    start: Any = None,
    end: Any = None,
    *,
    limit: int | None = None,
    timeout_s: float = 60.0,
) -> Any:
    """``StartQuery`` over ``log_groups`` (a function's name stands for ``/aws/lambda/NAME``; the last
    24 hours unless ``start``/``end`` say), then ``GetQueryResults`` until the query is done.
    The rows keep the query's field order (``@ptr`` left out)."""
    from ..runtime.insights import MalformedQueryException, QueryResult
    from ..runtime.insights.logs import GROUP_PREFIX, epoch_ms

    if not log_groups:
        raise MalformedQueryException("name a log group: no function was deployed from this kernel yet")
    groups = [n if n.startswith("/") else f"{GROUP_PREFIX}{n}" for n in log_groups]
    now_ms = time.time() * 1000
    start_ms = epoch_ms(start) if start is not None else now_ms - 24 * 3600 * 1000
    end_ms = epoch_ms(end) if end is not None else now_ms
    params: dict[str, Any] = {
        "logGroupNames": groups,
        "queryString": query,
        "startTime": int((start_ms or 0) // 1000),
        "endTime": int((end_ms or now_ms) // 1000),
    }
    if limit is not None:
        params["limit"] = limit
    try:
        query_id = logs.start_query(**params)["queryId"]
        deadline = time.monotonic() + timeout_s
        while True:
            answer = logs.get_query_results(queryId=query_id)
            if answer["status"] not in ("Scheduled", "Running"):
                break
            if time.monotonic() > deadline:
                logs.stop_query(queryId=query_id)
                raise InvalidParameterValueException(f"the query ran past {timeout_s:g} s and was stopped")
            time.sleep(POLL_INTERVAL_S)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "MalformedQueryException":
            raise MalformedQueryException(exc.response["Error"].get("Message", str(exc))) from None
        raise client_error(exc) from None
    if answer["status"] != "Complete":
        raise InvalidParameterValueException(f"the query ended {answer['status']} on AWS")
    fields: list[str] = []
    rows = []
    for result in answer.get("results", []):
        row = {cell["field"]: cell.get("value") for cell in result if cell["field"] != "@ptr"}
        fields.extend(name for name in row if name not in fields)
        rows.append(row)
    statistics = answer.get("statistics") or {}
    return QueryResult(
        fields,
        [{name: row.get(name) for name in fields} for row in rows],
        records_scanned=int(statistics.get("recordsScanned", 0)),
        records_matched=int(statistics.get("recordsMatched", 0)),
        statistics=dict(statistics),
    )
