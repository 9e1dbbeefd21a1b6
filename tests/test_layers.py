"""Imports point down the layers only: magics -> display -> sources/endpoints -> runtime + events -> common.

The stand-in (``standin``, a process of its own) sits beside ``display``: it assembles an account
with its endpoints and sources and imports nothing above them.

The magics reach the rest through the public API (``lambda_magic.api``), like every
other caller; ``common`` (the shared errors and quotas) imports nothing of the package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import lambda_magic

ROOT = Path(lambda_magic.__file__).parent

#: For each layer, the layers its modules may import (besides themselves).
ALLOWED = {
    "common": set(),
    "events": {"common"},
    "runtime": {"common", "events"},
    "aws": {"common", "events", "runtime"},  # the AWS backend (boto3), at the runtime layer
    "sources": {"common", "events", "runtime"},
    "endpoints": {"common", "events", "runtime"},
    "export": {"common"},  # reads the account through its AWS APIs (boto3 clients), writes YAML
    "display": {"common", "events", "runtime", "sources", "endpoints"},
    # the AWS stand-in: a process that serves a local account's Lambda API and its moto as one endpoint
    "standin": {"common", "events", "runtime", "sources", "endpoints"},
    # the module-level API: api.py and the service fronts beside it (api_gateway.py, api_mappings.py, tuning.py,
    # tracing.py, backends.py, api_export.py, debugging.py)
    "magics": {
        "common",
        "display",
        "api",
        "api_gateway",
        "api_mappings",
        "tuning",
        "tracing",
        "backends",
        "api_export",
        "debugging",
    },
}


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "lambda_magic" else None


def _imports(path: Path) -> list[tuple[int, str]]:
    package = ".".join(("lambda_magic", *path.relative_to(ROOT).with_suffix("").parts[:-1]))
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [target] if node.module else [f"{target}.{alias.name}" for alias in node.names]
            found.extend((node.lineno, name) for name in names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def test_imports_point_down_the_layers_only():
    offenders = []
    for layer, allowed in ALLOWED.items():
        folder = ROOT / layer
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.py")):
            for line, target in _imports(path):
                other = _layer_of(target)
                if other is not None and other != layer and other not in allowed:
                    offenders.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert offenders == []


def test_the_check_sees_relative_imports():
    lines = dict((target, line) for line, target in _imports(ROOT / "magics" / "verbs_cloud.py"))
    assert "lambda_magic.api" in lines
