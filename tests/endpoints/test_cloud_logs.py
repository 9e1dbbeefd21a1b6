"""Function logs of a function invoked through the Lambda API reach the local cloud's
CloudWatch Logs (the runtime's log delivery), and the AWS CLI reads them back."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # the local cloud

LOUD = "def lambda_handler(event, context):\n    print('hello from', event['who'])\n    return 1\n"


def test_the_cli_reads_the_logs_of_a_function_invoked_through_the_api(account, client):
    account.register("loud", LOUD)
    assert client.invoke(FunctionName="loud", Payload=b'{"who": "cli"}')["StatusCode"] == 200
    account.cloud.client("logs")  # asking for the logs API delivers what was logged so far
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": account.settings.region,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "awscli",
            "--endpoint-url",
            account.cloud.endpoint(),
            "logs",
            "filter-log-events",
            "--log-group-name",
            "/aws/lambda/loud",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "hello from cli" in [e["message"] for e in json.loads(done.stdout)["events"]]
