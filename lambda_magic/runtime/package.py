"""A function's deployment package: the zip Lambda stores, hashes and extracts to ``/var/task``.

A cell function's package is built here, deterministically (sorted entries, fixed
timestamps and modes), so its ``CodeSha256`` changes only when the code does.  A
user's zip is kept byte for byte: its ``CodeSha256`` is of the bytes given, as AWS
computes it.  A folder is zipped the same deterministic way.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..common.errors import InvalidParameterValueException

#: Lambda's limit on a package's unzipped size (code and layers together).
UNZIPPED_MAX_BYTES = 262_144_000
NOT_A_ZIP = "Could not unzip uploaded file. Please check your file, then try to upload again."
TOO_LARGE = f"Unzipped size must be smaller than {UNZIPPED_MAX_BYTES} bytes"
CELL_MODULE = "lambda_function.py"
#: Every entry of a built package has this timestamp (the earliest a zip can hold) ...
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o644
_EXECUTABLE_MODE = 0o755
#: ... and these folders are left out of a zipped folder (they change whenever code is imported).
_SKIPPED_DIRS = frozenset({"__pycache__", ".git", ".ipynb_checkpoints"})


@dataclass(frozen=True, eq=False)
class DeploymentPackage:
    """The bytes of one ``.zip`` deployment package (immutable)."""

    zip_file: bytes

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DeploymentPackage) and other.zip_file == self.zip_file

    def __hash__(self) -> int:
        return hash(self.zip_file)

    # --- making one -----------------------------------------------------------------------

    @classmethod
    def from_zip(cls, data: bytes) -> DeploymentPackage:
        """A package from zip bytes, validated as ``CreateFunction`` validates ``Code.ZipFile``."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise InvalidParameterValueException(
                f"zip_file must be the bytes of a .zip file, got {type(data).__name__}"
            )
        package = cls(bytes(data))
        package.check()
        return package

    @classmethod
    def from_files(
        cls, files: Mapping[str, str | bytes], executable: frozenset[str] = frozenset()
    ) -> DeploymentPackage:
        """A deterministic zip of ``files`` (path inside the package -> text or bytes)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # Unix, so that the mode below is read
                info.external_attr = (0o100000 | (_EXECUTABLE_MODE if name in executable else _FILE_MODE)) << 16
                content = files[name]
                archive.writestr(info, content.encode() if isinstance(content, str) else content)
        package = cls(buffer.getvalue())
        package.check()
        return package

    @classmethod
    def from_cell(cls, code: str, extras: Mapping[str, str | bytes] | None = None) -> DeploymentPackage:
        """A cell's package: ``lambda_function.py`` holding ``code``, plus ``extras`` (other modules, data)."""
        files: dict[str, str | bytes] = dict(extras or {})
        files[CELL_MODULE] = code
        return cls.from_files(files)

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> DeploymentPackage:
        """A package from a folder (zipped deterministically) or a ``.zip`` file (kept as is)."""
        path = os.fspath(path)
        if os.path.isdir(path):
            return cls.from_files(*_read_folder(path))
        if os.path.isfile(path):
            with open(path, "rb") as file:
                return cls.from_zip(file.read())
        raise InvalidParameterValueException(f"path {path!r} is neither a folder nor a .zip file: check the path")

    # --- reading it ----------------------------------------------------------------------

    @cached_property
    def code_sha256(self) -> str:
        """Base64 of the SHA-256 of the zip's bytes: Lambda's ``CodeSha256``."""
        return base64.b64encode(hashlib.sha256(self.zip_file).digest()).decode()

    @property
    def code_size(self) -> int:
        """The zip's size in bytes: Lambda's ``CodeSize``."""
        return len(self.zip_file)

    @cached_property
    def digest(self) -> str:
        """The SHA-256 in hex (names the folder the package is extracted to)."""
        return hashlib.sha256(self.zip_file).hexdigest()

    def _archive(self) -> zipfile.ZipFile:
        return zipfile.ZipFile(io.BytesIO(self.zip_file))

    @cached_property
    def names(self) -> tuple[str, ...]:
        """The files in the package (folders left out)."""
        with self._archive() as archive:
            return tuple(info.filename for info in archive.infolist() if not info.is_dir())

    @cached_property
    def unzipped_size(self) -> int:
        with self._archive() as archive:
            return sum(info.file_size for info in archive.infolist())

    def read(self, name: str) -> bytes | None:
        """The content of file ``name`` in the package, or None."""
        if name not in self.names:
            return None
        with self._archive() as archive:
            return archive.read(name)

    def module_source(self, module: str) -> tuple[str, str] | None:
        """``(path in the package, source)`` of a module (``pkg.mod``: ``pkg/mod.py`` or
        ``pkg/mod/__init__.py``), or None when the package does not hold it as source."""
        base = module.replace(".", "/")
        for name in (f"{base}.py", f"{base}/__init__.py"):
            data = self.read(name)
            if data is not None:
                return name, data.decode(errors="replace")
        return None

    def has_module(self, module: str) -> bool:
        """Whether the package holds ``module`` in any form Python imports (source, bytecode,
        extension, or a folder: a namespace package)."""
        base = module.replace(".", "/")
        for name in self.names:
            if name.startswith(base + "/"):
                return True
            stem, dot, suffix = name.partition(".")
            if dot and stem == base and suffix.rpartition(".")[2] in ("py", "pyc", "so", "pyd"):
                return True
        return False

    def check(self) -> None:
        """Raise ``InvalidParameterValueException`` with AWS's message unless Lambda would accept the zip."""
        try:
            with self._archive() as archive:
                if sum(info.file_size for info in archive.infolist()) > UNZIPPED_MAX_BYTES:
                    raise InvalidParameterValueException(TOO_LARGE)  # before reading: a zip bomb is never inflated
                if archive.testzip() is not None:
                    raise zipfile.BadZipFile("bad CRC")
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
            raise InvalidParameterValueException(NOT_A_ZIP) from None

    def extract(self, target: str) -> None:
        """Write the package's files under ``target`` (names are kept inside it, modes kept)."""
        with self._archive() as archive:
            for info in archive.infolist():
                path = archive.extract(info, target)
                mode = (info.external_attr >> 16) & 0o777
                if not info.is_dir():
                    os.chmod(path, (mode | 0o444) if mode else _FILE_MODE)

    def __repr__(self) -> str:
        return f"DeploymentPackage({len(self.names)} files, {self.code_size} bytes, CodeSha256 {self.code_sha256})"


