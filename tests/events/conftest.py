"""Fixtures for the event catalog tests."""

from __future__ import annotations

import pytest

from lambda_magic.events import Catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load()
