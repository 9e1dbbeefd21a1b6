"""Writing a template: deterministic YAML with a comment block of what was skipped, and the
code folders (or zips) next to it."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]


class _Dumper(yaml.SafeDumper):
    """Block style, no aliases (a template repeats values rather than anchoring them)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(body: dict[str, Any], skipped: list[str], *, header: str) -> str:
    """The template's YAML: a comment header, the skipped items, then the body (key order kept)."""
    lines = [f"# {header}"]
    if skipped:
        lines.append("# Not expressed in this template (kept in the notebook's local account only):")
        lines.extend(f"#   - {item}" for item in skipped)
    text = yaml.dump(body, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=120, allow_unicode=True)
    return "\n".join(lines) + "\n" + text


def write_folder(root: Path, folder: str, zip_bytes: bytes) -> None:
    """Unzip a package into ``root/folder`` (replacing what was there), entries in order."""
    target = root / folder
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            destination = (target / info.filename).resolve()
            if not str(destination).startswith(str(target.resolve())):
                continue  # an entry outside the folder is never written
            if info.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(archive.read(info))


def write_zip(root: Path, name: str, zip_bytes: bytes) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(zip_bytes)
