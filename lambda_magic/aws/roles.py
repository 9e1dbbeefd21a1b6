"""The execution role made on request (``create_role=True``): Lambda may assume it, and it may
write logs (``AWSLambdaBasicExecutionRole``) and read what the triggers need."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

ROLE_NAME = "lambda-magic-execution"
TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
#: The managed policy a trigger's poller needs (Lambda reads the queue or stream with the function's role).
SOURCE_POLICIES = {
    "sqs": "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
    "kinesis": "arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole",
    "dynamodb": "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
}


def ensure_role(iam: Any, name: str = ROLE_NAME) -> str:
    """The ARN of execution role ``name``, created with the basic execution policy if missing."""
    try:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
            raise
    arn = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(TRUST_POLICY),
        Description="Execution role of the functions lambda_magic deploys",
    )["Role"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=BASIC_EXECUTION)
    return str(arn)


def attach_source_policy(iam: Any, role_arn: str, source_kind: str) -> str | None:
    """Attach the managed policy an ``sqs``/``kinesis``/``dynamodb`` trigger needs; its ARN (None: none needed)."""
    policy = SOURCE_POLICIES.get(source_kind)
    if policy is not None:
        iam.attach_role_policy(RoleName=role_arn.rpartition("/")[2], PolicyArn=policy)
    return policy
