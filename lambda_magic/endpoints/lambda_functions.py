"""Lambda's control plane for functions and versions, over the account's registry:
GetFunction, GetFunctionConfiguration, ListFunctions, UpdateFunctionConfiguration,
DeleteFunction, PublishVersion, ListVersionsByFunction, GetAccountSettings."""

from __future__ import annotations

from typing import Any

from ..common import limits
from ..runtime.function import LATEST, Function
from ..runtime.logformat import runtime_version
from .calls import Call, check_int, page, revision_id, timestamp
from .errors import ApiError

EPHEMERAL_STORAGE_MB = 512
#: UpdateFunctionConfiguration settings an execution environment here cannot honour.
UNSUPPORTED = (
    "VpcConfig",
    "KMSKeyArn",
    "FileSystemConfigs",
    "ImageConfig",
    "SnapStart",
    "CapacityProviderConfig",
    "DurableConfig",
    "TenancyConfig",
)


def configuration(
    call: Call, function: Function, *, qualified: bool = False, qualifier: str | None = None
) -> dict[str, Any]:
    """The ``FunctionConfiguration`` of one version, as Lambda reports it (its ARN ends in the
    ``qualifier`` the caller used, e.g. an alias, when given)."""
    config = function.config
    extras = call.api.state.function(function.name)
    arn = function.version_arn if qualified or function.version != LATEST else function.arn
    if qualifier is not None:
        arn = f"{function.arn}:{qualifier}"
    _, digest = runtime_version(config.runtime)
    logging: dict[str, Any] = {"LogFormat": config.log_format, "LogGroup": function.log_group_name}
    if config.log_format == "JSON":
        logging.update(ApplicationLogLevel=config.log_level or "INFO", SystemLogLevel="INFO")
    result: dict[str, Any] = {
        "FunctionName": function.name,
        "FunctionArn": arn,
        "Runtime": config.runtime,
        "Role": extras.role or f"arn:aws:iam::{function.account_id}:role/service-role/{function.name}-role",
        "Handler": config.handler_setting,
        "CodeSize": function.code_size,
        "Description": config.description,
        "Timeout": config.timeout_s,
        "MemorySize": config.memory_mb,
        "LastModified": timestamp(function.last_modified),
        "CodeSha256": function.code_sha256,
        "Version": function.version,
        "TracingConfig": {"Mode": config.tracing},
        "RevisionId": revision_id(function),
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": [config.architecture],
        "EphemeralStorage": {"Size": extras.ephemeral_storage_mb},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "RuntimeVersionConfig": {"RuntimeVersionArn": f"arn:aws:lambda:{function.region}::runtime:{digest}"},
        "LoggingConfig": logging,
    }
    if config.env:
        result["Environment"] = {"Variables": dict(config.env)}
    if function.layers:
        result["Layers"] = [{"Arn": layer.arn, "CodeSize": layer.code_size} for layer in function.layers]
    dead_letter = _async_config(call, function.name).dead_letter_target
    if dead_letter:
        result["DeadLetterConfig"] = {"TargetArn": dead_letter}
    return result


def _async_config(call: Call, name: str) -> Any:
    from ..runtime.async_invocation import AsyncConfig

    return call.account.async_invoker.configs.get(name, AsyncConfig())


def get_function(call: Call) -> dict[str, Any]:
    function = call.version()
    result: dict[str, Any] = {
        "Configuration": configuration(call, function, qualifier=call.function_name()[1]),
        "Code": {"RepositoryType": "S3", "Location": call.api.code_location(function)},
    }
    tags = call.api.state.function(function.name).tags
    if tags:
        result["Tags"] = dict(tags)
    if function.reserved_concurrency is not None:
        result["Concurrency"] = {"ReservedConcurrentExecutions": function.reserved_concurrency}
    return result


def get_function_configuration(call: Call) -> dict[str, Any]:
    return configuration(call, call.version(), qualifier=call.function_name()[1])


