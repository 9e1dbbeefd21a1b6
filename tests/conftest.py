"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import pytest

from lambda_magic.runtime import LocalAccount


@pytest.fixture
def account():
    """A fresh local account; its environments, template and local cloud end afterwards."""
    acct = LocalAccount()
    try:
        yield acct
    finally:
        acct.shutdown()
