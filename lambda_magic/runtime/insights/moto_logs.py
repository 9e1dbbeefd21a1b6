"""``logs.start_query`` / ``get_query_results`` through boto3, answered by this package's
Logs Insights engine inside the local cloud's server process (imported there only).

moto's own query engine knows a few commands and returns no discovered fields; the
patched ``StartQuery`` runs :func:`~lambda_magic.runtime.insights.run_query` over the
log groups moto holds (the functions' ``/aws/lambda/NAME`` groups among them, which
the account delivers there) and stores the result as a completed query, so
``get_query_results`` answers ``Complete`` with rows of ``{"field", "value"}`` strings
and the query's statistics, as CloudWatch does.  A bad query is CloudWatch's
``MalformedQueryException``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

#: Marks moto's classes once patched (a server loads this module once per account reset too).
MARK = "_lambda_magic_insights"


def install(call: Callable[[dict[str, Any]], Any]) -> None:
    from moto.core.exceptions import JsonRESTError
    from moto.core.utils import utcnow
    from moto.logs import models, responses
    from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException

    from . import MalformedQueryException, run_query
    from .functions import text

    if getattr(responses.LogsResponse, MARK, False):
        return

    class MalformedQuery(JsonRESTError):
        code = 400

        def __init__(self, message: str):
            super().__init__("MalformedQueryException", message)

    def start_query(self: Any) -> str:
        name = self._get_param("logGroupName")
        names = self._get_param("logGroupNames") or []
        identifiers = self._get_param("logGroupIdentifiers") or []
        if sum(bool(x) for x in (name, names, identifiers)) > 1:
            raise InvalidParameterException(
                "LogGroup name, LogGroup names and LogGroup identifiers are mutually exclusive"
            )
        groups = (
            [name] if name else list(names) or [i.rsplit(":log-group:", 1)[-1].removesuffix(":*") for i in identifiers]
        )
        if not groups:
            raise InvalidParameterException("Specify at least one log group for the query")
        backend = self.logs_backend
        for group in groups:
            if group not in backend.groups:
                raise ResourceNotFoundException(
                    f"Log group '{group}' does not exist for account ID '{backend.account_id}'"
                )
        start, end = self._get_int_param("startTime"), self._get_int_param("endTime")
        query = self._get_param("queryString") or ""
        limit = self._get_int_param("limit")
        events = []
        for group in groups:
            log_group = backend.groups[group]
            for stream in log_group.streams.values():
                for event in stream.events:
                    if start is not None and event.timestamp < start * 1000:
                        continue
                    if end is not None and event.timestamp > end * 1000:
                        continue
                    events.append(
                        {
                            "@timestamp": event.timestamp,
                            "@message": event.message,
                            "@logStream": stream.log_stream_name,
                            "@log": f"{backend.account_id}:{group}",
                            "@ingestionTime": event.ingestion_time,
                        }
                    )
        try:
            result = run_query(query, events, limit=limit)
        except MalformedQueryException as exc:
            raise MalformedQuery(str(exc)) from None
        stored = object.__new__(models.LogQuery)
        stored.query_id = str(uuid.uuid4())
        stored.start_time, stored.end_time, stored.query = start, end, query
        stored.log_group_names = groups
        stored.create_time = utcnow()
        stored.status = "Complete"
        stored.results = [
            {field: text(value) for field, value in row.items() if value is not None} for row in result.rows
        ]
        stored.statistics = {  # type: ignore[attr-defined]
            "recordsMatched": float(result.records_matched),
            "recordsScanned": float(result.records_scanned),
            "bytesScanned": float(sum(len(e["@message"].encode()) for e in events)),
        }
        backend.queries[stored.query_id] = stored
        return json.dumps({"queryId": stored.query_id})

    original_result = models.LogQuery.to_result_json

    def to_result_json(self: Any) -> dict[str, Any]:
        answer = original_result(self)
        if hasattr(self, "statistics"):
            answer["statistics"] = self.statistics
        return answer

    responses.LogsResponse.start_query = start_query  # type: ignore[method-assign]
    models.LogQuery.to_result_json = to_result_json  # type: ignore[method-assign]
    setattr(responses.LogsResponse, MARK, True)