def list_functions(call: Call) -> dict[str, Any]:
    registry = call.account.registry
    everything = call.params.get("FunctionVersion") == "ALL"
    if call.params.get("FunctionVersion") not in (None, "ALL"):
        raise ApiError("InvalidParameterValueException", "FunctionVersion must be ALL")
    items: list[tuple[str, Function]] = []
    for name in registry.names():
        try:
            versions = registry.versions(name) if everything else [registry.latest(name)]
        except Exception:  # deleted meanwhile
            continue
        items.extend((name, v) for v in versions if v is not None)
    found, marker = page(call, items, lambda item: [item[0], -1 if item[1].version == LATEST else int(item[1].version)])
    return {"Functions": [configuration(call, f, qualified=everything) for _, f in found], "NextMarker": marker}


def update_function_configuration(call: Call) -> dict[str, Any]:
    params = call.params
    latest, _ = call.function()
    for key in UNSUPPORTED:
        if params.get(key):
            raise ApiError(
                "InvalidParameterValueException",
                f"{key} is not supported by lambda_magic's local account; leave it out",
            )
    _check_revision(call, latest)
    config = latest.config
    handler = params.get("Handler", config.handler_setting)
    timeout = check_int(call, "Timeout", limits.TIMEOUT_MIN_S, limits.TIMEOUT_MAX_S)
    memory = check_int(call, "MemorySize", limits.MEMORY_MIN_MB, limits.MEMORY_MAX_MB)
    env = (params.get("Environment") or {}).get("Variables", config.env) if "Environment" in params else config.env
    logging = params.get("LoggingConfig") or {}
    log_format = logging.get("LogFormat", config.log_format)
    log_level = logging.get("ApplicationLogLevel", config.log_level if log_format == "JSON" else None)
    check_settings(call)
    from .lambda_layers import check_layers

    layers = check_layers(call, params["Layers"]) if "Layers" in params else list(config.layers)
    function = reregister(
        call,
        latest,
        handler=handler,
        layers=layers,
        memory_mb=memory or config.memory_mb,
        timeout_s=timeout or config.timeout_s,
        env=env,
        runtime=params.get("Runtime", config.runtime),
        description=params.get("Description", config.description),
        log_format=log_format,
        log_level=log_level,
        tracing=(params.get("TracingConfig") or {}).get("Mode") or config.tracing,
    )
    apply_settings(call, function)
    return configuration(call, function)


def reregister(call: Call, latest: Function, **changes: Any) -> Function:
    """Register ``$LATEST`` again with ``changes``; everything else as it was (``register``
    resets an option it is not given to its default, so each one is passed back)."""
    config = latest.config
    options: dict[str, Any] = {
        "handler": config.handler_setting,
        "layers": list(config.layers),
        "memory_mb": config.memory_mb,
        "timeout_s": config.timeout_s,
        "env": dict(config.env),
        "runtime": config.runtime,
        "architecture": config.architecture,
        "description": config.description,
        "log_format": config.log_format,
        "log_level": config.log_level,
        "isolation": config.isolation,
        "tracing": config.tracing,
    }
    if "zip_file" not in changes:  # the same code: the cell's source, or the package's bytes
        if latest.package is None:
            options["code"] = latest.code
        else:
            options["zip_file"] = latest.package.zip_file
    options.update(changes)
    return call.account.register(latest.name, **options)


def check_settings(call: Call) -> None:
    """Validate the settings :func:`apply_settings` applies (before anything changes)."""
    params = call.params
    mode = (params.get("TracingConfig") or {}).get("Mode")
    storage = (params.get("EphemeralStorage") or {}).get("Size")
    if mode not in (None, "Active", "PassThrough"):
        raise ApiError("InvalidParameterValueException", f"TracingConfig Mode {mode!r}: choose Active or PassThrough")
    if storage is not None and (
        isinstance(storage, bool) or not isinstance(storage, int) or not 512 <= storage <= 10_240
    ):
        raise ApiError(
            "InvalidParameterValueException",
            f"1 validation error detected: Value '{storage}' at 'ephemeralStorage.size' failed to satisfy "
            "constraint: Member must have value between 512 and 10240",
        )


