"""Event invoke configs (Put/Get/Update/Delete/ListFunctionEventInvokeConfig(s)),
resource-based policies (AddPermission/RemovePermission/GetPolicy), tags
(TagResource/UntagResource/ListTags) and recursive loop detection
(Put/GetFunctionRecursionConfig)."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from ..runtime.async_invocation import AsyncConfig
from ..runtime.function import LATEST
from ..runtime.lineage import RECURSIVE_LOOP_VALUES
from .calls import Call, check_int, page
from .errors import ApiError

_STATEMENT_ID = re.compile(r"^[a-zA-Z0-9-_]{1,100}$")
_ACTION = re.compile(r"^(lambda:[*]|lambda:[a-zA-Z]+|[*])$")


# --- event invoke config ------------------------------------------------------------------------


def _invoke_config_function(call: Call) -> Any:
    latest, qualifier = call.function()
    if qualifier not in (None, LATEST):
        raise ApiError(
            "InvalidParameterValueException",
            "lambda_magic keeps one event invoke config per function ($LATEST): leave out the Qualifier",
        )
    return latest


def _invoke_config(call: Call, latest: Any) -> dict[str, Any]:
    config = call.account.async_invoker.configs.get(latest.name, AsyncConfig())
    destinations: dict[str, Any] = {"OnSuccess": {}, "OnFailure": {}}
    if config.on_success:
        destinations["OnSuccess"] = {"Destination": config.on_success}
    if config.on_failure:
        destinations["OnFailure"] = {"Destination": config.on_failure}
    return {
        "LastModified": call.api.state.function(latest.name).event_invoke_config_modified,
        "FunctionArn": latest.version_arn,
        "MaximumRetryAttempts": config.max_retry_attempts,
        "MaximumEventAgeInSeconds": config.max_event_age_s,
        "DestinationConfig": destinations,
    }


def _configure(call: Call, latest: Any, *, merge: bool) -> dict[str, Any]:
    current = call.account.async_invoker.configs.get(latest.name, AsyncConfig())
    base = current if merge else AsyncConfig(dead_letter_target=current.dead_letter_target)
    retries = check_int(call, "MaximumRetryAttempts", 0, 2)
    age = check_int(call, "MaximumEventAgeInSeconds", 60, 21_600)
    destinations = call.params.get("DestinationConfig")
    on_success, on_failure = base.on_success, base.on_failure
    if destinations is not None:
        if "OnSuccess" in destinations or not merge:
            on_success = (destinations.get("OnSuccess") or {}).get("Destination") or None
        if "OnFailure" in destinations or not merge:
            on_failure = (destinations.get("OnFailure") or {}).get("Destination") or None
    call.account.configure_async(
        latest.name,
        max_retry_attempts=base.max_retry_attempts if retries is None else retries,
        max_event_age_s=base.max_event_age_s if age is None else age,
        on_success=on_success,
        on_failure=on_failure,
        dead_letter_target=base.dead_letter_target,
    )
    call.api.state.function(latest.name).event_invoke_config_modified = time.time()
    return _invoke_config(call, latest)


def put_function_event_invoke_config(call: Call) -> dict[str, Any]:
    return _configure(call, _invoke_config_function(call), merge=False)


def update_function_event_invoke_config(call: Call) -> dict[str, Any]:
    return _configure(call, _invoke_config_function(call), merge=True)


def _existing(call: Call) -> Any:
    latest = _invoke_config_function(call)
    if call.api.state.function(latest.name).event_invoke_config_modified is None:
        raise ApiError(
            "ResourceNotFoundException", f"The function {latest.version_arn} doesn't have an EventInvokeConfig"
        )
    return latest


def get_function_event_invoke_config(call: Call) -> dict[str, Any]:
    return _invoke_config(call, _existing(call))


def delete_function_event_invoke_config(call: Call) -> None:
    latest = _existing(call)
    current = call.account.async_invoker.configs.get(latest.name, AsyncConfig())
    call.account.async_invoker.configure(latest.name, AsyncConfig(dead_letter_target=current.dead_letter_target))
    call.api.state.function(latest.name).event_invoke_config_modified = None


def list_function_event_invoke_configs(call: Call) -> dict[str, Any]:
    latest, _ = call.function()
    found = [latest] if call.api.state.function(latest.name).event_invoke_config_modified is not None else []
    items, marker = page(call, found, lambda f: f.version)
    return {"FunctionEventInvokeConfigs": [_invoke_config(call, f) for f in items], "NextMarker": marker}


# --- resource-based policies --------------------------------------------------------------------


def _principal(principal: str) -> Any:
    if principal == "*":
        return "*"
    if principal.endswith(".amazonaws.com") or principal.endswith(".amazonaws.com.cn"):
        return {"Service": principal}
    if re.fullmatch(r"\d{12}", principal):
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    return {"AWS": principal}


def _policy_key(call: Call) -> tuple[Any, str]:
    latest, qualifier = call.function()
    if qualifier not in (None, LATEST):
        call.version()  # the version or alias must exist
    return latest, qualifier or ""


def add_permission(call: Call) -> dict[str, Any]:
    params = call.params
    latest, qualifier = _policy_key(call)
    sid, action, principal = params.get("StatementId", ""), params.get("Action", ""), params.get("Principal", "")
    if not _STATEMENT_ID.match(sid):
        raise ApiError(
            "InvalidParameterValueException",
            f"1 validation error detected: Value '{sid}' at 'statementId' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)",
        )
    if not _ACTION.match(action):
        raise ApiError(
            "InvalidParameterValueException",
            f"1 validation error detected: Value '{action}' at 'action' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])",
        )
    if not principal:
        raise ApiError("InvalidParameterValueException", "Principal is required")
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": _principal(principal),
        "Action": action,
        "Resource": call.arn(latest.name, qualifier or None),
    }
    condition: dict[str, Any] = {}
    if params.get("SourceAccount"):
        condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = params["SourceAccount"]
    if params.get("PrincipalOrgID"):
        condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = params["PrincipalOrgID"]
    if params.get("EventSourceToken"):
        condition.setdefault("StringEquals", {})["lambda:EventSourceToken"] = params["EventSourceToken"]
    if params.get("FunctionUrlAuthType"):
        condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = params["FunctionUrlAuthType"]
    if params.get("SourceArn"):
        condition["ArnLike"] = {"AWS:SourceArn": params["SourceArn"]}
    if condition:
        statement["Condition"] = condition
    state = call.api.state
    with state.lock:
        extras = state.function(latest.name)
        _check_policy_revision(call, extras)
        statements = extras.policies.setdefault(qualifier, {})
        if sid in statements:
            raise ApiError(
                "ResourceConflictException",
                "The statement id (sid) provided already exists. Please choose a statement id that is "
                "unique to the policy.",
            )
        statements[sid] = statement
        extras.policy_revision += 1
    return {"Statement": json.dumps(statement)}


def _policy_revision_id(name: str, extras: Any) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"policy:{name}#{extras.policy_revision}"))


def _check_policy_revision(call: Call, extras: Any) -> None:
    wanted = call.params.get("RevisionId")
    name = call.function_name()[0]
    if wanted is not None and wanted != _policy_revision_id(name, extras):
        raise ApiError(
            "PreconditionFailedException",
            "The Revision Id provided does not match the latest Revision Id. "
            "Call the GetPolicy API to retrieve the latest Revision Id",
        )


def get_policy(call: Call) -> dict[str, Any]:
    latest, qualifier = _policy_key(call)
    with call.api.state.lock:
        extras = call.api.state.function(latest.name)
        statements = list(extras.policies.get(qualifier, {}).values())
        revision = _policy_revision_id(latest.name, extras)
    if not statements:
        raise ApiError("ResourceNotFoundException", "The resource you requested does not exist.")
    policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
    return {"Policy": json.dumps(policy), "RevisionId": revision}


def remove_permission(call: Call) -> None:
    latest, qualifier = _policy_key(call)
    with call.api.state.lock:
        extras = call.api.state.function(latest.name)
        _check_policy_revision(call, extras)
        statements = extras.policies.get(qualifier, {})
        if statements.pop(call.params.get("StatementId", ""), None) is None:
            raise ApiError("ResourceNotFoundException", "Statement sid is not found in resource policy.")
        extras.policy_revision += 1


# --- tags ---------------------------------------------------------------------------------------


def _tagged(call: Call) -> Any:
    latest, qualifier = call.function("Resource")
    if qualifier is not None:
        raise ApiError("InvalidParameterValueException", "Tags apply to functions: give the unqualified function ARN")
    return latest


def tag_resource(call: Call) -> None:
    latest = _tagged(call)
    tags = call.params.get("Tags") or {}
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise ApiError("InvalidParameterValueException", "Tags must be a map of string keys to string values")
    with call.api.state.lock:
        extras = call.api.state.function(latest.name)
        merged = {**extras.tags, **tags}
        if len(merged) > 50:
            raise ApiError("InvalidParameterValueException", "A function can have at most 50 tags")
        extras.tags = merged


def untag_resource(call: Call) -> None:
    latest = _tagged(call)
    with call.api.state.lock:
        extras = call.api.state.function(latest.name)
        for key in call.params.get("TagKeys") or []:
            extras.tags.pop(key, None)


def list_tags(call: Call) -> dict[str, Any]:
    return {"Tags": dict(call.api.state.function(_tagged(call).name).tags)}


# --- recursive loop detection -------------------------------------------------------------------


def put_function_recursion_config(call: Call) -> dict[str, Any]:
    latest, _ = call.function()
    value = call.params.get("RecursiveLoop")
    if value not in RECURSIVE_LOOP_VALUES:
        raise ApiError(
            "InvalidParameterValueException",
            f"1 validation error detected: Value '{value}' at 'recursiveLoop' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(RECURSIVE_LOOP_VALUES)}]",
        )
    call.account.lineage.set_recursive_loop(latest.name, value)
    return {"RecursiveLoop": value}


def get_function_recursion_config(call: Call) -> dict[str, Any]:
    latest, _ = call.function()
    return {"RecursiveLoop": call.account.lineage.recursive_loop(latest.name)}


OPERATIONS = {
    "PutFunctionEventInvokeConfig": put_function_event_invoke_config,
    "UpdateFunctionEventInvokeConfig": update_function_event_invoke_config,
    "GetFunctionEventInvokeConfig": get_function_event_invoke_config,
    "DeleteFunctionEventInvokeConfig": delete_function_event_invoke_config,
    "ListFunctionEventInvokeConfigs": list_function_event_invoke_configs,
    "AddPermission": add_permission,
    "GetPolicy": get_policy,
    "RemovePermission": remove_permission,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTags": list_tags,
    "PutFunctionRecursionConfig": put_function_recursion_config,
    "GetFunctionRecursionConfig": get_function_recursion_config,
}
