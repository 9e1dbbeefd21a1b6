"""Shared by the AWS backend's tests."""

from __future__ import annotations

from lambda_magic.aws import AwsAccount

ROLE_ARN = "arn:aws:iam::123456789012:role/lambda-role"
HANDLER = "def lambda_handler(event, context):\n    return {'hello': event.get('name', 'world')}\n"


def make_account(url: str, **kw) -> AwsAccount:
    """An AwsAccount on the moto server at ``url`` whose waiters and retries do not pause."""
    import os

    kw.setdefault("role", ROLE_ARN)
    kw.setdefault("region", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    return AwsAccount(endpoint_url=url, waiter_delay_s=0, retry_delay_s=0, **kw)
