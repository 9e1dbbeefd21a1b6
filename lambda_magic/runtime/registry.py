"""Functions, their published versions and aliases (Lambda's versioning model)."""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ..common.errors import InvalidParameterValueException, ResourceConflictException, ResourceNotFoundException
from .config import FunctionConfig
from .function import LATEST, Function

_ALIAS = re.compile(r"^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$")


@dataclass(frozen=True)
class Alias:
    """A named pointer to a version, optionally routing a share of traffic to a second one."""

    name: str
    function_version: str
    additional_version_weights: Mapping[str, float] = field(default_factory=dict)
    description: str = ""


@dataclass
class _Entry:
    latest: Function
    versions: dict[str, Function] = field(default_factory=dict)
    aliases: dict[str, Alias] = field(default_factory=dict)
    last_version: int = 0
    #: ``$LATEST``'s configuration when ``last_version`` was published (a changed Description counts, as on AWS).
    published_from: FunctionConfig | None = None


class FunctionRegistry:
    """Thread-safe store of every function version and alias of the account."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.RLock()
        self._revision = 0
        #: Version numbers are never reused, even after a function is deleted and recreated.
        self._numbers: dict[str, int] = {}

    def next_revision(self) -> int:
        with self._lock:
            self._revision += 1
            return self._revision

    def put_latest(self, function: Function) -> bool:
        """Create or update ``$LATEST``; returns True when the function already existed."""
        with self._lock:
            entry = self._entries.get(function.name)
            if entry is None:
                self._entries[function.name] = _Entry(function)
                return False
            entry.latest = function
            return True

    def latest(self, name: str) -> Function | None:
        entry = self._entries.get(name)
        return None if entry is None else entry.latest

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._entries)

    def delete(self, name: str) -> None:
        with self._lock:
            self._entries.pop(name, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def set_reserved_concurrency(self, name: str, value: int | None) -> None:
        """Reserved concurrency belongs to the function: every version sees it."""
        with self._lock:
            entry = self._require(name)
            entry.latest = replace(entry.latest, reserved_concurrency=value)
            for number, version in entry.versions.items():
                entry.versions[number] = replace(version, reserved_concurrency=value)

    # --- versions and aliases ----------------------------------------------------------------------

    def publish_version(self, name: str, description: str = "") -> Function:
        """Freeze ``$LATEST`` as the next version number (or return the last one if unchanged)."""
        with self._lock:
            entry = self._require(name)
            latest = entry.latest
            if entry.last_version:
                last = entry.versions.get(str(entry.last_version))
                unchanged = (
                    last is not None
                    and last.code_sha256 == latest.code_sha256
                    and entry.published_from == latest.config
                )
                if last is not None and unchanged:
                    return last
            number = max(self._numbers.get(name, 0), entry.last_version) + 1
            self._numbers[name] = entry.last_version = number
            entry.published_from = latest.config
            config = replace(latest.config, description=description or latest.config.description)
            version = replace(latest, version=str(number), revision=self.next_revision(), config=config)
            entry.versions[str(number)] = version
            return version

    def versions(self, name: str) -> list[Function]:
        with self._lock:
            entry = self._require(name)
            return [entry.latest] + [entry.versions[k] for k in sorted(entry.versions, key=int)]

    def put_alias(
        self,
        name: str,
        alias: str,
        function_version: str,
        *,
        additional_version_weights: Mapping[str, float] | None = None,
        description: str = "",
        create: bool = True,
    ) -> Alias:
        with self._lock:
            entry = self._require(name)
            if not _ALIAS.match(alias):
                raise InvalidParameterValueException(
                    f"alias name {alias!r}: use 1-128 letters, digits, '-' or '_', and not only digits"
                )
            if create and alias in entry.aliases:
                raise ResourceConflictException(f"alias {alias} of {name} already exists; update it instead")
            if not create and alias not in entry.aliases:
                raise ResourceNotFoundException(f"alias {alias} of {name} does not exist; create it first")
            weights = dict(additional_version_weights or {})
            for version in [function_version, *weights]:
                if version == LATEST and weights:
                    raise InvalidParameterValueException(
                        "weighted aliases must point at published versions, not $LATEST"
                    )
                if version != LATEST and version not in entry.versions:
                    raise ResourceNotFoundException(f"version {version} of {name} does not exist; publish it first")
            if any(not 0.0 <= w <= 1.0 for w in weights.values()) or sum(weights.values()) > 1.0:
                raise InvalidParameterValueException("routing weights are between 0 and 1 and add up to at most 1")
            entry.aliases[alias] = Alias(alias, function_version, weights, description)
            return entry.aliases[alias]

    def delete_version(self, name: str, version: str) -> None:
        """Delete a published version (refused while an alias routes to it)."""
        with self._lock:
            entry = self._require(name)
            users = sorted(
                a.name
                for a in entry.aliases.values()
                if a.function_version == version or version in a.additional_version_weights
            )
            if users:
                raise ResourceConflictException(
                    f"Unable to delete version because the following aliases reference it: {users}"
                )
            entry.versions.pop(version, None)

    def delete_alias(self, name: str, alias: str) -> bool:
        """Delete an alias; False when there was none."""
        with self._lock:
            return self._require(name).aliases.pop(alias, None) is not None

    def aliases(self, name: str) -> list[Alias]:
        with self._lock:
            return sorted(self._require(name).aliases.values(), key=lambda a: a.name)

    def resolve(self, name: str, qualifier: str | None, rng: random.Random | None = None) -> Function:
        """The version an invoke with ``qualifier`` runs (an alias picks by its weights)."""
        with self._lock:
            entry = self._entries.get(name)
            if entry is None:
                raise ResourceNotFoundException(
                    f"Function not found: {name} (register it first with %%lambda {name} or lm.register)"
                )
            if qualifier is None or qualifier == LATEST:
                return entry.latest
            if qualifier.isdigit():
                version = entry.versions.get(qualifier)
                if version is None:
                    raise ResourceNotFoundException(
                        f"Function not found: {entry.latest.arn}:{qualifier} "
                        "(no such version: publish one with lm.publish_version)"
                    )
                return version
            alias = entry.aliases.get(qualifier)
            if alias is None:
                raise ResourceNotFoundException(
                    f"Function not found: {entry.latest.arn}:{qualifier} (no such version or alias)"
                )
            target = alias.function_version
            draw = (rng or random).random()
            for extra, weight in alias.additional_version_weights.items():
                if draw < weight:
                    target = extra
                    break
                draw -= weight
            return entry.latest if target == LATEST else entry.versions[target]

    def current_revision(self, name: str, version: str) -> int | None:
        entry = self._entries.get(name)
        if entry is None:
            return None
        function = entry.latest if version == LATEST else entry.versions.get(version)
        return None if function is None else function.revision

    def _require(self, name: str) -> _Entry:
        entry = self._entries.get(name)
        if entry is None:
            raise ResourceNotFoundException(
                f"Function not found: {name} (register it first with %%lambda {name} or lm.register)"
            )
        return entry
