"""The Lambda API's address reaches every environment through the account's endpoints,
and each environment signs with its own access key id."""

from __future__ import annotations

import socket

import pytest

from lambda_magic.endpoints import LambdaAPI

SHOW = """
import os

def lambda_handler(event, context):
    return {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID")}
"""


@pytest.mark.parametrize("isolation", ["process", "inline"])
def test_every_environment_gets_the_api_address_and_its_own_access_key(account, isolation):
    api = LambdaAPI.of(account)
    assert not api.server.running  # the address is reserved; nothing serves yet
    account.register("show", SHOW, isolation=isolation)
    first = account.invoke("show").payload
    assert first["AWS_ENDPOINT_URL_LAMBDA"] == f"http://127.0.0.1:{api.server.preferred_port}"
    assert first["AWS_ENDPOINT_URL"] == account.cloud.endpoint()  # the cloud's, whatever the code says
    account.register("show", SHOW, isolation=isolation)  # a new $LATEST: a new environment
    second = account.invoke("show").payload
    assert first["AWS_ACCESS_KEY_ID"].startswith("ASIALM") and second["AWS_ACCESS_KEY_ID"].startswith("ASIALM")
    assert first["AWS_ACCESS_KEY_ID"] != second["AWS_ACCESS_KEY_ID"]


def test_a_connection_to_the_reserved_address_starts_the_server(account):
    api = LambdaAPI.of(account)
    port = api.server.preferred_port
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"GET /2015-03-31/functions/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert conn.recv(12).startswith(b"HTTP/1.")
    assert api.server.running


def test_stopping_the_api_takes_its_variable_back(account):
    api = LambdaAPI.of(account)
    assert "AWS_ENDPOINT_URL_LAMBDA" in account.endpoints.environment()
    api.stop()
    assert "AWS_ENDPOINT_URL_LAMBDA" not in account.endpoints.environment()
