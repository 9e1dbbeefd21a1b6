"""Fixtures for the runtime tests (the ``account`` fixture is in ``tests/conftest.py``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .helpers import shared_dir


@pytest.fixture
def shared():
    """A directory visible to this process and to execution environments (which have a
    private ``/tmp``, so ``tmp_path`` is not visible to handlers); removed afterwards."""
    path = Path(shared_dir())
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
