"""Errors as AWS's REST-JSON services send them, so botocore raises its typed exceptions.

Header ``x-amzn-ErrorType: <Code>``, a JSON body ``{"Type": "User", "message": ...}``
(``Type`` is ``Service`` for 5xx) and the status the service model gives the code.
botocore takes the code from the header and raises ``client.exceptions.<Code>``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from ..common.errors import LambdaMagicError, RequestTooLargeException
from ..runtime.concurrency import TooManyRequestsException
from .server import Response

#: A LambdaMagicError whose class is not one of the service's error shapes, by status.
_BY_STATUS = {404: "ResourceNotFoundException", 409: "ResourceConflictException", 500: "ServiceException"}


class ApiError(Exception):
    """An error answer by AWS's own code (and status, when the model does not give it)."""

    def __init__(self, code: str, message: str, status: int | None = None, **members: Any):
        super().__init__(message)
        self.code = code
        self.status = status
        self.members = members


def error_response(exc: BaseException, status_of: Any) -> Response:
    """The response for ``exc``; ``status_of(code)`` is the model's status for a code (or None)."""
    headers: dict[str, str] = {}
    members: dict[str, Any] = {}
    if isinstance(exc, ApiError):
        code, status, members = exc.code, exc.status, dict(exc.members)
    elif isinstance(exc, TooManyRequestsException):
        code, status = "TooManyRequestsException", 429
        members["Reason"] = exc.reason
        headers["Retry-After"] = str(exc.retry_after_seconds)
    elif isinstance(exc, RequestTooLargeException):
        code, status = "RequestEntityTooLargeException", 413  # what Lambda sends (not a modeled shape)
    elif isinstance(exc, LambdaMagicError):
        code = type(exc).__name__
        if status_of(code) is None:
            code = _BY_STATUS.get(exc.status_code, "InvalidParameterValueException")
        status = None
    else:
        raise exc
    status = status or status_of(code) or 400
    message = str(exc)
    body = {"Type": "Service" if status >= 500 else "User", "message": message, "Message": message, **members}
    headers.update(
        {"x-amzn-ErrorType": code, "x-amzn-RequestId": str(uuid.uuid4()), "Content-Type": "application/json"}
    )
    return Response(status, headers, json.dumps(body).encode())
