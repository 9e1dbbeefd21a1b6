"""Lambda layers: versioned zips whose ``python/`` folder is on a function's path.

``PublishLayerVersion`` stores a zip as the next version of a layer
(``arn:aws:lambda:REGION:ACCOUNT:layer:NAME:N``); a function registered with
``layers=[arn, ...]`` keeps the versions it was given (as on AWS, deleting a layer
version later does not change a function that uses it).  In the environment the
layers are extracted in order to ``/opt`` (where the OS allows a mount namespace;
else a real folder), and ``/opt/python/lib/pythonX.Y/site-packages`` and
``/opt/python`` come on ``sys.path`` after the function's own code.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..common.errors import InvalidParameterValueException, ResourceNotFoundException
from .package import UNZIPPED_MAX_BYTES, DeploymentPackage

#: At most five layers per function, as on Lambda.
MAX_LAYERS = 5
_LAYER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,140}$")
_VERSION_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):layer:([A-Za-z0-9_-]{1,140}):([0-9]+)$")


@dataclass(frozen=True)
class LayerVersion:
    """One published version of a layer (immutable)."""

    name: str
    version: int
    region: str
    account_id: str
    package: DeploymentPackage
    description: str = ""
    compatible_runtimes: tuple[str, ...] = ()
    compatible_architectures: tuple[str, ...] = ()
    license_info: str | None = None
    created: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def layer_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:layer:{self.name}"

    @property
    def arn(self) -> str:
        """``LayerVersionArn``."""
        return f"{self.layer_arn}:{self.version}"

    @property
    def code_sha256(self) -> str:
        return self.package.code_sha256

    @property
    def code_size(self) -> int:
        return self.package.code_size

    def __repr__(self) -> str:
        return f"LayerVersion {self.arn} ({self.code_size} bytes, CodeSha256 {self.code_sha256})"


class LayerStore:
    """The account's layers (an account extension: ``account.extension("layers", ...)``); thread-safe."""

    def __init__(self, region: str, account_id: str):
        self.region = region
        self.account_id = account_id
        self._versions: dict[str, dict[int, LayerVersion]] = {}
        self._numbers: dict[str, int] = {}  # version numbers are never reused, even after a delete
        self._lock = threading.Lock()

    def publish(
        self,
        name: str,
        zip_file: bytes,
        *,
        description: str = "",
        compatible_runtimes: Iterable[str] = (),
        compatible_architectures: Iterable[str] = (),
        license_info: str | None = None,
    ) -> LayerVersion:
        """``PublishLayerVersion``: store ``zip_file`` as the next version of layer ``name``."""
        name = self._name(name)
        package = DeploymentPackage.from_zip(zip_file)
        with self._lock:
            number = self._numbers.get(name, 0) + 1
            self._numbers[name] = number
            layer = LayerVersion(
                name,
                number,
                self.region,
                self.account_id,
                package,
                description,
                tuple(compatible_runtimes),
                tuple(compatible_architectures),
                license_info,
            )
            self._versions.setdefault(name, {})[number] = layer
            return layer

    def get(self, arn: str) -> LayerVersion:
        """The layer version a ``LayerVersionArn`` names (``InvalidParameterValueException`` if none, as
        ``CreateFunction`` answers)."""
        match = _VERSION_ARN.match(arn) if isinstance(arn, str) else None
        if match is None:
            raise InvalidParameterValueException(
                f"{arn!r} is not a layer version ARN: use arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION"
            )
        region, account_id, name, number = match.groups()
        with self._lock:
            layer = self._versions.get(name, {}).get(int(number))
        if layer is None or region != self.region or account_id != self.account_id:
            raise InvalidParameterValueException(f"Layer version {arn} does not exist.")
        return layer

    def resolve(self, arns: Iterable[str], code: DeploymentPackage) -> tuple[LayerVersion, ...]:
        """The layer versions for a function's ``Layers``, validated with ``code`` as AWS does."""
        arns = list(arns)
        if len(arns) > MAX_LAYERS:
            raise InvalidParameterValueException(f"a function can use at most {MAX_LAYERS} layers, got {len(arns)}")
        layers = tuple(self.get(arn) for arn in arns)
        if len({layer.layer_arn for layer in layers}) != len(layers):
            raise InvalidParameterValueException("Two different versions of the same layer are not allowed.")
        total = code.unzipped_size + sum(layer.package.unzipped_size for layer in layers)
        if total > UNZIPPED_MAX_BYTES:
            raise InvalidParameterValueException(
                f"Function code combined with layers exceeds the maximum allowed size of {UNZIPPED_MAX_BYTES} bytes. "
                f"The actual size is {total} bytes."
            )
        return layers

    def versions(self, name: str) -> list[LayerVersion]:
        """``ListLayerVersions``: newest first, as AWS lists them."""
        with self._lock:
            return [self._versions.get(name, {})[n] for n in sorted(self._versions.get(name, {}), reverse=True)]

    def layers(self) -> list[LayerVersion]:
        """``ListLayers``: the latest version of each layer."""
        with self._lock:
            return [versions[max(versions)] for _, versions in sorted(self._versions.items()) if versions]

    def delete(self, name: str, version: int) -> None:
        """``DeleteLayerVersion`` (no error when it does not exist, as on AWS)."""
        with self._lock:
            self._versions.get(name, {}).pop(int(version), None)

    def version(self, name: str, version: int) -> LayerVersion:
        """``GetLayerVersion``."""
        with self._lock:
            layer = self._versions.get(name, {}).get(int(version))
        if layer is None:
            raise ResourceNotFoundException("The resource you requested does not exist.")
        return layer

    @staticmethod
    def _name(name: str) -> str:
        return check_layer_name(name)


def check_layer_name(name: str) -> str:
    """``name`` when it is a layer name Lambda accepts (1-140 letters, digits, ``-``, ``_``)."""
    if not isinstance(name, str) or not _LAYER_NAME.match(name):
        raise InvalidParameterValueException(f"invalid layer name {name!r}: use 1-140 letters, digits, '-' or '_'")
    return name


def layer_store(account: object) -> LayerStore:
    """The account's layer store (made on first use)."""
    settings = account.settings  # type: ignore[attr-defined]
    return account.extension("layers", lambda: LayerStore(settings.region, settings.account_id))  # type: ignore[attr-defined]
