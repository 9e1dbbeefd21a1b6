"""lm.client("lambda"), lm.endpoints() and %lambda endpoints on the default account."""

from __future__ import annotations

import json

import pytest
from IPython.core.interactiveshell import InteractiveShell

import lambda_magic as lm
from lambda_magic.display.endpoints import EndpointsPanel

ENVIRONMENT = """
import os  # a handler that would use boto3 gets the endpoints


def lambda_handler(event, context):
    return {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID")}
"""


@pytest.fixture
def shell():
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "lambda_magic")
    lm.reset()
    yield ip
    lm.reset()
    lm.account().shutdown()  # its environments, template and local cloud end here


def test_lm_client_lambda_reaches_the_notebooks_functions(shell):
    shell.run_cell_magic("lambda", "hello", "def lambda_handler(event, context):\n    return {'hi': event['name']}\n")
    client = lm.client("lambda")
    assert client.meta.endpoint_url == lm.endpoints()["lambda"]
    answer = client.invoke(FunctionName="hello", Payload=json.dumps({"name": "Ada"}))
    assert json.loads(answer["Payload"].read()) == {"hi": "Ada"}
    assert lm.invocations("hello")["trigger"].tolist() == ["api"]
    assert [f["FunctionName"] for f in client.list_functions()["Functions"]] == ["hello"]


def test_endpoints_is_a_mapping_shown_with_a_ready_cli_line(shell):
    endpoints = lm.endpoints()
    url = endpoints["lambda"]
    assert url.startswith("http://127.0.0.1:")
    text = repr(endpoints)
    assert f"aws --endpoint-url {url} --region us-east-1 lambda list-functions" in text
    assert url in endpoints._repr_html_()
    panel = shell.run_line_magic("lambda", "endpoints")
    assert isinstance(panel, EndpointsPanel) and panel["lambda"] == url


@pytest.mark.slow  # starts the local cloud
def test_environments_that_use_the_sdk_get_the_lambda_endpoint(shell):
    shell.run_cell_magic("lambda", "env", ENVIRONMENT.replace("would use", "would use boto3"))
    variables = lm.invoke("env").payload
    assert variables["AWS_ENDPOINT_URL_LAMBDA"] == lm.endpoints()["lambda"]
    assert variables["AWS_ENDPOINT_URL"] == lm.account().cloud.endpoint()
    assert variables["AWS_ACCESS_KEY_ID"].startswith("ASIALM")
    lm.reset()  # after a reset the account serves the API again (on a new port)
    shell.run_cell_magic("lambda", "env", ENVIRONMENT.replace("would use", "would use boto3"))
    assert lm.invoke("env").payload["AWS_ENDPOINT_URL_LAMBDA"] == lm.endpoints()["lambda"]


def test_a_client_made_before_a_reset_still_reaches_the_api(shell):
    client = lm.client("lambda")
    url = client.meta.endpoint_url
    lm.reset()
    shell.run_cell_magic("lambda", "later", "def lambda_handler(event, context):\n    return 'after reset'\n")
    assert lm.endpoints()["lambda"] == url
    assert json.loads(client.invoke(FunctionName="later")["Payload"].read()) == "after reset"
