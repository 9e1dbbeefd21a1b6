"""Lambda's function URL operations: Create/Get/Update/Delete/ListFunctionUrlConfig(s).

A URL belongs to the unqualified function or an alias (never a numbered version) and is
served at once by :class:`~.function_urls.FunctionUrls` on its own loopback port;
``FunctionUrl`` is ``http://127.0.0.1:PORT/``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ..common.errors import InvalidParameterValueException
from .apigw_cors import Cors
from .calls import Call, page, timestamp
from .errors import ApiError
from .function_urls import FunctionUrl, FunctionUrls, url_id

_AUTH_TYPES = ("NONE", "AWS_IAM")
_INVOKE_MODES = ("BUFFERED", "RESPONSE_STREAM")
_QUALIFIER = re.compile(r"(^\$LATEST$)|((?!^[0-9]+$)([a-zA-Z0-9-_]+))")


def _urls(call: Call) -> FunctionUrls:
    return FunctionUrls.of(call.account, policy=call.api.policy)


def _target(call: Call) -> tuple[str, str | None]:
    """The function's name and the URL's qualifier (an alias, ``$LATEST`` or none)."""
    latest, qualifier = call.function()
    if qualifier is not None:
        if not _QUALIFIER.fullmatch(qualifier):
            raise ApiError(
                "ValidationException",
                f"1 validation error detected: Value '{qualifier}' at 'qualifier' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: (^\\$LATEST$)|((?!^[0-9]+$)([a-zA-Z0-9-_]+))",
                400,
            )
        if qualifier != "$LATEST":
            call.version()  # the alias must exist
    return latest.name, qualifier


def _check(call: Call, *, required: bool) -> tuple[str | None, Cors | None, str | None]:
    params = call.params
    auth_type = params.get("AuthType")
    if auth_type is None and required:
        raise ApiError("ValidationException", "AuthType is required", 400)
    if auth_type is not None and auth_type not in _AUTH_TYPES:
        raise ApiError(
            "ValidationException",
            f"1 validation error detected: Value '{auth_type}' at 'authType' failed to satisfy constraint: "
            "Member must satisfy enum value set: [AWS_IAM, NONE]",
            400,
        )
    mode = params.get("InvokeMode")
    if mode is not None and mode not in _INVOKE_MODES:
        raise ApiError(
            "ValidationException",
            f"1 validation error detected: Value '{mode}' at 'invokeMode' failed to satisfy constraint: "
            "Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]",
            400,
        )
    try:
        cors = Cors.of(params["Cors"]) if params.get("Cors") is not None else None
    except (InvalidParameterValueException, TypeError, ValueError) as exc:
        raise ApiError("InvalidParameterValueException", str(exc)) from None
    return auth_type, cors, mode


def _when(epoch: float) -> str:
    return timestamp(datetime.fromtimestamp(epoch, timezone.utc))


def _describe(config: FunctionUrl, *, modified: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "FunctionUrl": config.url,
        "FunctionArn": config.function_arn,
        "AuthType": config.auth_type,
        "CreationTime": _when(config.created),
        "InvokeMode": config.invoke_mode,
    }
    if config.cors is not None:
        out["Cors"] = config.cors.to_aws(capitalized=True)
    if modified:
        out["LastModifiedTime"] = _when(config.modified)
    return out


def _missing() -> ApiError:
    return ApiError("ResourceNotFoundException", "The resource you requested does not exist.", 404)


def create_function_url_config(call: Call) -> dict[str, Any]:
    name, qualifier = _target(call)
    auth_type, cors, mode = _check(call, required=True)
    urls = _urls(call)
    arn = call.arn(name, qualifier)
    if urls.get(name, qualifier) is not None:
        raise ApiError(
            "ResourceConflictException",
            f"Failed to create function url config for [functionArn = {arn}]. Error message:  "
            "FunctionUrlConfig exists for this Lambda function",
            409,
        )
    assert auth_type is not None
    config = FunctionUrl(
        name,
        qualifier,
        arn,
        auth_type,
        cors,
        mode or "BUFFERED",
        url_id(call.region, call.account_id, name, qualifier),
        call.region,
        call.account_id,
    )
    return _describe(urls.add(config), modified=False)


def get_function_url_config(call: Call) -> dict[str, Any]:
    name, qualifier = _target(call)
    config = _urls(call).get(name, qualifier)
    if config is None:
        raise _missing()
    return _describe(config)


def update_function_url_config(call: Call) -> dict[str, Any]:
    name, qualifier = _target(call)
    auth_type, cors, mode = _check(call, required=False)
    config = _urls(call).get(name, qualifier)
    if config is None:
        raise _missing()
    if auth_type is not None:
        config.auth_type = auth_type
    if isinstance(call.params.get("Cors"), Mapping):
        config.cors = cors
    if mode is not None:
        config.invoke_mode = mode
    config.modified = time.time()
    return _describe(config)


def delete_function_url_config(call: Call) -> dict[str, Any]:
    name, qualifier = _target(call)
    if _urls(call).remove(name, qualifier) is None:
        raise _missing()
    return {}


def list_function_url_configs(call: Call) -> dict[str, Any]:
    latest, _ = call.function()
    configs = _urls(call).of_function(latest.name)
    chunk, marker = page(call, configs, key=lambda c: c.created)
    out: dict[str, Any] = {"FunctionUrlConfigs": [_describe(c) for c in chunk]}
    if marker:
        out["NextMarker"] = marker
    return out


OPERATIONS = {
    "CreateFunctionUrlConfig": create_function_url_config,
    "GetFunctionUrlConfig": get_function_url_config,
    "UpdateFunctionUrlConfig": update_function_url_config,
    "DeleteFunctionUrlConfig": delete_function_url_config,
    "ListFunctionUrlConfigs": list_function_url_configs,
}
