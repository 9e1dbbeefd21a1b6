"""The one test against a real AWS account: skipped unless LAMBDA_MAGIC_REAL_AWS=1 AND credentials exist.

It costs a few requests (max_calls=4 bounds them) and removes what it made; CI never sets the variable.
"""

from __future__ import annotations

import os
import uuid

import pytest

import lambda_magic as lm


def _credentials() -> bool:
    if os.environ.get("LAMBDA_MAGIC_REAL_AWS") != "1":
        return False
    import boto3

    return boto3.Session().get_credentials() is not None


pytestmark = pytest.mark.skipif(
    not _credentials(), reason="opt-in: set LAMBDA_MAGIC_REAL_AWS=1 with AWS credentials to run against a real account"
)


def test_deploy_invoke_and_delete_on_real_lambda(module_backend):
    name = f"lambda-magic-e2e-{uuid.uuid4().hex[:8]}"
    lm.use_backend("aws", create_role=True, max_calls=4, ask=None)
    try:
        lm.register(name, "def lambda_handler(event, context):\n    print('hi')\n    return event\n")
        invocation = lm.invoke(name, {"n": 1})
        assert invocation.status == "success" and invocation.payload == {"n": 1}
        assert invocation.report is not None and invocation.billed_duration_ms
        assert any(line == "hi" for line in invocation.log_lines)
    finally:
        lm.delete(name)
