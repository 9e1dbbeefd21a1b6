"""A moto server on loopback (its own process, stopped by pid) for the AWS backend's tests.

moto answers every control-plane call; it runs no handler without Docker, so invoke results
and log tails come from botocore's Stubber instead.  Real AWS is never reached.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
import requests

from lambda_magic import api
from lambda_magic.aws import CallGuard

from .helpers import make_account
from .standin_process import start, stop


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def moto_url():
    port = _free_port()
    env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                requests.get(f"{url}/moto-api/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        requests.post(f"{url}/moto-api/config", json={"lambda": {"use_docker": False}}, timeout=5)
        yield url
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def aws_env(monkeypatch):
    """Fake credentials: boto3 never finds real ones in these tests."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@pytest.fixture(scope="session")
def _regions(moto_url):
    """A region no earlier test used (moto keeps Lambda, SQS... per region; resetting it is slow
    with the managed policies loaded, so each test takes a fresh region, and the server is reset
    only when they run out)."""
    import boto3

    names = boto3.Session().get_available_regions("lambda")
    used: list[int] = []

    def next_region() -> str:
        if len(used) == len(names):
            requests.post(f"{moto_url}/moto-api/reset", timeout=120)
            used.clear()
        used.append(1)
        return names[len(used) - 1]

    return next_region


@pytest.fixture
def region(_regions, aws_env, monkeypatch):
    name = _regions()
    monkeypatch.setenv("AWS_DEFAULT_REGION", name)
    return name


@pytest.fixture
def moto(moto_url, region):
    """The moto server (this test's region is fresh)."""
    return moto_url


@pytest.fixture
def aws(moto, region):
    """An AwsAccount on the moto server in a fresh region, with its execution role."""
    account = make_account(moto, region=region, guard=CallGuard(None))
    try:
        account.client("iam").create_role(RoleName="lambda-role", AssumeRolePolicyDocument="{}")
    except account.client("iam").exceptions.EntityAlreadyExistsException:
        pass  # IAM is global: an earlier test made it
    return account


@pytest.fixture
def module_backend():
    """Put the module-level API back on the local backend afterwards."""
    yield
    api._default.backend = None
    api._default.aws_max_calls = None


@pytest.fixture(scope="module")
def standin():
    """An AWS stand-in process for the module's tests (its URL), stopped by its pid afterwards."""
    process, url = start()
    try:
        yield url
    finally:
        stop(process)
