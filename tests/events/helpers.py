"""What the tests of the event catalog know from AWS and SAM, not from the implementation.

``SAM`` is SAM CLI 1.170's ``generate-event`` catalog (``shared/reference/
sam-generate-event-catalog.json``): for each id, its parameter names and the top-level
keys of its event.  The regular expressions are the formats of event-catalog.md C.0.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

NOW = datetime(2024, 5, 1, 12, 34, 56, 789000, tzinfo=timezone.utc)
NOW_EPOCH_MS = 1714566896789

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ISO_S = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
ISO_MS_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
CLF = re.compile(r"^\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000$")
EPOCH_MS_STRING = re.compile(r"^\d{13}$")
HEX = re.compile(r"^[0-9a-f]+$")
ACCOUNT = "123456789012"
REGION = "us-east-1"

#: SAM parameters that are render options here (every ARN follows region and account).
SAM_CONTEXT_PARAMS = {"region", "partition", "account-id", "dns-suffix"}

SAM = {
    "alexa-skills-kit/end-session": (
        ["application-id", "request-id", "session-id", "user-id"],
        ["version", "session", "context", "request"],
    ),
    "alexa-skills-kit/intent-answer": (
        ["application-id", "request-id", "session-id", "user-id"],
        ["version", "session", "context", "request"],
    ),
    "alexa-skills-kit/intent-getnewfact": (
        ["application-id", "request-id", "session-id", "user-id"],
        ["version", "session", "context", "request"],
    ),
    "alexa-skills-kit/intent-mycoloris": (
        ["application-id", "request-id", "session-id", "user-id"],
        ["version", "session", "context", "request"],
    ),
    "alexa-skills-kit/intent-recipe": (
        ["application-id", "request-id", "session-id", "user-id"],
        ["version", "session", "context", "request"],
    ),
    "alexa-skills-kit/start-session": (
        ["application-id", "request-id", "session-id", "user-id"],
        ["version", "session", "context", "request"],
    ),
    "alexa-smart-home/smart-home-control-turn-off-request": (
        [],
        ["header", "payload"],
    ),
    "alexa-smart-home/smart-home-control-turn-on-request": (
        [],
        ["header", "payload"],
    ),
    "alexa-smart-home/smart-home-discovery-request": (
        [],
        ["header", "payload"],
    ),
    "alb/request": (
        ["account-id", "body", "dns-suffix", "method", "path"],
        ["requestContext", "httpMethod", "path", "queryStringParameters", "headers", "body", "isBase64Encoded"],
    ),
    "apigateway/authorizer": (
        ["account-id", "method", "partition", "region", "resource", "restApiId", "stage"],
        ["type", "authorizationToken", "methodArn"],
    ),
    "apigateway/request-authorizer": (
        ["account-id", "method", "partition", "region", "resource", "restApiId", "stage"],
        [
            "type",
            "methodArn",
            "resource",
            "path",
            "httpMethod",
            "headers",
            "queryStringParameters",
            "pathParameters",
            "stageVariables",
            "requestContext",
        ],
    ),
    "apigateway/aws-proxy": (
        ["account-id", "body", "dns-suffix", "method", "path", "querystringparameters", "resource", "stage"],
        [
            "body",
            "resource",
            "path",
            "httpMethod",
            "isBase64Encoded",
            "queryStringParameters",
            "multiValueQueryStringParameters",
            "pathParameters",
            "stageVariables",
            "headers",
            "multiValueHeaders",
            "requestContext",
        ],
    ),
    "apigateway/http-api-proxy": (
        ["account-id", "body", "dns-suffix", "method", "path", "stage"],
        [
            "version",
            "routeKey",
            "rawPath",
            "rawQueryString",
            "cookies",
            "headers",
            "queryStringParameters",
            "requestContext",
            "body",
            "pathParameters",
            "isBase64Encoded",
            "stageVariables",
        ],
    ),
    "appsync/resolver": (
        [],
        ["arguments", "identity", "source", "request", "prev", "info", "stash"],
    ),
    "batch/get-job": (
        [],
        ["jobName", "jobQueue", "jobDefinition"],
    ),
    "batch/submit-job": (
        [],
        ["jobId"],
    ),
    "cloudformation/create-request": (
        ["account-id", "partition", "region", "stack"],
        [
            "RequestType",
            "ResponseURL",
            "StackId",
            "RequestId",
            "ResourceType",
            "LogicalResourceId",
            "ResourceProperties",
        ],
    ),
    "cloudfront/ab-test": (
        ["method", "uri"],
        ["Records"],
    ),
    "cloudfront/access-request-in-response": (
        ["method", "uri"],
        ["Records"],
    ),
    "cloudfront/http-redirect": (
        ["method", "uri"],
        ["Records"],
    ),
    "cloudfront/modify-querystring": (
        ["method", "uri"],
        ["Records"],
    ),
    "cloudfront/modify-response-header": (
        [],
        ["Records"],
    ),
    "cloudfront/multiple-remote-calls-aggregate-response": (
        ["method", "uri"],
        ["Records"],
    ),
    "cloudfront/normalize-querystring-to-improve-cache-hit": (
        ["method", "uri"],
        ["Records"],
    ),
    "cloudfront/redirect-on-viewer-country": (
        ["method", "uri"],
        ["Records"],
    ),
    "cloudfront/redirect-unauthenticated-users": (
        ["method", "uri"],
        ["Records"],
    ),
    "cloudfront/response-generation": (
        ["method", "uri"],
        ["Records"],
    ),
    "cloudfront/serve-object-on-viewer-device": (
        ["method", "uri"],
        ["Records"],
    ),
    "cloudfront/simple-remote-call": (
        ["method", "uri"],
        ["Records"],
    ),
    "codecommit/repository": (
        ["account-id", "custom-data", "partition", "region", "repository", "trigger"],
        ["Records"],
    ),
    "codepipeline/job": (
        ["account-id", "input-bucket", "input-key", "output-bucket", "output-key"],
        ["CodePipeline.job"],
    ),
    "cognito/sync-trigger": (
        ["region"],
        ["version", "eventType", "region", "identityPoolId", "identityId", "datasetName", "datasetRecords"],
    ),
    "config/item-change-notification": (
        ["account-id", "partition", "region"],
        [
            "invokingEvent",
            "ruleParameters",
            "resultToken",
            "eventLeftScope",
            "executionRoleArn",
            "configRuleArn",
            "configRuleName",
            "configRuleId",
            "accountId",
            "version",
        ],
    ),
    "config/oversized-item-change-notification": (
        ["account-id", "partition", "region"],
        [
            "invokingEvent",
            "ruleParameters",
            "resultToken",
            "eventLeftScope",
            "executionRoleArn",
            "configRuleArn",
            "configRuleName",
            "configRuleId",
            "accountId",
            "version",
        ],
    ),
    "config/periodic-rule": (
        ["account-id", "partition", "region"],
        [
            "invokingEvent",
            "ruleParameters",
            "resultToken",
            "eventLeftScope",
            "executionRoleArn",
            "configRuleArn",
            "configRuleName",
            "configRuleId",
            "accountId",
            "version",
        ],
    ),
    "connect/contact-flow-event": (
        ["account-id", "contact-id", "partition", "phone-number", "region"],
        ["Name", "Details"],
    ),
    "dynamodb/update": (
        ["account-id", "partition", "region", "table"],
        ["Records"],
    ),
    "cloudwatch/logs": (
        [],
        ["awslogs"],
    ),
    "cloudwatch/scheduled-event": (
        ["account-id", "partition", "region", "rule"],
        ["id", "detail-type", "source", "account", "time", "region", "resources", "detail"],
    ),
    "kinesis/get-records": (
        ["data", "partition", "partition-key", "region", "sequence"],
        ["Records"],
    ),
    "kinesis/kinesis-firehose": (
        ["data", "partition", "region"],
        ["invocationId", "deliveryStreamArn", "region", "records"],
    ),
    "kinesis/analytics": (
        ["account-id", "application", "data", "partition", "region", "stream"],
        ["invocationId", "applicationArn", "streamArn", "records"],
    ),
    "kinesis/analytics-compressed": (
        ["account-id", "application", "data", "partition", "region", "stream"],
        ["invocationId", "applicationArn", "streamArn", "records"],
    ),
    "kinesis/analytics-dynamodb": (
        ["account-id", "application", "data", "partition", "region", "stream"],
        ["invocationId", "applicationArn", "streamArn", "records"],
    ),
    "kinesis/analytics-kpl": (
        ["account-id", "application", "partition", "region", "stream"],
        ["invocationId", "applicationArn", "streamArn", "records"],
    ),
    "kinesis/apachelog": (
        ["data", "region"],
        ["invocationId", "region", "records"],
    ),
    "kinesis/cloudwatch-logs-processor": (
        ["account-id", "partition", "region"],
        ["records", "region", "deliveryStreamArn", "invocationId"],
    ),
    "kinesis/streams-as-source": (
        ["data", "partition", "partition-key", "region", "sequence"],
        ["invocationId", "deliverySteamArn", "region", "records"],
    ),
    "kinesis/syslog": (
        ["data", "region"],
        ["invocationId", "region", "records"],
    ),
    "lex/book-car": (
        [],
        [
            "messageVersion",
            "invocationSource",
            "userId",
            "sessionAttributes",
            "bot",
            "outputDialogMode",
            "currentIntent",
        ],
    ),
    "lex/book-hotel": (
        [],
        [
            "messageVersion",
            "invocationSource",
            "userId",
            "sessionAttributes",
            "bot",
            "outputDialogMode",
            "currentIntent",
        ],
    ),
    "lex/make-appointment": (
        [],
        [
            "messageVersion",
            "invocationSource",
            "userId",
            "sessionAttributes",
            "bot",
            "outputDialogMode",
            "currentIntent",
        ],
    ),
    "lex/order-flowers": (
        [],
        [
            "messageVersion",
            "invocationSource",
            "userId",
            "sessionAttributes",
            "bot",
            "outputDialogMode",
            "currentIntent",
        ],
    ),
    "lex-v2/banking-bot": (
        [],
        [
            "sessionId",
            "inputTranscript",
            "interpretations",
            "responseContentType",
            "sessionState",
            "messageVersion",
            "invocationSource",
            "transcriptions",
            "inputMode",
            "bot",
        ],
    ),
    "lex-v2/book-car": (
        [],
        [
            "sessionId",
            "inputTranscript",
            "interpretations",
            "proposedNextState",
            "responseContentType",
            "sessionState",
            "messageVersion",
            "invocationSource",
            "transcriptions",
            "inputMode",
            "bot",
        ],
    ),
    "lex-v2/book-hotel": (
        [],
        [
            "sessionId",
            "inputTranscript",
            "interpretations",
            "proposedNextState",
            "responseContentType",
            "sessionState",
            "messageVersion",
            "invocationSource",
            "transcriptions",
            "inputMode",
            "bot",
        ],
    ),
    "rekognition/s3-request": (
        ["bucket", "key", "partition", "region"],
        ["Records"],
    ),
    "s3/batch-invocation": (
        ["bucket-arn", "key"],
        ["invocationSchemaVersion", "invocationId", "job", "tasks"],
    ),
    "s3/delete": (
        ["bucket", "key", "partition", "region"],
        ["Records"],
    ),
    "s3/put": (
        ["bucket", "key", "partition", "region"],
        ["Records"],
    ),
    "sagemaker/ground-truth-pre-human": (
        ["account-id", "labeling-job-name", "partition", "region", "source-ref"],
        ["version", "labelingJobArn", "dataObject"],
    ),
    "sagemaker/ground-truth-annotation-consolidation": (
        [
            "account-id",
            "execution-role",
            "iteration-object-timestamp",
            "label-attribute-name",
            "labeling-job-name",
            "partition",
            "region",
            "s3-output-path",
        ],
        ["version", "labelingJobArn", "labelAttributeName", "roleArn", "payload"],
    ),
    "ses/email-receiving": (
        ["account-id", "dns-suffix", "partition", "region"],
        ["Records"],
    ),
    "sns/notification": (
        ["account-id", "message", "partition", "region", "subject", "topic"],
        ["Records"],
    ),
    "sqs/receive-message": (
        ["account-id", "body", "partition", "queue-name", "region"],
        ["Records"],
    ),
    "stepfunctions/error": (
        ["cause", "error"],
        ["Error", "Cause"],
    ),
    "workmail/email": (
        ["flow-direction", "mail-from", "sender"],
        ["summaryVersion", "envelope", "sender", "subject", "messageId", "invocationId", "flowDirection", "truncated"],
    ),
}


#: Event types SAM lacks that the issue asks for.
REQUIRED_EXTRAS = [
    "cognito/pre-sign-up",
    "cognito/post-confirmation",
    "cognito/pre-authentication",
    "cognito/post-authentication",
    "cognito/pre-token-generation",
    "cognito/custom-message",
    "cognito/define-auth-challenge",
    "cognito/create-auth-challenge",
    "cognito/verify-auth-challenge-response",
    "cognito/user-migration",
    "cloudformation/update-request",
    "cloudformation/delete-request",
    "sqs/receive-message-fifo",
    "s3/delete-marker-created",
    "eventbridge/custom-event",
    "lambda/function-url",
    "apigateway/authorizer",
    "apigateway/request-authorizer",
]


def snake(sam_name: str) -> str:
    """SAM's CLI option name as this catalog's parameter name (``queue-name`` -> ``queue_name``)."""
    return re.sub(r"(?<=[a-z])([A-Z])", r"_\1", sam_name).replace("-", "_").lower()


def is_uuid(text: object) -> bool:
    try:
        return str(uuid.UUID(str(text))) == text
    except ValueError:
        return False


def records(event: dict) -> list:
    """The records of a Records-shaped event."""
    assert list(event) == ["Records"], list(event)
    return event["Records"]
