"""Layers: PublishLayerVersion, GetLayerVersion(ByArn), ListLayers, ListLayerVersions,
DeleteLayerVersion, and a function's ``Layers`` (their ``python/`` folder is importable).

The layers are the account's layer store (``runtime.layers``, the one ``lm.publish_layer_version``
uses); a function's ``Layers`` go to ``register(layers=...)``, which extracts them to ``/opt``."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from ..common import limits
from ..common.errors import LambdaMagicError
from ..runtime.layers import LayerStore, LayerVersion, layer_store
from .calls import Call, page, timestamp
from .errors import ApiError
from .packages import check_upload

_LAYER_NAME = re.compile(r"^[a-zA-Z0-9-_]{1,140}$")


def _store(call: Call) -> LayerStore:
    return layer_store(call.account)


def _arn(call: Call, name: str, version: int | None = None) -> str:
    base = f"arn:aws:lambda:{call.region}:{call.account_id}:layer:{name}"
    return base if version is None else f"{base}:{version}"


def _output(call: Call, layer: LayerVersion) -> dict[str, Any]:
    result: dict[str, Any] = {
        "Content": {
            "Location": call.api.layer_location(layer),
            "CodeSha256": layer.code_sha256,
            "CodeSize": layer.code_size,
        },
        "LayerArn": _arn(call, layer.name),
        "LayerVersionArn": _arn(call, layer.name, layer.version),
        "Description": layer.description,
        "CreatedDate": timestamp(layer.created),
        "Version": layer.version,
        "CompatibleRuntimes": list(layer.compatible_runtimes),
        "CompatibleArchitectures": list(layer.compatible_architectures),
    }
    if layer.license_info:
        result["LicenseInfo"] = layer.license_info
    return result


def _name(call: Call) -> str:
    name = call.params.get("LayerName", "")
    if name.startswith("arn:"):
        parts = name.split(":")
        if len(parts) != 7 or parts[5] != "layer":
            raise ApiError("InvalidParameterValueException", f"{name} is not a layer ARN")
        _check_owner(call, parts[3], parts[4], name)
        name = parts[6]
    if not _LAYER_NAME.match(name):
        raise ApiError("InvalidParameterValueException", f"layer name {name!r}: use 1-140 letters, digits, '-' or '_'")
    return name


def _check_owner(call: Call, region: str, account: str, arn: str) -> None:
    if region != call.region:
        raise ApiError(
            "ResourceNotFoundException", f"Layers from '{region}' are not reachable in this region ('{call.region}')"
        )
    if account != call.account_id:
        raise ApiError(
            "AccessDeniedException",
            f"User is not authorized to perform: lambda:GetLayerVersion on resource: {arn}",
            403,
        )


def publish_layer_version(call: Call) -> dict[str, Any]:
    name = _name(call)
    content = call.params.get("Content") or {}
    if content.get("S3Bucket"):
        raise ApiError("InvalidParameterValueException", "lambda_magic takes a layer as Content.ZipFile")
    try:
        package = base64.b64decode(content.get("ZipFile") or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ApiError("InvalidParameterValueException", "Content.ZipFile must be base64-encoded zip bytes") from None
    check_upload(package, "PublishLayerVersion")
    runtimes = tuple(call.params.get("CompatibleRuntimes") or ())
    architectures = tuple(call.params.get("CompatibleArchitectures") or ())
    for architecture in architectures:
        if architecture not in limits.ARCHITECTURES:
            raise ApiError("InvalidParameterValueException", f"architecture {architecture!r}: x86_64 or arm64")
    try:
        layer = _store(call).publish(
            name,
            package,
            description=call.params.get("Description", ""),
            compatible_runtimes=runtimes,
            compatible_architectures=architectures,
            license_info=call.params.get("LicenseInfo"),
        )
    except LambdaMagicError as exc:  # not a zip
        raise ApiError(
            "InvalidParameterValueException",
            f"Could not unzip uploaded file. Please check your file, then try to upload again. ({exc})",
        ) from None
    return _output(call, layer)


def _version(call: Call, name: str, number: Any) -> LayerVersion:
    if not str(number).isdigit():
        raise ApiError("ResourceNotFoundException", "The resource you requested does not exist.")
    return _store(call).version(name, int(number))  # ResourceNotFoundException when there is none


def get_layer_version(call: Call) -> dict[str, Any]:
    return _output(call, _version(call, _name(call), call.params.get("VersionNumber")))


def get_layer_version_by_arn(call: Call) -> dict[str, Any]:
    return _output(call, resolve(call, call.params.get("Arn", "")))


def resolve(call: Call, arn: str) -> LayerVersion:
    """The layer version an ARN names (``arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION``)."""
    parts = arn.split(":")
    if len(parts) != 8 or parts[0] != "arn" or parts[5] != "layer":
        raise ApiError(
            "InvalidParameterValueException",
            f"Layer version {arn} is not a layer version ARN (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION)",
        )
    _check_owner(call, parts[3], parts[4], arn)
    return _store(call).get(arn)  # InvalidParameterValueException when there is none


def list_layers(call: Call) -> dict[str, Any]:
    store = _store(call)
    items = []
    for name in sorted({layer.name for layer in store.layers()}):
        matching = [v for v in store.versions(name) if _matches(call, v)]
        if matching:
            latest = {k: v for k, v in _output(call, matching[0]).items() if k not in ("Content", "LayerArn")}
            items.append({"LayerName": name, "LayerArn": _arn(call, name), "LatestMatchingVersion": latest})
    chunk, marker = page(call, items, lambda item: item["LayerName"])
    return {"Layers": chunk, "NextMarker": marker}


def list_layer_versions(call: Call) -> dict[str, Any]:
    name = _name(call)
    versions = [v for v in _store(call).versions(name) if _matches(call, v)]
    chunk, marker = page(call, versions, lambda v: -v.version)
    return {
        "LayerVersions": [
            {k: v for k, v in _output(call, layer).items() if k not in ("Content", "LayerArn")} for layer in chunk
        ],
        "NextMarker": marker,
    }


def _matches(call: Call, layer: LayerVersion) -> bool:
    runtime, architecture = call.params.get("CompatibleRuntime"), call.params.get("CompatibleArchitecture")
    return (runtime is None or runtime in layer.compatible_runtimes) and (
        architecture is None or architecture in layer.compatible_architectures
    )


def delete_layer_version(call: Call) -> None:
    number = call.params.get("VersionNumber")
    _store(call).delete(_name(call), int(str(number)) if str(number).isdigit() else -1)  # idempotent, as on AWS


def check_layers(call: Call, arns: Any) -> list[str]:
    """A function's ``Layers``, each checked as AWS answers (another account's: AccessDenied)."""
    arns = list(arns or [])
    for arn in arns:
        resolve(call, arn)
    return arns


OPERATIONS = {
    "PublishLayerVersion": publish_layer_version,
    "GetLayerVersion": get_layer_version,
    "GetLayerVersionByArn": get_layer_version_by_arn,
    "ListLayers": list_layers,
    "ListLayerVersions": list_layer_versions,
    "DeleteLayerVersion": delete_layer_version,
}
