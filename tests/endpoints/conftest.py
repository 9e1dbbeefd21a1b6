"""Fixtures for the endpoint tests: an account with its Lambda API and a boto3 client."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from botocore.config import Config

from lambda_magic.endpoints import LambdaAPI

ECHO = """
def lambda_handler(event, context):
    print("event", event)
    return {"event": event, "custom": (context.client_context.custom if context.client_context else None)}
"""


@pytest.fixture
def api(account):
    """The account's Lambda API (its server stops with the account)."""
    return LambdaAPI.of(account)


@pytest.fixture
def client(api):
    """boto3's lambda client against the API; no retries, so that each call is one request."""
    return api.client(config=Config(retries={"total_max_attempts": 1}))


@pytest.fixture
def cli(api, account):
    """Run the AWS CLI (v1, from PyPI) against the API; returns the finished process."""

    def run(*args: str) -> subprocess.CompletedProcess:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/tmp"),
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_DEFAULT_REGION": account.settings.region,
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }
        command = [sys.executable, "-m", "awscli", "--endpoint-url", api.url, "lambda", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    return run


@pytest.fixture
def raw_client(api):
    """A lambda client that leaves validation to the server (as another SDK might)."""
    return api.client(config=Config(retries={"total_max_attempts": 1}, parameter_validation=False))
