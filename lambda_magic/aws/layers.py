"""Layers on the AWS backend: ``PublishLayerVersion`` and its answer as this package's layer version.

A layer version is a resource of its own on Lambda: ``DeleteFunction`` leaves it, and so does
``lm.delete`` (other functions may use it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..runtime.layers import LayerVersion
from ..runtime.package import DeploymentPackage
from .remote_code import RemoteCode


@dataclass(frozen=True)
class PublishedLayerVersion(RemoteCode, LayerVersion):
    """A layer version as Lambda answered ``PublishLayerVersion``: its ARNs, ``CodeSha256`` and
    ``CodeSize`` are AWS's own; ``package`` is the zip this kernel uploaded."""

    remote_arn: str = ""
    remote_layer_arn: str = ""
    #: ``Content.Location``: where AWS serves the zip (a presigned URL, valid for minutes).
    location: str = ""

    @property
    def layer_arn(self) -> str:
        return self.remote_layer_arn or super().layer_arn

    @property
    def arn(self) -> str:
        """``LayerVersionArn``."""
        return self.remote_arn or super().arn


def publish_parameters(
    name: str,
    package: DeploymentPackage,
    *,
    description: str = "",
    compatible_runtimes: Iterable[str] = (),
    compatible_architectures: Iterable[str] = (),
    license_info: str | None = None,
) -> dict[str, Any]:
    """``PublishLayerVersion``'s parameters (the optional lists and license only when given)."""
    params: dict[str, Any] = {
        "LayerName": name,
        "Content": {"ZipFile": package.zip_file},
        "Description": description,
    }
    if compatible_runtimes:
        params["CompatibleRuntimes"] = list(compatible_runtimes)
    if compatible_architectures:
        params["CompatibleArchitectures"] = list(compatible_architectures)
    if license_info is not None:
        params["LicenseInfo"] = license_info
    return params


def from_answer(answer: Mapping[str, Any], package: DeploymentPackage) -> PublishedLayerVersion:
    """The layer version ``PublishLayerVersion`` (or ``GetLayerVersion``) answered, with the zip sent."""
    from .functions import modified_time

    layer_arn = str(answer["LayerArn"])
    _, _, _, region, account_id, _, name = layer_arn.split(":", 6)
    content = answer.get("Content") or {}
    return PublishedLayerVersion(
        name=name,
        version=int(answer["Version"]),
        region=region,
        account_id=account_id,
        package=package,
        description=answer.get("Description") or "",
        compatible_runtimes=tuple(answer.get("CompatibleRuntimes") or ()),
        compatible_architectures=tuple(answer.get("CompatibleArchitectures") or ()),
        license_info=answer.get("LicenseInfo") or None,
        created=modified_time(answer.get("CreatedDate")),
        remote_arn=str(answer["LayerVersionArn"]),
        remote_layer_arn=layer_arn,
        remote_sha256=str(content.get("CodeSha256", "")),
        remote_size=int(content.get("CodeSize", 0)),
        location=str(content.get("Location", "")),
    )
