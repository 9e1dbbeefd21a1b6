"""Requests and answers of an AWS JSON-protocol service (``awsJson1.0``/``1.1``), from botocore's model.

Every call is ``POST /`` with ``X-Amz-Target: <targetPrefix>.<Operation>`` and a JSON
document of the input members; the answer is the JSON document of the output members.
Blobs travel base64-encoded and timestamps as epoch seconds.  Errors are a 400 (or the
status the model gives the error shape) with ``{"__type": CODE, "message": ...}``, from
which botocore raises ``client.exceptions.<CODE>``.  :class:`JsonModel` reads all of this
from ``botocore.session.get_session().get_service_model(name)``, so nothing is written
by hand; the sibling of :mod:`.model` (REST-JSON).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from datetime import datetime
from typing import Any

from .errors import ApiError
from .server import Request, Response

_TAGS = re.compile(r"<[^>]+>")


class JsonModel:
    """One JSON-protocol service's operations (botocore's model, loaded when made)."""

    def __init__(self, service_name: str):
        import botocore.session

        self.service = botocore.session.get_session().get_service_model(service_name)
        self.target_prefix = self.service.metadata["targetPrefix"]
        self.content_type = f"application/x-amz-json-{self.service.metadata.get('jsonVersion', '1.0')}"
        self._operations = {name: self.service.operation_model(name) for name in self.service.operation_names}
        self._errors = {shape.name: shape for shape in self.service.error_shapes}

    # --- requests ------------------------------------------------------------------------------

    def operation(self, request: Request) -> Any:
        """The operation ``X-Amz-Target`` names (UnknownOperationException when none)."""
        prefix, _, name = request.headers.get("x-amz-target", "").partition(".")
        operation = self._operations.get(name) if prefix == self.target_prefix else None
        if request.method != "POST" or operation is None:
            raise ApiError("UnknownOperationException", f"Unknown operation {request.method} {request.path}")
        return operation

    def parse(self, operation: Any, request: Request) -> dict[str, Any]:
        """The input members by their names, blobs decoded (SerializationException when malformed)."""
        if not request.body:
            return {}
        try:
            document = json.loads(request.body)
        except ValueError as exc:
            raise ApiError("SerializationException", f"could not parse the request body as JSON: {exc}") from None
        if not isinstance(document, dict):
            raise ApiError("SerializationException", "the request body must be a JSON object")
        shape = operation.input_shape
        return _decode(shape, document) if shape is not None else {}

    # --- answers -------------------------------------------------------------------------------

    def render(self, operation: Any, result: dict[str, Any] | None) -> Response:
        """A 200 with the output members (None values left out; blobs base64, datetimes epoch)."""
        shape = operation.output_shape
        body = _encode(shape, result or {}) if shape is not None else {}
        return Response(200, self._headers(), json.dumps(body).encode())

    def error(self, exc: ApiError) -> Response:
        """The error answer for ``exc`` (its message, or the model's description of the code)."""
        shape = self._errors.get(exc.code)
        status = exc.status or (shape.metadata.get("error", {}).get("httpStatusCode") if shape else None) or 400
        message = str(exc) or self.error_message(exc.code)
        body = {"__type": exc.code, "message": message, **exc.members}
        return Response(status, self._headers(), json.dumps(body).encode())

    def error_message(self, code: str) -> str:
        """The model's description of an error shape, as plain text ("" when it has none)."""
        shape = self._errors.get(code)
        text = _TAGS.sub("", getattr(shape, "documentation", "") or "") if shape is not None else ""
        return " ".join(text.split())

    def _headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type, "x-amzn-RequestId": str(uuid.uuid4())}


#: The JSON types each shape type accepts (bool is an int in Python: refused for numbers).
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,),
    "map": (dict,),
    "list": (list,),
    "string": (str,),
    "blob": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "timestamp": (int, float, str),
}


def _decode(shape: Any, value: Any, where: str = "") -> Any:
    """``value`` checked against ``shape`` (SerializationException as AWS answers a wrong type)."""
    kind = shape.type_name
    wanted = _JSON_TYPES.get(kind)
    if value is None:
        return None
    if wanted is not None and (not isinstance(value, wanted) or (isinstance(value, bool) and kind not in ("boolean",))):
        raise ApiError(
            "SerializationException", f"{where or shape.name}: expected a {kind}, got {type(value).__name__}"
        )
    if kind == "structure":
        return {
            k: _decode(shape.members[k], v, f"{where}.{k}" if where else k) if k in shape.members else v
            for k, v in value.items()
        }
    if kind == "list":
        return [_decode(shape.member, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if kind == "map":
        return {k: _decode(shape.value, v, f"{where}.{k}") for k, v in value.items()}
    if kind == "blob":
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError("SerializationException", f"{where or shape.name}: not valid base64") from None
    return value


def _encode(shape: Any, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {k: _encode(shape.members[k], v) for k, v in value.items() if k in shape.members and v is not None}
    if kind == "list" and isinstance(value, (list, tuple)):
        return [_encode(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _encode(shape.value, v) for k, v in value.items()}
    if kind == "blob" and isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if kind == "timestamp" and isinstance(value, datetime):
        return value.timestamp()
    return value