def read_files(paths: list[str], base: str | None = None) -> dict[str, bytes]:
    """Files to add to a cell's package (``%%lambda NAME --file utils.py``): each path (relative to
    ``base``, the working directory by default) keeps its relative path in the package, a folder
    its name and everything under it; an absolute path goes to the package's root."""
    base = os.getcwd() if base is None else base
    files: dict[str, bytes] = {}
    for given in paths:
        real = os.path.normpath(os.path.join(base, given))
        inside = os.path.basename(real) if os.path.isabs(given) else os.path.normpath(given).replace(os.sep, "/")
        if inside.startswith("../") or inside == "..":
            inside = os.path.basename(real)
        if os.path.isdir(real):
            contents, _ = _read_folder(real)
            files.update({f"{inside}/{name}": data for name, data in contents.items()})
        elif os.path.isfile(real):
            with open(real, "rb") as file:
                files[inside] = file.read()
        else:
            raise InvalidParameterValueException(
                f"file {given!r} not found in {base}: write it first (e.g. %%writefile {given}) or fix the path"
            )
        if inside == CELL_MODULE:
            raise InvalidParameterValueException(f"{given!r} would replace the cell's own {CELL_MODULE}: rename it")
    return files


def _read_folder(root: str) -> tuple[dict[str, bytes], frozenset[str]]:
    files: dict[str, bytes] = {}
    executable: set[str] = set()
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
        for name in names:
            if name.endswith(".pyc"):
                continue
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, root).replace(os.sep, "/")
            with open(path, "rb") as file:
                files[relative] = file.read()
            if os.access(path, os.X_OK):
                executable.add(relative)
    return files, frozenset(executable)


class PackageCache:
    """Where packages are extracted for environments: one read-only folder per package (and
    one per combination of layers), made on first need and shared by every environment of it.

    An account extension (``account.extension("packages", PackageCache)``): ``stop()`` removes
    the folders.
    """

    def __init__(self) -> None:
        import tempfile
        import threading

        self._root = tempfile.mkdtemp(prefix="lambda_magic-code-")
        self._lock = threading.Lock()

    def folder(self, packages: tuple[DeploymentPackage, ...], kind: str = "task") -> str:
        """The folder holding ``packages`` extracted in order (a later one's files win, as Lambda
        extracts layers to ``/opt``), made once."""
        key = hashlib.sha256("".join(p.digest for p in packages).encode()).hexdigest()[:32]
        target = os.path.join(self._root, f"{kind}-{key}")
        with self._lock:
            if not os.path.isdir(target):
                partial = target + ".partial"
                import shutil

                shutil.rmtree(partial, ignore_errors=True)
                os.makedirs(partial)
                for package in packages:
                    package.extract(partial)
                os.rename(partial, target)
        return target

    def roots(self, function: Any) -> dict[str, str | None]:
        """The folders an environment of ``function`` runs from: ``task_root`` (its package),
        ``opt_root`` (its layers, or None) and the ``python_version`` layers' site-packages are for."""
        layers = tuple(layer.package for layer in function.layers)
        return {
            "task_root": self.folder((function.deployment_package,)),
            "opt_root": self.folder(layers, "opt") if layers else None,
            "python_version": function.config.runtime.removeprefix("python"),
        }

    def stop(self) -> None:
        import shutil

        shutil.rmtree(self._root, ignore_errors=True)
