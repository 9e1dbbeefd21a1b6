"""Aliases (Create/Get/Update/List/DeleteAlias, with RoutingConfig) and reserved
concurrency (Put/Get/DeleteFunctionConcurrency), over the account's registry."""

from __future__ import annotations

import uuid
from typing import Any

from ..common.errors import InvalidParameterValueException
from .calls import Call, check_int, page
from .errors import ApiError


def _alias(call: Call, name: str, alias: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "AliasArn": call.arn(name, alias.name),
        "Name": alias.name,
        "FunctionVersion": alias.function_version,
        "Description": alias.description,
        "RevisionId": str(uuid.uuid5(uuid.NAMESPACE_URL, repr((name, alias)))),
    }
    if alias.additional_version_weights:
        result["RoutingConfig"] = {"AdditionalVersionWeights": dict(alias.additional_version_weights)}
    return result


def _find(call: Call, name: str, alias_name: str) -> Any:
    alias = {a.name: a for a in call.account.registry.aliases(name)}.get(alias_name)
    if alias is None:
        raise ApiError("ResourceNotFoundException", f"Cannot find alias arn: {call.arn(name, alias_name)}")
    return alias


def _check_versions(call: Call, name: str, version: str, weights: dict[str, float] | None) -> None:
    """Every version an alias names must exist (AWS's 404 names the qualified ARN)."""
    published = {v.version for v in call.account.registry.versions(name)}
    for wanted in [version, *(weights or {})]:
        if wanted not in published:
            raise ApiError("ResourceNotFoundException", f"Function not found: {call.arn(name, wanted)}")


def _weights(call: Call) -> dict[str, float] | None:
    routing = call.params.get("RoutingConfig")
    if routing is None:
        return None
    return dict(routing.get("AdditionalVersionWeights") or {})


def create_alias(call: Call) -> dict[str, Any]:
    latest, _ = call.function()
    name, params = latest.name, call.params
    if params["Name"] in {a.name for a in call.account.registry.aliases(name)}:
        raise ApiError("ResourceConflictException", f"Alias already exists: {call.arn(name, params['Name'])}")
    _check_versions(call, name, params["FunctionVersion"], _weights(call))
    alias = call.account.registry.put_alias(
        name,
        params["Name"],
        params["FunctionVersion"],
        additional_version_weights=_weights(call),
        description=params.get("Description", ""),
    )
    return _alias(call, name, alias)


def get_alias(call: Call) -> dict[str, Any]:
    latest, _ = call.function()
    return _alias(call, latest.name, _find(call, latest.name, call.params["Name"]))


def update_alias(call: Call) -> dict[str, Any]:
    latest, _ = call.function()
    current = _find(call, latest.name, call.params["Name"])
    wanted = call.params.get("RevisionId")
    if wanted is not None and wanted != _alias(call, latest.name, current)["RevisionId"]:
        raise ApiError(
            "PreconditionFailedException",
            "The Revision Id provided does not match the latest Revision Id. "
            "Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
        )
    weights = _weights(call)
    _check_versions(call, latest.name, call.params.get("FunctionVersion", current.function_version), weights)
    alias = call.account.registry.put_alias(
        latest.name,
        current.name,
        call.params.get("FunctionVersion", current.function_version),
        additional_version_weights=current.additional_version_weights if weights is None else weights,
        description=call.params.get("Description", current.description),
        create=False,
    )
    return _alias(call, latest.name, alias)


def list_aliases(call: Call) -> dict[str, Any]:
    latest, _ = call.function()
    version = call.params.get("FunctionVersion")
    aliases = [
        a for a in call.account.registry.aliases(latest.name) if version is None or a.function_version == version
    ]
    items, marker = page(call, aliases, lambda a: a.name)
    return {"Aliases": [_alias(call, latest.name, a) for a in items], "NextMarker": marker}


def delete_alias(call: Call) -> None:
    latest, _ = call.function()
    _find(call, latest.name, call.params["Name"])
    call.account.registry.delete_alias(latest.name, call.params["Name"])


def put_function_concurrency(call: Call) -> dict[str, Any]:
    latest, _ = call.function()
    value = call.params.get("ReservedConcurrentExecutions")
    if value is None:
        raise ApiError("InvalidParameterValueException", "ReservedConcurrentExecutions is required")
    check_int(call, "ReservedConcurrentExecutions", 0, call.account.settings.account_concurrency)
    try:
        call.account.governor.check_reserved(latest.name, value)
    except InvalidParameterValueException as exc:
        raise ApiError(
            "InvalidParameterValueException",
            "Specified ReservedConcurrentExecutions for function decreases account's "
            f"UnreservedConcurrentExecution below its minimum value of [100]. ({exc})",
        ) from None
    call.account.put_function_concurrency(latest.name, value)
    return {"ReservedConcurrentExecutions": value}


def get_function_concurrency(call: Call) -> dict[str, Any]:
    latest, _ = call.function()
    value = latest.reserved_concurrency
    return {} if value is None else {"ReservedConcurrentExecutions": value}


def delete_function_concurrency(call: Call) -> None:
    latest, _ = call.function()
    call.account.put_function_concurrency(latest.name, None)


OPERATIONS = {
    "CreateAlias": create_alias,
    "GetAlias": get_alias,
    "UpdateAlias": update_alias,
    "ListAliases": list_aliases,
    "DeleteAlias": delete_alias,
    "PutFunctionConcurrency": put_function_concurrency,
    "GetFunctionConcurrency": get_function_concurrency,
    "DeleteFunctionConcurrency": delete_function_concurrency,
}
