"""CreateFunction and UpdateFunctionCode from a zip (``Code.ZipFile``).

The zip becomes the function's deployment package (``LocalAccount.register(zip_file=...)``):
the handler names a module in it (``app.handler`` for ``app.py``), and the package is
the environment's ``/var/task``.  ``CodeSha256`` and ``CodeSize`` are those of the
uploaded zip, as AWS computes them (and as ``lm.functions()`` shows them), and
``GetFunction`` serves it back.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from ..common import limits
from .calls import Call, check_int
from .errors import ApiError
from .lambda_functions import UNSUPPORTED, _check_revision, apply_settings, check_settings, configuration, reregister
from .lambda_layers import check_layers
from .packages import check_upload

_ROLE = re.compile(r"^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")


def _zip_bytes(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    try:
        return base64.b64decode(value or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ApiError("InvalidParameterValueException", "Code.ZipFile must be base64-encoded zip bytes") from None


def create_function(call: Call) -> dict[str, Any]:
    params = call.params
    name, qualifier = call.function_name()
    if qualifier is not None:
        raise ApiError("InvalidParameterValueException", "FunctionName must be unqualified to create a function")
    if call.account.registry.latest(name) is not None:
        raise ApiError("ResourceConflictException", f"Function already exist: {name}")
    for key in (*UNSUPPORTED, "CodeSigningConfigArn", "PublishTo", "AcceleratorConfig", "RuntimeConfig"):
        if params.get(key):
            raise ApiError(
                "InvalidParameterValueException",
                f"{key} is not supported by lambda_magic's local account; leave it out",
            )
    if params.get("PackageType", "Zip") != "Zip":
        raise ApiError("InvalidParameterValueException", "lambda_magic runs Zip packages only (no container images)")
    runtime = params.get("Runtime")
    if runtime not in limits.PYTHON_RUNTIMES:
        raise ApiError(
            "InvalidParameterValueException",
            f"The runtime parameter of {runtime} is not supported here: lambda_magic runs Python "
            f"({', '.join(limits.PYTHON_RUNTIMES)})",
        )
    role = params.get("Role") or ""
    if not _ROLE.match(role):
        raise ApiError(
            "InvalidParameterValueException",
            f"1 validation error detected: Value '{role}' at 'role' failed to satisfy constraint: Member "
            "must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
        )
    code = params.get("Code") or {}
    if code.get("S3Bucket") or code.get("ImageUri"):
        raise ApiError(
            "InvalidParameterValueException",
            "lambda_magic takes the code as Code.ZipFile (aws lambda create-function --zip-file fileb://f.zip)",
        )
    package = check_upload(_zip_bytes(code.get("ZipFile")), "CreateFunction")
    handler = params.get("Handler") or ""
    architectures = params.get("Architectures") or ["x86_64"]
    if len(architectures) != 1 or architectures[0] not in limits.ARCHITECTURES:
        raise ApiError("InvalidParameterValueException", "Architectures is one of x86_64 or arm64")
    check_int(call, "Timeout", limits.TIMEOUT_MIN_S, limits.TIMEOUT_MAX_S)
    check_int(call, "MemorySize", limits.MEMORY_MIN_MB, limits.MEMORY_MAX_MB)
    check_settings(call)
    logging = params.get("LoggingConfig") or {}
    function = call.account.register(
        name,
        zip_file=package,
        handler=handler,
        layers=check_layers(call, params.get("Layers")),
        memory_mb=params.get("MemorySize"),
        timeout_s=params.get("Timeout"),
        env=(params.get("Environment") or {}).get("Variables") or {},
        runtime=runtime,
        architecture=architectures[0],
        description=params.get("Description", ""),
        log_format=logging.get("LogFormat", "Text"),
        log_level=logging.get("ApplicationLogLevel"),
        isolation="process",
        tracing=(params.get("TracingConfig") or {}).get("Mode") or "PassThrough",
    )
    extras = call.api.state.function(name)
    extras.role = role
    extras.tags = dict(params.get("Tags") or {})
    apply_settings(call, function)
    if params.get("Publish"):
        call.account.publish_version(name, params.get("Description", ""))
    return {
        **configuration(call, function),
        "State": "Pending",
        "StateReason": "The function is being created.",
        "StateReasonCode": "Creating",
    }


def update_function_code(call: Call) -> dict[str, Any]:
    params = call.params
    latest, qualifier = call.function()
    if qualifier is not None:
        raise ApiError("InvalidParameterValueException", "FunctionName must be unqualified to update its code")
    if params.get("S3Bucket") or params.get("ImageUri"):
        raise ApiError(
            "InvalidParameterValueException",
            "lambda_magic takes the code as ZipFile (aws lambda update-function-code --zip-file fileb://f.zip)",
        )
    _check_revision(call, latest)
    package = check_upload(_zip_bytes(params.get("ZipFile")), "UpdateFunctionCode")
    architectures = params.get("Architectures") or [latest.config.architecture]
    if len(architectures) != 1 or architectures[0] not in limits.ARCHITECTURES:
        raise ApiError("InvalidParameterValueException", "Architectures is one of x86_64 or arm64")
    if params.get("DryRun"):
        return configuration(call, latest)
    function = reregister(call, latest, zip_file=package, architecture=architectures[0])
    if params.get("Publish"):
        call.account.publish_version(latest.name)
    return {**configuration(call, function), "LastUpdateStatus": "InProgress"}


OPERATIONS = {"CreateFunction": create_function, "UpdateFunctionCode": update_function_code}