def apply_settings(call: Call, function: Function) -> None:
    """The settings the API keeps itself (role, /tmp size) and the dead-letter target."""
    params = call.params
    storage = (params.get("EphemeralStorage") or {}).get("Size")
    extras = call.api.state.function(function.name)
    extras.role = params.get("Role", extras.role)
    extras.ephemeral_storage_mb = storage or extras.ephemeral_storage_mb
    if "DeadLetterConfig" in params:
        target = (params["DeadLetterConfig"] or {}).get("TargetArn") or None
        current = _async_config(call, function.name)
        call.account.configure_async(
            function.name,
            max_retry_attempts=current.max_retry_attempts,
            max_event_age_s=current.max_event_age_s,
            on_success=current.on_success,
            on_failure=current.on_failure,
            dead_letter_target=target,
        )


def _check_revision(call: Call, function: Function) -> None:
    wanted = call.params.get("RevisionId")
    if wanted is not None and wanted != revision_id(function):
        raise ApiError(
            "PreconditionFailedException",
            "The Revision Id provided does not match the latest Revision Id. "
            "Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
        )


def delete_function(call: Call) -> None:
    latest, qualifier = call.function()
    if qualifier is None:
        call.account.delete_function(latest.name)
        call.api.state.forget(latest.name)
        return None
    if qualifier == LATEST:
        raise ApiError(
            "InvalidParameterValueException", "$LATEST version cannot be deleted without deleting the function."
        )
    if not qualifier.isdigit():
        raise ApiError(
            "InvalidParameterValueException",
            "Deletion of aliases is not supported through DeleteFunction; use DeleteAlias",
        )
    call.version()  # a missing version: ResourceNotFoundException
    call.account.registry.delete_version(latest.name, qualifier)
    call.account.pool.retire(latest.name, qualifier)
    return None


def publish_version(call: Call) -> dict[str, Any]:
    latest, _ = call.function()
    wanted = call.params.get("CodeSha256")
    if wanted is not None and wanted != latest.code_sha256:
        raise ApiError(
            "PreconditionFailedException",
            f"CodeSHA256 ({wanted}) is different from current CodeSHA256 in $LATEST "
            f"({latest.code_sha256}). Please try again with the CodeSHA256 in $LATEST.",
        )
    _check_revision(call, latest)
    version = call.account.publish_version(latest.name, call.params.get("Description", ""))
    return configuration(call, version, qualified=True)


def list_versions_by_function(call: Call) -> dict[str, Any]:
    latest, _ = call.function()
    versions = call.account.registry.versions(latest.name)
    found, marker = page(call, versions, lambda f: -1 if f.version == LATEST else int(f.version))
    return {"Versions": [configuration(call, f, qualified=True) for f in found], "NextMarker": marker}


def get_account_settings(call: Call) -> dict[str, Any]:
    account = call.account
    functions = account.list_functions()
    total = sum(v.code_size for f in functions for v in account.registry.versions(f.name))
    reserved = sum(f.reserved_concurrency or 0 for f in functions)
    limit = account.settings.account_concurrency
    return {
        "AccountLimit": {
            "TotalCodeSize": 80_530_636_800,
            "CodeSizeUnzipped": 262_144_000,
            "CodeSizeZipped": 52_428_800,
            "ConcurrentExecutions": limit,
            "UnreservedConcurrentExecutions": limit - reserved,
        },
        "AccountUsage": {"TotalCodeSize": total, "FunctionCount": len(functions)},
    }


OPERATIONS = {
    "GetFunction": get_function,
    "GetFunctionConfiguration": get_function_configuration,
    "ListFunctions": list_functions,
    "UpdateFunctionConfiguration": update_function_configuration,
    "DeleteFunction": delete_function,
    "PublishVersion": publish_version,
    "ListVersionsByFunction": list_versions_by_function,
    "GetAccountSettings": get_account_settings,
}
