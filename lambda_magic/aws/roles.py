"""The roles made on request (``create_role=True``): the execution role, which Lambda may assume
and which may write logs (``AWSLambdaBasicExecutionRole``) and read what the triggers need; and the
role API Gateway writes REST API access logs with."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

ROLE_NAME = "lambda-magic-execution"
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
#: The role API Gateway writes REST API access logs with (the account setting ``cloudwatchRoleArn``).
API_GATEWAY_LOGS_ROLE = "lambda-magic-apigateway-logs"
API_GATEWAY_PUSH_TO_LOGS = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
#: The managed policy a trigger's poller needs (Lambda reads the queue or stream with the function's role).
SOURCE_POLICIES = {
    "sqs": "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
    "kinesis": "arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole",
    "dynamodb": "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
}


def trust_policy(service: str) -> dict[str, Any]:
    """A trust policy that lets ``service`` (``lambda.amazonaws.com``) assume the role."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


def ensure_role(iam: Any, name: str = ROLE_NAME) -> str:
    """The ARN of execution role ``name``, created with the basic execution policy if missing."""
    return ensure_service_role(
        iam, name, "lambda.amazonaws.com", BASIC_EXECUTION, "Execution role of the functions lambda_magic deploys"
    )


def ensure_api_gateway_logs_role(iam: Any) -> str:
    """The ARN of the role API Gateway may write REST API logs with, made if missing."""
    return ensure_service_role(
        iam,
        API_GATEWAY_LOGS_ROLE,
        "apigateway.amazonaws.com",
        API_GATEWAY_PUSH_TO_LOGS,
        "The role API Gateway writes REST API logs with (made by lambda_magic)",
    )


def ensure_service_role(iam: Any, name: str, service: str, policy: str, description: str) -> str:
    """The ARN of role ``name``; when missing, it is made for ``service`` with managed ``policy``."""
    try:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
            raise
    arn = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_policy(service)), Description=description
    )["Role"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    return str(arn)


def attach_source_policy(iam: Any, role_arn: str, source_kind: str) -> str | None:
    """Attach the managed policy an ``sqs``/``kinesis``/``dynamodb`` trigger needs; its ARN (None: none needed)."""
    policy = SOURCE_POLICIES.get(source_kind)
    if policy is not None:
        iam.attach_role_policy(RoleName=role_arn.rpartition("/")[2], PolicyArn=policy)
    return policy
