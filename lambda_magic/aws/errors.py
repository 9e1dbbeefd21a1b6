"""AWS's errors as this package's one-line errors."""

from __future__ import annotations

from botocore.exceptions import ClientError

from ..common.errors import InvalidParameterValueException, LambdaMagicError, ResourceNotFoundException


def client_error(exc: ClientError) -> LambdaMagicError:
    """AWS's error as this package's one-line error (its code and message)."""
    error = exc.response.get("Error", {})
    code, message = error.get("Code", "Error"), error.get("Message", str(exc))
    if code == "ResourceNotFoundException":
        return ResourceNotFoundException(f"{code}: {message}")
    if code.startswith("InvalidParameter"):
        return InvalidParameterValueException(f"{code}: {message}")
    return LambdaMagicError(f"{code}: {message}")
