"""The AWS CLI (v1, from PyPI) against the Lambda API, run as a subprocess with --endpoint-url."""

from __future__ import annotations

import json

import pytest

from .conftest import ECHO

pytestmark = pytest.mark.slow  # each CLI run starts an interpreter and loads botocore


def test_cli_invoke_writes_the_payload_and_prints_the_status(account, cli, tmp_path):
    account.register("echo", ECHO)
    out = tmp_path / "out.json"
    done = cli("invoke", "--function-name", "echo", "--payload", '{"from": "cli"}', "--log-type", "Tail", str(out))
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert (printed["StatusCode"], printed["ExecutedVersion"]) == (200, "$LATEST")
    assert "LogResult" in printed
    assert json.loads(out.read_text()) == {"event": {"from": "cli"}, "custom": None}
    [record] = account.invocation_records("echo")
    assert record.trigger == "api"


def test_cli_list_functions(account, cli):
    account.register("alpha", ECHO)
    account.register("beta", ECHO)
    done = cli("list-functions")
    assert done.returncode == 0, done.stderr
    assert [f["FunctionName"] for f in json.loads(done.stdout)["Functions"]] == ["alpha", "beta"]


def test_cli_reports_a_missing_function(cli):
    done = cli("get-function", "--function-name", "nope")
    assert done.returncode == 255
    assert (
        "An error occurred (ResourceNotFoundException) when calling the GetFunction operation: "
        "Function not found: arn:aws:lambda:" in done.stderr
    )
