"""Fixtures for the export tests: the default account (reset around each test), a way to
export it and load the YAML, and cfn-lint run on a template as a separate process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import lambda_magic as lm

#: cfn-lint's script, installed beside this interpreter (the test extra), else on the PATH.
CFN_LINT = (
    str(Path(sys.executable).with_name("cfn-lint"))
    if Path(sys.executable).with_name("cfn-lint").exists()
    else "cfn-lint"
)


@pytest.fixture(scope="module")
def default_account():
    """The module-level API's account, shut down after the module's tests."""
    yield lm.account()
    lm.reset()
    lm.account().shutdown()


@pytest.fixture
def acc(default_account):
    lm.reset()
    yield default_account
    lm.reset()


def _loader() -> type[yaml.SafeLoader]:
    """A loader that reads CloudFormation's short tags (!Ref...) as plain mappings."""

    class Loader(yaml.SafeLoader):
        pass

    def tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
        if isinstance(node, yaml.ScalarNode):
            return {name: loader.construct_scalar(node)}
        if isinstance(node, yaml.SequenceNode):
            return {name: loader.construct_sequence(node)}
        return {name: loader.construct_mapping(node)}

    Loader.add_multi_constructor("!", tag)
    return Loader


def load(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_loader())


def cfn_lint(path: Path) -> subprocess.CompletedProcess:
    """Run cfn-lint (errors fail; a local CodeUri is only a warning) on a written template."""
    return subprocess.run(
        [CFN_LINT, "--non-zero-exit-code", "error", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def read():
    """``read(path)``: a written template as plain data (short tags read as ``{"Ref": ...}``)."""
    return load


@pytest.fixture
def lint():
    def check(path: Path) -> None:
        done = cfn_lint(path)
        assert done.returncode == 0, done.stdout + done.stderr

    return check
