"""Fixtures for the push source tests: the account's push sources, with its Lambda API as the
store of resource-based policies and the client that adds them (as the api layer wires them)."""

from __future__ import annotations

import pytest

from lambda_magic.endpoints.lambda_api import LambdaAPI
from lambda_magic.sources.push import PushSources


@pytest.fixture
def lambda_api(account) -> LambdaAPI:
    return LambdaAPI.of(account)


@pytest.fixture
def push(account, lambda_api) -> PushSources:
    """The account's push sources (their moto side loads into the account's local cloud)."""
    return PushSources.of(account, policy=lambda_api.policy, lambda_client=lambda_api.client)


@pytest.fixture
def lambda_client(lambda_api):
    """boto3's ``lambda`` client on the account's Lambda API (add_permission, get_policy...)."""
    return lambda_api.client()
